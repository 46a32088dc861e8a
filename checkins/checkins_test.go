package checkins_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// ownPosts returns the check-in feature's posts in the group's channel
// (not the reminders').
func (e *env) ownPosts() []bottest.Delivery {
	var out []bottest.Delivery
	for _, d := range e.postsIn(groupChannel) {
		if strings.HasPrefix(d.Out.Key, "checkins/") {
			out = append(out, d)
		}
	}
	return out
}

// checkInPost returns the check-in post in the group's channel.
func (e *env) checkInPost() bottest.Delivery {
	e.t.Helper()
	for _, d := range slices_reverse(e.postsIn(groupChannel)) {
		if strings.HasPrefix(d.Out.Message.Title, "Check-in — ") {
			return d
		}
	}
	e.t.Fatalf("no check-in was posted in #%s; posts: %s", groupChannel, joinTexts(e.postsIn(groupChannel)))
	return bottest.Delivery{}
}

func slices_reverse(ds []bottest.Delivery) []bottest.Delivery {
	out := make([]bottest.Delivery, len(ds))
	for i, d := range ds {
		out[len(ds)-1-i] = d
	}
	return out
}

// TestCheckIn_AtSessionStart: a traffic check-in is posted in the channel
// when the session starts; three members answer (one passes, one red);
// each sees only their own private confirmation; the red answer alerts the
// facilitators privately; when the window closes the facilitators get the
// summary in their private channel; the tally is posted only once at least
// three answered (the next session), with the change since last time.
func TestCheckIn_AtSessionStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		e.schedule()
		if out := e.cmd("fac", "checkin schedule at:start kind:traffic share_tally:yes"); !has(out, "Saved", "traffic") {
			t.Fatalf("checkin schedule: %s", out)
		}
		e.sleepUntil(at(t, "2000-01-04 18:00").Add(30 * time.Second))
		post := e.checkInPost()
		text := render(post.Out.Message)
		if !has(text, "How are you arriving today?", "[Green] [Yellow] [Red] [Pass]", "Only you and the group's facilitators see your answer",
			"a facilitator is told privately", "kept 90 days", "not watched around the clock") {
			t.Fatalf("check-in post:\n%s", text)
		}
		s1, err := e.db.RecentSessions(t.Context(), e.group.ID, time.Now().Add(time.Hour), 1)
		if err != nil || len(s1) != 1 {
			t.Fatal(err)
		}

		ann := e.press("ann", post, "Green")
		bob := e.press("bob", post, "Red")
		cat := e.press("cat", post, "Pass")
		for who, outs := range map[string][]bot.Outbound{"ann": ann, "bob": bob, "cat": cat} {
			if len(outs) != 1 || outs[0].Kind != bot.OutReply || !outs[0].Ephemeral {
				t.Fatalf("%s's answer was confirmed with %+v; want one private reply", who, outs)
			}
		}
		if r := replyText(ann); !has(r, "recorded: green", "Only you and the facilitators see it") || strings.Contains(r, "red") {
			t.Errorf("ann's confirmation: %s", r)
		}
		if r := replyText(cat); !has(r, "pass") {
			t.Errorf("cat's confirmation: %s", r)
		}
		br := replyText(bob)
		if !has(br, "recorded: red", "hard right now", "facilitators in tuesday know privately", resources, "not watched around the clock") || !bob[0].Urgent {
			t.Errorf("bob's confirmation (urgent %v): %s", bob[0].Urgent, br)
		}
		// Nothing new in the group's channel: answers are private.
		if n := len(e.ownPosts()); n != 1 {
			t.Errorf("%d posts in the group's channel after the answers; want only the check-in:\n%s", n, joinTexts(e.ownPosts()))
		}
		facs := e.postsIn(facsChannel)
		if len(facs) != 1 || !facs[0].Out.Urgent || !has(render(facs[0].Out.Message), "Safety alert", "bob in group tuesday", "They answered: red", "[I'm on it]") {
			t.Fatalf("facilitators' channel after the red answer: %s", joinTexts(facs))
		}
		for _, u := range []bot.UserID{"ann", "bob", "cat"} {
			if src, ok := e.presence.Load(fmt.Sprintf("%s/%d", u, s1[0].ID)); !ok || src != "checkin" {
				t.Errorf("attendance was not told %s checked in during the session (%v)", u, src)
			}
		}

		// The window (15 minutes) closes: the summary, privately; no tally.
		e.sleepUntil(at(t, "2000-01-04 18:16"))
		facs = e.postsIn(facsChannel)
		if len(facs) != 2 {
			t.Fatalf("facilitators' channel after the window: %s", joinTexts(facs))
		}
		sum := render(facs[1].Out.Message)
		if !has(sum, "Check-in summary — tuesday", "Answered (2)", "ann: green", "bob: red", "Passed (1): cat", "No answer yet (1): dan") {
			t.Fatalf("summary:\n%s", sum)
		}
		if n := len(e.ownPosts()); n != 1 {
			t.Errorf("a tally was posted with only 2 answers:\n%s", joinTexts(e.ownPosts()))
		}
		j, err := e.db.JobByKey(t.Context(), fmt.Sprintf("checkins.close/%d", 1))
		if err != nil || !has(j.Note, "2 of 4 answered", "no tally") {
			t.Errorf("close job %+v %v", j, err)
		}

		// Next week: four answer, three with a level: the tally, once.
		e.sleepUntil(at(t, "2000-01-11 18:01"))
		post = e.checkInPost()
		e.press("ann", post, "Green")
		e.press("bob", post, "Yellow")
		e.press("cat", post, "Green")
		e.press("dan", post, "Pass")
		e.sleepUntil(at(t, "2000-01-11 18:20"))
		var tallies []bottest.Delivery
		for _, d := range e.postsIn(groupChannel) {
			if strings.Contains(d.Out.Message.Title, "how the group is doing") {
				tallies = append(tallies, d)
			}
		}
		if len(tallies) != 1 || !has(render(tallies[0].Out.Message), "Arriving today: green 2, yellow 1.", "3 answered") {
			t.Fatalf("tallies: %s", joinTexts(tallies))
		}
		sum = render(e.lastPostIn(facsChannel).Out.Message)
		if !has(sum, "bob: yellow (up from red)", "ann: green (same as last time)", "Passed (1): dan") {
			t.Fatalf("second summary:\n%s", sum)
		}
		log := e.cmd("fac", "session log 2")
		if !has(log, "checkins at the start: done", "check-in asked: asked in the channel", "check-in closes (summary): closed: 3 of 4 answered, 1 passed; summary in the facilitators' channel; tally posted") {
			t.Errorf("session log:\n%s", log)
		}
	})
}
