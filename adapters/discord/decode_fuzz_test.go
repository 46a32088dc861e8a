package discord

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/tend-bot/tend/bot"
)

// FuzzDecodeInteraction feeds the adapter's inbound path arbitrary
// INTERACTION_CREATE payloads, as the gateway would deliver them: reading
// one must never panic, and what it yields must be a well-formed core
// event from Discord.
func FuzzDecodeInteraction(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","application_id":"2","type":2,"token":"t","guild_id":"3","channel_id":"4","member":{"user":{"id":"5","username":"sam"},"roles":["6"]},"data":{"id":"7","name":"tend","type":1,"options":[{"name":"session","type":2,"options":[{"name":"schedule","type":1,"options":[{"name":"weekly","type":3,"value":"tue 18:00"},{"name":"count","type":4,"value":8},{"name":"rsvp","type":5,"value":true}]}]}]}}`,
		`{"id":"1","type":3,"token":"t","channel_id":"4","user":{"id":"5"},"message":{"id":"9","channel_id":"4"},"data":{"custom_id":"t1|rsvp.yes|16|1|mac","component_type":2}}`,
		`{"id":"1","type":5,"token":"t","channel_id":"4","user":{"id":"5"},"data":{"custom_id":"t1|norms.edit|1||mac","components":[{"type":1,"components":[{"type":4,"custom_id":"text","value":"Be kind."}]}]}}`,
		`{"id":"1","type":4,"token":"t","data":{"name":"tend","options":[{"name":"group","type":3,"value":"tue","focused":true}]}}`,
		`{"type":2,"data":{"options":[null]}}`,
		`{"type":1}`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	ad, err := New(Config{Token: "fuzz", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := ad.decodeInteraction(raw)
		if err != nil {
			if ev != nil {
				t.Fatalf("decodeInteraction returned the event %T with the error %v", ev, err)
			}
			return
		}
		meta := ev.Meta()
		if meta.Platform != bot.PlatformDiscord || meta.User.Platform != bot.PlatformDiscord {
			t.Fatalf("event %T from platform %q, user %+v; want discord", ev, meta.Platform, meta.User)
		}
		if meta.DM != (meta.Guild == "") {
			t.Fatalf("event %T in guild %q marked DM=%v", ev, meta.Guild, meta.DM)
		}
		if c, ok := ev.(*bot.Command); ok {
			for _, w := range c.Words {
				if strings.TrimSpace(w) == "" && w != "" {
					t.Fatalf("command word %q is only spaces", w)
				}
			}
			if c.Args == nil {
				t.Fatal("command with nil args")
			}
		}
	})
}
