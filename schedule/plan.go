package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tend-bot/tend/bot"
)

// MaxDuration is the longest session a schedule may declare.
const MaxDuration = 24 * time.Hour

// searchDays bounds every search for the next occurrence. A schedule that
// fires at all fires within this many days (29 February comes at least once
// in 8 years, even across 2100).
const searchDays = 9*366 + 1

// starBit is cron's marker for a field written as "*" (or "?").
const starBit = 1 << 63

// Plan is a validated schedule in its group's zone: which local wall times
// of which local calendar days hold a session, from which date, until which
// date or for how many sessions. It computes occurrences day by day in the
// zone, so that DST changes neither skip nor double a session; robfig/cron is
// used only to parse cron expressions. A Plan is immutable and safe for
// concurrent use.
type Plan struct {
	loc      *time.Location
	month    uint64 // bit m set: month m (1–12)
	dom      uint64 // bit d set: day of month d (1–31)
	dow      uint64 // bit w set: weekday w (0 = Sunday)
	domStar  bool
	dowStar  bool
	times    []int // minutes after local midnight, ascending
	duration time.Duration
	starts   civil // first day that may hold a session
	until    civil // last day; zero: none
	count    int   // number of sessions; 0: unbounded
	sched    bot.Schedule
}

// civil is a calendar date without a zone.
type civil struct {
	y int
	m time.Month
	d int
}

func (c civil) isZero() bool { return c.y == 0 }

func (c civil) before(o civil) bool {
	if c.y != o.y {
		return c.y < o.y
	}
	if c.m != o.m {
		return c.m < o.m
	}
	return c.d < o.d
}

// next returns the following calendar day.
func (c civil) next() civil {
	t := time.Date(c.y, c.m, c.d+1, 0, 0, 0, 0, time.UTC)
	return civil{t.Year(), t.Month(), t.Day()}
}

func (c civil) weekday() time.Weekday {
	return time.Date(c.y, c.m, c.d, 0, 0, 0, 0, time.UTC).Weekday()
}

func (c civil) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", c.y, c.m, c.d)
}

func civilOf(t time.Time) civil { return civil{t.Year(), t.Month(), t.Day()} }

func parseDate(field, s string) (civil, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return civil{}, fmt.Errorf("%s: %q is not a date: write YYYY-MM-DD (year, month, day)", field, s)
	}
	return civilOf(t), nil
}

// CheckSchedule validates s for a group whose zone is loc and returns the
// first problem in words that say what to write instead. It refuses a
// schedule with both or neither of cron: and weekly:, a cron expression that
// does not parse or names its own zone (the zone is the group's), an unknown
// weekday, a duration that is not above zero and at most 24h, a negative
// count (a config that says count: 0 should pass a negative Count), until
// before starts, more topics than sessions, sessions that overlap, a
// schedule that never fires, and one whose sessions all lie in the past.
func CheckSchedule(s bot.Schedule, loc *time.Location) error {
	_, err := NewPlan(s, loc, time.Now())
	return err
}

// NewPlan validates s for a group in loc (see CheckSchedule) as of now and
// returns its Plan.
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
	if !p.until.isZero() && p.until.before(civilOf(now.In(loc))) {
		return nil, fmt.Errorf("until: %s is in the past, so no session would be held: write a later date, or leave until out", p.until)
	}
	first, ok := p.First()
	if !ok {
		return nil, fmt.Errorf("%s never holds a session between %s and %s: check the day and month fields (for example, 30 February does not exist); a weekly session on Tuesdays at 18:00 is cron: \"0 18 * * TUE\" or weekly: \"tue 18:00\"", p.Describe(), p.starts, p.endForMessage())
	}
	if p.count > 0 || !p.until.isZero() {
		// A bounded series must still have a session to come.
		o, ok := first, true
		for ok && !o.Start.After(now) {
			o, ok = p.After(o)
		}
		if !ok {
			return nil, fmt.Errorf("every session of this series is already in the past (the last was %s): write a later starts: date, a later until: or a larger count:", p.lastForMessage(first, now))
		}
	}
	return p, nil
}

