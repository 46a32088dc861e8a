package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// messageChars counts a message's text as RenderedLen does.
func messageChars(m Message) int {
	n := RenderedLen(m.Title) + RenderedLen(m.Text) + RenderedLen(m.Footer)
	for _, f := range m.Fields {
		n += RenderedLen(f.Name) + RenderedLen(f.Value)
	}
	return n
}

func TestPaginate(t *testing.T) {
	at := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	lines := func(prefix string, n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%s %d (%s): present, from button, arrived %s", prefix, i+1, Time(at.AddDate(0, 0, 7*i), TimeDate), Time(at, TimeClock)))
		}
		return out
	}
	head := Message{Title: "What tend holds about you", Text: "Shown only to you.", Footer: "/tend forget erases all of it."}
	for _, c := range []struct {
		name     string
		sections []Section
		max      int
		pages    int
	}{
		{"one", []Section{{"RSVPs", lines("session", 3)}}, 5, 1},
		{"thirty sessions of everything", []Section{{"RSVPs", lines("session", 30)}, {"Attendance", lines("session", 30)}, {"Presence", lines("session", 30)},
			{"Voice", lines("session", 30)}, {"Check-ins", lines("check-in", 30)}}, 5, 3},
		{"more than fits", []Section{{"Attendance", lines("session", 500)}}, 2, 2},
		{"a line longer than a field", []Section{{"Check-ins", []string{strings.Repeat("a hard week ", 300)}}}, 5, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			pages, left := Paginate(head, c.sections, c.max, func(n int) string { return fmt.Sprintf("… and %d more.", n) })
			var told int
			if _, note, ok := strings.Cut(pages[len(pages)-1].Footer, "… and "); ok {
				fmt.Sscanf(note, "%d more.", &told)
			}
			if told != left {
				t.Errorf("the footer tells of %d left out; Paginate returned %d", told, left)
			}
			if c.name != "more than fits" && len(pages) != c.pages {
				t.Errorf("%d pages; want %d", len(pages), c.pages)
			}
			if len(pages) > c.max {
				t.Fatalf("%d pages; at most %d", len(pages), c.max)
			}
			shown := 0
			var all strings.Builder
			for i, p := range pages {
				if len(p.Fields) > MaxMessageFields || messageChars(p) > MaxMessageChars {
					t.Errorf("page %d: %d fields, %d characters; limits %d and %d", i+1, len(p.Fields), messageChars(p), MaxMessageFields, MaxMessageChars)
				}
				for _, f := range p.Fields {
					if len(f.Value) > maxFieldText || f.Value == "" {
						t.Errorf("page %d: field %q is %d bytes", i+1, f.Name, len(f.Value))
					}
					all.WriteString(f.Value + "\n")
					if !strings.HasPrefix(f.Value, strings.Repeat("a hard week ", 1)) {
						shown += strings.Count(f.Value, "\n") + 1
					}
				}
				if (i == 0) != (p.Text == head.Text) || (i == len(pages)-1) != strings.HasPrefix(p.Footer, head.Footer) {
					t.Errorf("page %d: text %q footer %q", i+1, p.Text, p.Footer)
				}
			}
			want := 0
			for _, s := range c.sections {
				want += len(s.Lines)
			}
			if c.name == "a line longer than a field" {
				if got := strings.ReplaceAll(all.String(), "\n", ""); got != c.sections[0].Lines[0] {
					t.Errorf("the long line came back as %d bytes; want all %d", len(got), len(c.sections[0].Lines[0]))
				}
				return
			}
			if shown+told != want {
				t.Errorf("%d lines shown and %d told as left out; want %d in all", shown, told, want)
			}
			if c.name == "more than fits" {
				if told == 0 || !strings.Contains(pages[len(pages)-1].Footer, fmt.Sprintf("… and %d more.", told)) {
					t.Errorf("%d left out; last footer %q", told, pages[len(pages)-1].Footer)
				}
			} else if told != 0 {
				t.Errorf("%d lines left out; want none", told)
			}
		})
	}
}
