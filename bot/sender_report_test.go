package bot_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store/storetest"
)

// secret is message content that must never reach an owner's notice or
// the outbox.
const secret = "Tonight's topic: grief after a suicide"

// newReportingSender is a real Sender over a real outbox (a temporary
// SQLite file) and a recording Discord platform, reporting to one Discord
// owner (and one Slack owner, who must never hear of Discord).
func newReportingSender(t *testing.T, hook func(bot.Outbound) error) (*bot.Sender, *bottest.Platform) {
	t.Helper()
	p := &bottest.Platform{PlatformName: bot.PlatformDiscord, DeliverHook: hook}
	codec, err := bot.NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	s := bot.NewSender(storetest.Open(t), codec, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), p)
	s.ReportUnreachableTo([]bot.Principal{"discord:owner1", "slack:U0OWNER"})
	return s, p
}

func to(ch string) bot.Address {
	return bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(ch)}
}

// noticesTo returns the text of the DMs owner got.
func noticesTo(p *bottest.Platform, owner bot.UserID) []string {
	var out []string
	for _, d := range p.DMsTo(owner) {
		out = append(out, d.Out.Message.Title+"\n"+d.Out.Message.Text)
	}
	return out
}

func TestSender_RejectedPayload(t *testing.T) {
	ctx := t.Context()
	t.Run("ChannelStaysUsableAndOwnersAreToldOncePerKey", func(t *testing.T) {
		s, p := newReportingSender(t, func(o bot.Outbound) error {
			if o.Kind == bot.OutPost && o.Key == "reminder/1/24h" {
				return bot.Rejected("discord: post: refused as invalid (HTTP 400, code 50035)")
			}
			return nil
		})
		_, err := s.Send(ctx, bot.Post("reminder/1/24h", to("tuesday"), bot.Message{Text: secret}))
		if !errors.Is(err, bot.ErrRejected) || errors.Is(err, bot.ErrUnreachable) {
			t.Fatalf("Send of a refused payload = %v; want ErrRejected, not ErrUnreachable", err)
		}
		// The next post to the same channel goes out.
		if _, err := s.Send(ctx, bot.Post("reminder/2/24h", to("tuesday"), bot.Message{Text: "next week"})); err != nil {
			t.Fatalf("the next post to the channel: %v", err)
		}
		if n := len(p.PostsIn("tuesday")); n != 1 {
			t.Errorf("%d posts shown in the channel; want the second one", n)
		}
		// Sending the refused key again does not deliver it or tell the
		// owners again.
		if _, err := s.Send(ctx, bot.Post("reminder/1/24h", to("tuesday"), bot.Message{Text: secret})); !bot.IsPermanent(err) {
			t.Errorf("resend of the refused key = %v; want its recorded failure", err)
		}
		notices := noticesTo(p, "owner1")
		if len(notices) != 1 {
			t.Fatalf("owner got %d notices %q; want one", len(notices), notices)
		}
		n := notices[0]
		for _, want := range []string{"refused", "invalid", "tuesday", "reminder/1/24h", "channel is fine"} {
			if !strings.Contains(n, want) {
				t.Errorf("notice %q does not say %q", n, want)
			}
		}
		if strings.Contains(n, "cannot post") || strings.Contains(n, "rebind") {
			t.Errorf("notice %q reads as the unreachable-channel notice", n)
		}
		if strings.Contains(n, secret) {
			t.Errorf("notice %q carries the refused message's content", n)
		}
		if dms := p.DMsTo("U0OWNER"); len(dms) != 0 {
			t.Errorf("the Slack owner was told about Discord: %+v", dms)
		}
	})
	t.Run("DMRefused", func(t *testing.T) {
		s, p := newReportingSender(t, func(o bot.Outbound) error {
			if o.Kind == bot.OutDM && o.User == "member1" {
				return bot.Rejected("discord: post: refused as invalid (HTTP 400, code 50035)")
			}
			return nil
		})
		_, err := s.Send(ctx, bot.DM("checkin/4/member1", bot.PlatformDiscord, "member1", bot.Message{Text: secret}))
		if !errors.Is(err, bot.ErrRejected) {
			t.Fatalf("Send = %v; want ErrRejected", err)
		}
		notices := noticesTo(p, "owner1")
		if len(notices) != 1 || !strings.Contains(notices[0], "a direct message") || !strings.Contains(notices[0], "checkin/4/member1") {
			t.Fatalf("owner notices %q; want one about a direct message naming its key", notices)
		}
	})
	t.Run("RefusedNoticeIsNotReportedAgain", func(t *testing.T) {
		// A platform that refuses everything: the notice about the first
		// refusal is refused too, and that must end there.
		s, p := newReportingSender(t, func(o bot.Outbound) error {
			return bot.Rejected("discord: post: refused as invalid (HTTP 400, code 50035)")
		})
		if _, err := s.Send(ctx, bot.Post("reminder/3/1h", to("tuesday"), bot.Message{Text: "x"})); !errors.Is(err, bot.ErrRejected) {
			t.Fatalf("Send = %v; want ErrRejected", err)
		}
		if n := len(p.Deliveries()); n != 2 {
			t.Errorf("%d delivery attempts; want 2 (the post and one notice)", n)
		}
	})
	t.Run("UnreachableKeepsItsOwnNotice", func(t *testing.T) {
		s, p := newReportingSender(t, func(o bot.Outbound) error {
			if o.Kind == bot.OutPost {
				return bot.Unreachable("discord: post: channel gone refused the bot (HTTP 404, code 10003)")
			}
			return nil
		})
		for _, key := range []string{"reminder/5/1h", "reminder/6/1h"} {
			if _, err := s.Send(ctx, bot.Post(key, to("gone"), bot.Message{Text: "x"})); !errors.Is(err, bot.ErrUnreachable) {
				t.Fatalf("Send %s = %v; want ErrUnreachable", key, err)
			}
		}
		notices := noticesTo(p, "owner1")
		if len(notices) != 1 || !strings.Contains(notices[0], "cannot post") || strings.Contains(notices[0], "invalid") {
			t.Fatalf("owner notices %q; want one unreachable-channel notice", notices)
		}
	})
}
