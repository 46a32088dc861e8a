package store

import (
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)

// openTest opens a database in a fresh file with a fixed clock. (Tests of
// package store cannot use storetest, which imports store.)
func openTest(t *testing.T) *DB {
	t.Helper()
	db := openAt(t, filepath.Join(t.TempDir(), "tend.db"))
	return db
}

func openAt(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	db.Now = func() time.Time { return t0 }
	t.Cleanup(func() { db.Close() })
	return db
}

func userVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatalf("user_version: %v", err)
	}
	return v
}

// schema dumps every table, index and trigger definition.
func schema(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			t.Fatalf("schema: %v", err)
		}
		fmt.Fprintf(&b, "%s %s\n%s\n", typ, name, text)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("schema: %v", err)
	}
	return b.String()
}

func TestOpen_MigrationsRecorded(t *testing.T) {
	db := openTest(t)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || SchemaVersion() != len(ms) {
		t.Fatalf("SchemaVersion() = %d with %d migrations", SchemaVersion(), len(ms))
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %d is %s: not in order", i+1, m.name)
		}
	}
	if v := userVersion(t, db.sql); v != len(ms) {
		t.Errorf("user_version = %d, want %d", v, len(ms))
	}
	s := schema(t, db.sql)
	for _, table := range []string{"settings", "groups", "group_facilitators", "members", "audit_log", "jobs", "outbox"} {
		if !strings.Contains(s, "table "+table+"\n") {
			t.Errorf("table %s missing; schema:\n%s", table, s)
		}
	}
	var fk int
	if err := db.sql.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

// TestOpen_UpgradesFromEveryVersion builds a database as each earlier
// release left it, opens it, and checks that the pending migrations were
// applied in order to the very schema a fresh database gets.
func TestOpen_UpgradesFromEveryVersion(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	want := schema(t, openTest(t).sql)
	for have := 0; have < len(ms); have++ {
		t.Run(fmt.Sprintf("from%d", have), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			raw, err := sql.Open("sqlite", dsn(path))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms[:have] {
				if _, err := raw.Exec(m.sql); err != nil {
					t.Fatalf("apply %s: %v", m.name, err)
				}
				if _, err := raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
					t.Fatal(err)
				}
			}
			raw.Close()
			db := openAt(t, path)
			if got := schema(t, db.sql); got != want {
				t.Errorf("schema after upgrade from %d:\n%s\nwant:\n%s", have, got, want)
			}
			if v := userVersion(t, db.sql); v != len(ms) {
				t.Errorf("user_version = %d, want %d", v, len(ms))
			}
		})
	}
}

func TestOpen_ReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tend.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.CreateGroup(t.Context(), "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	key1, err := db.ActionKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	before := schema(t, db.sql)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		db, err = Open(t.Context(), path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if after := schema(t, db.sql); after != before {
			t.Errorf("schema changed on reopen:\n%s\nwas:\n%s", after, before)
		}
		got, err := db.GroupByName(t.Context(), "tuesday")
		if err != nil || got.ID != g.ID {
			t.Errorf("group after reopen = %+v, %v; want id %d", got, err, g.ID)
		}
		key2, err := db.ActionKey(t.Context())
		if err != nil || string(key2) != string(key1) {
			t.Errorf("action key changed across reopen (err %v)", err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(key1) != 32 {
		t.Errorf("action key is %d bytes, want 32", len(key1))
	}
}

// fileStates hashes the database and its -wal/-shm files ("absent" when
// missing).
func fileStates(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		b, err := os.ReadFile(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			out[filepath.Base(p)] = "absent"
		case err != nil:
			t.Fatal(err)
		default:
			out[filepath.Base(p)] = fmt.Sprintf("%x", sha256.Sum256(b))
		}
	}
	return out
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tend.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateGroup(t.Context(), "console:ana", testGroup("tuesday", "c1")); err != nil {
		t.Fatal(err)
	}
	// What a newer tend would leave behind.
	newer := SchemaVersion() + 1
	if _, err := db.sql.Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileStates(t, path)
	if before["tend.db-wal"] != "absent" {
		t.Logf("note: a -wal file survives close: %v", before)
	}

	_, err = Open(t.Context(), path)
	if !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open of a newer database: err = %v, want ErrTooNew", err)
	}
	msg := err.Error()
	for _, want := range []string{path, fmt.Sprint(newer), fmt.Sprint(SchemaVersion()), "newer tend", "backup"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	after := fileStates(t, path)
	for name, h := range before {
		if after[name] != h {
			t.Errorf("%s changed by the refused open: %s → %s", name, h, after[name])
		}
	}
}

func TestOpen_FileModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tend.db")
	db := openAt(t, path)
	// A write, so that the -wal and -shm files exist while the database is
	// open.
	if _, err := db.ActionKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %s: %v", p, err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), mode)
		}
	}
}

func TestOpen_RefusesMemory(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x?mode=memory"} {
		if db, err := Open(t.Context(), p); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded; want a refusal", p)
		}
	}
}

