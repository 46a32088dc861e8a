package bot

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of one message that every platform shows whole, shared with the
// adapters (their tests render a message built at these limits and check
// that nothing is cut).
const (
	// MaxMessageFields bounds the fields of one message: Discord shows 25
	// in an embed; Slack 50 blocks in a message, where a field takes one
	// section, or two when its text with timestamps rendered passes 3,000
	// characters, beside the header, the text, the footer and buttons.
	MaxMessageFields = 20
	// MaxMessageChars bounds all of one message's text (title, text, field
	// names and values, footer) as RenderedLen counts it: Discord refuses
	// an embed of more than 6,000 characters.
	MaxMessageChars = 5500
	// MaxReplies bounds the private replies one command gives: Slack takes
	// the first in the acknowledgement and the rest through a
	// response_url, which accepts five posts.
	MaxReplies = 5
	// maxTimeRendered is the longest a timestamp placeholder renders to
	// where characters are counted: Discord's <t:UNIX:F>.
	maxTimeRendered = 16
)

// RenderedLen counts the characters of s as a platform shows them at most:
// each timestamp made with Time at its longest rendering.
func RenderedLen(s string) int {
	return utf8.RuneCountInString(RenderTimes(s, func(time.Time, TimeStyle) string { return strings.Repeat("x", maxTimeRendered) }))
}

// Section is a titled list of lines, one record each, for Paginate.
type Section struct {
	Name  string
	Lines []string
}

// Paginate lays head (its title, text and footer) and the sections' lines
// out in at most maxPages messages that each fit every platform: at most
// MaxMessageFields fields, each field at most maxFieldText bytes, and
// MaxMessageChars characters in all. A field breaks only between lines; a
// line too long for one field is split across fields. The first message
// has head's text, the last its footer, later ones head's title with
// "(continued)". Lines that do not fit in maxPages are never dropped
// silently: more(n) is told how many were left out and what it returns
// ends the last message's footer (say what to do to see them); a nil more
// says nothing. It returns the messages and how many lines were left out.
// Buttons stay on the last message.
func Paginate(head Message, sections []Section, maxPages int, more func(left int) string) ([]Message, int) {
	maxPages = max(maxPages, 1)
	total := 0
	for _, s := range sections {
		total += len(s.Lines)
	}
	// Room kept on every message for the note, the footer and the title.
	reserve := RenderedLen(head.Footer) + RenderedLen(head.Title) + len(" (continued)") + 4
	if more != nil {
		reserve += RenderedLen(more(total)) + 4
	}
	var (
		pages []Message
		cur   = Message{Title: head.Title, Text: head.Text}
		chars = reserve + RenderedLen(head.Text)
		field *Field // the field lines are being added to
		left  int
		full  bool
	)
	// next starts a new message, or reports false when maxPages are used.
	next := func() bool {
		if len(pages)+1 == maxPages {
			return false
		}
		pages = append(pages, cur)
		cur = Message{Title: continued(head.Title)}
		chars, field = reserve, nil
		return true
	}
	for _, s := range sections {
		field = nil
		started := false
		for _, line := range s.Lines {
			if full {
				left++
				continue
			}
			for _, chunk := range splitLine(line) {
				n := RenderedLen(chunk)
				if field != nil && len(field.Value)+1+len(chunk) <= maxFieldText && chars+n+1 <= MaxMessageChars {
					field.Value += "\n" + chunk
					chars += n + 1
					continue
				}
				name := s.Name
				if started {
					name += " (continued)"
				}
				if len(cur.Fields) == MaxMessageFields || chars+RenderedLen(name)+n > MaxMessageChars {
					if !next() {
						full = true
						break
					}
				}
				cur.Fields = append(cur.Fields, Field{Name: name, Value: chunk})
				field = &cur.Fields[len(cur.Fields)-1]
				chars += RenderedLen(name) + n
				started = true
			}
			if full {
				left++
			}
		}
	}
	pages = append(pages, cur)
	last := &pages[len(pages)-1]
	last.Footer = head.Footer
	if left > 0 && more != nil {
		if note := more(left); note != "" {
			if last.Footer != "" {
				last.Footer += " "
			}
			last.Footer += note
		}
	}
	last.Buttons = head.Buttons
	return pages, left
}

// continued names a later message of a paginated one.
func continued(title string) string {
	if title == "" {
		return ""
	}
	return title + " (continued)"
}

// splitLine cuts a line longer than a field into pieces that each fit
// one, at rune boundaries (never inside a timestamp placeholder).
func splitLine(line string) []string {
	if len(line) <= maxFieldText {
		return []string{line}
	}
	var out []string
	for len(line) > maxFieldText {
		cut := maxFieldText
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		if i := strings.LastIndex(line[:cut], string(timeOpen)); i > 0 && !strings.Contains(line[i:cut], string(timeClose)) {
			cut = i // keep a timestamp whole
		}
		out = append(out, line[:cut])
		line = line[cut:]
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}
