package schedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// TestPlan_NextMatchesWalk holds Next, which counts the sessions before the
// one it finds, to the series walked one session at a time from its first:
// the same session, with the same number, from every point of the walk.
// The zones and crons are chosen to cross every kind of clock change: gaps
// holding several selected wall times (held once), gaps at midnight, a
// 30-minute shift, a whole skipped day (Samoa, 30 December 2011), local
// mean time with seconds in its offset, and both day fields restricted.
func TestPlan_NextMatchesWalk(t *testing.T) {
	cases := []struct {
		zone, cron, weekly string
		starts, until      string
		count              int
		years              int
		every              int // check Next at every n-th session (and at every shifted one)
	}{
		{"America/New_York", "*/15 1-3 * * *", "", "2019-01-01", "", 0, 3, 7},
		{"America/New_York", "30 2 * * *", "", "2015-02-27", "", 0, 6, 1},
		{"Europe/London", "0 1,2 * * *", "", "1840-01-01", "", 0, 190, 97},
		{"Europe/London", "", "sun 01:30", "2020-01-01", "", 40, 1, 1},
		{"Australia/Lord_Howe", "10,20,40,50 1,2 * * *", "", "2018-01-01", "", 0, 4, 5},
		{"America/Santiago", "0,30 0 * * *", "", "2016-01-01", "2022-12-31", 0, 8, 3},
		{"Pacific/Apia", "0 0,12,23 * * *", "", "2011-12-01", "", 0, 1, 1},
		{"America/St_Johns", "0 0 1,15 * MON", "", "1900-01-01", "", 0, 130, 31},
		{"Africa/Casablanca", "0 2,3 * * *", "", "2018-01-01", "", 0, 6, 11},
		{"Antarctica/Troll", "0 1-3 * * *", "", "2005-01-01", "", 0, 5, 13},
		{"Asia/Kolkata", "", "mon,thu 09:30", "0001-01-01", "", 0, 0, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s%s/%s", c.zone, c.cron, c.weekly, c.starts), func(t *testing.T) {
			loc := mustLoc(t, c.zone)
			p, err := ParsePlan(bot.Schedule{Cron: c.cron, Weekly: c.weekly, Duration: time.Minute, Starts: c.starts, Until: c.until, Count: c.count}, loc)
			if err != nil {
				t.Fatal(err)
			}
			first, ok := p.First()
			if !ok {
				t.Fatal("no first session")
			}
			if got, ok := p.Next(first.Start.Add(-time.Second)); !ok || got.Number != 1 || !got.Start.Equal(first.Start) {
				t.Fatalf("Next(before the first) = %+v, %v; want session 1 at %v", got, ok, first.Start)
			}
			end := first.Start.AddDate(c.years, 0, 0)
			prev, n, checked := first, 1, 0
			for {
				o, ok := p.After(prev)
				if !ok || o.Start.After(end) {
					// The series ends where the walk ends (count, until).
					if !ok {
						if got, ok := p.Next(prev.Start); ok {
							t.Fatalf("after the last session (%d at %v) Next found %+v", prev.Number, prev.Start, got)
						}
					}
					break
				}
				n++
				if o.Number != n {
					t.Fatalf("the walk numbered session %d as %d", n, o.Number)
				}
				if n%c.every == 0 || o.Shifted || prev.Shifted {
					checked++
					for _, from := range []time.Time{prev.Start, o.Start.Add(-time.Second)} {
						got, ok := p.Next(from)
						if !ok || got.Number != o.Number || !got.Start.Equal(o.Start) || got.Shifted != o.Shifted {
							t.Fatalf("Next(%v) = %+v, %v; the walk has session %d at %v (shifted %v)", from.In(loc), got, ok, o.Number, o.Start.In(loc), o.Shifted)
						}
					}
				}
				prev = o
			}
			if checked == 0 && c.years > 0 {
				t.Fatal("nothing was checked")
			}
		})
	}
}

