package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

func TestJobs_EnqueueIsIdempotentByKey(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	j := bot.Job{Kind: "test.reminder", Key: "test.reminder/reminder/1/24h", DueAt: t0.Add(time.Hour), Payload: []byte(`{"s":1}`)}
	created, err := db.EnqueueJob(ctx, j)
	if err != nil || !created {
		t.Fatalf("first enqueue: %v, %v", created, err)
	}
	// The same job again (a retried job enqueueing what it enqueued
	// before) changes nothing, even at another due time: retries move it.
	j2 := j
	j2.DueAt = t0.Add(5 * time.Hour)
	created, err = db.EnqueueJob(ctx, j2)
	if err != nil || created {
		t.Fatalf("second enqueue of the same job: created=%v, %v; want false, nil", created, err)
	}
	// Other work under the same key is a bug, never silently dropped.
	for name, other := range map[string]bot.Job{
		"payload": {Kind: j.Kind, Key: j.Key, DueAt: j.DueAt, Payload: []byte(`{"s":2}`)},
		"session": {Kind: j.Kind, Key: j.Key, DueAt: j.DueAt, Payload: j.Payload, SessionID: 5},
	} {
		if _, err := db.EnqueueJob(ctx, other); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("same key, other %s: %v; want ErrConflict", name, err)
		}
	}
	if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "test.reminder", Key: "reminder/1/1h"}); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("a key not namespaced by its kind: %v; want ErrConflict", err)
	}
	got, err := db.JobByKey(ctx, j.Key)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != bot.JobPending || !got.DueAt.Equal(j.DueAt) || string(got.Payload) != `{"s":1}` || got.Attempts != 0 || got.GroupID != 0 {
		t.Errorf("stored job %+v; want the first one, pending", got)
	}
	if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "x"}); err == nil {
		t.Error("a job without a key was enqueued")
	}
	if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "test.x", Key: "test.x/k", GroupID: 999}); err == nil {
		t.Error("a job for a missing group was enqueued")
	}
	if _, err := db.JobByKey(ctx, "nope"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("JobByKey(nope): %v, want ErrNotFound", err)
	}
}

func TestJobs_ClaimFinishRetryReset(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	if _, ok, err := db.NextJobDue(ctx); ok || err != nil {
		t.Fatalf("NextJobDue on an empty table: %v, %v", ok, err)
	}
	for i, due := range []time.Duration{3 * time.Minute, time.Minute, 2 * time.Minute, time.Hour} {
		if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "test.k", Key: fmt.Sprint("test.k/j", i), DueAt: t0.Add(due)}); err != nil {
			t.Fatal(err)
		}
	}
	next, ok, err := db.NextJobDue(ctx)
	if err != nil || !ok || !next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("NextJobDue = %v, %v, %v; want t0+1m", next, ok, err)
	}
	if js, err := db.ClaimDueJobs(ctx, t0, 10); err != nil || len(js) != 0 {
		t.Fatalf("claim before anything is due: %+v, %v", js, err)
	}
	// Three are due; claim two: the earliest two.
	js, err := db.ClaimDueJobs(ctx, t0.Add(10*time.Minute), 2)
	if err != nil || len(js) != 2 || js[0].Key != "test.k/j1" || js[1].Key != "test.k/j2" {
		t.Fatalf("claim 2 = %+v, %v; want j1, j2", js, err)
	}
	for _, j := range js {
		if j.State != bot.JobRunning || j.Attempts != 1 {
			t.Errorf("claimed %+v; want running, attempt 1", j)
		}
	}
	// Claimed jobs are not claimed again.
	more, err := db.ClaimDueJobs(ctx, t0.Add(10*time.Minute), 10)
	if err != nil || len(more) != 1 || more[0].Key != "test.k/j0" {
		t.Fatalf("claim the rest = %+v, %v; want j0", more, err)
	}

	// j1 finishes; j2 is retried later; j0 is left running by a "crash".
	fin := t0.Add(11 * time.Minute)
	if err := db.FinishJob(ctx, js[0].ID, bot.JobDone, "sent", fin); err != nil {
		t.Fatal(err)
	}
	retry := t0.Add(20 * time.Minute)
	if err := db.FinishJob(ctx, js[1].ID, bot.JobPending, "timeout", retry); err != nil {
		t.Fatal(err)
	}
	done, _ := db.JobByKey(ctx, "test.k/j1")
	if done.State != bot.JobDone || done.Note != "sent" || !done.FinishedAt.Equal(fin) {
		t.Errorf("done job %+v", done)
	}
	again, _ := db.JobByKey(ctx, "test.k/j2")
	if again.State != bot.JobPending || !again.DueAt.Equal(retry) || again.Attempts != 1 || !again.FinishedAt.IsZero() || again.Note != "timeout" {
		t.Errorf("retried job %+v; want pending at t0+20m, attempts kept", again)
	}
	if next, _, _ := db.NextJobDue(ctx); !next.Equal(retry) {
		t.Errorf("NextJobDue = %v, want the retry at %v", next, retry)
	}

	n, err := db.ResetRunningJobs(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ResetRunningJobs = %d, %v; want 1", n, err)
	}
	reset, _ := db.JobByKey(ctx, "test.k/j0")
	if reset.State != bot.JobPending || reset.Attempts != 0 {
		t.Errorf("reset job %+v; want pending, the interrupted run not counted as an attempt", reset)
	}
	js, err = db.ClaimDueJobs(ctx, retry, 10)
	if err != nil || len(js) != 2 || js[0].Key != "test.k/j0" || js[0].Attempts != 1 || js[1].Key != "test.k/j2" || js[1].Attempts != 2 {
		t.Fatalf("claim after reset and retry = %+v, %v", js, err)
	}

	for _, st := range []bot.JobState{bot.JobMissed, bot.JobSkipped, bot.JobFailed} {
		if err := db.FinishJob(ctx, js[0].ID, st, string(st), fin); err != nil {
			t.Errorf("FinishJob(%s): %v", st, err)
		}
		if j, _ := db.JobByKey(ctx, "test.k/j0"); j.State != st {
			t.Errorf("state %s, want %s", j.State, st)
		}
	}
	if err := db.FinishJob(ctx, js[0].ID, bot.JobRunning, "", fin); err == nil {
		t.Error("FinishJob accepted running as a final state")
	}
	if err := db.FinishJob(ctx, 999, bot.JobDone, "", fin); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("FinishJob of a missing job: %v, want ErrNotFound", err)
	}
	if js, err := db.ClaimDueJobs(ctx, retry, 0); err != nil || len(js) != 0 {
		t.Errorf("claim with limit 0 = %+v, %v", js, err)
	}
}

