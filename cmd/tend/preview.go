package main

import (
	"fmt"
	"io"
	"time"

	"github.com/tend-bot/tend/config"
	"github.com/tend-bot/tend/reminders"
)

// printPreview prints, for `tend check --from DATE --count N`, the next
// count sessions from from of each configured group that has a series, with
// their reminders, in local time and UTC, marking DST changes.
func printPreview(w io.Writer, cfg *config.Config, from time.Time, count int) error {
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