// TestPlan_NextFarPast: a series whose starts: is in year 1 is numbered
// without walking it (issue 9, point 21: such a config made tend check and
// tend run spin for minutes). Every minute in UTC, the number is the
// minutes elapsed since 0001-01-01 00:00, plus one.
func TestPlan_NextFarPast(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 34, 30, 0, time.UTC)
	p, err := NewPlan(bot.Schedule{Cron: "* * * * *", Duration: time.Minute, Starts: "0001-01-01", Until: "2030-01-01"}, time.UTC, now)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := p.Next(now)
	want := (time.Date(2026, 3, 10, 12, 35, 0, 0, time.UTC).Unix()-time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix())/60 + 1
	if !ok || int64(o.Number) != want || !o.Start.Equal(time.Date(2026, 3, 10, 12, 35, 0, 0, time.UTC)) {
		t.Fatalf("Next = %+v, %v; want session %d at 12:35", o, ok, want)
	}
	occ := p.Occurrences(now, 3)
	if len(occ) != 3 || int64(occ[0].Number) != want || occ[2].Number != occ[0].Number+2 {
		t.Fatalf("Occurrences = %+v", occ)
	}
	// A count-bounded series from year 1 knows that it has ended.
	if _, err := NewPlan(bot.Schedule{Cron: "* * * * *", Duration: time.Minute, Starts: "0001-01-01", Count: 10000}, time.UTC, now); err == nil {
		t.Fatal("a series whose 10000 sessions were in year 1 was accepted")
	}
	// Weekly from year 1 in a zone with centuries of changes: the weeks
	// elapsed, counted by the calendar.
	ny := mustLoc(t, "America/New_York")
	w, err := NewPlan(bot.Schedule{Weekly: "mon 18:00", Duration: time.Hour, Starts: "0001-01-01"}, ny, now)
	if err != nil {
		t.Fatal(err)
	}
	o, ok = w.Next(now)
	// 0001-01-01 was a Monday; 2026-03-16 is one too.
	weeks := (time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC).Unix() - time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) / (7 * 86400)
	if !ok || int64(o.Number) != weeks+1 || o.Start.In(ny).Format("2006-01-02 15:04") != "2026-03-16 18:00" {
		t.Fatalf("weekly from year 1: %+v, %v; want session %d on 2026-03-16 18:00", o, ok, weeks+1)
	}
}

// BenchmarkPlan_Next measures finding and numbering the next session of a
// series, from a start date last year and from year 1.
func BenchmarkPlan_Next(b *testing.B) {
	now := time.Date(2026, 3, 10, 12, 34, 30, 0, time.UTC)
	for _, c := range []struct{ name, cron, starts, zone string }{
		{"Weekly/LastYear/London", "0 18 * * TUE", "2025-01-01", "Europe/London"},
		{"Weekly/Year1/NewYork", "0 18 * * TUE", "0001-01-01", "America/New_York"},
		{"EveryMinute/Year1/NewYork", "* * * * *", "0001-01-01", "America/New_York"},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, err := ParsePlan(bot.Schedule{Cron: c.cron, Duration: time.Minute, Starts: c.starts}, mustLoc(b, c.zone))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := p.Next(now); !ok {
					b.Fatal("no next session")
				}
			}
		})
	}
}

// TestMatcher_MatchingDays holds the month-at-a-time and cycle-at-a-time
// count of matching days to a count made day by day, over ranges short and
// long (more than one 400-year cycle), for day fields alone, together
// (either may match) and with months restricted.
func TestMatcher_MatchingDays(t *testing.T) {
	specs := []string{"0 0 * * *", "0 0 29 2 *", "0 0 13 * FRI", "0 0 1,31 1,3,12 *", "0 0 * 2 MON-WED", "0 0 L * *"}
	ranges := [][2]civil{
		{{2026, 3, 10}, {2026, 3, 10}},
		{{2026, 3, 10}, {2026, 3, 11}},
		{{2026, 1, 31}, {2026, 3, 1}},
		{{1999, 12, 15}, {2001, 2, 3}},
		{{1, 1, 1}, civil{1, 1, 1}.addDays(146097)},
		{{1600, 2, 29}, {2431, 7, 4}},
		{{3, 5, 17}, {1204, 11, 30}},
	}
	for _, spec := range specs {
		m, err := parseCron(spec)
		if err != nil {
			if spec == "0 0 L * *" {
				continue // robfig/cron has no L; the case shows the parser refuses it
			}
			t.Fatal(err)
		}
		for _, r := range ranges {
			var want int64
			for d := r[0]; d.before(r[1]); d = d.next() {
				if m.dayMatches(d) {
					want++
				}
			}
			if got := m.matchingDays(r[0], r[1]); got != want {
				t.Errorf("%q over [%s, %s): %d matching days; counted one by one, %d", spec, r[0], r[1], got, want)
			}
		}
	}
}
