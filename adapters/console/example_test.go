package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/tend-bot/tend/adapters/console"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// greeter answers every command privately and every button press in the
// channel.
type greeter struct{}

func (g greeter) Handle(ctx context.Context, ev bot.Event) []bot.Outbound {
	switch e := ev.(type) {
	case *bot.Command:
		return []bot.Outbound{bot.Reply(fmt.Sprintf("hello %s, you asked for %q", e.User.Name, strings.Join(e.Words, " ")))}
	case *bot.ButtonPress:
		return []bot.Outbound{bot.PublicReply(bot.Message{Text: e.User.Name + " pressed " + e.ID})}
	}
	return nil
}

func (greeter) Commands() []bot.CommandSpec { return nil }

func Example() {
	start := time.Date(2026, time.December, 1, 16, 0, 0, 0, time.UTC)
	c, err := console.New(console.Config{
		In:       strings.NewReader("/tend session next\n/as sam\n/click 2\n"),
		Out:      os.Stdout,
		Location: time.UTC,
		Echo:     true,
		Clock:    bottest.NewClock(start),
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A post made before anyone types, as a reminder job would.
	_, err = c.Deliver(context.Background(), bot.Post("reminder/1", bot.Address{Platform: bot.PlatformConsole, Channel: "console"}, bot.Message{
		Title:   "Session 4 starts " + bot.Time(start.Add(2*time.Hour), bot.TimeClock),
		Buttons: []bot.Button{{Label: "I'll be there", ID: "yes"}, {Label: "Can't make it", ID: "no"}},
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Run(context.Background(), greeter{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// message #1 in #console:
	//   Session 4 starts 18:00 UTC (in 2 hours)
	//   [1] I'll be there  [2] Can't make it
	// tend console: you are owner in #console. Type /help for the console commands, /tend help for the bot's.
	// owner@#console> /tend session next
	// (only owner sees this) hello owner, you asked for "session next"
	// owner@#console> /as sam
	// · You are now sam.
	// sam@#console> /click 2
	// message #3 in #console, answering sam: sam pressed no
}
