package checkins_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/checkins"
)

// makeMinimal turns the test group to privacy: minimal, as a facilitator
// or the config file would, after check-ins were set up.
func makeMinimal(t *testing.T, e *env) {
	t.Helper()
	g, err := e.db.GroupByID(t.Context(), e.group.ID)
	if err != nil {
		t.Fatal(err)
	}
	g.Privacy = bot.PrivacyMinimal
	if _, _, err := e.db.UpdateGroup(t.Context(), "console:fac", g); err != nil {
		t.Fatal(err)
	}
	e.group = g
}

// TestCheckIn_MinimalEveryPath: privacy: minimal keeps typed words out on
// every path, not only where a check-in is set: word and text check-ins
// set in chat before the group became minimal (and kept by a file that
// declares no checkins:) are asked as traffic, at a session's start and
// between sessions, and the facilitators are told why; a text check-in
// opened before takes no typed answer, stores nothing typed and shows no
// earlier words in its summary; a DM's words are not stored with its
// alert.
func TestCheckIn_MinimalEveryPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		e.schedule()
		for _, c := range []string{
			`checkin schedule at:start kind:text prompt:"What's on your mind?"`,
			`checkin schedule at:between kind:word cron:"0 12 * * WED"`,
		} {
			if out := e.cmd("fac", c); !strings.Contains(out, "Saved") {
				t.Fatalf("%s: %s", c, out)
			}
		}
		// A text check-in opened now, answered by ann, while the group is
		// standard.
		e.cmd("fac", `checkin start kind:text window:2h`)
		open := e.checkInPost()
		e.submit("ann", groupChannel, e.press("ann", open, "Answer privately"), "a long week, honestly")
		bobForm := e.press("bob", open, "Answer privately")

		makeMinimal(t, e)
		// The file declares the group without checkins: chat's settings stay.
		if err := e.ci.ApplySection(t.Context(), checkins.SectionCheckIns, e.group, nil); err != nil {
			t.Fatal(err)
		}

		// The open text check-in takes no typed answer now.
		if r := replyText(e.press("cat", open, "Answer privately")); !strings.Contains(r, "privacy: minimal") {
			t.Errorf("opening the form in a minimal group: %s", r)
		}
		if r := replyText(e.submit("bob", groupChannel, bobForm, "i typed this after it changed")); !strings.Contains(r, "not recorded") {
			t.Errorf("a form submitted in a minimal group: %s", r)
		}
		as, err := e.db.CheckInAnswers(t.Context(), 1)
		if err != nil || len(as) != 1 || as[0].User != "ann" {
			t.Fatalf("answers stored: %+v %v; want only ann's, from before", as, err)
		}
		if out := e.cmd("fac", "checkin summary"); !has(out, "answered (words not shown: privacy minimal)") || strings.Contains(out, "a long week") {
			t.Errorf("summary in a minimal group:\n%s", out)
		}
		e.cmd("fac", "checkin close")

		// Between the sessions of the 4th and the 11th, Wednesday 5 January
		// at noon: traffic, by DM.
		e.sleepUntil(at(t, "2000-01-05 12:00").Add(time.Second))
		dms := e.dmsTo("cat")
		if len(dms) != 1 || !has(render(dms[0].Out.Message), "[Green] [Yellow] [Red] [Pass]") || strings.Contains(render(dms[0].Out.Message), "Answer privately") {
			t.Fatalf("between-session check-in in a minimal group: %s", joinTexts(dms))
		}
		// At the session's start, Tuesday 11 January: traffic in the channel.
		e.sleepUntil(at(t, "2000-01-11 18:00").Add(30 * time.Second))
		post := e.checkInPost()
		if text := render(post.Out.Message); !has(text, "[Green] [Yellow] [Red] [Pass]") || strings.Contains(text, "What's on your mind?") {
			t.Errorf("session-start check-in in a minimal group:\n%s", text)
		}
		var notes []string
		for _, d := range e.postsIn(facsChannel) {
			if d.Out.Message.Title == "A check-in was asked without typed answers" {
				notes = append(notes, render(d.Out.Message))
			}
		}
		// Sessions on the 4th and the 11th, between them the 5th: a note each.
		if len(notes) != 3 || !has(notes[0], "privacy: minimal", "instead of the text check-in", "at:start kind:traffic") ||
			!has(notes[1], "instead of the word check-in", "at:between kind:traffic") || !has(notes[2], "instead of the text check-in") {
			t.Errorf("notes to the facilitators:\n%s", strings.Join(notes, "\n---\n"))
		}
		// A DM in crisis: the alert is kept without the words.
		e.dm("dan", "i want to end my life tonight")
		al := e.alerts()
		if len(al) == 0 {
			t.Fatal("no alert")
		}
		a, err := e.db.SafetyAlert(t.Context(), 1)
		if err != nil || a.LatestWords != "" || len(a.Families) == 0 {
			t.Errorf("the alert of a minimal group keeps %q (%v)", a.LatestWords, err)
		}
	})
}

