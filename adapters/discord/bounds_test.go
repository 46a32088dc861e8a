package discord

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

type nopHandler struct{}

func (nopHandler) Handle(context.Context, bot.Event) []bot.Outbound { return nil }
func (nopHandler) Commands() []bot.CommandSpec                      { return nil }

// TestAdapter_PerChannelStateIsBounded: months of running meet an unbounded
// number of channels and people; what the adapter keeps for them stays
// within MaxChannels (ten times that for voice presence).
func TestAdapter_PerChannelStateIsBounded(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	a, err := New(Config{Token: "t", APIURL: "http://127.0.0.1:1/api", Clock: clock, MaxChannels: 1000, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	const n = 100_000
	ctx := t.Context()
	for i := range n {
		ch := strconv.Itoa(i)
		a.markUnreachable(ch, 403, codeMissingAccess)
		a.channelPacer(ch)
		a.onMessage(ctx, nopHandler{}, &discordgo.Message{
			ChannelID: "dm" + ch, Author: &discordgo.User{ID: "u" + ch}, Content: "hi",
		}, false)
		a.onVoice(ctx, nopHandler{}, &discordgo.VoiceStateUpdate{VoiceState: &discordgo.VoiceState{GuildID: "g", UserID: "u" + ch, ChannelID: "v"}})
	}
	for name, got := range map[string]int{
		"unreachable": a.unreachable.Len(),
		"chanLimits":  a.chanLimits.Len(),
		"dmChannels":  a.dmChannels.Len(),
		"voice/10":    a.voice.Len() / 10,
	} {
		if got > 1000 {
			t.Errorf("%s holds %d entries after %d channels; want ≤ 1000", name, got, n)
		}
	}
	// The most recent channel is still failed fast; an old one was
	// forgotten (and would be tried again).
	if err := a.checkReachable(strconv.Itoa(n - 1)); !errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("the latest unreachable channel: %v; want it still failed fast", err)
	}
	if err := a.checkReachable("0"); err != nil {
		t.Errorf("the first of 100,000 unreachable channels: %v; want it forgotten", err)
	}
	// Marks expire after UnreachableFor.
	clock.Advance(a.cfg.UnreachableFor)
	if err := a.checkReachable(strconv.Itoa(n - 1)); err != nil {
		t.Errorf("after UnreachableFor: %v; want the channel tried again", err)
	}
}
