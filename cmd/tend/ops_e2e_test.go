package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
)

// httpGet fetches url and returns the status and body; err for a
// connection that failed.
func httpGet(ctx context.Context, url string) (int, string, error) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// waitHTTP polls url until it answers code with a body containing every
// one of wants, and returns that body.
func waitHTTP(t *testing.T, ctx context.Context, url string, code int, wants ...string) string {
	t.Helper()
	var last string
	for {
		got, body, err := httpGet(ctx, url)
		if err == nil && got == code {
			ok := true
			for _, w := range wants {
				ok = ok && strings.Contains(body, w)
			}
			if ok {
				return body
			}
		}
		last = fmt.Sprintf("%d %q (%v)", got, body, err)
		select {
		case <-ctx.Done():
			t.Fatalf("%s never answered %d with %q; last: %s", url, code, wants, last)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func TestOpsE2E_ReadinessFollowsDiscord(t *testing.T) {
	bin := buildTend(t)
	fake := discordtest.New(t, discordtest.Config{})
	guild := fake.AddGuild("Peer support")
	channel := fake.AddChannel(guild, "tuesday", discordtest.ChannelText)
	owner := fake.AddUser("fran", false)
	fake.AddMember(guild, discordtest.Member{UserID: owner})
	addr := freeAddr(t)
	cfg := discordConfig(fake, guild, []string{owner}, fmt.Sprintf("http: {listen: %q}\n", addr))
	p := startTend(t, bin, cfg, fake.Token())
	ctx := waitCtx(t)
	base := "http://" + addr

	waitHTTP(t, ctx, base+"/readyz", http.StatusOK, "discord: connected\ndatabase: answers\n")
	waitHTTP(t, ctx, base+"/healthz", http.StatusOK, "ok")
	if err := fake.WaitFor(ctx, "/tend registered", func() bool { return len(fake.Commands(guild)) == 1 }); err != nil {
		t.Fatal(err)
	}
	// A command answered is counted, with its answer time.
	if help := ask(t, fake, owner, channel, []string{"help"}, nil); !strings.Contains(help.Message.Text(), "what you can do here") {
		t.Fatalf("help answered %q", help.Message.Text())
	}
	waitHTTP(t, ctx, base+"/metrics", http.StatusOK,
		`tend_platform_connected{platform="discord"} 1`,
		`tend_interaction_answer_seconds_count{platform="discord"} 1`,
		`tend_database_up 1`)

	// Discord's gateway goes down and stays down: not ready, saying why;
	// still alive.
	fake.RefuseGateway(true)
	fake.DropSocket()
	body := waitHTTP(t, ctx, base+"/readyz", http.StatusServiceUnavailable, "discord: NOT READY: gateway disconnected since ", "database: answers")
	t.Logf("/readyz while Discord is down:\n%s", body)
	waitHTTP(t, ctx, base+"/healthz", http.StatusOK, "ok")
	waitHTTP(t, ctx, base+"/metrics", http.StatusOK, `tend_platform_connected{platform="discord"} 0`)

	// It comes back: ready again, by tend's own reconnection.
	fake.RefuseGateway(false)
	waitHTTP(t, ctx, base+"/readyz", http.StatusOK, "discord: connected")
	p.alive(t)
	if strings.Contains(p.stderr.String(), "what you can do here") {
		t.Error("the log holds message content")
	}
}

func TestOpsE2E_ReadinessFollowsSlack(t *testing.T) {
	bin := buildTend(t)
	fake := fakeslack.New(t, fakeslack.Options{})
	addr := freeAddr(t)
	cfg := slackConfig(t, fake, "socket", "U0OWNER01", fmt.Sprintf("http: {listen: %q}\n", addr))
	p := startSlackTend(t, bin, cfg, fake)
	ctx := slackWaitCtx(t)
	base := "http://" + addr
	slackReady(t, ctx, fake, "socket")
	waitHTTP(t, ctx, base+"/readyz", http.StatusOK, "slack: connected\ndatabase: answers\n")

	fake.RefuseSockets(true)
	if err := fake.Drop(); err != nil {
		t.Fatal(err)
	}
	body := waitHTTP(t, ctx, base+"/readyz", http.StatusServiceUnavailable, "slack: NOT READY: socket mode ")
	t.Logf("/readyz while Slack's socket is down:\n%s", body)
	waitHTTP(t, ctx, base+"/metrics", http.StatusOK, `tend_platform_connected{platform="slack"} 0`)

	fake.RefuseSockets(false)
	waitHTTP(t, ctx, base+"/readyz", http.StatusOK, "slack: connected")
	p.alive(t)
}

func TestMain_OperatorEndpointAddressInUse(t *testing.T) {
	dir := t.TempDir()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	writeConfig(t, dir, fmt.Sprintf("http: {listen: %q}\n", ln.Addr().String()))
	tm := newTestMain(t, dir, "")
	if code := tm.run(t, "run"); code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailure, tm.stderr.String())
	}
	wantContains(t, "stderr", tm.stderr.String(), "http.listen: cannot listen on "+ln.Addr().String(), "set http.listen to another one")
}

func TestMain_CheckShowsListeners(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "http: {listen: 127.0.0.1:9090}\ncalendar: {listen: \":8081\", base_url: \"https://tend.example.org\"}\n")
	tm := newTestMain(t, dir, "")
	if code := tm.run(t, "check"); code != 0 {
		t.Fatalf("exit %d\n%s", code, tm.stderr.String())
	}
	wantContains(t, "check", tm.stdout.String(),
		"  http:      /healthz, /readyz and /metrics on 127.0.0.1:9090\n",
		"  calendar:  feeds served on :8081, linked as https://tend.example.org/calendar/…\n")
}
