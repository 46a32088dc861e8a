package main

import (
	"fmt"
	"io"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
	"github.com/tend-bot/tend/reminders"
	"github.com/tend-bot/tend/schedule"
)

// printPreview prints, for `tend check --from DATE --count N`, the next
// count sessions of each configured group that has a series, with their
// reminders, in local time and UTC, marking DST changes. The preview starts
// at now, or, when date (YYYY-MM-DD) is set, at that date's first instant
// in each group's own zone: a date in the file's terms, not midnight UTC.
func printPreview(w io.Writer, cfg *config.Config, now time.Time, date string, count int) error {
	if count <= 0 {
		return fmt.Errorf("preview: --count %d: give a number of sessions above zero, such as --count 10", count)
	}
	shown := 0
	for _, g := range cfg.Groups {
		if g.Schedule == nil {
			continue
		}
		if shown > 0 {
			fmt.Fprintln(w)
		}
		from := now
		if date != "" {
			var err error
			if from, err = localMidnight(date, g.TimeZone); err != nil {
				return fmt.Errorf("preview: group %s: %w", g.Name, err)
			}
		}
		if err := reminders.Preview(w, g.Name, g.TimeZone, *g.Schedule, g.Reminders, from, count); err != nil {
			return fmt.Errorf("preview: %w", err)
		}
		shown++
	}
	if shown == 0 {
		fmt.Fprintln(w, "No group declares a schedule, so there are no sessions to show.")
	}
	return nil
}

// localMidnight returns the first instant of date in zone (00:00, or the
// end of a gap when the clocks skip midnight that day).
func localMidnight(date, zone string) (time.Time, error) {
	loc, err := bot.LoadLocation(zone)
	if err != nil {
		return time.Time{}, err
	}
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}, err
	}
	t, _ := schedule.WallTime(d.Year(), d.Month(), d.Day(), 0, 0, loc)
	return t, nil
}
