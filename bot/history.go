package bot

import (
	"context"
	"sync"
	"time"
)

// ChannelHistory keeps one recent read of each channel's history, for a
// Finder: after a restart, many deliveries to one channel may need looking
// for, and one read answers for all of them instead of one read each.
// Concurrent looks at one channel share one read.
//
// A read answers for a key only if no post of that key by this process was
// made, or in flight, after the read began: such a post may be missing from
// it, so a later look for that key reads again. (A look made while the
// key's own post is still under way may or may not see it; the Sender
// delivers one key at a time, so it never looks then.) Posts by an earlier
// process are all older than any read of this one. Entries expire after a
// TTL and the number of channels kept is bounded. It is safe for concurrent
// use.
type ChannelHistory[T any] struct {
	mu    sync.Mutex
	reads *Cache[string, *historyRead[T]]
}

// historyRead is one read of a channel's history, finished once done is
// closed.
type historyRead[T any] struct {
	done chan struct{}
	val  T
	err  error
	// stale holds the keys posted while or after the read was made, for
	// which it does not answer. Guarded by ChannelHistory.mu.
	stale map[string]bool
}

// NewChannelHistory returns a ChannelHistory keeping up to size channels'
// reads for ttl each (counted from when the read began).
func NewChannelHistory[T any](size int, ttl time.Duration, clock Clock) *ChannelHistory[T] {
	return &ChannelHistory[T]{reads: NewCache[string, *historyRead[T]](size, ttl, clock)}
}

// Read returns channel's history for looking for key: a fresh read that
// answers for key, or the result of read, which is called at most once at a
// time per channel (others looking at the channel meanwhile wait for it and
// share its result). A failed read is not kept.
func (h *ChannelHistory[T]) Read(ctx context.Context, channel, key string, read func(context.Context) (T, error)) (T, error) {
	var zero T
	for {
		h.mu.Lock()
		r, ok := h.reads.Get(channel)
		mine := !ok || r.stale[key]
		if mine {
			r = &historyRead[T]{done: make(chan struct{}), stale: map[string]bool{}}
			h.reads.Put(channel, r)
		}
		h.mu.Unlock()
		if mine {
			r.val, r.err = read(ctx)
			close(r.done)
		} else {
			select {
			case <-ctx.Done():
				return zero, ctx.Err()
			case <-r.done:
			}
		}
		h.mu.Lock()
		stale := r.stale[key]
		if r.err != nil {
			if cur, ok := h.reads.Get(channel); ok && cur == r {
				h.reads.Delete(channel)
			}
		}
		h.mu.Unlock()
		switch {
		case mine && r.err != nil:
			return zero, r.err
		case r.err == nil && !stale:
			return r.val, nil
		}
		// Another's read failed (perhaps only because its caller's context
		// ended), or key was posted while the read was made: read again.
	}
}

// Posting records that a post of key to channel is about to be made, and
// returns the function to call once it has been made or has failed: the
// channel's read kept at either moment no longer answers for key.
func (h *ChannelHistory[T]) Posting(channel, key string) (done func()) {
	h.stale(channel, key)
	return func() { h.stale(channel, key) }
}

func (h *ChannelHistory[T]) stale(channel, key string) {
	if key == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if r, ok := h.reads.Get(channel); ok {
		r.stale[key] = true
	}
}
