package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

func TestBackup_ConsistentBesideAWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tend.db")
	clock := bottest.NewClock(t0)
	db, _ := openLocked(t, path, lockOpts(clock))
	ctx := t.Context()
	// A writer that keeps enqueueing jobs, each in its own transaction,
	// while backups are taken beside it through their own connections.
	var written atomic.Int64
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; wctx.Err() == nil; i++ {
			j := bot.Job{Kind: "reminders.reminder", Key: fmt.Sprintf("reminders.reminder/%d/1h", i), DueAt: t0.Add(time.Duration(i) * time.Minute)}
			if _, err := db.EnqueueJob(wctx, j); err != nil {
				if wctx.Err() == nil {
					t.Errorf("enqueue: %v", err)
				}
				return
			}
			written.Add(1)
		}
	})
	for written.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	var copies []string
	for i := range 3 {
		dst := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		before := written.Load()
		info, err := Backup(ctx, path, dst)
		if err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		if !info.Held || info.SchemaVersion != SchemaVersion() || info.Bytes == 0 {
			t.Errorf("backup %d: %+v", i, info)
		}
		fi, err := os.Stat(dst)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("backup %d has mode %04o, want 0600", i, fi.Mode().Perm())
		}
		// The copy opens as a tend database: checked, migrated, and
		// holding every job written before the backup began, each whole.
		cp, err := Open(ctx, dst)
		if err != nil {
			t.Fatalf("open backup %d: %v", i, err)
		}
		var n int
		if err := cp.sql.QueryRowContext(ctx, `SELECT count(*) FROM jobs`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		var gaps int
		if err := cp.sql.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE key != 'reminders.reminder/' || (id - 1) || '/1h'`).Scan(&gaps); err != nil {
			t.Fatal(err)
		}
		if int64(n) < before || gaps != 0 {
			t.Errorf("backup %d holds %d jobs (%d written before it began), %d out of order", i, n, before, gaps)
		}
		// No holder: a tend started on the restored copy takes it at once.
		if _, held, err := ReadHolder(ctx, dst); err != nil || held {
			t.Errorf("backup %d has a holder (%v, %v)", i, held, err)
		}
		cp.Close()
		copies = append(copies, dst)
	}
	stop()
	wg.Wait()
	// Nothing but the backups was left beside them.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".partial-") {
			t.Errorf("a partial backup was left: %s", e.Name())
		}
	}
	if len(copies) != 3 {
		t.Fatal("not every backup was taken")
	}
}

func TestBackup_Refusals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tend.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	existing := filepath.Join(dir, "exists.db")
	if err := os.WriteFile(existing, []byte("an older backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Backup(t.Context(), path, existing); !errors.Is(err, ErrBackupExists) {
		t.Errorf("backup over an existing file: %v, want ErrBackupExists", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "an older backup" {
		t.Error("the existing file was changed")
	}
	if _, err := Backup(t.Context(), filepath.Join(dir, "missing.db"), filepath.Join(dir, "b.db")); err == nil || !strings.Contains(err.Error(), "is not a tend database") {
		t.Errorf("backup of a missing database: %v", err)
	}
	if _, err := Backup(t.Context(), path, filepath.Join(dir, "no-such-dir", "b.db")); err == nil {
		t.Error("backup into a missing directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "b.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a failed backup left a file")
	}
}
