package slack_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
)

func commandForm(text string) []byte {
	return []byte(url.Values{
		"team_id": {"T0FAKE"}, "channel_id": {groupChan}, "channel_name": {"tuesday-group"},
		"user_id": {member1}, "user_name": {"mem1"}, "command": {"/tend"}, "text": {text},
		"response_url": {"http://127.0.0.1:1/nowhere"}, "trigger_id": {"t"},
	}.Encode())
}

func TestHTTP_RefusesUnverifiedRequests(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeHTTP})
	big := commandForm("help " + strings.Repeat("x", 70<<10))
	for _, tc := range []struct {
		name   string
		path   string
		body   []byte
		opts   fakeslack.SignOptions
		status int
	}{
		{"Unsigned", slack.PathCommands, commandForm("help"), fakeslack.SignOptions{Unsigned: true}, http.StatusUnauthorized},
		{"ForgedSignature", slack.PathCommands, commandForm("help"), fakeslack.SignOptions{Forge: true}, http.StatusUnauthorized},
		{"ReplayedAfterFiveMinutes", slack.PathCommands, commandForm("help"), fakeslack.SignOptions{Skew: -6 * time.Minute}, http.StatusUnauthorized},
		{"FromTheFuture", slack.PathCommands, commandForm("help"), fakeslack.SignOptions{Skew: 6 * time.Minute}, http.StatusUnauthorized},
		{"Oversized", slack.PathCommands, big, fakeslack.SignOptions{}, http.StatusRequestEntityTooLarge},
		{"ForgedInteraction", slack.PathInteractive, []byte("payload=%7B%22type%22%3A%22block_actions%22%7D"), fakeslack.SignOptions{Forge: true}, http.StatusUnauthorized},
		{"ForgedEvent", slack.PathEvents, []byte(`{"type":"url_verification","challenge":"c"}`), fakeslack.SignOptions{Forge: true}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := "application/x-www-form-urlencoded"
			if tc.path == slack.PathEvents {
				ct = "application/json"
			}
			res, err := e.fake.PostSigned(e.ctx, tc.path, ct, tc.body, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status {
				t.Errorf("status %d; want %d", res.Status, tc.status)
			}
		})
	}
	// The refused requests made no Web API call: only auth.test, at start.
	if calls := e.fake.Calls(); len(calls) != 1 || calls[0].Method != "auth.test" {
		t.Errorf("Web API calls %+v; want only auth.test (refused requests do nothing)", calls)
	}
	// A valid request afterwards is the sentinel: it is answered, and it is
	// the only event that reached the core.
	res, err := e.fake.PostSigned(e.ctx, slack.PathCommands, "application/x-www-form-urlencoded", commandForm("help"), fakeslack.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), "what you can do here") {
		t.Fatalf("a valid signed request got %d %s", res.Status, res.Body)
	}
	if n := e.handled.get(); n != 1 {
		t.Errorf("%d events reached the core; want only the valid one", n)
	}
}

func TestHTTP_URLVerification(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeHTTP})
	res, err := e.fake.PostSigned(e.ctx, slack.PathEvents, "application/json",
		[]byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`), fakeslack.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || string(res.Body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification answered %d %q; want the challenge", res.Status, res.Body)
	}
}
