package schedule

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

// searchDays bounds every search for the next occurrence. A schedule that
// fires at all fires within this many days (29 February comes at least once
// in 8 years, even across 2100).
const searchDays = 9*366 + 1

// Plan is a validated schedule in its group's zone: which local wall times
// of which local calendar days hold a session, from which date, until which
// date or for how many sessions. It computes occurrences day by day in the
// zone, so that DST changes neither skip nor double a session; robfig/cron is
// used only to parse cron expressions. A Plan is immutable and safe for
// concurrent use.
type Plan struct {
	matcher
	loc    *time.Location
	starts civil // first day that may hold a session
	until  civil // last day; zero: none
	count  int   // number of sessions; 0: unbounded
	sched  bot.Schedule
}

func parseDate(field, s string) (civil, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return civil{}, fieldErr(field, "%s: %q is not a date: write YYYY-MM-DD (year, month, day)", field, s)
	}
	return civilOf(t), nil
}

// specField names the setting that says when: cron or weekly.
func (p *Plan) specField() string {
	if strings.TrimSpace(p.sched.Cron) != "" {
		return "cron"
	}
	return "weekly"
}

// NewPlan validates s for a group in loc as of now and returns its Plan.
// It refuses, with an *Error naming the setting: both or neither of cron:
// and weekly:, a cron expression that does not parse or names its own
// zone (the zone is the group's), an unknown weekday, a duration outside
// MinDuration–MaxDuration or not in whole minutes, a count above MaxCount,
// count: together with until:, until: before starts: or in the past, a
// starts: more than MaxStartsAhead years ahead, more topics than sessions,
// sessions that overlap, a schedule that never fires, and a bounded series
// whose sessions all lie in the past. An empty Starts means today in loc.
//
// A series that is valid but has ended (IsEnded) is returned with its
// error, so that a caller that accepts one — a config file's finished
// course — can still store it.
func NewPlan(s bot.Schedule, loc *time.Location, now time.Time) (*Plan, error) {
	if strings.TrimSpace(s.Starts) == "" && loc != nil {
		// "Empty: today" is resolved once, here, so that a plan rebuilt
		// later from the stored schedule numbers its sessions the same way.
		s.Starts = now.In(loc).Format(time.DateOnly)
	}
	p, err := ParsePlan(s, loc)
	if err != nil {
		return nil, err
	}
	if err := p.checkLimits(); err != nil {
		return nil, err
	}
	today := civilOf(now.In(loc))
	if limit := (civil{today.y + MaxStartsAhead, today.m, today.d}); limit.before(p.starts) {
		return nil, fieldErr("starts", "starts: %s is more than %d years ahead: write a date within %d years, such as %s", p.starts, MaxStartsAhead, MaxStartsAhead, today.addDays(7))
	}
	if !p.until.isZero() && p.until.before(today) {
		return p, &Error{Field: "until", Ended: true, Msg: fmt.Sprintf("until: %s is in the past, so no session would be held: write a later date, or leave until out", p.until)}
	}
	if _, ok := p.First(); !ok {
		return nil, fieldErr(p.specField(), "%s never holds a session between %s and %s: check the day and month fields (for example, 30 February does not exist); a weekly session on Tuesdays at 18:00 is cron: \"0 18 * * TUE\" or weekly: \"tue 18:00\"", p.Describe(), p.starts, p.endForMessage())
	}
	if p.count > 0 || !p.until.isZero() {
		// A bounded series must still have a session to come.
		if _, ok := p.Next(now); !ok {
			field := "until"
			if p.count > 0 {
				field = "count"
			}
			return p, &Error{Field: field, Ended: true, Msg: fmt.Sprintf("every session of this series is already in the past (it began on %s): write a later starts: date, a later until: or a larger count:", p.starts)}
		}
	}
	return p, nil
}

