package storetest_test

import (
	"context"
	"os"
	"testing"

	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

func TestOpen(t *testing.T) {
	var db *store.DB
	t.Run("inner", func(t *testing.T) {
		db = storetest.Open(t)
		fi, err := os.Stat(db.Path())
		if err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("database file %s: %v", db.Path(), err)
		}
		if _, err := db.ActionKey(t.Context()); err != nil {
			t.Fatalf("a migrated database: %v", err)
		}
	})
	// The subtest's cleanup closed it.
	if _, err := db.ActionKey(context.Background()); err == nil {
		t.Error("the database is still open after the test ended")
	}
}
