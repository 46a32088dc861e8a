package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tend-bot/tend/adapters/slack/fakeslack"
)

// slackText is everything a person reads in a Slack message.
func slackText(m fakeslack.Message) string { return m.Text + "\n" + fakeslack.BlockText(m.Blocks) }

// slackWaitPost waits for a message in ch, after the first skip, whose text
// holds want.
func slackWaitPost(t *testing.T, ctx context.Context, fake *fakeslack.Server, ch string, skip int, want string) fakeslack.Message {
	t.Helper()
	var got fakeslack.Message
	err := fake.Wait(ctx, func() bool {
		ms := fake.Messages(ch)
		for _, m := range ms[min(skip, len(ms)):] {
			if strings.Contains(slackText(m), want) {
				got = m
				return true
			}
		}
		return false
	})
	if err != nil {
		for _, m := range fake.Messages(ch) {
			t.Logf("message in %s: %q", ch, slackText(m))
		}
		t.Fatalf("no message in %s holding %q: %v", ch, want, err)
	}
	return got
}

// slackPress clicks label on m as user and returns the private answer
// holding want.
func slackPress(t *testing.T, ctx context.Context, fake *fakeslack.Server, user string, m fakeslack.Message, label, want string) fakeslack.Ephemeral {
	t.Helper()
	id, ok := fakeslack.ButtonID(m, label)
	if !ok {
		t.Fatalf("message %q has no button %q", slackText(m), label)
	}
	before := len(fake.Ephemerals(user))
	res, err := fake.Click(ctx, user, m, id)
	if err != nil || res.Late {
		t.Fatalf("%s pressing %q: %v (late %v)", user, label, err, res.Late)
	}
	var got fakeslack.Ephemeral
	err = fake.Wait(ctx, func() bool {
		all := fake.Ephemerals(user)
		for _, e := range all[min(before, len(all)):] {
			if strings.Contains(e.Text+"\n"+fakeslack.BlockText(e.Blocks), want) {
				got = e
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("%s pressing %q: no private answer holding %q: %+v", user, label, want, fake.Ephemerals(user))
	}
	if got.User != user {
		t.Errorf("the answer to %s was shown to %q", user, got.User)
	}
	return got
}

// TestCheckInsSlackE2E is TestCheckInsDiscordE2E against the fake Slack,
// in Socket Mode and with signed HTTP requests.
func TestCheckInsSlackE2E(t *testing.T) {
	bin := buildTend(t)
	const (
		fran    = "U0FRAN"
		sam     = "U0SAM"
		alex    = "U0ALEX"
		kim     = "U0KIM"
		lee     = "U0LEE"
		channel = "C0TUESDAY"
		facs    = "G0FACS"
	)
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			fake := fakeslack.New(t, fakeslack.Options{})
			for _, u := range []string{fran, sam, alex, kim, lee} {
				fake.AddUser(u, strings.ToLower(u[2:]))
			}
			fake.AddChannel(channel, "tuesday", false, fran, sam, alex, kim, lee)
			fake.AddChannel(facs, "tuesday-facilitators", true, fran)
			groups := fmt.Sprintf(`safety:
  resources: "Call 999, or text SHOUT to 85258."
groups:
  - name: tuesday-support
    platform: slack
    channel: %q
    timezone: UTC
    facilitators: ["slack:%s"]
    facilitators_channel: %q
    schedule: {weekly: %q, duration: 90m, count: 2}
    reminders: {lead: []}
    checkins:
      at_start: {kind: traffic, window: 1h}
      share_tally: true
`, channel, fran, facs, startedWeekly())
			p := startSlackTend(t, bin, slackConfig(t, fake, mode, fran, groups), fake)
			ctx := slackWaitCtx(t)
			slackReady(t, ctx, fake, mode)

			ci := slackWaitPost(t, ctx, fake, channel, 0, "How are you arriving today?")
			slackPress(t, ctx, fake, sam, ci, "Green", "recorded: green")
			red := slackPress(t, ctx, fake, alex, ci, "Red", "recorded: red")
			if txt := red.Text + fakeslack.BlockText(red.Blocks); !strings.Contains(txt, "Call 999, or text SHOUT to 85258.") || !strings.Contains(txt, "facilitators in tuesday-support know privately") {
				t.Errorf("alex's confirmation: %q", txt)
			}
			slackPress(t, ctx, fake, kim, ci, "Pass", "pass")
			alert := slackWaitPost(t, ctx, fake, facs, 0, "They answered: red.")
			if !strings.Contains(slackText(alert), "<@"+alex+"> in group tuesday-support") {
				t.Errorf("alert: %q", slackText(alert))
			}
			if _, ok := fakeslack.ButtonID(alert, "I'm on it"); !ok {
				t.Errorf("the alert has no I'm on it button: %q", slackText(alert))
			}

			words := "everyone would be better off without me, i have a plan"
			if _, err := fake.DirectMessage(ctx, lee, words); err != nil {
				t.Fatal(err)
			}
			slackWaitPost(t, ctx, fake, facs, 1, words)
			dm := "D" + strings.TrimPrefix(lee, "U")
			reply := slackWaitPost(t, ctx, fake, dm, 0, "Thank you for telling me")
			if txt := slackText(reply); !strings.Contains(txt, "Call 999, or text SHOUT to 85258.") || !strings.Contains(txt, "not watched around the clock") {
				t.Errorf("the careful reply: %q", txt)
			}

			slackAsk(t, ctx, fake, fran, channel, "checkin close", "no tally")
			sum := slackText(slackWaitPost(t, ctx, fake, facs, 0, "Check-in summary"))
			for _, want := range []string{"<@" + sam + ">: green", "<@" + alex + ">: red", "Passed (1)", "<@" + kim + ">", "No answer yet (1)", "<@" + lee + ">"} {
				if !strings.Contains(sum, want) {
					t.Errorf("summary lacks %q:\n%s", want, sum)
				}
			}

			slackAsk(t, ctx, fake, fran, channel, "checkin start kind:scale", "Check-in started")
			ci2 := slackWaitPost(t, ctx, fake, channel, 1, "from 1 (very hard) to 5 (very good)")
			slackPress(t, ctx, fake, sam, ci2, "4", "recorded: 4 of 5")
			slackPress(t, ctx, fake, kim, ci2, "3", "recorded: 3 of 5")
			slackPress(t, ctx, fake, alex, ci2, "1 · very hard", "facilitators in tuesday-support")
			// alex's second signal within 15 minutes: the alert is edited.
			if err := fake.Wait(ctx, func() bool {
				for _, m := range fake.Messages(facs) {
					if m.TS == alert.TS {
						return strings.Contains(slackText(m), "They answered: 1 of 5.") && strings.Contains(slackText(m), "2 since")
					}
				}
				return false
			}); err != nil {
				t.Fatalf("the alert was not updated: %v", err)
			}
			slackAsk(t, ctx, fake, fran, channel, "checkin close", "tally posted")
			tally := slackWaitPost(t, ctx, fake, channel, 1, "how the group is doing")
			if !strings.Contains(slackText(tally), "4/5 ×1, 3/5 ×1, 1/5 ×1") {
				t.Errorf("tally: %q", slackText(tally))
			}

			// A text check-in: each member types their answer in Slack's
			// modal, opened by the post's button; words of risk in it alert
			// the facilitators; the summary quotes each answer, privately.
			slackAsk(t, ctx, fake, fran, channel, `checkin start kind:text prompt:"What's on your mind today?"`, "Check-in started")
			ci3 := slackWaitPost(t, ctx, fake, channel, 2, "What's on your mind today?")
			typed := map[string]string{sam: "an ok week, a bit tired", alex: "honestly i dont see a way out anymore"}
			slackForm(t, ctx, fake, sam, ci3, "Answer privately", typed[sam], "recorded: your answer")
			slackForm(t, ctx, fake, alex, ci3, "Answer privately", typed[alex], "passing this on to your facilitators in tuesday-support")
			if err := fake.Wait(ctx, func() bool {
				for _, m := range fake.Messages(facs) {
					if m.TS == alert.TS {
						return strings.Contains(slackText(m), typed[alex]) && strings.Contains(slackText(m), "3 since")
					}
				}
				return false
			}); err != nil {
				t.Fatalf("the alert does not quote the typed answer: %v", err)
			}
			slackAsk(t, ctx, fake, fran, channel, "checkin close", "Closed the check-in")
			sum3 := slackText(slackWaitPost(t, ctx, fake, facs, 0, `"`+typed[sam]+`"`))
			if !strings.Contains(sum3, "<@"+sam+">: \""+typed[sam]+"\"") || !strings.Contains(sum3, "<@"+alex+">: \""+typed[alex]+"\"") {
				t.Errorf("the text check-in's summary:\n%s", sum3)
			}

			fake.SetDMsClosed(lee, true)
			slackAsk(t, ctx, fake, fran, channel, "checkin start delivery:dm", "Check-in started")
			note := slackWaitPost(t, ctx, fake, facs, 0, "could not be asked privately")
			if !strings.Contains(slackText(note), "<@"+lee+">") {
				t.Errorf("unreachable note: %q", slackText(note))
			}
			for _, m := range fake.Messages(channel) {
				if txt := slackText(m); strings.Contains(txt, lee) || strings.Contains(txt, alex) || strings.Contains(txt, words) ||
					strings.Contains(txt, typed[sam]) || strings.Contains(txt, typed[alex]) {
					t.Errorf("the group's channel shows something private: %q", txt)
				}
			}
			if v := fake.Violations(); len(v) > 0 {
				t.Errorf("requests failing Slack's spec: %q", v)
			}
			logs := p.stderr.String()
			if !strings.Contains(logs, "level=DEBUG") {
				t.Fatalf("the log is not at debug level")
			}
			for _, w := range []string{words, typed[sam], typed[alex]} {
				if strings.Contains(logs, w) {
					t.Errorf("the log holds what a member wrote: %q", w)
				}
			}
			// Nor, at debug level, who sent a DM or answered a check-in, not
			// even where a DM to lee, whose DMs were closed at the end, was
			// refused.
			for _, l := range strings.Split(logs, "\n") {
				if strings.Contains(l, alex) || strings.Contains(l, lee) {
					t.Errorf("a log line names a member who answered or wrote to tend: %s", l)
				}
			}
			p.alive(t)
		})
	}
}

