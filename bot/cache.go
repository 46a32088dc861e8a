package bot

import (
	"container/list"
	"sync"
	"time"
)

// Cache is a map bounded in size, for the adapters' per-channel and
// per-user state (pacing limiters, unreachable marks, DM channels, channel
// answers): a process that runs for months meets an unbounded number of
// channels and people, and must not keep every one. When full, adding an
// entry evicts the least recently used one. With a TTL, an entry older than
// TTL (since it was last Put) reads as absent. It is safe for concurrent
// use.
type Cache[K comparable, V any] struct {
	max   int
	ttl   time.Duration
	clock Clock

	mu    sync.Mutex
	order *list.List // front is the most recently used; of *cacheEntry[K, V]
	items map[K]*list.Element
}

type cacheEntry[K comparable, V any] struct {
	key K
	val V
	at  time.Time // when Put
}

// NewCache returns a Cache of at most size entries (at least 1). ttl ≤ 0
// means entries do not expire; clock tells their age (default
// SystemClock).
func NewCache[K comparable, V any](size int, ttl time.Duration, clock Clock) *Cache[K, V] {
	if clock == nil {
		clock = SystemClock{}
	}
	return &Cache[K, V]{max: max(size, 1), ttl: ttl, clock: clock, order: list.New(), items: map[K]*list.Element{}}
}

// Get returns the value for k and whether it is present and fresh, and
// marks it used.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getLocked(k)
}

func (c *Cache[K, V]) getLocked(k K) (V, bool) {
	var zero V
	el, ok := c.items[k]
	if !ok {
		return zero, false
	}
	e := el.Value.(*cacheEntry[K, V])
	if c.ttl > 0 && c.clock.Now().Sub(e.at) >= c.ttl {
		c.order.Remove(el)
		delete(c.items, k)
		return zero, false
	}
	c.order.MoveToFront(el)
	return e.val, true
}

// Put sets the value for k, restarting its age, and evicts the least
// recently used entries beyond the bound.
func (c *Cache[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v)
}

func (c *Cache[K, V]) putLocked(k K, v V) {
	now := c.clock.Now()
	if el, ok := c.items[k]; ok {
		e := el.Value.(*cacheEntry[K, V])
		e.val, e.at = v, now
		c.order.MoveToFront(el)
		return
	}
	c.items[k] = c.order.PushFront(&cacheEntry[K, V]{key: k, val: v, at: now})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheEntry[K, V]).key)
	}
}

// GetOrPut returns the fresh value for k, or stores and returns create()
// when there is none; loaded reports which. create runs under the cache's
// lock and must not use the cache.
func (c *Cache[K, V]) GetOrPut(k K, create func() V) (v V, loaded bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.getLocked(k); ok {
		return v, true
	}
	v = create()
	c.putLocked(k, v)
	return v, false
}

// Delete removes k.
func (c *Cache[K, V]) Delete(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.Remove(el)
		delete(c.items, k)
	}
}

// Len returns the number of entries held, expired ones not yet evicted
// included; it never exceeds the bound.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
