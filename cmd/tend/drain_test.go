package main

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store/storetest"
)

// TestDrainStore_WaitIdle: at the end of the console's input, tend waits
// while a job is due now or running, and not for jobs due later.
func TestDrainStore_WaitIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		ds := newDrainStore(storetest.Open(t))
		clock := bot.SystemClock{}
		now := clock.Now()
		for _, j := range []bot.Job{{Kind: "test.test", Key: "test.test/due-now", DueAt: now}, {Kind: "test.test", Key: "test.test/due-later", DueAt: now.Add(time.Hour)}} {
			if _, err := ds.EnqueueJob(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan error, 1)
		go func() { done <- ds.waitIdle(ctx, clock) }()
		blocked := func(step string) {
			synctest.Wait()
			select {
			case err := <-done:
				t.Fatalf("%s: waitIdle returned (%v) while work was due or running", step, err)
			default:
			}
		}
		blocked("job due")
		jobs, err := ds.ClaimDueJobs(ctx, clock.Now(), 10)
		if err != nil || len(jobs) != 1 || jobs[0].Key != "test.test/due-now" {
			t.Fatalf("claimed %v, %v", jobs, err)
		}
		blocked("job running")
		if err := ds.FinishJob(ctx, jobs[0].ID, bot.JobDone, "sent", clock.Now()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("waitIdle: %v", err)
			}
		default:
			t.Fatal("waitIdle still waits with nothing due now and nothing running")
		}
	})
}

func TestDrainStore_WaitIdleBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ds := newDrainStore(storetest.Open(t))
		clock := bot.SystemClock{}
		if _, err := ds.EnqueueJob(t.Context(), bot.Job{Kind: "test.test", Key: "test.test/never-claimed", DueAt: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if err := ds.waitIdle(ctx, clock); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waitIdle = %v, want the deadline", err)
		}
	})
}
