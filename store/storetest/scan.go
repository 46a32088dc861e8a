package storetest

import (
	"database/sql"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the driver the store uses, for a read-only look
)

// Person is who Scan looks for: strings that name them anywhere (account
// ids, roster codes, names), and their roster ids (found in member_id
// columns and as member=<id> in audit details).
type Person struct {
	Needles []string
	Members []int64
}

// Tables returns the tables of the database at path, from sqlite_master.
func Tables(tb testing.TB, path string) []string {
	tb.Helper()
	db := openRO(tb, path)
	defer db.Close()
	return queryColumn(tb, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
}

// Scan walks every table and column of the database at path — read from
// sqlite_master, so a table added later is walked too — and counts, per
// "table.column", the rows that name p. It reads through a read-only
// connection.
func Scan(tb testing.TB, path string, p Person) map[string]int {
	tb.Helper()
	db := openRO(tb, path)
	defer db.Close()
	ctx := tb.Context()
	ids := make([]string, len(p.Members))
	for i, id := range p.Members {
		ids[i] = fmt.Sprint(id)
	}
	memberRe := regexp.MustCompile(`$^`)
	if len(ids) > 0 {
		memberRe = regexp.MustCompile(`(^|[^0-9])member=(` + strings.Join(ids, "|") + `)([^0-9]|$)`)
	}
	hits := map[string]int{}
	for _, table := range Tables(tb, path) {
		cols := queryColumn(tb, db, fmt.Sprintf(`SELECT name FROM pragma_table_info('%s')`, table))
		rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT * FROM "%s"`, table))
		if err != nil {
			tb.Fatal(err)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			for i, v := range vals {
				var s string
				switch x := v.(type) {
				case nil:
					continue
				case []byte:
					s = string(x)
				default:
					s = fmt.Sprint(x)
				}
				named := slices.ContainsFunc(p.Needles, func(n string) bool { return strings.Contains(s, n) })
				if n, ok := v.(int64); ok && cols[i] == "member_id" && slices.Contains(p.Members, n) {
					named = true
				}
				if strings.Contains(cols[i], "detail") && memberRe.MatchString(s) {
					named = true
				}
				if named {
					hits[table+"."+cols[i]]++
				}
			}
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
		rows.Close()
	}
	return hits
}

// HitTables returns the tables among Scan's hits, sorted.
func HitTables(hits map[string]int) []string {
	var out []string
	for k := range hits {
		table, _, _ := strings.Cut(k, ".")
		if !slices.Contains(out, table) {
			out = append(out, table)
		}
	}
	sort.Strings(out)
	return out
}

func openRO(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

func queryColumn(tb testing.TB, db *sql.DB, q string) []string {
	tb.Helper()
	rows, err := db.QueryContext(tb.Context(), q)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
