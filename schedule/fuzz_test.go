package schedule

import (
	"errors"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// fuzzZones are the zones FuzzSchedule picks from: every kind of clock
// change (30-minute shifts, changes at midnight, a skipped day, none).
var fuzzZones = []string{"UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Pacific/Apia", "Asia/Kolkata", "America/St_Johns"}

// FuzzSchedule reads arbitrary weekly and cron specs, as a series (through
// Validate, with arbitrary starts:, count: and duration) and as a cron of
// their own (ParseCron). Neither may panic or spin; a refusal is an *Error
// naming a setting; and what is accepted computes consistently: sessions
// come in order, numbered one by one, and Next finds each of them again,
// with its number, without walking the series.
func FuzzSchedule(f *testing.F) {
	for _, s := range []struct {
		weekly       bool
		spec, starts string
		count, mins  int
		zone         uint8
	}{
		{true, "tue 18:00", "2026-12-01", 8, 90, 1},
		{true, "mon,thu 09:30", "0001-01-01", 0, 60, 2},
		{false, "0 18 * * TUE", "2026-03-01", 0, 60, 1},
		{false, "*/15 1-3 * * *", "2026-03-01", 0, 10, 1},
		{false, "30 2 * * *", "2011-12-25", 30, 30, 5},
		{false, "0 0 29 2 *", "2000-01-01", 0, 60, 0},
		{false, "* * * * *", "0001-01-01", 0, 1, 3},
		{false, "CRON_TZ=UTC 0 0 * * *", "2026-01-01", 0, 60, 0},
		{false, "@every 1h", "", 0, 60, 0},
		{false, "0 0 30 2 *", "", 0, 60, 0},
		{false, "0 0 1,15 * MON", "1900-01-01", 0, 60, 7},
	} {
		f.Add(s.weekly, s.spec, s.starts, s.count, s.mins, s.zone)
	}
	locs := make([]*time.Location, len(fuzzZones))
	for i, z := range fuzzZones {
		locs[i] = mustLoc(f, z)
	}
	now := time.Date(2026, 3, 10, 12, 34, 30, 0, time.UTC)
	f.Fuzz(func(t *testing.T, weekly bool, spec, starts string, count, mins int, zone uint8) {
		loc := locs[int(zone)%len(locs)]
		s := bot.Schedule{Starts: starts, Count: count, Duration: time.Duration(mins) * time.Minute}
		if weekly {
			s.Weekly = spec
		} else {
			s.Cron = spec
		}
		p, err := NewPlan(s, loc, now)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Msg == "" {
				t.Fatalf("NewPlan(%+v) refused with %T %v; want an *Error", s, err, err)
			}
		} else {
			checkPlan(t, p, now)
		}
		c, err := ParseCron(spec, loc)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Field != "cron" {
				t.Fatalf("ParseCron(%q) refused with %T %v; want an *Error for cron", spec, err, err)
			}
			return
		}
		at := now
		for i := 0; i < 5; i++ {
			next, ok := c.Next(at)
			if !ok {
				t.Fatalf("ParseCron(%q) accepted, but Next(%v) found nothing", spec, at)
			}
			if !next.After(at) {
				t.Fatalf("ParseCron(%q).Next(%v) = %v, not after it", spec, at, next)
			}
			at = next
		}
	})
}

// checkPlan walks a few sessions of an accepted plan from now and holds
// Next to the walk.
func checkPlan(t *testing.T, p *Plan, now time.Time) {
	t.Helper()
	o, ok := p.Next(now)
	if !ok {
		if p.Count() == 0 && p.Until() == "" {
			t.Fatalf("unbounded plan %+v has no session after %v", p.Schedule(), now)
		}
		return
	}
	if o.Number < 1 || (p.Count() > 0 && o.Number > p.Count()) || !o.Start.After(now) || o.End.Sub(o.Start) != p.Duration() {
		t.Fatalf("Next(%v) = %+v for %+v", now, o, p.Schedule())
	}
	for i := 0; i < 4; i++ {
		n, ok := p.After(o)
		if !ok {
			return
		}
		if n.Number != o.Number+1 || !n.Start.After(o.Start) {
			t.Fatalf("after session %d at %v came %d at %v, for %+v", o.Number, o.Start, n.Number, n.Start, p.Schedule())
		}
		if got, ok := p.Next(o.Start); !ok || got.Number != n.Number || !got.Start.Equal(n.Start) {
			t.Fatalf("Next(%v) = %+v, %v; the walk has session %d at %v, for %+v", o.Start, got, ok, n.Number, n.Start, p.Schedule())
		}
		o = n
	}
}
