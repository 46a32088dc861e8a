package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store/storetest"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// earlyProbe records when each job's handler started, when its WaitDue
// returned, and how many jobs were past WaitDue (or, for plain jobs,
// running) at once.
type earlyProbe struct {
	mu               sync.Mutex
	started, fired   map[string]time.Time
	active, maxActiv int
}

func newProbe() *earlyProbe {
	return &earlyProbe{started: map[string]time.Time{}, fired: map[string]time.Time{}}
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

func (p *earlyProbe) early(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p.mu.Lock()
	p.started[j.Key[strings.LastIndexByte(j.Key, '/')+1:]] = time.Now()
	p.mu.Unlock()
	if err := bot.WaitDue(ctx); err != nil {
		return bot.JobResult{}, err
	}
	p.work(j.Key)
	return bot.JobResult{Note: "sent"}, nil
}

func (p *earlyProbe) plain(_ context.Context, j bot.Job) (bot.JobResult, error) {
	p.mu.Lock()
	p.started[j.Key[strings.LastIndexByte(j.Key, '/')+1:]] = time.Now()
	p.mu.Unlock()
	p.work(j.Key)
	return bot.JobResult{Note: "sent"}, nil
}

// TestRunner_Lookahead: jobs of a kind registered with HandleEarly start a
// Lookahead before they are due, at most MaxEarly of them, and pass WaitDue
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

// TestRunner_LookaheadStopWhileWaiting: a job claimed early and stopped by
// shutdown while it waits stays running; the next start resets it and it
// passes WaitDue once, at its due time.
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
		handleEarly(t, r, "test.early", func(ctx context.Context, j bot.Job) (bot.JobResult, error) {
			mu.Lock()
			calls++
			first := calls == 1
			mu.Unlock()
			if first {
				return bot.JobResult{}, errors.New("reading the session failed")
			}
			if err := bot.WaitDue(ctx); err != nil {
				return bot.JobResult{}, err
			}
			mu.Lock()
			fired = time.Now()
			mu.Unlock()
			return bot.JobResult{Note: "sent"}, nil
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