// ParsePlan checks s without reference to the current time: what
// NewPlan checks except that until: and the last session lie ahead. It
// reads a schedule that was valid when it was stored.
func ParsePlan(s bot.Schedule, loc *time.Location) (*Plan, error) {
	if loc == nil {
		return nil, errors.New("the group has no time zone: set timezone: to an IANA name such as Europe/London or America/New_York")
	}
	cronSpec, weekly := strings.TrimSpace(s.Cron), strings.TrimSpace(s.Weekly)
	p := &Plan{loc: loc, sched: s}
	switch {
	case cronSpec != "" && weekly != "":
		return nil, errors.New("the schedule has both cron: and weekly:; keep one of them, for example weekly: \"tue 18:00\"")
	case cronSpec == "" && weekly == "":
		return nil, errors.New("the schedule says neither when nor how often: write weekly: \"tue 18:00\" (or \"mon,thu 09:30\"), or a cron expression such as cron: \"0 18 * * TUE\"")
	case cronSpec != "":
		if err := p.parseCron(cronSpec); err != nil {
			return nil, err
		}
	default:
		if err := p.parseWeekly(weekly); err != nil {
			return nil, err
		}
	}
	if s.Duration <= 0 {
		return nil, errors.New("duration: say how long each session lasts, above zero, for example duration: 90m or 1h30m")
	}
	if s.Duration > MaxDuration {
		return nil, fmt.Errorf("duration: %s is longer than a day; sessions last at most 24h: write for example duration: 90m", s.Duration)
	}
	if s.Count < 0 {
		return nil, errors.New("count: a series needs at least one session: write count: 8 for eight sessions, or leave count out for a series that runs until you stop it")
	}
	p.count = s.Count
	if strings.TrimSpace(s.Starts) != "" {
		c, err := parseDate("starts", s.Starts)
		if err != nil {
			return nil, err
		}
		p.starts = c
	} else {
		return nil, errors.New("starts: write the date of the first session, YYYY-MM-DD")
	}
	if strings.TrimSpace(s.Until) != "" {
		c, err := parseDate("until", s.Until)
		if err != nil {
			return nil, err
		}
		if c.before(p.starts) {
			return nil, fmt.Errorf("until: %s is before starts: %s: write an until: on or after the start date", c, p.starts)
		}
		p.until = c
	}
	if p.count > 0 && len(s.Topics) > p.count {
		return nil, fmt.Errorf("topics: there are %s but count: %s; remove the extra topics or raise count:", bot.Plural(len(s.Topics), "topic", "topics"), bot.Plural(p.count, "session", "sessions"))
	}
	if s.Link != "" && !strings.HasPrefix(s.Link, "https://") && !strings.HasPrefix(s.Link, "http://") {
		return nil, fmt.Errorf("link: %q is not a web address: write the full meeting link, starting with https://", s.Link)
	}
	if err := p.checkOverlap(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Plan) parseCron(spec string) (err error) {
	up := strings.ToUpper(spec)
	if strings.HasPrefix(up, "CRON_TZ=") || strings.HasPrefix(up, "TZ=") {
		return fmt.Errorf("cron: %q names its own time zone, but a schedule runs in its group's zone: remove the %s… prefix and set the group's timezone: instead", spec, spec[:strings.IndexByte(spec, '=')+1])
	}
	defer func() {
		// robfig/cron panics on some malformed specs; a bad schedule is an
		// input error, never a crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("cron: %q is not a valid cron expression (%v): write five fields, minute hour day-of-month month day-of-week, for example \"0 18 * * TUE\"", spec, r)
		}
	}()
	sched, perr := cron.ParseStandard(spec)
	if perr != nil {
		return fmt.Errorf("cron: %q is not a valid cron expression (%v): write five fields, minute hour day-of-month month day-of-week, for example \"0 18 * * TUE\"", spec, perr)
	}
	ss, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return fmt.Errorf("cron: %q repeats at a fixed interval, not at times of day: write a calendar expression such as \"0 18 * * TUE\", or weekly: \"tue 18:00\"", spec)
	}
	p.month = ss.Month &^ starBit
	p.dom = ss.Dom &^ starBit
	p.dow = ss.Dow &^ starBit
	p.domStar = ss.Dom&starBit != 0
	p.dowStar = ss.Dow&starBit != 0
	for h := 0; h < 24; h++ {
		if ss.Hour&(1<<uint(h)) == 0 {
			continue
		}
		for m := 0; m < 60; m++ {
			if ss.Minute&(1<<uint(m)) != 0 {
				p.times = append(p.times, h*60+m)
			}
		}
	}
	if len(p.times) == 0 {
		return fmt.Errorf("cron: %q selects no time of day: write a minute and an hour, for example \"0 18 * * TUE\"", spec)
	}
	return nil
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// parseWeekly reads "tue 18:00" or "mon,thu 09:30".
func (p *Plan) parseWeekly(spec string) error {
	days, clock, ok := strings.Cut(strings.TrimSpace(spec), " ")
	clock = strings.TrimSpace(clock)
	if !ok || clock == "" {
		return fmt.Errorf("weekly: %q needs days and a time, for example weekly: \"tue 18:00\" or \"mon,thu 09:30\"", spec)
	}
	for _, d := range strings.Split(days, ",") {
		w, ok := weekdayNames[strings.ToLower(strings.TrimSpace(d))]
		if !ok {
			return fmt.Errorf("weekly: %q is not a day of the week: write mon, tue, wed, thu, fri, sat or sun (several with commas, as in \"mon,thu 09:30\")", d)
		}
		p.dow |= 1 << uint(w)
	}
	hm, err := ParseClock(clock)
	if err != nil {
		return fmt.Errorf("weekly: %v", err)
	}
	p.times = []int{hm}
	p.month = 0x1FFE // every month
	p.dom = 0xFFFFFFFE
	p.domStar = true // day of month is unrestricted: weekdays alone decide
	return nil
}

