package discord_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/tend-bot/tend/adapters/discord"
	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// harness drives the real adapter against the fake Discord for the
// conformance suite.
type harness struct {
	fake    *discordtest.Server
	ad      *discord.Adapter
	guild   string
	channel string
	people  []bot.UserID
	next    int
}

func newHarness(t *testing.T) bottest.Harness {
	fake := discordtest.New(t, discordtest.Config{})
	h := &harness{fake: fake}
	h.guild = fake.AddGuild("Conformance")
	h.channel = fake.AddChannel(h.guild, "group", discordtest.ChannelText)
	for _, name := range []string{"sam", "alex"} {
		u := fake.AddUser(name, false)
		fake.AddMember(h.guild, discordtest.Member{UserID: u})
		h.people = append(h.people, bot.UserID(u))
	}
	ad, err := discord.New(discord.Config{
		Token: fake.Token(), ApplicationID: fake.AppID(), GuildIDs: []string{h.guild}, APIURL: fake.APIURL(),
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.ad = ad
	return h
}

func (h *harness) Platform() bot.Platform { return h.ad }

func (h *harness) KnownChannel() bot.Address {
	return bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(h.channel)}
}

// UnknownChannel is a snowflake Discord does not know: 404 Unknown Channel.
func (h *harness) UnknownChannel() bot.Address {
	return bot.Address{Platform: bot.PlatformDiscord, Channel: "111111111111111111"}
}

func (h *harness) People() []bot.UserID { return h.people }

// ready waits until the adapter is connected and has registered /tend.
func (h *harness) ready(ctx context.Context) error {
	if err := h.fake.WaitConnected(ctx, 1); err != nil {
		return err
	}
	return h.fake.WaitFor(ctx, "/tend registered", func() bool { return len(h.fake.Commands(h.guild)) > 0 })
}

func (h *harness) Command(ctx context.Context, user bot.UserID, ch bot.ChannelID, words []string, args map[string]string) error {
	if err := h.ready(ctx); err != nil {
		return err
	}
	_, err := h.fake.Command(string(user), string(ch), "tend", words, args)
	return err
}

func (h *harness) Press(ctx context.Context, user bot.UserID, ref bot.MessageRef, buttonID string) error {
	if err := h.ready(ctx); err != nil {
		return err
	}
	_, err := h.fake.Press(string(user), string(ref.ID), buttonID)
	return err
}

// SelfMessage sends a message authored by the bot's own account, both in
// the channel and in a DM channel (the only place the adapter reads
// messages).
func (h *harness) SelfMessage(ctx context.Context, ch bot.ChannelID, text string) error {
	if err := h.ready(ctx); err != nil {
		return err
	}
	h.fake.UserMessage(h.fake.BotUserID(), string(ch), text)
	h.fake.UserMessage(h.fake.BotUserID(), h.fake.DMChannel(string(h.people[0])), text)
	return nil
}

func (h *harness) Next(ctx context.Context) (bottest.Seen, error) {
	sh, err := h.fake.WaitShown(ctx, h.next)
	if err != nil {
		return bottest.Seen{}, err
	}
	h.next++
	s := bottest.Seen{
		Channel:   bot.ChannelID(sh.Channel),
		Ephemeral: sh.Ephemeral,
		OnlyFor:   bot.UserID(sh.OnlyFor),
		Text:      sh.Message.Text(),
	}
	if sh.MessageID != "" {
		s.Ref = bot.MessageRef{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(sh.Channel), ID: bot.MessageID(sh.MessageID)}
	}
	switch sh.Kind {
	case "post":
		s.Kind = bottest.SeenPost
	case "dm":
		s.Kind = bottest.SeenDM
	case "edit":
		s.Kind = bottest.SeenEdit
	case "reply":
		s.Kind = bottest.SeenReply
	default:
		s.Kind = bottest.SeenOther
	}
	for _, b := range sh.Message.Buttons() {
		s.Buttons = append(s.Buttons, bottest.SeenButton{Label: b.Label, ID: b.CustomID})
	}
	return s, nil
}

func TestConformance(t *testing.T) {
	bottest.RunPlatformTests(t, newHarness)
}
