package discord_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord"
)

// lockedLog is a log sink safe for the adapter's goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitLog waits until the log holds want.
func waitLog(t *testing.T, logs *lockedLog, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(logs.String(), want) {
		select {
		case <-ctx.Done():
			t.Fatalf("the log never said %q:\n%s", want, logs.String())
		case <-tick.C:
		}
	}
}

// TestAdapter_FailedPrivateReplyNamesNobody: when the private reply to a
// person's DM fails (Discord refuses the payload; later, their DMs are
// closed), the log says so, at every level down to debug, without their
// user id or their DM channel.
func TestAdapter_FailedPrivateReplyNamesNobody(t *testing.T) {
	logs := &lockedLog{}
	w := newWorld(t, worldOpts{tweak: func(c *discord.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	dm := w.fake.DMChannel(w.member)
	w.fake.RejectCreates(dm, 1)
	w.fake.UserMessage(w.member, dm, "hello")
	waitLog(t, logs, "replying privately to an event failed")
	w.fake.CloseDMs(w.member)
	w.fake.UserMessage(w.member, dm, "hello")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for strings.Count(logs.String(), "replying privately to an event failed") < 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("the second failed reply was not logged:\n%s", logs.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, w.member) || strings.Contains(l, dm) {
			t.Errorf("a log line names the member or their DM channel: %s", l)
		}
	}
}
