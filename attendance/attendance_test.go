package attendance

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// voiceSettings count 5 minutes in voice-1, late after 10 minutes, and
// flag 2 unexcused absences in a row.
func voiceSettings() Settings {
	s := Defaults()
	s.VoiceChannel, s.MinMinutes, s.LateAfter, s.AlertAfter = "voice-1", 5, 10*time.Minute, 2
	return s
}

// TestSession_Marks runs one session with every source of presence and
// every excuse, and checks each member's mark, the facilitators' summary
// and that nothing reached the group's channel but the button.
func TestSession_Marks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy")
		code := e.addMember(bot.Member{Code: "C-1"})
		e.takesPart = func(_ context.Context, _ bot.Group, u bot.UserID) (bool, string, error) {
			return u != "ivy", "has not agreed to the norms", nil
		}
		e.restart()
		e.settings(voiceSettings())
		away := at(t, "2000-01-05 00:00")
		if err := e.db.SetAway(t.Context(), e.group.ID, "gus", away); err != nil {
			t.Fatal(err)
		}
		e.schedule(8)
		s1 := e.session(1)
		// bob is in the voice channel before the session starts.
		e.voice.JoinVoice("voice-1", "bob")
		e.sleepUntil(minute(t, 0, -30))
		if out := e.cmd("eve", "rsvp no"); !strings.Contains(out, "excused") {
			t.Fatalf("rsvp: %s", out)
		}
		e.sleepUntil(minute(t, 0, 0))
		ref := e.hereButton(s1)
		e.voiceEvent("dan", "voice-1", true)
		e.sleepUntil(minute(t, 0, 2))
		if out := e.press("ann", ref, "I'm here"); !strings.Contains(out, "you're down as here for session 1") {
			t.Fatalf("ann pressed: %s", out)
		}
		if out := e.press("ann", ref, "I'm here"); !strings.Contains(out, "already") {
			t.Fatalf("ann pressed again: %s", out)
		}
		e.sleepUntil(minute(t, 0, 3))
		e.voiceEvent("dan", "voice-1", false)
		e.sleepUntil(minute(t, 0, 5))
		if err := e.b.PublishPresence(t.Context(), &bot.Presence{Group: e.group, SessionID: s1.ID, User: "hal", Source: SourceCheckin}); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(minute(t, 0, 12))
		e.voiceEvent("cat", "voice-1", true)
		e.sleepUntil(minute(t, 0, 30))
		if out := e.cmd(fac, "attendance mark late code:C-1"); !strings.Contains(out, "Marked C-1 late at session 1") {
			t.Fatalf("mark: %s", out)
		}
		e.sleepUntil(minute(t, 0, 61))
		// Added after the session: not counted.
		e.addMember(bot.Member{User: "jon"})

		want := map[string]string{
			"u:ann": "present/button", "u:bob": "present/voice", "u:cat": "late/voice", "u:dan": "absent/none",
			"u:eve": "excused/rsvp", "u:fay": "absent/none", "u:gus": "excused/away", "u:hal": "present/checkin",
			bot.Attendee{MemberID: code.ID}.Key(): "late/facilitator",
		}
		got := e.marks(s1)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %q; want %q", k, got[k], w)
			}
		}
		for _, k := range []string{"u:ivy", "u:jon", "u:fac"} {
			if g, ok := got[k]; ok {
				t.Errorf("%s was counted (%s); not taking part, added later or a facilitator", k, g)
			}
		}
		if len(got) != len(want) {
			t.Errorf("marks %v; want %d", got, len(want))
		}
		sums := e.dmsTo(fac, SummaryKey(s1.ID))
		if len(sums) != 1 {
			t.Fatalf("%d summaries to the facilitator; want 1", len(sums))
		}
		for _, w := range []string{"3 present, 2 late, 2 excused, 2 absent", "Present: Ann, Bob, Hal", "Late: C-1, Cat (2000-01-04 18:12)",
			"Excused: Eve (said they couldn't come), Gus (away)", "Absent: Dan, Fay", "RSVPs: 0 said they'd come and 0 of them came; 1 said they couldn't"} {
			if !strings.Contains(sums[0], w) {
				t.Errorf("summary lacks %q:\n%s", w, sums[0])
			}
		}
		for _, d := range e.rec.PostsIn(e.group.Address.Channel) {
			if d.Out.Key != HereKey(s1.ID) && !strings.HasPrefix(d.Out.Key, "reminder/") {
				t.Errorf("posted in the group's channel: %s %q", d.Out.Key, d.Out.Message.Title)
			}
		}
		// The button no longer counts once the session is over.
		if out := e.press("fay", ref, "I'm here"); !strings.Contains(out, "has ended") {
			t.Errorf("press after the end: %s", out)
		}
	})
}

