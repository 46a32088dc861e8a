package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord/discordtest"
)

// startedWeekly is a weekly spec for a session that started a minute ago,
// so that tend, starting now, holds it at once.
func startedWeekly() string {
	start := time.Now().UTC().Add(-time.Minute).Truncate(time.Minute)
	return strings.ToLower(start.Format("Mon")) + " " + start.Format("15:04")
}

// discordPosts returns the messages in ch that tend posted itself (not
// answers to interactions), oldest first.
func discordPosts(fake *discordtest.Server, ch string) []discordtest.Message {
	var out []discordtest.Message
	for _, m := range fake.Messages(ch) {
		if m.InteractionID == "" && m.AuthorID == fake.BotUserID() {
			out = append(out, m)
		}
	}
	return out
}

// waitPost waits for a post of tend in ch whose text holds want, after
// the first skip of them.
func waitPost(t *testing.T, ctx context.Context, fake *discordtest.Server, ch string, skip int, want string) discordtest.Message {
	t.Helper()
	var got discordtest.Message
	err := fake.WaitFor(ctx, fmt.Sprintf("a post holding %q", want), func() bool {
		ps := discordPosts(fake, ch)
		for _, m := range ps[min(skip, len(ps)):] {
			if strings.Contains(m.Text(), want) {
				got = m
				return true
			}
		}
		return false
	})
	if err != nil {
		for _, m := range discordPosts(fake, ch) {
			t.Logf("post in %s: %q", ch, m.Text())
		}
		t.Fatal(err)
	}
	return got
}

// pressPrivately presses the button labelled label on m as user and returns the
// answer, which must be private to user.
func pressPrivately(t *testing.T, fake *discordtest.Server, user string, m discordtest.Message, label string) discordtest.Shown {
	t.Helper()
	for _, b := range m.Buttons() {
		if b.Label == label {
			id, err := fake.Press(user, m.ID, b.CustomID)
			if err != nil {
				t.Fatal(err)
			}
			r := answer(t, fake, id)
			if !r.Ephemeral || r.OnlyFor != user {
				t.Errorf("the answer to %s's press of %q was shown %+v; want only to them", user, label, r)
			}
			return r
		}
	}
	t.Fatalf("message %q has no button %q", m.Text(), label)
	return discordtest.Shown{}
}

