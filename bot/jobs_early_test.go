package bot

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// steps is a Prepared made of functions; nil ones do nothing.
type steps struct {
	fire    func(ctx context.Context) error
	finish  func(ctx context.Context) (JobResult, error)
	abandon func(ctx context.Context)
}

func (s steps) Fire(ctx context.Context) error {
	if s.fire == nil {
		return nil
	}
	return s.fire(ctx)
}

func (s steps) Finish(ctx context.Context) (JobResult, error) {
	if s.finish == nil {
		return JobResult{}, nil
	}
	return s.finish(ctx)
}

func (s steps) Abandon(ctx context.Context) {
	if s.abandon != nil {
		s.abandon(ctx)
	}
}

// TestRunner_LookaheadWithoutEarlyStore: over a store that cannot claim
// early, a kind with Prepare is prepared, fired and finished once due, one
// after the other.
func TestRunner_LookaheadWithoutEarlyStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &memJobs{}
		r := NewRunner(RunnerConfig{Store: st, Logger: discardLog, Lookahead: time.Minute})
		start := time.Now()
		var prepared, fired, finished time.Duration
		handleEarly(t, r, "test.k", func(ctx context.Context, j Job) (Prepared, JobResult, error) {
			prepared = time.Since(start)
			return steps{
				fire: func(context.Context) error { fired = time.Since(start); return nil },
				finish: func(context.Context) (JobResult, error) {
					finished = time.Since(start)
					return JobResult{Note: "sent"}, nil
				},
			}, JobResult{}, nil
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()
		if _, err := r.Enqueue(ctx, Job{Kind: "test.k", Key: "test.k/a", DueAt: start.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if prepared != time.Hour || fired != time.Hour || finished != time.Hour {
			t.Fatalf("prepared at +%s, fired at +%s, finished at +%s; want all at +1h", prepared, fired, finished)
		}
		if j := st.get("a"); j.State != JobDone || j.Note != "sent" {
			t.Fatalf("job %+v; want done, sent", j)
		}
	})
}

// TestRunner_PrepareEndsJob: a Prepare that finds nothing to do ends the
// job with its result, and nothing is fired.
func TestRunner_PrepareEndsJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &memJobs{}
		r := NewRunner(RunnerConfig{Store: st, Logger: discardLog})
		handleEarly(t, r, "test.k", func(ctx context.Context, j Job) (Prepared, JobResult, error) {
			return nil, JobResult{State: JobSkipped, Note: "the session was cancelled"}, nil
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()
		if _, err := r.Enqueue(ctx, Job{Kind: "test.k", Key: "test.k/a", DueAt: time.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if j := st.get("a"); j.State != JobSkipped || j.Note != "the session was cancelled" {
			t.Fatalf("job %+v; want skipped with the reason", j)
		}
	})
}

// TestRunner_EarlyPanics: a panic in Fire or Finish fails the job like a
// handler's, without taking the runner down.
func TestRunner_EarlyPanics(t *testing.T) {
	for name, s := range map[string]steps{
		"Fire":   {fire: func(context.Context) error { panic("boom") }},
		"Finish": {finish: func(context.Context) (JobResult, error) { panic("boom") }},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := &memJobs{}
				r := NewRunner(RunnerConfig{Store: st, Logger: discardLog, MaxAttempts: 1})
				handleEarly(t, r, "test.k", func(context.Context, Job) (Prepared, JobResult, error) { return s, JobResult{}, nil })
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error)
				go func() { done <- r.Run(ctx) }()
				if _, err := r.Enqueue(ctx, Job{Kind: "test.k", Key: "test.k/a", DueAt: time.Now()}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Minute)
				synctest.Wait()
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				if j := st.get("a"); j.State != JobFailed {
					t.Fatalf("job %+v; want failed", j)
				}
			})
		})
	}
}
