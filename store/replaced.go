package store

import (
	"context"
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
