package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tend-bot/tend/bot"
)

// SeriesDueAhead returns up to limit series whose first sessions are
// deferred (bot.Series.AheadAt) to until or earlier, earliest first.
func (db *DB) SeriesDueAhead(ctx context.Context, until time.Time, limit int) ([]bot.Series, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+seriesCols+` FROM series WHERE ahead_at > 0 AND ahead_at <= ? ORDER BY ahead_at, group_id LIMIT ?`,
		until.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: read deferred series: %w", err)
	}
	defer rows.Close()
	var out []bot.Series
	for rows.Next() {
		s, _, err := scanSeries(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read deferred series: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read deferred series: %w", err)
	}
	return out, nil
}

// NextSeriesAhead returns the earliest AheadAt of any series, and false
// when no series is deferred.
func (db *DB) NextSeriesAhead(ctx context.Context) (time.Time, bool, error) {
	var at sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, `SELECT min(ahead_at) FROM series WHERE ahead_at > 0`).Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("store: read the next deferred series: %w", err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return fromUnix(at.Int64), true, nil
}

// SetSeriesAhead changes the group's AheadAt from was to at (the zero time
// clears it) and, when then is not nil, enqueues it in the same
// transaction (as EnqueueJob). It changes nothing, and returns false, when
// the stored AheadAt is no longer was (another change came first) or the
// group has no series.
func (db *DB) SetSeriesAhead(ctx context.Context, groupID int64, was, at time.Time, then *bot.Job) (bool, error) {
	var changed bool
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE series SET ahead_at = ? WHERE group_id = ? AND ahead_at = ?`, unix(at), groupID, unix(was))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		changed = true
		if then != nil {
			_, err = insertJob(ctx, tx, db.Now().Unix(), *then)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: defer the sessions of group %d: %w", groupID, err)
	}
	return changed, nil
}
