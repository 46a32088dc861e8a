package schedule

import (
	"time"
)

// Numbering a session counts the sessions before it without walking the
// series: the selected (day, wall time) pairs before it, less those that a
// DST gap folded into an earlier one.

// cycleYears is the length of the Gregorian calendar's cycle: 400 years,
// 146097 days, exactly 20871 weeks, after which months, days of the month
// and weekdays repeat.
const cycleYears = 400

// maxTransitions bounds the walk over a zone's offset changes while
// counting (real zones have a few hundred up to today).
const maxTransitions = 1 << 20

// monthDays returns how many days of month mo of year y m selects, given
// the weekday of its 1st.
func (m *matcher) monthDays(y int, mo time.Month, first time.Weekday) int64 {
	if m.month&(1<<uint(mo)) == 0 {
		return 0
	}
	return int64(m.monthLen[daysIn(y, mo)-28][first])
}

// cycleDays returns how many days of one 400-year cycle m selects.
func (m *matcher) cycleDays() int64 {
	var n int64
	first := civil{2000, time.January, 1}.weekday()
	for y := 2000; y < 2000+cycleYears; y++ {
		for mo := time.January; mo <= time.December; mo++ {
			n += m.monthDays(y, mo, first)
			first = (first + time.Weekday(daysIn(y, mo))) % 7
		}
	}
	return n
}

// matchingDays counts the days in [a, b) that m selects: day by day up to
// a month's start, then a month at a time (whole 400-year cycles at once),
// then day by day again.
func (m *matcher) matchingDays(a, b civil) int64 {
	var n int64
	if !a.before(b) {
		return 0
	}
	if years := b.y - a.y; years > cycleYears {
		q := (years - 1) / cycleYears
		n += int64(q) * m.cycleDays()
		a.y += q * cycleYears // the same month, day and weekday
	}
	for a.before(b) && a.d != 1 {
		if m.dayMatches(a) {
			n++
		}
		a = a.next()
	}
	first := a.weekday()
	for {
		next := a.nextMonth()
		if b.before(next) {
			break
		}
		n += m.monthDays(a.y, a.m, first)
		first = (first + time.Weekday(daysIn(a.y, a.m))) % 7
		a = next
	}
	for a.before(b) {
		if m.dayMatches(a) {
			n++
		}
		a = a.next()
	}
	return n
}

// number returns the session number of the occurrence chosen by wall time
// minute on day: one more than the sessions of the series before it.
func (p *Plan) number(day civil, minute int) int64 {
	return p.selectedBefore(day, minute) - p.foldedBefore(day, minute) + 1
}

// selectedBefore counts the (day, wall time) pairs the plan selects from
// its first day up to, not including, minute on day.
func (p *Plan) selectedBefore(day civil, minute int) int64 {
	if day.before(p.starts) {
		return 0
	}
	n := p.matchingDays(p.starts, day) * int64(len(p.times))
	if p.dayMatches(day) {
		n += int64(p.timesBefore(minute))
	}
	return n
}

// foldedBefore counts the selected pairs before minute on day that held no
// session of their own: in each gap where the clocks jump forward, every
// selected wall time from the gap's start up to and including its end
// moves to the instant the gap ends (see WallTime), and that instant holds
// one session. Each gap is found from the zone's transitions between the
// series' first day and day.
func (p *Plan) foldedBefore(day civil, minute int) int64 {
	lo := p.starts.at(0).Add(-48 * time.Hour)
	hi := day.at(minute).Add(48 * time.Hour)
	var n int64
	t := lo
	for i := 0; i < maxTransitions; i++ {
		_, end := t.In(p.loc).ZoneBounds()
		if end.IsZero() || !end.Before(hi) {
			break
		}
		_, before := end.Add(-time.Nanosecond).In(p.loc).Zone()
		_, after := end.In(p.loc).Zone()
		if after > before {
			// Wall clocks read gapStart just before the change and gapEnd
			// at it; the wall times in [gapStart, gapEnd) do not exist.
			gapStart := end.Add(time.Duration(before) * time.Second).UTC()
			gapEnd := end.Add(time.Duration(after) * time.Second).UTC()
			if k := p.selectedIn(gapStart, gapEnd, day, minute); k > 1 {
				n += k - 1
			}
		}
		t = end
	}
	return n
}

// selectedIn counts the selected pairs whose wall time lies in [from, to]
// and that come before minute on day.
func (p *Plan) selectedIn(from, to time.Time, day civil, minute int) int64 {
	var k int64
	first, last := civilOf(from), civilOf(to)
	for d := first; !last.before(d); d = d.next() {
		if d.before(p.starts) || day.before(d) || !p.dayMatches(d) {
			continue
		}
		lo, hi := 0, 24*60 // selected times in [lo, hi)
		if d == first {
			lo = from.Hour()*60 + from.Minute()
			if from.Second() > 0 || from.Nanosecond() > 0 {
				lo++ // a wall time at hh:mm:00 before from is outside
			}
		}
		if d == last {
			hi = to.Hour()*60 + to.Minute() + 1
		}
		if d == day {
			hi = min(hi, minute)
		}
		if lo < hi {
			k += int64(p.timesBefore(hi) - p.timesBefore(lo))
		}
	}
	return k
}
