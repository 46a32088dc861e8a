package discord_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/bot"
)

// TestLane_AlertAheadOfReminders: while a burst of reminders waits for
// the global pace, a safety alert (Urgent) leaves the pacer at the next
// token, before every reminder still queued; the same post sent as bulk
// waits behind them all, which shows what the lane changes.
func TestLane_AlertAheadOfReminders(t *testing.T) {
	for _, urgent := range []bool{true, false} {
		t.Run(fmt.Sprintf("urgent=%v", urgent), func(t *testing.T) {
			// 20 requests a second: 100 reminders take five seconds.
			w := newWorld(t, worldOpts{rate: 20, fake: discordtest.Config{SkipValidation: true}})
			staff := w.fake.AddChannel(w.guild, "staff", discordtest.ChannelText)
			var channels []string
			for i := range 100 {
				channels = append(channels, w.fake.AddChannel(w.guild, fmt.Sprintf("r%d", i), discordtest.ChannelText))
			}
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			for i, ch := range channels {
				wg.Go(func() {
					out := bot.Post(fmt.Sprintf("reminder/%d", i), bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(ch)}, bot.Message{Text: "Session tonight"})
					if _, err := w.sender.Send(ctx, out); err != nil {
						t.Error(err)
					}
				})
			}
			posts := func() []string {
				var out []string
				for _, r := range w.fake.Requests() {
					if r.Method == "POST" && strings.HasSuffix(r.Path, "/messages") && r.Status == 200 {
						out = append(out, r.Path)
					}
				}
				return out
			}
			if err := w.fake.WaitFor(ctx, "the burst under way", func() bool { return len(posts()) >= 10 }); err != nil {
				t.Fatal(err)
			}
			before := len(posts())
			alert := bot.Post("safety/alert/1/post", bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(staff)}, bot.Message{Title: "Safety alert"})
			alert.Urgent = urgent
			sent := time.Now()
			if _, err := w.sender.Send(ctx, alert); err != nil {
				t.Fatal(err)
			}
			took := time.Since(sent)
			wg.Wait()
			all := posts()
			at := -1
			for i, p := range all {
				if strings.Contains(p, "/"+staff+"/") {
					at = i
				}
			}
			if len(all) != 101 || at < 0 {
				t.Fatalf("%d posts, alert at %d", len(all), at)
			}
			t.Logf("urgent=%v: the alert was post %d of 101 (%d reminders were out when it was sent), delivered in %v", urgent, at+1, before, took.Round(time.Millisecond))
			if urgent {
				// After the reminders already out, and the few that held a
				// token and were on their way when the alert came (two or
				// three on a slow machine): before every queued one.
				if at > before+3 {
					t.Errorf("the alert was post %d; want at most %d: it waited behind queued reminders", at+1, before+4)
				}
			} else if at < 90 {
				t.Errorf("a bulk post was post %d of 101: the pacer is not first come, first served", at+1)
			}
		})
	}
}
