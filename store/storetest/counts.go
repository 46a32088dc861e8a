package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

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

// Dump returns every row of every table of the database at path (read from
// sqlite_master, so a table added later is dumped too), one line each in
// rowid order, "table: col=value …", leaving out the columns named in skip
// ("table.column"). Two databases that a test built by two paths compare
// equal when their dumps do.
func Dump(tb testing.TB, path string, skip ...string) []string {
	tb.Helper()
	db := openRO(tb, path)
	defer db.Close()
	var out []string
	for _, table := range queryColumn(tb, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`) {
		var cols []string
		for _, c := range queryColumn(tb, db, `SELECT name FROM pragma_table_info('`+table+`') ORDER BY cid`) {
			if !slices.Contains(skip, table+"."+c) {
				cols = append(cols, `"`+c+`"`)
			}
		}
		rows, err := db.QueryContext(tb.Context(), `SELECT `+strings.Join(cols, ", ")+` FROM "`+table+`" ORDER BY rowid`)
		if err != nil {
			// A table WITHOUT ROWID: its primary key orders it.
			rows, err = db.QueryContext(tb.Context(), `SELECT `+strings.Join(cols, ", ")+` FROM "`+table+`" ORDER BY 1`)
		}
		if err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				tb.Fatalf("dump %s: %v", table, err)
			}
			var b strings.Builder
			b.WriteString(table + ":")
			for i, c := range cols {
				v := vals[i]
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, " %s=%v", strings.Trim(c, `"`), v)
			}
			out = append(out, b.String())
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
	}
	return out
}
