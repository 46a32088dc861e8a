package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
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
	ID int64
	// Kind names the registered JobKind that runs it: "reminders.reminder".
	Kind string
	// Key is unique and namespaced by kind: it starts with Kind + "/".
	// Enqueueing an existing key with the same content does nothing; with
	// different content it is an error wrapping ErrConflict.
	Key     string
	GroupID int64 // 0 when not about one group
	// SessionID is the session the job belongs to; 0 when none. Cancelling,
	// moving or pausing a session acts on its jobs by it, whatever feature
	// made them, and the session log lists them. A moved session's jobs are
	// carried to the new session: handlers read the session from here,
	// never from the key or the payload.
	SessionID int64
	DueAt     time.Time
	Payload   []byte // handler-specific, usually JSON
	State     JobState
	Attempts  int
	Note      string // outcome or last error, never message content
	// FinishedAt is when the job reached a final state.
	FinishedAt time.Time
}

// JobStore keeps durable jobs.
type JobStore interface {
	// EnqueueJob inserts j in JobPending unless a job with j.Key exists; it
	// reports whether it inserted. An existing job with the same key but
	// another kind, group, session or payload is an error wrapping
	// ErrConflict: two pieces of work must never share a key.
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
	// pending, so that they run again, taking back the attempt the
	// interrupted run counted; it returns how many.
	ResetRunningJobs(ctx context.Context) (int, error)
}

// JobResult is how a handler finished a job.
type JobResult struct {
	State JobState // JobDone (the default), JobMissed or JobSkipped
	Note  string   // e.g. "sent late by 4m", "session had started"
}

// JobHandler performs a job. It must be idempotent: a job may run again
// after a crash, and deliveries go through the Sender's outbox. An error
// that wraps ErrUnreachable or ErrRejected, or any error on the last attempt, fails the job;
// other errors retry it with backoff.
type JobHandler func(ctx context.Context, j Job) (JobResult, error)

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Store  JobStore
	Clock  Clock
	Logger *slog.Logger
	// Workers bounds how many jobs claimed once due run at once (default
	// 32). Deliveries block while adapters pace them, so one slow channel
	// must not hold up others. Jobs claimed early have their own bound,
	// MaxEarly.
	Workers int
	// MaxAttempts before a job fails (default 8).
	MaxAttempts int
	// Backoff returns the wait before retry n (1-based); default doubles
	// from 5 s up to 10 min.
	Backoff func(attempt int) time.Duration
	// Lookahead is how long before their DueAt the jobs of early kinds
	// (JobKind.Prepare) are claimed and prepared, so that their reading
	// and rendering is done before the due time and only the irreversible
	// step (Prepared.Fire) is left for it. 0 (the default) claims every job
	// only once due. It needs a Store that implements EarlyJobStore.
	Lookahead time.Duration
	// MaxEarly bounds how many jobs claimed early may be in progress at
	// once, prepared and waiting for their due time or firing (default
	// 10,000). They wait in one timer structure, not a goroutine each, and
	// take no Workers slots: many falling due at the same second are
	// delivered at once, paced by the adapters, and none waits for the
	// database work of those before it. Jobs already due when claimed (a
	// backlog after downtime) run under Workers.
	MaxEarly int
	// Observer is told how each job run ended (NopObserver when nil).
	Observer Observer
	// Firers bounds how many early jobs' steps (Prepared.Fire: their
	// deliveries, which wait in the adapters' pacers) run at once
	// (default 64).
	Firers int
}

// EarlyJobStore is a JobStore that can claim jobs before they are due; a
// Runner with a Lookahead uses it.
type EarlyJobStore interface {
	// ClaimEarlyJobs is ClaimDueJobs for pending jobs of the given kinds
	// that are not yet due: now < DueAt ≤ until. Jobs already due (a
	// backlog after downtime) are left to ClaimDueJobs and Workers.
	ClaimEarlyJobs(ctx context.Context, now, until time.Time, kinds []string, limit int) ([]Job, error)
	// NextEarlyJobDue returns the earliest DueAt after now of a pending job
	// of the given kinds.
	NextEarlyJobDue(ctx context.Context, now time.Time, kinds []string) (time.Time, bool, error)
}

