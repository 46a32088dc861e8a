package bot

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Plural says n of something with the right form: "1 place", "3 places",
// "0 places".
func Plural(n int, singular, plural string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + singular
	}
	return strconv.Itoa(n) + " " + plural
}

// ExampleDate is a date to show in an example (YYYY-MM-DD): four weeks
// after now, so that an example never names a day that has passed, and far
// enough ahead to read as a plan.
func ExampleDate(now time.Time) string {
	return now.AddDate(0, 0, 28).Format(time.DateOnly)
}

// Excerpt returns s quoted for a reply, cut to its first n characters with
// an ellipsis when longer, so that a refusal never echoes a whole runaway
// paste back: Excerpt("O'Brien", 40) is "\"O'Brien\"".
func Excerpt(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:n])) + "…"
}
