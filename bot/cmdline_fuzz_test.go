package bot

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseCommandText feeds the command-line parser arbitrary text. It must
// never panic, every refusal must be a UserError that says what to do, and
// what it accepts must read back the same when written out again with
// double quotes around every value.
func FuzzParseCommandText(f *testing.F) {
	for _, s := range []string{
		"help",
		`session schedule weekly:"tue 18:00" duration:90m count:8`,
		`session schedule weekly:'mon,thu 09:30'`,
		`session schedule weekly:“tue 18:00”`,
		"roster add user:<@U0123|sam>",
		`session move 3 to:"2026-12-08 19:00"`,
		"session schedule link:https://meet.example.org/x",
		`norms edit text:"unclosed`,
		"a:1 a:2",
		`roster add user:O'Brien`,
		"Name:X https://example.org \"\" ''",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		words, args, err := ParseCommandText(text)
		if err != nil {
			var ue *UserError
			if !errors.As(err, &ue) || strings.TrimSpace(ue.Msg) == "" {
				t.Fatalf("ParseCommandText(%q) refused with %T %v; want a *UserError with a message", text, err, err)
			}
			if words != nil || args != nil {
				t.Fatalf("ParseCommandText(%q) returned words %q and args %q with its error", text, words, args)
			}
			return
		}
		if args == nil {
			t.Fatalf("ParseCommandText(%q) returned nil args", text)
		}
		for name := range args {
			if name == "" || name != strings.ToLower(name) {
				t.Fatalf("ParseCommandText(%q): argument name %q is empty or not lowercase", text, name)
			}
		}
		if !utf8.ValidString(text) {
			return // invalid bytes are read as U+FFFD, so they do not write back
		}
		// Write what was read out again, every value in double quotes, and
		// read it back: the same words and arguments must come out.
		var b strings.Builder
		for _, w := range words {
			if strings.ContainsRune(w, '"') {
				return
			}
			b.WriteString(`"` + w + `" `)
		}
		for name, v := range args {
			if strings.ContainsRune(v, '"') {
				return
			}
			b.WriteString(name + `:"` + v + `" `)
		}
		words2, args2, err := ParseCommandText(b.String())
		if err != nil {
			t.Fatalf("ParseCommandText(%q) = %q, %q; written back as %q it is refused: %v", text, words, args, b.String(), err)
		}
		if strings.Join(words2, "\x00") != strings.Join(words, "\x00") || len(args2) != len(args) {
			t.Fatalf("ParseCommandText(%q) = %q, %q; written back as %q it reads %q, %q", text, words, args, b.String(), words2, args2)
		}
		for k, v := range args {
			if args2[k] != v {
				t.Fatalf("ParseCommandText(%q) = %q, %q; written back as %q it reads %q, %q", text, words, args, b.String(), words2, args2)
			}
		}
	})
}
