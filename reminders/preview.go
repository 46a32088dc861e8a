package reminders

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/schedule"
)

// Preview writes the next count sessions from from of one group's series,
// each with its reminders, in the group's zone and in UTC, so that an
// operator sees a DST change before it happens: a session whose UTC offset
// differs from the previous one's is marked, as is a wall time that does
// not exist that day (moved forward) and a reminder whose local clock time
// differs from its session's because the clocks change in between.
func Preview(w io.Writer, name, zone string, s bot.Schedule, rs Settings, from time.Time, count int) error {
	loc, err := bot.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("group %s: %w", name, err)
	}
	p, err := schedule.NewPlan(s, loc, from)
	if err != nil {
		return fmt.Errorf("group %s: %w", name, err)
	}
	fmt.Fprintf(w, "group %s (%s): %s, %s each%s\n", name, zone, p.Describe(), LeadName(s.Duration), seriesBounds(p))
	occ := p.Occurrences(from, count)
	if len(occ) == 0 {
		fmt.Fprintf(w, "  no sessions from %s\n", from.In(loc).Format(time.DateOnly))
		return nil
	}
	leads := slices.Clone(rs.Leads)
	slices.SortFunc(leads, func(a, b time.Duration) int { return int(b - a) }) // earliest reminder first
	const local = "Mon 2006-01-02 15:04 MST"
	prevOff, havePrev := 0, false
	for _, o := range occ {
		lt := o.Start.In(loc)
		_, off := lt.Zone()
		line := fmt.Sprintf("  #%-3d %s  = %s UTC", o.Number, lt.Format(local), o.Start.UTC().Format("2006-01-02 15:04"))
		if t, _ := splitTopic(p.Topic(o.Number)); t != "" {
			line += "  — " + t
		}
		fmt.Fprintln(w, line)
		if havePrev && off != prevOff {
			stays := "; it stays at its local time"
			if o.Shifted {
				stays = ""
			}
			fmt.Fprintf(w, "       ! clocks change before this session: UTC%s → UTC%s%s\n", offset(prevOff), offset(off), stays)
		}
		if o.Shifted {
			fmt.Fprintf(w, "       ! %s does not exist in %s that day (clocks go forward): held at %s\n", o.Clock(), zone, lt.Format("15:04 MST"))
		}
		prevOff, havePrev = off, true
		for _, l := range leads {
			at := o.Start.Add(-l).In(loc)
			mark := ""
			if _, roff := at.Zone(); roff != off {
				mark = fmt.Sprintf("  ! clocks change in between: %s local before a %s session", at.Format("15:04 MST"), lt.Format("15:04 MST"))
			}
			fmt.Fprintf(w, "       reminder %-6s %s  = %s UTC%s\n", LeadName(l)+":", at.Format(local), at.UTC().Format("2006-01-02 15:04"), mark)
		}
	}
	return nil
}

func offset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return fmt.Sprintf("%s%02d:%02d", sign, sec/3600, sec%3600/60)
}

func seriesBounds(p *schedule.Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, ", from %s", p.Starts())
	if p.Count() > 0 {
		b.WriteString(", " + bot.Plural(p.Count(), "session", "sessions"))
	}
	if u := p.Until(); u != "" {
		fmt.Fprintf(&b, ", until %s", u)
	}
	return b.String()
}