// TestSession_VoiceStaysSummed: joins, leaves and rejoins are summed, and
// time before the start and after the end does not count.
func TestSession_VoiceStaysSummed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "bob", "cat")
		e.settings(voiceSettings())
		e.schedule(2)
		s1 := e.session(1)
		e.sleepUntil(minute(t, 0, -10))
		e.voiceEvent("cat", "voice-1", true) // before the session: not watched yet
		e.sleepUntil(minute(t, 0, 1))
		e.voiceEvent("ann", "voice-1", true)
		e.sleepUntil(minute(t, 0, 3))
		e.voiceEvent("ann", "voice-1", false) // 2 minutes
		e.voiceEvent("cat", "voice-1", false) // there since before the start: 3 minutes count
		e.sleepUntil(minute(t, 0, 20))
		e.voiceEvent("ann", "voice-1", true)
		e.sleepUntil(minute(t, 0, 23))
		e.voiceEvent("ann", "voice-1", false) // 3 more: 5 in all, first at +1
		e.sleepUntil(minute(t, 0, 57))
		e.voiceEvent("bob", "voice-1", true) // 3 minutes, to the end
		e.sleepUntil(minute(t, 0, 70))
		got := e.marks(s1)
		for k, w := range map[string]string{"u:ann": "present/voice", "u:bob": "absent/none", "u:cat": "absent/none"} {
			if got[k] != w {
				t.Errorf("%s: %q; want %q", k, got[k], w)
			}
		}
	})
}

// TestDrift_OncePerStreak: a member absent without excuse from two
// sessions in a row is flagged to the facilitators once; a third absence
// is the same streak; after coming back, a new streak is flagged again.
// The "we missed you" DM goes only where the group opted in, never to a
// member marked away, and never to the channel.
func TestDrift_OncePerStreak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "fay", "kim")
		set := voiceSettings()
		set.MissedYouDM = true
		e.settings(set)
		e.schedule(8)
		press := func(week int, users ...bot.UserID) {
			e.sleepUntil(minute(t, week, 1))
			ref := e.hereButton(e.session(week + 1))
			for _, u := range users {
				e.press(u, ref, "I'm here")
			}
		}
		// Weeks 0 and 1: fay and kim miss both; kim is away by week 1's
		// end, and a facilitator marks her absent anyway.
		press(0, "ann")
		press(1, "ann")
		e.sleepUntil(minute(t, 1, 30))
		if err := e.db.SetAway(t.Context(), e.group.ID, "kim", at(t, "2000-02-01 00:00")); err != nil {
			t.Fatal(err)
		}
		e.cmd(fac, "attendance mark absent user:kim")
		e.sleepUntil(minute(t, 1, 70))
		drift := e.dmsTo(fac, DriftKey(e.session(2).ID))
		if len(drift) != 1 || !strings.Contains(drift[0], "Fay — 2 sessions in a row") || !strings.Contains(drift[0], "Kim — 2 sessions in a row") {
			t.Fatalf("drift after session 2: %q; want fay and kim flagged", drift)
		}
		if !strings.Contains(drift[0], `Kim — 2 sessions in a row without an excuse, since session 1 (2000-01-04 18:00); no "we missed you" message: they are marked away`) {
			t.Errorf("kim's line: %s", drift[0])
		}
		if n := len(e.dmsTo("fay", "attendance.missed/")); n != 1 {
			t.Errorf("fay got %d missed-you DMs; want 1", n)
		}
		if n := len(e.dmsTo("kim", "attendance.missed/")); n != 0 {
			t.Errorf("kim, away, got %d missed-you DMs; want none", n)
		}
		// Week 2: fay misses again — the same streak, not flagged again.
		press(2, "ann")
		e.sleepUntil(minute(t, 2, 70))
		if d := e.dmsTo(fac, DriftKey(e.session(3).ID)); len(d) != 0 {
			t.Fatalf("drift after session 3: %q; want none (the same streak)", d)
		}
		// Week 3 she comes; weeks 4 and 5 she misses: a new streak.
		press(3, "ann", "fay")
		press(4, "ann")
		press(5, "ann")
		e.sleepUntil(minute(t, 5, 70))
		if d := e.dmsTo(fac, DriftKey(e.session(6).ID)); len(d) != 1 || !strings.Contains(d[0], "Fay — 2 sessions in a row without an excuse, since session 5") {
			t.Fatalf("drift after session 6: %q; want fay flagged again", d)
		}
		if n := len(e.dmsTo("fay", "attendance.missed/")); n != 2 {
			t.Errorf("fay got %d missed-you DMs; want 2 (one per streak)", n)
		}
		for _, d := range e.rec.Posts() {
			if strings.Contains(d.Out.Message.Title+d.Out.Message.Text, "missed") {
				t.Errorf("a post in a channel speaks of missing sessions: %q", d.Out.Message.Title)
			}
		}
	})
}

