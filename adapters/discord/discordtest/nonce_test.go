package discordtest

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestServer_NonceDeduplication: a create repeating an enforced nonce gets
// the first message back, unless IgnoreNonces switches that off (as
// Discord does once its window has passed), when it posts again.
func TestServer_NonceDeduplication(t *testing.T) {
	for _, c := range []struct {
		name   string
		cfg    Config
		want   int
		repeat int
	}{
		{"On", Config{}, 1, 1},
		{"Off", Config{IgnoreNonces: true}, 2, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := New(t, c.cfg)
			g := s.AddGuild("g")
			ch := s.AddChannel(g, "c", ChannelText)
			for range 2 {
				req := httptest.NewRequest("POST", s.srv.URL+"/api/v9/channels/"+ch+"/messages",
					strings.NewReader(`{"content":"hello","nonce":"abcdefghijklmnopqrstuvwx","enforce_nonce":true}`))
				req.RequestURI = ""
				req.Header.Set("Authorization", "Bot "+s.Token())
				req.Header.Set("Content-Type", "application/json")
				resp, err := s.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("status %d; want 200", resp.StatusCode)
				}
			}
			if n := len(s.Messages(ch)); n != c.want {
				t.Errorf("%d messages; want %d", n, c.want)
			}
			if n := s.Stats().NonceDuplicate; n != c.repeat {
				t.Errorf("%d creates answered from the nonce; want %d", n, c.repeat)
			}
		})
	}
}
