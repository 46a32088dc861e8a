package schedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// TestPlan_DST runs daily and weekly schedules across DST days, in the
// style of robfig/cron's spec_test.go: the zone, the schedule, the local day
// to look at, and the instant (UTC) each session that day must start at.
func TestPlan_DST(t *testing.T) {
	cases := []struct {
		name   string
		zone   string
		weekly string
		cron   string
		day    string   // local date
		want   []string // RFC 3339 instants of the sessions that local day
	}{
		// Clocks go 02:00 EST → 03:00 EDT: 02:30 does not exist and moves
		// to 03:00, once.
		{"NewYork/SpringForward/0230", "America/New_York", "", "30 2 * * *", "2026-03-08", []string{"2026-03-08T03:00:00-04:00"}},
		{"NewYork/SpringForward/0130", "America/New_York", "", "30 1 * * *", "2026-03-08", []string{"2026-03-08T01:30:00-05:00"}},
		{"NewYork/DayAfterSpring/0230", "America/New_York", "", "30 2 * * *", "2026-03-09", []string{"2026-03-09T02:30:00-04:00"}},
		// Clocks go 02:00 EDT → 01:00 EST: 01:30 happens twice; the first.
		{"NewYork/FallBack/0130", "America/New_York", "", "30 1 * * *", "2026-11-01", []string{"2026-11-01T01:30:00-04:00"}},
		{"NewYork/FallBack/0230", "America/New_York", "", "30 2 * * *", "2026-11-01", []string{"2026-11-01T02:30:00-05:00"}},
		// Two wall times in one gap both move to its end: held once.
		{"NewYork/TwoInGap", "America/New_York", "", "15,45 2 * * *", "2026-03-08", []string{"2026-03-08T03:00:00-04:00"}},
		// Sunday weekly at 18:00 keeps 18:00 local on both sides.
		{"NewYork/WeeklyAcrossSpring", "America/New_York", "sun 18:00", "", "2026-03-08", []string{"2026-03-08T18:00:00-04:00"}},
		{"NewYork/WeeklyBeforeSpring", "America/New_York", "sun 18:00", "", "2026-03-01", []string{"2026-03-01T18:00:00-05:00"}},
		// London: 01:00 GMT → 02:00 BST on 29 March 2026; back on 25 October.
		{"London/SpringForward/0130", "Europe/London", "", "30 1 * * *", "2026-03-29", []string{"2026-03-29T02:00:00+01:00"}},
		{"London/FallBack/0130", "Europe/London", "", "30 1 * * *", "2026-10-25", []string{"2026-10-25T01:30:00+01:00"}},
		{"London/Weekly", "Europe/London", "tue 18:00", "", "2026-03-31", []string{"2026-03-31T18:00:00+01:00"}},
		// Lord Howe shifts by 30 minutes: 02:00 → 02:30 on 5 April 2026
		// (back), 02:00 → 02:30 forward on 4 October 2026.
		{"LordHowe/Forward/0215", "Australia/Lord_Howe", "", "15 2 * * *", "2026-10-04", []string{"2026-10-04T02:30:00+11:00"}},
		{"LordHowe/Forward/0230", "Australia/Lord_Howe", "", "30 2 * * *", "2026-10-04", []string{"2026-10-04T02:30:00+11:00"}},
		{"LordHowe/Back/0145", "Australia/Lord_Howe", "", "45 1 * * *", "2026-04-05", []string{"2026-04-05T01:45:00+11:00"}},
		{"LordHowe/BackTwoInRepeat", "Australia/Lord_Howe", "", "40,50 1 * * *", "2026-04-05", []string{"2026-04-05T01:40:00+11:00", "2026-04-05T01:50:00+11:00"}},
		// Sydney (southern hemisphere): forward 02:00 → 03:00 on 4 October
		// 2026, back 03:00 → 02:00 on 5 April 2026.
		{"Sydney/Forward/0230", "Australia/Sydney", "", "30 2 * * *", "2026-10-04", []string{"2026-10-04T03:00:00+11:00"}},
		{"Sydney/Back/0230", "Australia/Sydney", "", "30 2 * * *", "2026-04-05", []string{"2026-04-05T02:30:00+11:00"}},
		// Santiago changes at midnight: 24:00 → 01:00 on 6 September 2026.
		{"Santiago/Forward/0030", "America/Santiago", "", "30 0 * * *", "2026-09-06", []string{"2026-09-06T01:00:00-03:00"}},
		{"Santiago/Back/2330", "America/Santiago", "", "30 23 * * *", "2026-04-04", []string{"2026-04-04T23:30:00-03:00"}},
		// Kolkata has no DST.
		{"Kolkata/0230", "Asia/Kolkata", "", "30 2 * * *", "2026-03-08", []string{"2026-03-08T02:30:00+05:30"}},
		{"Kolkata/Weekly", "Asia/Kolkata", "mon,thu 09:30", "", "2026-11-26", []string{"2026-11-26T09:30:00+05:30"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := mustLoc(t, c.zone)
			day, err := time.ParseInLocation(time.DateOnly, c.day, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			// Start the series a week earlier so that the day is reached
			// by walking, as in production.
			s := bot.Schedule{Cron: c.cron, Weekly: c.weekly, Duration: 10 * time.Minute, Starts: day.AddDate(0, 0, -7).Format(time.DateOnly)}
			p, err := ParsePlan(s, loc)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for o, ok := p.First(); ok; o, ok = p.After(o) {
				lt := o.Start.In(loc)
				d := civilOf(lt)
				if c.day < d.String() {
					break
				}
				if d.String() == c.day {
					got = append(got, lt.Format(time.RFC3339))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("sessions on %s in %s = %v; want %v", c.day, c.zone, got, c.want)
			}
		})
	}
}

// TestWallTime_GoNormalisesBackwards documents why WallTime exists: Go's
// time.Date puts a wall time inside a spring-forward gap before the gap in
// New York, which would hold a 02:30 session at 01:30.
func TestWallTime_GoNormalisesBackwards(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	goTime := time.Date(2026, 3, 8, 2, 30, 0, 0, ny)
	got, shifted := WallTime(2026, 3, 8, 2, 30, ny)
	want := time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)
	if !got.Equal(want) || !shifted {
		t.Fatalf("WallTime(02:30 on spring-forward day) = %v shifted=%v; want %v shifted", got, shifted, want)
	}
	if !goTime.Before(want) {
		t.Logf("time.Date normalised forward here (%v); WallTime does not depend on it", goTime)
	}
}

// TestPlan_Property checks, for 12 zones over 10 years of daily sessions at
// several wall times, that every local day has its session exactly once, at
// its wall time, or — only when that wall time does not exist that day —
// at the first instant after the gap.
func TestPlan_Property(t *testing.T) {
	zones := []string{
		"America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago",
		"Australia/Sydney", "Asia/Kolkata", "Europe/Berlin", "America/Sao_Paulo",
		"Pacific/Auckland", "Asia/Tehran", "America/Havana", "Africa/Casablanca",
		"Pacific/Chatham", "America/St_Johns",
	}
	clocks := []string{"00:00", "00:30", "01:30", "02:00", "02:30", "03:00", "12:00", "23:30"}
	if testing.Short() {
		clocks = clocks[:4]
	}
	for _, z := range zones {
		loc := mustLoc(t, z)
		for _, clk := range clocks {
			t.Run(z+"/"+clk, func(t *testing.T) {
				s := bot.Schedule{Weekly: "mon,tue,wed,thu,fri,sat,sun " + clk, Duration: time.Minute, Starts: "2020-01-01", Until: "2029-12-31"}
				p, err := ParsePlan(s, loc)
				if err != nil {
					t.Fatal(err)
				}
				wantMin, _ := ParseClock(clk)
				day := civil{2020, 1, 1}
				var prev time.Time
				n := 0
				for o, ok := p.First(); ok; o, ok = p.After(o) {
					n++
					if o.Number != n {
						t.Fatalf("session %d numbered %d", n, o.Number)
					}
					if !o.Start.After(prev) {
						t.Fatalf("session %d at %v is not after the previous at %v (doubled)", n, o.Start, prev)
					}
					prev = o.Start
					lt := o.Start.In(loc)
					want := time.Date(day.y, day.m, day.d, wantMin/60, wantMin%60, 0, 0, time.UTC)
					got := wallOf(lt)
					switch {
					case got.Equal(want):
						if o.Shifted {
							t.Fatalf("%v at its wall time is marked shifted", lt)
						}
						// It must be the first instant showing that wall time.
						if e := o.Start.Add(-time.Hour); sameWall(e.In(loc), want) {
							t.Fatalf("%v: an earlier instant %v shows the same wall time", lt, e.In(loc))
						}
						if e := o.Start.Add(-30 * time.Minute); sameWall(e.In(loc), want) {
							t.Fatalf("%v: an earlier instant %v shows the same wall time", lt, e.In(loc))
						}
					case got.After(want):
						// Allowed only when the wall time does not exist:
						// the instant just before shows a time before it.
						if !o.Shifted {
							t.Fatalf("%v moved from %v without being marked shifted", lt, want)
						}
						if before := wallOf(o.Start.Add(-time.Second).In(loc)); !before.Before(want) {
							t.Fatalf("%v moved forward from %v, but %v existed", lt, want, before)
						}
					default:
						t.Fatalf("session on %s at %v is before its wall time %v", day, lt, want)
					}
					// The session belongs to day (or, moved past midnight,
					// to the day after a gap); the next is on the next day.
					if d := civilOf(lt); d != day && !(o.Shifted && d == day.next()) {
						t.Fatalf("session %d on local day %s; want %s (a day skipped or doubled)", n, d, day)
					}
					day = day.next()
				}
				if want := (civil{2030, 1, 1}); day != want {
					t.Fatalf("sessions ended before %s; want every day up to 2029-12-31", day)
				}
			})
		}
	}
}

func TestPlan_CountAndTopics(t *testing.T) {
	loc := mustLoc(t, "Europe/London")
	s := bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Starts: "2026-12-01", Count: 3, Topics: []string{"a", "b"}}
	p, err := NewPlan(s, loc, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	occ := p.Occurrences(time.Time{}, 10)
	if len(occ) != 3 {
		t.Fatalf("%d occurrences; want 3 (count)", len(occ))
	}
	if got := p.Topic(occ[1].Number); got != "b" {
		t.Fatalf("topic of session 2 = %q; want b", got)
	}
	if got := p.Topic(3); got != "" {
		t.Fatalf("topic of session 3 = %q; want none", got)
	}
	// A restart recovers the next session from a stored start alone.
	next, ok := p.After(Occurrence{Number: 1, Start: occ[0].Start})
	if !ok || !next.Start.Equal(occ[1].Start) || next.Number != 2 {
		t.Fatalf("After(stored session 1) = %+v, %v; want %v", next, ok, occ[1])
	}
	if o, ok := p.Next(occ[1].Start); !ok || o.Number != 3 {
		t.Fatalf("Next(after 2) = %+v; want session 3", o)
	}
}

// BenchmarkPlan_After measures computing the next occurrence of a weekly
// series, the work a reminder job does to schedule the next session.
func BenchmarkPlan_After(b *testing.B) {
	loc := mustLoc(b, "Europe/London")
	p, err := ParsePlan(bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Starts: "2026-01-01"}, loc)
	if err != nil {
		b.Fatal(err)
	}
	o, _ := p.First()
	b.ReportAllocs()
	for b.Loop() {
		next, ok := p.After(Occurrence{Number: o.Number, Start: o.Start})
		if !ok {
			b.Fatal("series ended")
		}
		o = next
	}
}
