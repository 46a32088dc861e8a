package checkins_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// alerts returns the alert posts in the facilitators' channel.
func (e *env) alerts() []bottest.Delivery {
	var out []bottest.Delivery
	for _, d := range e.postsIn(facsChannel) {
		if strings.HasPrefix(d.Out.Message.Title, "Safety alert") {
			out = append(out, d)
		}
	}
	return out
}

// TestSafety_CrisisDM: a crisis DM reaches the facilitators' private
// channel at once, in the urgent lane, naming the member, the group and
// their words, with "I'm on it"; the member gets the careful reply with
// the resources, privately; nothing is posted in the group; the audit log
// records it without the words.
func TestSafety_CrisisDM(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		words := "honestly i dont want to be here anymore, i have the pills saved up"
		sent := time.Now()
		outs := e.dm("ann", words)
		if len(outs) != 1 || outs[0].Kind != bot.OutReply || !outs[0].Urgent {
			t.Fatalf("reply to the DM: %+v; want one urgent private reply", outs)
		}
		reply := replyText(outs)
		for _, want := range []string{"Thank you for telling me", "I've let your facilitators in tuesday know privately", "They will see what you wrote",
			resources, "not watched around the clock", "If you write to me again"} {
			if !strings.Contains(reply, want) {
				t.Errorf("careful reply lacks %q:\n%s", want, reply)
			}
		}
		al := e.alerts()
		if len(al) != 1 {
			t.Fatalf("alerts in the facilitators' channel: %s", joinTexts(e.postsIn(facsChannel)))
		}
		a := al[0]
		if !a.Out.Urgent || !a.Delivered.At.Equal(sent) {
			t.Errorf("alert urgent %v, delivered %v; want urgent, at once (%v)", a.Out.Urgent, a.Delivered.At, sent)
		}
		text := render(a.Out.Message)
		for _, want := range []string{"ann in group tuesday", "in a direct message", words, "a plan, a method or a time", "wanting to die or not to exist",
			"Reach out to them directly", "emergency services", "[I'm on it]"} {
			if !strings.Contains(text, want) {
				t.Errorf("alert lacks %q:\n%s", want, text)
			}
		}
		if n := len(e.ownPosts()); n != 0 {
			t.Errorf("posted in the group's channel: %s", joinTexts(e.ownPosts()))
		}
		log, err := e.db.AuditLog(t.Context(), e.group.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, en := range log {
			if en.Action == "safety.signal" {
				found = true
			}
			if strings.Contains(en.Detail, "pills") {
				t.Errorf("audit entry holds the words: %+v", en)
			}
		}
		if !found {
			t.Errorf("no audit record of the signal: %+v", log)
		}
		// The backup job finds it delivered: nothing twice.
		e.sleep(time.Minute)
		if n := len(e.alerts()); n != 1 {
			t.Errorf("%d alerts after the backup job; want 1", n)
		}
	})
}

// TestSafety_ScaleOneAnswer: a scale answer of 1 is a signal by itself.
func TestSafety_ScaleOneAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		if out := e.cmd("fac", "checkin start kind:scale"); !strings.Contains(out, "Check-in started") {
			t.Fatalf("checkin start: %s", out)
		}
		post := e.checkInPost()
		if !strings.Contains(render(post.Out.Message), "[1 · very hard] [2] [3] [4] [5 · very good] [Pass]") {
			t.Fatalf("scale check-in: %s", render(post.Out.Message))
		}
		r := replyText(e.press("cat", post, "2"))
		if strings.Contains(r, "told privately") || len(e.alerts()) != 0 {
			t.Fatalf("a 2 raised an alert: %s", r)
		}
		r = replyText(e.press("cat", post, "1 · very hard"))
		if !has(r, "recorded: 1 of 5", "replaces your earlier 2 of 5", "facilitators in tuesday know privately", resources) {
			t.Errorf("reply to a 1: %s", r)
		}
		al := e.alerts()
		if len(al) != 1 || !has(render(al[0].Out.Message), "cat in group tuesday", "in a check-in answer", "They answered: 1 of 5", "the lowest answer on a check-in") {
			t.Fatalf("alerts: %s", joinTexts(al))
		}
	})
}

