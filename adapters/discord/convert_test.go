package discord

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

func noop(context.Context, *bot.Request) ([]bot.Outbound, error) { return nil, nil }

func TestBuildCommand_GroupsAliasesAndOrder(t *testing.T) {
	specs := []bot.CommandSpec{
		{Path: "help", Summary: "What you can do", Run: noop},
		{Path: "roster", Summary: "Show the roster", Group: bot.GroupRequired, Run: noop},
		{Path: "roster add", Summary: "Add someone", Group: bot.GroupRequired, Run: noop,
			Options: []bot.Option{{Name: "note"}, {Name: "user", Type: bot.OptUser, Required: true}}},
	}
	cmd, aliases := buildCommand(specs)
	if len(cmd.Options) != 2 || cmd.Options[0].Name != "help" || cmd.Options[1].Name != "roster" || cmd.Options[1].Type != optSubcommandGroup {
		t.Fatalf("top level %+v; want help and the roster group", cmd.Options)
	}
	subs := cmd.Options[1].Options
	if len(subs) != 2 || subs[0].Name != aliasSub || subs[1].Name != "add" {
		t.Fatalf("roster group %+v; want %q (for /tend roster) and add", subs, aliasSub)
	}
	if got := aliases["roster "+aliasSub]; len(got) != 1 || got[0] != "roster" {
		t.Errorf("alias %v; want [roster]", got)
	}
	add := subs[1].Options
	if len(add) != 3 || add[0].Name != "user" || !add[0].Required || add[0].Type != optUser || add[2].Name != "group" || !add[2].Autocomplete {
		t.Errorf("roster add options %+v; want required user first, then note, then group with autocomplete", add)
	}
}

func TestBuildCommand_FitsDiscordsSizeLimit(t *testing.T) {
	var specs []bot.CommandSpec
	for i := range 20 {
		sp := bot.CommandSpec{Path: fmt.Sprintf("area%d act", i), Summary: strings.Repeat("s", 100), Group: bot.GroupRequired, Run: noop}
		for j := range 10 {
			sp.Options = append(sp.Options, bot.Option{Name: fmt.Sprintf("opt%d", j), Description: strings.Repeat("d", 100)})
		}
		specs = append(specs, sp)
	}
	cmd, _ := buildCommand(specs)
	if n := cmd.chars(); n > maxCommandChars {
		t.Errorf("command is %d characters; want ≤ %d", n, maxCommandChars)
	}
}

func TestRender_LimitsTimesAndButtons(t *testing.T) {
	at := time.Unix(1800000000, 0)
	var btns []bot.Button
	for i := range 27 {
		btns = append(btns, bot.Button{Label: fmt.Sprint(i), ID: fmt.Sprintf("t1|x|1|%d|mac", i)})
	}
	btns = append(btns, bot.Button{Label: "unsealed"})
	p := render(bot.Message{Title: strings.Repeat("T", 300), Text: "at " + bot.Time(at, bot.TimeRelative), Buttons: btns,
		Fields: []bot.Field{{Name: "", Value: strings.Repeat("v", 2000)}}})
	e := (*p.Embeds)[0]
	if len([]rune(e.Title)) != maxTitle || e.Description != "at <t:1800000000:R>" {
		t.Errorf("title %d runes, description %q", len([]rune(e.Title)), e.Description)
	}
	if e.Fields[0].Name != "\u200b" || len([]rune(e.Fields[0].Value)) != maxFieldValue {
		t.Errorf("field %q/%d runes; want a blank name and a cut value", e.Fields[0].Name, len([]rune(e.Fields[0].Value)))
	}
	rows := *p.Components
	if len(rows) != maxRows || len(rows[4].Components) != maxPerRow {
		t.Errorf("%d rows; want 5 full rows (25 buttons), the rest and unsealed ones dropped", len(rows))
	}
}

func TestNonce(t *testing.T) {
	a, b := nonce("reminder/1/24h"), nonce("reminder/1/1h")
	if len(a) == 0 || len(a) > 25 || a == b || a != nonce("reminder/1/24h") || nonce("") != "" {
		t.Errorf("nonce %q %q; want stable, distinct, 1–25 characters", a, b)
	}
}

// worstPages are long lists paginated by the core at its shared limits:
// every line full of timestamps (longer rendered than written) and of
// characters Slack escapes, as a member's data over 30 weekly sessions in
// several groups would be and more.
func worstPages(t *testing.T) []bot.Message {
	t.Helper()
	at := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	var sections []bot.Section
	for s := range 6 {
		var lines []string
		for i := range 40 {
			d := at.AddDate(0, 0, 7*i)
			lines = append(lines, fmt.Sprintf("group-%d: session %d (%s): present & <on time>, from %s to %s, arrived %s, marked %s", s, i+1,
				bot.Time(d, bot.TimeDate), bot.Time(d, bot.TimeClock), bot.Time(d.Add(time.Hour), bot.TimeClock), bot.Time(d, bot.TimeClock), bot.Time(d, bot.TimeFull)))
		}
		sections = append(sections, bot.Section{Name: fmt.Sprintf("Kind %d", s), Lines: lines})
	}
	pages, _ := bot.Paginate(bot.Message{Title: "What tend holds about you", Text: strings.Repeat("Shown only to you. ", 20), Footer: "/tend forget erases all of it."},
		sections, bot.MaxReplies, func(n int) string { return fmt.Sprintf("… and %d more.", n) })
	if len(pages) < 2 {
		t.Fatalf("%d pages: the case is not long enough to test", len(pages))
	}
	return pages
}

// TestRender_PaginatedFitsWhole: a message the core paginated at its
// shared limits (bot.MaxMessageFields, bot.MaxMessageChars) renders
// whole: no field dropped, nothing cut, within the embed's 6,000
// characters.
func TestRender_PaginatedFitsWhole(t *testing.T) {
	if bot.MaxMessageFields > maxFields {
		t.Fatalf("bot.MaxMessageFields %d > Discord's %d", bot.MaxMessageFields, maxFields)
	}
	for i, m := range worstPages(t) {
		p := render(m)
		e := (*p.Embeds)[0]
		if len(e.Fields) != len(m.Fields) || embedChars(&e) > maxEmbedTotal {
			t.Fatalf("page %d: %d of %d fields, %d characters", i+1, len(e.Fields), len(m.Fields), embedChars(&e))
		}
		for j, f := range e.Fields {
			if f.Value != text(m.Fields[j].Value) || f.Name != text(m.Fields[j].Name) {
				t.Errorf("page %d field %d was cut: %q", i+1, j, f.Value)
			}
		}
		if e.Description != text(m.Text) || e.Title != text(m.Title) || (m.Footer != "" && e.Footer.Text != text(m.Footer)) {
			t.Errorf("page %d: title, text or footer cut", i+1)
		}
	}
}
