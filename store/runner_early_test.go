package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store/storetest"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// earlyProbe records when each job was prepared (or, for plain jobs,
// started), when it fired, when it was abandoned, and how many jobs were
// firing (or, for plain jobs, running) at once.
type earlyProbe struct {
	mu                        sync.Mutex
	started, fired, abandoned map[string]time.Time
	active, maxActiv          int
}

func newProbe() *earlyProbe {
	return &earlyProbe{started: map[string]time.Time{}, fired: map[string]time.Time{}, abandoned: map[string]time.Time{}}
}

// work is a delivery that takes a second of the fake clock.
func (p *earlyProbe) work(key string) {
	key = key[strings.LastIndexByte(key, '/')+1:]
	p.mu.Lock()
	p.fired[key] = time.Now()
	p.active++
	p.maxActiv = max(p.maxActiv, p.active)
	p.mu.Unlock()
	time.Sleep(time.Second)
	p.mu.Lock()
	p.active--
	p.mu.Unlock()
}

func (p *earlyProbe) early(ctx context.Context, j bot.Job) (bot.Prepared, bot.JobResult, error) {
	key := j.Key[strings.LastIndexByte(j.Key, '/')+1:]
	p.mu.Lock()
	p.started[key] = time.Now()
	p.mu.Unlock()
	return steps{
		fire: func(context.Context) error { p.work(j.Key); return nil },
		finish: func(context.Context) (bot.JobResult, error) {
			return bot.JobResult{Note: "sent"}, nil
		},
		abandon: func(context.Context) {
			p.mu.Lock()
			p.abandoned[key] = time.Now()
			p.mu.Unlock()
		},
	}, bot.JobResult{}, nil
}

func (p *earlyProbe) plain(_ context.Context, j bot.Job) (bot.JobResult, error) {
	p.mu.Lock()
	p.started[j.Key[strings.LastIndexByte(j.Key, '/')+1:]] = time.Now()
	p.mu.Unlock()
	p.work(j.Key)
	return bot.JobResult{Note: "sent"}, nil
}

// TestRunner_Lookahead: jobs of an early kind are prepared a Lookahead
// before they are due, at most MaxEarly of them in flight, and fire
// exactly at their due time; plain kinds start only once due; jobs started
// early take no Workers slot (a plain job due meanwhile runs at its time
// with Workers 1).
func TestRunner_Lookahead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := storetest.Open(t)
		const lookahead = 5 * time.Second
		r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quietLog(), Workers: 1, Lookahead: lookahead, MaxEarly: 3})
		p := newProbe()
		handleEarly(t, r, "test.early", p.early)
		handle(t, r, "test.plain", p.plain)
		due := time.Now().Add(time.Hour)
		jobs := []bot.Job{
			{Kind: "test.early", Key: "test.early/e1", DueAt: due},
			{Kind: "test.early", Key: "test.early/e2", DueAt: due},
			{Kind: "test.early", Key: "test.early/e3", DueAt: due},
			{Kind: "test.early", Key: "test.early/e4-over-max", DueAt: due.Add(time.Second)},
			{Kind: "test.plain", Key: "test.plain/p-before", DueAt: due.Add(-2 * time.Second)},
			{Kind: "test.plain", Key: "test.plain/p-after", DueAt: due.Add(2 * time.Second)},
		}
		for _, j := range jobs {
			if _, err := r.Enqueue(t.Context(), j); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		time.Sleep(time.Hour + time.Minute)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, k := range []string{"e1", "e2", "e3"} {
			if s := p.started[k]; !s.Equal(due.Add(-lookahead)) {
				t.Errorf("early job %s started at %v; want %v, the lookahead before it is due", k, s, due.Add(-lookahead))
			}
			if f := p.fired[k]; !f.Equal(due) {
				t.Errorf("early job %s delivered at %v; want exactly its due time %v", k, f, due)
			}
		}
		// MaxEarly 3: the fourth starts only once one of the three ended,
		// and still delivers at its own due time.
		if s := p.started["e4-over-max"]; s.Before(due.Add(time.Second-lookahead)) || !s.After(due) {
			t.Errorf("e4-over-max started at %v; want after the first three ended at %v", s, due.Add(time.Second))
		}
		if f := p.fired["e4-over-max"]; !f.Equal(due.Add(time.Second)) {
			t.Errorf("e4-over-max delivered at %v; want %v", f, due.Add(time.Second))
		}
		// Three jobs waiting for their time did not hold the one worker.
		for k, at := range map[string]time.Time{"p-before": due.Add(-2 * time.Second), "p-after": due.Add(2 * time.Second)} {
			if s := p.started[k]; !s.Equal(at) {
				t.Errorf("plain job %s started at %v; want at its due time %v", k, s, at)
			}
		}
		for _, j := range jobs {
			got, err := db.JobByKey(t.Context(), j.Key)
			if err != nil || got.State != bot.JobDone || got.Attempts != 1 {
				t.Errorf("job %s = %+v, %v; want done on attempt 1", j.Key, got, err)
			}
		}
	})
}