// Runner runs due jobs. It keeps one timer, for the earliest pending job,
// and is woken early when a job is enqueued; the jobs of early kinds that
// it prepared ahead wait in one more timer structure (early.go).
type Runner struct {
	cfg   RunnerConfig
	log   *slog.Logger
	mu    sync.RWMutex
	kinds map[string]JobKind
	wake  chan struct{}
	// earlyWake wakes the loop that claims jobs ahead of their time.
	earlyWake chan struct{}
	// started is when Run began: work due before it came due while tend
	// was not running.
	started time.Time
}

// StartedAt returns when Run began, or the zero time before. A job due
// before it came due while this process was not running.
func (r *Runner) StartedAt() time.Time {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.started
}

// JobKind is one kind of durable job a feature registers with the Runner.
type JobKind struct {
	// Name is the kind's name, namespaced by the feature that owns it:
	// "reminders.reminder", "checkins.close". Keys of its jobs start with
	// Name + "/".
	Name string
	// Run performs one job of this kind. A kind has Run or Prepare.
	Run JobHandler
	// Prepare, instead of Run, makes the kind early: its jobs may be
	// claimed up to the Runner's Lookahead before they are due and
	// prepared then (everything safe to do early and to do again); the
	// runner holds the prepared jobs in one timer structure, calls each
	// one's Fire at its due instant — a bounded number at once — and its
	// Finish after that (see Prepared). A job claimed once it is due (a
	// backlog after downtime, or no Lookahead) is prepared, fired and
	// finished at once.
	Prepare PrepareHandler
	// Label names a job of this kind in a session's log, in the words a
	// facilitator uses: "reminder 1h before", "check-in prompt". Nil uses
	// the kind's name.
	Label func(Job) string
	// MaxAttempts overrides the Runner's for this kind: a reminder keeps
	// trying through a platform's outage for as long as it is useful (its
	// handler then records it missed), instead of giving up after the
	// default eight tries in ten minutes. 0 uses the Runner's.
	MaxAttempts int
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
		cfg.Backoff = Backoff{Base: 5 * time.Second, Max: 10 * time.Minute}.Delay
	}

	if cfg.MaxEarly <= 0 {
		cfg.MaxEarly = 10000
	}
	cfg.Observer = ObserverOr(cfg.Observer)
	if cfg.Firers <= 0 {
		cfg.Firers = defaultFirers
	}
	if cfg.Lookahead < 0 {
		cfg.Lookahead = 0
	}
	return &Runner{cfg: cfg, log: cfg.Logger, kinds: map[string]JobKind{}, wake: make(chan struct{}, 1), earlyWake: make(chan struct{}, 1)}
}

