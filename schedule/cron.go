package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Cron is a cron expression read in a zone, for work that repeats on a
// schedule of its own rather than as a numbered series of sessions, such as
// a check-in's between.cron. Its instants follow a series' rules: a wall
// time that does not exist that day (clocks turned forward over it) fires
// at the first instant after the gap, several in one gap fire once, and one
// that occurs twice (clocks turned back) fires once, at its first. A Cron is
// immutable and safe for concurrent use.
type Cron struct {
	matcher
	loc  *time.Location
	expr string
}

// ParseCron reads expr, a five-field cron expression or a descriptor such
// as @weekly, in zone loc. It refuses what a series' cron: refuses: a
// CRON_TZ= or TZ= prefix (the zone is loc), an @every interval, a malformed
// expression, and one that selects no day (30 February).
func ParseCron(expr string, loc *time.Location) (*Cron, error) {
	if loc == nil {
		return nil, &Error{Field: "cron", Msg: "the group has no time zone: set timezone: to an IANA name such as Europe/London or America/New_York"}
	}
	m, err := parseCron(strings.TrimSpace(expr))
	if err != nil {
		return nil, &Error{Field: "cron", Msg: err.Error()}
	}
	c := &Cron{matcher: m, loc: loc, expr: strings.TrimSpace(expr)}
	// Every day pattern recurs within nine years (29 February included),
	// so one that matches no day in nine years never fires.
	day, fires := civil{2000, time.January, 1}, false
	for i := 0; i < searchDays && !fires; i++ {
		fires, day = m.dayMatches(day), day.next()
	}
	if !fires {
		return nil, &Error{Field: "cron", Msg: fmt.Sprintf("cron: %q never fires: check the day and month fields (for example, 30 February does not exist); Fridays at noon are \"0 12 * * FRI\"", c.expr)}
	}
	return c, nil
}

// CheckCron reports what ParseCron refuses about expr in loc: the hook
// config uses for a check-in's between.cron.
func CheckCron(expr string, loc *time.Location) error {
	_, err := ParseCron(expr, loc)
	return err
}

// Next returns the first instant after t that c selects, and false when
// there is none within nine years.
func (c *Cron) Next(t time.Time) (time.Time, bool) {
	day := civilOf(t.In(c.loc)).addDays(-2)
	start, _, _, _, ok := c.matcher.next(c.loc, day, -1, civil{}, civil{}, t)
	return start, ok
}

// Location returns the zone c is read in.
func (c *Cron) Location() *time.Location { return c.loc }

// String returns the expression as given, without surrounding space.
func (c *Cron) String() string { return c.expr }