// TestRunner_LookaheadStopWhileWaiting: a job prepared early and stopped
// by shutdown while it waits is abandoned (what it prepared taken back)
// and stays running; the next start resets it, and it fires once, at its
// due time.
func TestRunner_LookaheadStopWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := storetest.Open(t)
		due := time.Now().Add(time.Minute)
		if _, err := db.EnqueueJob(t.Context(), bot.Job{Kind: "test.early", Key: "test.early/e", DueAt: due}); err != nil {
			t.Fatal(err)
		}
		p := newProbe()
		run := func(until time.Time) {
			r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quietLog(), Lookahead: 10 * time.Second})
			handleEarly(t, r, "test.early", p.early)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			time.Sleep(time.Until(until))
			synctest.Wait()
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		run(due.Add(-5 * time.Second))
		if j, err := db.JobByKey(t.Context(), "test.early/e"); err != nil || j.State != bot.JobRunning {
			t.Fatalf("job after a stop while waiting = %+v, %v; want left running", j, err)
		}
		if len(p.fired) != 0 {
			t.Fatalf("delivered before its due time: %v", p.fired)
		}
		if a := p.abandoned["e"]; !a.Equal(due.Add(-5 * time.Second)) {
			t.Fatalf("abandoned at %v; want when the stop came, %v", a, due.Add(-5*time.Second))
		}
		run(due.Add(time.Minute))
		j, err := db.JobByKey(t.Context(), "test.early/e")
		if err != nil || j.State != bot.JobDone || j.Attempts != 1 {
			t.Fatalf("job = %+v, %v; want done on attempt 1 (the stop does not count)", j, err)
		}
		if f := p.fired["e"]; !f.Equal(due) {
			t.Fatalf("delivered at %v; want %v", f, due)
		}
	})
}

// TestRunner_LookaheadRetryKeepsDueTime: a job started early whose
// handler fails before its due time is retried no earlier than that time,
// even when the backoff is shorter than the lookahead.
func TestRunner_LookaheadRetryKeepsDueTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := storetest.Open(t)
		due := time.Now().Add(time.Hour)
		if _, err := db.EnqueueJob(t.Context(), bot.Job{Kind: "test.early", Key: "test.early/e", DueAt: due}); err != nil {
			t.Fatal(err)
		}
		r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quietLog(), Lookahead: time.Minute,
			Backoff: func(int) time.Duration { return time.Second }})
		var (
			mu    sync.Mutex
			calls int
			fired time.Time
		)
		handleEarly(t, r, "test.early", func(ctx context.Context, j bot.Job) (bot.Prepared, bot.JobResult, error) {
			mu.Lock()
			calls++
			first := calls == 1
			mu.Unlock()
			if first {
				return nil, bot.JobResult{}, errors.New("reading the session failed")
			}
			return steps{fire: func(context.Context) error {
				mu.Lock()
				fired = time.Now()
				mu.Unlock()
				return nil
			}}, bot.JobResult{}, nil
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if calls != 2 || !fired.Equal(due) {
			t.Fatalf("%d calls, delivered at %v; want a retry delivered at its due time %v", calls, fired, due)
		}
	})
}