// TestEnd_CrashBetweenMarksAndSummary stops tend after the marks were
// stored and while the summary was being sent: the restarted tend neither
// stores a mark twice nor sends a second summary.
func TestEnd_CrashBetweenMarksAndSummary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A platform that drops a send whose key it has seen, as Discord
		// does with a nonce.
		e := newEnvOn(t, &bottest.Platform{DedupeKeys: true}, "ann", "bob")
		e.schedule(2)
		s1 := e.session(1)
		e.sleepUntil(minute(t, 0, 1))
		e.press("ann", e.hereButton(s1), "I'm here")
		key := SummaryKey(s1.ID)
		// The summary reaches the platform and the process dies before
		// the outbox records it.
		e.setHook(func(out bot.Outbound) error {
			if strings.HasPrefix(out.Key, key) {
				e.cancel()
			}
			return nil
		})
		e.sleepUntil(minute(t, 0, 60))
		e.setHook(nil)
		e.stop()
		closed, err := func() (bool, error) {
			db, err := openDB(t, e.path)
			if err != nil {
				return false, err
			}
			defer db.Close()
			return db.AttendanceClosed(t.Context(), s1.ID)
		}()
		if err != nil || !closed {
			t.Fatalf("closed before the crash: %v, %v; want the marks stored", closed, err)
		}
		e.start()
		e.sleepUntil(minute(t, 0, 70))
		if got := e.marks(s1); len(got) != 2 || got["u:ann"] != "present/button" || got["u:bob"] != "absent/none" {
			t.Fatalf("marks after the restart: %v", got)
		}
		entry, err := e.db.OutboxEntry(t.Context(), key+"/"+fac)
		if err != nil || entry.State != bot.OutboxSent || entry.Attempts != 2 {
			t.Fatalf("summary outbox entry %+v, %v; want sent on the second attempt", entry, err)
		}
		if n := len(e.dmsTo(fac, key)); n != 1 {
			t.Fatalf("%d summaries shown; want 1", n)
		}
	})
}

// TestEnd_RerunChangesNothing: the end's job running again (as after a
// crash once everything was done) stores no mark twice and sends nothing
// twice.
func TestEnd_RerunChangesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "bob")
		e.schedule(2)
		s1 := e.session(1)
		e.sleepUntil(minute(t, 0, 70))
		before := e.marks(s1)
		n := len(e.rec.Deliveries())
		set, err := e.f.settings(t.Context(), e.group)
		if err != nil {
			t.Fatal(err)
		}
		s1 = e.session(1)
		if err := e.f.ended(t.Context(), e.group, s1, set); err != nil {
			t.Fatal(err)
		}
		if after := e.marks(s1); len(after) != len(before) {
			t.Fatalf("marks %v after a rerun; were %v", after, before)
		}
		if d := e.rec.Deliveries()[n:]; len(d) != 0 {
			t.Fatalf("a rerun delivered %d more: %+v", len(d), d[0].Out.Key)
		}
	})
}

