package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// opsWorld is a database the size of 100,000 weekly groups with two
// reminder leads: 300,000 pending jobs (two reminders and a start per
// group), 1,000 of them due, and an outbox of 1,000,000 sent posts (ten
// weeks of reminders) with 50 in flight and 20 failed.
func opsWorld(b *testing.B) (*DB, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "tend.db")
	db, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := b.Context()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	job, err := tx.PrepareContext(ctx, `INSERT INTO jobs (kind, key, due_at, state, created_at) VALUES (?, ?, ?, 'pending', 0)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 300000 {
		due := t0.Add(time.Duration(1+i%1000) * time.Hour)
		if i < 1000 {
			due = t0.Add(-time.Duration(i) * time.Second)
		}
		kind := [...]string{"reminders.reminder", "reminders.reminder", "reminders.start"}[i%3]
		if _, err := job.ExecContext(ctx, kind, fmt.Sprintf("%s/%d", kind, i), due.Unix()); err != nil {
			b.Fatal(err)
		}
	}
	post, err := tx.PrepareContext(ctx, `INSERT INTO outbox (key, platform, kind, state, attempts, created_at) VALUES (?, 'discord', 'post', ?, 1, 0)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000000 {
		state := "sent"
		switch {
		case i < 50:
			state = "sending"
		case i < 70:
			state = "failed"
		}
		if _, err := post.ExecContext(ctx, fmt.Sprintf("reminder/%d/1h", i), state); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return db, path
}

// BenchmarkOpsStats is the database's part of one /metrics scrape, with
// the outbox's partial index (as migrated) and without it (as before).
func BenchmarkOpsStats(b *testing.B) {
	db, _ := opsWorld(b)
	ctx := b.Context()
	run := func(b *testing.B) {
		for b.Loop() {
			st, err := db.OpsStats(ctx, t0)
			if err != nil {
				b.Fatal(err)
			}
			if st.Pending != 300000 || st.Outbox["sending"] != 50 || st.Outbox["failed"] != 20 {
				b.Fatalf("stats %+v", st)
			}
		}
	}
	b.Run("index", run)
	if _, err := db.sql.ExecContext(ctx, `DROP INDEX outbox_unsettled`); err != nil {
		b.Fatal(err)
	}
	b.Run("noindex", run)
}

// BenchmarkBackup copies that database with Backup.
func BenchmarkBackup(b *testing.B) {
	_, path := opsWorld(b)
	dir := b.TempDir()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		if _, err := Backup(context.Background(), path, filepath.Join(dir, fmt.Sprintf("b%d.db", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fi.Size())/1e6, "dbMB")
}