// ParseClock reads a 24-hour "HH:MM" and returns the minutes after
// midnight.
func ParseClock(s string) (int, error) {
	hs, ms, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(ms) != 2 {
		return 0, fmt.Errorf("%q is not a time of day: write 24-hour HH:MM, for example 18:00 or 09:30", s)
	}
	return h*60 + m, nil
}

// dayMatches applies cron's rule: when both day fields are restricted, a day
// matching either one is chosen.
func (p *Plan) dayMatches(c civil) bool {
	if p.month&(1<<uint(c.m)) == 0 {
		return false
	}
	domOK := p.dom&(1<<uint(c.d)) != 0
	dowOK := p.dow&(1<<uint(c.weekday())) != 0
	if p.domStar || p.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// checkOverlap refuses a schedule whose sessions would run into each other,
// judged on wall times (an hour's DST shift does not count).
func (p *Plan) checkOverlap() error {
	mins := int(p.sched.Duration / time.Minute)
	for i := 1; i < len(p.times); i++ {
		if p.times[i]-p.times[i-1] < mins {
			return fmt.Errorf("sessions every %s cannot last %s: they would overlap; write a shorter duration: or a schedule with fewer times a day", bot.Plural(p.times[i]-p.times[i-1], "minute", "minutes"), p.sched.Duration)
		}
	}
	if len(p.times) > 0 && p.times[0]+24*60-p.times[len(p.times)-1] < mins && len(p.times) > 1 {
		return fmt.Errorf("a session at %s would run into the next day's first session: write a shorter duration:", clockString(p.times[len(p.times)-1]))
	}
	return nil
}

func clockString(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

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

func (p *Plan) lastForMessage(first Occurrence, now time.Time) string {
	last := first
	for o, ok := first, true; ok && !o.Start.After(now); o, ok = p.After(o) {
		last = o
	}
	return last.Start.In(p.loc).Format("Mon 2 Jan 2006 15:04 MST")
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
// nine years).
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

// Next returns the first occurrence that starts after t, counting session
// numbers from the series' first. It walks from the start date, so prefer
// After when the previous occurrence is known.
func (p *Plan) Next(t time.Time) (Occurrence, bool) {
	o, ok := p.First()
	for ok && !o.Start.After(t) {
		o, ok = p.After(o)
	}
	return o, ok
}

// scan finds the first wall time after minute on day (or any time on later
// days) that the plan selects and that starts strictly after notBefore.
func (p *Plan) scan(day civil, minute, number int, notBefore time.Time) (Occurrence, bool) {
	for i := 0; i < searchDays; i++ {
		if !p.until.isZero() && p.until.before(day) {
			return Occurrence{}, false
		}
		if !day.before(p.starts) && p.dayMatches(day) {
			for _, m := range p.times {
				if m <= minute {
					continue
				}
				start, shifted := WallTime(day.y, day.m, day.d, m/60, m%60, p.loc)
				if !start.After(notBefore) {
					// Two wall times in one DST gap both move to its end:
					// the session is held once.
					continue
				}
				return Occurrence{Number: number, Start: start, End: start.Add(p.sched.Duration), Shifted: shifted, day: day, minute: m}, true
			}
		}
		day, minute = day.next(), -1
	}
	return Occurrence{}, false
}

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

// Occurrences returns up to n occurrences that start at or after from.
func (p *Plan) Occurrences(from time.Time, n int) []Occurrence {
	var out []Occurrence
	o, ok := p.First()
	for ok && o.Start.Before(from) {
		o, ok = p.After(o)
	}
	for ok && len(out) < n {
		out = append(out, o)
		o, ok = p.After(o)
	}
	return slices.Clip(out)
}
