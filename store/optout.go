package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/tend-bot/tend/bot"
)

// This file keeps the markers of people who asked tend to forget them
// (table optouts): a keyed hash of the platform, the scope (a group, or 0
// for the whole platform) and the account, so that tend can tell it must
// not track an account without the database naming anyone. The key is
// random, created on first use and kept in settings like the action key:
// without it the marks cannot be tested against a list of account ids.

// optOutKeySetting names the settings row that holds the markers' key.
const optOutKeySetting = "optout_key"

// optOutKey returns the markers' key, creating it in tx on first use.
func optOutKey(ctx context.Context, tx interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}) ([]byte, error) {
	var key []byte
	err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, optOutKeySetting).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generate the opt-out key: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)`, optOutKeySetting, key)
		if err != nil {
			return nil, err
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("the opt-out key in settings is %d bytes long", len(key))
	}
	return key, nil
}

// optOutMark is the marker of account user on platform in scope groupID
// (0: every group on the platform).
func optOutMark(key []byte, platform string, groupID int64, user bot.UserID) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(platform))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(groupID, 10)))
	m.Write([]byte{0})
	m.Write([]byte(user))
	return hex.EncodeToString(m.Sum(nil))
}

// insertOptOut records in tx that tend must stop tracking user on
// platform, in group groupID or (0) everywhere on the platform.
func insertOptOut(ctx context.Context, tx *sql.Tx, platform string, groupID int64, user bot.UserID) error {
	key, err := optOutKey(ctx, tx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO optouts (mark, platform, group_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		optOutMark(key, platform, groupID, user), platform, groupID)
	return err
}

// TrackingFilter returns, for group groupID on platform, whether tend may
// track each account there: false for an account that asked tend to
// forget them everywhere on the platform or in that group. It reads the
// markers once; the returned func computes one keyed hash per call.
func (db *DB) TrackingFilter(ctx context.Context, platform string, groupID int64) (func(bot.UserID) bool, error) {
	// Reads only (no write lock): the key exists once a marker does.
	marks := map[string]bool{}
	rows, err := db.sql.QueryContext(ctx, `SELECT mark FROM optouts WHERE platform = ? AND group_id IN (0, ?)`, platform, groupID)
	if err != nil {
		return nil, fmt.Errorf("store: read who asked to be forgotten: %w", err)
	}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: read who asked to be forgotten: %w", err)
		}
		marks[m] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read who asked to be forgotten: %w", err)
	}
	if len(marks) == 0 {
		return func(bot.UserID) bool { return true }, nil
	}
	var key []byte
	if err := db.sql.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, optOutKeySetting).Scan(&key); err != nil {
		return nil, fmt.Errorf("store: read the opt-out key: %w", err)
	}
	return func(u bot.UserID) bool {
		return !marks[optOutMark(key, platform, 0, u)] && !marks[optOutMark(key, platform, groupID, u)]
	}, nil
}

// OptedOut returns the groups (0 for every group on platform) in which the
// account user asked tend to stop tracking them.
func (db *DB) OptedOut(ctx context.Context, platform string, user bot.UserID) ([]int64, error) {
	var out []int64
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = optedOut(ctx, tx, platform, user)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read whether an account opted out: %w", err)
	}
	return out, nil
}

// optedOut lists, in tx, the scopes of user's markers on platform, 0
// first.
func optedOut(ctx context.Context, tx *sql.Tx, platform string, user bot.UserID) ([]int64, error) {
	var scopes []int64
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT group_id FROM optouts WHERE platform = ? ORDER BY group_id`, platform)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var g int64
		if err := rows.Scan(&g); err != nil {
			rows.Close()
			return nil, err
		}
		scopes = append(scopes, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(scopes) == 0 {
		return nil, err
	}
	key, err := optOutKey(ctx, tx)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, g := range scopes {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM optouts WHERE mark = ?`, optOutMark(key, platform, g, user)).Scan(&one)
		switch {
		case err == nil:
			out = append(out, g)
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	return out, nil
}

// OptIn removes every marker of the account user on platform (everywhere
// and in each group): tend may track them again. It returns how many it
// removed.
func (db *DB) OptIn(ctx context.Context, platform string, user bot.UserID) (int, error) {
	n := 0
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		scopes, err := optedOut(ctx, tx, platform, user)
		if err != nil || len(scopes) == 0 {
			return err
		}
		key, err := optOutKey(ctx, tx)
		if err != nil {
			return err
		}
		for _, g := range scopes {
			res, err := tx.ExecContext(ctx, `DELETE FROM optouts WHERE mark = ?`, optOutMark(key, platform, g, user))
			if err != nil {
				return err
			}
			c, _ := res.RowsAffected()
			n += int(c)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: opt an account back in: %w", err)
	}
	return n, nil
}
