package store

import (
	"context"
	"fmt"

	"github.com/tend-bot/tend/bot"
)

// auditEntry stamps an entry with the store's clock.
func (db *DB) auditEntry(groupID int64, by bot.Principal, action, detail string) bot.AuditEntry {
	return bot.AuditEntry{At: db.Now(), GroupID: groupID, Actor: by, Action: action, Detail: detail}
}

func insertAudit(ctx context.Context, q queryer, e bot.AuditEntry) error {
	var group any
	if e.GroupID != 0 {
		group = e.GroupID
	}
	_, err := q.ExecContext(ctx, `INSERT INTO audit_log (at, group_id, actor, action, detail) VALUES (?, ?, ?, ?, ?)`,
		unix(e.At), group, string(e.Actor), e.Action, e.Detail)
	if err != nil {
		return fmt.Errorf("write audit entry %s: %w", e.Action, err)
	}
	return nil
}

// Audit records a facilitator action. e.At defaults to now. Changes made
// through this store's own methods are audited in their transaction
// already; Audit is for actions that change nothing here (an export).
// Detail must never hold message bodies or check-in answers.
func (db *DB) Audit(ctx context.Context, e bot.AuditEntry) error {
	if e.At.IsZero() {
		e.At = db.Now()
	}
	if e.Action == "" || e.Actor == "" {
		return fmt.Errorf("store: audit: an entry needs an actor and an action")
	}
	return insertAudit(ctx, db.sql, e)
}

// AuditLog returns the newest entries about group groupID (every group's
// and none's when groupID is 0), newest first, at most limit.
func (db *DB) AuditLog(ctx context.Context, groupID int64, limit int) ([]bot.AuditEntry, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, at, COALESCE(group_id, 0), actor, action, detail FROM audit_log
		WHERE ? = 0 OR group_id = ? ORDER BY at DESC, id DESC LIMIT ?`, groupID, groupID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: read audit log: %w", err)
	}
	defer rows.Close()
	var es []bot.AuditEntry
	for rows.Next() {
		var (
			e     bot.AuditEntry
			at    int64
			actor string
		)
		if err := rows.Scan(&e.ID, &at, &e.GroupID, &actor, &e.Action, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: read audit log: %w", err)
		}
		e.At = fromUnix(at)
		e.Actor = bot.Principal(actor)
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read audit log: %w", err)
	}
	return es, nil
}
