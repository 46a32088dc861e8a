package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tend-bot/tend/bot"
)

// Error is one problem in a config file, located precisely enough for an
// operator to fix it without reading tend's source.
type Error struct {
	File   string // the file's name as given, or "config" when read from a stream
	Line   int    // 1-based
	Column int    // 1-based
	// Field is the dotted path of the setting, such as
	// groups[0].schedule.weekly.
	Field   string
	Problem string // what is wrong
	Fix     string // what to write instead
}

// Error prints "file:line:col: field: problem — fix".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Column)
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	if e.Fix != "" {
		b.WriteString(" — ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Errors is every problem found in one config file, in file order. Parse
// returns all of them at once, not only the first.
type Errors []*Error

// Error prints one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual errors, for errors.As and errors.Is.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Column < es[j].Column
	})
}

// nearest returns the known word closest to s, when it is close enough to be
// a likely typo.
func nearest(s string, known []string) (string, bool) { return bot.Nearest(s, known) }