// TestSafety_ThreeSignalsOneAlert: three signals from one member within 15
// minutes are one situation: one alert, edited with the count, the latest
// words and time; the member gets the full reply once, then short
// acknowledgements. A signal 16 minutes after the last is a new alert.
func TestSafety_ThreeSignalsOneAlert(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		first := replyText(e.dm("bob", "i want to die"))
		e.sleep(5 * time.Minute)
		second := replyText(e.dm("bob", "i cant do this anymore"))
		e.sleep(9 * time.Minute)
		third := replyText(e.dm("bob", "goodbye everyone"))
		if !strings.Contains(first, "Thank you for telling me") {
			t.Errorf("first reply: %s", first)
		}
		for _, r := range []string{second, third} {
			if strings.Contains(r, "Thank you for telling me") || !has(r, "passing this on to your facilitators in tuesday as well", resources) {
				t.Errorf("later reply: %s", r)
			}
		}
		al := e.alerts()
		if len(al) != 1 {
			t.Fatalf("%d alerts for three signals in 14 minutes; want 1:\n%s", len(al), joinTexts(al))
		}
		now := e.content(al[0])
		if !has(now, "goodbye everyone", "3 since", "saying goodbye", "hopelessness", "wanting to die") || strings.Contains(now, "i want to die\u201d") {
			t.Fatalf("the alert after three signals reads:\n%s", now)
		}
		if edits := e.rec.Edits(al[0].Delivered.Ref); len(edits) < 2 || !edits[0].Out.Urgent {
			t.Errorf("alert edits %d (urgent %v); want one per later signal, urgent", len(edits), len(edits) > 0 && edits[0].Out.Urgent)
		}
		// The operator's metrics count one alert delivered, at once: the
		// later signals and the backup job's second look are not alerts.
		e.sleep(time.Minute)
		if got := e.obs.delivered(); len(got) != 1 || got[0] != 0 {
			t.Errorf("alert deliveries observed: %v; want one, at once", got)
		}
		e.sleep(16 * time.Minute)
		if r := replyText(e.dm("bob", "im going to end it tonight")); !strings.Contains(r, "Thank you for telling me") {
			t.Errorf("reply to a signal after the window: %s", r)
		}
		if n := len(e.alerts()); n != 2 {
			t.Errorf("%d alerts after a signal 16 minutes on; want 2", n)
		}
	})
}

// TestSafety_Escalation: an alert nobody takes goes to the other
// facilitators after escalate_after, then to the owners; "I'm on it" stops
// it and shows who has it.
func TestSafety_Escalation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		e.dm("ann", "i want to kill myself")
		e.sleep(9 * time.Minute)
		if len(e.dmsTo("fac")) != 0 || len(e.dmsTo("owner")) != 0 {
			t.Fatalf("escalated before 10 minutes")
		}
		e.sleep(2 * time.Minute)
		for _, f := range []bot.UserID{"fac", "fran"} {
			dms := e.dmsTo(f)
			if len(dms) != 1 || !dms[0].Out.Urgent || !has(render(dms[0].Out.Message), "not taken yet", "i want to kill myself", "[I'm on it]") {
				t.Fatalf("%s after 11 minutes: %s", f, joinTexts(dms))
			}
		}
		if len(e.dmsTo("owner")) != 0 {
			t.Fatal("the owners were told at the first escalation")
		}
		e.sleep(10 * time.Minute)
		owner := e.dmsTo("owner")
		if len(owner) != 1 || !has(render(owner[0].Out.Message), "for the owners", "Nobody has said they are on this alert") {
			t.Fatalf("owner after 21 minutes: %s", joinTexts(owner))
		}

		// Another alert, taken in time: no escalation.
		e.dm("bob", "i have a plan to end it")
		al := e.alerts()
		taken := al[len(al)-1]
		if r := replyText(e.press("ann", taken, "I'm on it")); !strings.Contains(r, "Only the facilitators") {
			t.Errorf("a member pressing I'm on it: %s", r)
		}
		r := replyText(e.press("fran", taken, "I'm on it"))
		if !has(r, "the others can see you're on it", "Reach out to bob") {
			t.Errorf("fran taking it: %s", r)
		}
		if now := e.content(taken); !has(now, "On it: @fran since") || strings.Contains(now, "[I'm on it]") {
			t.Errorf("the taken alert reads:\n%s", now)
		}
		// An old copy of the alert, still showing the button.
		if r := replyText(e.pressOn("fac", taken.Delivered.Ref, taken.Out.Message, "I'm on it")); !strings.Contains(r, "@fran is already on it") {
			t.Errorf("fac pressing after fran: %s", r)
		}
		// A later signal within the window reaches fran, who has it.
		e.sleep(2 * time.Minute)
		e.dm("bob", "still thinking about ending it")
		if dms := e.dmsTo("fran"); !has(joinTexts(dms), "While you're on it", "still thinking about ending it") {
			t.Errorf("fran was not told of the new message: %s", joinTexts(dms))
		}
		before := len(e.dmsTo("fac"))
		e.sleep(30 * time.Minute)
		if len(e.dmsTo("fac")) != before || len(e.dmsTo("owner")) != 1 {
			t.Errorf("a taken alert escalated")
		}
	})
}

