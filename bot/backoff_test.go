package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

func TestBackoff_Delay(t *testing.T) {
	const ms = time.Millisecond
	half := func() float64 { return 0.5 }
	zero := func() float64 { return 0 }
	for _, tc := range []struct {
		name    string
		b       bot.Backoff
		attempt int
		want    time.Duration
	}{
		{"First", bot.Backoff{Base: 250 * ms, Max: 5 * time.Second}, 1, 250 * ms},
		{"Doubles", bot.Backoff{Base: 250 * ms, Max: 5 * time.Second}, 2, 500 * ms},
		{"DoublesAgain", bot.Backoff{Base: 250 * ms, Max: 5 * time.Second}, 4, 2 * time.Second},
		{"Capped", bot.Backoff{Base: 250 * ms, Max: 5 * time.Second}, 6, 5 * time.Second},
		{"CappedFarOut", bot.Backoff{Base: 250 * ms, Max: 5 * time.Second}, 1000, 5 * time.Second},
		{"AttemptZeroIsFirst", bot.Backoff{Base: time.Second, Max: time.Minute}, 0, time.Second},
		{"NegativeAttemptIsFirst", bot.Backoff{Base: time.Second, Max: time.Minute}, -3, time.Second},
		{"NoCapDoesNotOverflow", bot.Backoff{Base: time.Hour}, 1000, time.Duration(1<<63 - 1)},
		{"ZeroBaseWaitsNothing", bot.Backoff{Max: time.Minute}, 3, 0},
		{"JitterLowEnd", bot.Backoff{Base: time.Second, Max: time.Minute, Jitter: true, Rand: zero}, 3, 2 * time.Second},
		{"JitterMiddle", bot.Backoff{Base: time.Second, Max: time.Minute, Jitter: true, Rand: half}, 3, 3 * time.Second},
		{"JitterUnderCap", bot.Backoff{Base: time.Second, Max: time.Minute, Jitter: true, Rand: half}, 20, 45 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.b.Delay(tc.attempt); got != tc.want {
				t.Errorf("Delay(%d) = %v; want %v", tc.attempt, got, tc.want)
			}
		})
	}
	t.Run("JitterStaysInRange", func(t *testing.T) {
		b := bot.Backoff{Base: 100 * ms, Max: 10 * time.Second, Jitter: true}
		for attempt := 1; attempt <= 12; attempt++ {
			full := bot.Backoff{Base: b.Base, Max: b.Max}.Delay(attempt)
			for range 50 {
				if d := b.Delay(attempt); d < full/2 || d > full {
					t.Fatalf("Delay(%d) = %v; want within [%v, %v]", attempt, d, full/2, full)
				}
			}
		}
	})
	t.Run("FitsTheRunner", func(t *testing.T) {
		// The runner's Backoff field takes the method value as it is.
		_ = bot.RunnerConfig{Backoff: bot.Backoff{Base: 5 * time.Second, Max: 10 * time.Minute}.Delay}
	})
}

func TestSleep(t *testing.T) {
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	t.Run("WaitsOnTheClock", func(t *testing.T) {
		clock := bottest.NewClock(start)
		done := make(chan bool, 1)
		go func() { done <- bot.Sleep(t.Context(), clock, time.Minute) }()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if err := clock.WaitTimers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
			t.Fatal("Sleep returned before the clock moved")
		default:
		}
		clock.Advance(time.Minute)
		select {
		case ok := <-done:
			if !ok {
				t.Fatal("Sleep reported false after the wait completed")
			}
		case <-ctx.Done():
			t.Fatal("Sleep did not return after the clock moved")
		}
	})
	t.Run("StopsWithTheContext", func(t *testing.T) {
		clock := bottest.NewClock(start)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if bot.Sleep(ctx, clock, time.Hour) {
			t.Fatal("Sleep reported true on a cancelled context")
		}
	})
	t.Run("NonPositiveReturnsAtOnce", func(t *testing.T) {
		if !bot.Sleep(t.Context(), bottest.NewClock(start), 0) {
			t.Fatal("Sleep(0) on a live context = false")
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if bot.Sleep(ctx, nil, -time.Second) {
			t.Fatal("Sleep(<0) on a cancelled context = true")
		}
	})
}
