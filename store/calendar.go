package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tend-bot/tend/bot"
)

// SessionRecords returns the group's sessions whose start or planned start
// is in [from, to), every status, earliest first: what a calendar feed
// shows beside the series' future occurrences.
func (db *DB) SessionRecords(ctx context.Context, groupID int64, from, to time.Time) ([]bot.SessionRecord, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE group_id = ? AND ((start_at >= ? AND start_at < ?) OR (planned_at >= ? AND planned_at < ?))
		ORDER BY start_at, id`, groupID, from.Unix(), to.Unix(), from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("store: list sessions of group %d: %w", groupID, err)
	}
	defer rows.Close()
	var out []bot.SessionRecord
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list sessions of group %d: %w", groupID, err)
		}
		out = append(out, bot.SessionRecord{Session: s.Session, PlannedAt: s.planned, MovedFrom: s.movedFrom})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list sessions of group %d: %w", groupID, err)
	}
	return out, nil
}

// SetCalendarLink records the hash of a new calendar link given to user
// for the group, replacing the link that user had (which stops working).
func (db *DB) SetCalendarLink(ctx context.Context, groupID int64, user bot.UserID, hash []byte, now time.Time) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO calendar_links (token_hash, group_id, user_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (group_id, user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
		hash, groupID, string(user), now.Unix())
	if err != nil {
		return fmt.Errorf("store: record a calendar link of group %d: %w", groupID, err)
	}
	return nil
}

// RevokeCalendarLinks removes every calendar link of the group and
// returns how many there were.
func (db *DB) RevokeCalendarLinks(ctx context.Context, groupID int64) (int, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM calendar_links WHERE group_id = ?`, groupID)
	if err != nil {
		return 0, fmt.Errorf("store: remove the calendar links of group %d: %w", groupID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RevokeCalendarLink removes user's calendar link of the group and reports
// whether there was one.
func (db *DB) RevokeCalendarLink(ctx context.Context, groupID int64, user bot.UserID) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM calendar_links WHERE group_id = ? AND user_id = ?`, groupID, string(user))
	if err != nil {
		return false, fmt.Errorf("store: remove a calendar link of group %d: %w", groupID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// CalendarLinkGroup returns the group whose calendar link has this hash,
// or an error wrapping bot.ErrNotFound.
func (db *DB) CalendarLinkGroup(ctx context.Context, hash []byte) (int64, error) {
	var id int64
	err := db.sql.QueryRowContext(ctx, `SELECT group_id FROM calendar_links WHERE token_hash = ?`, hash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("calendar link")
	}
	if err != nil {
		return 0, fmt.Errorf("store: look up a calendar link: %w", err)
	}
	return id, nil
}
