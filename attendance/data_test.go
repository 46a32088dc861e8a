package attendance

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store/storetest"
)

// forgetReply runs /tend forget as user and returns the reply with its
// confirmation buttons.
func (e *env) forgetReply(user bot.UserID, args string) bot.Outbound {
	e.t.Helper()
	outs, text := e.cmdOuts(user, e.group.Address.Channel, strings.TrimSpace("forget "+args))
	if len(outs) != 1 || len(outs[0].Message.Buttons) == 0 {
		e.t.Fatalf("forget %s: %s; want a confirmation with buttons", args, text)
	}
	if !outs[0].Ephemeral {
		e.t.Fatalf("forget's confirmation is not private")
	}
	return outs[0]
}

// TestMyData_ThenForget: mydata shows a member what tend holds about them;
// forget asks first, with a button only they can press, then erases it,
// tells the other features (MemberGone) and removes, in later passes, the
// finished jobs that named them.
func TestMyData_ThenForget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "quinn7", "bob")
		e.schedule(2)
		e.sleepUntil(minute(t, 0, -30))
		e.cmd("quinn7", "rsvp yes")
		e.sleepUntil(minute(t, 0, 1))
		e.press("quinn7", e.hereButton(e.session(1)), "I'm here")
		e.sleepUntil(minute(t, 0, 70))

		out := e.cmdIn("quinn7", "dm-quinn7", "mydata")
		for _, w := range []string{"What tend holds about you", "Groups you are in: tuesday: roster entry #1 (active)", `name "Quinn7"`,
			`Your RSVPs: tuesday: session 1 (2000-01-04 18:00): you answered "yes"`,
			"Your attendance: tuesday: session 1 (2000-01-04 18:00): present, from button, arrived 2000-01-04 18:01",
			`What counted as presence: tuesday: session 1: you pressed "I'm here" at 2000-01-04 18:01`} {
			if !strings.Contains(out, w) {
				t.Errorf("mydata lacks %q:\n%s", w, out)
			}
		}
		if out := e.cmdIn("zed", "dm-zed", "mydata"); !strings.Contains(out, "tend holds nothing about you on console") {
			t.Errorf("mydata of a stranger: %s", out)
		}

		confirm := e.forgetReply("quinn7", "")
		if !strings.Contains(confirm.Message.Text, "If you facilitate a group, you lose your facilitator rights there") {
			t.Errorf("the confirmation does not say a facilitator loses their rights: %s", confirm.Message.Text)
		}
		ref := bot.MessageRef{Platform: bot.PlatformConsole, Channel: e.group.Address.Channel, ID: "reply"}
		if out := e.pressOn("bob", ref, confirm.Message, "Erase my data"); !strings.Contains(out, "sent to someone else") {
			t.Fatalf("bob pressed quinn7's button: %s", out)
		}
		if out := e.pressOn("quinn7", ref, confirm.Message, "Keep it"); !strings.Contains(out, "Nothing was erased") {
			t.Fatalf("keep: %s", out)
		}
		out = e.pressOn("quinn7", ref, confirm.Message, "Erase my data")
		if !strings.Contains(out, "Done: tend erased") || !strings.Contains(out, `"erased member #1"`) {
			t.Fatalf("erase: %s", out)
		}
		// The features hear of it, and the passes clear what they leave.
		e.sleepUntil(minute(t, 0, 75))
		if got := e.seenGone(); len(got) != 1 || got[0] != "tuesday/quinn7" {
			t.Fatalf("MemberGone events %v; want tuesday/quinn7 once", got)
		}
		if out := e.cmdIn("quinn7", "dm-quinn7", "mydata"); strings.Contains(out, "Your attendance") || strings.Contains(out, "Groups you are in") ||
			!strings.Contains(out, "Not tracked: you asked tend to forget you") {
			t.Fatalf("mydata after forget: %s", out)
		}
		if n, err := e.db.JobsNaming(t.Context(), bot.PlatformConsole, "quinn7", 0, 0); err != nil || n != 0 {
			t.Fatalf("jobs naming quinn7: %d, %v", n, err)
		}
		jobs, err := e.db.SessionJobs(t.Context(), e.session(1).ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if strings.Contains(j.Key, "/quinn7") || strings.Contains(string(j.Payload), `"quinn7"`) {
				t.Errorf("job %s still names quinn7", j.Key)
			}
		}
		erase, err := e.db.JobByKey(t.Context(), KindErase+"/1/1")
		if err != nil || erase.State != bot.JobDone || len(erase.Payload) != 0 {
			t.Fatalf("erasure pass: %+v, %v; want done with its payload cleared", erase, err)
		}
		// bob's data stays.
		if got := e.marks(e.session(1)); got["u:bob"] != "absent/none" || len(got) != 1 {
			t.Fatalf("marks after quinn7's erasure: %v; want bob's only", got)
		}
		// Not one row of any table names them.
		if hits := storetest.Scan(t, e.path, storetest.Person{Needles: []string{"quinn7", "Quinn7"}, Members: []int64{1}}); len(hits) != 0 {
			t.Fatalf("rows still naming the member: %v", hits)
		}
		// Pressing again erases nothing more.
		if out := e.pressOn("quinn7", ref, confirm.Message, "Erase my data"); !strings.Contains(out, "tend holds nothing about you") {
			t.Fatalf("second erase: %s", out)
		}
	})
}