// TestRunner_EarlyOneTimerStructure: a thousand jobs prepared early wait
// for their due instants without a goroutine each; each fires exactly at
// its own instant, in due order, and is done once.
func TestRunner_EarlyOneTimerStructure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := storetest.Open(t)
		const n = 1000
		start := time.Now()
		first := start.Add(time.Hour)
		// Ten jobs share each instant, a second apart.
		dueOf := func(i int) time.Time { return first.Add(time.Duration(i/10) * time.Second) }
		for i := range n {
			if _, err := db.EnqueueJob(t.Context(), bot.Job{Kind: "test.early", Key: fmt.Sprintf("test.early/%d", i), DueAt: dueOf(i)}); err != nil {
				t.Fatal(err)
			}
		}
		r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quietLog(), Lookahead: 5 * time.Minute, Firers: 4})
		var (
			mu    sync.Mutex
			fired = map[int]time.Time{}
			order []int
		)
		handleEarly(t, r, "test.early", func(ctx context.Context, j bot.Job) (bot.Prepared, bot.JobResult, error) {
			i, err := strconv.Atoi(strings.TrimPrefix(j.Key, "test.early/"))
			if err != nil {
				return nil, bot.JobResult{}, err
			}
			return steps{fire: func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				if _, twice := fired[i]; twice {
					t.Errorf("job %d fired twice", i)
				}
				fired[i] = time.Now()
				order = append(order, i)
				return nil
			}}, bot.JobResult{Note: "sent"}, nil
		})
		base := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		// Every job is prepared and waiting a minute before the first is
		// due.
		time.Sleep(time.Until(first.Add(-time.Minute)))
		synctest.Wait()
		if g := runtime.NumGoroutine() - base; g > 40 {
			t.Fatalf("%d goroutines while %d jobs wait; want the runner's few, not one per job", g, n)
		}
		for i := range n {
			if j, err := db.JobByKey(t.Context(), fmt.Sprintf("test.early/%d", i)); err != nil || j.State != bot.JobRunning {
				t.Fatalf("job %d = %+v, %v; want claimed (running) and waiting", i, j, err)
			}
		}
		time.Sleep(time.Until(dueOf(n - 1).Add(time.Minute)))
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(fired) != n {
			t.Fatalf("%d of %d jobs fired", len(fired), n)
		}
		for i := range n {
			if !fired[i].Equal(dueOf(i)) {
				t.Fatalf("job %d fired at +%s; want exactly its due time +%s", i, fired[i].Sub(start), dueOf(i).Sub(start))
			}
		}
		if !slices.IsSortedFunc(order, func(a, b int) int { return dueOf(a).Compare(dueOf(b)) }) {
			t.Fatalf("fired out of due order: %v", order)
		}
		for i := range n {
			if j, err := db.JobByKey(t.Context(), fmt.Sprintf("test.early/%d", i)); err != nil || j.State != bot.JobDone || j.Attempts != 1 {
				t.Fatalf("job %d = %+v, %v; want done on attempt 1", i, j, err)
			}
		}
	})
}

// TestRunner_EarlyFirersBounded: many jobs due at the same instant fire at
// most Firers at a time, each as soon as a firer is free, and a slow Finish
// (recording, DM reminders) holds up no other job's Fire.
func TestRunner_EarlyFirersBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := storetest.Open(t)
		const n, firers = 20, 3
		due := time.Now().Add(time.Hour)
		for i := range n {
			if _, err := db.EnqueueJob(t.Context(), bot.Job{Kind: "test.early", Key: fmt.Sprintf("test.early/%d", i), DueAt: due}); err != nil {
				t.Fatal(err)
			}
		}
		r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quietLog(), Lookahead: time.Minute, Firers: firers})
		p := newProbe()
		var (
			mu       sync.Mutex
			finished int
		)
		handleEarly(t, r, "test.early", func(ctx context.Context, j bot.Job) (bot.Prepared, bot.JobResult, error) {
			return steps{
				fire: func(context.Context) error { p.work(j.Key); return nil }, // a second each
				finish: func(context.Context) (bot.JobResult, error) {
					time.Sleep(time.Hour) // DMs paced by the platform
					mu.Lock()
					finished++
					mu.Unlock()
					return bot.JobResult{Note: "sent"}, nil
				},
			}, bot.JobResult{}, nil
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		time.Sleep(10 * time.Hour)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.fired) != n || p.maxActiv != firers {
			t.Fatalf("%d fired, at most %d at once; want all %d, %d at a time (Firers)", len(p.fired), p.maxActiv, n, firers)
		}
		// Each round of three takes a second; the finishes, an hour each,
		// delay none of them.
		counts := map[time.Duration]int{}
		for _, f := range p.fired {
			counts[f.Sub(due)]++
		}
		for round := range (n + firers - 1) / firers {
			if want := min(firers, n-round*firers); counts[time.Duration(round)*time.Second] != want {
				t.Fatalf("fired at (after the due time): %v; want %d at each second from +0s", counts, firers)
			}
		}
		if finished != n {
			t.Fatalf("%d finished; want %d", finished, n)
		}
	})
}