// TestSafety_EscalatedAlertNewMessage: a later signal on an alert that
// went to the other facilitators and the owners because nobody took it
// reaches each of them directly, as well as the facilitators' channel:
// they may not watch the channel.
func TestSafety_EscalatedAlertNewMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		e.dm("ann", "i want to kill myself")
		e.sleep(8 * time.Minute)
		e.dm("ann", "i want to end my life") // the same situation: within 15 minutes
		e.sleep(13 * time.Minute)
		if o := e.dmsTo("owner"); len(o) != 1 || !has(render(o[0].Out.Message), "for the owners") {
			t.Fatalf("owner after 21 minutes: %s", joinTexts(o))
		}
		before := map[bot.UserID]int{}
		for _, who := range []bot.UserID{"fac", "fran", "owner"} {
			before[who] = len(e.dmsTo(who))
		}
		pings := len(e.pings())
		e.dm("ann", "i still want to die")
		e.sleep(time.Minute)
		if n := len(e.alerts()); n != 1 {
			t.Fatalf("%d alerts; want the one situation", n)
		}
		for _, who := range []bot.UserID{"fac", "fran", "owner"} {
			dms := e.dmsTo(who)
			if len(dms) != before[who]+1 {
				t.Fatalf("%s got %d DMs on the new message; want 1: %s", who, len(dms)-before[who], joinTexts(dms))
			}
			if last := dms[len(dms)-1]; !last.Out.Urgent || !has(render(last.Out.Message), "New message — alert", "ann sent tend something new", "3 messages") {
				t.Fatalf("%s's DM on the new message: %s", who, render(last.Out.Message))
			}
		}
		if n := len(e.pings()); n != pings+1 {
			t.Fatalf("%d new-message posts in the channel; want %d", n, pings+1)
		}
		// Restarted, nobody is told twice.
		e.restart()
		e.sleep(2 * time.Minute)
		for _, who := range []bot.UserID{"fac", "fran", "owner"} {
			if n := len(e.dmsTo(who)); n != before[who]+1 {
				t.Fatalf("%s has %d DMs after a restart; want %d", who, n, before[who]+1)
			}
		}
	})
}

// TestSafety_NoGroup: a sender in no group gets the careful reply and the
// owners are told.
func TestSafety_NoGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		r := replyText(e.dm("stranger", "i wanna end my life"))
		if !has(r, "the people who run this bot know privately", resources) {
			t.Errorf("reply: %s", r)
		}
		o := e.dmsTo("owner")
		if len(o) != 1 || !o[0].Out.Urgent || !has(render(o[0].Out.Message), "@stranger, who is in none of tend's groups", "i wanna end my life") {
			t.Fatalf("owners: %s", joinTexts(o))
		}
		if len(e.alerts()) != 0 {
			t.Errorf("a group's facilitators were told about a stranger")
		}
	})
}