func TestActionKey_CreatedOnce(t *testing.T) {
	db := openTest(t)
	k1, err := db.ActionKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	k2, err := db.ActionKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != 32 || string(k1) != string(k2) {
		t.Fatalf("keys %x and %x: want the same 32 bytes twice", k1, k2)
	}
	other, err := openTest(t).ActionKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if string(other) == string(k1) {
		t.Fatal("two databases got the same key: it is not random")
	}
	if _, err := bot.NewActionCodec(k1); err != nil {
		t.Fatalf("NewActionCodec: %v", err)
	}
}

// A newer tend that stopped uncleanly leaves its last transactions in the
// -wal file. Refusing it must not replay that WAL into the database.
func TestOpen_RefusesNewerSchemaLeftInWAL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tend.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	newer := SchemaVersion() + 1
	if _, err := db.sql.Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	// Copy the files while the database is open: what a crash leaves.
	crashed := filepath.Join(t.TempDir(), "tend.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(crashed + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("test setup: no WAL content to replay (%v)", err)
	}
	before := fileStates(t, crashed)
	if _, err := Open(t.Context(), crashed); !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open = %v, want ErrTooNew", err)
	}
	after := fileStates(t, crashed)
	// The -shm file is SQLite's rebuildable index of the WAL; the database
	// and the WAL itself must be untouched.
	for _, name := range []string{"tend.db", "tend.db-wal"} {
		if before[name] != after[name] {
			t.Errorf("%s changed by the refused open", name)
		}
	}
}

// TestMigration3_SessionJobs: jobs written by tend before 0003 get their
// session from their key and a key namespaced by their kind, so that an
// upgraded tend skips, moves and lists them by session like new ones, and
// enqueueing them again under the new keys finds them.
func TestMigration3_SessionJobs(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v2.db")
	raw, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:2] {
		if _, err := raw.Exec(m.sql); err != nil {
			t.Fatalf("apply %s: %v", m.name, err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 2`,
		`INSERT INTO groups (id, name, platform, channel, kind, admission, timezone, privacy, source, created_at, updated_at)
			VALUES (1, 'g', 'console', 'g', 'support', 'open', 'UTC', 'standard', 'chat', 0, 0)`,
		`INSERT INTO series (group_id, duration_s, starts, updated_at) VALUES (1, 3600, '2026-01-01', 0)`,
		`INSERT INTO sessions (id, group_id, generation, number, planned_at, start_at, end_at, status) VALUES (12, 1, 1, 1, 100, 100, 200, 'scheduled')`,
		`INSERT INTO jobs (kind, key, group_id, due_at, state, created_at) VALUES
			('reminders.reminder', 'reminder/12/1h30m', 1, 10, 'pending', 0),
			('reminders.start', 'start/12', 1, 100, 'pending', 0),
			('reminders.end', 'end/12', 1, 200, 'pending', 0),
			('reminders.start', 'start/99', 1, 100, 'done', 0)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	db := openAt(t, path)
	jobs, err := db.SessionJobs(t.Context(), 12)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, j.Key)
	}
	if want := "[reminders.reminder/12/1h30m reminders.start/12 reminders.end/12]"; fmt.Sprint(got) != want {
		t.Errorf("jobs of session 12 after the upgrade: %v; want %s", got, want)
	}
	// A job of a session that no longer exists keeps no dangling session.
	if j, err := db.JobByKey(t.Context(), "reminders.start/99"); err != nil || j.SessionID != 0 {
		t.Errorf("orphan job: %+v, %v; want renamed, with no session", j, err)
	}
}

// TestMigration7_OutboxHandOff: an outbox entry still sending when an
// earlier tend stopped may have been delivered (that tend did not record
// hand-offs), so after the upgrade it is looked for; sent entries are not.
func TestMigration7_OutboxHandOff(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v6.db")
	raw, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:6] {
		if _, err := raw.Exec(m.sql); err != nil {
			t.Fatalf("apply %s: %v", m.name, err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 6`,
		`INSERT INTO outbox (key, platform, kind, state, attempts, created_at) VALUES ('reminder/1/1h', 'discord', 'post', 'sending', 1, 1700000000)`,
		`INSERT INTO outbox (key, platform, kind, state, channel, message_id, attempts, created_at, sent_at) VALUES ('reminder/2/1h', 'discord', 'post', 'sent', 'c', 'm', 1, 1700000000, 1700000060)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	db := openAt(t, path)
	if e, err := db.OutboxEntry(t.Context(), "reminder/1/1h"); err != nil || e.HandedAt.IsZero() {
		t.Errorf("entry sending before the upgrade: %+v, %v; want handed off", e, err)
	}
	if e, err := db.OutboxEntry(t.Context(), "reminder/2/1h"); err != nil || !e.HandedAt.IsZero() {
		t.Errorf("entry sent before the upgrade: %+v, %v; want no hand-off", e, err)
	}
}
