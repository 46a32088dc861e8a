package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// JobState is where a durable job stands.
type JobState string

// Job states.
const (
	JobPending JobState = "pending" // waiting for DueAt
	JobRunning JobState = "running" // claimed by a runner
	JobDone    JobState = "done"    // finished; Note says how ("sent", "sent late")
	JobMissed  JobState = "missed"  // came due while down and was no longer useful
	JobSkipped JobState = "skipped" // not needed (session cancelled, series paused)
	JobFailed  JobState = "failed"  // gave up; Note says why
)

// Job is one piece of due work. The jobs table is the truth about what is
// due; the runner keeps only a timer for the earliest job.
type Job struct {
	ID       int64
	Kind     string // handler name, e.g. "reminder"
	Key      string // unique; enqueueing an existing key does nothing
	GroupID  int64  // 0 when not about one group
	DueAt    time.Time
	Payload  []byte // handler-specific, usually JSON
	State    JobState
	Attempts int
	Note     string // outcome or last error, never message content
	// FinishedAt is when the job reached a final state.
	FinishedAt time.Time
}

// JobStore keeps durable jobs.
type JobStore interface {
	// EnqueueJob inserts j in JobPending unless a job with j.Key exists; it
	// reports whether it inserted.
	EnqueueJob(ctx context.Context, j Job) (bool, error)
	// ClaimDueJobs moves up to limit pending jobs with DueAt ≤ now to
	// JobRunning, earliest first, increments their Attempts and returns them.
	ClaimDueJobs(ctx context.Context, now time.Time, limit int) ([]Job, error)
	// NextJobDue returns the earliest DueAt of a pending job.
	NextJobDue(ctx context.Context) (time.Time, bool, error)
	// FinishJob records a final state (done, missed, skipped, failed), or
	// JobPending with a new DueAt to retry.
	FinishJob(ctx context.Context, id int64, state JobState, note string, at time.Time) error
	// ResetRunningJobs returns jobs left running by a process that died to
	// pending, so that they run again; it returns how many.
	ResetRunningJobs(ctx context.Context) (int, error)
}

// JobResult is how a handler finished a job.
type JobResult struct {
	State JobState // JobDone (the default), JobMissed or JobSkipped
	Note  string   // e.g. "sent late by 4m", "session had started"
}

// JobHandler performs a job. It must be idempotent: a job may run again
// after a crash, and deliveries go through the Sender's outbox. An error
// that wraps ErrUnreachable, or any error on the last attempt, fails the job;
// other errors retry it with backoff.
type JobHandler func(ctx context.Context, j Job) (JobResult, error)

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Store  JobStore
	Clock  Clock
	Logger *slog.Logger
	// Workers bounds how many jobs run at once (default 32). Deliveries block
	// while adapters pace them, so one slow channel must not hold up others.
	Workers int
	// MaxAttempts before a job fails (default 8).
	MaxAttempts int
	// Backoff returns the wait before retry n (1-based); default doubles
	// from 5 s up to 10 min.
	Backoff func(attempt int) time.Duration
}

// Runner runs due jobs. It keeps one timer, for the earliest pending job,
// and is woken early when a job is enqueued.
type Runner struct {
	cfg      RunnerConfig
	log      *slog.Logger
	mu       sync.RWMutex
	handlers map[string]JobHandler
	wake     chan struct{}
}

// NewRunner returns a Runner.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(n int) time.Duration {
			d := 5 * time.Second << min(n-1, 10)
			return min(d, 10*time.Minute)
		}
	}
	return &Runner{cfg: cfg, log: cfg.Logger, handlers: map[string]JobHandler{}, wake: make(chan struct{}, 1)}
}

