// Package store keeps tend's state in SQLite through modernc.org/sqlite
// (pure Go, no cgo). It is the only package that contains SQL. It satisfies
// the small store interfaces that bot and the feature packages declare.
package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tend-bot/tend/bot"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is tend's database.
type DB struct {
	sql  *sql.DB
	path string
	// Now is the store's clock, for created/updated stamps. Tests replace
	// it.
	Now func() time.Time
}

// ErrTooNew means the database was written by a newer tend.
var ErrTooNew = errors.New("database schema is newer than this tend")

// Open opens (creating if needed, with mode 0600) the database at path and
// applies pending migrations. A database whose schema is newer than this
// binary knows is refused without being modified.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.Contains(path, "mode=memory") {
		// Every pooled connection would get its own empty database.
		return nil, fmt.Errorf("store: %q: give a file path; in-memory databases are not supported", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
		}
	}
	// Refuse a database from a newer tend before opening it read-write:
	// a read-write open would replay a -wal file left by an unclean stop
	// of that newer binary into the database, changing its bytes.
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		if err := checkNotNewer(ctx, path); err != nil {
			return nil, err
		}
	}
	// Create the file ourselves so that it is 0600 from the first byte;
	// SQLite gives its -wal and -shm files the database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("store: restrict %s to its owner: %w", path, err)
	}
	conn, err := sqlite.NewConnector(dsn(path))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// Statements stay prepared on the connection (stmtcache.go).
	sqldb := sql.OpenDB(cachingConnector{Connector: conn})
	// One connection: SQLite has one writer anyway, and a single connection
	// makes "inside a transaction, use only that transaction" impossible to
	// get wrong silently (it would deadlock in tests instead).
	sqldb.SetMaxOpenConns(1)
	sqldb.SetConnMaxIdleTime(0)
	db := &DB{sql: sqldb, path: path, Now: time.Now}
	if err := db.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds the connection string. busy_timeout comes first so that it
// already applies while the later pragmas run (journal_mode needs a lock).
// temp_store(memory) keeps statement journals (the undo record of a
// statement that writes many rows) in memory rather than in a temporary
// file written and read back at every such statement.
// _txlock=immediate makes BEGIN take the write lock up front, so a
// read-then-write transaction cannot fail with SQLITE_BUSY halfway.
// secure_delete overwrites deleted content with zeros: without it, a
// member's erased rows (their name, their check-in answers) would stay in
// the file's free pages, readable by anyone who opens the file or a copy,
// until SQLite happened to reuse those pages. Erasure and the retention
// purge then checkpoint (Checkpoint), so that the zeroed pages replace
// the old ones in the database file and the WAL no longer holds them.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "secure_delete(1)")
	q.Add("_pragma", "temp_store(memory)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// Checkpoint copies every committed change from the write-ahead log into
// the database file and truncates the log to zero bytes, so that the
// pages an erasure zeroed (secure_delete) replace the old ones in the file
// and no old copy stays in the log. It reports false, without an error,
// when a reader (tend report beside a running tend) still needed part of
// the log and the truncation could not finish; SQLite's next checkpoint
// completes it.
func (db *DB) Checkpoint(ctx context.Context) (bool, error) {
	var busy, logPages, done int
	if err := db.sql.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done); err != nil {
		return false, fmt.Errorf("store: checkpoint: %w", err)
	}
	return busy == 0, nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// checkNotNewer reads the schema version without writing anything: from
// the file header (user_version is the big-endian int at offset 60) and,
// when a -wal file holds later transactions, through a read-only
// connection, which touches only the rebuildable -shm index.
func checkNotNewer(ctx context.Context, path string) error {
	known := SchemaVersion()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	var hdr [100]byte
	n, _ := io.ReadFull(f, hdr[:])
	f.Close()
	if n == len(hdr) && string(hdr[:16]) == "SQLite format 3\x00" {
		if have := int(binary.BigEndian.Uint32(hdr[60:64])); have > known {
			return tooNew(path, have, known)
		}
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		return nil
	}
	ro, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer ro.Close()
	var have int
	if err := ro.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("store: read schema version of %s (is it a tend database?): %w", path, err)
	}
	if have > known {
		return tooNew(path, have, known)
	}
	return nil
}

func tooNew(path string, have, known int) error {
	return fmt.Errorf("store: %s has schema version %d but this tend knows up to %d; run the newer tend that wrote it, or restore a backup made for this version: %w", path, have, known, ErrTooNew)
}

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migrations must be numbered 1, 2, 3…; %s is number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	var have int
	if err := db.sql.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("store: read schema version of %s: %w", db.path, err)
	}
	if have > len(ms) {
		return tooNew(db.path, have, len(ms))
	}
	for _, m := range ms[have:] {
		err := db.withTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			// user_version is rolled back with the transaction.
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate %s: %w", db.path, err)
		}
	}
	return nil
}

// withTx runs fn in a transaction (BEGIN IMMEDIATE, from the DSN), committing
// when fn returns nil. Inside fn, use only tx.
func (db *DB) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return inTx(ctx, db.sql, fn)
}

// inTx runs fn in a transaction begun on b (the pool, or one connection),
// committing when fn returns nil.
func inTx(ctx context.Context, b interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(tx *sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isConstraint reports whether err is a uniqueness or primary key violation.
// A duplicate composite primary key reports SQLITE_CONSTRAINT_PRIMARYKEY,
// not _UNIQUE, so both are checked.
func isConstraint(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// unix stores a time as UTC Unix seconds; the zero time is 0.
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// fromUnix reads a time stored by unix.
func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// notFound wraps bot.ErrNotFound with what was looked for.
func notFound(what string) error { return fmt.Errorf("%s: %w", what, bot.ErrNotFound) }

// ErrTooOld means the database was written by an older tend and has not
// been upgraded yet.
var ErrTooOld = errors.New("database schema is older than this tend")

// OpenReadOnly opens the existing database at path for reading only
// (tend report, tend audit), beside a tend that may be running on it: the
// connection never writes, takes no write lock and runs no migration, and
// SQLite's WAL lets it read the last committed state while tend writes. A
// database whose schema is not the one this binary writes is refused: a
// newer one with ErrTooNew, an older one (not yet upgraded by tend run)
// with ErrTooOld.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("store: no database at %s (check storage.path in the config, or run tend there first): %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("store: %s is a directory, not a database", path)
	}
	if err := checkNotNewer(ctx, path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "query_only(1)")
	conn, err := sqlite.NewConnector("file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	sqldb := sql.OpenDB(cachingConnector{Connector: conn})
	sqldb.SetMaxOpenConns(1)
	var have int
	if err := sqldb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("store: read %s (is it a tend database?): %w", path, err)
	}
	if known := SchemaVersion(); have < known {
		sqldb.Close()
		return nil, fmt.Errorf("store: %s has schema version %d but this tend writes %d; run `tend run` once to upgrade it (it keeps everything), then try again: %w", path, have, known, ErrTooOld)
	}
	return &DB{sql: sqldb, path: path, Now: time.Now}, nil
}
