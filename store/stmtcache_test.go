package store

import (
	"database/sql"
	"fmt"
	"testing"
)

// cacheOf returns the statement texts the database's connection keeps.
func cacheOf(t *testing.T, db *DB) map[string]bool {
	t.Helper()
	c, err := db.sql.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := map[string]bool{}
	err = c.Raw(func(dc any) error {
		cc, ok := dc.(*cachingConn)
		if !ok {
			return fmt.Errorf("driver connection is %T, not the caching one", dc)
		}
		for q, cs := range cc.stmts {
			if cs.busy {
				return fmt.Errorf("statement %q still busy with no query running", q)
			}
			got[q] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestStmtCache_ReusedAndCorrect: a statement is prepared once and reused
// with other arguments; the same text run while its rows are still open
// (nested) runs apart and both read correctly; a statement that failed
// (a constraint) works again; a script of several statements runs every
// time; and the cache stays bounded.
func TestStmtCache_ReusedAndCorrect(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	const ins = `INSERT INTO jobs (kind, key, due_at, payload, state, created_at) VALUES ('k', ?, ?, x'', 'pending', 0)`
	for i := range 5 {
		if _, err := db.sql.ExecContext(ctx, ins, fmt.Sprintf("j%d", i), i); err != nil {
			t.Fatal(err)
		}
	}
	if !cacheOf(t, db)[ins] {
		t.Fatal("the insert was not kept prepared")
	}
	// A constraint failure on the cached statement, then a success.
	if _, err := db.sql.ExecContext(ctx, ins, "j0", 0); !isConstraint(err) {
		t.Fatalf("duplicate key: %v; want a constraint error", err)
	}
	if _, err := db.sql.ExecContext(ctx, ins, "j5", 5); err != nil {
		t.Fatalf("insert after a failure on the same statement: %v", err)
	}

	// Nested: the outer rows stay open while the inner query, the same
	// text, runs on the same connection inside the transaction.
	const sel = `SELECT key, due_at FROM jobs WHERE due_at >= ? ORDER BY due_at`
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, sel, 0)
		if err != nil {
			return err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var key string
			var due int
			if err := rows.Scan(&key, &due); err != nil {
				return err
			}
			if key != fmt.Sprintf("j%d", n) || due != n {
				return fmt.Errorf("outer row %d = %s %d", n, key, due)
			}
			var k2 string
			var d2 int
			if err := tx.QueryRowContext(ctx, sel, due).Scan(&k2, &d2); err != nil {
				return fmt.Errorf("inner query: %w", err)
			}
			if k2 != key || d2 != due {
				return fmt.Errorf("inner query for %d read %s %d", due, k2, d2)
			}
			n++
		}
		if n != 6 {
			return fmt.Errorf("outer query read %d rows; want 6", n)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	// Rows closed: the statement is free (cacheOf checks) and reads again.
	var count int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE due_at >= ?`, 3).Scan(&count); err != nil || count != 3 {
		t.Fatalf("count = %d, %v; want 3", count, err)
	}
	if !cacheOf(t, db)[sel] {
		t.Fatal("the select was not kept prepared")
	}

	// A script runs all its statements at every use.
	const script = `UPDATE jobs SET attempts = attempts + 1 WHERE key = 'j1'; UPDATE jobs SET attempts = attempts + 10 WHERE key = 'j2';`
	for range 2 {
		if _, err := db.sql.ExecContext(ctx, script); err != nil {
			t.Fatal(err)
		}
	}
	var a1, a2 int
	if err := db.sql.QueryRowContext(ctx, `SELECT (SELECT attempts FROM jobs WHERE key = 'j1'), (SELECT attempts FROM jobs WHERE key = 'j2')`).Scan(&a1, &a2); err != nil || a1 != 2 || a2 != 20 {
		t.Fatalf("attempts after the script twice = %d, %d, %v; want 2, 20", a1, a2, err)
	}

	// More distinct texts than the bound: all run, the cache stays bounded.
	for i := range maxCachedStmts + 10 {
		var v int
		if err := db.sql.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&v); err != nil || v != i+1 {
			t.Fatalf("query %d = %d, %v", i, v, err)
		}
	}
	if n := len(cacheOf(t, db)); n != maxCachedStmts {
		t.Fatalf("%d statements cached; want the bound %d", n, maxCachedStmts)
	}
}
