package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tend-bot/tend/adapters/console"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/calendar"
	"github.com/tend-bot/tend/config"
	"github.com/tend-bot/tend/groups"
	"github.com/tend-bot/tend/ops"
	"github.com/tend-bot/tend/reminders"
	"github.com/tend-bot/tend/store"
)

// run wires the store, the platforms, the core and the features, and runs
// until a signal, a fatal platform error or (console only) the end of input.
func (m *Main) run(ctx context.Context) error {
	cfg := m.Config
	log := m.logger()
	logWarnings(log, cfg)
	clock := m.Clock
	if clock == nil {
		tc, err := testClock(m.LookupEnv)
		if err != nil {
			return &usageError{msg: err.Error()}
		}
		clock = tc
	}
	if clock == nil {
		clock = bot.SystemClock{}
	}

	dbPath := m.path(cfg.Storage.Path)
	// Only one tend run may use a database; a second one stops here, naming
	// the first, before it opens the database for writing.
	db, lock, err := store.OpenLocked(ctx, dbPath, store.LockOptions{Clock: clock, Logger: log})
	if errors.Is(err, store.ErrHeld) {
		return err
	}
	if err != nil {
		return fmt.Errorf("open the database: %w", err)
	}
	m.closers = append(m.closers, db.Close, func() error {
		rctx, cancel := context.WithTimeout(context.Background(), m.shutdownTimeout())
		defer cancel()
		return lock.Release(rctx)
	})
	if p := lock.Previous; p != nil {
		log.Warn("took the database over from a tend run that is gone", "pid", p.PID, "host", p.Host,
			"started", p.StartedAt, "last_heartbeat", p.HeartbeatAt)
	}
	key, err := db.ActionKey(ctx)
	if err != nil {
		return fmt.Errorf("read the button signing key: %w", err)
	}
	codec, err := bot.NewActionCodec(key)
	if err != nil {
		return fmt.Errorf("button signing key: %w", err)
	}

	// The operator's metrics observe the core, the adapters and the
	// features; without http: nothing observes.
	var (
		obs     bot.Observer = bot.NopObserver{}
		metrics *ops.Metrics
	)
	if cfg.HTTP != nil {
		if metrics, err = ops.NewMetrics(ops.MetricsConfig{Stats: db, Clock: clock, Logger: log, Version: buildVersion()}); err != nil {
			return err
		}
		obs = metrics
	}
	owners := cfg.Owners
	platforms, cons, err := m.platforms(log, clock, obs, &owners)
	if err != nil {
		return err
	}
	sender := bot.NewSender(db, codec, clock, log, platforms...)
	sender.ReportUnreachableTo(owners)
	sender.Observe(obs)
	jobs := newDrainStore(db)
	// Reminders are read and prepared up to lookahead before they are due,
	// so that a whole hour's reminders go out on time. Not with the
	// console: at the end of its input it waits until no job is running,
	// and a job prepared early would hold it until its due time.
	lookahead := 5 * time.Second
	if cons != nil {
		lookahead = 0
	}
	runner := bot.NewRunner(bot.RunnerConfig{Store: jobs, Clock: clock, Logger: log, Lookahead: lookahead, Observer: obs})
	b, err := bot.New(bot.Config{Groups: db, Owners: owners, Codec: codec, Sender: sender, Clock: clock, Logger: log,
		Version: buildVersion(), Runner: runner, Resources: cfg.Safety.Resources})
	if err != nil {
		return err
	}
	deps := bot.Deps{Clock: clock, Sender: sender, Logger: log, TimeZone: cfg.TimeZone, ConfigFile: m.ConfigPath, ConfigLine: m.configLine, Observer: obs}
	var built []builtFeature
	for _, f := range features() {
		feat, err := f.build(db, deps)
		if err != nil {
			return err
		}
		if cf, ok := feat.(*calendar.Feature); ok && cfg.Calendar != nil {
			if err := cf.Enable(cfg.Calendar.BaseURL); err != nil {
				return err
			}
		}
		if err := feat.Register(b, runner); err != nil {
			return err
		}
		built = append(built, builtFeature{Feature: feat, sections: f.configSections()})
	}
	if err := m.applyConfig(ctx, db, built); err != nil {
		return err
	}
	// Every group tend serves: those the file declares and those set up in
	// chat on earlier runs.
	all, err := db.ListGroups(ctx)
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	if cons != nil {
		// Groups set up in chat on earlier runs are bound to channels the
		// console must know, so that their reminders can be shown.
		for _, g := range all {
			if g.Address.Platform == bot.PlatformConsole {
				if err := cons.AddChannels(g.Address.Channel); err != nil {
					return fmt.Errorf("console channel %s: %w", g.Address.Channel, err)
				}
				// The facilitators' channel, where alerts and summaries go.
				if ch := g.FacilitatorsChannel; ch != "" {
					if err := cons.AddChannels(ch); err != nil {
						return fmt.Errorf("console channel %s: %w", ch, err)
					}
				}
			}
		}
	}

	if cfg.Safety.Resources == config.DefaultCrisisResources {
		log.Warn("safety.resources is the built-in placeholder; set it to a crisis line for your members' region")
	}
	log.Info("tend started", "version", buildVersion(), "database", dbPath, "platforms", len(platforms),
		"groups", len(all), "groups_in_config", len(cfg.Groups))
	var beside []func(context.Context)
	for _, f := range built {
		if g, ok := f.Feature.(*groups.Feature); ok {
			// Advisory, beside the platforms: every message to the
			// facilitators checks again.
			beside = append(beside, func(ctx context.Context) {
				cctx, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				g.CheckFacilitatorsChannels(cctx)
			})
		}
		if r, ok := f.Feature.(resumer); ok {
			// Work that depends on events sent while tend was not running
			// (Discord's rules screening clearing) is tried again.
			beside = append(beside, func(ctx context.Context) {
				if err := r.Resume(ctx); err != nil && ctx.Err() == nil {
					log.Error("resuming work at start failed", bot.KeyErr, err)
				}
			})
		}
	}
	services, err := m.listeners(log, db, platforms, metrics, built)
	if err != nil {
		return err
	}
	return m.serve(ctx, log, clock, platforms, cons, b, runner, jobs, lock, services, beside...)
}

