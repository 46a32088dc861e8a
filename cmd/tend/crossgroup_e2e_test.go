package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
)

// The tests here press, on group alpha's reminder, the validly signed RSVP
// button of group beta's reminder, through the real binary and each
// platform's fake: the presser is in both groups' channels, so only the
// rule "in a channel a button acts only on that channel's group" stands
// between them and beta. Nothing of beta changes, the presser is refused
// privately, and a press of alpha's own button afterwards shows the path
// works (issue 9, point 2).

// twoGroups is the groups: section of alpha and beta, on platform, in
// channels a and b, each with a session half an hour away whose 1 h
// reminder is due at once.
func twoGroups(platform, a, b, guild string) string {
	start := time.Now().UTC().Add(30 * time.Minute).Truncate(time.Minute)
	weekly := strings.ToLower(start.Format("Mon")) + " " + start.Format("15:04")
	g := ""
	if guild != "" {
		g = fmt.Sprintf(", guild: %q", guild)
	}
	var s strings.Builder
	s.WriteString("groups:\n")
	for _, x := range []struct{ name, ch string }{{"alpha", a}, {"beta", b}} {
		fmt.Fprintf(&s, "  - {name: %s, platform: %s, channel: %q%s, timezone: UTC, schedule: {weekly: %q, duration: 60m, count: 2}, reminders: {lead: [1h]}}\n",
			x.name, platform, x.ch, g, weekly)
	}
	return s.String()
}

