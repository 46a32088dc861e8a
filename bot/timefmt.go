package bot

import (
	"strconv"
	"strings"
	"time"
)

// TimeStyle is how a timestamp is shown.
type TimeStyle byte

// Time styles, named after Discord's timestamp styles.
const (
	TimeFull     TimeStyle = 'F' // Tuesday, 1 December 2026 18:00
	TimeShort    TimeStyle = 'f' // 1 December 2026 18:00
	TimeDate     TimeStyle = 'D' // 1 December 2026
	TimeClock    TimeStyle = 't' // 18:00
	TimeRelative TimeStyle = 'R' // in 2 hours
)

// Timestamps are embedded in message text between two private-use runes so
// that user-supplied text (topics, names) can never be mistaken for one.
const (
	timeOpen  = '\uE000'
	timeClose = '\uE001'
)

// Time returns a placeholder for t in style, to be put in Message text.
// Adapters replace it with RenderTimes: Discord with <t:UNIX:F>, Slack with
// <!date^UNIX^…|fallback>, the console with the reader's local time.
func Time(t time.Time, style TimeStyle) string {
	return string(timeOpen) + strconv.FormatInt(t.Unix(), 10) + ":" + string(rune(style)) + string(timeClose)
}

// RenderTimes replaces every placeholder made by Time in s with render's
// result. Malformed placeholders are dropped.
func RenderTimes(s string, render func(t time.Time, style TimeStyle) string) string {
	if !strings.ContainsRune(s, timeOpen) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexRune(s, timeOpen)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i+len(string(timeOpen)):]
		j := strings.IndexRune(s, timeClose)
		if j < 0 {
			return b.String()
		}
		body := s[:j]
		s = s[j+len(string(timeClose)):]
		unix, style, ok := strings.Cut(body, ":")
		if !ok || len(style) != 1 {
			continue
		}
		sec, err := strconv.ParseInt(unix, 10, 64)
		if err != nil {
			continue
		}
		b.WriteString(render(time.Unix(sec, 0).UTC(), TimeStyle(style[0])))
	}
}

// StripPlaceholderRunes removes the placeholder delimiters from
// user-supplied text, so that it cannot forge a timestamp.
func StripPlaceholderRunes(s string) string {
	return strings.Map(func(r rune) rune {
		if r == timeOpen || r == timeClose {
			return -1
		}
		return r
	}, s)
}

// FormatTimeIn renders t in loc in style, in plain English. It is the
// fallback for platforms that cannot show a reader's own zone, and what
// the console shows. now is used for TimeRelative.
func FormatTimeIn(t time.Time, style TimeStyle, loc *time.Location, now time.Time) string {
	lt := t.In(loc)
	switch style {
	case TimeShort:
		return lt.Format("2 January 2006 15:04 MST")
	case TimeDate:
		return lt.Format("2 January 2006")
	case TimeClock:
		return lt.Format("15:04 MST")
	case TimeRelative:
		return Relative(t, now)
	default:
		return lt.Format("Monday, 2 January 2006 15:04 MST")
	}
}

// Relative says how far t is from now, rounded to the nearest unit: "in 2
// hours", "5 minutes ago". A reminder posted a moment after its due time,
// one minute before a session, still reads "in 1 minute": only what is
// under half a minute away is "now".
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	past := d < 0
	if past {
		d = -d
	}
	var s string
	switch {
	case d < 30*time.Second:
		if past {
			return "just now"
		}
		return "now"
	case d < time.Hour-30*time.Second:
		s = Plural(int((d+30*time.Second)/time.Minute), "minute", "minutes")
	case d < 48*time.Hour-30*time.Minute:
		s = Plural(int((d+30*time.Minute)/time.Hour), "hour", "hours")
	default:
		s = Plural(int((d+12*time.Hour)/(24*time.Hour)), "day", "days")
	}
	if past {
		return s + " ago"
	}
	return "in " + s
}