// platforms builds the configured platforms. With the console, the person
// at the terminal is an owner: the first console owner configured, else
// "owner", who is then added to owners.
func (m *Main) platforms(log *slog.Logger, clock bot.Clock, obs bot.Observer, owners *[]bot.Principal) ([]bot.Platform, *console.Adapter, error) {
	cfg := m.Config
	var (
		out  []bot.Platform
		cons *console.Adapter
	)
	if cfg.ConsoleEnabled() {
		user := ""
		for _, o := range *owners {
			if o.Kind() == bot.PlatformConsole {
				user = o.ID()
				break
			}
		}
		if user == "" {
			user = console.DefaultUser
			*owners = append(slices.Clone(*owners), bot.Principal(bot.PlatformConsole+":"+user))
		}
		var channels []bot.ChannelID
		for _, g := range cfg.Groups {
			if g.Address.Platform == bot.PlatformConsole {
				channels = append(channels, g.Address.Channel)
				if g.FacilitatorsChannel != "" {
					channels = append(channels, g.FacilitatorsChannel)
				}
			}
		}
		var err error
		cons, err = console.New(console.Config{
			In: m.Stdin, Out: m.Stdout, DefaultUser: user, Channels: channels,
			Location: m.Location, Clock: clock, Logger: log,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("start the console: %w", err)
		}
		out = append(out, cons)
	}
	if cfg.Discord != nil {
		p, err := newDiscord(cfg, log, clock, obs)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, p)
	}
	if cfg.Slack != nil {
		p, err := newSlack(cfg, log, clock, obs)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, nil, &usageError{msg: "no platform is enabled: configure discord: or slack:, or set console: {enabled: on}"}
	}
	return out, cons, nil
}

// applyChunk is how many of the file's groups are applied at a time: the
// work of one chunk is held in memory, whatever the size of the file.
const applyChunk = 5000

// applyConfig applies the groups the file declares, then hands each
// feature its own sections, and no other: the series and reminder
// settings to reminders; a SectionApplier each of its sections by key (its
// global ones first, once); a ConfigApplier its section of each group
// (nil when the group has none). It goes a chunk of groups at a time. A
// group whose declaration is the one it was last applied from (the same
// digest) is skipped by every feature; the digests of the others are
// recorded once every feature has applied them.
func (m *Main) applyConfig(ctx context.Context, db *store.DB, feats []builtFeature) error {
	cfg := m.Config
	names := make([]string, len(cfg.Groups))
	for i, g := range cfg.Groups {
		names[i] = g.Name
	}
	run, err := groups.BeginConfig(ctx, db, names)
	if err != nil {
		return wrapApply(err)
	}
	for _, f := range feats {
		sa, ok := f.Feature.(bot.SectionApplier)
		if !ok {
			continue
		}
		for _, sec := range f.sections {
			if sec.Global {
				if err := sa.ApplySection(ctx, sec.Key, bot.Group{}, cfg.Sections[sec.Key]); err != nil {
					return wrapApply(fmt.Errorf("%s: %w", sec.Key, err))
				}
			}
		}
	}
	salt := configSalt(feats)
	for chunk := range slices.Chunk(cfg.Groups, applyChunk) {
		if err := m.applyGroups(ctx, db, feats, run, chunk, salt); err != nil {
			return err
		}
	}
	return wrapApply(run.End(ctx))
}