// slackForm clicks label on m as user, which must open a modal, types text
// into its one input and submits it; it returns tend's private answer,
// which must hold want.
func slackForm(t *testing.T, ctx context.Context, fake *fakeslack.Server, user string, m fakeslack.Message, label, text, want string) fakeslack.Ephemeral {
	t.Helper()
	id, ok := fakeslack.ButtonID(m, label)
	if !ok {
		t.Fatalf("message %q has no button %q", slackText(m), label)
	}
	views := len(fake.Views())
	if res, err := fake.Click(ctx, user, m, id); err != nil || res.Late {
		t.Fatalf("%s pressing %q: %v (late %v)", user, label, err, res.Late)
	}
	if err := fake.Wait(ctx, func() bool { return len(fake.Views()) > views }); err != nil {
		t.Fatalf("%s pressing %q opened no modal: %v", user, label, err)
	}
	v := fake.Views()[views]
	var raw struct {
		Blocks []struct {
			Type    string `json:"type"`
			Element struct {
				ActionID string `json:"action_id"`
			} `json:"element"`
		} `json:"blocks"`
	}
	// The form is bound to the member who opened it.
	if err := json.Unmarshal(v.Raw, &raw); err != nil || !strings.Contains(v.CallbackID, "|"+user+"|") {
		t.Fatalf("the modal %q (%v); want one bound to %s", v.CallbackID, err, user)
	}
	var input string
	for _, b := range raw.Blocks {
		if b.Type == "input" {
			input = b.Element.ActionID
		}
	}
	before := len(fake.Ephemerals(user))
	if res, err := fake.Submit(ctx, user, v, map[string]string{input: text}); err != nil || res.Late {
		t.Fatalf("%s submitting the modal: %v (late %v)", user, err, res.Late)
	}
	var got fakeslack.Ephemeral
	err := fake.Wait(ctx, func() bool {
		all := fake.Ephemerals(user)
		for _, e := range all[min(before, len(all)):] {
			if strings.Contains(e.Text+"\n"+fakeslack.BlockText(e.Blocks), want) {
				got = e
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("%s's typed answer: no private answer holding %q: %v", user, want, err)
	}
	if got.User != user {
		t.Errorf("the answer to %s was shown to %q", user, got.User)
	}
	return got
}
