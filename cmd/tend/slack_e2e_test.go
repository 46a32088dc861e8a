package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/slack/fakeslack"
)

// slackWaitCtx bounds a test's waits.
func slackWaitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// slackTend is the real tend binary running against the fake Slack.
type slackTend struct{ *tendProcess }

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// slackConfig is a tend.yaml for the fake in mode; in http mode the fake
// is pointed at the listen address.
func slackConfig(t *testing.T, fake *fakeslack.Server, mode, owner, groups string) string {
	t.Helper()
	var modeKeys string
	if mode == "http" {
		addr := freeAddr(t)
		fake.SetHTTPTarget("http://" + addr)
		modeKeys = fmt.Sprintf("  signing_secret_env: TEND_E2E_SLACK_SECRET\n  listen: %q\n", addr)
	} else {
		modeKeys = "  app_token_env: TEND_E2E_SLACK_APP\n"
	}
	return fmt.Sprintf(`storage: {path: tend.db}
log: {level: debug, format: text}
timezone: UTC
owners: ["slack:%s"]
slack:
  mode: %s
  bot_token_env: TEND_E2E_SLACK_BOT
%s  api_url: %q
console: {enabled: "off"}
%s`, owner, mode, modeKeys, fake.APIURL(), groups)
}

// startSlackTend runs `tend run` with the fake's tokens in the
// environment. Cleanup stops it with SIGINT and expects exit 0 and no
// secret in its output.
func startSlackTend(t *testing.T, bin, config string, fake *fakeslack.Server) *slackTend {
	t.Helper()
	o := fake.Opts()
	env := []string{"TEND_E2E_SLACK_BOT=" + o.BotToken, "TEND_E2E_SLACK_APP=" + o.AppToken, "TEND_E2E_SLACK_SECRET=" + o.SigningSecret}
	return &slackTend{runTend(t, bin, t.TempDir(), config, env, []string{o.BotToken, o.AppToken, o.SigningSecret})}
}

// waitLog waits until tend's output contains s.
func (p *slackTend) waitLog(t *testing.T, ctx context.Context, s string) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(p.stderr.String(), s) {
		select {
		case <-ctx.Done():
			t.Fatalf("tend never logged %q", s)
		case <-tick.C:
		}
	}
}