// applyGroups applies one chunk of the file's groups: the groups
// themselves, then each feature's parts of those whose declaration
// changed, then their digests.
func (m *Main) applyGroups(ctx context.Context, db *store.DB, feats []builtFeature, run *groups.ConfigRun, gs []config.Group, salt string) error {
	if err := ctx.Err(); err != nil {
		return err // stopped during start-up
	}
	decl := make([]groups.Declared, len(gs))
	for i, g := range gs {
		decl[i] = groups.Declared{Group: g.Group, Digest: g.Digest(salt)}
	}
	applied, err := run.Apply(ctx, decl)
	if err != nil {
		return wrapApply(err)
	}
	var scheds []reminders.ConfigSchedule
	for i, g := range gs {
		if applied.Changed[i] && g.Schedule != nil {
			scheds = append(scheds, reminders.ConfigSchedule{Group: applied.Groups[i], Schedule: *g.Schedule, Settings: g.Reminders})
		}
	}
	for _, f := range feats {
		if rm, ok := f.Feature.(*reminders.Reminders); ok && len(scheds) > 0 {
			if err := rm.ApplyConfigs(ctx, scheds); err != nil {
				return wrapApply(err)
			}
		}
	}
	for i, g := range gs {
		if !applied.Changed[i] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		stored := applied.Groups[i]
		for _, f := range feats {
			for _, sec := range f.sections {
				if sec.Global {
					continue
				}
				var err error
				switch a := f.Feature.(type) {
				case bot.SectionApplier:
					err = a.ApplySection(ctx, sec.Key, stored, g.Sections[sec.Key])
				case bot.ConfigApplier:
					err = a.ApplyConfig(ctx, stored, g.Sections[sec.Key])
				}
				if err != nil {
					return wrapApply(fmt.Errorf("group %s: %s: %w", g.Name, sec.Key, err))
				}
			}
		}
	}
	return wrapApply(applied.Record(ctx, db))
}

// configSalt names what applies the config file: this binary's version,
// its database schema and its features' config sections. A group's
// declaration is applied again when any of them changed since, so that a
// new tend applies what it newly understands.
func configSalt(feats []builtFeature) string {
	parts := []string{buildVersion(), strconv.Itoa(store.SchemaVersion())}
	for _, f := range feats {
		parts = append(parts, fmt.Sprintf("%T", f.Feature))
		for _, sec := range f.sections {
			parts = append(parts, sec.Key)
		}
	}
	return strings.Join(parts, "\x00")
}

func wrapApply(err error) error {
	if err == nil {
		return nil
	}
	if msg, ok := bot.UserMessage(err); ok {
		return &usageError{msg: "apply the config: " + msg}
	}
	return fmt.Errorf("apply the config: %w", err)
}

// serve runs the platforms, the job runner and the beside tasks (which
// end by themselves) until ctx is done, a platform
// fails, or the console — when it is the only platform — reaches the end of
// its input, after which the work due at that moment is let finish.
func (m *Main) serve(ctx context.Context, log *slog.Logger, clock bot.Clock, platforms []bot.Platform, cons *console.Adapter, b *bot.Bot, runner *bot.Runner, jobs *drainStore, lock *store.Lock, services []func(context.Context) error, beside ...func(context.Context)) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(runCtx)
	g.Go(func() error { return runner.Run(gctx) })
	// The HTTP listeners (operator endpoint, calendar feed) serve until
	// the stop; one that fails stops tend, as a platform does.
	for _, s := range services {
		g.Go(func() error { return s(gctx) })
	}
	// The heartbeat: losing the database to another tend stops this one.
	g.Go(func() error { return lock.Keep(gctx) })
	for _, f := range beside {
		g.Go(func() error { f(gctx); return nil })
	}
	consoleOnly := cons != nil && len(platforms) == 1
	for _, p := range platforms {
		g.Go(func() error {
			if err := p.Run(gctx, b); err != nil {
				return platformError(p.Name(), err)
			}
			if p == bot.Platform(cons) && consoleOnly && gctx.Err() == nil {
				// End of input: finish what is due now, then stop.
				dctx, cancel := context.WithTimeout(gctx, m.drainTimeout())
				defer cancel()
				if err := jobs.waitIdle(dctx, clock); err != nil && gctx.Err() == nil {
					log.Warn("stopping with work still running", bot.KeyErr, err)
				}
				stop()
			}
			return nil
		})
	}

	// Wait for everything to stop. After a stop was asked for, the final
	// flushes (jobs recording their outcome, adapters disconnecting) get a
	// fresh, bounded context of their own.
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-runCtx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.shutdownTimeout())
		defer cancel()
		select {
		case err = <-done:
		case <-sctx.Done():
			return fmt.Errorf("shut down: still busy after %s; stopping anyway", m.shutdownTimeout())
		}
	}
	if err != nil {
		return err
	}
	log.Info("tend stopped")
	return nil
}

// platformError names the platform a Run error came from, unless the
// adapter named itself already ("console: read input: …"), as adapters do
// at their API boundary.
func platformError(name string, err error) error {
	if strings.HasPrefix(err.Error(), name+":") {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}

func (m *Main) drainTimeout() time.Duration {
	if m.DrainTimeout > 0 {
		return m.DrainTimeout
	}
	return 30 * time.Second
}

func (m *Main) shutdownTimeout() time.Duration {
	if m.ShutdownTimeout > 0 {
		return m.ShutdownTimeout
	}
	return 10 * time.Second
}
