package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tend-bot/tend/bot"
)

// drainStore is the job store as the runner sees it, counting the jobs
// claimed and not yet finished, so that at the end of the console's input
// tend can wait until nothing is due now and nothing is running.
type drainStore struct {
	bot.JobStore

	mu      sync.Mutex
	running int
	changed chan struct{} // closed and replaced on every change
}

func newDrainStore(st bot.JobStore) *drainStore {
	return &drainStore{JobStore: st, changed: make(chan struct{})}
}

func (s *drainStore) bump(delta int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running += delta
	close(s.changed)
	s.changed = make(chan struct{})
}

// ClaimDueJobs implements bot.JobStore. A claim in flight counts as a
// running job: once the store has claimed, the jobs are no longer pending,
// and a waiter must not see them as neither due nor running.
func (s *drainStore) ClaimDueJobs(ctx context.Context, now time.Time, limit int) ([]bot.Job, error) {
	s.bump(1)
	jobs, err := s.JobStore.ClaimDueJobs(ctx, now, limit)
	s.bump(len(jobs) - 1)
	return jobs, err
}

// FinishJob implements bot.JobStore.
func (s *drainStore) FinishJob(ctx context.Context, id int64, state bot.JobState, note string, at time.Time) error {
	err := s.JobStore.FinishJob(ctx, id, state, note, at)
	s.bump(-1)
	return err
}

// EnqueueJob implements bot.JobStore.
func (s *drainStore) EnqueueJob(ctx context.Context, j bot.Job) (bool, error) {
	created, err := s.JobStore.EnqueueJob(ctx, j)
	if created {
		s.bump(0)
	}
	return created, err
}

// waitIdle returns once no job is running and none is due at clock's now,
// or with an error when ctx ends first.
func (s *drainStore) waitIdle(ctx context.Context, clock bot.Clock) error {
	for {
		s.mu.Lock()
		running, changed := s.running, s.changed
		s.mu.Unlock()
		if running <= 0 {
			next, ok, err := s.JobStore.NextJobDue(ctx)
			if err != nil {
				return fmt.Errorf("read the next due job: %w", err)
			}
			if !ok || next.After(clock.Now()) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d jobs still running or due: %w", max(running, 0), ctx.Err())
		case <-changed:
		}
	}
}

// ClaimEarlyJobs implements bot.EarlyJobStore when the wrapped store does,
// counting the claimed jobs as running like ClaimDueJobs.
func (s *drainStore) ClaimEarlyJobs(ctx context.Context, now, until time.Time, kinds []string, limit int) ([]bot.Job, error) {
	es, ok := s.JobStore.(bot.EarlyJobStore)
	if !ok {
		return nil, nil
	}
	s.bump(1)
	jobs, err := es.ClaimEarlyJobs(ctx, now, until, kinds, limit)
	s.bump(len(jobs) - 1)
	return jobs, err
}

// NextEarlyJobDue implements bot.EarlyJobStore.
func (s *drainStore) NextEarlyJobDue(ctx context.Context, now time.Time, kinds []string) (time.Time, bool, error) {
	es, ok := s.JobStore.(bot.EarlyJobStore)
	if !ok {
		return time.Time{}, false, nil
	}
	return es.NextEarlyJobDue(ctx, now, kinds)
}