func TestDiscordE2E_OtherGroupsButtonChangesNothing(t *testing.T) {
	bin := buildTend(t)
	fake := discordtest.New(t, discordtest.Config{})
	guild := fake.AddGuild("Peer support")
	chA := fake.AddChannel(guild, "alpha", discordtest.ChannelText)
	chB := fake.AddChannel(guild, "beta", discordtest.ChannelText)
	owner, sam := fake.AddUser("owner", false), fake.AddUser("sam", false)
	for _, u := range []string{owner, sam} {
		fake.AddMember(guild, discordtest.Member{UserID: u})
	}
	p := startTend(t, bin, discordConfig(fake, guild, []string{owner}, twoGroups("discord", chA, chB, guild)), fake.Token())
	ctx := waitCtx(t)
	reminderIn := func(ch string) discordtest.Message {
		t.Helper()
		var got discordtest.Message
		if err := fake.WaitFor(ctx, "the reminder in "+ch, func() bool {
			for _, m := range fake.Messages(ch) {
				if m.InteractionID == "" && len(m.Buttons()) >= 2 {
					got = m
					return true
				}
			}
			return false
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	remA, remB := reminderIn(chA), reminderIn(chB)
	p.waitLogCount(t, ctx, "reminder posted", 2)

	id, err := fake.Press(sam, remA.ID, remB.Buttons()[0].CustomID)
	if err != nil {
		t.Fatal(err)
	}
	r := answer(t, fake, id)
	if !r.Ephemeral || r.OnlyFor != sam || !strings.Contains(r.Message.Text(), "does not belong to this channel's group, so it changed nothing") {
		t.Fatalf("beta's button on alpha's reminder answered %+v; want a private refusal for sam", r)
	}

	// alpha's own button works: its reminder is edited, beta's is not.
	id, err = fake.Press(sam, remA.ID, remA.Buttons()[0].CustomID)
	if err != nil {
		t.Fatal(err)
	}
	if r := answer(t, fake, id); !r.Ephemeral || strings.Contains(r.Message.Text(), "does not belong") {
		t.Fatalf("alpha's own button answered %+v", r)
	}
	if err := fake.WaitFor(ctx, "alpha's count edited", func() bool {
		m, _ := fake.Message(remA.ID)
		return m.Edits == 1 && strings.Contains(m.Text(), "1 coming")
	}); err != nil {
		m, _ := fake.Message(remA.ID)
		t.Fatalf("%v; alpha's reminder reads %q after %d edits", err, m.Text(), m.Edits)
	}
	if m, _ := fake.Message(remB.ID); m.Edits != 0 || m.Text() != remB.Text() {
		t.Errorf("beta's reminder changed (%d edits): %q", m.Edits, m.Text())
	}
	if n := len(fake.Messages(chB)); n != 1 {
		t.Errorf("%d messages in beta's channel; want its reminder only", n)
	}
	if inv := fake.Invalid(); len(inv) > 0 {
		t.Errorf("requests failing Discord's spec: %v", inv)
	}
	p.alive(t)
}

func TestSlackE2E_OtherGroupsButtonChangesNothing(t *testing.T) {
	bin := buildTend(t)
	const (
		owner = "U0OWNER"
		sam   = "U0SAM"
		chA   = "C0ALPHA"
		chB   = "C0BETA"
	)
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			fake := fakeslack.New(t, fakeslack.Options{})
			fake.AddUser(owner, "owner")
			fake.AddUser(sam, "sam")
			fake.AddChannel(chA, "alpha", false, owner, sam)
			fake.AddChannel(chB, "beta", false, owner, sam)
			p := startSlackTend(t, bin, slackConfig(t, fake, mode, owner, twoGroups("slack", chA, chB, "")), fake)
			ctx := slackWaitCtx(t)
			slackReady(t, ctx, fake, mode)
			reminderIn := func(ch string) fakeslack.Message {
				t.Helper()
				m, err := fake.WaitMessage(ctx, ch, func(m fakeslack.Message) bool {
					return m.Via == "chat.postMessage" && len(fakeslack.Buttons(m.Blocks)) >= 2
				})
				if err != nil {
					t.Fatalf("no reminder in %s: %v", ch, err)
				}
				return m
			}
			remA, remB := reminderIn(chA), reminderIn(chB)
			p.waitLogCount(t, ctx, "reminder posted", 2)
			current := func(ch, ts string) fakeslack.Message {
				for _, m := range fake.Messages(ch) {
					if m.TS == ts {
						return m
					}
				}
				return fakeslack.Message{}
			}

			if _, err := fake.Click(ctx, sam, remA, fakeslack.Buttons(remB.Blocks)[0].ActionID); err != nil {
				t.Fatal(err)
			}
			refusal, err := fake.WaitEphemeral(ctx, sam, func(e fakeslack.Ephemeral) bool {
				return strings.Contains(e.Text, "does not belong to this channel's group, so it changed nothing")
			})
			if err != nil {
				t.Fatalf("beta's button on alpha's reminder: no private refusal for sam: %v; answers %+v", err, fake.Ephemerals(sam))
			}
			if refusal.User != sam {
				t.Errorf("refusal shown to %q; want only sam", refusal.User)
			}

			// alpha's own button works: its reminder is edited, beta's
			// is not.
			if _, err := fake.Click(ctx, sam, remA, fakeslack.Buttons(remA.Blocks)[0].ActionID); err != nil {
				t.Fatal(err)
			}
			if err := fake.Wait(ctx, func() bool {
				m := current(chA, remA.TS)
				return m.Edits == 1 && strings.Contains(fakeslack.BlockText(m.Blocks), "1 coming")
			}); err != nil {
				m := current(chA, remA.TS)
				t.Fatalf("%v; alpha's reminder reads %q after %d edits", err, fakeslack.BlockText(m.Blocks), m.Edits)
			}
			if m := current(chB, remB.TS); m.Edits != 0 || fakeslack.BlockText(m.Blocks) != fakeslack.BlockText(remB.Blocks) {
				t.Errorf("beta's reminder changed (%d edits): %q", m.Edits, fakeslack.BlockText(m.Blocks))
			}
			if n := len(fake.Messages(chB)); n != 1 {
				t.Errorf("%d messages in beta's channel; want its reminder only", n)
			}
			for _, e := range fake.Ephemerals("") {
				if e.User != sam {
					t.Errorf("a private answer went to %s: %q", e.User, e.Text)
				}
			}
			if v := fake.Violations(); len(v) > 0 {
				t.Errorf("requests failing Slack's spec: %q", v)
			}
			p.alive(t)
		})
	}
}

// waitLogCount waits until tend's output holds s at least n times.
func (p *tendProcess) waitLogCount(t *testing.T, ctx context.Context, s string, n int) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for strings.Count(p.stderr.String(), s) < n {
		select {
		case <-ctx.Done():
			t.Fatalf("tend logged %q %d times; want %d", s, strings.Count(p.stderr.String(), s), n)
		case <-tick.C:
		}
	}
}
