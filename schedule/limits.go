package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

// The limits every series keeps, wherever it is written: the config file
// (tend check and tend run) and chat (session schedule) use Validate and
// ValidateLeads, so that what one accepts the other does too.
const (
	// MinDuration and MaxDuration bound a session's length. Durations and
	// lead times are whole minutes, as cron's times are.
	MinDuration = time.Minute
	MaxDuration = 24 * time.Hour
	// MinLead and MaxLead bound how long before a session a reminder goes
	// out. A lead counts elapsed time: across a clock change, a 24h
	// reminder comes 24 hours before, at another local clock time.
	MinLead = time.Minute
	MaxLead = 14 * 24 * time.Hour
	// MaxLeads bounds the reminders of one session.
	MaxLeads = 10
	// MaxCount bounds a series' number of sessions.
	MaxCount = 10000
	// MaxStartsAhead bounds how far ahead, in years, a series may start.
	// A starts: long past costs nothing (sessions are numbered from it
	// without walking the series), so it has no lower bound.
	MaxStartsAhead = 10
)

// Error is a problem with one setting of a schedule or its reminders,
// worded for the person who wrote it: Msg says what is wrong and what to
// write instead. Field names the setting as the config file and chat spell
// it ("duration", "until", "lead[1]"; "" for the schedule as a whole), so
// that config can point at its line.
type Error struct {
	Field string
	Msg   string
	// Ended: the series is valid but has no session left to hold (its
	// count is reached or its until: has passed). A facilitator who
	// writes such a schedule in chat made a mistake; a config file that
	// declared a course that has since finished did not.
	Ended bool
}

// IsEnded reports whether err says only that the series has ended.
func IsEnded(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Ended
}

func (e *Error) Error() string { return e.Msg }

// Setting returns Field. Config, which does not import this package,
// finds it through an interface with this method.
func (e *Error) Setting() string { return e.Field }

func fieldErr(field, format string, args ...any) error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks s for a group whose zone is loc, as of now: every limit
// above and what makes a schedule usable (see NewPlan). It returns an
// *Error naming the setting at fault.
func Validate(s bot.Schedule, loc *time.Location, now time.Time) error {
	_, err := NewPlan(s, loc, now)
	return err
}

// CheckSchedule is Validate as of the current time: the hook config uses
// for a group's schedule:. A series that has ended is not a problem in a
// config file — a course declared there finishes, and tend must go on
// starting — so it passes; reminders stores it and schedules nothing.
func CheckSchedule(s bot.Schedule, loc *time.Location) error {
	if err := Validate(s, loc, time.Now()); err != nil && !IsEnded(err) {
		return err
	}
	return nil
}

// ValidateLeads checks a group's reminder lead times: each from MinLead to
// MaxLead in whole minutes, none twice, at most MaxLeads. An empty list
// (no reminders) is valid.
func ValidateLeads(leads []time.Duration) error {
	if len(leads) > MaxLeads {
		return fieldErr("lead", "lead: %d lead times are more than %d: keep at most %d, the ones that help most", len(leads), MaxLeads, MaxLeads)
	}
	for i, l := range leads {
		field := fmt.Sprintf("lead[%d]", i)
		switch {
		case l < MinLead || l > MaxLead:
			return fieldErr(field, "lead: %s is out of range: write lead times from 1m to 336h (two weeks), for example lead: 24h,1h", LeadName(l))
		case l%time.Minute != 0:
			return fieldErr(field, "lead: %s is not a whole number of minutes: write whole minutes, such as %s", l, wholeMinutes(l, ""))
		case slices.Contains(leads[:i], l):
			return fieldErr(field, "lead: %s is listed twice: list each lead time once, for example lead: 24h,1h", LeadName(l))
		}
	}
	return nil
}

// CheckLeads is ValidateLeads: the hook config uses for a group's
// reminders.lead.
func CheckLeads(leads []time.Duration) error { return ValidateLeads(leads) }

// NoLeads is how chat writes "no reminders" (lead:none); the config file
// writes lead: [].
const NoLeads = "none"

// ParseLeads reads lead times as chat writes them: "24h,1h" (or "24h 1h"),
// or NoLeads for none, which returns an empty, non-nil list. It refuses an
// empty value rather than reading it as the defaults.
func ParseLeads(s string) ([]time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, NoLeads) {
		return []time.Duration{}, nil
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	if len(fields) == 0 {
		return nil, fieldErr("lead", "lead: say when reminders go out: write lead times such as lead:24h,1h, or lead:%s for no reminders", NoLeads)
	}
	out := make([]time.Duration, 0, len(fields))
	for _, f := range fields {
		d, err := time.ParseDuration(f)
		if err != nil {
			return nil, fieldErr("lead", "lead: %q is not a duration: write lead times like 24h,1h or 30m, or lead:%s for no reminders", f, NoLeads)
		}
		out = append(out, d)
	}
	return out, ValidateLeads(out)
}

// LeadName is a lead time as keys and messages write it: "24h", "1h30m",
// "5m".
func LeadName(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// checkDuration applies the session length limits.
func checkDuration(d time.Duration) error {
	switch {
	case d < MinDuration:
		return fieldErr("duration", "duration: %s is too short: a session lasts from 1m to 24h; write for example duration: 90m or 1h30m", shortDur(d))
	case d > MaxDuration:
		return fieldErr("duration", "duration: %s is longer than a day: a session lasts from 1m to 24h; write for example duration: 90m", shortDur(d))
	case d%time.Minute != 0:
		return fieldErr("duration", "duration: %s is not a whole number of minutes: write whole minutes, such as %s", d, wholeMinutes(d, "duration: "))
	}
	return nil
}

// wholeMinutes suggests the whole minutes nearest d, each after prefix:
// "1m or 2m" for 90s, "2m" for 30s (no session or lead is shorter than a
// minute).
func wholeMinutes(d time.Duration, prefix string) string {
	lo := d.Truncate(time.Minute)
	hi := lo + time.Minute
	if lo < time.Minute {
		return prefix + LeadName(hi)
	}
	return prefix + LeadName(lo) + " or " + prefix + LeadName(hi)
}

func shortDur(d time.Duration) string {
	if d > 0 && d%time.Minute == 0 {
		return LeadName(d)
	}
	return d.String()
}

var errNoZone = &Error{Field: "timezone", Msg: "the group has no time zone: set timezone: to an IANA name such as Europe/London or America/New_York"}
