package attendance

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// TestDrift_NoMissedYouWithoutOptIn: a group that did not opt in to the
// "we missed you" DM flags a drifting member to the facilitators and sends
// the member nothing.
func TestDrift_NoMissedYouWithoutOptIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "fay")
		set := voiceSettings() // missed_you_dm is off by default
		if set.MissedYouDM {
			t.Fatal("the settings opt in; the test needs a group that did not")
		}
		e.settings(set)
		e.schedule(3)
		for week := range 2 {
			e.sleepUntil(minute(t, week, 1))
			e.press("ann", e.hereButton(e.session(week+1)), "I'm here")
		}
		e.sleepUntil(minute(t, 1, 70))
		drift := e.dmsTo(fac, DriftKey(e.session(2).ID))
		if len(drift) != 1 || !strings.Contains(drift[0], "Fay — 2 sessions in a row") {
			t.Fatalf("drift after session 2: %q; want fay flagged", drift)
		}
		if strings.Contains(drift[0], "we missed you") {
			t.Errorf("the facilitators are told of a missed-you message the group did not ask for:\n%s", drift[0])
		}
		if d := e.rec.DMsTo("fay"); len(d) != 0 {
			t.Fatalf("fay got %d DMs (%s); the group did not opt in to the missed-you message", len(d), d[0].Out.Key)
		}
	})
}

// TestSummary_RSVPAgainstWhatHappened: the facilitators' summary sets what
// members said against what they did — said they'd come and did not, said
// they couldn't and came anyway — and counts it.
func TestSummary_RSVPAgainstWhatHappened(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "bob", "cat", "dan")
		e.schedule(2)
		e.sleepUntil(minute(t, 0, -30))
		for u, answer := range map[bot.UserID]string{"ann": "yes", "bob": "yes", "cat": "no", "dan": "no"} {
			if out := e.cmd(u, "rsvp "+answer); !strings.Contains(out, "session 1") {
				t.Fatalf("%s rsvp %s: %s", u, answer, out)
			}
		}
		e.sleepUntil(minute(t, 0, 1))
		ref := e.hereButton(e.session(1))
		e.press("ann", ref, "I'm here") // said yes, came
		e.press("cat", ref, "I'm here") // said no, came anyway
		// bob said yes and did not come; dan said no and did not.
		e.sleepUntil(minute(t, 0, 70))
		got := e.marks(e.session(1))
		for k, w := range map[string]string{"u:ann": "present/button", "u:bob": "absent/none", "u:cat": "present/button", "u:dan": "excused/rsvp"} {
			if got[k] != w {
				t.Errorf("%s: %q; want %q", k, got[k], w)
			}
		}
		sums := e.dmsTo(fac, SummaryKey(e.session(1).ID))
		if len(sums) != 1 {
			t.Fatalf("%d summaries", len(sums))
		}
		for _, w := range []string{"RSVPs: 2 said they'd come and 1 of them came; 2 said they couldn't.",
			"Said they'd come, did not: Bob", "Said they couldn't, came anyway: Cat", "Excused: Dan (said they couldn't come)"} {
			if !strings.Contains(sums[0], w) {
				t.Errorf("summary lacks %q:\n%s", w, sums[0])
			}
		}
		if strings.Contains(sums[0], "did not: Ann") || strings.Contains(sums[0], "came anyway: Dan") {
			t.Errorf("summary sets the wrong members against their RSVP:\n%s", sums[0])
		}
	})
}