// TestSafety_MinimalPrivacy: in a privacy: minimal group the alert names
// the roster code and the kind of signal, never the words.
func TestSafety_MinimalPrivacy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyMinimal)
		words := "i keep cutting myself"
		e.dm("bob", words)
		al := e.alerts()
		if len(al) != 1 {
			t.Fatal("no alert")
		}
		text := render(al[0].Out.Message)
		if !has(text, "C-12 in group tuesday", "self-harm", "not shown here") || strings.Contains(text, words) || strings.Contains(text, "bob") {
			t.Fatalf("minimal-privacy alert:\n%s", text)
		}
		if out := e.cmd("fac", "checkin start kind:text"); !strings.Contains(out, "privacy: minimal") {
			t.Errorf("a text check-in in a minimal group: %s", out)
		}
	})
}

// TestSafety_DM_NoSignal: a DM without a sign of risk gets an honest note,
// no alert.
func TestSafety_DM_NoSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		r := replyText(e.dm("ann", "thanks for the reminder, see you tuesday"))
		if !has(r, "I'm tend, a bot: nobody reads messages here", resources) {
			t.Errorf("reply: %s", r)
		}
		if len(e.alerts()) != 0 {
			t.Errorf("an alert for a harmless DM")
		}
	})
}

// TestSafety_EditedDM: an edited DM is examined with its new words: an
// edit to words of risk alerts; an edit without any gets no second note.
func TestSafety_EditedDM(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		edit := func(text string) []bot.Outbound {
			scan.secret(text)
			return e.handledPrivately("ann", func() []bot.Outbound {
				return e.inject(&bot.DirectMessage{EventMeta: meta("ann", "dm-ann"), Text: text, Edited: true})
			})
		}
		if outs := edit("see you on tuesday then"); len(outs) != 0 {
			t.Errorf("a harmless edit was answered: %s", replyText(outs))
		}
		r := replyText(edit("see you on tuesday, i want to end my life"))
		if len(e.alerts()) != 1 || !strings.Contains(r, "Thank you for telling me") {
			t.Errorf("an edit to words of risk: alerts %d, reply %s", len(e.alerts()), r)
		}
	})
}

// TestSafety_DM_StoreFails: when the signal cannot be recorded, the member
// still gets the resources, and is told honestly that nobody was told.
func TestSafety_DM_StoreFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		fail := func() error { return errors.New("disk full") }
		e.st.recordSignal.Store(&fail)
		r := replyText(e.dm("ann", "i want to die"))
		if !has(r, "could not pass this on", "contact your facilitator directly", resources) {
			t.Errorf("reply when recording failed: %s", r)
		}
	})
}

// TestSafety_AlertDeliveryRetried: the facilitators' channel fails the
// first delivery; the alert's durable job delivers it, once.
func TestSafety_AlertDeliveryRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		failures := 2
		e.setHook(func(o bot.Outbound) error {
			if o.Kind == bot.OutPost && o.To.Channel == facsChannel && failures > 0 {
				failures--
				return errors.New("503 from the platform")
			}
			return nil
		})
		e.dm("cat", "i want to die")
		if len(e.alerts()) != 0 {
			t.Fatal("delivered despite the failure")
		}
		e.sleep(20 * time.Second)
		e.sleep(10 * time.Second)
		if n := len(e.alerts()); n != 1 {
			t.Fatalf("%d alerts after the retries; want 1", n)
		}
		// Its delivery time counts from the signal, retries included.
		if got := e.obs.delivered(); len(got) != 1 || got[0] < 20*time.Second {
			t.Errorf("alert deliveries observed: %v; want one, after the retries' wait", got)
		}
		e.restart()
		e.sleep(time.Minute)
		if n := len(e.alerts()); n != 1 {
			t.Fatalf("%d alerts after a restart; want 1", n)
		}
	})
}

