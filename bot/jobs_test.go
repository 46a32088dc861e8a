package bot

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// memJobs is a JobStore in memory, holding the contract documented on
// JobStore; the store package's tests hold *store.DB to the same.
type memJobs struct {
	mu     sync.Mutex
	jobs   []*Job
	claims int
}

func (m *memJobs) EnqueueJob(_ context.Context, j Job) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.jobs {
		if x.Key == j.Key {
			return false, nil
		}
	}
	j.ID = int64(len(m.jobs) + 1)
	j.State = JobPending
	m.jobs = append(m.jobs, &j)
	return true, nil
}

func (m *memJobs) ClaimDueJobs(_ context.Context, now time.Time, limit int) ([]Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims++
	var due []*Job
	for _, j := range m.jobs {
		if j.State == JobPending && !j.DueAt.After(now) {
			due = append(due, j)
		}
	}
	sort.Slice(due, func(a, b int) bool { return due[a].DueAt.Before(due[b].DueAt) })
	var out []Job
	for _, j := range due[:min(limit, len(due))] {
		j.State = JobRunning
		j.Attempts++
		out = append(out, *j)
	}
	return out, nil
}

func (m *memJobs) NextJobDue(context.Context) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var next time.Time
	for _, j := range m.jobs {
		if j.State == JobPending && (next.IsZero() || j.DueAt.Before(next)) {
			next = j.DueAt
		}
	}
	return next, !next.IsZero(), nil
}

func (m *memJobs) FinishJob(_ context.Context, id int64, state JobState, note string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[id-1]
	j.State, j.Note = state, note
	if state == JobPending {
		j.DueAt = at
	} else {
		j.FinishedAt = at
	}
	return nil
}

func (m *memJobs) ResetRunningJobs(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, j := range m.jobs {
		if j.State == JobRunning {
			j.State = JobPending
			j.Attempts = max(j.Attempts-1, 0)
			n++
		}
	}
	return n, nil
}

// get returns the job with key, or whose key is "<kind>/" + key.
func (m *memJobs) get(key string) Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range m.jobs {
		if j.Key == key || j.Key == j.Kind+"/"+key {
			return *j
		}
	}
	return Job{}
}

func TestRunner(t *testing.T) {
	t.Run("RunsEachJobAtItsTime", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			st := &memJobs{}
			r := NewRunner(RunnerConfig{Store: st, Logger: discardLog})
			start := time.Now()
			var mu sync.Mutex
			ran := map[string]time.Duration{}
			handle(t, r, "test.k", func(ctx context.Context, j Job) (JobResult, error) {
				mu.Lock()
				ran[strings.TrimPrefix(j.Key, j.Kind+"/")] = time.Since(start)
				mu.Unlock()
				return JobResult{Note: "sent"}, nil
			})
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { done <- r.Run(ctx) }()
			for _, d := range []time.Duration{3 * time.Hour, time.Minute, 24 * time.Hour} {
				if _, err := r.Enqueue(ctx, Job{Kind: "test.k", Key: "test.k/" + d.String(), DueAt: start.Add(d)}); err != nil {
					t.Fatal(err)
				}
			}
			// Enqueueing the same key again does nothing.
			if created, _ := r.Enqueue(ctx, Job{Kind: "test.k", Key: "test.k/1m0s", DueAt: start}); created {
				t.Fatal("duplicate key enqueued")
			}
			time.Sleep(25 * time.Hour)
			synctest.Wait()
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			for _, d := range []time.Duration{3 * time.Hour, time.Minute, 24 * time.Hour} {
				if got := ran[d.String()]; got != d {
					t.Errorf("job %s ran at +%s", d, got)
				}
				if j := st.get(d.String()); j.State != JobDone || j.Note != "sent" {
					t.Errorf("job %s: %+v", d, j)
				}
			}
			// One timer, not polling: a handful of claims for three jobs over
			// a day.
			if st.claims > 10 {
				t.Errorf("%d claims for 3 jobs: the runner polls", st.claims)
			}
		})
	})
	t.Run("RetriesWithBackoffThenFails", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			st := &memJobs{}
			r := NewRunner(RunnerConfig{Store: st, Logger: discardLog, MaxAttempts: 3,
				Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute }})
			var attempts []time.Time
			handle(t, r, "test.flaky", func(ctx context.Context, j Job) (JobResult, error) {
				attempts = append(attempts, time.Now())
				if j.Attempts == 2 {
					panic("handler bug")
				}
				return JobResult{}, errors.New("platform 500")
			})
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { done <- r.Run(ctx) }()
			start := time.Now()
			r.Enqueue(ctx, Job{Kind: "test.flaky", Key: "test.flaky/f", DueAt: start})
			r.Enqueue(ctx, Job{Kind: "test.nobody", Key: "test.nobody/n", DueAt: start})
			time.Sleep(time.Hour)
			synctest.Wait()
			cancel()
			<-done
			if len(attempts) != 3 {
				t.Fatalf("%d attempts, want 3", len(attempts))
			}
			if attempts[1].Sub(attempts[0]) != time.Minute || attempts[2].Sub(attempts[1]) != 2*time.Minute {
				t.Errorf("backoff: %v", attempts)
			}
			if j := st.get("f"); j.State != JobFailed || j.Note != "platform 500" {
				t.Errorf("flaky job: %+v", j)
			}
			if j := st.get("n"); j.State != JobFailed {
				t.Errorf("job without handler: %+v", j)
			}
		})
	})
	t.Run("UnreachableFailsAtOnce", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			st := &memJobs{}
			r := NewRunner(RunnerConfig{Store: st, Logger: discardLog})
			calls := 0
			handle(t, r, "test.k", func(ctx context.Context, j Job) (JobResult, error) {
				calls++
				return JobResult{}, &PermanentError{Reason: "channel deleted"}
			})
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { done <- r.Run(ctx) }()
			r.Enqueue(ctx, Job{Kind: "test.k", Key: "test.k/a", DueAt: time.Now()})
			time.Sleep(time.Hour)
			synctest.Wait()
			cancel()
			<-done
			if calls != 1 || st.get("a").State != JobFailed {
				t.Fatalf("calls %d, job %+v", calls, st.get("a"))
			}
		})
	})
	t.Run("StopMidJobRerunsAfterRestart", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			st := &memJobs{}
			ctx1, stop := context.WithCancel(t.Context())
			r1 := NewRunner(RunnerConfig{Store: st, Logger: discardLog})
			entered := make(chan struct{})
			handle(t, r1, "test.k", func(ctx context.Context, j Job) (JobResult, error) {
				close(entered)
				<-ctx.Done() // the process is stopped mid-job
				return JobResult{}, ctx.Err()
			})
			done := make(chan error)
			go func() { done <- r1.Run(ctx1) }()
			r1.Enqueue(ctx1, Job{Kind: "test.k", Key: "test.k/a", DueAt: time.Now()})
			<-entered
			stop()
			<-done
			if j := st.get("a"); j.State != JobRunning {
				t.Fatalf("after stop: %+v", j)
			}
			r2 := NewRunner(RunnerConfig{Store: st, Logger: discardLog})
			ran := 0
			handle(t, r2, "test.k", func(ctx context.Context, j Job) (JobResult, error) { ran++; return JobResult{}, nil })
			ctx2, cancel := context.WithCancel(t.Context())
			go func() { done <- r2.Run(ctx2) }()
			synctest.Wait()
			cancel()
			<-done
			if ran != 1 || st.get("a").State != JobDone || st.get("a").Attempts != 1 {
				t.Fatalf("after restart: ran %d, job %+v", ran, st.get("a"))
			}
		})
	})
	t.Run("BoundedConcurrency", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			st := &memJobs{}
			r := NewRunner(RunnerConfig{Store: st, Logger: discardLog, Workers: 4})
			var mu sync.Mutex
			running, peak, total := 0, 0, 0
			handle(t, r, "test.slow", func(ctx context.Context, j Job) (JobResult, error) {
				mu.Lock()
				running++
				total++
				peak = max(peak, running)
				mu.Unlock()
				time.Sleep(time.Second) // a paced delivery
				mu.Lock()
				running--
				mu.Unlock()
				return JobResult{}, nil
			})
			now := time.Now()
			for i := range 20 {
				st.EnqueueJob(t.Context(), Job{Kind: "test.slow", Key: "test.slow/" + string(rune('a'+i)), DueAt: now})
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { done <- r.Run(ctx) }()
			time.Sleep(time.Minute)
			synctest.Wait()
			cancel()
			<-done
			if total != 20 || peak != 4 {
				t.Fatalf("ran %d jobs with peak concurrency %d; want 20 and 4", total, peak)
			}
		})
	})
}

