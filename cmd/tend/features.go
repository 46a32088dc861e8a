package main

import (
	"context"

	"github.com/tend-bot/tend/attendance"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/calendar"
	"github.com/tend-bot/tend/checkins"
	"github.com/tend-bot/tend/groups"
	"github.com/tend-bot/tend/norms"
	"github.com/tend-bot/tend/reminders"
	"github.com/tend-bot/tend/store"
)

// feature is one of tend's features as this binary wires it: its config
// section or sections, if it has any, and its constructor over the
// database.
type feature struct {
	section func() bot.ConfigSection
	// sections, for a feature with several config sections or a global
	// one; it implements bot.SectionApplier.
	sections func() []bot.ConfigSection
	build    func(db *store.DB, d bot.Deps) (bot.Feature, error)
}

// configSections returns the feature's config sections.
func (f feature) configSections() []bot.ConfigSection {
	var out []bot.ConfigSection
	if f.section != nil {
		out = append(out, f.section())
	}
	if f.sections != nil {
		out = append(out, f.sections()...)
	}
	return out
}

// features lists tend's features, in the order they are registered.
// Adding a feature is one line here.
func features() []feature {
	return []feature{
		{build: func(db *store.DB, d bot.Deps) (bot.Feature, error) { return groups.New(db, d) }},
		{build: func(db *store.DB, d bot.Deps) (bot.Feature, error) { return reminders.New(db, d) }},
		{section: norms.Section, build: func(db *store.DB, d bot.Deps) (bot.Feature, error) { return norms.New(db, d) }},
		{section: attendance.Section, build: func(db *store.DB, d bot.Deps) (bot.Feature, error) { return attendance.New(db, d) }},
		{sections: checkins.Sections, build: func(db *store.DB, d bot.Deps) (bot.Feature, error) { return checkins.New(db, d) }},
		{build: func(db *store.DB, d bot.Deps) (bot.Feature, error) { return calendar.New(db, d) }},
	}
}

// resumer is a feature with work to try again once at each start, beside
// the platforms (norms: newcomers whose access waits on an event that may
// have been missed while tend was not running).
type resumer interface {
	Resume(ctx context.Context) error
}

// builtFeature is a feature as run wired it, beside its config sections:
// each is handed its own sections, and no other.
type builtFeature struct {
	bot.Feature
	sections []bot.ConfigSection
}

// sections returns the config sections of the features.
func (m *Main) sections() []bot.ConfigSection {
	var out []bot.ConfigSection
	for _, f := range features() {
		out = append(out, f.configSections()...)
	}
	return out
}