// TestSafety_DM_ChannelMember: a sender who is not on any roster but in a
// group's channel (as the platform tells) is that group's member: its
// facilitators are alerted, and no other group's.
func TestSafety_DM_ChannelMember(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnvOnRec(t, bot.PrivacyStandard, rec, bottest.InspectorPlatform{Platform: rec})
		rec.SetPrivate(facsChannel, true)
		rec.SetMembers(groupChannel, bot.User{Platform: "console", ID: "eve"})
		other, err := e.db.CreateGroup(t.Context(), "console:owner", bot.Group{
			Name: "thursday", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "thursday"},
			Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard,
			Facilitators: []bot.Principal{"console:tom"},
		})
		if err != nil {
			t.Fatal(err)
		}
		r := replyText(e.dm("eve", "nobody would miss me if i was gone"))
		if !has(r, "your facilitators in tuesday know privately") {
			t.Errorf("reply: %s", r)
		}
		if al := e.alerts(); len(al) != 1 || !has(render(al[0].Out.Message), "@eve in group tuesday") {
			t.Fatalf("alerts: %s", joinTexts(al))
		}
		if len(e.dmsTo("tom")) != 0 {
			t.Errorf("group %s's facilitator was told about someone not in it", other.Name)
		}
	})
}

// TestSafety_EscalationWithoutChannel: a group without a facilitators'
// channel gets its alerts by DM, every facilitator at once; nobody is left
// to tell at the first escalation, so the owners are told then.
func TestSafety_EscalationWithoutChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		g := e.group
		g.FacilitatorsChannel = ""
		if _, _, err := e.db.UpdateGroup(t.Context(), "console:fac", g); err != nil {
			t.Fatal(err)
		}
		e.dm("cat", "i want to die")
		for _, f := range []bot.UserID{"fac", "fran"} {
			if dms := e.dmsTo(f); len(dms) != 1 || !dms[0].Out.Urgent || !has(render(dms[0].Out.Message), "Safety alert", "cat in group tuesday") {
				t.Fatalf("%s: %s", f, joinTexts(dms))
			}
		}
		e.sleep(11 * time.Minute)
		if o := e.dmsTo("owner"); len(o) != 1 || !has(render(o[0].Out.Message), "for the owners") {
			t.Fatalf("owner after 11 minutes: %s", joinTexts(o))
		}
		if n := len(e.dmsTo("fac")); n != 1 {
			t.Errorf("fac got %d DMs; want only the alert (already told directly)", n)
		}
	})
}

// TestSafety_FloodCoalesces: a flood of signals from one member, while the
// platform is slow to edit, does not become an edit per signal: one edit
// of the alert is in flight at a time, the newest state wins, and the
// backup jobs of the flood's signals find the alert shown as it stands
// and edit nothing. Every signal is counted in the alert.
func TestSafety_FloodCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		e.dm("dan", "i want to die")
		al := e.alerts()
		if len(al) != 1 {
			t.Fatalf("no alert")
		}
		ref := al[0].Delivered.Ref
		var (
			mu             sync.Mutex
			inFlight, most int
			edits          int
			release        = make(chan struct{})
		)
		e.setHook(func(o bot.Outbound) error {
			if o.Kind != bot.OutEdit || o.Ref != ref {
				return nil
			}
			mu.Lock()
			inFlight++
			edits++
			most = max(most, inFlight)
			first := edits == 1
			mu.Unlock()
			if first {
				<-release // the platform is slow with the first edit
			}
			mu.Lock()
			inFlight--
			mu.Unlock()
			return nil
		})
		const flood = 50
		var wg sync.WaitGroup
		for i := range flood {
			text := fmt.Sprintf("i cant go on, message %d", i)
			scan.secret(text)
			wg.Go(func() {
				e.rec.Inject(t.Context(), &bot.DirectMessage{EventMeta: meta("dan", "dm-dan"), Text: text})
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		synctest.Wait()
		now := e.content(al[0])
		if !has(now, fmt.Sprintf("%d since", flood+1)) {
			t.Errorf("the alert after the flood reads:\n%s", now)
		}
		mu.Lock()
		got, peak := edits, most
		mu.Unlock()
		if peak != 1 || got > 3 {
			t.Errorf("%d signals made %d edits, %d at once; want at most 3, one at a time", flood, got, peak)
		}
		// The flood's backup jobs run: nothing more to show.
		e.sleep(time.Minute)
		mu.Lock()
		after := edits
		mu.Unlock()
		if after != got {
			t.Errorf("the backup jobs made %d more edits", after-got)
		}
		if n := len(e.alerts()); n != 1 {
			t.Errorf("%d alerts; want 1", n)
		}
		t.Logf("%d signals: %d edits", flood+1, got)
	})
}