// Handle registers the handler for a kind of job.
func (r *Runner) Handle(kind string, h JobHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// Enqueue stores j and wakes the runner. It reports whether j was new.
func (r *Runner) Enqueue(ctx context.Context, j Job) (bool, error) {
	created, err := r.cfg.Store.EnqueueJob(ctx, j)
	if err != nil {
		return false, err
	}
	if created {
		r.Notify()
	}
	return created, nil
}

// Notify wakes the runner to look at the jobs table again, after jobs were
// added or moved by other means.
func (r *Runner) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run runs due jobs until ctx is done, then waits for running jobs and
// returns nil. Jobs left running by an earlier process are run again.
func (r *Runner) Run(ctx context.Context) error {
	if n, err := r.cfg.Store.ResetRunningJobs(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("jobs: reset: %w", err)
	} else if n > 0 {
		r.log.Info("resuming jobs interrupted by a stop", "count", n)
	}
	sem := make(chan struct{}, r.cfg.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := r.cfg.Clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if ctx.Err() != nil {
			return nil
		}
		free := r.cfg.Workers - len(sem)
		if free > 0 {
			jobs, err := r.cfg.Store.ClaimDueJobs(ctx, r.cfg.Clock.Now(), free)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				r.log.Error("claiming due jobs failed; trying again shortly", KeyErr, err)
				if !r.sleep(ctx, timer, time.Second) {
					return nil
				}
				continue
			}
			for _, j := range jobs {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem; r.Notify() }()
					r.runOne(ctx, j)
				}()
			}
			if len(jobs) == free {
				continue // there may be more due right now
			}
		}
		wait := time.Hour
		if free > 0 {
			next, ok, err := r.cfg.Store.NextJobDue(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				r.log.Error("reading the next due job failed; trying again shortly", KeyErr, err)
				wait = time.Second
			} else if ok {
				wait = max(next.Sub(r.cfg.Clock.Now()), 0)
				if wait == 0 {
					continue
				}
			}
		}
		if !r.sleep(ctx, timer, wait) {
			return nil
		}
	}
}

// sleep waits for d, a wake-up or ctx; it reports false when ctx is done.
func (r *Runner) sleep(ctx context.Context, t Timer, d time.Duration) bool {
	if !t.Stop() {
		select {
		case <-t.C():
		default:
		}
	}
	t.Reset(d)
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
	case <-r.wake:
	}
	return true
}

func (r *Runner) runOne(ctx context.Context, j Job) {
	log := r.log.With(KeyJob, j.Kind, KeyKey, j.Key)
	r.mu.RLock()
	h, ok := r.handlers[j.Kind]
	r.mu.RUnlock()
	var (
		res JobResult
		err error
	)
	if !ok {
		err = &PermanentError{Reason: fmt.Sprintf("no handler for job kind %q", j.Kind)}
	} else {
		res, err = r.call(ctx, h, j)
	}
	// Record the outcome even while shutting down, so a finished job is not
	// run again; a short fresh context bounds it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := r.cfg.Clock.Now()
	switch {
	case err == nil:
		if res.State == "" {
			res.State = JobDone
		}
		err = r.cfg.Store.FinishJob(fctx, j.ID, res.State, res.Note, now)
	case ctx.Err() != nil:
		// Stopped mid-job: leave it running; the next start resets and
		// reruns it, and the outbox stops a second delivery.
		return
	case errors.Is(err, ErrUnreachable) || j.Attempts >= r.cfg.MaxAttempts:
		log.Error("job failed; giving up", "attempts", j.Attempts, KeyErr, err)
		err = r.cfg.Store.FinishJob(fctx, j.ID, JobFailed, err.Error(), now)
	default:
		wait := r.cfg.Backoff(j.Attempts)
		log.Warn("job failed; will retry", "attempts", j.Attempts, "in", wait.String(), KeyErr, err)
		err = r.cfg.Store.FinishJob(fctx, j.ID, JobPending, err.Error(), now.Add(wait))
	}
	if err != nil {
		log.Error("recording job outcome failed", KeyErr, err)
	}
}

func (r *Runner) call(ctx context.Context, h JobHandler, j Job) (res JobResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return h(ctx, j)
}
