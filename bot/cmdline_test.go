package bot

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCommandText(t *testing.T) {
	tests := []struct {
		in    string
		words []string
		args  map[string]string
		err   string // the refusal holds it; "" for no refusal
	}{
		{in: "help", words: []string{"help"}, args: map[string]string{}},
		{in: "  group   setup name:tuesday-support kind:support ", words: []string{"group", "setup"}, args: map[string]string{"name": "tuesday-support", "kind": "support"}},
		{in: `session schedule weekly:"tue 18:00" duration:90m count:8`, words: []string{"session", "schedule"}, args: map[string]string{"weekly": "tue 18:00", "duration": "90m", "count": "8"}},
		{in: `session schedule weekly:'mon,thu 09:30'`, err: `Write weekly:"mon,thu 09:30".`},
		{in: `roster add code:C-1 name:‘Sam Lee’`, err: `Write name:"Sam Lee".`},
		{in: `roster add user:sam name:O'Brien`, words: []string{"roster", "add"}, args: map[string]string{"user": "sam", "name": "O'Brien"}},
		{in: `roster add user:sam name:"Siobhán O'Brien"`, words: []string{"roster", "add"}, args: map[string]string{"user": "sam", "name": "Siobhán O'Brien"}},
		{in: `roster add name:O’Brien user:sam`, words: []string{"roster", "add"}, args: map[string]string{"user": "sam", "name": "O’Brien"}},
		{in: `session schedule topics:"Rock 'n' roll; Kids' stuff"`, words: []string{"session", "schedule"}, args: map[string]string{"topics": "Rock 'n' roll; Kids' stuff"}},
		{in: `roster add user:sam name:'til`, words: []string{"roster", "add"}, args: map[string]string{"user": "sam", "name": "'til"}},
		{in: `session schedule weekly:“tue 18:00”`, words: []string{"session", "schedule"}, args: map[string]string{"weekly": "tue 18:00"}},
		{in: "roster add user:<@U0123|sam>", words: []string{"roster", "add"}, args: map[string]string{"user": "<@U0123|sam>"}},
		{in: "roster add <@123456>", words: []string{"roster", "add", "<@123456>"}, args: map[string]string{}},
		{in: "session schedule link:https://meet.example.org/x", words: []string{"session", "schedule"}, args: map[string]string{"link": "https://meet.example.org/x"}},
		{in: "rsvp yes", words: []string{"rsvp", "yes"}, args: map[string]string{}},
		{in: `session move 3 to:"2026-12-08 19:00"`, words: []string{"session", "move", "3"}, args: map[string]string{"to": "2026-12-08 19:00"}},
		{in: "Name:X", words: nil, args: map[string]string{"name": "X"}},
		{in: "https://example.org", words: []string{"https://example.org"}, args: map[string]string{}},
		{in: `norms edit text:"unclosed`, err: "is not closed"},
		{in: "a:1 a:2", err: "given twice"},
		{in: "", words: nil, args: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			words, args, err := ParseCommandText(tt.in)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("ParseCommandText(%q) = %q %q, want a refusal", tt.in, words, args)
				}
				if msg, ok := UserMessage(err); !ok || !strings.Contains(msg, tt.err) {
					t.Fatalf("error %v, want a UserError holding %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCommandText(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(words, tt.words) || !reflect.DeepEqual(args, tt.args) {
				t.Fatalf("ParseCommandText(%q) = %q %q, want %q %q", tt.in, words, args, tt.words, tt.args)
			}
		})
	}
}

func TestParseMention(t *testing.T) {
	tests := []struct {
		in   string
		want UserID
		ok   bool
	}{
		{"<@U0123>", "U0123", true},
		{"<@U0123|sam>", "U0123", true},
		{"<@!123456789>", "123456789", true},
		{"@sam", "sam", true},
		{"sam", "", false},
		{"<@>", "", false},
		{"@", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseMention(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseMention(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if id, ok := ParseChannelMention("<#C0123|general>"); !ok || id != "C0123" {
		t.Errorf("ParseChannelMention = %q, %v", id, ok)
	}
}