// TestSession_ChannelWiderThanRoster: people who can see the group's
// channel but never took part in it — no roster entry, no RSVP, no
// presence, no agreement — are never marked absent, flagged or sent a
// "we missed you" DM; they count as present when they show up, and from
// then on like anyone who takes part.
func TestSession_ChannelWiderThanRoster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		rec.SetMembers("tuesday", bot.User{ID: "ann", Name: "Ann"}, bot.User{ID: "zed", Name: "Zed"},
			bot.User{ID: "yan", Name: "Yan"}, bot.User{ID: "xia", Name: "Xia"}, bot.User{ID: fac, Name: "Fac"})
		e := newEnvOn(t, rec, "ann")
		e.inspect = true
		e.restart()
		set := voiceSettings()
		set.MissedYouDM = true
		e.settings(set)
		e.schedule(4)
		// zed takes part by answering an RSVP; yan and xia never do.
		e.sleepUntil(minute(t, 0, -30))
		e.cmd("zed", "rsvp yes")
		for week := range 3 {
			e.sleepUntil(minute(t, week, 1))
			e.press("ann", e.hereButton(e.session(week+1)), "I'm here")
			if week == 1 {
				e.press("xia", e.hereButton(e.session(2)), "I'm here") // shows up once
			}
		}
		e.sleepUntil(minute(t, 2, 70))
		want := []map[string]string{
			{"u:ann": "present/button", "u:zed": "absent/none"},
			{"u:ann": "present/button", "u:zed": "absent/none", "u:xia": "present/button"},
			{"u:ann": "present/button", "u:zed": "absent/none", "u:xia": "absent/none"},
		}
		for i, w := range want {
			got := e.marks(e.session(i + 1))
			if len(got) != len(w) {
				t.Errorf("session %d marks %v; want %v", i+1, got, w)
				continue
			}
			for k, v := range w {
				if got[k] != v {
					t.Errorf("session %d %s: %q; want %q", i+1, k, got[k], v)
				}
			}
		}
		if d := e.rec.DMsTo("yan"); len(d) != 0 {
			t.Errorf("yan, who never took part, got %d DMs", len(d))
		}
		for n := 1; n <= 3; n++ {
			for _, d := range e.dmsTo(fac, DriftKey(e.session(n).ID)) {
				if strings.Contains(d, "Yan") {
					t.Errorf("yan, who never took part, was flagged:\n%s", d)
				}
			}
			if sums := e.dmsTo(fac, SummaryKey(e.session(n).ID)); len(sums) != 1 || strings.Contains(sums[0], "Yan") {
				t.Errorf("summary of session %d names yan: %q", n, sums)
			}
		}
		if d := e.dmsTo(fac, DriftKey(e.session(2).ID)); len(d) != 1 || !strings.Contains(d[0], "@zed — 2 sessions in a row") {
			t.Errorf("zed, who said they'd come and missed two, was not flagged: %q", d)
		}
	})
}

// TestMark_RefusesNonMembers: a facilitator's mark of an account that is
// neither on the roster nor in the group's channel is refused with the
// reason; someone in the channel, and the correction of a mark someone
// already has, are not. Without a platform that can tell who is in the
// channel (the console), someone who took part before counts as a member.
func TestMark_RefusesNonMembers(t *testing.T) {
	t.Run("platform tells", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rec := &bottest.Platform{}
			rec.SetMembers("tuesday", bot.User{ID: "ann", Name: "Ann"}, bot.User{ID: "zed", Name: "Zed"})
			e := newEnvOn(t, rec, "ann")
			e.inspect = true
			e.restart()
			e.schedule(2)
			e.sleepUntil(minute(t, 0, 70))
			if out := e.cmd(fac, "attendance mark present user:stranger"); !strings.Contains(out, "is not a member of tuesday: they are not on its roster and not in its channel") {
				t.Errorf("marking a stranger: %s", out)
			}
			if got := e.marks(e.session(1)); got["u:stranger"] != "" {
				t.Errorf("the stranger got a mark: %v", got)
			}
			if out := e.cmd(fac, "attendance mark present user:zed"); !strings.Contains(out, "Marked") {
				t.Errorf("marking a channel member: %s", out)
			}
		})
	})
	t.Run("console", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, "ann", "bob")
			e.schedule(2)
			e.sleepUntil(minute(t, 0, -30))
			e.cmd("zed", "rsvp yes") // took part, not on the roster
			e.sleepUntil(minute(t, 0, 70))
			for _, c := range []struct{ cmd, want string }{
				{"attendance mark present user:stranger", "is not a member of tuesday"},
				{"attendance mark present user:zed", "Marked"},
				{"attendance mark excused user:bob", "Marked"},
			} {
				if out := e.cmd(fac, c.cmd); !strings.Contains(out, c.want) {
					t.Errorf("%s: %s; want %q", c.cmd, out, c.want)
				}
			}
			// bob leaves the roster: his mark can still be corrected, but
			// he cannot be given one at a session he has none at.
			bob, err := e.db.MemberByUser(t.Context(), e.group.ID, "bob")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.db.RemoveMember(t.Context(), "console:fac", e.group.ID, bob.ID); err != nil {
				t.Fatal(err)
			}
			if out := e.cmd(fac, "attendance mark absent user:bob session:1"); !strings.Contains(out, "It was excused") {
				t.Errorf("correcting a removed member's mark: %s", out)
			}
			e.sleepUntil(minute(t, 1, 70))
			if out := e.cmd(fac, "attendance mark present user:bob session:2"); !strings.Contains(out, "is not a member of tuesday") {
				t.Errorf("marking a removed member at a later session: %s", out)
			}
		})
	})
}

