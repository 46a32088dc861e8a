package slack

import (
	"io"
	"log/slog"
	"net/url"
	"testing"

	"github.com/tend-bot/tend/bot"
)

// FuzzDecodeInbound feeds the adapter's inbound paths arbitrary bytes:
// kind 0 is a Socket Mode frame, 1 a slash command's form, 2 an
// interaction's form and 3 an Events API body, as Slack would send them.
// Reading one must never panic, and a request it yields must be answerable:
// a core event from Slack, or a refusal to send back.
func FuzzDecodeInbound(f *testing.F) {
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	seeds := []struct {
		kind byte
		body string
	}{
		{0, `{"envelope_id":"e1","type":"slash_commands","payload":{"team_id":"T1","channel_id":"C1","user_id":"U1","command":"/tend","text":"session schedule weekly:\"tue 18:00\" count:8"}}`},
		{0, `{"envelope_id":"e2","type":"interactive","payload":{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"channel":{"id":"C1"},"container":{"message_ts":"1.2"},"actions":[{"action_id":"t1|rsvp.yes|16|1|mac","type":"button"}]}}`},
		{0, `{"envelope_id":"e3","type":"events_api","payload":{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"message","channel_type":"im","channel":"D1","user":"U1","text":"hello"}}}`},
		{0, `{"envelope_id":"e4","type":"events_api","payload":{"type":"event_callback","team_id":"T1","event_id":"Ev2","event":{"type":"member_joined_channel","channel":"C1","user":"U2"}}}`},
		{0, `{"type":"hello"}`},
		{0, `{"envelope_id":"e5","type":"interactive","payload":{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"t1|norms.edit|1||mac","private_metadata":"C1","state":{"values":{"b":{"text":{"type":"plain_text_input","value":"Be kind."}}}}}}}`},
		{1, form("team_id", "T1", "channel_id", "C1", "user_id", "U1", "command", "/tend", "text", "rsvp yes")},
		{1, form("channel_id", "D1", "user_id", "U1", "text", `norms edit text:"unclosed`)},
		{2, form("payload", `{"type":"block_actions","user":{"id":"U1"},"container":{"channel_id":"C1","message_ts":"1.2"},"actions":[{"action_id":"x"}]}`)},
		{3, `{"type":"url_verification","challenge":"c"}`},
		{3, `{"type":"event_callback","team_id":"T1","event_id":"Ev3","event":{"type":"message","channel_type":"im","channel":"D1","user":"U1","text":"hi"}}`},
	}
	for _, s := range seeds {
		f.Add(s.kind, []byte(s.body))
	}
	a, err := New(Config{BotToken: "xoxb-fuzz", AppToken: "xapp-fuzz", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	paths := []string{PathCommands, PathInteractive, PathEvents}
	f.Fuzz(func(t *testing.T, kind byte, body []byte) {
		var (
			r   request
			ok  bool
			err error
		)
		if kind%4 == 0 {
			r, ok, err = a.decodeFrame(body)
		} else {
			r, ok, err = a.decodeHTTP(paths[kind%4-1], body)
		}
		if err != nil || !ok {
			if ok {
				t.Fatalf("kind %d: ok with the error %v", kind%4, err)
			}
			return
		}
		if r.kind < kindCommand || r.kind > kindEvent {
			t.Fatalf("kind %d: request of unknown kind %d", kind%4, r.kind)
		}
		if r.refusal != "" {
			if r.kind != kindCommand || r.ev != nil {
				t.Fatalf("kind %d: refusal %q on a %d request with event %T", kind%4, r.refusal, r.kind, r.ev)
			}
			return
		}
		if r.ev == nil {
			t.Fatalf("kind %d: request without an event or a refusal", kind%4)
		}
		meta := r.ev.Meta()
		if meta.Platform != bot.PlatformSlack || meta.User.Platform != bot.PlatformSlack || string(meta.User.ID) != r.user || string(meta.Channel) != r.channel {
			t.Fatalf("kind %d: event %T meta %+v does not match the request (user %q, channel %q)", kind%4, r.ev, meta, r.user, r.channel)
		}
	})
}
