package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tend-bot/tend/bot"
)

var _ bot.OutboxStore = (*DB)(nil)

const outboxCols = `key, platform, kind, state, channel, message_id, attempts, error, sent_at, handed_at`

func scanOutbox(sc interface{ Scan(...any) error }) (bot.OutboxEntry, error) {
	var (
		e                     bot.OutboxEntry
		kind, state, ch, msgs string
		sent, handed          int64
	)
	if err := sc.Scan(&e.Key, &e.Platform, &kind, &state, &ch, &msgs, &e.Attempts, &e.Error, &sent, &handed); err != nil {
		return bot.OutboxEntry{}, err
	}
	e.Kind = parseKind(kind)
	e.State = bot.OutboxState(state)
	if msgs != "" {
		e.Ref = bot.MessageRef{Platform: e.Platform, Channel: bot.ChannelID(ch), ID: bot.MessageID(msgs)}
	}
	e.SentAt = fromUnix(sent)
	e.HandedAt = fromUnix(handed)
	return e, nil
}

// parseKind reads an OutboundKind stored by its String form; an unknown
// name is 0.
func parseKind(s string) bot.OutboundKind {
	for k := bot.OutPost; k <= bot.OutModal; k++ {
		if k.String() == s {
			return k
		}
	}
	return 0
}

// BeginOutbox records an attempt to deliver key and returns the entry as it
// now stands: a new key is created sending with 1 attempt, not handed to the
// platform; an entry still sending counts one more attempt and keeps when an
// earlier one was handed over; a sent or failed entry is returned
// unchanged.
func (db *DB) BeginOutbox(ctx context.Context, key string, platform string, kind bot.OutboundKind) (bot.OutboxEntry, error) {
	if key == "" {
		return bot.OutboxEntry{}, errors.New("store: begin outbox: empty key")
	}
	var e bot.OutboxEntry
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO outbox (key, platform, kind, state, attempts, created_at)
			VALUES (?, ?, ?, 'sending', 1, ?)
			ON CONFLICT (key) DO UPDATE SET attempts = attempts + 1 WHERE state = 'sending'`,
			key, platform, kind.String(), db.Now().Unix())
		if err != nil {
			return err
		}
		e, err = scanOutbox(tx.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE key = ?`, key))
		return err
	})
	if err != nil {
		return bot.OutboxEntry{}, fmt.Errorf("store: begin outbox %s: %w", key, err)
	}
	return e, nil
}

// MarkOutboxSent records that key was delivered as d. A missing key wraps
// bot.ErrNotFound.
func (db *DB) MarkOutboxSent(ctx context.Context, key string, d bot.Delivered) error {
	at := d.At
	if at.IsZero() {
		at = db.Now()
	}
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sent', channel = ?, message_id = ?, sent_at = ?, error = '' WHERE key = ?`,
			string(d.Ref.Channel), string(d.Ref.ID), unix(at), key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("outbox entry " + key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: mark %s sent: %w", key, err)
	}
	return nil
}

// MarkOutboxFailed records that the platform refused key for good. An entry
// already sent stays sent: the message is out there. A missing key wraps
// bot.ErrNotFound.
func (db *DB) MarkOutboxFailed(ctx context.Context, key string, reason string) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM outbox WHERE key = ?`, key).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("outbox entry " + key)
		}
		if err != nil || state == string(bot.OutboxSent) {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET state = 'failed', error = ? WHERE key = ?`, reason, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark %s failed: %w", key, err)
	}
	return nil
}

// OutboxEntry returns the record of key, or an error wrapping
// bot.ErrNotFound.
func (db *DB) OutboxEntry(ctx context.Context, key string) (bot.OutboxEntry, error) {
	e, err := scanOutbox(db.sql.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.OutboxEntry{}, notFound("outbox entry " + key)
	}
	if err != nil {
		return bot.OutboxEntry{}, fmt.Errorf("store: read outbox %s: %w", key, err)
	}
	return e, nil
}

var _ bot.OutboxWithdrawer = (*DB)(nil)

// WithdrawOutbox undoes one BeginOutbox of key that was never handed to
// the platform: while the entry is sending it counts one attempt less and
// is removed when none is left. A sent or failed entry, or a missing one,
// is left as it is.
func (db *DB) WithdrawOutbox(ctx context.Context, key string) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = attempts - 1 WHERE key = ? AND state = 'sending'`, key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE key = ? AND state = 'sending' AND attempts <= 0`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: withdraw outbox %s: %w", key, err)
	}
	return nil
}

// MarkOutboxHandedOff records that an attempt to deliver key is being
// handed to the platform at at: from now on its outcome is unknown until it
// is marked sent or failed. A sent or failed entry is left as it is; a
// missing key wraps bot.ErrNotFound, and the attempt must then not be made.
func (db *DB) MarkOutboxHandedOff(ctx context.Context, key string, at time.Time) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET handed_at = ? WHERE key = ? AND state = 'sending'`, max(unix(at), 1), key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM outbox WHERE key = ?`, key).Scan(&state); errors.Is(err, sql.ErrNoRows) {
			return notFound("outbox entry " + key)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: mark %s handed off: %w", key, err)
	}
	return nil
}

// ClearOutboxHandOff records that the attempts of key handed to the
// platform were looked for there and not found: none was delivered, so the
// next attempt need not look again unless it is handed over itself. Only an
// entry still sending changes.
func (db *DB) ClearOutboxHandOff(ctx context.Context, key string) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET handed_at = 0 WHERE key = ? AND state = 'sending'`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: clear the hand-off of %s: %w", key, err)
	}
	return nil
}
