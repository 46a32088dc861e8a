package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tend-bot/tend/bot"

	slackgo "github.com/slack-go/slack"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain words", "plain words"},
		{"a & b < c > d", "a &amp; b &lt; c &gt; d"},
		{"hello <@U0123ABC>", "hello <@U0123ABC>"},
		{"hello <@U0123ABC|sam> in <#C0456|general>", "hello <@U0123ABC|sam> in <#C0456|general>"},
		// A person's text must never notify a whole channel or link away.
		{"topic <!channel> <!here> <!everyone>", "topic &lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt;"},
		{"<https://evil.example|click>", "&lt;https://evil.example|click&gt;"},
		{"<@lowercase>", "&lt;@lowercase&gt;"},
	} {
		if got := escape(tc.in); got != tc.want {
			t.Errorf("escape(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestSlackDate(t *testing.T) {
	at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.FixedZone("EST", -5*3600)) // 23:00 UTC
	for _, tc := range []struct {
		style bot.TimeStyle
		want  string
	}{
		{bot.TimeFull, "<!date^1796166000^{date_short_pretty} at {time}|1 December 2026 23:00 UTC>"},
		{bot.TimeShort, "<!date^1796166000^{date_short_pretty} at {time}|1 December 2026 23:00 UTC>"},
		{bot.TimeDate, "<!date^1796166000^{date_short_pretty}|1 December 2026>"},
		{bot.TimeClock, "<!date^1796166000^{time}|23:00 UTC>"},
		{bot.TimeRelative, "<!date^1796166000^{ago}|1 December 2026 23:00 UTC>"},
	} {
		if got := mrkdwn("at " + bot.Time(at, tc.style)); got != "at "+tc.want {
			t.Errorf("style %c: %q; want %q", tc.style, got, "at "+tc.want)
		}
	}
	// User text that looks like a placeholder cannot forge one, and text
	// around a real one is still escaped.
	got := mrkdwn("<b> " + bot.Time(at, bot.TimeClock))
	if got != "&lt;b&gt; <!date^1796166000^{time}|23:00 UTC>" {
		t.Errorf("mixed text: %q", got)
	}
	if p := plain("Session " + bot.Time(at, bot.TimeDate)); p != "Session 1 December 2026" {
		t.Errorf("plain: %q", p)
	}
}

func TestRenderBlocks_Limits(t *testing.T) {
	long := strings.Repeat("word ", 1000) + "\n" + strings.Repeat("x", 4000)
	var fields []bot.Field
	for i := range 23 {
		fields = append(fields, bot.Field{Name: "F", Value: strings.Repeat("v", 2500), Inline: i%5 != 0})
	}
	var buttons []bot.Button
	for range 30 {
		buttons = append(buttons, bot.Button{Label: strings.Repeat("L", 100), ID: "t1|x|1||abc"})
	}
	blocks, err := renderBlocks(bot.Message{Title: strings.Repeat("T", 300), Text: long, Fields: fields, Buttons: buttons, Footer: "f"})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, b := range blocks {
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			BlockID  string                  `json:"block_id"`
			Text     *struct{ Text string }  `json:"text"`
			Fields   []struct{ Text string } `json:"fields"`
			Elements []json.RawMessage       `json:"elements"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		if v.BlockID == "" || ids[v.BlockID] {
			t.Errorf("block %s: block_id missing or repeated", raw)
		}
		ids[v.BlockID] = true
		limit := maxSectionText
		if b.BlockType() == slackgo.MBTHeader {
			limit = maxHeaderText
		}
		if v.Text != nil && utf8.RuneCountInString(v.Text.Text) > limit {
			t.Errorf("%s text has %d characters; limit %d", b.BlockType(), utf8.RuneCountInString(v.Text.Text), limit)
		}
		if len(v.Fields) > maxFields {
			t.Errorf("section has %d fields; limit %d", len(v.Fields), maxFields)
		}
		for _, f := range v.Fields {
			if utf8.RuneCountInString(f.Text) > maxFieldText {
				t.Errorf("field has %d characters; limit %d", utf8.RuneCountInString(f.Text), maxFieldText)
			}
		}
		if len(v.Elements) > maxButtonsBlock {
			t.Errorf("actions block has %d elements; limit %d", len(v.Elements), maxButtonsBlock)
		}
	}
	if _, err := renderBlocks(bot.Message{Buttons: []bot.Button{{Label: "unsealed"}}}); err == nil {
		t.Error("a button without an id rendered; want an error")
	}
}

func TestSplitText(t *testing.T) {
	s := strings.Repeat("é", 10) + "\n" + strings.Repeat("b", 10)
	got := splitText(s, 15)
	if len(got) != 2 || got[0] != strings.Repeat("é", 10) || got[1] != strings.Repeat("b", 10) {
		t.Errorf("splitText = %q; want a cut at the line break", got)
	}
	if got := splitText(strings.Repeat("a", 25), 10); len(got) != 3 || got[2] != "aaaaa" {
		t.Errorf("splitText without breaks = %q", got)
	}
}

func TestModalRoundTrip(t *testing.T) {
	m := &bot.Modal{Title: "Edit the group's norms please", ID: "t1|norms.edit|1||mac",
		Inputs: []bot.Input{{ID: "text", Label: "Norms", Long: true, Required: true, Value: "1. Confidentiality", MaxLen: 5000}, {ID: "note", Label: "Note"}}}
	v, err := renderModal(m, "C0GROUP")
	if err != nil {
		t.Fatal(err)
	}
	if v.CallbackID != m.ID || v.PrivateMetadata != "C0GROUP" || utf8.RuneCountInString(v.Title.Text) > 24 {
		t.Errorf("view %+v", v)
	}
	state := &slackgo.ViewState{Values: map[string]map[string]slackgo.BlockAction{
		"in_text": {"text": {Value: "1. Kindness"}},
		"in_note": {"note": {Value: ""}},
	}}
	got := modalValues(state)
	if got["text"] != "1. Kindness" || len(got) != 2 {
		t.Errorf("values %v", got)
	}
}

func TestNew_RefusesIncompleteConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"NoBotToken", Config{AppToken: "xapp"}, "bot token"},
		{"SocketWithoutAppToken", Config{BotToken: "xoxb"}, "app-level token"},
		{"HTTPWithoutSecret", Config{Mode: ModeHTTP, BotToken: "xoxb", Listen: ":3000"}, "signing secret"},
		{"HTTPWithoutListen", Config{Mode: ModeHTTP, BotToken: "xoxb", SigningSecret: "s"}, "listen"},
		{"UnknownMode", Config{Mode: "rtm", BotToken: "xoxb"}, "not socket or http"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v; want an error about %s", tc.name, err, tc.want)
		}
	}
}

// TestRenderBlocks_PaginatedFitsWhole: a message the core paginated at its
// shared limits (bot.MaxMessageFields, bot.MaxMessageChars) renders
// within Slack's 50 blocks, every field's text whole (split into sections,
// never cut), even with every line full of timestamps and escaped
// characters.
func TestRenderBlocks_PaginatedFitsWhole(t *testing.T) {
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
	for i, m := range pages {
		blocks, err := renderBlocks(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(blocks) > maxBlocks {
			t.Errorf("page %d: %d blocks; Slack takes %d", i+1, len(blocks), maxBlocks)
		}
		raw, err := json.Marshal(blocks)
		if err != nil {
			t.Fatal(err)
		}
		var all []struct {
			Text *struct{ Text string } `json:"text"`
		}
		if err := json.Unmarshal(raw, &all); err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		for _, b := range all {
			if b.Text != nil {
				got.WriteString(b.Text.Text + "\n")
			}
		}
		for _, f := range m.Fields {
			for _, line := range strings.Split(mrkdwn(f.Value), "\n") {
				if !strings.Contains(got.String(), line) {
					t.Errorf("page %d: a line of field %q is missing or cut: %q", i+1, f.Name, line)
				}
			}
		}
	}
}
