package bot

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Prepared is a job of an early kind (JobKind.Prepare) made ready before
// it is due. The runner holds it, with every other prepared job, in one
// timer structure — not a goroutine each — and at the job's due instant
// calls Fire, then Finish. Exactly one of Fire and Abandon is called.
type Prepared interface {
	// Fire makes the job's irreversible step, a delivery, at its due
	// instant, and nothing that can wait: many jobs fall due at the same
	// instant, and each one's Fire waits for those released before it.
	// It reads again what may have changed while the job waited. An error
	// retries the job like a JobHandler's (Fire has cleaned up after
	// itself); nil means Finish is next.
	Fire(ctx context.Context) error
	// Finish does what follows the step — recording it, follow-up
	// messages — and says how the job ended, like a JobHandler. The
	// runner calls it in other goroutines than Fire, so that recording
	// one delivery never holds up the next.
	Finish(ctx context.Context) (JobResult, error)
	// Abandon takes back what was prepared when Fire will not be called:
	// tend is stopping before the due instant. The job stays claimed, and
	// the next start runs it again. ctx is short and its own.
	Abandon(ctx context.Context)
}

// PrepareHandler prepares a job of an early kind: everything that is safe
// to do before the due time and to do again (reading, rendering, recording
// the outbox attempt). It returns a nil Prepared, with the result, when
// the job has nothing left to do (skipped, missed), and an error to retry
// it, like a JobHandler.
type PrepareHandler func(ctx context.Context, j Job) (Prepared, JobResult, error)

// Defaults of the early machinery.
const (
	// defaultFirers bounds how many Fire calls run at once: deliveries
	// wait in the adapters' pacers, and the first ones released must not
	// hold up the rest, yet a burst of thousands needs no goroutine each.
	defaultFirers = 64
	// preparers prepare claimed jobs; the work is the database's, which
	// has one connection, so a few overlap the rendering with it.
	preparers = 4
	// finishers record fired jobs (and send what follows, such as DM
	// reminders); see Prepared.Finish.
	finishers = 8
	// abandonTimeout bounds an Abandon while tend stops.
	abandonTimeout = 5 * time.Second
)

// earlyJob is a claimed job of an early kind on its way: prepared, waiting
// in the timer structure, firing or finishing.
type earlyJob struct {
	job  Job
	kind JobKind
	p    Prepared
}

// dueHeap orders prepared jobs by due time, then by id.
type dueHeap []*earlyJob

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(a, b int) bool {
	if !h[a].job.DueAt.Equal(h[b].job.DueAt) {
		return h[a].job.DueAt.Before(h[b].job.DueAt)
	}
	return h[a].job.ID < h[b].job.ID
}
func (h dueHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(*earlyJob)) }
func (h *dueHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}

// early runs the jobs of early kinds that the runner claims before they
// are due: preparers prepare them, one timer structure (a heap and a
// single timer) holds them until their due instant, a bounded set of
// firers makes their steps, and finishers record the outcome.
type early struct {
	r     *Runner
	store EarlyJobStore
	kinds []string

	// inFlight counts the jobs claimed early and not yet finished (or left
	// to the next start); it is bounded by MaxEarly.
	mu       sync.Mutex
	inFlight int
	waiting  dueHeap
	closed   bool          // the releaser has stopped: abandon what comes
	pushed   chan struct{} // wakes the releaser for a new earliest job
	freed    chan struct{} // wakes the claim loop when a job finished

	prepare chan Job
	fire    chan *earlyJob
	finish  chan *earlyJob
}

func newEarly(r *Runner, es EarlyJobStore, kinds []string) *early {
	return &early{
		r: r, store: es, kinds: kinds,
		pushed:  make(chan struct{}, 1),
		freed:   make(chan struct{}, 1),
		prepare: make(chan Job, maxEarlyBatch),
		// Every job in flight is in at most one channel at a time, so
		// sends into these never block.
		fire:   make(chan *earlyJob, r.cfg.MaxEarly),
		finish: make(chan *earlyJob, r.cfg.MaxEarly),
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// run starts the early machinery and returns once ctx is done and every
// job it holds was fired and finished, or abandoned and left claimed for
// the next start.
func (e *early) run(ctx context.Context) {
	var producers, firers, finishing sync.WaitGroup
	producers.Add(2 + preparers)
	go func() { defer producers.Done(); e.claimLoop(ctx) }()
	go func() { defer producers.Done(); e.release(ctx) }()
	for range preparers {
		go func() { defer producers.Done(); e.prepareLoop(ctx) }()
	}
	firers.Add(e.r.cfg.Firers)
	for range e.r.cfg.Firers {
		go func() { defer firers.Done(); e.fireLoop(ctx) }()
	}
	finishing.Add(finishers)
	for range finishers {
		go func() { defer finishing.Done(); e.finishLoop(ctx) }()
	}
	producers.Wait()
	firers.Wait()
	// Released and never fired: nothing reached a platform.
	for {
		select {
		case ej := <-e.fire:
			e.abandon(ctx, ej)
			continue
		default:
		}
		break
	}
	// The finishers drain what was fired.
	close(e.finish)
	finishing.Wait()
}

// claimLoop claims jobs of the early kinds up to Lookahead before they are
// due, at most MaxEarly in flight, and hands them to the preparers in due
// order.
func (e *early) claimLoop(ctx context.Context) {
	r := e.r
	timer := r.cfg.Clock.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		e.mu.Lock()
		free := r.cfg.MaxEarly - e.inFlight
		e.mu.Unlock()
		wait := time.Hour
		if free > 0 {
			limit := min(free, maxEarlyBatch)
			now := r.cfg.Clock.Now()
			jobs, err := e.store.ClaimEarlyJobs(ctx, now, now.Add(r.cfg.Lookahead), e.kinds, limit)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				r.log.Error("claiming jobs ahead of their time failed; trying again shortly", KeyErr, err)
				if !e.sleep(ctx, timer, time.Second) {
					return
				}
				continue
			}
			e.mu.Lock()
			e.inFlight += len(jobs)
			e.mu.Unlock()
			for _, j := range jobs {
				select {
				case e.prepare <- j:
				case <-ctx.Done():
					// Claimed, not prepared: left running for the next
					// start, like a job stopped mid-run.
					return
				}
			}
			if len(jobs) == limit {
				continue
			}
			next, ok, err := e.store.NextEarlyJobDue(ctx, r.cfg.Clock.Now(), e.kinds)
			switch {
			case err != nil:
				if ctx.Err() != nil {
					return
				}
				r.log.Error("reading the next job to start early failed; trying again shortly", KeyErr, err)
				wait = time.Second
			case ok:
				wait = max(next.Add(-r.cfg.Lookahead).Sub(r.cfg.Clock.Now()), 0)
				if wait == 0 {
					continue
				}
			}
		}
		// Woken early by an Enqueue (Notify) or a finished job.
		if !e.sleep(ctx, timer, wait) {
			return
		}
	}
}

