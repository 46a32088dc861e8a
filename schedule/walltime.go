package schedule

import "time"

// WallTime returns the instant at which the clocks in loc show h:m on the
// given day. When that wall time occurs twice (clocks turned back), it is
// the first; when it does not occur (clocks turned forward over it), it is
// the first valid instant after the gap, and shifted is true. Go's time.Date
// picks either side of a gap, so this does not rely on its normalisation.
func WallTime(y int, mo time.Month, d, h, m int, loc *time.Location) (t time.Time, shifted bool) {
	want := time.Date(y, mo, d, h, m, 0, 0, time.UTC)
	guess := time.Date(y, mo, d, h, m, 0, 0, loc)
	// Every instant showing this wall time has one of the offsets in force
	// around guess: its own zone's, the one before and the one after.
	offsets := []int{offsetAt(guess, loc)}
	if start, end := guess.ZoneBounds(); !start.IsZero() || !end.IsZero() {
		if !start.IsZero() {
			offsets = append(offsets, offsetAt(start.Add(-time.Second), loc))
		}
		if !end.IsZero() {
			offsets = append(offsets, offsetAt(end, loc))
		}
	}
	var best time.Time
	for _, off := range offsets {
		c := want.Add(-time.Duration(off) * time.Second).In(loc)
		if sameWall(c, want) && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	if !best.IsZero() {
		return best, false
	}
	// A gap: the first valid instant is the start of the zone that shows a
	// wall time after the one asked for.
	var first time.Time
	for _, off := range offsets {
		c := want.Add(-time.Duration(off) * time.Second).In(loc)
		if !wallAfter(c, want) {
			continue
		}
		start, _ := c.ZoneBounds()
		if start.IsZero() {
			continue
		}
		start = start.In(loc)
		if wallAfter(start, want) && !wallAfter(start.Add(-time.Second), want) && (first.IsZero() || start.Before(first)) {
			first = start
		}
	}
	if !first.IsZero() {
		return first, true
	}
	// Not reached for real zones; step forward a minute at a time so that
	// the answer is still never earlier than the wall time.
	c := guess
	for i := 0; i < 24*60 && !wallAfter(c, want) && !sameWall(c, want); i++ {
		c = c.Add(time.Minute)
	}
	return c, true
}

func offsetAt(t time.Time, loc *time.Location) int {
	_, off := t.In(loc).Zone()
	return off
}

// wallOf returns t's wall clock as a UTC time with the same fields.
func wallOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

func sameWall(t, want time.Time) bool { return wallOf(t).Equal(want) }

func wallAfter(t, want time.Time) bool { return wallOf(t).After(want) }