// TestSafety_NoRosterLookupBounded: a sender on no roster is looked for in
// the groups' channels for a bounded time, however slow the platform: a
// member found early is alerted to their group at once; one not found by
// then is alerted to the owners, within seconds, not after 200 slow
// platform calls.
func TestSafety_NoRosterLookupBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnvOnRec(t, bot.PrivacyStandard, rec, bottest.InspectorPlatform{Platform: rec})
		rec.SetPrivate(facsChannel, true)
		rec.SetMembers(groupChannel, bot.User{Platform: "console", ID: "eve"})
		for i := range 250 {
			if _, err := e.db.CreateGroup(t.Context(), "console:owner", bot.Group{
				Name: fmt.Sprintf("x%03d", i), Address: bot.Address{Platform: bot.PlatformConsole, Channel: bot.ChannelID(fmt.Sprintf("x%03d", i))},
				Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard,
				Facilitators: []bot.Principal{"console:tom"},
			}); err != nil {
				t.Fatal(err)
			}
		}
		// Each channel lookup takes the platform a second.
		rec.InspectHook = func(a bot.Address) error {
			if a.Channel != facsChannel {
				time.Sleep(time.Second)
			}
			return nil
		}
		// eve is in tuesday's channel, the first group looked in (by name).
		sent := time.Now()
		r := replyText(e.dm("eve", "i want to kill myself"))
		al := e.alerts()
		if len(al) != 1 || !has(r, "your facilitators in tuesday") {
			t.Fatalf("eve's alerts %s; reply %s", joinTexts(al), r)
		}
		if d := al[0].Delivered.At.Sub(sent); d > 3*time.Second {
			t.Errorf("eve's alert went out %v after her message", d)
		}
		// A stranger is in no channel: the owners, after the bounded look.
		sent = time.Now()
		r = replyText(e.dm("stranger", "i want to kill myself"))
		o := e.dmsTo("owner")
		if len(o) != 1 || !has(r, "the people who run this bot") {
			t.Fatalf("owners %s; reply %s", joinTexts(o), r)
		}
		if d := o[0].Delivered.At.Sub(sent); d > 3*time.Second {
			t.Errorf("the owners were told %v after the stranger's message; 200 lookups of a second, 8 at a time, take 25 s", d)
		}
		if len(e.dmsTo("tom")) != 0 {
			t.Error("another group's facilitator was told")
		}
	})
}

