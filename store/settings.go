package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
)

// actionKeySetting names the settings row that holds the ActionCodec key.
const actionKeySetting = "action_key"

// ActionKey returns the key that signs button and form ids
// (bot.NewActionCodec). It is 32 random bytes, created on first use and
// kept, so that buttons on earlier messages keep working across restarts.
func (db *DB) ActionKey(ctx context.Context) ([]byte, error) {
	var key []byte
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, actionKeySetting).Scan(&key)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)`, actionKeySetting, key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: action key: %w", err)
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("store: action key in settings is %d bytes; delete the %s row to make a new one (buttons on old messages stop working)", len(key), actionKeySetting)
	}
	return key, nil
}
