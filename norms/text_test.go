package norms

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tend-bot/tend/bot"
)

// TestTemplates: every built-in template fits the limits every platform
// has, and the group templates cover what common practice puts in a
// group's contract.
func TestTemplates(t *testing.T) {
	themes := map[string][]string{
		"confidentiality":        {"stays here", "stays in the group"},
		"own experience":         {"own experience"},
		"listening":              {"without interrupting"},
		"no advice unless asked": {"advice"},
		"words not actions":      {"words"},
		"attending":              {"say when you cannot", "say in advance when you cannot", "tell a facilitator in advance"},
		"no recording":           {"recording"},
		"crisis":                 {"crisis resources below"},
	}
	if got := TemplateNames(); !slices.Equal(got, []string{"support", "psychoeducation", "therapy", "online", "team"}) {
		t.Fatalf("templates %q", got)
	}
	for _, tmpl := range templates() {
		t.Run(tmpl.Name, func(t *testing.T) {
			if err := checkItems(tmpl.Items); err != nil {
				t.Fatalf("template does not fit the limits: %v", err)
			}
			if tmpl.Name == "team" {
				return // a staff meeting has no contract of feelings
			}
			all := strings.ToLower(strings.Join(tmpl.Items, "\n"))
			for theme, words := range themes {
				if !slices.ContainsFunc(words, func(w string) bool { return strings.Contains(all, strings.ToLower(w)) }) {
					t.Errorf("template %s has nothing on %s", tmpl.Name, theme)
				}
			}
		})
	}
	for _, k := range bot.GroupKinds {
		if _, ok := LookupTemplate(defaultTemplate(k)); !ok {
			t.Errorf("kind %s has no default template", k)
		}
	}
}

func TestParseText(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"One; Two ;three", []string{"One", "Two", "three"}},
		{"1. One\n2) Two; still two\n\n- Three\n• Four\n10. Ten", []string{"One", "Two; still two", "Three", "Four", "Ten"}},
		{"1.5 litres of water", []string{"1.5 litres of water"}},
		{"2026 was a year", []string{"2026 was a year"}},
		{"\r\n  \r\n", nil},
		{"a\uE000b", []string{"ab"}},
	} {
		if got := parseText(c.in); !slices.Equal(got, c.want) {
			t.Errorf("parseText(%q) = %q; want %q", c.in, got, c.want)
		}
	}
	items := []string{"One", "Two"}
	if got := parseText(listText(items)); !slices.Equal(got, items) {
		t.Errorf("the form's text does not read back: %q", got)
	}
}

func TestCheckItems(t *testing.T) {
	if err := checkItems([]string{"ok"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		items []string
		want  string
	}{
		{"None", nil, "empty"},
		{"TooMany", slices.Repeat([]string{"x"}, MaxItems+1), "26 agreements"},
		{"TooLong", []string{strings.Repeat("é", MaxItemLen+1)}, "301 characters"},
		{"Control", []string{"tab\there"}, "control character"},
		{"TooMuch", slices.Repeat([]string{strings.Repeat("a", 290)}, 11), "Shorten some agreements"},
	} {
		err := checkItems(c.items)
		msg, ok := bot.UserMessage(err)
		if !ok || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %v; want a user error saying %q", c.name, err, c.want)
		}
	}
	// Exactly at the limits is fine: 300 characters an item, 3000 in all.
	exact := slices.Repeat([]string{strings.Repeat("a", 297)}, 10)
	exact[9] = strings.Repeat("a", 297-(len(listText(exact))-MaxText)-1)
	if n := len([]rune(listText(exact))); n > MaxText {
		t.Fatalf("test setup: %d characters", n)
	}
	if err := checkItems(exact); err != nil {
		t.Errorf("%d characters: %v", len(listText(exact)), err)
	}
}

// retentionStore is a Store that knows a group's retention_days.
type retentionStore struct {
	Store
	days int
}

func (r retentionStore) RetentionDays(context.Context, int64) (int, error) { return r.days, nil }

// TestPrivacyText: the privacy note says how long answers are kept (the
// store's retention when it knows it) and that nobody watches tend around
// the clock, unless the operator's resources speak to that themselves.
func TestPrivacyText(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := consoleEnv(t)
		e.cmd(fac, "norms use support")
		wantIn(t, "default", e.cmd("ann", "norms show"), "deleted after 90 days", "Nobody watches tend around the clock")
		e.resources = "Call 999 in an emergency. A duty facilitator reads messages to this bot 24/7."
		e.restart()
		show := e.cmd("ann", "norms show")
		wantIn(t, "operator says", show, "About urgent help, see \"In a crisis\"", "reads messages to this bot 24/7")
		if strings.Contains(show, "Nobody watches") {
			t.Errorf("the note contradicts the operator:\n%s", show)
		}
		f := &Feature{st: retentionStore{Store: e.db, days: 30}, b: e.b}
		wantIn(t, "retention", f.privacyText(t.Context(), e.group), "deleted after 30 days")
	})
}