// ready waits until tend serves Slack: a Socket Mode connection, or a
// listening HTTP endpoint that answers url_verification.
func slackReady(t *testing.T, ctx context.Context, fake *fakeslack.Server, mode string) {
	t.Helper()
	if mode != "http" {
		if _, err := fake.Connected(ctx); err != nil {
			t.Fatal(err)
		}
		return
	}
	for {
		res, err := fake.PostSigned(ctx, fakeslack.PathEvents, "application/json", []byte(`{"type":"url_verification","challenge":"ready"}`), fakeslack.SignOptions{})
		if err == nil && res.Status == http.StatusOK && string(res.Body) == "ready" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("tend never answered on its listen address: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// slackAsk runs /tend text and returns the ephemeral answer to user
// containing want, checking Slack's deadline.
func slackAsk(t *testing.T, ctx context.Context, fake *fakeslack.Server, user, channel, text, want string) fakeslack.Ephemeral {
	t.Helper()
	before := len(fake.Ephemerals(user))
	res, err := fake.SlashCommand(ctx, user, channel, text)
	if err != nil {
		t.Fatalf("/tend %s: %v", text, err)
	}
	if res.Late {
		t.Fatalf("/tend %s acknowledged after Slack's 3 s deadline", text)
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
		all := fake.Ephemerals(user)
		t.Fatalf("/tend %s: no private answer containing %q; answers after it: %+v", text, want, all[min(before, len(all)):])
	}
	return got
}

func TestSlackE2E(t *testing.T) {
	bin := buildTend(t)
	const (
		facil   = "U0FRAN"
		sam     = "U0SAM"
		alex    = "U0ALEX"
		channel = "C0TUESDAY"
	)
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			fake := fakeslack.New(t, fakeslack.Options{})
			for _, u := range []string{facil, sam, alex} {
				fake.AddUser(u, strings.ToLower(u[3:]))
			}
			fake.AddChannel(channel, "tuesday", false, facil, sam, alex)
			p := startSlackTend(t, bin, slackConfig(t, fake, mode, facil, ""), fake)
			ctx := slackWaitCtx(t)
			slackReady(t, ctx, fake, mode)

			help := slackAsk(t, ctx, fake, sam, channel, "help", "what you can do here")
			if help.User != sam {
				t.Errorf("help shown to %q; want only sam", help.User)
			}

			slackAsk(t, ctx, fake, facil, channel, "group setup name:tuesday-support timezone:UTC", "tuesday-support")
			start := time.Now().UTC().Add(30 * time.Minute).Truncate(time.Minute)
			weekly := strings.ToLower(start.Format("Mon")) + " " + start.Format("15:04")
			sched := slackAsk(t, ctx, fake, facil, channel, fmt.Sprintf("session schedule weekly:%q duration:90m count:4", weekly), "")
			if s := sched.Text; strings.Contains(s, "Sorry") || strings.Contains(s, "Only") {
				t.Fatalf("session schedule answered %q", s)
			}

			// The reminders of a session half an hour away are both past: the
			// 1 h one is sent late, while still useful.
			reminder, err := fake.WaitMessage(ctx, channel, func(m fakeslack.Message) bool {
				return m.Via == "chat.postMessage" && len(fakeslack.Buttons(m.Blocks)) >= 2
			})
			if err != nil {
				t.Fatalf("no reminder with buttons: %v", err)
			}
			// The reminders feature finds the posts to edit in the outbox,
			// which records a post once Slack has answered; it logs
			// "reminder posted" after that.
			p.waitLog(t, ctx, "reminder posted")
			text := fakeslack.BlockText(reminder.Blocks)
			if want := fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|", start.Unix()); !strings.Contains(text, want) {
				t.Errorf("reminder %q does not show the session time as %s…>", text, want)
			}
			if reminder.Metadata == nil || reminder.Metadata.EventType != "tend_post" {
				t.Errorf("reminder posted without its outbox key in metadata")
			}
			for _, b := range fakeslack.Buttons(reminder.Blocks) {
				if b.BlockID == "" {
					t.Errorf("button %q in a block without block_id", b.Label)
				}
			}
			yes := fakeslack.Buttons(reminder.Blocks)[0]
			current := func() fakeslack.Message {
				for _, m := range fake.Messages(channel) {
					if m.TS == reminder.TS {
						return m
					}
				}
				return fakeslack.Message{}
			}
			// One member after the other, as the Discord test does: each
			// click is answered privately and edits the count in place.
			// (Simultaneous clicks can leave a stale count: see the report
			// on reminders' RSVP edits.)
			for i, u := range []string{sam, alex} {
				res, err := fake.Click(ctx, u, reminder, yes.ActionID)
				if err != nil || res.Late {
					t.Fatalf("RSVP by %s: %v (late %v)", u, err, res.Late)
				}
				if err := fake.Wait(ctx, func() bool { return len(fake.Ephemerals(u)) > 0 && current().Edits >= i+1 }); err != nil {
					t.Fatalf("RSVP by %s: no private answer or no edit: %v", u, err)
				}
			}
			if err := fake.Wait(ctx, func() bool {
				return strings.Contains(fakeslack.BlockText(current().Blocks), "2 coming")
			}); err != nil {
				t.Fatalf("%v; reminder now reads %q", err, fakeslack.BlockText(current().Blocks))
			}
			if !strings.Contains(fake.Ephemerals(alex)[0].Text, "you're down as coming") {
				t.Errorf("alex's answer %q", fake.Ephemerals(alex)[0].Text)
			}
			posts := 0
			for _, m := range fake.Messages(channel) {
				if len(fakeslack.Buttons(m.Blocks)) > 0 {
					posts++
				}
			}
			if posts != 1 {
				t.Errorf("%d reminder posts; want 1 (RSVPs edit in place)", posts)
			}

			slackAsk(t, ctx, fake, sam, channel, "session list", "Only facilitators")

			i := strings.LastIndexByte(yes.ActionID, '|')
			crafted := yes.ActionID[:i+1] + strings.Repeat("A", len(yes.ActionID)-i-1)
			if _, err := fake.Click(ctx, sam, reminder, crafted); err != nil {
				t.Fatal(err)
			}
			if _, err := fake.WaitEphemeral(ctx, sam, func(e fakeslack.Ephemeral) bool { return strings.Contains(e.Text, "not valid") }); err != nil {
				t.Errorf("crafted action_id not refused privately: %v", err)
			}
			if mode == "http" {
				refuseUnverified(t, ctx, fake, sam, channel)
			}
			if v := fake.Violations(); len(v) > 0 {
				t.Errorf("requests failing Slack's spec: %q", v)
			}
			p.alive(t)
		})
	}
}

