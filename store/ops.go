package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Ping reports whether the database answers a query, for the operator's
// readiness check. It waits behind a running transaction (tend holds one
// connection), so a caller bounds it with ctx.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.sql.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: ping %s: %w", db.path, err)
	}
	return nil
}

// OpsStats are the counts the operator's metrics read at each scrape:
// counts only, never a key, an id or content.
type OpsStats struct {
	// Due counts, by job kind, the pending jobs whose due time has come
	// (the backlog), and OldestDue is the earliest due time among them
	// (zero when there is none): now minus it is how far the runner lags.
	Due       map[string]int
	OldestDue time.Time
	// Pending counts every pending job, due or not; Running the jobs a
	// runner has claimed.
	Pending int
	Running int
	// Outbox counts the deliveries that are not sent, by state (sending:
	// an attempt whose outcome is not recorded yet; failed: refused for
	// good). Sent ones are counted as they happen instead.
	Outbox map[bot.OutboxState]int
}

// OpsStats reads the counts at now. Every query uses an index (jobs by
// state and due time, the outbox's unsettled entries), so that a scrape
// costs little however many jobs and posts the database holds.
func (db *DB) OpsStats(ctx context.Context, now time.Time) (OpsStats, error) {
	st := OpsStats{Due: map[string]int{}, Outbox: map[bot.OutboxState]int{}}
	rows, err := db.sql.QueryContext(ctx, `SELECT kind, count(*), min(due_at) FROM jobs
		WHERE state = 'pending' AND due_at <= ? GROUP BY kind`, now.Unix())
	if err != nil {
		return OpsStats{}, fmt.Errorf("store: count due jobs: %w", err)
	}
	for rows.Next() {
		var (
			kind   string
			n      int
			oldest int64
		)
		if err := rows.Scan(&kind, &n, &oldest); err != nil {
			rows.Close()
			return OpsStats{}, fmt.Errorf("store: count due jobs: %w", err)
		}
		st.Due[kind] = n
		if t := fromUnix(oldest); st.OldestDue.IsZero() || t.Before(st.OldestDue) {
			st.OldestDue = t
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return OpsStats{}, fmt.Errorf("store: count due jobs: %w", err)
	}
	err = db.sql.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM jobs WHERE state = 'pending'),
		(SELECT count(*) FROM jobs WHERE state = 'running')`).Scan(&st.Pending, &st.Running)
	if err != nil {
		return OpsStats{}, fmt.Errorf("store: count jobs: %w", err)
	}
	rows, err = db.sql.QueryContext(ctx, `SELECT state, count(*) FROM outbox WHERE state != 'sent' GROUP BY state`)
	if err != nil {
		return OpsStats{}, fmt.Errorf("store: count the outbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			state string
			n     int
		)
		if err := rows.Scan(&state, &n); err != nil {
			return OpsStats{}, fmt.Errorf("store: count the outbox: %w", err)
		}
		st.Outbox[bot.OutboxState(state)] = n
	}
	if err := rows.Err(); err != nil {
		return OpsStats{}, fmt.Errorf("store: count the outbox: %w", err)
	}
	return st, nil
}