func TestJobs_CascadeWithGroup(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "test.k", Key: "test.k/g", GroupID: g.ID, DueAt: t0}); err != nil {
		t.Fatal(err)
	}
	if j, err := db.JobByKey(ctx, "test.k/g"); err != nil || j.GroupID != g.ID {
		t.Fatalf("job %+v, %v", j, err)
	}
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM groups WHERE id = ?`, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.JobByKey(ctx, "test.k/g"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("a deleted group's job survived: %v", err)
	}
}

// TestJobs_ConcurrentEnqueueAndClaim runs enqueuers and claimers at once on
// one DB, as the process's runner, commands and features do: every job is
// claimed exactly once and no call fails (no SQLITE_BUSY). One process per
// database is the design (ARCHITECTURE.md); two processes would contend
// through busy_timeout, and SQLite's locks are not fair, so whether one of
// them waits past the timeout depends on timing.
func TestJobs_ConcurrentEnqueueAndClaim(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	const (
		enqueuers = 8
		perWriter = 50
		claimers  = 8
		total     = enqueuers / 2 * perWriter
	)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		claimed = map[string]int{}
		errs    = make(chan error, enqueuers+claimers)
		written = make(chan struct{})
	)
	var enq sync.WaitGroup
	for w := range enqueuers {
		enq.Add(1)
		go func() {
			defer enq.Done()
			for i := range perWriter {
				// Writers 2k and 2k+1 enqueue the same keys, to race
				// the idempotence too.
				key := fmt.Sprintf("test.k/job-%d-%d", w/2, i)
				if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "test.k", Key: key, DueAt: t0}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	go func() { enq.Wait(); close(written) }()
	for range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// Read whether writing had finished before claiming, so
				// that an empty claim after it means the table is drained.
				var finished bool
				select {
				case <-written:
					finished = true
				default:
				}
				js, err := db.ClaimDueJobs(ctx, t0, 7)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, j := range js {
					claimed[j.Key]++
				}
				mu.Unlock()
				if len(js) == 0 && finished {
					return
				}
				if ctx.Err() != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	enq.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call failed: %v", err)
	}
	if len(claimed) != total {
		t.Errorf("%d distinct jobs claimed, want %d", len(claimed), total)
	}
	for k, n := range claimed {
		if n != 1 {
			t.Errorf("job %s claimed %d times", k, n)
		}
	}
	var pending int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE state <> 'running'`).Scan(&pending); err != nil || pending != 0 {
		t.Errorf("%d jobs not running after the claims (%v)", pending, err)
	}
}

// BenchmarkClaimDueJobs claims a batch of due jobs from a table holding
// many more that are not due.
func BenchmarkClaimDueJobs(b *testing.B) {
	for _, batch := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprint("batch", batch), func(b *testing.B) {
			db, err := Open(b.Context(), filepath.Join(b.TempDir(), "tend.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := b.Context()
			// 20,000 jobs in the future that a claim must skip quickly.
			tx, err := db.sql.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			for i := range 20000 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (kind, key, due_at, state, created_at) VALUES ('k', ?, ?, 'pending', 0)`,
					fmt.Sprint("future-", i), t0.Add(24*time.Hour).Unix()); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				b.StopTimer()
				tx, err := db.sql.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				for i := range batch {
					if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (kind, key, due_at, state, created_at) VALUES ('k', ?, ?, 'pending', 0)`,
						fmt.Sprint("due-", n, "-", i), t0.Unix()); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				js, err := db.ClaimDueJobs(ctx, t0, batch)
				if err != nil || len(js) != batch {
					b.Fatalf("claimed %d, %v; want %d", len(js), err, batch)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/job")
		})
	}
}

// TestJobs_InterruptionsAreNotFailures: a job interrupted by twenty stops
// in a row (kill -9 while it ran) still has every attempt left: only real
// failures count towards the limit.
func TestJobs_InterruptionsAreNotFailures(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "test.k", Key: "test.k/burst", DueAt: t0}); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if js, err := db.ClaimDueJobs(ctx, t0, 10); err != nil || len(js) != 1 {
			t.Fatalf("claim: %v, %v", js, err)
		}
		if _, err := db.ResetRunningJobs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	js, err := db.ClaimDueJobs(ctx, t0, 10)
	if err != nil || len(js) != 1 || js[0].Attempts != 1 {
		t.Fatalf("after 20 interruptions: %+v, %v; want attempt 1", js, err)
	}
}