// TestSafety_EscalateAfterHonoured: a group's escalate_after other than
// the default is what an untaken alert waits, at both steps: 3 minutes to
// the other facilitators and 3 more to the owners; set to 30 minutes, a
// new alert waits 30, not 10.
func TestSafety_EscalateAfterHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		if out := e.cmd("fac", "checkin schedule escalate_after:3m"); !strings.Contains(out, "alerts escalate after 3m") {
			t.Fatalf("escalate_after: %s", out)
		}
		e.dm("ann", "i want to kill myself")
		e.sleep(3*time.Minute - time.Second)
		if len(e.dmsTo("fac")) != 0 {
			t.Fatal("escalated before 3 minutes")
		}
		e.sleep(2 * time.Second)
		if len(e.dmsTo("fac")) != 1 || len(e.dmsTo("fran")) != 1 || len(e.dmsTo("owner")) != 0 {
			t.Fatalf("after 3 minutes: fac %d, fran %d, owner %d DMs; want the facilitators", len(e.dmsTo("fac")), len(e.dmsTo("fran")), len(e.dmsTo("owner")))
		}
		e.sleep(3 * time.Minute)
		if len(e.dmsTo("owner")) != 1 {
			t.Fatalf("the owner after 6 minutes: %d DMs", len(e.dmsTo("owner")))
		}

		if out := e.cmd("fac", "checkin schedule escalate_after:30m"); !strings.Contains(out, "alerts escalate after 30m") {
			t.Fatalf("escalate_after: %s", out)
		}
		e.sleep(time.Hour)
		e.dm("bob", "i want to die")
		e.sleep(29 * time.Minute)
		if n := len(e.dmsTo("fac")); n != 1 {
			t.Fatalf("bob's alert escalated before 30 minutes (fac has %d DMs)", n)
		}
		e.sleep(2 * time.Minute)
		if n := len(e.dmsTo("fac")); n != 2 {
			t.Errorf("bob's alert after 31 minutes: fac has %d DMs; want 2", n)
		}
	})
}

// pings are the new-message posts in the facilitators' channel.
func (e *env) pings() []bottest.Delivery {
	var out []bottest.Delivery
	for _, d := range e.postsIn(facsChannel) {
		if strings.HasPrefix(d.Out.Message.Title, "New message") {
			out = append(out, d)
		}
	}
	return out
}

// TestSafety_AlertGoneIsPostedAgain: when the alert's message is gone (a
// facilitator deleted it), a later signal cannot be shown by an edit: the
// alert is posted again, once, and the next signals edit the new post.
func TestSafety_AlertGoneIsPostedAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		e.dm("bob", "i want to die")
		al := e.alerts()
		if len(al) != 1 {
			t.Fatalf("%d alerts; want 1", len(al))
		}
		gone := al[0].Delivered.Ref
		e.setHook(func(o bot.Outbound) error {
			if o.Kind == bot.OutEdit && o.Ref == gone {
				return bot.Unreachable("unknown message")
			}
			return nil
		})
		e.sleep(5 * time.Minute)
		r := replyText(e.dm("bob", "i cant do this anymore"))
		if !has(r, "passing this on to your facilitators in tuesday") {
			t.Errorf("the member's acknowledgement: %s", r)
		}
		al = e.alerts()
		if len(al) != 2 || !has(e.content(al[1]), "i cant do this anymore", "2 since") {
			t.Fatalf("after the alert's message was deleted, a later signal made %d alerts:\n%s", len(al), joinTexts(al))
		}
		e.sleep(2 * time.Minute)
		if p := e.pings(); len(p) != 0 {
			t.Errorf("the alert posted again and a new-message post besides:\n%s", joinTexts(p))
		}
		e.dm("bob", "goodbye everyone")
		e.sleep(2 * time.Minute)
		al = e.alerts()
		if len(al) != 2 || !has(e.content(al[1]), "goodbye everyone", "3 since") {
			t.Fatalf("a third signal: %d alerts (want the second one edited):\n%s", len(al), joinTexts(al))
		}
	})
}

