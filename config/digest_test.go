package config

import (
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

func digestGroup() Group {
	return Group{
		Group: bot.Group{Name: "tuesday", Address: bot.Address{Platform: bot.PlatformDiscord, Channel: "1"}, Kind: bot.KindSupport,
			Admission: bot.AdmissionOpen, TimeZone: "Europe/London", Privacy: bot.PrivacyStandard, Facilitators: []bot.Principal{"discord:1", "role:2"}},
		Schedule:  &bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Topics: []string{"a", "b"}},
		Reminders: Reminders{Leads: []time.Duration{time.Hour}, RSVP: true},
		Sections: map[string]*bot.Node{"norms": {Kind: bot.NodeMap, Line: 9, Col: 5, Fields: []bot.NodeField{
			{Key: "require", Value: &bot.Node{Kind: bot.NodeScalar, Value: "true", Tag: "!!bool", Line: 10, Col: 16}},
		}}},
		Line: 4,
	}
}

// TestGroup_Digest: the digest names a group's declaration — any setting,
// facilitator, schedule, reminder or section value changes it, and so does
// the salt (tend's version); where it is written in the file, the order of
// its facilitators and an absent section do not.
func TestGroup_Digest(t *testing.T) {
	base := digestGroup().Digest("v1")
	if base != digestGroup().Digest("v1") || len(base) != 32 {
		t.Fatalf("digest %q is not stable", base)
	}
	same := map[string]func(*Group){
		"moved in the file": func(g *Group) {
			g.Line = 40
			g.Sections["norms"].Line, g.Sections["norms"].Fields[0].Value.Col = 90, 3
		},
		"facilitators reordered": func(g *Group) { g.Facilitators = []bot.Principal{"role:2", "discord:1", "role:2"} },
		"an absent section":      func(g *Group) { g.Sections["checkins"] = nil },
	}
	for name, change := range same {
		g := digestGroup()
		change(&g)
		if got := g.Digest("v1"); got != base {
			t.Errorf("%s: digest changed", name)
		}
	}
	differ := map[string]func(*Group){
		"name":                 func(g *Group) { g.Name = "wednesday" },
		"channel":              func(g *Group) { g.Address.Channel = "2" },
		"capacity":             func(g *Group) { g.Capacity = 8 },
		"zone":                 func(g *Group) { g.TimeZone = "UTC" },
		"privacy":              func(g *Group) { g.Privacy = bot.PrivacyMinimal },
		"facilitators":         func(g *Group) { g.Facilitators = g.Facilitators[:1] },
		"facilitators channel": func(g *Group) { g.FacilitatorsChannel = "9" },
		"no schedule":          func(g *Group) { g.Schedule = nil },
		"weekly":               func(g *Group) { g.Schedule.Weekly = "tue 18:30" },
		"duration":             func(g *Group) { g.Schedule.Duration = 2 * time.Hour },
		"topics":               func(g *Group) { g.Schedule.Topics = []string{"ab"} },
		"link":                 func(g *Group) { g.Schedule.Link = "https://x" },
		"leads":                func(g *Group) { g.Reminders.Leads = nil },
		"no leads":             func(g *Group) { g.Reminders.Leads = []time.Duration{} },
		"rsvp":                 func(g *Group) { g.Reminders.RSVP = false },
		"starting now":         func(g *Group) { g.Reminders.StartingNow = true },
		"section value":        func(g *Group) { g.Sections["norms"].Fields[0].Value.Value = "false" },
		"section key":          func(g *Group) { g.Sections["norms"].Fields[0].Key = "role" },
		"another section": func(g *Group) {
			g.Sections["attendance"] = &bot.Node{Kind: bot.NodeMap}
		},
	}
	for name, change := range differ {
		g := digestGroup()
		change(&g)
		if got := g.Digest("v1"); got == base {
			t.Errorf("%s changed: the digest did not", name)
		}
	}
	if digestGroup().Digest("v2") == base {
		t.Error("another salt: the digest did not change")
	}
}