// handle registers a plain job kind or fails the test.
func handle(t testing.TB, r *Runner, name string, run JobHandler) {
	t.Helper()
	if err := r.Register(JobKind{Name: name, Run: run}); err != nil {
		t.Fatal(err)
	}
}

// handleEarly registers an early job kind or fails the test.
func handleEarly(t testing.TB, r *Runner, name string, prepare PrepareHandler) {
	t.Helper()
	if err := r.Register(JobKind{Name: name, Prepare: prepare}); err != nil {
		t.Fatal(err)
	}
}

func TestRunner_RegisterAndKeys(t *testing.T) {
	r := NewRunner(RunnerConfig{Store: &memJobs{}, Logger: discardLog})
	run := func(context.Context, Job) (JobResult, error) { return JobResult{}, nil }
	if err := r.Register(JobKind{Name: "checkins.prompt", Run: run, Label: func(Job) string { return "check-in prompt" }}); err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]JobKind{
		"twice":        {Name: "checkins.prompt", Run: run},
		"no namespace": {Name: "prompt", Run: run},
		"no run":       {Name: "checkins.close"},
		"run and prepare": {Name: "checkins.close", Run: run, Prepare: func(context.Context, Job) (Prepared, JobResult, error) {
			return nil, JobResult{}, nil
		}},
		"upper case": {Name: "Checkins.Close", Run: run},
	} {
		if err := r.Register(k); err == nil {
			t.Errorf("%s: registered %+v", name, k)
		}
	}
	if got := r.Label(Job{Kind: "checkins.prompt"}); got != "check-in prompt" {
		t.Errorf("label %q", got)
	}
	if got := r.Label(Job{Kind: "gone.kind"}); got != "gone.kind" {
		t.Errorf("label of an unknown kind %q; want its name", got)
	}
	for _, key := range []string{"prompt/1", "checkins.prompt", "checkins.prompt/", "checkins.promptx/1", ""} {
		if _, err := r.Enqueue(t.Context(), Job{Kind: "checkins.prompt", Key: key}); !errors.Is(err, ErrConflict) {
			t.Errorf("key %q: %v; want ErrConflict (keys are namespaced by kind)", key, err)
		}
	}
	if _, err := r.Enqueue(t.Context(), Job{Kind: "checkins.prompt", Key: "checkins.prompt/1"}); err != nil {
		t.Errorf("a namespaced key: %v", err)
	}
}