// TestSafety_LaterSignalNotifies: a later signal on an alert nobody has
// taken is announced by a short new post in the same private place, not
// only an edit that notifies nobody; signals within a minute are one post,
// held back to the minute's end, never dropped; once someone is on it,
// they are told instead.
func TestSafety_LaterSignalNotifies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		e.dm("cat", "i want to die")
		e.sleep(20 * time.Second)
		e.dm("cat", "i cant go on")
		if n := len(e.pings()); n != 0 {
			t.Fatalf("%d new-message posts 20 s after the alert; want them held to its first minute's end", n)
		}
		e.sleep(40 * time.Second)
		p := e.pings()
		if len(p) != 1 || !has(e.content(p[0]), "cat", "2 messages") {
			t.Fatalf("new-message posts at the minute's end:\n%s", joinTexts(p))
		}
		e.sleep(5 * time.Minute)
		e.dm("cat", "nothing matters now")
		if p = e.pings(); len(p) != 2 || !has(e.content(p[1]), "3 messages") || !p[1].Out.Urgent {
			t.Fatalf("a signal minutes later: new-message posts\n%s", joinTexts(p))
		}
		e.sleep(10 * time.Second)
		e.dm("cat", "im so tired of everything, i want to disappear")
		e.sleep(10 * time.Second)
		e.dm("cat", "i want to end it")
		if n := len(e.pings()); n != 2 {
			t.Fatalf("%d new-message posts within a minute of the last; want them coalesced", n)
		}
		e.sleep(time.Minute)
		if p = e.pings(); len(p) != 3 || !has(e.content(p[2]), "5 messages") {
			t.Fatalf("the coalesced post:\n%s", joinTexts(p))
		}
		if n := len(e.alerts()); n != 1 {
			t.Errorf("%d alerts; want 1", n)
		}
		al := e.alerts()[0]
		e.press("fran", al, "I'm on it")
		e.sleep(5 * time.Minute)
		e.dm("cat", "i want to die")
		e.sleep(2 * time.Minute)
		if n := len(e.pings()); n != 3 {
			t.Errorf("%d new-message posts after the alert was taken; want none more (the taker is told)", n)
		}
		if len(e.dmsTo("fran")) == 0 {
			t.Errorf("the taker was not told of the signal")
		}
	})
}

// TestSafety_NoRosterLookupRemembered: where a sender on no roster was
// found in the groups' channels is remembered for a few minutes, so that
// their later signals alert at once without asking the platform again
// (those lookups would go ahead of alerts in the urgent lane); after that
// the platform is asked again, and a stranger found nowhere is remembered
// as such too.
func TestSafety_NoRosterLookupRemembered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnvOnRec(t, bot.PrivacyStandard, rec, bottest.InspectorPlatform{Platform: rec})
		rec.SetPrivate(facsChannel, true)
		rec.SetMembers(groupChannel, bot.User{Platform: "console", ID: "eve"})
		var mu sync.Mutex
		lookups := map[bot.ChannelID]int{}
		rec.InspectHook = func(a bot.Address) error {
			mu.Lock()
			defer mu.Unlock()
			lookups[a.Channel]++
			return nil
		}
		asked := func() int {
			mu.Lock()
			defer mu.Unlock()
			return lookups[groupChannel]
		}
		e.dm("eve", "i want to die")
		first := asked()
		if first == 0 {
			t.Fatal("eve's first signal did not look in the group's channel")
		}
		e.sleep(time.Minute)
		r := replyText(e.dm("eve", "i cant go on"))
		e.sleep(time.Minute)
		e.dm("eve", "goodbye everyone")
		if n := asked(); n != first {
			t.Errorf("eve's later signals asked the platform %d more times; want none (remembered)", n-first)
		}
		if !has(r, "your facilitators in tuesday") {
			t.Errorf("a remembered sender's reply: %s", r)
		}
		if al := e.alerts(); len(al) != 1 || !has(e.content(al[0]), "3 since") {
			t.Errorf("alerts %s", joinTexts(al))
		}
		e.sleep(5 * time.Minute)
		e.dm("eve", "i want to die")
		if n := asked(); n == first {
			t.Errorf("after a few minutes the platform was not asked again")
		}
		// A stranger found in no channel: the owners, and the empty look
		// is remembered as well.
		e.dm("stranger", "i want to kill myself")
		before := asked()
		e.sleep(time.Minute)
		e.dm("stranger", "i want to kill myself")
		if n := asked(); n != before {
			t.Errorf("a stranger's second signal asked the platform %d more times", n-before)
		}
		if o := e.dmsTo("owner"); len(o) == 0 {
			t.Errorf("the owners were not told about the stranger")
		}
	})
}
