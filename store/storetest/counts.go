package storetest

import "testing"

// Counts returns how many rows each of tables holds in the database at
// path, read through a read-only connection.
func Counts(tb testing.TB, path string, tables ...string) map[string]int {
	tb.Helper()
	db := openRO(tb, path)
	defer db.Close()
	out := make(map[string]int, len(tables))
	for _, table := range tables {
		var n int
		if err := db.QueryRowContext(tb.Context(), `SELECT count(*) FROM "`+table+`"`).Scan(&n); err != nil {
			tb.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}
