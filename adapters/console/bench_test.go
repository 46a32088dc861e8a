package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// BenchmarkDeliverPost measures rendering and writing one post with times,
// fields and two choices.
func BenchmarkDeliverPost(b *testing.B) {
	a, err := New(Config{In: strings.NewReader(""), Out: io.Discard, Location: time.UTC, Clock: bottest.NewClock(t0), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	to := bot.Address{Platform: bot.PlatformConsole, Channel: DefaultChannel}
	msg := bot.Message{
		Title:  "Session 4: Sleep and mood",
		Text:   "Starts " + bot.Time(t0.Add(2*time.Hour), bot.TimeFull) + ".",
		Fields: []bot.Field{{Name: "Coming", Value: "7"}, {Name: "Ends", Value: bot.Time(t0.Add(3*time.Hour), bot.TimeClock)}},
		Buttons: []bot.Button{
			{Label: "I'll be there", ID: "yes"},
			{Label: "Can't make it", ID: "no"},
		},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := a.Deliver(ctx, bot.Post(fmt.Sprint(i), to, msg)); err != nil {
			b.Fatal(err)
		}
	}
}
