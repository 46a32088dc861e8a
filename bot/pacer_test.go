package bot

import (
	"context"
	"math/rand/v2"
	"slices"
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

// TestWindowPacer: at most n calls in any window, as soon as the window
// allows each; a caller that comes late for its turn (it woke late, as
// callers do on a busy machine) delays only the call n turns after it,
// where a token bucket would delay every later call; the urgent lane goes
// first; Drain counts a full window just spent.
func TestWindowPacer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewWindowPacer(nil, 3, time.Second)
		start := time.Now()
		var at []time.Duration
		call := func(urgent bool) {
			t.Helper()
			if err := p.Wait(t.Context(), urgent); err != nil {
				t.Fatal(err)
			}
			at = append(at, time.Since(start))
		}
		for range 7 {
			call(false)
		}
		// Three at once, then each as the window lets one go.
		want := []time.Duration{0, 0, 0, time.Second, time.Second, time.Second, 2 * time.Second}
		if !equalDurations(at, want) {
			t.Fatalf("calls at %v; want %v", at, want)
		}
		// A caller 300 ms late for its turn (due at +2s): the next ones
		// keep theirs, at +2s and +3s, and only the one three turns on
		// waits for the late one's window.
		time.Sleep(time.Until(start.Add(2*time.Second + 300*time.Millisecond)))
		at = nil
		for range 4 {
			call(false)
		}
		want = []time.Duration{2300 * time.Millisecond, 2300 * time.Millisecond, 3 * time.Second, 3300 * time.Millisecond}
		if !equalDurations(at, want) {
			t.Fatalf("after a late caller, calls at %v; want %v", at, want)
		}
		// At +3.3s the call of +2.3s has left the window.
		if n := p.TokensAt(start.Add(3300 * time.Millisecond)); n != 1 {
			t.Fatalf("TokensAt = %v; want 1", n)
		}
		p.Drain()
		at = nil
		call(true)
		if want := []time.Duration{4300 * time.Millisecond}; !equalDurations(at, want) {
			t.Fatalf("after Drain, a call at %v; want a whole window later, %v", at, want)
		}
	})
}

// TestWindowPacer_Lanes: with the window full, an urgent caller behind a
// queue of bulk callers takes the next place, and no window ever holds
// more than n calls.
func TestWindowPacer_Lanes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, window = 5, time.Second
		p := NewWindowPacer(nil, n, window)
		start := time.Now()
		var (
			mu    sync.Mutex
			at    []time.Time
			alert time.Duration
		)
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				if err := p.Wait(t.Context(), false); err != nil {
					t.Error(err)
				}
				mu.Lock()
				at = append(at, time.Now())
				mu.Unlock()
			})
		}
		time.Sleep(1500 * time.Millisecond)
		wg.Go(func() {
			if err := p.Wait(t.Context(), true); err != nil {
				t.Error(err)
			}
			mu.Lock()
			alert = time.Since(start)
			at = append(at, time.Now())
			mu.Unlock()
		})
		wg.Wait()
		if alert != 2*time.Second {
			t.Fatalf("the urgent call went at +%s; want +2s, the next place", alert)
		}
		slices.SortFunc(at, time.Time.Compare)
		for i := n; i < len(at); i++ {
			if d := at[i].Sub(at[i-n]); d < window {
				t.Fatalf("calls %d and %d only %s apart: more than %d in a window", i-n, i, d, n)
			}
		}
		if last := at[len(at)-1].Sub(start); last != 6*time.Second {
			t.Fatalf("31 calls, 5 a second: the last at +%s; want +6s", last)
		}
	})
}

func equalDurations(a, b []time.Duration) bool { return slices.Equal(a, b) }