// refuseUnverified sends tend a forged, a replayed and an oversized slash
// command: each is refused with 401 or 413 and nothing comes of it.
func refuseUnverified(t *testing.T, ctx context.Context, fake *fakeslack.Server, user, channel string) {
	t.Helper()
	form := func(text string) []byte {
		return []byte(url.Values{"team_id": {fake.Opts().TeamID}, "channel_id": {channel}, "user_id": {user},
			"command": {"/tend"}, "text": {text}, "response_url": {fake.URL() + "/respond/none"}, "trigger_id": {"x"}}.Encode())
	}
	calls, eph, msgs := len(fake.Calls()), len(fake.Ephemerals("")), len(fake.Messages(""))
	for _, tc := range []struct {
		name   string
		body   []byte
		opts   fakeslack.SignOptions
		status int
	}{
		{"forged signature", form("help"), fakeslack.SignOptions{Forge: true}, http.StatusUnauthorized},
		{"replayed after 6 minutes", form("help"), fakeslack.SignOptions{Skew: -6 * time.Minute}, http.StatusUnauthorized},
		{"unsigned", form("help"), fakeslack.SignOptions{Unsigned: true}, http.StatusUnauthorized},
		{"oversized", form("help " + strings.Repeat("x", 1<<20)), fakeslack.SignOptions{}, http.StatusRequestEntityTooLarge},
	} {
		res, err := fake.PostSigned(ctx, fakeslack.PathCommands, "application/x-www-form-urlencoded", tc.body, tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if res.Status != tc.status {
			t.Errorf("%s: status %d; want %d", tc.name, res.Status, tc.status)
		}
	}
	// A valid command afterwards is answered: the refused ones went nowhere.
	slackAsk(t, ctx, fake, user, channel, "help", "what you can do here")
	if n := len(fake.Calls()) - calls; n != 0 {
		t.Errorf("%d Web API calls after refused requests; want none", n)
	}
	if n := len(fake.Ephemerals("")) - eph; n != 1 {
		t.Errorf("%d private answers; want only the valid command's", n)
	}
	if n := len(fake.Messages("")) - msgs; n != 0 {
		t.Errorf("%d messages after refused requests; want none", n)
	}
}

func TestSlackE2E_FaultsDuringABurst(t *testing.T) {
	bin := buildTend(t)
	const owner = "U0OWNER"
	fake := fakeslack.New(t, fakeslack.Options{})
	fake.AddUser(owner, "owner")
	start := time.Now().UTC().Add(30 * time.Minute).Truncate(time.Minute)
	weekly := strings.ToLower(start.Format("Mon")) + " " + start.Format("15:04")
	const n = 40
	var groups strings.Builder
	groups.WriteString("groups:\n")
	channels := make([]string, n)
	for i := range n {
		channels[i] = fmt.Sprintf("C0G%04d", i)
		fake.AddChannel(channels[i], fmt.Sprintf("g%d", i), false, owner)
		fmt.Fprintf(&groups, "  - {name: group-%d, platform: slack, channel: %q, timezone: UTC, schedule: {weekly: %q, duration: 60m, count: 2}, reminders: {lead: [24h, 1h]}}\n",
			i, channels[i], weekly)
	}
	// Faults armed before start: the first posts meet them.
	fake.Fail("chat.postMessage", http.StatusTooManyRequests, 10)
	fake.Fail("chat.postMessage", http.StatusInternalServerError, 3)
	fake.FailAfterCommit("chat.postMessage", 2)
	p := startSlackTend(t, bin, slackConfig(t, fake, "socket", owner, groups.String()), fake)
	ctx := slackWaitCtx(t)
	if _, err := fake.Connected(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fake.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := fake.Drop(); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitConnections(ctx, 3); err != nil {
		t.Fatal(err)
	}
	fake.Fail("chat.postMessage", http.StatusBadGateway, 2)
	posted := func() int {
		c := 0
		for _, ch := range channels {
			c += len(fake.Messages(ch))
		}
		return c
	}
	if err := fake.Wait(ctx, func() bool { return posted() >= n }); err != nil {
		t.Fatalf("%v: %d of %d posted", err, posted(), n)
	}
	// The process keeps serving after the faults.
	slackAsk(t, ctx, fake, owner, channels[0], "help", "what you can do here")
	for i, ch := range channels {
		if ms := fake.Messages(ch); len(ms) != 1 {
			t.Errorf("group-%d got %d reminders; want exactly 1", i, len(ms))
		}
	}
	if v := fake.Violations(); len(v) > 0 {
		t.Errorf("requests failing Slack's spec: %q", v)
	}
	p.alive(t)
}