// TestForget_Facilitator: a facilitator erases a code-only roster entry
// of their group; members cannot erase others.
func TestForget_Facilitator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann")
		c := e.addMember(bot.Member{Code: "C-5"})
		e.schedule(2)
		e.sleepUntil(minute(t, 0, 70))
		if got := e.marks(e.session(1)); got[bot.Attendee{MemberID: c.ID}.Key()] != "absent/none" {
			t.Fatalf("marks %v", got)
		}
		if out := e.cmd("ann", "forget code:C-5"); !strings.Contains(out, "Only facilitators of tuesday can erase someone else's data") {
			t.Fatalf("a member erasing another: %s", out)
		}
		if out := e.cmd(fac, "forget code:C-9"); !strings.Contains(out, "No one on tuesday's roster has the code C-9") {
			t.Fatalf("unknown code: %s", out)
		}
		confirm := e.forgetReply(fac, "code:C-5")
		if !strings.Contains(confirm.Message.Title, "Erase C-5 from tuesday?") {
			t.Fatalf("confirmation %q", confirm.Message.Title)
		}
		ref := bot.MessageRef{Platform: bot.PlatformConsole, Channel: e.group.Address.Channel, ID: "reply"}
		if out := e.pressOn(fac, ref, confirm.Message, "Erase"); !strings.Contains(out, "Erased") {
			t.Fatalf("erase: %s", out)
		}
		if got := e.marks(e.session(1)); len(got) != 1 {
			t.Fatalf("marks after erasing C-5: %v; want ann's only", got)
		}
		if _, err := e.db.MemberByCode(t.Context(), e.group.ID, "C-5"); err == nil {
			t.Fatal("the roster entry is still there")
		}
		if out := e.pressOn(fac, ref, confirm.Message, "Erase"); !strings.Contains(out, "erased already") {
			t.Fatalf("second erase: %s", out)
		}
	})
}