// TestWindowPacer_DiscordLimit: at Discord's setting (50 in any 1.04 s),
// 2,000 callers arriving at random times over 10 s, a tenth of them
// urgent, never put more than 50 calls into any 1.04 s window — every call
// is at least a window after the call 50 before it — and the pacer loses
// no pace: while callers wait, each goes the instant the limit allows.
func TestWindowPacer_DiscordLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, window, callers = 50, 1040 * time.Millisecond, 2000
		p := NewWindowPacer(nil, n, window)
		rng := rand.New(rand.NewPCG(13, 1))
		var (
			mu sync.Mutex
			at []time.Time
			wg sync.WaitGroup
		)
		for i := range callers {
			arrive := time.Duration(rng.Int64N(int64(10 * time.Second)))
			urgent := i%10 == 0
			wg.Go(func() {
				time.Sleep(arrive)
				if err := p.Wait(t.Context(), urgent); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				at = append(at, time.Now())
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(at) != callers {
			t.Fatalf("%d of %d calls went", len(at), callers)
		}
		slices.SortFunc(at, time.Time.Compare)
		// Arriving at 200 a second, callers wait from the 51st on: each
		// call then goes exactly as the call 50 before it leaves the
		// window — never sooner (the limit), never later (no pace lost).
		for i := n; i < len(at); i++ {
			if d := at[i].Sub(at[i-n]); d < window {
				t.Fatalf("calls %d and %d only %s apart: %d calls in less than %s", i-n, i, d, n+1, window)
			} else if d > window {
				t.Fatalf("calls %d and %d %s apart with callers waiting; want exactly %s", i-n, i, d, window)
			}
		}
	})
}

// TestWindowPacer_Hold: a place given by Hold is counted from when its
// call is made, not from when its turn came. At Discord's setting, 2,000
// callers each spend 0–80 ms between their turn and their call (the
// hand-off's database write, slow under load), and still no 1.04 s window
// holds more than 50 of the calls as made; the call 50 places after a held
// one waits until it is made.
func TestWindowPacer_Hold(t *testing.T) {
	t.Run("WaitsForTheHeldPlace", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := NewWindowPacer(nil, 2, time.Second)
			start := time.Now()
			made, err := p.Hold(t.Context(), false)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Wait(t.Context(), false); err != nil {
				t.Fatal(err)
			}
			var third time.Duration
			done := make(chan struct{})
			go func() {
				defer close(done)
				if err := p.Wait(t.Context(), false); err != nil {
					t.Error(err)
				}
				third = time.Since(start)
			}()
			time.Sleep(1500 * time.Millisecond)
			synctest.Wait()
			select {
			case <-done:
				t.Fatalf("the third call went at +%s while the first's place was held", third)
			default:
			}
			made()
			made() // a second call changes nothing
			<-done
			if third != 2500*time.Millisecond {
				t.Fatalf("the third call went at +%s; want +2.5s, a window after the first was made", third)
			}
		})
	})
	t.Run("DiscordLimit", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const n, window, callers = 50, 1040 * time.Millisecond, 2000
			p := NewWindowPacer(nil, n, window)
			rng := rand.New(rand.NewPCG(13, 2))
			var (
				mu   sync.Mutex
				sent []time.Time
				wg   sync.WaitGroup
			)
			for i := range callers {
				arrive := time.Duration(rng.Int64N(int64(10 * time.Second)))
				step := time.Duration(rng.Int64N(int64(80 * time.Millisecond)))
				urgent := i%10 == 0
				wg.Go(func() {
					time.Sleep(arrive)
					made, err := p.Hold(t.Context(), urgent)
					if err != nil {
						t.Error(err)
						return
					}
					time.Sleep(step)
					mu.Lock()
					sent = append(sent, time.Now())
					mu.Unlock()
					made()
				})
			}
			wg.Wait()
			if len(sent) != callers {
				t.Fatalf("%d of %d calls went", len(sent), callers)
			}
			slices.SortFunc(sent, time.Time.Compare)
			for i := n; i < len(sent); i++ {
				if d := sent[i].Sub(sent[i-n]); d < window {
					t.Fatalf("calls %d and %d made only %s apart: %d calls in less than %s", i-n, i, d, n+1, window)
				}
			}
		})
	})
}

// TestWindowPacer_Ramp: a ramped window pacer lets the first call go one
// n-th of a window after the start and each later one at that pace, as if
// calls had been made at the full pace until the start; an empty one
// lets n go at once.
func TestWindowPacer_Ramp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewWindowPacer(nil, 5, time.Second)
		p.Ramp()
		start := time.Now()
		var at []time.Duration
		for range 7 {
			if err := p.Wait(t.Context(), false); err != nil {
				t.Fatal(err)
			}
			at = append(at, time.Since(start))
		}
		want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 600 * time.Millisecond, 800 * time.Millisecond,
			time.Second, 1200 * time.Millisecond, 1400 * time.Millisecond}
		if !equalDurations(at, want) {
			t.Fatalf("calls at %v; want %v", at, want)
		}
	})
}
