package checkins_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// TestCheckIn_DM_WhoIsAsked: a DM check-in asks the members, not the
// facilitators, not a member marked away, not one who has not agreed to
// the group's norms; the first DM says who sees answers and the rest up
// front, later ones only remind; a member whose DMs are closed is never
// named in a shared channel: the facilitators are told privately.
func TestCheckIn_DM_WhoIsAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		e.takesPart = func(u bot.UserID) bool { return u != "cat" }
		if err := e.db.SetAway(t.Context(), e.group.ID, "ann", at(t, "2000-01-20 00:00")); err != nil {
			t.Fatal(err)
		}
		e.setHook(func(o bot.Outbound) error {
			if o.Kind == bot.OutDM && o.User == "dan" {
				return bot.Unreachable("dan's DMs are closed")
			}
			return nil
		})
		if out := e.cmd("fac", "checkin start kind:traffic delivery:dm"); !strings.Contains(out, "by DM") {
			t.Fatalf("checkin start: %s", out)
		}
		for _, u := range []bot.UserID{"ann", "cat", "dan", "fac", "fran"} {
			if n := len(e.dmsTo(u)); n != 0 {
				t.Errorf("%s got %d DMs; want none", u, n)
			}
		}
		bob := e.dmsTo("bob")
		if len(bob) != 1 || !has(render(bob[0].Out.Message), "How are you arriving today?", "Before you answer", "kept 90 days", "[Green] [Yellow] [Red] [Pass]") {
			t.Fatalf("bob's DM: %s", joinTexts(bob))
		}
		facs := e.postsIn(facsChannel)
		if len(facs) != 1 || !has(render(facs[0].Out.Message), "could not be asked privately", "dan") {
			t.Fatalf("facilitators' channel: %s", joinTexts(facs))
		}
		if n := len(e.ownPosts()); n != 0 {
			t.Errorf("posted in the group's channel: %s", joinTexts(e.ownPosts()))
		}
		// The answer in the DM: bound to bob, confirmed privately.
		r := replyText(e.press("bob", bob[0], "Yellow"))
		if !has(r, "recorded: yellow") {
			t.Errorf("bob's answer: %s", r)
		}
		if r := replyText(e.press("ann", bob[0], "Red")); !strings.Contains(r, "sent to someone else") {
			t.Errorf("ann pressing bob's DM button: %s", r)
		}
		if out := e.cmd("fac", "checkin close"); !strings.Contains(out, "Closed the check-in") {
			t.Fatalf("checkin close: %s", out)
		}
		sum := render(e.lastPostIn(facsChannel).Out.Message)
		if !has(sum, "bob: yellow", "Could not be reached by DM (1): dan") || strings.Contains(sum, "ann") || strings.Contains(sum, "cat") {
			t.Errorf("summary:\n%s", sum)
		}
		// A second DM check-in: bob was told up front already.
		e.sleep(time.Minute)
		e.cmd("fac", "checkin start kind:scale delivery:dm")
		bob = e.dmsTo("bob")
		if len(bob) != 2 || strings.Contains(render(bob[1].Out.Message), "Before you answer") {
			t.Errorf("bob's second DM repeats the notice: %s", render(bob[1].Out.Message))
		}
	})
}

// TestCheckIn_TextForm: a text check-in's answer is typed in a form; words
// of risk in it alert the facilitators; a passing answer is recorded as a
// pass; the member can answer with /tend checkin from a DM too.
func TestCheckIn_TextForm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		e.cmd("fac", `checkin start kind:text prompt:"What's on your mind today?"`)
		post := e.checkInPost()
		outs := e.press("ann", post, "Answer privately")
		if len(outs) != 1 || outs[0].Kind != bot.OutModal || outs[0].Modal.Inputs[0].Label != "What's on your mind today?" {
			t.Fatalf("the form: %+v", outs)
		}
		r := replyText(e.submit("ann", groupChannel, outs, "work was ok, a bit tired"))
		if !has(r, "recorded: your answer") || strings.Contains(r, "told privately") {
			t.Errorf("a harmless answer: %s", r)
		}
		// bob answers from a DM with group:tuesday.
		outs = e.cmdOuts("bob", "dm-bob", "checkin group:tuesday")
		if len(outs) != 1 || len(outs[0].Message.Buttons) != 2 {
			t.Fatalf("/tend checkin: %+v", outs)
		}
		form := e.pressOn("bob", bot.MessageRef{Platform: "console", Channel: "dm-bob", ID: "x"}, outs[0].Message, "Answer privately")
		r = replyText(e.submit("bob", "dm-bob", form, "honestly i feel like a burden to everyone"))
		if !has(r, "recorded: your answer", "Thank you for telling me", resources) {
			t.Errorf("a risky answer: %s", r)
		}
		al := e.alerts()
		if len(al) != 1 || !has(render(al[0].Out.Message), "bob in group tuesday", "in a check-in answer", "honestly i feel like a burden to everyone", "feeling a burden") {
			t.Fatalf("alerts: %s", joinTexts(al))
		}
		e.cmd("fac", "checkin close")
		sum := render(e.lastPostIn(facsChannel).Out.Message)
		if !has(sum, `ann: "work was ok, a bit tired"`, `bob: "honestly i feel like a burden to everyone"`) {
			t.Errorf("summary:\n%s", sum)
		}
		if r := replyText(e.press("cat", post, "Pass")); !strings.Contains(r, "closed") {
			t.Errorf("an answer after closing: %s", r)
		}
	})
}