// TestPresence_CheckinWindow: a check-in answer counts only inside the
// session's window.
func TestPresence_CheckinWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "bob", "cat")
		e.schedule(2)
		s1 := e.session(1)
		e.sleepUntil(minute(t, 0, -5))
		publish := func(u bot.UserID) {
			if err := e.b.PublishPresence(t.Context(), &bot.Presence{Group: e.group, SessionID: s1.ID, User: u, Source: SourceCheckin}); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		publish("ann") // before the start
		e.sleepUntil(minute(t, 0, 20))
		publish("bob") // late
		e.sleepUntil(minute(t, 0, 70))
		publish("cat") // after the end
		got := e.marks(s1)
		for k, w := range map[string]string{"u:ann": "absent/none", "u:bob": "late/checkin", "u:cat": "absent/none"} {
			if got[k] != w {
				t.Errorf("%s: %q; want %q", k, got[k], w)
			}
		}
	})
}

// TestPresence_AfterClose: a press recorded in the session's last moment
// that the end's computation did not see still counts.
func TestPresence_AfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann")
		e.schedule(2)
		s1 := e.session(1)
		e.sleepUntil(minute(t, 0, 70))
		if got := e.marks(s1)["u:ann"]; got != "absent/none" {
			t.Fatalf("ann %q before", got)
		}
		set, _ := e.f.settings(t.Context(), e.group)
		if _, err := e.f.present(t.Context(), e.group, s1, set, "ann", SourceButton, s1.End.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if got := e.marks(s1)["u:ann"]; got != "late/button" {
			t.Fatalf("ann %q after a press at the last second; want late/button", got)
		}
	})
}

// TestMark_Facilitator: facilitators mark platform members and code-only
// entries; a correction is audited with what it was; members cannot mark.
func TestMark_Facilitator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann")
		e.addMember(bot.Member{Code: "C-7"})
		e.schedule(3)
		if out := e.cmd(fac, "attendance mark present code:C-7"); !strings.Contains(out, "has not held a session yet") {
			t.Fatalf("mark before any session: %s", out)
		}
		e.sleepUntil(minute(t, 0, 70))
		for _, c := range []struct{ cmd, want string }{
			{"attendance mark present code:C-7", "Marked C-7 present at session 1"},
			{"attendance mark excused code:c-7 session:1", "It was present; the correction is in the audit log"},
			{"attendance mark late user:ann", "Marked Ann late at session 1"},
			{"attendance mark late code:C-9", "No one on tuesday's roster has the code C-9"},
			{"attendance mark late code:C-7 session:5", "held no session 5"},
			{"attendance mark late code:C-7 session:x", "neither a session number nor a date"},
			{"attendance mark late", "Say who"},
			{"attendance mark maybe code:C-7", "is not one of present, late, excused, absent"},
		} {
			if out := e.cmd(fac, c.cmd); !strings.Contains(out, c.want) {
				t.Errorf("%s: %s; want %q", c.cmd, out, c.want)
			}
		}
		if out := e.cmd("ann", "attendance mark present user:ann"); !strings.Contains(out, "Only facilitators") {
			t.Errorf("a member marking: %s", out)
		}
		log, err := e.db.AuditLog(t.Context(), e.group.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		var acts []string
		for _, a := range log {
			if strings.HasPrefix(a.Action, "attendance.") {
				acts = append(acts, a.Action+" "+a.Detail)
			}
		}
		joined := strings.Join(acts, "\n")
		for _, w := range []string{"attendance.correct session=1 member=2 status=present→excused", "attendance.correct session=1 member=1 status=absent→late"} {
			if !strings.Contains(joined, w) {
				t.Errorf("audit lacks %q:\n%s", w, joined)
			}
		}
	})
}

// TestReport_Chat: the facilitators' report lists each session and each
// member's rate, streak and last session; members cannot see it.
func TestReport_Chat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "bob")
		e.schedule(3)
		for week := range 3 {
			e.sleepUntil(minute(t, week, 1))
			e.press("ann", e.hereButton(e.session(week+1)), "I'm here")
			if week == 0 {
				e.press("bob", e.hereButton(e.session(1)), "I'm here")
			}
		}
		e.sleepUntil(minute(t, 2, 70))
		out := e.cmd(fac, "attendance report")
		for _, w := range []string{"3 sessions, all sessions", "1. 2000-01-04 18:00 — 2 present, 0 late, 0 excused, 0 absent",
			"Ann — 100% (3 of 3), came to the last 3, last came 2000-01-18 18:00", "Bob — 33% (1 of 3), missed the last 2, last came 2000-01-04 18:00"} {
			if !strings.Contains(out, w) {
				t.Errorf("report lacks %q:\n%s", w, out)
			}
		}
		if out := e.cmd(fac, "attendance report from:2000-01-10"); !strings.Contains(out, "2 sessions, from 2000-01-10") {
			t.Errorf("ranged report: %s", out)
		}
		if out := e.cmd(fac, "attendance report from:2000-01-10 to:2000-01-01"); !strings.Contains(out, "to: is before from:") {
			t.Errorf("bad range: %s", out)
		}
		if out := e.cmd("ann", "attendance report"); !strings.Contains(out, "Only facilitators") {
			t.Errorf("a member asking for the report: %s", out)
		}
	})
}

