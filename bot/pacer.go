package bot

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Pacer spaces calls to a platform at a rate, with a burst, like a token
// bucket (NewPacer), or at most so many in any window (NewWindowPacer),
// and has two lanes: a waiter in the urgent lane takes the next
// token before every waiter in the bulk lane, however long they have
// waited; within a lane, first come, first served. Urgent calls never
// exceed the rate: they take their turn sooner, they add no tokens. It is
// the adapters' priority lane: a safety alert or an answer to a member
// goes out within a token or two even while thousands of reminders are
// being paced.
//
// Only the waiter at the head holds a timer; the others wait for their
// turn, so that thousands of waiters cost no wake-ups. A Pacer is safe for
// concurrent use.
type Pacer struct {
	clock Clock
	every time.Duration
	burst float64
	// window, when set, makes the Pacer a sliding window instead (see
	// NewWindowPacer): at most len(grants) calls in any window.
	window time.Duration

	mu     sync.Mutex
	tokens float64
	last   time.Time
	// grants are the times of the latest calls allowed, a ring whose
	// oldest entry is at next (window mode). held marks the places given
	// by Hold whose call has not been made yet: until it is, such a place
	// counts as taken at every instant.
	grants []time.Time
	held   []bool
	next   int
	lanes  [2][]*pacerWaiter // urgent, bulk
}

type pacerWaiter struct {
	// poke wakes the waiter to look again: it may be the head now, or no
	// longer be.
	poke chan struct{}
}

// NewPacer returns a Pacer that allows burst calls at once, then one per
// every, on clock (the system clock when nil). It starts full.
func NewPacer(clock Clock, every time.Duration, burst int) *Pacer {
	if clock == nil {
		clock = SystemClock{}
	}
	burst = max(burst, 1)
	if every <= 0 {
		every = time.Nanosecond
	}
	return &Pacer{clock: clock, every: every, burst: float64(burst), tokens: float64(burst), last: clock.Now()}
}

// NewWindowPacer returns a Pacer that allows at most n calls in any window
// of length window, on clock (the system clock when nil), with the same
// lanes. It suits a platform that counts calls in a window (Discord: 50 a
// second): n at the platform's limit, window a little longer than the
// platform's, by as much as a call may arrive later or sooner than its
// turn. Unlike a token bucket's, its pace does not slow when callers wake
// late for their turn, as they do on a busy machine: a late call delays
// only the call n turns after it. It starts empty.
func NewWindowPacer(clock Clock, n int, window time.Duration) *Pacer {
	if clock == nil {
		clock = SystemClock{}
	}
	n = max(n, 1)
	if window <= 0 {
		window = time.Nanosecond
	}
	return &Pacer{clock: clock, window: window, grants: make([]time.Time, 0, n), held: make([]bool, 0, n), last: clock.Now()}
}

// Ramp starts a window pacer as if calls had been made at its full pace
// until now, evenly spread over the last window: the next call goes one
// n-th of a window from now, and each after at that pace. A process that
// replaces one killed in the middle of a burst — which sent at the limit
// until it died, its last calls still in the platform's window — starts
// its window pacer ramped: started empty, it would send n calls at once,
// on top of those. On a token bucket it is Drain.
func (p *Pacer) Ramp() {
	if p.window <= 0 {
		p.Drain()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	n := cap(p.grants)
	p.grants = p.grants[:n]
	p.held = p.held[:n]
	for i := range p.grants {
		p.grants[i] = now.Add(-p.window + time.Duration(i+1)*p.window/time.Duration(n))
		p.held[i] = false
	}
	p.next = 0
}

// Drain spends the burst: the next call waits its turn at the steady pace.
// A process that cannot know how much of a platform's limit the process
// before it spent just before it stopped starts such a pacer drained.
func (p *Pacer) Drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	if p.window > 0 {
		// As if the whole window's calls had just been made.
		p.grants = p.grants[:cap(p.grants)]
		p.held = p.held[:cap(p.held)]
		for i := range p.grants {
			p.grants[i], p.held[i] = now, false
		}
		p.next = 0
		return
	}
	p.refillLocked(now)
	p.tokens = 0
}

// TokensAt returns how many calls the pacer would allow at once at t (no
// later than its last look), ignoring waiters: for tests and metrics.
func (p *Pacer) TokensAt(t time.Time) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.window > 0 {
		free := cap(p.grants)
		for i, g := range p.grants {
			if p.held[i] || t.Sub(g) < p.window {
				free--
			}
		}
		return float64(free)
	}
	if !t.After(p.last) {
		return p.tokens
	}
	return min(p.burst, p.tokens+float64(t.Sub(p.last))/float64(p.every))
}

// PerSecond returns the interval of rate calls a second.
func PerSecond(rate float64) time.Duration {
	if rate <= 0 {
		return time.Hour
	}
	return time.Duration(float64(time.Second) / rate)
}

// Wait returns when the caller may make its call, or ctx's error when ctx
// is done first (the caller's place is then given up). urgent puts the
// caller in the urgent lane.
func (p *Pacer) Wait(ctx context.Context, urgent bool) error {
	_, err := p.wait(ctx, urgent, false)
	return err
}

