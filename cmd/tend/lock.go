package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tend-bot/tend/store"
)

// writeHolder tells whether a tend run holds the database at path. tend
// check reads beside a running tend: it opens the file read-only, never
// creates it and never takes it.
func (m *Main) writeHolder(ctx context.Context, w io.Writer, path string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h, ok, err := store.ReadHolder(ctx, path)
	now := m.now()
	var s string
	switch {
	case err != nil:
		s = fmt.Sprintf("cannot tell (%v)", err)
	case !ok:
		s = "no tend run holds the database"
	case now.Sub(h.HeartbeatAt) > store.HolderStale:
		s = fmt.Sprintf("none; pid %d on host %s stopped without releasing it (last heartbeat %s ago): the next tend run takes it over",
			h.PID, h.Host, roundAgo(now.Sub(h.HeartbeatAt)))
	default:
		s = fmt.Sprintf("tend run pid %d on host %s, since %s (last heartbeat %s ago)",
			h.PID, h.Host, h.StartedAt.UTC().Format("2006-01-02 15:04:05 MST"), roundAgo(now.Sub(h.HeartbeatAt)))
	}
	fmt.Fprintf(w, "  running:   %s\n", s)
}

func roundAgo(d time.Duration) time.Duration {
	return max(d, 0).Round(time.Second)
}
