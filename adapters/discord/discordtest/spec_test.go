package discordtest

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestValidateRequest(t *testing.T) {
	cases := []struct {
		name, method, path, body, auth string
		ok                             bool
	}{
		{"message create", "POST", "/api/v9/channels/123456789012345678/messages",
			`{"content":"","embeds":[{"title":"x","description":"y","fields":[{"name":"a","value":"b","inline":true}]}],"components":[{"type":1,"components":[{"type":2,"style":3,"label":"ok","custom_id":"t1|x"}]}],"nonce":"abcdefghijklmnopqrstuvwx","enforce_nonce":true}`, "Bot t", true},
		{"nonce too long", "POST", "/api/v9/channels/123456789012345678/messages",
			`{"content":"x","nonce":"abcdefghijklmnopqrstuvwxyz0"}`, "Bot t", false},
		{"content wrong type", "POST", "/api/v9/channels/123456789012345678/messages", `{"content":5}`, "Bot t", false},
		{"no bot token", "POST", "/api/v9/channels/123456789012345678/messages", `{"content":"x"}`, "t", false},
		{"unknown route", "POST", "/api/v9/channels/123456789012345678/nonsense", `{}`, "Bot t", false},
		{"command overwrite", "PUT", "/api/v9/applications/123456789012345678/guilds/123456789012345679/commands",
			`[{"name":"tend","description":"d","type":1,"options":[{"type":1,"name":"help","description":"h"}]}]`, "Bot t", true},
		{"command description too long", "PUT", "/api/v9/applications/123456789012345678/commands",
			`[{"name":"tend","description":"` + strings.Repeat("d", 101) + `"}]`, "Bot t", false},
		{"callback", "POST", "/api/v9/interactions/123456789012345678/tok/callback", `{"type":4,"data":{"content":"hi","flags":64}}`, "", true},
		{"gateway", "GET", "/api/v9/gateway", ``, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			if c.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			err := validateRequest(t.Context(), r, []byte(c.body))
			if (err == nil) != c.ok {
				t.Errorf("validate: %v; want ok=%v", err, c.ok)
			}
		})
	}
}

// recTB records Errorf instead of failing, to test the fake's own refusal.
type recTB struct {
	testing.TB
	errs []string
}

func (r *recTB) Errorf(format string, args ...any) { r.errs = append(r.errs, format) }

func TestServer_InvalidRequestIsAnswered400AndReported(t *testing.T) {
	rec := &recTB{TB: t}
	s := New(rec, Config{})
	g := s.AddGuild("g")
	ch := s.AddChannel(g, "c", ChannelText)
	req := httptest.NewRequest("POST", s.srv.URL+"/api/v9/channels/"+ch+"/messages", strings.NewReader(`{"content":5}`))
	req.RequestURI = ""
	req.Header.Set("Authorization", "Bot "+s.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("status %d; want 400", resp.StatusCode)
	}
	if len(rec.errs) != 1 || len(s.Invalid()) != 1 || s.Stats().Invalid != 1 {
		t.Errorf("reported %v, invalid %v; want one report", rec.errs, s.Invalid())
	}
	if len(s.Messages(ch)) != 0 {
		t.Errorf("an invalid request created a message")
	}
}