// TestMinimal_NotOnRosterNotNamed: in a privacy: minimal group, someone in
// its channel but not on its roster is never named or mentioned in a
// summary or an alert: they are a member not on the roster with a stable
// pseudonymous code, the same in both; only the facilitator who takes the
// alert learns who, in their private reply, to reach them.
func TestMinimal_NotOnRosterNotNamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnvOnRec(t, bot.PrivacyMinimal, rec, bottest.InspectorPlatform{Platform: rec})
		rec.SetPrivate(facsChannel, true)
		rec.SetMembers(groupChannel, bot.User{Platform: "console", ID: "eve"})
		e.cmd("fac", "checkin start kind:traffic")
		e.press("eve", e.checkInPost(), "Yellow")
		e.cmd("fac", "checkin close")
		sum := render(e.lastPostIn(facsChannel).Out.Message)
		code := e.b.Codec().Pseudonym("checkins/group/1", "eve")
		if !has(sum, "a member not on the roster ("+code+"): yellow") || namesEve(sum) {
			t.Errorf("summary:\n%s", sum)
		}
		e.dm("eve", "i want to kill myself")
		al := e.alerts()
		if len(al) != 1 {
			t.Fatalf("alerts: %s", joinTexts(al))
		}
		if text := render(al[0].Out.Message); !has(text, "a member not on the roster ("+code+") in group tuesday") || namesEve(text) {
			t.Errorf("alert:\n%s", text)
		}
		if r := replyText(e.press("fac", al[0], "I'm on it")); !has(r, "Reach out to a member not on the roster ("+code+"), who is @eve") {
			t.Errorf("the taker's private reply: %s", r)
		}
		if now := e.content(al[0]); namesEve(now) {
			t.Errorf("the taken alert names them:\n%s", now)
		}
	})
}

// namesEve reports whether s names eve ("eve" or "@eve" as a word).
func namesEve(s string) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\n' || r == ',' || r == ':' || r == '(' || r == ')' }) {
		if w == "eve" || w == "@eve" {
			return true
		}
	}
	return false
}

// TestCheckInSchedule_WindowCaps: from chat, a check-in at a session's
// start is capped at 12 hours, as in the config; one between sessions at a
// week.
func TestCheckInSchedule_WindowCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		if out := e.cmd("fac", "checkin schedule at:start window:13h"); !has(out, "window: 13h is out of range", "from 1m to 12h") {
			t.Errorf("a 13-hour window at the start: %s", out)
		}
		if out := e.cmd("fac", "checkin schedule at:start window:12h"); !strings.Contains(out, "Saved") {
			t.Errorf("a 12-hour window at the start: %s", out)
		}
		if out := e.cmd("fac", `checkin schedule at:between cron:"0 12 * * FRI" window:48h`); !strings.Contains(out, "Saved") {
			t.Errorf("a 48-hour window between sessions: %s", out)
		}
		if out := e.cmd("fac", `checkin schedule at:between window:169h`); !has(out, "from 1m to 168h") {
			t.Errorf("a 169-hour window between sessions: %s", out)
		}
	})
}