// Register adds a kind of job. A name registered twice, a name without a
// feature namespace ("feature.kind") or a kind without exactly one of Run
// and Prepare is an error.
func (r *Runner) Register(k JobKind) error {
	if (k.Run == nil) == (k.Prepare == nil) || !validKindName(k.Name) {
		return fmt.Errorf("jobs: kind %q needs a name of the form feature.kind and a Run or a Prepare", k.Name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.kinds[k.Name]; dup {
		return fmt.Errorf("jobs: kind %q registered twice", k.Name)
	}
	r.kinds[k.Name] = k
	return nil
}

// validKindName reports whether s is "feature.kind": lowercase letters,
// digits, '-' and '_', with one or more dots, none at either end.
func validKindName(s string) bool {
	if s == "" || !strings.Contains(s, ".") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CheckKey reports whether j's key is namespaced by its kind.
func CheckKey(j Job) error {
	if j.Kind == "" || !strings.HasPrefix(j.Key, j.Kind+"/") || len(j.Key) == len(j.Kind)+1 {
		return fmt.Errorf("jobs: key %q of a %q job must start with %q and name the job after it", j.Key, j.Kind, j.Kind+"/")
	}
	return nil
}

// Label returns how a session's log names j: its kind's Label, else the
// kind's name.
func (r *Runner) Label(j Job) string {
	r.mu.RLock()
	k, ok := r.kinds[j.Kind]
	r.mu.RUnlock()
	if ok && k.Label != nil {
		return k.Label(j)
	}
	return j.Kind
}

// kind returns the registered kind of that name.
func (r *Runner) kind(name string) (JobKind, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.kinds[name]
	return k, ok
}

// earlyKinds returns the kinds registered with Prepare, sorted.
func (r *Runner) earlyKinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var kinds []string
	for name, k := range r.kinds {
		if k.Prepare != nil {
			kinds = append(kinds, name)
		}
	}
	slices.Sort(kinds)
	return kinds
}

// Enqueue stores j and wakes the runner. It reports whether j was new; an
// existing key with different content is an error wrapping ErrConflict,
// and so is a key not namespaced by its kind.
func (r *Runner) Enqueue(ctx context.Context, j Job) (bool, error) {
	if err := CheckKey(j); err != nil {
		return false, fmt.Errorf("%w: %w", err, ErrConflict)
	}
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
	signal(r.wake)
	signal(r.earlyWake)
}

// Run runs due jobs until ctx is done, then waits for running jobs and
// returns nil. Jobs left running by an earlier process are run again.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	r.started = r.cfg.Clock.Now()
	r.mu.Unlock()
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
	if es, kinds := r.earlyStore(); es != nil {
		e := newEarly(r, es, kinds)
		wg.Add(1)
		go func() { defer wg.Done(); e.run(ctx) }()
	}
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
		// wait is the time until the next claim can find work; a timer of
		// an hour when nothing is pending (Enqueue and finished jobs wake
		// the runner).
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

// rearm stops t, drops a firing it may have left unread, and sets it to
// fire after d.
func rearm(t Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C():
		default:
		}
	}
	t.Reset(d)
}

// sleep waits for d, a wake-up or ctx; it reports false when ctx is done.
func (r *Runner) sleep(ctx context.Context, t Timer, d time.Duration) bool {
	rearm(t, d)
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
	case <-r.wake:
	}
	return true
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// maxEarlyBatch bounds one early claim, so that one transaction does not
// hold the database for long.
const maxEarlyBatch = 1000

// earlyStore returns the store and the kinds to claim early, or nil when
// nothing is claimed early.
func (r *Runner) earlyStore() (EarlyJobStore, []string) {
	if r.cfg.Lookahead <= 0 {
		return nil, nil
	}
	es, ok := r.cfg.Store.(EarlyJobStore)
	if !ok {
		return nil, nil
	}
	kinds := r.earlyKinds()
	if len(kinds) == 0 {
		return nil, nil
	}
	return es, kinds
}

// runOne runs a job claimed once due: a plain kind's Run, or an early
// kind's Prepare, Fire and Finish one after the other.
func (r *Runner) runOne(ctx context.Context, j Job) {
	k, ok := r.kind(j.Kind)
	var (
		res JobResult
		err error
	)
	switch {
	case !ok:
		err = Rejected("no handler for job kind %q (a job of a newer or older tend?)", j.Kind)
	case k.Prepare != nil:
		var p Prepared
		p, res, err = r.prepare(ctx, k, j)
		if err == nil && p != nil {
			ej := &earlyJob{job: j, kind: k, p: p}
			if err = r.fire(ctx, ej); err == nil {
				res, err = r.finish(ctx, ej)
			}
		}
	default:
		res, err = r.call(ctx, k.Run, j)
	}
	r.record(ctx, j, k, res, err)
}

