package bot

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// zoneSpelling returns the IANA zone that name spells in the wrong case
// ("europe/london" → "Europe/London", "utc" → "UTC", "america/port-au-prince"
// → "America/Port-au-Prince"), trying the few ways zone names are
// capitalised.
func zoneSpelling(name string) (string, bool) {
	if name == "" || len(name) > 64 || strings.ContainsAny(name, " \t.") {
		return "", false
	}
	// The small words that IANA names keep in lower case.
	small := map[string]bool{"of": true, "es": true, "au": true, "de": true, "da": true, "del": true, "la": true, "le": true, "sur": true, "and": true}
	segs := strings.Split(strings.ToLower(name), "/")
	word := func(w string, lowerSmall bool) string {
		if lowerSmall && small[w] {
			return w
		}
		r := []rune(w)
		if len(r) == 0 {
			return w
		}
		return string(unicode.ToUpper(r[0])) + string(r[1:])
	}
	title := func(seg string, lowerSmall bool) string {
		var b strings.Builder
		start := 0
		for i, r := range seg {
			if r == '_' || r == '-' {
				b.WriteString(word(seg[start:i], lowerSmall && start > 0))
				b.WriteRune(r)
				start = i + 1
			}
		}
		b.WriteString(word(seg[start:], lowerSmall && start > 0))
		return b.String()
	}
	build := func(f func(i int, seg string) string) string {
		out := make([]string, len(segs))
		for i, s := range segs {
			out[i] = f(i, s)
		}
		return strings.Join(out, "/")
	}
	cands := []string{
		build(func(_ int, s string) string { return title(s, false) }), // Europe/London
		build(func(_ int, s string) string { return title(s, true) }),  // America/Port_of_Spain
		strings.ToUpper(name), // UTC, EST5EDT
		build(func(i int, s string) string { // Etc/GMT+5
			if i == 0 {
				return title(s, false)
			}
			return strings.ToUpper(s)
		}),
		build(func(i int, s string) string { // US/Pacific
			if i == 0 {
				return strings.ToUpper(s)
			}
			return title(s, true)
		}),
	}
	for _, c := range cands {
		if c == name {
			continue
		}
		if _, err := time.LoadLocation(c); err == nil {
			return c, true
		}
	}
	return "", false
}

// ZoneNote warns about a zone that is valid but likely not what was meant:
// an abbreviation such as EST or MST, which is a fixed offset all year,
// with no daylight saving time, while the places people mean by it (New
// York, Denver) change their clocks. It returns "" when there is nothing to
// say. now anchors the year that is checked for clock changes.
func ZoneNote(name string, now time.Time) string {
	if len(name) < 3 || len(name) > 4 || strings.IndexFunc(name, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return ""
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return ""
	}
	_, first := now.In(loc).Zone()
	for m := 1; m <= 12; m++ {
		if _, off := now.AddDate(0, m, 0).In(loc).Zone(); off != first {
			return "" // it changes its clocks
		}
	}
	if first == 0 {
		return "" // UTC, GMT: meant as such
	}
	example := map[string]string{"EST": "America/New_York", "MST": "America/Denver (America/Phoenix keeps MST all year)", "HST": "Pacific/Honolulu"}[name]
	if example == "" {
		example = "America/New_York or Europe/Berlin"
	}
	sign, off := '+', first
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s is a fixed offset, UTC%c%02d:%02d all year, with no daylight saving time: if the group meets where clocks change, use the zone of its city, such as %s",
		name, sign, off/3600, off%3600/60, example)
}
