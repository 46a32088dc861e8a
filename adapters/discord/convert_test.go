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
