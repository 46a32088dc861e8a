package bot

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is an exponential backoff policy: the wait before retry n
// (1-based) is Base·2^(n-1), capped at Max. It is a value; its zero value
// waits nothing. The adapters' retry loops use it, and its Delay method
// fits RunnerConfig.Backoff.
type Backoff struct {
	// Base is the wait before the first retry.
	Base time.Duration
	// Max caps every wait; 0 means no cap beyond what a time.Duration
	// holds.
	Max time.Duration
	// Jitter, when set, spreads each wait uniformly over [d/2, d] ("equal
	// jitter"), so that many callers that failed together do not retry in
	// step. Rand returns a number in [0, 1) (default math/rand/v2's
	// Float64); tests set it to get the same waits every run.
	Jitter bool
	Rand   func() float64
}

// maxShift keeps Base<<shift from overflowing for any sensible Base
// (2^40 ns is about 18 minutes; no retry waits 2^40 times its first wait).
const maxShift = 40

// Delay returns the wait before retry attempt (1-based; values below 1 are
// taken as 1).
func (b Backoff) Delay(attempt int) time.Duration {
	if b.Base <= 0 {
		return 0
	}
	shift := min(max(attempt, 1)-1, maxShift)
	d := b.Base << shift
	if d <= 0 || d>>shift != b.Base { // overflow
		d = time.Duration(1<<63 - 1)
	}
	if b.Max > 0 {
		d = min(d, b.Max)
	}
	if b.Jitter {
		r := b.Rand
		if r == nil {
			r = rand.Float64
		}
		half := d / 2
		d = half + time.Duration(r()*float64(d-half))
	}
	return d
}

// Sleep waits d on clock, or until ctx is done; it reports whether the wait
// completed (false means ctx is done). A wait of d ≤ 0 returns at once,
// reporting whether ctx is still live.
func Sleep(ctx context.Context, clock Clock, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	if clock == nil {
		clock = SystemClock{}
	}
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}
