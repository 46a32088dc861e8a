package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tend-bot/tend/bot"
)

// TestAuditBeside_ReadOnly: a database this process may not write is
// ErrReadOnly, so that tend report can say so; one it may write gets the
// line.
func TestAuditBeside_ReadOnly(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tend.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	e := bot.AuditEntry{Actor: "cli:alex", Action: "attendance.export", Detail: "range=all"}
	if err := auditBeside(ctx, path, "ro", e); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("a read-only connection: %v; want ErrReadOnly", err)
	}
	if err := AuditBeside(ctx, path, e); err != nil {
		t.Fatal(err)
	}
	db, err = OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if log, err := db.AuditLog(ctx, 0, 10); err != nil || len(log) != 1 || log[0].Actor != "cli:alex" {
		t.Fatalf("audit log %+v, %v; want the export line", log, err)
	}
	if err := AuditBeside(ctx, filepath.Join(t.TempDir(), "missing.db"), e); err == nil {
		t.Fatal("audit beside a missing database created it")
	}
	if os.Geteuid() != 0 {
		// Without root's rights the file's own mode makes it read-only.
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		if err := AuditBeside(ctx, path, e); !errors.Is(err, ErrReadOnly) {
			t.Fatalf("a read-only file: %v; want ErrReadOnly", err)
		}
	}
}
