package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store/storetest"
)

// TestCommands_ArgumentsWrittenAlike: an argument of the same name is
// written the same way in every usage line (code:<code> for roster, forget
// and attendance alike), so that help teaches one surface (audit of issue
// 9, point 17).
func TestCommands_ArgumentsWrittenAlike(t *testing.T) {
	db := storetest.Open(t)
	codec, err := bot.NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	plat := &bottest.Platform{}
	sender := bot.NewSender(db, codec, nil, nil, plat)
	runner := bot.NewRunner(bot.RunnerConfig{Store: db})
	b, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: sender, Runner: runner})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range features() {
		feat, err := f.build(db, bot.Deps{Sender: sender, TimeZone: "UTC"})
		if err != nil {
			t.Fatal(err)
		}
		if err := feat.Register(b, runner); err != nil {
			t.Fatal(err)
		}
	}
	// name → how each usage line writes its value → one such line.
	seen := map[string]map[string]string{}
	for _, c := range b.Commands() {
		u := c.Usage()
		for _, m := range argRE.FindAllStringSubmatch(u, -1) {
			if seen[m[1]] == nil {
				seen[m[1]] = map[string]string{}
			}
			seen[m[1]][m[2]] = u
		}
	}
	// The same argument may take other values in another command (kind:
	// of a group or of a check-in; to: a date or a date and time), but
	// once it is named somewhere it is never plain <text> elsewhere.
	for name, ways := range seen {
		if len(ways) < 2 {
			continue
		}
		if line, ok := ways["<text>"]; ok {
			for v, other := range ways {
				if v != "<text>" && strings.HasPrefix(v, "<") {
					t.Errorf("%s:<text> in\n  %s\nbut %s:%s in\n  %s", name, line, name, v, other)
				}
			}
		}
	}
}

// argRE matches a named argument in a usage line: its name and how its
// value is written.
var argRE = regexp.MustCompile(`\b([a-z_]+):(<[^>]*>|[^\s\]]+)`)