// TestCheckInsDiscordE2E runs the real binary against the fake Discord: a
// traffic check-in at the start of a session; three members answer (one
// passes, one red), each seeing only their own confirmation; the red
// answer, a scale-1 answer and a crisis DM each alert the facilitators in
// their private channel with "I'm on it", and the members get the careful
// reply; the facilitators get the summaries there; the group's channel
// gets the anonymous tally only when three answered; a member whose DMs
// are closed is reported to the facilitators privately and named nowhere
// public. The log is at debug level and holds nothing a member typed.
func TestCheckInsDiscordE2E(t *testing.T) {
	bin := buildTend(t)
	fake := discordtest.New(t, discordtest.Config{})
	guild := fake.AddGuild("Peer support")
	fran, sam, alex, kim, lee := fake.AddUser("fran", false), fake.AddUser("sam", false), fake.AddUser("alex", false), fake.AddUser("kim", false), fake.AddUser("lee", false)
	for _, u := range []string{fran, sam, alex, kim, lee} {
		fake.AddMember(guild, discordtest.Member{UserID: u})
	}
	channel := fake.AddChannel(guild, "tuesday", discordtest.ChannelText)
	facs := fake.AddPrivateChannel(guild, "facilitators", fran, fake.BotUserID())
	groups := fmt.Sprintf(`safety:
  resources: "Call 999, or text SHOUT to 85258."
groups:
  - name: tuesday-support
    platform: discord
    channel: %q
    guild: %q
    timezone: UTC
    facilitators: ["discord:%s"]
    facilitators_channel: %q
    schedule: {weekly: %q, duration: 90m, count: 2}
    reminders: {lead: []}
    checkins:
      at_start: {kind: traffic, window: 1h}
      share_tally: true
`, channel, guild, fran, facs, startedWeekly())
	cfg := strings.Replace(discordConfig(fake, guild, []string{"123456789012345678"}, groups), "log: {level: info, format: text}", "log: {level: debug, format: text}", 1)
	p := startTend(t, bin, cfg, fake.Token())
	ctx := waitCtx(t)
	if err := fake.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}

	// The session started a minute ago: its check-in is asked at once.
	ci := waitPost(t, ctx, fake, channel, 0, "How are you arriving today?")
	if got := ci.Text(); !strings.Contains(got, "Only you and the group's facilitators see your answer") {
		t.Errorf("check-in post: %q", got)
	}
	if r := pressPrivately(t, fake, sam, ci, "Green"); !strings.Contains(r.Message.Text(), "recorded: green") {
		t.Errorf("sam's confirmation: %q", r.Message.Text())
	}
	red := pressPrivately(t, fake, alex, ci, "Red")
	if got := red.Message.Text(); !strings.Contains(got, "recorded: red") || !strings.Contains(got, "Call 999, or text SHOUT to 85258.") || !strings.Contains(got, "facilitators in tuesday-support know privately") {
		t.Errorf("alex's confirmation: %q", got)
	}
	if r := pressPrivately(t, fake, kim, ci, "Pass"); !strings.Contains(r.Message.Text(), "pass") {
		t.Errorf("kim's confirmation: %q", r.Message.Text())
	}
	alert := waitPost(t, ctx, fake, facs, 0, "They answered: red.")
	if !strings.Contains(alert.Text(), "<@"+alex+"> in group tuesday-support") || len(alert.Buttons()) != 1 || alert.Buttons()[0].Label != "I'm on it" {
		t.Errorf("alert: %q %+v", alert.Text(), alert.Buttons())
	}

	// A crisis DM.
	words := "i cant do this anymore, i want to end my life"
	dm := fake.DMChannel(lee)
	fake.UserMessage(lee, dm, words)
	waitPost(t, ctx, fake, facs, 1, words)
	var reply discordtest.Message
	if err := fake.WaitFor(ctx, "the careful reply", func() bool {
		for _, m := range fake.Messages(dm) {
			if m.AuthorID == fake.BotUserID() && strings.Contains(m.Text(), "Thank you for telling me") {
				reply = m
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply.Text(), "Call 999, or text SHOUT to 85258.") || !strings.Contains(reply.Text(), "not watched around the clock") {
		t.Errorf("the careful reply: %q", reply.Text())
	}

	// The window closes (a facilitator closes it): the summary, privately;
	// no tally with two levels.
	if r := ask(t, fake, fran, channel, []string{"checkin", "close"}, nil); !strings.Contains(r.Message.Text(), "no tally") {
		t.Errorf("checkin close: %q", r.Message.Text())
	}
	sum := waitPost(t, ctx, fake, facs, 0, "Check-in summary").Text()
	for _, want := range []string{"<@" + sam + ">: green", "<@" + alex + ">: red", "Passed (1)", "<@" + kim + ">", "No answer yet (1)", "<@" + lee + ">"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}

	// A scale check-in: a 1 alerts; three answered, so the tally appears.
	ask(t, fake, fran, channel, []string{"checkin", "start"}, map[string]string{"kind": "scale"})
	ci2 := waitPost(t, ctx, fake, channel, 1, "from 1 (very hard) to 5 (very good)")
	pressPrivately(t, fake, sam, ci2, "4")
	pressPrivately(t, fake, kim, ci2, "3")
	one := pressPrivately(t, fake, alex, ci2, "1 · very hard")
	if !strings.Contains(one.Message.Text(), "facilitators in tuesday-support") {
		t.Errorf("alex's scale-1 confirmation: %q", one.Message.Text())
	}
	// alex's second signal within 15 minutes is the same situation: the
	// alert is edited (two messages, the latest answer), not posted again.
	if err := fake.WaitFor(ctx, "the alert edited", func() bool {
		m, _ := fake.Message(alert.ID)
		return strings.Contains(m.Text(), "They answered: 1 of 5.") && strings.Contains(m.Text(), "2 since")
	}); err != nil {
		m, _ := fake.Message(alert.ID)
		t.Fatalf("%v: the alert reads %q", err, m.Text())
	}
	ask(t, fake, fran, channel, []string{"checkin", "close"}, nil)
	tally := waitPost(t, ctx, fake, channel, 1, "how the group is doing")
	if !strings.Contains(tally.Text(), "4/5 ×1, 3/5 ×1, 1/5 ×1") {
		t.Errorf("tally: %q", tally.Text())
	}

	// A text check-in: each member types their answer in Discord's form,
	// opened by the post's button and seen by them alone; words of risk in
	// it alert the facilitators; the summary quotes each answer, privately.
	ask(t, fake, fran, channel, []string{"checkin", "start"}, map[string]string{"kind": "text", "prompt": "What's on your mind today?"})
	ci3 := waitPost(t, ctx, fake, channel, 2, "What's on your mind today?")
	typed := map[string]string{sam: "an ok week, a bit tired", alex: "honestly i dont see a way out anymore"}
	for _, u := range []string{sam, alex} {
		r := discordForm(t, ctx, fake, u, channel, ci3, "Answer privately", typed[u])
		if !r.Ephemeral || r.OnlyFor != u || !strings.Contains(r.Message.Text(), "recorded: your answer") {
			t.Errorf("%s's confirmation of a typed answer %+v: %q", u, r, r.Message.Text())
		}
		if u == alex && !strings.Contains(r.Message.Text(), "passing this on to your facilitators in tuesday-support") {
			t.Errorf("alex's confirmation of words of risk: %q", r.Message.Text())
		}
	}
	// alex's third signal within 15 minutes: the same alert, now quoting
	// the typed words.
	if err := fake.WaitFor(ctx, "the alert quoting the typed answer", func() bool {
		m, _ := fake.Message(alert.ID)
		return strings.Contains(m.Text(), typed[alex]) && strings.Contains(m.Text(), "3 since")
	}); err != nil {
		m, _ := fake.Message(alert.ID)
		t.Fatalf("%v: the alert reads %q", err, m.Text())
	}
	ask(t, fake, fran, channel, []string{"checkin", "close"}, nil)
	sum3 := waitPost(t, ctx, fake, facs, 0, `"`+typed[sam]+`"`).Text()
	if !strings.Contains(sum3, "<@"+sam+">: \""+typed[sam]+"\"") || !strings.Contains(sum3, "<@"+alex+">: \""+typed[alex]+"\"") {
		t.Errorf("the text check-in's summary:\n%s", sum3)
	}

	// A DM check-in to someone whose DMs are closed: the facilitators are
	// told privately; nothing public names them.
	fake.CloseDMs(lee)
	ask(t, fake, fran, channel, []string{"checkin", "start"}, map[string]string{"delivery": "dm"})
	unreachable := waitPost(t, ctx, fake, facs, 0, "could not be asked privately")
	if !strings.Contains(unreachable.Text(), "<@"+lee+">") {
		t.Errorf("unreachable note: %q", unreachable.Text())
	}
	for _, m := range fake.Messages(channel) {
		if strings.Contains(m.Text(), lee) || strings.Contains(m.Text(), alex) || strings.Contains(m.Text(), words) ||
			strings.Contains(m.Text(), typed[sam]) || strings.Contains(m.Text(), typed[alex]) {
			t.Errorf("the group's channel shows something private: %q", m.Text())
		}
	}
	// lee writes again, words of risk, with DMs closed: tend's private
	// answer fails, and the log says so without naming lee or the DM.
	again := "still here. i want to end my life tonight"
	fake.UserMessage(lee, dm, again)
	waitLog(t, ctx, p, "replying privately to an event failed")
	if inv := fake.Invalid(); len(inv) > 0 {
		t.Errorf("requests failing Discord's spec: %v", inv)
	}
	logs := p.stderr.String()
	if !strings.Contains(logs, "level=DEBUG") {
		t.Fatalf("the log is not at debug level")
	}
	for _, w := range []string{words, typed[sam], typed[alex], again} {
		if strings.Contains(logs, w) {
			t.Errorf("the log holds what a member wrote: %q", w)
		}
	}
	// Nor, at debug level, who sent a DM or answered a check-in: no line
	// names alex (a red, a 1 and words of risk) or lee (a crisis DM).
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, alex) || strings.Contains(l, lee) || strings.Contains(l, dm) {
			t.Errorf("a log line names a member who answered or wrote to tend, or their DM channel: %s", l)
		}
	}
	p.alive(t)
}

