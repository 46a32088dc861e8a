package bot

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestWaitDue_OutsideAJob(t *testing.T) {
	if err := WaitDue(t.Context()); err != nil {
		t.Fatalf("WaitDue outside a job = %v; want nil at once", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := WaitDue(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitDue with a cancelled ctx = %v; want context.Canceled", err)
	}
}

// TestRunner_LookaheadWithoutEarlyStore: over a store that cannot claim
// early, a kind registered with HandleEarly runs once due, as a plain one,
// and WaitDue returns at once.
func TestRunner_LookaheadWithoutEarlyStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &memJobs{}
		r := NewRunner(RunnerConfig{Store: st, Logger: discardLog, Lookahead: time.Minute})
		start := time.Now()
		var started, fired time.Duration
		handleEarly(t, r, "test.k", func(ctx context.Context, j Job) (JobResult, error) {
			started = time.Since(start)
			if err := WaitDue(ctx); err != nil {
				return JobResult{}, err
			}
			fired = time.Since(start)
			return JobResult{Note: "sent"}, nil
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
		if started != time.Hour || fired != time.Hour {
			t.Fatalf("started at +%s, passed WaitDue at +%s; want both at +1h", started, fired)
		}
		if j := st.get("a"); j.State != JobDone {
			t.Fatalf("job %+v; want done", j)
		}
	})
}
