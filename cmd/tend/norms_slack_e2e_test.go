package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tend-bot/tend/adapters/slack/fakeslack"
)

// slackDM waits for a direct message to user whose text holds want.
func slackDM(t *testing.T, ctx context.Context, fake *fakeslack.Server, user, want string) fakeslack.Message {
	t.Helper()
	dm := "D" + strings.TrimPrefix(user, "U") // the fake's DM channel with user
	m, err := fake.WaitMessage(ctx, dm, func(m fakeslack.Message) bool {
		return strings.Contains(m.Text+"\n"+fakeslack.BlockText(m.Blocks), want)
	})
	if err != nil {
		t.Fatalf("no DM to %s saying %q: %v", user, want, err)
	}
	return m
}

// slackClick presses the button labelled label on m as user.
func slackClick(t *testing.T, ctx context.Context, fake *fakeslack.Server, user string, m fakeslack.Message, label string) {
	t.Helper()
	for _, b := range fakeslack.Buttons(m.Blocks) {
		if b.Label == label {
			res, err := fake.Click(ctx, user, m, b.ActionID)
			if err != nil || res.Late {
				t.Fatalf("press %q: %v (late %v)", label, err, res.Late)
			}
			return
		}
	}
	t.Fatalf("message has no button %q: %s", label, fakeslack.BlockText(m.Blocks))
}

// TestNormsE2E_Slack runs the flow on Slack, in Socket Mode and in
// HTTP mode: a newcomer joins the public lobby channel → welcome DM; agrees
// → invited to the group's private channel; a facilitator edits the norms
// in the modal → the member is asked again privately; norms status shows
// both versions, and the member stays in the channel.
func TestNormsE2E_Slack(t *testing.T) {
	bin := buildTend(t)
	const (
		fran  = "U0FRAN"
		sam   = "U0SAM"
		group = "C0TUESDAY"
		lobby = "C0LOBBY1"
	)
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			fake := fakeslack.New(t, fakeslack.Options{})
			fake.AddUser(fran, "fran")
			fake.AddUser(sam, "sam")
			fake.AddChannel(group, "tuesday", true, fran)
			fake.AddChannel(lobby, "lobby", false, fran)
			groups := `groups:
  - name: tuesday
    platform: slack
    channel: ` + group + `
    timezone: UTC
    facilitators: ["slack:` + fran + `"]
    norms: {template: support, require: true, lobby_channel: ` + lobby + `}
`
			p := startSlackTend(t, bin, slackConfig(t, fake, mode, fran, groups), fake)
			ctx := slackWaitCtx(t)
			slackReady(t, ctx, fake, mode)

			if _, err := fake.MemberJoined(ctx, sam, lobby); err != nil {
				t.Fatal(err)
			}
			welcome := slackDM(t, ctx, fake, sam, "Welcome to tuesday")
			text := fakeslack.BlockText(welcome.Blocks)
			for _, want := range []string{"group tuesday meets in <#" + group + ">", "tend invites you to <#" + group + "> as soon as you agree",
				"What is shared here stays here", "Check-in answers are seen only by the facilitators"} {
				if !strings.Contains(text, want) {
					t.Errorf("welcome lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, lobby) {
				t.Errorf("the welcome names the lobby, not the group's channel:\n%s", text)
			}
			if fake.InChannel(group, sam) {
				t.Fatal("sam is in the private channel before agreeing")
			}
			slackClick(t, ctx, fake, sam, welcome, "I agree")
			if _, err := fake.WaitEphemeral(ctx, sam, func(e fakeslack.Ephemeral) bool {
				return strings.Contains(e.Text+fakeslack.BlockText(e.Blocks), "you agreed to version 1")
			}); err != nil {
				t.Fatalf("agreeing was not answered privately: %v", err)
			}
			if err := fake.Wait(ctx, func() bool { return fake.InChannel(group, sam) }); err != nil {
				t.Fatalf("sam was not invited to the private channel: %v", err)
			}
			slackDM(t, ctx, fake, sam, "You're in")

			// The facilitator edits the norms in Slack's modal.
			views := len(fake.Views())
			if res, err := fake.SlashCommand(ctx, fran, group, "norms edit"); err != nil || res.Late {
				t.Fatalf("norms edit: %v (late %v)", err, res.Late)
			}
			if err := fake.Wait(ctx, func() bool { return len(fake.Views()) > views }); err != nil {
				t.Fatalf("no modal opened: %v", err)
			}
			view := fake.Views()[views]
			var raw struct {
				Blocks []struct {
					Element struct {
						ActionID     string `json:"action_id"`
						InitialValue string `json:"initial_value"`
						Multiline    bool   `json:"multiline"`
					} `json:"element"`
				} `json:"blocks"`
			}
			if err := json.Unmarshal(view.Raw, &raw); err != nil || len(raw.Blocks) != 1 {
				t.Fatalf("modal %s: %v", view.Raw, err)
			}
			input := raw.Blocks[0].Element
			if !input.Multiline || !strings.HasPrefix(input.InitialValue, "1. What is shared here stays here") {
				t.Fatalf("the modal's input %+v; want the current norms, multi-line", input)
			}
			if _, err := fake.Submit(ctx, fran, view, map[string]string{input.ActionID: input.InitialValue + "\n10. Phones on silent."}); err != nil {
				t.Fatal(err)
			}
			if _, err := fake.WaitEphemeral(ctx, fran, func(e fakeslack.Ephemeral) bool {
				return strings.Contains(e.Text+fakeslack.BlockText(e.Blocks), "Saved version 2")
			}); err != nil {
				t.Fatalf("the edit was not confirmed: %v", err)
			}
			slackDM(t, ctx, fake, sam, "changed (version 2)")
			st := slackAsk(t, ctx, fake, fran, group, "norms status", "Version 2")
			all := st.Text + "\n" + fakeslack.BlockText(st.Blocks)
			for _, want := range []string{"Version 1", "On an older version", "version 1"} {
				if !strings.Contains(all, want) {
					t.Errorf("status lacks %q:\n%s", want, all)
				}
			}
			if !fake.InChannel(group, sam) {
				t.Error("sam lost access to the channel when asked again")
			}
			for _, ch := range []string{group, lobby} {
				if n := len(fake.Messages(ch)); n != 0 {
					t.Errorf("%d messages in %s; onboarding is private", n, ch)
				}
			}
			if v := fake.Violations(); len(v) > 0 {
				t.Errorf("requests failing Slack's spec: %q", v)
			}
			p.alive(t)
		})
	}
}
