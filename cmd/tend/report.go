package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/tend-bot/tend/attendance"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
)

// reportFlags are the flags of tend report and tend audit.
type reportFlags struct {
	group, from, to, format, db string
}

func (r *reportFlags) flags(fs *flag.FlagSet, cmd string) {
	fs.StringVar(&r.group, "group", "", "the group's name")
	fs.StringVar(&r.db, "db", "", "the database file, instead of the config's storage.path")
	if cmd == "report" {
		fs.StringVar(&r.from, "from", "", "first day, YYYY-MM-DD in the group's zone (default: the first session)")
		fs.StringVar(&r.to, "to", "", "last day, YYYY-MM-DD in the group's zone (default: the latest session)")
		fs.StringVar(&r.format, "format", "table", "table or csv")
	}
}

// check validates the flags before the config is read.
func (r *reportFlags) check(cmd string) error {
	if r.group == "" {
		return usagef("tend %s: --group is required: name the group, such as --group tuesday-support", cmd)
	}
	if cmd != "report" {
		return nil
	}
	if r.format != "table" && r.format != "csv" {
		return usagef("tend report: --format %q: write table or csv", r.format)
	}
	for flagName, v := range map[string]string{"--from": r.from, "--to": r.to} {
		if v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return usagef("tend report: %s %q is not a date: write YYYY-MM-DD, such as %s 2027-03-01", flagName, v, flagName)
		}
	}
	if r.from != "" && r.to != "" && r.to < r.from {
		return usagef("tend report: --to %s is before --from %s", r.to, r.from)
	}
	return nil
}

// openReadOnly opens the database beside a running tend, read only, and
// finds the group.
func (m *Main) openReadOnly(ctx context.Context) (*store.DB, bot.Group, error) {
	path := m.Report.db
	if path == "" {
		path = m.Config.Storage.Path
	}
	path = m.path(path)
	db, err := store.OpenReadOnly(ctx, path)
	if err != nil {
		if errors.Is(err, store.ErrTooNew) || errors.Is(err, store.ErrTooOld) {
			return nil, bot.Group{}, &usageError{msg: err.Error()}
		}
		return nil, bot.Group{}, err
	}
	g, err := db.GroupByName(ctx, m.Report.group)
	if errors.Is(err, bot.ErrNotFound) {
		all, lerr := db.ListGroups(ctx)
		db.Close()
		if lerr != nil {
			return nil, bot.Group{}, lerr
		}
		names := make([]string, len(all))
		for i, g := range all {
			names[i] = g.Name
		}
		have := "it has no groups yet"
		if len(names) > 0 {
			have = "its groups: " + strings.Join(names, ", ")
		}
		return nil, bot.Group{}, &usageError{msg: fmt.Sprintf("tend %s: %s has no group named %q (%s)", m.Command, path, m.Report.group, have)}
	}
	if err != nil {
		db.Close()
		return nil, bot.Group{}, err
	}
	return db, g, nil
}

// report prints a group's attendance: a table for people, or CSV for
// records. It reads the database without disturbing a running tend.
func (m *Main) report(ctx context.Context) error {
	db, g, err := m.openReadOnly(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	loc, err := g.Location()
	if err != nil {
		return fmt.Errorf("group %s: %w", g.Name, err)
	}
	var from, to time.Time
	if m.Report.from != "" {
		from, _ = time.ParseInLocation(time.DateOnly, m.Report.from, loc)
	}
	if m.Report.to != "" {
		t, _ := time.ParseInLocation(time.DateOnly, m.Report.to, loc)
		to = t.AddDate(0, 0, 1)
	}
	r, err := attendance.Build(ctx, db, g, from, to)
	if err != nil {
		return err
	}
	write := attendance.WriteTable
	if m.Report.format == "csv" {
		write = attendance.WriteCSV
	}
	if err := write(m.Stdout, r); err != nil {
		return err
	}
	// The export goes in the group's audit log (who, which dates, how
	// much; never what it held), in a short write beside a running tend.
	// The report is read first, from the last committed state, so that a
	// write transaction of tend's in progress delays only this line.
	e := attendance.ExportAudit(g, operator(), m.Report.from, m.Report.to, r, "tend report", m.Report.format)
	audit := m.auditExport
	if audit == nil {
		audit = store.AuditBeside
	}
	switch err := audit(ctx, db.Path(), e); {
	case errors.Is(err, store.ErrReadOnly):
		fmt.Fprintf(m.Stderr, "tend report: the database is read-only here, so this export is not recorded in %s's audit log. "+
			"Run tend report as the user tend runs as to have it recorded.\n", g.Name)
	case err != nil:
		return fmt.Errorf("the report above was printed but could not be recorded in %s's audit log: %w", g.Name, err)
	}
	return nil
}

// operator names the person at the command line in an audit line:
// cli:<login name>.
func operator() bot.Principal {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return bot.Principal("cli:" + u.Username)
	}
	if n := os.Getenv("USER"); n != "" {
		return bot.Principal("cli:" + n)
	}
	return "cli:unknown"
}