// ParsePlan reads s in loc without judging it: it refuses only what
// leaves nothing to compute (no zone, a spec or date that does not parse,
// both or neither of cron: and weekly:, a duration or count below zero).
// It reads a schedule that was valid when it was stored, so that a limit
// added later never stops a stored series; NewPlan applies the limits.
func ParsePlan(s bot.Schedule, loc *time.Location) (*Plan, error) {
	if loc == nil {
		return nil, errNoZone
	}
	cronSpec, weekly := strings.TrimSpace(s.Cron), strings.TrimSpace(s.Weekly)
	p := &Plan{loc: loc, sched: s}
	var err error
	switch {
	case cronSpec != "" && weekly != "":
		return nil, fieldErr("cron", "the schedule has both cron: and weekly:; keep one of them, for example weekly: \"tue 18:00\"")
	case cronSpec == "" && weekly == "":
		return nil, fieldErr("weekly", "the schedule says neither when nor how often: write weekly: \"tue 18:00\" (or \"mon,thu 09:30\"), or a cron expression such as cron: \"0 18 * * TUE\"")
	case cronSpec != "":
		p.matcher, err = parseCron(cronSpec)
	default:
		p.matcher, err = parseWeekly(weekly)
	}
	if err != nil {
		return nil, &Error{Field: p.specField(), Msg: err.Error()}
	}
	if s.Duration <= 0 {
		return nil, checkDuration(s.Duration)
	}
	if s.Count < 0 {
		return nil, fieldErr("count", "count: a series needs at least one session: write count: 8 for eight sessions, or leave count out for a series that runs until you stop it")
	}
	p.count = s.Count
	if strings.TrimSpace(s.Starts) == "" {
		return nil, fieldErr("starts", "starts: write the date of the first session, YYYY-MM-DD")
	}
	if p.starts, err = parseDate("starts", s.Starts); err != nil {
		return nil, err
	}
	if strings.TrimSpace(s.Until) != "" {
		if p.until, err = parseDate("until", s.Until); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkLimits applies the limits that do not depend on the current time.
func (p *Plan) checkLimits() error {
	s := p.sched
	if err := checkDuration(s.Duration); err != nil {
		return err
	}
	switch {
	case s.Count > MaxCount:
		return fieldErr("count", "count: %d sessions are more than %d: write a smaller count, or leave count out for a series that runs until you stop it", s.Count, MaxCount)
	case s.Count > 0 && !p.until.isZero():
		return fieldErr("until", "count: and until: both end the series: keep one of them, count: for a number of sessions or until: for a last date")
	case !p.until.isZero() && p.until.before(p.starts):
		return fieldErr("until", "until: %s is before starts: %s: write an until: on or after the start date", p.until, p.starts)
	case p.count > 0 && len(s.Topics) > p.count:
		return fieldErr("topics", "topics: there are %s but count: %s; remove the extra topics or raise count:", bot.Plural(len(s.Topics), "topic", "topics"), bot.Plural(p.count, "session", "sessions"))
	case s.Link != "" && !strings.HasPrefix(s.Link, "https://") && !strings.HasPrefix(s.Link, "http://"):
		return fieldErr("link", "link: %q is not a web address: write the full meeting link, starting with https://", s.Link)
	}
	return p.checkOverlap()
}

// checkOverlap refuses a schedule whose sessions would run into each other,
// judged on wall times (an hour's DST shift does not count).
func (p *Plan) checkOverlap() error {
	mins := int(p.sched.Duration / time.Minute)
	for i := 1; i < len(p.times); i++ {
		if p.times[i]-p.times[i-1] < mins {
			return fieldErr("duration", "sessions every %s cannot last %s: they would overlap; write a shorter duration: or a schedule with fewer times a day", bot.Plural(p.times[i]-p.times[i-1], "minute", "minutes"), shortDur(p.sched.Duration))
		}
	}
	if len(p.times) > 0 && p.times[0]+24*60-p.times[len(p.times)-1] < mins && len(p.times) > 1 {
		return fieldErr("duration", "a session at %s would run into the next day's first session: write a shorter duration:", clockString(p.times[len(p.times)-1]))
	}
	return nil
}

// Describe names the plan's schedule as written: cron: "…" or weekly: "…".
func (p *Plan) Describe() string {
	if p.sched.Cron != "" {
		return fmt.Sprintf("cron: %q", p.sched.Cron)
	}
	return fmt.Sprintf("weekly: %q", p.sched.Weekly)
}

func (p *Plan) endForMessage() string {
	if !p.until.isZero() {
		return p.until.String()
	}
	return "nine years later"
}

// Location returns the plan's zone.
func (p *Plan) Location() *time.Location { return p.loc }

// Duration returns the length of each session.
func (p *Plan) Duration() time.Duration { return p.sched.Duration }

// Schedule returns the schedule the plan was made from.
func (p *Plan) Schedule() bot.Schedule { return p.sched }

// Count returns the number of sessions, 0 when unbounded.
func (p *Plan) Count() int { return p.count }

// Starts returns the date of the series' first possible session,
// YYYY-MM-DD in the plan's zone.
func (p *Plan) Starts() string { return p.starts.String() }

// Until returns the series' last possible day, YYYY-MM-DD, or "" when it
// has none.
func (p *Plan) Until() string {
	if p.until.isZero() {
		return ""
	}
	return p.until.String()
}

// Occurrence is one computed session time.
type Occurrence struct {
	Number int // 1-based from the series' first session
	Start  time.Time
	End    time.Time
	// Shifted is set when the wall time did not exist that day (a DST
	// gap) and the session moved forward to the first valid instant.
	Shifted bool
	// day and minute are the local date and wall time that chose it.
	day    civil
	minute int
}

// Clock returns the wall time that chose o, "HH:MM": for a shifted
// occurrence, the time that did not exist that day.
func (o Occurrence) Clock() string { return clockString(o.minute) }

// Topic returns the series' topic for session number n, or "".
func (p *Plan) Topic(n int) string {
	if n >= 1 && n <= len(p.sched.Topics) {
		return p.sched.Topics[n-1]
	}
	return ""
}

// First returns the series' first occurrence, on or after its start date.
func (p *Plan) First() (Occurrence, bool) {
	return p.scan(p.starts, -1, 1, time.Time{})
}

// After returns the occurrence that follows prev in the series, or false
// when the series has ended (count reached, past until, or no match within
// nine years). It looks at the days from prev's on, so it costs the same
// whatever prev's number.
func (p *Plan) After(prev Occurrence) (Occurrence, bool) {
	if p.count > 0 && prev.Number >= p.count {
		return Occurrence{}, false
	}
	day, minute := prev.day, prev.minute
	if day.isZero() {
		// prev came from outside (the store): recover its local day and
		// wall time; a shifted start maps to the time it was shifted to,
		// which is after the wall time that chose it, so nothing repeats.
		lt := prev.Start.In(p.loc)
		day, minute = civilOf(lt), lt.Hour()*60+lt.Minute()
	}
	return p.scan(day, minute, prev.Number+1, prev.Start)
}

// Next returns the first occurrence that starts after t, numbered from the
// series' first. It never walks the series from its start: it looks for
// the occurrence from t's local day (a session moved past midnight by a
// DST gap belongs to the day before), then counts the sessions before it
// (see number), so that a series whose starts: is centuries back costs
// what one that started last week does.
func (p *Plan) Next(t time.Time) (Occurrence, bool) {
	day := civilOf(t.In(p.loc)).addDays(-2)
	if day.before(p.starts) {
		day = p.starts
	}
	o, ok := p.scan(day, -1, 0, t)
	if !ok {
		return Occurrence{}, false
	}
	n := p.number(o.day, o.minute)
	if p.count > 0 && n > int64(p.count) {
		return Occurrence{}, false
	}
	o.Number = int(n)
	return o, true
}

// Occurrences returns up to n occurrences that start at or after from.
func (p *Plan) Occurrences(from time.Time, n int) []Occurrence {
	var out []Occurrence
	o, ok := p.Next(from.Add(-time.Nanosecond))
	for ok && len(out) < n {
		out = append(out, o)
		o, ok = p.After(o)
	}
	return slices.Clip(out)
}

// scan finds the first wall time after minute on day (or any time on later
// days) that the plan selects and that starts strictly after notBefore.
func (p *Plan) scan(day civil, minute, number int, notBefore time.Time) (Occurrence, bool) {
	start, d, m, shifted, ok := p.matcher.next(p.loc, day, minute, p.starts, p.until, notBefore)
	if !ok {
		return Occurrence{}, false
	}
	return Occurrence{Number: number, Start: start, End: start.Add(p.sched.Duration), Shifted: shifted, day: d, minute: m}, true
}

// next finds the first wall time after minute on day (or any time on the
// days after it, up to searchDays of them) that m selects on a day from
// from to until (zero: no end), and whose instant is after notBefore.
func (m *matcher) next(loc *time.Location, day civil, minute int, from, until civil, notBefore time.Time) (start time.Time, d civil, min int, shifted, ok bool) {
	for i := 0; i < searchDays; i++ {
		if !until.isZero() && until.before(day) {
			return time.Time{}, civil{}, 0, false, false
		}
		if !day.before(from) && m.dayMatches(day) {
			// A day's wall times map to instants in the same order (a gap
			// folds several onto its end; a repeated hour uses its first
			// pass), so the first one after notBefore is found by
			// bisection. Two wall times in one DST gap both move to its
			// end: the session is held once, as the first.
			i := m.timesBefore(minute + 1)
			if i == len(m.times) {
				day, minute = day.next(), -1
				continue
			}
			start, shifted := WallTime(day.y, day.m, day.d, m.times[i]/60, m.times[i]%60, loc)
			if !start.After(notBefore) {
				d := day
				i += sort.Search(len(m.times)-i, func(k int) bool {
					t := m.times[i+k]
					s, _ := WallTime(d.y, d.m, d.d, t/60, t%60, loc)
					return s.After(notBefore)
				})
				if i == len(m.times) {
					day, minute = day.next(), -1
					continue
				}
				start, shifted = WallTime(day.y, day.m, day.d, m.times[i]/60, m.times[i]%60, loc)
			}
			return start, day, m.times[i], shifted, true
		}
		day, minute = day.next(), -1
	}
	return time.Time{}, civil{}, 0, false, false
}