// TestCheckIn_Between: a between-session check-in runs on its own cron in
// the group's zone, as a chain of durable jobs; its nudge goes once, by
// DM, only to members who have not answered, are still in the group and
// not away; a new schedule stops the old chain.
func TestCheckIn_Between(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		out := e.cmd("fac", `checkin schedule at:between cron:"0 12 * * FRI" kind:scale nudge:yes window:24h`)
		if !has(out, "Saved", "between: scale") {
			t.Fatalf("checkin schedule: %s", out)
		}
		// Friday 7 January 2000, noon in London (GMT).
		e.sleepUntil(at(t, "2000-01-07 12:00").Add(time.Second))
		for _, u := range []bot.UserID{"ann", "bob", "cat", "dan"} {
			if n := len(e.dmsTo(u)); n != 1 {
				t.Fatalf("%s got %d DMs at Friday noon; want 1", u, n)
			}
		}
		e.press("ann", e.dmsTo("ann")[0], "4")
		e.press("bob", e.dmsTo("bob")[0], "Pass")
		if err := e.db.SetAway(t.Context(), e.group.ID, "cat", at(t, "2000-01-09 00:00")); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(at(t, "2000-01-08 00:01"))
		for u, want := range map[bot.UserID]int{"ann": 1, "bob": 1, "cat": 1, "dan": 2} {
			if n := len(e.dmsTo(u)); n != want {
				t.Errorf("%s has %d DMs after the nudge; want %d", u, n, want)
			}
		}
		if d := e.dmsTo("dan"); len(d) == 2 && !has(render(d[1].Out.Message), "A gentle reminder", "No pressure") {
			t.Errorf("nudge: %s", render(d[1].Out.Message))
		}
		e.sleepUntil(at(t, "2000-01-14 12:00").Add(time.Second))
		if n := len(e.dmsTo("ann")); n != 2 {
			t.Fatalf("ann has %d DMs after the second Friday; want 2 (the chain goes on)", n)
		}
		// A new schedule: Mondays. The Friday chain stops.
		e.cmd("fac", `checkin schedule at:between cron:"0 9 * * MON"`)
		e.sleepUntil(at(t, "2000-01-22 00:00"))
		var asked []bottest.Delivery
		for _, d := range e.dmsTo("ann") {
			if !strings.HasPrefix(d.Out.Message.Title, "A gentle reminder") {
				asked = append(asked, d)
			}
		}
		if n := len(asked); n != 3 {
			t.Fatalf("ann was asked %d times by Saturday 22nd; want 3 (the Fridays 7th and 14th, Monday 17th):\n%s", n, joinTexts(asked))
		}
		last := asked[2]
		if !last.Delivered.At.Equal(at(t, "2000-01-17 09:00")) {
			t.Errorf("the new schedule asked at %v; want Monday 09:00", last.Delivered.At)
		}
	})
}

