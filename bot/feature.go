package bot

import (
	"context"
	"log/slog"
)

// Feature is one of tend's features (groups, reminders, norms, check-ins,
// attendance) as cmd/tend wires it. Every feature has the same shape: a
// constructor New(store, Deps) taking the small store interface the feature
// declares itself, then Register, which adds its commands, buttons, event
// subscribers and job kinds to the Bot and the Runner.
type Feature interface {
	Register(b *Bot, r *Runner) error
}

// ConfigApplier is a Feature with a config section (a ConfigSection) that it
// applies at start to each group the file declares; n is nil when the group
// has no such section. Applying the same file again must change nothing.
type ConfigApplier interface {
	ApplyConfig(ctx context.Context, g Group, n *Node) error
}

// SectionApplier is a Feature with more than one config section, or a
// global one (safety.crisis_phrases): ApplySection gets each of its
// sections by key — a global section once, with the zero Group, before any
// group's; a group section for each group the file declares — with n nil
// when the section is absent. Applying the same file again must change
// nothing. A feature that implements it is not also given its sections
// through ConfigApplier.
type SectionApplier interface {
	ApplySection(ctx context.Context, key string, g Group, n *Node) error
}

// Deps is what every feature's constructor gets besides its store.
type Deps struct {
	Clock Clock
	// Sender delivers posts, DMs and edits exactly once per key: the core's
	// *Sender.
	Sender Deliverer
	Logger *slog.Logger
	// TimeZone is the config's default zone for groups that set none.
	TimeZone string
	// ConfigFile names the config file in messages ("tend.yaml"); empty
	// when tend runs on built-in defaults.
	ConfigFile string
	// ConfigLine returns the line of a group's entry in ConfigFile, 0 when
	// the file has none; nil when unknown.
	ConfigLine func(group string) int
	// Observer is told what the feature does, for the operator's metrics
	// (reminder lateness, alert latency); NopObserver when unset.
	Observer Observer
}

// WithDefaults returns d with the system clock, the default logger, UTC
// and NopObserver where they are unset.
func (d Deps) WithDefaults() Deps {
	if d.Clock == nil {
		d.Clock = SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.TimeZone == "" {
		d.TimeZone = "UTC"
	}
	d.Observer = ObserverOr(d.Observer)
	return d
}
