package bot_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

func TestChannelHistory(t *testing.T) {
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	// counted returns a read of "the channel's history" that counts its
	// calls and answers with the keys posted so far.
	type chanState struct {
		mu    sync.Mutex
		posts []string
		reads atomic.Int32
	}
	counted := func(c *chanState, gate <-chan struct{}) func(context.Context) ([]string, error) {
		return func(ctx context.Context) ([]string, error) {
			c.reads.Add(1)
			if gate != nil {
				select {
				case <-gate:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			return append([]string(nil), c.posts...), nil
		}
	}

	t.Run("OneReadForManyKeys", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := bot.NewChannelHistory[[]string](10, time.Minute, bottest.NewClock(start))
			c := &chanState{posts: []string{"k3"}}
			gate := make(chan struct{})
			read := counted(c, gate)
			var wg sync.WaitGroup
			for _, k := range []string{"k1", "k2", "k3", "k4", "k5"} {
				wg.Go(func() {
					if _, err := h.Read(ctx, "C1", k, read); err != nil {
						t.Error(err)
					}
				})
			}
			// Every look starts and waits for the one read; then it finishes.
			synctest.Wait()
			close(gate)
			wg.Wait()
			if _, err := h.Read(ctx, "C1", "k6", read); err != nil {
				t.Fatal(err)
			}
			if n := c.reads.Load(); n != 1 {
				t.Errorf("%d reads of one channel for six keys; want 1", n)
			}
			if _, err := h.Read(ctx, "C2", "k1", counted(&chanState{}, nil)); err != nil {
				t.Fatal(err)
			}
			if n := c.reads.Load(); n != 1 {
				t.Errorf("another channel's look read this one: %d reads", n)
			}
		})
	})

	t.Run("APostSinceTheReadIsReadAgain", func(t *testing.T) {
		h := bot.NewChannelHistory[[]string](10, time.Minute, bottest.NewClock(start))
		c := &chanState{}
		read := counted(c, nil)
		if _, err := h.Read(ctx, "C1", "k1", read); err != nil {
			t.Fatal(err)
		}
		// This process posts k1 after the read: the read cannot answer
		// for k1 any more, but still does for k2.
		done := h.Posting("C1", "k1")
		c.mu.Lock()
		c.posts = append(c.posts, "k1")
		c.mu.Unlock()
		done()
		if got, _ := h.Read(ctx, "C1", "k2", read); len(got) != 0 || c.reads.Load() != 1 {
			t.Errorf("look for k2 read %d times and saw %v; want the first read", c.reads.Load(), got)
		}
		got, err := h.Read(ctx, "C1", "k1", read)
		if err != nil || len(got) != 1 || got[0] != "k1" || c.reads.Load() != 2 {
			t.Errorf("look for k1 after posting it: %v, %v after %d reads; want a new read that sees it", got, err, c.reads.Load())
		}
	})

	t.Run("APostDuringTheReadIsReadAgain", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := bot.NewChannelHistory[[]string](10, time.Minute, bottest.NewClock(start))
			c := &chanState{}
			gate := make(chan struct{})
			read := counted(c, gate)
			res := make(chan error, 1)
			go func() {
				_, err := h.Read(ctx, "C1", "k2", read)
				res <- err
			}()
			synctest.Wait()
			// k1 is posted while the read is under way, and lands after it.
			done := h.Posting("C1", "k1")
			close(gate)
			if err := <-res; err != nil {
				t.Fatal(err)
			}
			c.mu.Lock()
			c.posts = append(c.posts, "k1")
			c.mu.Unlock()
			done()
			n := c.reads.Load()
			if got, err := h.Read(ctx, "C1", "k1", read); err != nil || len(got) != 1 || c.reads.Load() != n+1 {
				t.Errorf("look for k1 after its post: %v, %v; want a new read that sees it", got, err)
			}
		})
	})

	t.Run("ExpiresAfterTTL", func(t *testing.T) {
		clock := bottest.NewClock(start)
		h := bot.NewChannelHistory[[]string](10, time.Minute, clock)
		c := &chanState{}
		read := counted(c, nil)
		h.Read(ctx, "C1", "k1", read)
		clock.Advance(59 * time.Second)
		h.Read(ctx, "C1", "k2", read)
		clock.Advance(time.Second)
		h.Read(ctx, "C1", "k3", read)
		if n := c.reads.Load(); n != 2 {
			t.Errorf("%d reads; want 2 (one expired after a minute)", n)
		}
	})

	t.Run("AFailedReadIsNotKept", func(t *testing.T) {
		h := bot.NewChannelHistory[[]string](10, time.Minute, bottest.NewClock(start))
		calls := 0
		boom := errors.New("503")
		read := func(context.Context) ([]string, error) {
			calls++
			if calls == 1 {
				return nil, boom
			}
			return []string{"k1"}, nil
		}
		if _, err := h.Read(ctx, "C1", "k1", read); !errors.Is(err, boom) {
			t.Fatalf("err = %v; want the read's", err)
		}
		if got, err := h.Read(ctx, "C1", "k1", read); err != nil || len(got) != 1 || calls != 2 {
			t.Errorf("after a failed read: %v, %v, %d calls; want a new read", got, err, calls)
		}
	})

	t.Run("AWaiterWhoseReaderGaveUpReadsItself", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := bot.NewChannelHistory[[]string](10, time.Minute, bottest.NewClock(start))
			c := &chanState{posts: []string{"k2"}}
			rctx, cancel := context.WithCancel(ctx)
			gate := make(chan struct{}) // never opened: the first reader gives up
			first := make(chan error, 1)
			go func() {
				_, err := h.Read(rctx, "C1", "k1", counted(c, gate))
				first <- err
			}()
			synctest.Wait()
			second := make(chan []string, 1)
			go func() {
				got, err := h.Read(ctx, "C1", "k2", counted(c, nil))
				if err != nil {
					t.Error(err)
				}
				second <- got
			}()
			synctest.Wait() // it waits on the first read
			cancel()
			if err := <-first; !errors.Is(err, context.Canceled) {
				t.Errorf("first reader: %v; want its context's end", err)
			}
			if got := <-second; len(got) != 1 || got[0] != "k2" {
				t.Errorf("waiter got %v; want its own read", got)
			}
		})
	})

	t.Run("Bounded", func(t *testing.T) {
		h := bot.NewChannelHistory[[]string](2, time.Minute, bottest.NewClock(start))
		c := &chanState{}
		read := counted(c, nil)
		for _, ch := range []string{"C1", "C2", "C3", "C1"} {
			h.Read(ctx, ch, "k", read)
		}
		if n := c.reads.Load(); n != 4 {
			t.Errorf("%d reads; want 4 (C1 evicted by C3)", n)
		}
	})
}
