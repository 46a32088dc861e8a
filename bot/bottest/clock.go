package bottest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Clock is a fake bot.Clock. Time moves only when the test calls Set or
// Advance, and timers whose deadline has come fire then, earliest first,
// before Set or Advance returns. It is safe for concurrent use.
//
// Like time.Timer since Go 1.23, a timer that is stopped or reset delivers
// no stale value afterwards.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  map[*clockTimer]struct{}
	changed chan struct{} // closed and replaced whenever timers change
}

var _ bot.Clock = (*Clock)(nil)

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start, timers: map[*clockTimer]struct{}{}, changed: make(chan struct{})}
}

// Now implements bot.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer implements bot.Clock. A timer for d ≤ 0 fires at once.
func (c *Clock) NewTimer(d time.Duration) bot.Timer {
	t := &clockTimer{c: c, ch: make(chan time.Time, 1)}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armLocked(t, d)
	return t
}

// Set moves the clock to t (which may be earlier) and fires the timers due
// by then.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	c.fireLocked()
}

// Advance moves the clock forward by d and fires the timers due by then.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.fireLocked()
}

// Timers returns how many timers are waiting to fire.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Next returns the earliest deadline of a waiting timer.
func (c *Clock) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next time.Time
	for t := range c.timers {
		if next.IsZero() || t.when.Before(next) {
			next = t.when
		}
	}
	return next, !next.IsZero()
}

// WaitTimers waits until at least n timers are waiting, so that a test can
// Advance only once the code under test is asleep. It fails when ctx is done
// first.
func (c *Clock) WaitTimers(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		have, changed := len(c.timers), c.changed
		c.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for %d timers (have %d): %w", n, have, ctx.Err())
		}
	}
}

func (c *Clock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// armLocked sets t to fire d from now, draining any value it had not
// delivered.
func (c *Clock) armLocked(t *clockTimer, d time.Duration) {
	select {
	case <-t.ch:
	default:
	}
	t.when = c.now.Add(d)
	if d <= 0 {
		delete(c.timers, t)
		t.ch <- c.now
	} else {
		c.timers[t] = struct{}{}
	}
	c.notifyLocked()
}

func (c *Clock) fireLocked() {
	var due []*clockTimer
	for t := range c.timers {
		if !t.when.After(c.now) {
			due = append(due, t)
		}
	}
	if len(due) == 0 {
		return
	}
	sort.Slice(due, func(i, j int) bool { return due[i].when.Before(due[j].when) })
	for _, t := range due {
		delete(c.timers, t)
		select {
		case t.ch <- c.now:
		default: // an undelivered value is already waiting
		}
	}
	c.notifyLocked()
}

type clockTimer struct {
	c    *Clock
	ch   chan time.Time
	when time.Time // guarded by c.mu
}

func (t *clockTimer) C() <-chan time.Time { return t.ch }

func (t *clockTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	_, active := t.c.timers[t]
	delete(t.c.timers, t)
	select {
	case <-t.ch:
	default:
	}
	if active {
		t.c.notifyLocked()
	}
	return active
}

func (t *clockTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	_, active := t.c.timers[t]
	t.c.armLocked(t, d)
	return active
}
