package slack_test

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// harness runs the adapter against the fake Slack for the conformance
// suite.
type harness struct {
	t    *testing.T
	fake *fakeslack.Server
	a    *slack.Adapter
	next int // index into fake.Shown()
}

func newHarness(mode string) func(t *testing.T) bottest.Harness {
	return func(t *testing.T) bottest.Harness {
		fake := fakeslack.New(t, fakeslack.Options{})
		for _, u := range []string{member1, member2} {
			fake.AddUser(u, strings.ToLower(u))
		}
		fake.AddChannel(groupChan, "tuesday-group", false, member1, member2)
		fo := fake.Opts()
		cfg := slack.Config{
			Mode: mode, BotToken: fo.BotToken, AppToken: fo.AppToken, SigningSecret: fo.SigningSecret,
			APIURL: fake.APIURL(), Logger: testLogger(t), RetryBase: 20 * time.Millisecond,
		}
		if mode == slack.ModeHTTP {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cfg.Listener = ln
			fake.SetHTTPTarget("http://" + ln.Addr().String())
		}
		a, err := slack.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return &harness{t: t, fake: fake, a: a}
	}
}

func TestConformance(t *testing.T) {
	t.Run("socket", func(t *testing.T) { bottest.RunPlatformTests(t, newHarness(slack.ModeSocket)) })
	t.Run("http", func(t *testing.T) { bottest.RunPlatformTests(t, newHarness(slack.ModeHTTP)) })
}

func (h *harness) Platform() bot.Platform { return h.a }

func (h *harness) KnownChannel() bot.Address {
	return bot.Address{Platform: bot.PlatformSlack, Channel: groupChan}
}

func (h *harness) UnknownChannel() bot.Address {
	return bot.Address{Platform: bot.PlatformSlack, Channel: "C0NOWHERE"}
}

func (h *harness) People() []bot.UserID { return []bot.UserID{member1, member2} }

// commandText writes words and args as a person types them after /tend.
func commandText(words []string, args map[string]string) string {
	parts := append([]string(nil), words...)
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := args[k]
		if strings.ContainsAny(v, " \t") {
			v = `"` + v + `"`
		}
		parts = append(parts, k+":"+v)
	}
	return strings.Join(parts, " ")
}

func (h *harness) Command(ctx context.Context, user bot.UserID, ch bot.ChannelID, words []string, args map[string]string) error {
	_, err := h.fake.SlashCommand(ctx, string(user), string(ch), commandText(words, args))
	return err
}

func (h *harness) Press(ctx context.Context, user bot.UserID, ref bot.MessageRef, buttonID string) error {
	for _, m := range h.fake.Messages(string(ref.Channel)) {
		if m.TS == string(ref.ID) {
			_, err := h.fake.Click(ctx, string(user), m, buttonID)
			return err
		}
	}
	return fmt.Errorf("no message %s in %s", ref.ID, ref.Channel)
}

// SelfMessage sends the bot's own DM message event (which the adapter
// drops) and a slash command typed by the bot's own account (which reaches
// the core marked as a bot).
func (h *harness) SelfMessage(ctx context.Context, ch bot.ChannelID, text string) error {
	if _, err := h.fake.BotMessage(ctx, member1, text); err != nil {
		return err
	}
	_, err := h.fake.SlashCommand(ctx, h.fake.Opts().BotUserID, string(ch), strings.TrimPrefix(text, "/tend "))
	return err
}

func (h *harness) Next(ctx context.Context) (bottest.Seen, error) {
	var s fakeslack.Shown
	err := h.fake.Wait(ctx, func() bool {
		all := h.fake.Shown()
		if len(all) > h.next {
			s = all[h.next]
			return true
		}
		return false
	})
	if err != nil {
		return bottest.Seen{}, err
	}
	h.next++
	seen := bottest.Seen{Channel: bot.ChannelID(s.Channel), Text: s.Text}
	if len(s.Blocks) > 0 {
		seen.Text = fakeslack.BlockText(s.Blocks)
	}
	for _, b := range fakeslack.Buttons(s.Blocks) {
		seen.Buttons = append(seen.Buttons, bottest.SeenButton{Label: b.Label, ID: b.ActionID})
	}
	ref := bot.MessageRef{Platform: bot.PlatformSlack, Channel: bot.ChannelID(s.Channel), ID: bot.MessageID(s.TS)}
	switch {
	case s.Kind == "ephemeral":
		seen.Kind, seen.Ephemeral, seen.OnlyFor = bottest.SeenReply, true, bot.UserID(s.User)
	case s.Kind == "edit":
		seen.Kind, seen.Ref = bottest.SeenEdit, ref
	case s.Kind == "post" && s.User != "":
		seen.Kind, seen.Ref, seen.OnlyFor = bottest.SeenDM, ref, bot.UserID(s.User)
	case s.Kind == "post" && s.Via != "chat.postMessage":
		seen.Kind, seen.Ref = bottest.SeenReply, ref
	default:
		seen.Kind, seen.Ref = bottest.SeenPost, ref
	}
	return seen, nil
}