// sleep waits for d, a wake-up or ctx; it reports false when ctx is done.
func (e *early) sleep(ctx context.Context, t Timer, d time.Duration) bool {
	rearm(t, d)
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
	case <-e.r.earlyWake:
	case <-e.freed:
	}
	return true
}

// prepareLoop prepares claimed jobs and puts them in the timer structure.
func (e *early) prepareLoop(ctx context.Context) {
	for {
		var j Job
		select {
		case <-ctx.Done():
			return
		case j = <-e.prepare:
		}
		// Only kinds with Prepare are claimed early.
		k, _ := e.r.kind(j.Kind)
		p, res, err := e.r.prepare(ctx, k, j)
		if err != nil || p == nil {
			e.r.record(ctx, j, k, res, err)
			e.done()
			continue
		}
		e.push(ctx, &earlyJob{job: j, kind: k, p: p})
	}
}

// push puts a prepared job in the timer structure, or abandons it when the
// releaser has stopped.
func (e *early) push(ctx context.Context, ej *earlyJob) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		e.abandon(ctx, ej)
		return
	}
	heap.Push(&e.waiting, ej)
	first := e.waiting[0] == ej
	e.mu.Unlock()
	if first {
		signal(e.pushed)
	}
}

// release is the timer structure's one goroutine: it sleeps until the
// earliest prepared job is due and hands every job due by then to the
// firers, in due order. When ctx is done it abandons the jobs still
// waiting.
func (e *early) release(ctx context.Context) {
	clock := e.r.cfg.Clock
	timer := clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := clock.Now()
		wait := time.Hour
		e.mu.Lock()
		for len(e.waiting) > 0 && !e.waiting[0].job.DueAt.After(now) {
			e.fire <- heap.Pop(&e.waiting).(*earlyJob)
		}
		if len(e.waiting) > 0 {
			wait = e.waiting[0].job.DueAt.Sub(now)
		}
		e.mu.Unlock()
		if !timer.Stop() {
			select {
			case <-timer.C():
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			e.mu.Lock()
			e.closed = true
			left := e.waiting
			e.waiting = nil
			e.mu.Unlock()
			for _, ej := range left {
				e.abandon(ctx, ej)
			}
			return
		case <-timer.C():
		case <-e.pushed:
		}
	}
}

// fireLoop makes the steps of released jobs, one at a time.
func (e *early) fireLoop(ctx context.Context) {
	for {
		var ej *earlyJob
		select {
		case <-ctx.Done():
			return
		case ej = <-e.fire:
		}
		if ctx.Err() != nil {
			e.abandon(ctx, ej)
			continue
		}
		if err := e.r.fire(ctx, ej); err != nil {
			e.r.record(ctx, ej.job, ej.kind, JobResult{}, err)
			e.done()
			continue
		}
		e.finish <- ej
	}
}

// finishLoop finishes fired jobs and records their outcome, until the
// finish channel is closed. A Finish that tend's stop cuts short leaves its
// job claimed, like a handler stopped mid-job: the next start runs it
// again, and the outbox (or the platform) knows what was delivered.
func (e *early) finishLoop(ctx context.Context) {
	for ej := range e.finish {
		res, err := e.r.finish(ctx, ej)
		e.r.record(ctx, ej.job, ej.kind, res, err)
		e.done()
	}
}

// abandon takes back a prepared job that will not fire; it stays claimed
// for the next start.
func (e *early) abandon(ctx context.Context, ej *earlyJob) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonTimeout)
	defer cancel()
	e.r.abandon(actx, ej)
}

// done counts a job out of flight and wakes the claim loop.
func (e *early) done() {
	e.mu.Lock()
	e.inFlight--
	e.mu.Unlock()
	signal(e.freed)
}
