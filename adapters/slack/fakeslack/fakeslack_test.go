package fakeslack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"
)

// recorder is a testing.TB that keeps the fake's failure reports instead
// of failing the test, so that the test can check them.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errs   []string
	closes []func()
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Cleanup(f func()) { r.closes = append(r.closes, f) }
func (r *recorder) Helper()          {}

func (r *recorder) close() []string {
	for i := len(r.closes) - 1; i >= 0; i-- {
		r.closes[i]()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errs
}

func post(t *testing.T, u string, form url.Values, bearer string) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body
}

func TestSpec_RefusesRequestsOutsideTheSpec(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		form   url.Values
		want   string // in the violation
	}{
		{"MissingRequiredChannel", "chat.postMessage", url.Values{"text": {"hi"}}, "channel"},
		{"WrongType", "chat.postMessage", url.Values{"channel": {"C1"}, "text": {"hi"}, "unfurl_links": {"maybe"}}, "unfurl_links"},
		{"UnknownArgument", "chat.postMessage", url.Values{"channel": {"C1"}, "text": {"hi"}, "colour": {"red"}}, "colour"},
		{"UnknownMethod", "chat.postMessages", url.Values{"channel": {"C1"}}, "not a method"},
		{"PinWithoutChannel", "pins.add", url.Values{"timestamp": {"1.2"}}, "channel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			s := New(rec, Options{})
			s.AddChannel("C1", "one", false)
			body := post(t, s.APIURL()+tc.method, tc.form, s.Opts().BotToken)
			if body["ok"] != false || body["error"] != "invalid_arguments" {
				t.Errorf("answer %v; want ok:false invalid_arguments", body)
			}
			if n := len(s.Messages("")); n != 0 {
				t.Errorf("%d messages posted by an invalid request", n)
			}
			errs := rec.close()
			if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
				t.Errorf("reported %q; want one spec violation naming %q", errs, tc.want)
			}
		})
	}
}

func TestSpec_AcceptsTheRealClient(t *testing.T) {
	s := New(t, Options{})
	s.AddChannel("C1", "one", false)
	s.AddUser("U1", "one")
	api := slackgo.New(s.Opts().BotToken, slackgo.OptionAPIURL(s.APIURL()))
	ctx := t.Context()
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatalf("auth.test: %v", err)
	}
	_, ts, err := api.PostMessageContext(ctx, "C1", slackgo.MsgOptionText("hello", false),
		slackgo.MsgOptionMetadata(slackgo.SlackMetadata{EventType: "tend_post", EventPayload: map[string]any{"key": "k1"}}))
	if err != nil {
		t.Fatalf("chat.postMessage: %v", err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slackgo.MsgOptionText("edited", false)); err != nil {
		t.Fatalf("chat.update: %v", err)
	}
	if err := api.AddPinContext(ctx, "C1", slackgo.NewRefToMessage("C1", ts)); err != nil {
		t.Fatalf("pins.add: %v", err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slackgo.MsgOptionText("psst", false)); err != nil && !strings.Contains(err.Error(), "user_not_in_channel") {
		t.Fatalf("chat.postEphemeral: %v", err)
	}
	if _, _, _, err := api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{"U1"}, ReturnIM: true}); err != nil {
		t.Fatalf("conversations.open: %v", err)
	}
	if _, err := api.InviteUsersToConversationContext(ctx, "C1", "U1"); err != nil {
		t.Fatalf("conversations.invite: %v", err)
	}
	h, err := api.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{ChannelID: "C1", Limit: 10, IncludeAllMetadata: true})
	if err != nil {
		t.Fatalf("conversations.history: %v", err)
	}
	if len(h.Messages) != 1 || h.Messages[0].Metadata.EventPayload["key"] != "k1" {
		t.Errorf("history %+v; want the message with its metadata", h.Messages)
	}
	if _, err := api.OpenViewContext(ctx, "no-such-trigger", slackgo.ModalViewRequest{Type: slackgo.VTModal,
		Title: slackgo.NewTextBlockObject(slackgo.PlainTextType, "t", false, false)}); err == nil || !strings.Contains(err.Error(), "invalid_trigger_id") {
		t.Errorf("views.open with an unknown trigger: %v; want invalid_trigger_id", err)
	}
	if v := s.Violations(); len(v) != 0 {
		t.Errorf("violations from slack-go's own requests: %q", v)
	}
}

func TestFake_RateLimitsPerChannel(t *testing.T) {
	s := New(t, Options{ChannelRate: 0.001, ChannelBurst: 2})
	s.AddChannel("C1", "one", false)
	s.AddChannel("C2", "two", false)
	api := slackgo.New(s.Opts().BotToken, slackgo.OptionAPIURL(s.APIURL()))
	for i := range 2 {
		if _, _, err := api.PostMessageContext(t.Context(), "C1", slackgo.MsgOptionText("x", false)); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	_, _, err := api.PostMessageContext(t.Context(), "C1", slackgo.MsgOptionText("x", false))
	rl, ok := err.(*slackgo.RateLimitedError)
	if !ok || rl.RetryAfter < time.Second {
		t.Fatalf("third post in one channel: %v; want a 429 with Retry-After", err)
	}
	if _, _, err := api.PostMessageContext(t.Context(), "C2", slackgo.MsgOptionText("x", false)); err != nil {
		t.Errorf("another channel is limited too: %v", err)
	}
	if s.RateLimited() != 1 || len(s.Messages("C1")) != 2 {
		t.Errorf("RateLimited %d, messages %d; want 1 and 2", s.RateLimited(), len(s.Messages("C1")))
	}
}

func TestFake_RateLimitsTheWorkspace(t *testing.T) {
	s := New(t, Options{WorkspaceRate: 0.001, WorkspaceBurst: 2})
	api := slackgo.New(s.Opts().BotToken, slackgo.OptionAPIURL(s.APIURL()))
	for i := range 3 {
		ch := fmt.Sprintf("C%d", i)
		s.AddChannel(ch, ch, false)
		_, _, err := api.PostMessageContext(t.Context(), ch, slackgo.MsgOptionText("x", false))
		if _, limited := err.(*slackgo.RateLimitedError); (i < 2 && err != nil) || (i == 2 && !limited) {
			t.Errorf("post %d to its own channel: %v", i, err)
		}
	}
	if s.RateLimited() != 1 {
		t.Errorf("RateLimited %d; want 1", s.RateLimited())
	}
}