// TestRetention: after the group's retention_days the answers, who was
// asked, the alerts and the outbox entries naming members are deleted by
// the daily job; the check-in's counts remain; a group with the default
// keeps its answers.
func TestRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		if out := e.cmd("fac", "checkin schedule retention_days:7"); !strings.Contains(out, "kept 7 days") {
			t.Fatalf("retention: %s", out)
		}
		e.cmd("fac", "checkin start kind:traffic delivery:dm")
		e.press("ann", e.dmsTo("ann")[0], "Red")
		e.press("bob", e.dmsTo("bob")[0], "Green")
		e.cmd("fac", "checkin close")
		c, err := e.db.CheckIn(t.Context(), 1)
		if err != nil || c.Answered != 2 {
			t.Fatalf("check-in: %+v %v", c, err)
		}
		e.sleep(6 * 24 * time.Hour)
		if as, _ := e.db.CheckInAnswers(t.Context(), 1); len(as) != 2 {
			t.Fatalf("answers deleted before 7 days: %+v", as)
		}
		e.sleep(2 * 24 * time.Hour)
		if as, _ := e.db.CheckInAnswers(t.Context(), 1); len(as) != 0 {
			t.Fatalf("answers kept after 8 days: %+v", as)
		}
		if asked, _ := e.db.CheckInAsked(t.Context(), 1); len(asked) != 0 {
			t.Errorf("who was asked kept: %+v", asked)
		}
		if _, err := e.db.SafetyAlert(t.Context(), 1); err == nil {
			t.Errorf("the alert was kept")
		}
		if es, _ := e.db.SentMessages(t.Context(), "checkins/c/1/"); len(es) != 0 {
			t.Errorf("outbox entries naming members kept: %+v", es)
		}
		if es, _ := e.db.SentMessages(t.Context(), "safety/alert/1/"); len(es) != 0 {
			t.Errorf("outbox entries of the alert kept: %+v", es)
		}
		c, err = e.db.CheckIn(t.Context(), 1)
		if err != nil || c.Answered != 2 || c.Tally["red"] != 1 || c.PurgedAt.IsZero() {
			t.Errorf("the counts after the purge: %+v %v", c, err)
		}
		if out := e.cmd("fac", "checkin summary"); !has(out, "deleted after its retention period", "2 answered") {
			t.Errorf("summary after the purge: %s", out)
		}
		j, err := e.db.JobByKey(t.Context(), "checkins.retention/2000-01-08")
		if err != nil || j.State != bot.JobDone || !strings.Contains(j.Note, "1 check-ins (2 answers) and 1 alerts") {
			t.Errorf("retention job of the 8th: %+v %v", j, err)
		}
	})
}

// TestCheckIn_Restart: a process stopped while asking by DM is restarted:
// every member gets the check-in exactly once.
func TestCheckIn_Restart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		block := make(chan struct{})
		first := true
		e.setHook(func(o bot.Outbound) error {
			if o.Kind == bot.OutDM && o.User == "cat" && first {
				first = false
				<-block
				return context.Canceled
			}
			return nil
		})
		// The command asks ann and bob, then waits on cat's DM.
		answered := make(chan []bot.Outbound, 1)
		words, args, _ := bot.ParseCommandText("checkin start kind:traffic delivery:dm")
		go func() {
			answered <- e.rec.Inject(t.Context(), &bot.Command{EventMeta: meta("fac", groupChannel), Words: words, Args: args})
		}()
		synctest.Wait()
		if len(e.dmsTo("ann")) != 1 || len(e.dmsTo("cat")) != 0 {
			t.Fatal("the test did not stop where it meant to")
		}
		// The process stops while cat's DM is on its way.
		e.cancel()
		close(block)
		<-answered
		e.stop()
		e.start()
		e.sleep(time.Minute)
		for _, u := range []bot.UserID{"ann", "bob", "cat", "dan"} {
			if n := len(e.dmsTo(u)); n != 1 {
				t.Errorf("%s got %d check-in DMs; want exactly 1", u, n)
			}
		}
	})
}

// TestAnswerWriter_Burst: many members answering at once are all stored,
// sharing transactions.
func TestAnswerWriter_Burst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		const n = 60
		for i := range n {
			if _, err := e.db.AddMember(t.Context(), "console:fac", bot.Member{GroupID: e.group.ID, User: bot.UserID(fmt.Sprintf("m%02d", i)), Status: bot.MemberActive}); err != nil {
				t.Fatal(err)
			}
		}
		e.cmd("fac", "checkin start kind:traffic")
		post := e.checkInPost()
		m, _ := e.rec.Content(post.Delivered.Ref)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				u := bot.UserID(fmt.Sprintf("m%02d", i))
				for _, b := range m.Buttons {
					if b.Label == "Green" {
						e.rec.Inject(t.Context(), &bot.ButtonPress{EventMeta: meta(u, groupChannel), ID: b.ID, Message: post.Delivered.Ref})
					}
				}
			})
		}
		wg.Wait()
		as, err := e.db.CheckInAnswers(t.Context(), 1)
		if err != nil || len(as) != n {
			t.Fatalf("%d answers stored (%v); want %d", len(as), err, n)
		}
		t.Logf("%d answers in %d transactions (largest batch %d)", n, e.st.answers.Load(), e.st.answerBatch.Load())
	})
}