// record stores how a job ended: its final state, or pending again with
// backoff after an error. A job stopped by ctx mid-way is left running;
// the next start resets and reruns it, and the outbox stops a second
// delivery.
func (r *Runner) record(ctx context.Context, j Job, k JobKind, res JobResult, err error) {
	log := r.log.With(KeyJob, j.Kind, KeyKey, j.Key)
	// Record the outcome even while shutting down, so a finished job is not
	// run again; a short fresh context bounds it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := r.cfg.Clock.Now()
	var state JobState
	switch {
	case err == nil:
		if res.State == "" {
			res.State = JobDone
		}
		state = res.State
		err = r.cfg.Store.FinishJob(fctx, j.ID, res.State, res.Note, now)
	case ctx.Err() != nil:
		return
	case IsPermanent(err) || j.Attempts >= r.maxAttempts(k):
		logPanic(log, err)
		log.Error("job failed; giving up", "attempts", j.Attempts, KeyErr, err)
		state = JobFailed
		err = r.cfg.Store.FinishJob(fctx, j.ID, JobFailed, jobNote(err), now)
	default:
		logPanic(log, err)
		wait := r.cfg.Backoff(j.Attempts)
		log.Warn("job failed; will retry", "attempts", j.Attempts, "in", wait.String(), KeyErr, err)
		// A job started early keeps its due time: a retry never moves it
		// earlier.
		state = JobPending
		err = r.cfg.Store.FinishJob(fctx, j.ID, JobPending, jobNote(err), later(now.Add(wait), j.DueAt))
	}
	if err != nil {
		log.Error("recording job outcome failed", KeyErr, err)
		return
	}
	r.cfg.Observer.JobFinished(j.Kind, state)
}

// jobNote is how a failure reads in a session's log: one line, at most 300
// characters. Errors never carry message content; a panic's stack goes to
// the operator's log, not here.
func jobNote(err error) string {
	return cut(strings.Join(strings.Fields(err.Error()), " "), 300)
}

// cut returns s cut to its first n characters, with an ellipsis when it
// was longer.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// logPanic logs the stack of a recovered panic, once, for the operator.
func logPanic(log *slog.Logger, err error) {
	var pe *PanicError
	if errors.As(err, &pe) {
		log.Error("a job's handler panicked", "panic", pe.Value, "stack", string(pe.Stack))
	}
}

// maxAttempts returns how many attempts a job of kind k gets.
func (r *Runner) maxAttempts(k JobKind) int {
	if k.MaxAttempts > 0 {
		return k.MaxAttempts
	}
	return r.cfg.MaxAttempts
}

func (r *Runner) call(ctx context.Context, h JobHandler, j Job) (res JobResult, err error) {
	defer recovered(&err)
	return h(ctx, j)
}

func (r *Runner) prepare(ctx context.Context, k JobKind, j Job) (p Prepared, res JobResult, err error) {
	defer recovered(&err)
	return k.Prepare(ctx, j)
}

func (r *Runner) fire(ctx context.Context, ej *earlyJob) (err error) {
	defer recovered(&err)
	return ej.p.Fire(ctx)
}

func (r *Runner) finish(ctx context.Context, ej *earlyJob) (res JobResult, err error) {
	defer recovered(&err)
	return ej.p.Finish(ctx)
}

func (r *Runner) abandon(ctx context.Context, ej *earlyJob) {
	var err error
	defer func() {
		if err != nil {
			r.log.Error("taking back a prepared job failed", KeyJob, ej.job.Kind, KeyKey, ej.job.Key, KeyErr, err)
		}
	}()
	defer recovered(&err)
	ej.p.Abandon(ctx)
}

// recovered turns a panic in a feature's job code into an error.
func recovered(err *error) {
	if p := recover(); p != nil {
		*err = &PanicError{Value: fmt.Sprint(p), Stack: debug.Stack()}
	}
}
