package bot_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

func TestCache(t *testing.T) {
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	t.Run("EvictsLeastRecentlyUsed", func(t *testing.T) {
		c := bot.NewCache[string, int](2, 0, nil)
		c.Put("a", 1)
		c.Put("b", 2)
		if v, ok := c.Get("a"); !ok || v != 1 { // a is now the most recent
			t.Fatalf("Get(a) = %d, %v", v, ok)
		}
		c.Put("c", 3) // evicts b
		if _, ok := c.Get("b"); ok {
			t.Error("b survived; it was the least recently used")
		}
		for k, want := range map[string]int{"a": 1, "c": 3} {
			if v, ok := c.Get(k); !ok || v != want {
				t.Errorf("Get(%s) = %d, %v; want %d", k, v, ok, want)
			}
		}
	})
	t.Run("BoundHoldsOverManyKeys", func(t *testing.T) {
		c := bot.NewCache[string, int](1000, time.Hour, bottest.NewClock(start))
		for i := range 100_000 {
			c.Put("C"+strconv.Itoa(i), i)
			if n := c.Len(); n > 1000 {
				t.Fatalf("after %d keys Len = %d; want ≤ 1000", i+1, n)
			}
		}
		if v, ok := c.Get("C99999"); !ok || v != 99999 {
			t.Errorf("the newest key is gone: %d, %v", v, ok)
		}
		if _, ok := c.Get("C0"); ok {
			t.Error("the oldest key survived 100,000 others")
		}
	})
	t.Run("ExpiresAfterTTL", func(t *testing.T) {
		clock := bottest.NewClock(start)
		c := bot.NewCache[string, string](10, time.Minute, clock)
		c.Put("k", "v")
		clock.Advance(59 * time.Second)
		if _, ok := c.Get("k"); !ok {
			t.Fatal("expired before its TTL")
		}
		c.Put("k", "v2") // restarts its age
		clock.Advance(59 * time.Second)
		if v, ok := c.Get("k"); !ok || v != "v2" {
			t.Fatalf("Get after a fresh Put = %q, %v", v, ok)
		}
		clock.Advance(time.Second)
		if _, ok := c.Get("k"); ok {
			t.Fatal("still there after its TTL")
		}
		if n := c.Len(); n != 0 {
			t.Errorf("Len = %d after the expired entry was read; want 0", n)
		}
	})
	t.Run("GetOrPut", func(t *testing.T) {
		c := bot.NewCache[int, *int](4, 0, nil)
		calls := 0
		mk := func() *int { calls++; v := calls; return &v }
		p1, loaded1 := c.GetOrPut(7, mk)
		p2, loaded2 := c.GetOrPut(7, mk)
		if loaded1 || !loaded2 || p1 != p2 || calls != 1 {
			t.Errorf("GetOrPut: loaded %v %v, same %v, created %d times; want one creation then the same value", loaded1, loaded2, p1 == p2, calls)
		}
		c.Delete(7)
		if _, ok := c.Get(7); ok {
			t.Error("Delete left the key")
		}
	})
}