// Hold is Wait for a caller that has more to do between its turn and its
// call (Discord's adapter records the hand-off of a post in the database
// first): the call must then be counted from when it is made, not from
// when its turn came, or a slow step before one call and a quick one
// before another would put more calls into a window than the pacer lets
// through. On a window pacer the place stays taken until made is called,
// right before the call leaves, and counts from then; the call n places
// later waits for it. Call made exactly once, also when the call is not
// made after all. On a token-bucket pacer made does nothing.
func (p *Pacer) Hold(ctx context.Context, urgent bool) (made func(), err error) {
	slot, err := p.wait(ctx, urgent, true)
	if err != nil {
		return nil, err
	}
	if slot < 0 {
		return func() {}, nil
	}
	var once sync.Once
	return func() { once.Do(func() { p.made(slot) }) }, nil
}

// made stamps a held place with the time its call is made, and lets the
// caller waiting for that place look again.
func (p *Pacer) made(slot int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if slot >= len(p.held) || !p.held[slot] {
		return // drained meanwhile
	}
	p.grants[slot], p.held[slot] = p.clock.Now(), false
	if h := p.headLocked(); h != nil {
		h.pokeNow()
	}
}

// wait waits for a place; slot is the place's index in a window pacer's
// ring (-1 on a token bucket), held until made when hold is set.
func (p *Pacer) wait(ctx context.Context, urgent, hold bool) (slot int, err error) {
	if err := ctx.Err(); err != nil {
		return -1, err
	}
	w := &pacerWaiter{poke: make(chan struct{}, 1)}
	lane := 1
	if urgent {
		lane = 0
	}
	p.mu.Lock()
	old := p.headLocked()
	p.lanes[lane] = append(p.lanes[lane], w)
	if old != nil && p.headLocked() != old {
		// An urgent caller stepped in front: the old head stops its timer
		// and waits for its turn again.
		old.pokeNow()
	}
	p.mu.Unlock()
	for {
		p.mu.Lock()
		wait := time.Duration(-1)
		if p.headLocked() == w {
			var ok bool
			if ok, wait, slot = p.takeLocked(p.clock.Now(), hold); ok {
				p.removeLocked(w)
				if h := p.headLocked(); h != nil {
					h.pokeNow()
				}
				p.mu.Unlock()
				return slot, nil
			}
			if wait <= 0 {
				wait = time.Nanosecond
			}
		}
		p.mu.Unlock()
		var timeout <-chan time.Time
		var t Timer
		if wait >= 0 {
			t = p.clock.NewTimer(wait)
			timeout = t.C()
		}
		select {
		case <-ctx.Done():
			if t != nil {
				t.Stop()
			}
			p.mu.Lock()
			wasHead := p.headLocked() == w
			p.removeLocked(w)
			if h := p.headLocked(); wasHead && h != nil {
				h.pokeNow()
			}
			p.mu.Unlock()
			return -1, ctx.Err()
		case <-timeout:
		case <-w.poke:
			if t != nil {
				t.Stop()
			}
		}
	}
}

// Waiting returns how many callers wait in each lane.
func (p *Pacer) Waiting() (urgent, bulk int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lanes[0]), len(p.lanes[1])
}

func (w *pacerWaiter) pokeNow() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

func (p *Pacer) headLocked() *pacerWaiter {
	for _, l := range p.lanes {
		if len(l) > 0 {
			return l[0]
		}
	}
	return nil
}

func (p *Pacer) removeLocked(w *pacerWaiter) {
	for i, l := range p.lanes {
		if j := slices.Index(l, w); j >= 0 {
			p.lanes[i] = slices.Delete(l, j, j+1)
			return
		}
	}
}

// takeLocked allows a call at now when the pace has room for it, and
// otherwise says how long until it will. On a window pacer it returns the
// place's index in the ring (held, when hold is set); -1 otherwise.
func (p *Pacer) takeLocked(now time.Time, hold bool) (bool, time.Duration, int) {
	if p.window > 0 {
		if len(p.grants) < cap(p.grants) {
			p.grants = append(p.grants, now)
			p.held = append(p.held, hold)
			return true, 0, len(p.grants) - 1
		}
		if p.held[p.next] {
			// The call n places before has not been made: made pokes
			// the head; the timer is only a bound.
			return false, p.window, -1
		}
		if oldest := p.grants[p.next]; now.Sub(oldest) < p.window {
			return false, oldest.Add(p.window).Sub(now), -1
		}
		slot := p.next
		p.grants[slot], p.held[slot] = now, hold
		p.next = (p.next + 1) % len(p.grants)
		return true, 0, slot
	}
	p.refillLocked(now)
	if p.tokens >= 1 {
		p.tokens--
		return true, 0, -1
	}
	return false, time.Duration((1 - p.tokens) * float64(p.every)), -1
}

func (p *Pacer) refillLocked(now time.Time) {
	if now.After(p.last) {
		p.tokens = min(p.burst, p.tokens+float64(now.Sub(p.last))/float64(p.every))
	}
	p.last = now
}

type urgentKey struct{}

// WithUrgent marks ctx as carrying urgent work (a safety alert, an answer
// to a member), for a Pacer deep in an adapter's call path.
func WithUrgent(ctx context.Context, urgent bool) context.Context {
	if !urgent {
		return ctx
	}
	return context.WithValue(ctx, urgentKey{}, true)
}

// IsUrgent reports whether ctx was marked WithUrgent.
func IsUrgent(ctx context.Context) bool {
	u, _ := ctx.Value(urgentKey{}).(bool)
	return u
}
