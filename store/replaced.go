package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tend-bot/tend/bot"
)

// ReplacedSessions returns the group's sessions of schedules it has since
// replaced that were never held (cancelled when their schedule was
// replaced, or before), ending after from, earliest first, at most limit:
// what "session list" shows apart from the live series. A session of an
// earlier schedule that was running or done is not among them.
func (db *DB) ReplacedSessions(ctx context.Context, groupID int64, from time.Time, limit int) ([]bot.Session, error) {
	return db.sessions(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE group_id = ? AND end_at > ? AND status = 'cancelled'
			AND generation < (SELECT generation FROM series WHERE group_id = ?)
		ORDER BY start_at, id LIMIT ?`, groupID, from.Unix(), groupID, limit)
}

// LiveSessions returns the group's sessions ending after from, earliest
// first, at most limit, without those ReplacedSessions returns: the live
// series (with its own cancelled sessions) and any earlier schedule's
// session that was held or is under way. However many schedules were
// replaced, none of their never-held sessions is among them.
func (db *DB) LiveSessions(ctx context.Context, groupID int64, from time.Time, limit int) ([]bot.Session, error) {
	return db.sessions(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE group_id = ? AND end_at > ?
			AND NOT (status = 'cancelled' AND generation < (SELECT generation FROM series WHERE group_id = ?))
		ORDER BY start_at, id LIMIT ?`, groupID, from.Unix(), groupID, limit)
}

// CountReplacedSessions counts what ReplacedSessions would return without
// a limit.
func (db *DB) CountReplacedSessions(ctx context.Context, groupID int64, from time.Time) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions
		WHERE group_id = ? AND end_at > ? AND status = 'cancelled'
			AND generation < (SELECT generation FROM series WHERE group_id = ?)`, groupID, from.Unix(), groupID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count replaced sessions: %w", err)
	}
	return n, nil
}
