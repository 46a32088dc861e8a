package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode"
)

// maxAuditLines bounds what tend audit prints.
const maxAuditLines = 100000

// audit prints a group's audit log, oldest first: when (in the group's
// zone), who, what and the details — never content. It reads the database
// without disturbing a running tend.
func (m *Main) audit(ctx context.Context) error {
	db, g, err := m.openReadOnly(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	loc, err := g.Location()
	if err != nil {
		return fmt.Errorf("group %s: %w", g.Name, err)
	}
	es, err := db.AuditLog(ctx, g.ID, maxAuditLines)
	if err != nil {
		return err
	}
	slices.Reverse(es)
	fmt.Fprintf(m.Stdout, "Audit log of %s (%s): %d entries\n\n", g.Name, g.TimeZone, len(es))
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tWHO\tWHAT\tDETAIL")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.At.In(loc).Format("2006-01-02 15:04:05 MST"), cell(string(e.Actor)), cell(e.Action), cell(e.Detail))
	}
	return tw.Flush()
}

// cell keeps a table cell on one line.
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
