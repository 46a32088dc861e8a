package slack_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/bot"
)

// TestLane_AlertAheadOfReminders: while a burst of reminders waits for
// chat.postMessage's workspace pace, a safety alert (Urgent) to the
// facilitators' private channel goes out at the next token, before every
// reminder still queued; sent as bulk it waits behind them all.
func TestLane_AlertAheadOfReminders(t *testing.T) {
	for _, urgent := range []bool{true, false} {
		t.Run(fmt.Sprintf("urgent=%v", urgent), func(t *testing.T) {
			e := newEnv(t, envOpts{mode: slack.ModeSocket})
			var channels []string
			for i := range 60 {
				ch := fmt.Sprintf("C0R%03d", i)
				e.fake.AddChannel(ch, fmt.Sprintf("r%d", i), false, owner)
				channels = append(channels, ch)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			for i, ch := range channels {
				wg.Go(func() {
					if _, err := e.sender.Send(ctx, post(fmt.Sprintf("reminder/%d", i), ch)); err != nil {
						t.Error(err)
					}
				})
			}
			// ordered returns the channels of the posts so far, in the
			// order the fake took them (its timestamps count up).
			ordered := func() []string {
				type m struct {
					ch  string
					seq int
				}
				var ms []m
				for _, ch := range append(channels, privateChan) {
					for _, msg := range e.fake.Messages(ch) {
						_, frac, _ := strings.Cut(msg.TS, ".")
						n, _ := strconv.Atoi(frac)
						ms = append(ms, m{ch, n})
					}
				}
				sort.Slice(ms, func(i, j int) bool { return ms[i].seq < ms[j].seq })
				out := make([]string, len(ms))
				for i, x := range ms {
					out[i] = x.ch
				}
				return out
			}
			// The first 20 go at once (the method's burst); the rest wait.
			if err := e.fake.Wait(ctx, func() bool { return len(ordered()) >= 25 }); err != nil {
				t.Fatal(err)
			}
			before := len(ordered())
			alert := post("safety/alert/1/post", privateChan)
			alert.Message = bot.Message{Title: "Safety alert"}
			alert.Urgent = urgent
			sent := time.Now()
			if _, err := e.sender.Send(ctx, alert); err != nil {
				t.Fatal(err)
			}
			took := time.Since(sent)
			wg.Wait()
			all := ordered()
			at := -1
			for i, ch := range all {
				if ch == privateChan {
					at = i
				}
			}
			if len(all) != 61 || at < 0 {
				t.Fatalf("%d posts, alert at %d", len(all), at)
			}
			t.Logf("urgent=%v: the alert was post %d of 61 (%d reminders were out when it was sent), delivered in %v", urgent, at+1, before, took.Round(time.Millisecond))
			if urgent {
				// After the reminders already out, and the few that held a
				// token and were on their way when the alert came: before
				// every queued one.
				if at > before+3 {
					t.Errorf("the alert was post %d; want at most %d: it waited behind queued reminders", at+1, before+4)
				}
			} else if at < 50 {
				t.Errorf("a bulk post was post %d of 61: the pacer is not first come, first served", at+1)
			}
		})
	}
}
