package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// starBit is cron's marker for a field written as "*" (or "?").
const starBit = 1 << 63

// matcher is what a schedule selects: which local calendar days, and which
// wall times on them. It is immutable once parsed.
type matcher struct {
	month    uint64 // bit m set: month m (1–12)
	dom      uint64 // bit d set: day of month d (1–31)
	dow      uint64 // bit w set: weekday w (0 = Sunday)
	domStar  bool
	dowStar  bool
	times    []int // minutes after local midnight, ascending, distinct
	monthLen [4][7]int8
}

// parseCron reads a five-field cron expression (or a descriptor such as
// @weekly) with robfig/cron's parser.
func parseCron(spec string) (m matcher, err error) {
	up := strings.ToUpper(spec)
	if strings.HasPrefix(up, "CRON_TZ=") || strings.HasPrefix(up, "TZ=") {
		return m, fmt.Errorf("cron: %q names its own time zone, but a schedule runs in its group's zone: remove the %s… prefix and set the group's timezone: instead", spec, spec[:strings.IndexByte(spec, '=')+1])
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
		return m, fmt.Errorf("cron: %q is not a valid cron expression (%v): write five fields, minute hour day-of-month month day-of-week, for example \"0 18 * * TUE\"", spec, perr)
	}
	ss, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return m, fmt.Errorf("cron: %q repeats at a fixed interval, not at times of day: write a calendar expression such as \"0 18 * * TUE\", or weekly: \"tue 18:00\"", spec)
	}
	m.month = ss.Month &^ starBit
	m.dom = ss.Dom &^ starBit
	m.dow = ss.Dow &^ starBit
	m.domStar = ss.Dom&starBit != 0
	m.dowStar = ss.Dow&starBit != 0
	for h := 0; h < 24; h++ {
		if ss.Hour&(1<<uint(h)) == 0 {
			continue
		}
		for mi := 0; mi < 60; mi++ {
			if ss.Minute&(1<<uint(mi)) != 0 {
				m.times = append(m.times, h*60+mi)
			}
		}
	}
	if len(m.times) == 0 {
		return m, fmt.Errorf("cron: %q selects no time of day: write a minute and an hour, for example \"0 18 * * TUE\"", spec)
	}
	m.fill()
	return m, nil
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
func parseWeekly(spec string) (matcher, error) {
	var m matcher
	days, clock, ok := strings.Cut(strings.TrimSpace(spec), " ")
	clock = strings.TrimSpace(clock)
	if !ok || clock == "" {
		return m, fmt.Errorf("weekly: %q needs days and a time, for example weekly: \"tue 18:00\" or \"mon,thu 09:30\"", spec)
	}
	for _, d := range strings.Split(days, ",") {
		w, ok := weekdayNames[strings.ToLower(strings.TrimSpace(d))]
		if !ok {
			return m, fmt.Errorf("weekly: %q is not a day of the week: write mon, tue, wed, thu, fri, sat or sun (several with commas, as in \"mon,thu 09:30\")", d)
		}
		m.dow |= 1 << uint(w)
	}
	hm, err := ParseClock(clock)
	if err != nil {
		return m, fmt.Errorf("weekly: %w", err)
	}
	m.times = []int{hm}
	m.month = 0x1FFE // every month
	m.dom = 0xFFFFFFFE
	m.domStar = true // day of month is unrestricted: weekdays alone decide
	m.fill()
	return m, nil
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
func (m *matcher) dayMatches(c civil) bool {
	if m.month&(1<<uint(c.m)) == 0 {
		return false
	}
	return m.mdMatches(c.d, c.weekday())
}

// mdMatches is dayMatches without the month.
func (m *matcher) mdMatches(d int, wd time.Weekday) bool {
	domOK := m.dom&(1<<uint(d)) != 0
	dowOK := m.dow&(1<<uint(wd)) != 0
	if m.domStar || m.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// dayFields are what fill's table depends on.
type dayFields struct {
	dom, dow         uint64
	domStar, dowStar bool
}

// filled holds fill's tables by day fields: a config file's groups share a
// few hundred of them at most (weekly specs have 127), and a first start
// parses a schedule per group. Bounded by maxFilled; past it, tables are
// computed and not kept.
var filled sync.Map // dayFields → [4][7]int8

const maxFilled = 4096

var filledCount atomic.Int64

// fill counts, for each month length and weekday of the 1st, the days a
// selected month holds, so that days are counted a month at a time.
func (m *matcher) fill() {
	k := dayFields{m.dom, m.dow, m.domStar, m.dowStar}
	if t, ok := filled.Load(k); ok {
		m.monthLen = t.([4][7]int8)
		return
	}
	m.count()
	if filledCount.Load() < maxFilled {
		if _, loaded := filled.LoadOrStore(k, m.monthLen); !loaded {
			filledCount.Add(1)
		}
	}
}

// count computes fill's table.
func (m *matcher) count() {
	for n := 28; n <= 31; n++ {
		for first := time.Sunday; first <= time.Saturday; first++ {
			c := 0
			for d := 1; d <= n; d++ {
				if m.mdMatches(d, (first+time.Weekday(d-1))%7) {
					c++
				}
			}
			m.monthLen[n-28][first] = int8(c)
		}
	}
}

// timesBefore returns how many selected wall times of a day come before
// minute.
func (m *matcher) timesBefore(minute int) int {
	n, _ := slices.BinarySearch(m.times, minute)
	return n
}

func clockString(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }
