package bot

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestPacer_Rate: a burst at once, then one call per interval, first come
// first served.
func TestPacer_Rate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(nil, time.Second, 3)
		start := time.Now()
		var (
			mu  sync.Mutex
			got []time.Duration
		)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if err := p.Wait(t.Context(), false); err != nil {
					t.Error(err)
				}
				mu.Lock()
				got = append(got, time.Since(start))
				mu.Unlock()
			})
			synctest.Wait()
		}
		wg.Wait()
		want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("calls at %v; want %v", got, want)
			}
		}
	})
}

// TestPacer_UrgentFirst: an urgent call that arrives behind a queue of
// bulk calls takes the very next token, and the rate holds.
func TestPacer_UrgentFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(nil, 100*time.Millisecond, 1)
		start := time.Now()
		type call struct {
			urgent bool
			at     time.Duration
		}
		var (
			mu    sync.Mutex
			calls []call
		)
		var wg sync.WaitGroup
		do := func(urgent bool) {
			wg.Go(func() {
				if err := p.Wait(t.Context(), urgent); err != nil {
					t.Error(err)
				}
				mu.Lock()
				calls = append(calls, call{urgent, time.Since(start)})
				mu.Unlock()
			})
		}
		for range 50 {
			do(false)
		}
		synctest.Wait()
		time.Sleep(250 * time.Millisecond) // three bulk calls are out
		synctest.Wait()
		if u, b := p.Waiting(); u != 0 || b != 47 {
			t.Fatalf("waiting %d urgent, %d bulk; want 0 and 47", u, b)
		}
		do(true)
		wg.Wait()
		if len(calls) != 51 {
			t.Fatalf("%d calls", len(calls))
		}
		for i, c := range calls {
			if c.urgent {
				if i != 3 || c.at != 300*time.Millisecond {
					t.Fatalf("the urgent call was number %d at %v; want number 3, at the next token (300ms), before 47 queued bulk calls", i, c.at)
				}
			}
			if want := time.Duration(i) * 100 * time.Millisecond; c.at != want {
				t.Fatalf("call %d at %v; want %v: the rate must hold", i, c.at, want)
			}
		}
	})
}

// TestPacer_GiveUp: a waiter whose ctx ends gives up its place; the next
// takes its turn.
func TestPacer_GiveUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(nil, time.Second, 1)
		if err := p.Wait(t.Context(), false); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		first := make(chan error, 1)
		go func() { first <- p.Wait(ctx, false) }()
		synctest.Wait()
		second := make(chan time.Time, 1)
		go func() {
			if err := p.Wait(t.Context(), false); err != nil {
				t.Error(err)
			}
			second <- time.Now()
		}()
		synctest.Wait()
		start := time.Now()
		cancel()
		if err := <-first; err == nil {
			t.Fatal("a cancelled waiter got a token")
		}
		if at := <-second; at.Sub(start) != time.Second {
			t.Fatalf("the next waiter went %v after the cancel; want at the next token (1s)", at.Sub(start))
		}
		if u, b := p.Waiting(); u+b != 0 {
			t.Fatalf("%d waiters left", u+b)
		}
	})
}

func TestUrgentContext(t *testing.T) {
	ctx := context.Background()
	if IsUrgent(ctx) || IsUrgent(WithUrgent(ctx, false)) || !IsUrgent(WithUrgent(ctx, true)) {
		t.Fatal("WithUrgent/IsUrgent disagree")
	}
}