// discordForm presses the button labelled label on m as user, which must
// open a form, types text into its one input and submits it; it returns
// tend's answer to the submission.
func discordForm(t *testing.T, ctx context.Context, fake *discordtest.Server, user, channel string, m discordtest.Message, label, text string) discordtest.Shown {
	t.Helper()
	for _, b := range m.Buttons() {
		if b.Label != label {
			continue
		}
		id, err := fake.Press(user, m.ID, b.CustomID)
		if err != nil {
			t.Fatal(err)
		}
		it, err := fake.WaitAnswered(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var modal struct {
			CustomID   string `json:"custom_id"`
			Components []struct {
				Components []struct {
					CustomID string `json:"custom_id"`
				} `json:"components"`
			} `json:"components"`
		}
		if err := json.Unmarshal(it.Callback, &modal); err != nil || it.CallbackType != 9 || len(modal.Components) != 1 || len(modal.Components[0].Components) != 1 {
			t.Fatalf("pressing %q answered type %d %s; want a form (9) with one input", label, it.CallbackType, it.Callback)
		}
		sid, err := fake.SubmitModal(user, channel, modal.CustomID, map[string]string{modal.Components[0].Components[0].CustomID: text})
		if err != nil {
			t.Fatal(err)
		}
		return answer(t, fake, sid)
	}
	t.Fatalf("message %q has no button %q", m.Text(), label)
	return discordtest.Shown{}
}
