// Package storetest opens real, throwaway tend databases for tests.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tend-bot/tend/store"
)

// Open returns a migrated database in a file under tb.TempDir, closed by
// tb.Cleanup. It is a real SQLite file with the production pragmas, never
// an in-memory database.
func Open(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "tend.db"))
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("storetest: close: %v", err)
		}
	})
	return db
}