// TestCheckIn_MemberGone: a member who left is not nudged nor listed as
// not answering.
func TestCheckIn_MemberGone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		e.cmd("fac", `checkin schedule at:between cron:"0 12 * * FRI" kind:traffic nudge:yes`)
		e.sleepUntil(at(t, "2000-01-07 12:01"))
		m, err := e.db.MemberByUser(t.Context(), e.group.ID, "dan")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.RemoveMember(t.Context(), "console:fac", e.group.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.b.PublishMemberGone(t.Context(), &bot.MemberGone{Group: e.group, User: "dan", Why: "removed"}); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(at(t, "2000-01-08 13:00"))
		if n := len(e.dmsTo("dan")); n != 1 {
			t.Errorf("dan, who left, got %d DMs; want only the check-in, no nudge", n)
		}
		sum := render(e.lastPostIn(facsChannel).Out.Message)
		if strings.Contains(sum, "dan") {
			t.Errorf("the summary lists dan, who left:\n%s", sum)
		}
	})
}

// TestCheckIn_BetweenAcrossDST: a between-session check-in's cron is read
// in the group's zone, here New York, across both changes of its clocks in
// 2000: Sundays at 02:30 is 07:30 UTC in winter, 06:30 UTC in summer, and
// on 2 April, when 02:30 does not exist, it is asked once at the first
// instant after the gap (03:00 EDT, 07:00 UTC); Sundays at 01:30 on 29
// October, which occurs twice, is asked once, at the first.
func TestCheckIn_BetweenAcrossDST(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		g := e.group
		g.TimeZone = "America/New_York"
		if _, _, err := e.db.UpdateGroup(t.Context(), "console:fac", g); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(at(t, "2000-03-15 00:00"))
		if out := e.cmd("fac", `checkin schedule at:between cron:"30 2 * * SUN" kind:scale window:2h`); !has(out, "Saved") {
			t.Fatalf("checkin schedule: %s", out)
		}
		asked := func(from, to string) []time.Time {
			var out []time.Time
			for _, d := range e.dmsTo("ann") {
				if strings.HasPrefix(d.Out.Message.Title, "Check-in — ") && !d.Delivered.At.Before(at(t, from)) && d.Delivered.At.Before(at(t, to)) {
					out = append(out, d.Delivered.At.UTC())
				}
			}
			return out
		}
		e.sleepUntil(at(t, "2000-04-10 00:00"))
		want := []time.Time{at(t, "2000-03-19 07:30"), at(t, "2000-03-26 07:30"), at(t, "2000-04-02 07:00"), at(t, "2000-04-09 06:30")}
		if got := asked("2000-03-15 00:00", "2000-04-10 00:00"); !slices.Equal(got, want) {
			t.Errorf("spring: asked at %v; want %v", got, want)
		}
		e.sleepUntil(at(t, "2000-10-20 00:00"))
		e.cmd("fac", `checkin schedule at:between cron:"30 1 * * SUN"`)
		e.sleepUntil(at(t, "2000-11-06 00:00"))
		want = []time.Time{at(t, "2000-10-22 05:30"), at(t, "2000-10-29 05:30"), at(t, "2000-11-05 06:30")}
		if got := asked("2000-10-20 00:00", "2000-11-06 00:00"); !slices.Equal(got, want) {
			t.Errorf("autumn: asked at %v; want %v", got, want)
		}
	})
}

// TestCheckIn_NotAfterForget: a member who asked tend to forget them is not
// asked to check in, though they stay in the group's channel.
func TestCheckIn_NotAfterForget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		rec.SetMembers(groupChannel, bot.User{ID: "ann"}, bot.User{ID: "bob"}, bot.User{ID: "cat"}, bot.User{ID: "dan"})
		e := newEnvOnRec(t, bot.PrivacyStandard, rec, bottest.InspectorPlatform{Platform: rec})
		if _, err := e.db.Erase(t.Context(), bot.EraseRequest{Platform: bot.PlatformConsole, User: "bob", StopTracking: true}, nil); err != nil {
			t.Fatal(err)
		}
		if out := e.cmd("fac", "checkin start kind:traffic delivery:dm"); !strings.Contains(out, "by DM") {
			t.Fatalf("checkin start: %s", out)
		}
		if n := len(e.dmsTo("bob")); n != 0 {
			t.Errorf("bob, who asked tend to forget them, got %d DMs", n)
		}
		if n := len(e.dmsTo("ann")); n != 1 {
			t.Errorf("ann got %d DMs; want the check-in", n)
		}
	})
}
