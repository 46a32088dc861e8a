package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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

// ErrReadOnly means the database could not be written: the file or its
// directory is read-only to this process.
var ErrReadOnly = errors.New("the database is read-only here")

// AuditBeside writes one audit line into the database at path from
// beside a running tend (tend report): through a short-lived connection
// of its own that runs no migration (OpenReadOnly checked the schema) and
// waits for tend's short write transactions (busy_timeout). A database
// this process may not write is ErrReadOnly.
func AuditBeside(ctx context.Context, path string, e bot.AuditEntry) error {
	return auditBeside(ctx, path, "rw", e)
}

// auditBeside is AuditBeside through a connection opened in SQLite's mode
// (rw; ro in tests, for a database this process may not write).
func auditBeside(ctx context.Context, path, mode string, e bot.AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if e.Action == "" || e.Actor == "" {
		return fmt.Errorf("store: audit: an entry needs an actor and an action")
	}
	q := url.Values{}
	q.Set("mode", mode) // rw: never create a database that is not there
	q.Add("_pragma", "busy_timeout(5000)")
	q.Set("_txlock", "immediate")
	conn, err := sqlite.NewConnector("file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode())
	if err != nil {
		return fmt.Errorf("store: open %s to audit: %w", path, err)
	}
	sqldb := sql.OpenDB(conn)
	defer sqldb.Close()
	sqldb.SetMaxOpenConns(1)
	if err := insertAudit(ctx, sqldb, e); err != nil {
		var se *sqlite.Error
		if errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_READONLY || se.Code()&0xff == sqlite3.SQLITE_CANTOPEN || se.Code()&0xff == sqlite3.SQLITE_PERM) {
			return fmt.Errorf("store: %s: %w (%v)", path, ErrReadOnly, err)
		}
		return fmt.Errorf("store: %s: %w", path, err)
	}
	return nil
}