// TestForget_StopsTracking: a member who erased their data and stays in
// the group's channel is not tracked again — two more sessions end while
// they sit in the voice channel and do nothing: not a row names them, no
// mark, no flag, no "we missed you" DM (another absent member gets one,
// so DMs do go out) — until they opt back in and show up.
func TestForget_StopsTracking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		rec.SetMembers("tuesday", bot.User{ID: "quinn7", Name: "Quinn7"}, bot.User{ID: "bob", Name: "Bob"})
		e := newEnvOn(t, rec, "quinn7", "bob")
		e.inspect = true
		e.restart()
		set := voiceSettings()
		set.AlertAfter, set.MissedYouDM = 1, true
		e.settings(set)
		e.schedule(5)
		e.sleepUntil(minute(t, 0, 1))
		e.press("quinn7", e.hereButton(e.session(1)), "I'm here")
		e.sleepUntil(minute(t, 0, 70))
		confirm := e.forgetReply("quinn7", "")
		if !strings.Contains(render(confirm.Message), "/tend optin") {
			t.Errorf("the confirmation does not say that tracking stops and how to undo it:\n%s", render(confirm.Message))
		}
		ref := bot.MessageRef{Platform: bot.PlatformConsole, Channel: e.group.Address.Channel, ID: "reply"}
		if out := e.pressOn("quinn7", ref, confirm.Message, "Erase my data"); !strings.Contains(out, "will not count your attendance") {
			t.Fatalf("erase: %s", out)
		}
		// Session 2: in the voice channel all along, and a check-in answer
		// reaches attendance; session 3: in the channel, nothing.
		e.sleepUntil(minute(t, 1, 1))
		e.voiceEvent("quinn7", "voice-1", true)
		e.sleepUntil(minute(t, 1, 59))
		e.voiceEvent("quinn7", "voice-1", false)
		e.sleepUntil(minute(t, 2, 1))
		if out := e.press("quinn7", e.hereButton(e.session(3)), "I'm here"); !strings.Contains(out, "You asked tend to forget you") || !strings.Contains(out, "/tend optin") {
			t.Fatalf("quinn7 pressing I'm here: %s", out)
		}
		e.sleepUntil(minute(t, 2, 70))
		for _, n := range []int{2, 3} {
			got := e.marks(e.session(n))
			if _, ok := got["u:quinn7"]; ok || got["u:bob"] != "absent/none" {
				t.Errorf("session %d marks %v; want bob's only", n, got)
			}
		}
		if d := e.dmsTo("quinn7", ""); len(d) != 0 {
			t.Errorf("quinn7 got %d DMs after forget: %q", len(d), d)
		}
		if n := len(e.dmsTo("bob", "attendance.missed/")); n == 0 {
			t.Error("bob, absent, got no missed-you DM: the test proves nothing about quinn7")
		}
		for _, n := range []int{2, 3} {
			for _, key := range []string{SummaryKey(e.session(n).ID), DriftKey(e.session(n).ID)} {
				for _, d := range e.dmsTo(fac, key) {
					if strings.Contains(d, "Quinn7") || strings.Contains(d, "quinn7") {
						t.Errorf("a message to the facilitator names quinn7:\n%s", d)
					}
				}
			}
		}
		if hits := storetest.Scan(t, e.path, storetest.Person{Needles: []string{"quinn7", "Quinn7"}, Members: []int64{1}}); len(hits) != 0 {
			t.Fatalf("rows naming quinn7 after two more sessions: %v", hits)
		}
		// A check-in answer they gave on their own is not counted as
		// presence either.
		if err := e.b.PublishPresence(t.Context(), &bot.Presence{Group: e.group, SessionID: e.session(3).ID, User: "quinn7", Source: SourceCheckin, At: minute(t, 2, 30)}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if ps, err := e.db.Presences(t.Context(), e.session(3).ID); err != nil || len(ps) != 0 {
			t.Fatalf("presence recorded for quinn7: %+v, %v", ps, err)
		}
		if out := e.cmdIn("quinn7", "dm-quinn7", "mydata"); !strings.Contains(out, "Not tracked") || !strings.Contains(out, "/tend optin") {
			t.Errorf("mydata does not say how to be counted again: %s", out)
		}
		// Back in: counted from the next time they show up.
		if out := e.cmdIn("quinn7", "dm-quinn7", "optin"); !strings.Contains(out, "Welcome back") {
			t.Fatalf("optin: %s", out)
		}
		e.sleepUntil(minute(t, 3, 1))
		e.press("quinn7", e.hereButton(e.session(4)), "I'm here")
		e.sleepUntil(minute(t, 3, 70))
		if got := e.marks(e.session(4))["u:quinn7"]; got != "present/button" {
			t.Fatalf("quinn7 at session 4 after opting in: %q; want present/button", got)
		}
	})
}
