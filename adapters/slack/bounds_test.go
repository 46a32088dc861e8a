package slack

import (
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// TestAdapter_PerChannelStateIsBounded: months of running meet an unbounded
// number of channels and people; what the adapter keeps for them stays
// within MaxChannels.
func TestAdapter_PerChannelStateIsBounded(t *testing.T) {
	clock := bottest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	a, err := New(Config{BotToken: "xoxb-x", AppToken: "xapp-x", Clock: clock, MaxChannels: 1000, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	const n = 100_000
	for i := range n {
		ch := "C" + strconv.Itoa(i)
		a.limiter(ch)
		a.mark(ch, "channel refused the bot", bot.KeyChannel, ch, "not_in_channel")
		a.mark("user:U"+strconv.Itoa(i), "direct message refused", bot.KeyUser, "U"+strconv.Itoa(i), "user_not_found")
		a.dmChannels.Put(bot.UserID("U"+strconv.Itoa(i)), "D"+strconv.Itoa(i))
	}
	for name, got := range map[string]int{
		"limiters":    a.limiters.Len(),
		"unreachable": a.unreachable.Len(),
		"dmChannels":  a.dmChannels.Len(),
	} {
		if got > 1000 {
			t.Errorf("%s holds %d entries after %d channels; want ≤ 1000", name, got, n)
		}
	}
	last := "C" + strconv.Itoa(n-1)
	if err := a.checkReachable(last, "", false); !errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("the latest unreachable channel: %v; want it still failed fast", err)
	}
	clock.Advance(a.cfg.UnreachableFor)
	if err := a.checkReachable(last, "", false); err != nil {
		t.Errorf("after UnreachableFor: %v; want the channel tried again", err)
	}
}