// TestDisabled: a group that turned attendance off gets no button, no
// marks and no summary.
func TestDisabled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann")
		s := Defaults()
		s.Enabled = false
		e.settings(s)
		e.schedule(2)
		e.sleepUntil(minute(t, 0, 70))
		s1 := e.session(1)
		if got := e.marks(s1); len(got) != 0 {
			t.Fatalf("marks %v; want none", got)
		}
		if out := e.cmd(fac, "attendance mark present user:ann"); !strings.Contains(out, "does not record attendance") {
			t.Fatalf("a mark with attendance off: %s", out)
		}
		for _, d := range e.rec.Deliveries() {
			if strings.HasPrefix(d.Out.Key, "attendance.") {
				t.Fatalf("delivered %s with attendance off", d.Out.Key)
			}
		}
	})
}

// TestSession_ChannelMembers: who counts is the roster and whoever is in
// the group's channel; facilitators and owners off the roster are not
// counted, and under minimal privacy a channel member without a roster
// code is counted but never named.
func TestSession_ChannelMembers(t *testing.T) {
	for _, privacy := range []bot.Privacy{bot.PrivacyStandard, bot.PrivacyMinimal} {
		t.Run(string(privacy), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &bottest.Platform{}
				rec.SetMembers("tuesday", bot.User{ID: "ann", Name: "Ann"}, bot.User{ID: "zed", Name: "Zed Channel"}, bot.User{ID: fac, Name: "Fac"},
					bot.User{ID: "owner", Name: "Owner"}, bot.User{ID: "helper-bot", Bot: true})
				e := newEnvOn(t, rec)
				e.inspect = true
				e.restart()
				g := e.group
				g.Privacy = privacy
				if _, _, err := e.db.UpdateGroup(t.Context(), "console:fac", g); err != nil {
					t.Fatal(err)
				}
				e.group = g
				e.addMember(bot.Member{User: "ann", Code: "C-1"})
				e.schedule(2)
				// zed takes part: said they would come.
				e.sleepUntil(minute(t, 0, -30))
				if out := e.cmd("zed", "rsvp yes"); !strings.Contains(out, "coming to session 1") {
					t.Fatalf("zed's rsvp: %s", out)
				}
				e.sleepUntil(minute(t, 0, 1))
				e.press("ann", e.hereButton(e.session(1)), "I'm here")
				e.press(fac, e.hereButton(e.session(1)), "I'm here") // staff: not counted
				e.sleepUntil(minute(t, 0, 70))
				// A check-in answer by the facilitator after the end is not
				// counted either.
				if err := e.b.PublishPresence(t.Context(), &bot.Presence{Group: e.group, SessionID: e.session(1).ID, User: fac, Source: SourceCheckin,
					At: minute(t, 0, 59)}); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				got := e.marks(e.session(1))
				if len(got) != 2 || got["u:ann"] != "present/button" || got["u:zed"] != "absent/none" {
					t.Fatalf("marks %v; want ann present and zed absent, no staff, no bot", got)
				}
				sum := e.dmsTo(fac, SummaryKey(e.session(1).ID))
				if len(sum) != 1 {
					t.Fatalf("%d summaries", len(sum))
				}
				if privacy == bot.PrivacyMinimal {
					if strings.Contains(sum[0], "Zed") || strings.Contains(sum[0], "Ann") || !strings.Contains(sum[0], "Present: C-1") ||
						!strings.Contains(sum[0], "1 person in the channel has no roster code, so they are counted but not named here") {
						t.Fatalf("minimal summary:\n%s", sum[0])
					}
					return
				}
				if !strings.Contains(sum[0], "Absent: Zed Channel") {
					t.Fatalf("summary:\n%s", sum[0])
				}
			})
		})
	}
}