// TestSession_MemberWhoLeftIsNotAbsent: a member who left the group
// (taken off the roster and out of its channel, MemberGone published) is
// not counted absent at the sessions after, nor flagged for them.
func TestSession_MemberWhoLeftIsNotAbsent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		rec.SetMembers("tuesday", bot.User{ID: "ann", Name: "Ann"}, bot.User{ID: "kim", Name: "Kim"})
		e := newEnvOn(t, rec, "ann", "kim")
		e.inspect = true
		e.restart()
		set := voiceSettings()
		set.MissedYouDM = true
		e.settings(set)
		e.schedule(3)
		e.sleepUntil(minute(t, 0, 70))
		if got := e.marks(e.session(1))["u:kim"]; got != "absent/none" {
			t.Fatalf("kim at session 1: %q; want absent", got)
		}
		// kim leaves, as groups records it: off the roster and out of the
		// channel, and every feature told.
		e.sleepUntil(minute(t, 1, -60))
		kim, err := e.db.MemberByUser(t.Context(), e.group.ID, "kim")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.RemoveMember(t.Context(), "system:platform", e.group.ID, kim.ID); err != nil {
			t.Fatal(err)
		}
		rec.SetMembers("tuesday", bot.User{ID: "ann", Name: "Ann"})
		if err := e.b.PublishMemberGone(t.Context(), &bot.MemberGone{Group: e.group, User: "kim", Why: "left the channel"}); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(minute(t, 2, 70))
		for n := 2; n <= 3; n++ {
			if got, ok := e.marks(e.session(n))["u:kim"]; ok {
				t.Errorf("kim, gone, was marked %q at session %d", got, n)
			}
			for _, d := range e.dmsTo(fac, DriftKey(e.session(n).ID)) {
				if strings.Contains(d, "Kim") {
					t.Errorf("kim, gone, was flagged after session %d:\n%s", n, d)
				}
			}
		}
		if d := e.dmsTo("kim", "attendance.missed/"); len(d) != 0 {
			t.Errorf("kim, gone, got a missed-you DM")
		}
		if got := e.marks(e.session(1))["u:kim"]; got != "absent/none" {
			t.Errorf("kim's earlier mark changed: %q", got)
		}
	})
}

// TestExport_PrivateFileAudited: attendance export hands the facilitator
// the CSV as a file only they get, and writes the export in the audit log
// — who, which dates, how much, never a name or a mark; members cannot
// export.
func TestExport_PrivateFileAudited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann")
		e.schedule(3)
		e.sleepUntil(minute(t, 2, 70))
		outs, _ := e.cmdOuts(fac, e.group.Address.Channel, "attendance export from:2000-01-10")
		if len(outs) != 1 || outs[0].File == nil || !outs[0].Ephemeral {
			t.Fatalf("export answered %+v; want one private reply with a file", outs)
		}
		f := outs[0].File
		if f.Name != "tuesday-attendance.csv" || f.ContentType != "text/csv; charset=utf-8" ||
			!strings.HasPrefix(string(f.Data), BOM+strings.Join(Header, ",")+"\r\n") || strings.Count(string(f.Data), "\r\n") != 3 {
			t.Fatalf("file %s (%s):\n%s", f.Name, f.ContentType, f.Data)
		}
		if !strings.Contains(render(outs[0].Message), "2 marks over 2 sessions (from 2000-01-10)") {
			t.Errorf("export message: %s", render(outs[0].Message))
		}
		log, err := e.db.AuditLog(t.Context(), e.group.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) == 0 || log[0].Action != "attendance.export" || log[0].Actor != "console:fac" ||
			log[0].Detail != "range=2000-01-10.. sessions=2 rows=2 via=chat format=csv" {
			t.Fatalf("audit log %+v; want the export first", log)
		}
		if out := e.cmd("ann", "attendance export"); !strings.Contains(out, "Only facilitators") {
			t.Errorf("a member exporting: %s", out)
		}
		if log2, _ := e.db.AuditLog(t.Context(), e.group.ID, 10); len(log2) != len(log) {
			t.Errorf("a refused export was audited")
		}
	})
}
