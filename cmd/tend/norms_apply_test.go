package main

import (
	"context"
	"testing"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
	"github.com/tend-bot/tend/store/storetest"
)

// sectionApplier records the nodes its ApplyConfig is handed.
type sectionApplier struct {
	got map[string][]*bot.Node
	key string
}

func (s *sectionApplier) Register(*bot.Bot, *bot.Runner) error { return nil }

func (s *sectionApplier) ApplyConfig(_ context.Context, g bot.Group, n *bot.Node) error {
	s.got[s.key] = append(s.got[s.key], n)
	return nil
}

// TestApplyConfig_OwnSectionOnly: with two features that have config
// sections, each ConfigApplier is handed its own section of each group,
// never the other's (which it would refuse as unknown keys).
func TestApplyConfig_OwnSectionOnly(t *testing.T) {
	db := storetest.Open(t)
	got := map[string][]*bot.Node{}
	a, b := &sectionApplier{got: got, key: "a"}, &sectionApplier{got: got, key: "b"}
	nodeA, nodeB := &bot.Node{Value: "a"}, &bot.Node{Value: "b"}
	g := bot.Group{Name: "g", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "g"}, Kind: bot.KindSupport,
		Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard}
	m := &Main{Config: &config.Config{Groups: []config.Group{{Group: g, Sections: map[string]*bot.Node{"a": nodeA, "b": nodeB}}}}}
	feats := []builtFeature{
		{Feature: a, sections: []bot.ConfigSection{{Key: "a"}}},
		{Feature: b, sections: []bot.ConfigSection{{Key: "b"}}},
	}
	if err := m.applyConfig(t.Context(), db, feats); err != nil {
		t.Fatal(err)
	}
	if len(got["a"]) != 1 || got["a"][0] != nodeA || len(got["b"]) != 1 || got["b"][0] != nodeB {
		t.Fatalf("a got %v, b got %v; want each its own node once", got["a"], got["b"])
	}
}
