package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/config"
	"github.com/tend-bot/tend/groups"
	"github.com/tend-bot/tend/reminders"
	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

// probe is a feature with a config section that records the groups its
// ApplyConfig is handed.
type probe struct {
	mu  sync.Mutex
	got []string
}

func (p *probe) Register(*bot.Bot, *bot.Runner) error { return nil }

func (p *probe) ApplyConfig(_ context.Context, g bot.Group, _ *bot.Node) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, g.Name)
	return nil
}

// take returns the groups applied since the last take.
func (p *probe) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := p.got
	p.got = nil
	return got
}

// builtFor builds tend's features over db as run does, and a probe.
func builtFor(t *testing.T, db *store.DB) ([]builtFeature, *probe) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	codec, err := bot.NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	sender := bot.NewSender(db, codec, nil, log, &bottest.Platform{})
	runner := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: log})
	b, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: sender, Logger: log, Runner: runner})
	if err != nil {
		t.Fatal(err)
	}
	deps := bot.Deps{Sender: sender, Logger: log, TimeZone: "UTC"}
	var built []builtFeature
	for _, f := range features() {
		feat, err := f.build(db, deps)
		if err != nil {
			t.Fatal(err)
		}
		if err := feat.Register(b, runner); err != nil {
			t.Fatal(err)
		}
		built = append(built, builtFeature{Feature: feat, sections: f.configSections()})
	}
	p := &probe{}
	return append(built, builtFeature{Feature: p, sections: []bot.ConfigSection{{Key: "probe"}}}), p
}

// fileOf declares n console groups, each with a weekly series.
func fileOf(n int) []config.Group {
	gs := make([]config.Group, n)
	for i := range gs {
		gs[i] = config.Group{
			Group: bot.Group{Name: fmt.Sprintf("g%04d", i), Address: bot.Address{Platform: bot.PlatformConsole, Channel: bot.ChannelID(fmt.Sprintf("c%04d", i))},
				Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "Europe/London", Privacy: bot.PrivacyStandard,
				Facilitators: []bot.Principal{"console:fac"}},
			// The tests start on Saturday 1 January 2000, 00:00 UTC: a third
			// meet that evening (their sessions and jobs are stored at
			// once), the others on Sunday and Monday (their series are
			// deferred, see reminders/ahead.go).
			Schedule:  &bot.Schedule{Weekly: []string{"sat 18:00", "sun 09:30", "mon 19:00"}[i%3], Duration: time.Hour},
			Reminders: config.Reminders{Leads: []time.Duration{24 * time.Hour, time.Hour}, RSVP: true},
		}
	}
	return gs
}

// snapshot is what a start may have written: every group's row, and how
// many rows the tables hold.
type snapshot struct {
	groups map[string]bot.Group
	counts map[string]int
}

func snap(t *testing.T, db *store.DB) snapshot {
	t.Helper()
	gs, err := db.ListGroups(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{groups: map[string]bot.Group{}, counts: storetest.Counts(t, db.Path(), "audit_log", "series", "sessions", "jobs", "group_facilitators")}
	for _, g := range gs {
		s.groups[g.Name] = g
	}
	return s
}

// TestApplyConfig_OnlyWhatChanged: a 1,000-group file applied at a first
// start stores every group and series, and the sessions and jobs of those
// that meet within a day (the others are deferred); applied again
// unchanged, it reads the digests and writes nothing, and no feature is
// handed any group; with one group's settings and another's schedule
// changed, only those two are applied again, by every feature, and no
// other group's row, audit entry, session or job is touched.
func TestApplyConfig_OnlyWhatChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := storetest.Open(t)
		feats, p := builtFor(t, db)
		file := fileOf(1000)
		m := &Main{Config: &config.Config{Groups: file}}
		if err := m.applyConfig(t.Context(), db, feats); err != nil {
			t.Fatal(err)
		}
		if got := p.take(); len(got) != 1000 {
			t.Fatalf("first start: %d groups applied by the features; want 1000", len(got))
		}
		first := snap(t, db)
		if len(first.groups) != 1000 || first.counts["series"] != 1000 || first.counts["sessions"] < 334 || first.counts["jobs"] < 4*334 ||
			first.counts["audit_log"] != 1000 || first.counts["group_facilitators"] != 1000 {
			t.Fatalf("first start stored %d groups, %v", len(first.groups), first.counts)
		}

		time.Sleep(time.Minute) // a touched row would show a new updated_at
		if err := m.applyConfig(t.Context(), db, feats); err != nil {
			t.Fatal(err)
		}
		if got := p.take(); len(got) != 0 {
			t.Fatalf("unchanged file: the features were handed %d groups (%v …); want none", len(got), got[:min(3, len(got))])
		}
		if again := snap(t, db); !sameSnapshot(first, again) {
			t.Fatalf("unchanged file changed the database: %v → %v", first.counts, again.counts)
		}

		time.Sleep(time.Minute)
		file[500].Capacity = 12
		file[700].Schedule = &bot.Schedule{Weekly: "thu 07:15", Duration: 90 * time.Minute}
		if err := m.applyConfig(t.Context(), db, feats); err != nil {
			t.Fatal(err)
		}
		if got := p.take(); !slices.Equal(got, []string{"g0500", "g0700"}) {
			t.Fatalf("two groups changed: the features were handed %v; want g0500 and g0700", got)
		}
		after := snap(t, db)
		for name, g := range after.groups {
			was := first.groups[name]
			switch name {
			case "g0500":
				if g.Capacity != 12 || !g.UpdatedAt.After(was.UpdatedAt) {
					t.Errorf("g0500 = %+v; want capacity 12, updated", g)
				}
			case "g0700":
			default:
				if !g.UpdatedAt.Equal(was.UpdatedAt) || g.Capacity != was.Capacity {
					t.Errorf("%s was touched: %+v → %+v", name, was, g)
				}
			}
		}
		// One audit entry (g0500's capacity); g0700's new schedule adds its
		// sessions and jobs, and cancels the old one's.
		if after.counts["audit_log"] != first.counts["audit_log"]+1 || after.counts["series"] != 1000 {
			t.Errorf("after two changes: %v; before %v", after.counts, first.counts)
		}
		ser, err := db.Series(t.Context(), after.groups["g0700"].ID)
		if err != nil || ser.Schedule.Weekly != "thu 07:15" {
			t.Errorf("g0700's series = %+v, %v; want the new schedule", ser, err)
		}
		for _, name := range []string{"g0001", "g0699", "g0999", "g0002"} {
			ss, err := db.UpcomingSessions(t.Context(), after.groups[name].ID, time.Now(), 10)
			ser, serr := db.Series(t.Context(), after.groups[name].ID)
			stored := err == nil && len(ss) > 0 && ss[0].Status == bot.SessionScheduled
			if deferred := serr == nil && !ser.AheadAt.IsZero(); stored == deferred {
				t.Errorf("%s's sessions = %+v, %v; deferred to %v (%v): want one or the other", name, ss, err, ser.AheadAt, serr)
			}
		}

		// The same file under a new version of tend applies every group
		// again (it may apply more than the old one did).
		p.take()
		feats = append(feats[:len(feats)-1], builtFeature{Feature: p, sections: []bot.ConfigSection{{Key: "probe"}, {Key: "probe2"}}})
		if err := m.applyConfig(t.Context(), db, feats); err != nil {
			t.Fatal(err)
		}
		if got := p.take(); len(got) != 2000 {
			t.Fatalf("a new feature section: the features were handed %d groups; want every group (once per section: 2000)", len(got))
		}
	})
}

func sameSnapshot(a, b snapshot) bool {
	if len(a.groups) != len(b.groups) || !maps.Equal(a.counts, b.counts) {
		return false
	}
	for name, g := range a.groups {
		h := b.groups[name]
		if !g.UpdatedAt.Equal(h.UpdatedAt) || g.ID != h.ID || g.Capacity != h.Capacity {
			return false
		}
	}
	return true
}

// TestApplyConfig_BulkSameAsOneByOne: a first start applies the file in
// bulk (groups, series, sessions and jobs created many at once) and stores
// exactly what applying it one group at a time stores — the path tend took
// before, each group upserted, then its schedule, then each feature's
// section of it — row for row in every table, ids included (but the jobs'
// own), but for the digests that only the bulk path records. The file is the example's
// groups, with their norms, attendance and check-in sections, and 300
// generated ones.
func TestApplyConfig_BulkSameAsOneByOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		open := func(name string) *store.DB {
			db, err := store.Open(t.Context(), filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		bulkDB, oneDB := open("bulk.db"), open("one.db")
		bulkFeats, _ := builtFor(t, bulkDB)
		oneFeats, _ := builtFor(t, oneDB)
		var sections []bot.ConfigSection
		for _, f := range bulkFeats[:len(bulkFeats)-1] { // not the probe
			sections = append(sections, f.sections...)
		}
		src, err := os.ReadFile("../../config.example.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Parse(bytes.NewReader(src), config.Options{File: "config.example.yaml", Sections: sections})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Groups = append(cfg.Groups, fileOf(300)...)
		for i := range cfg.Groups[len(cfg.Groups)-300:] {
			g := &cfg.Groups[len(cfg.Groups)-300+i]
			if i%7 == 0 {
				g.Facilitators = append(g.Facilitators, "console:zoe", "console:abe")
			}
			if i%5 == 0 {
				g.Reminders.DM = true
			}
		}

		m := &Main{Config: cfg}
		if err := m.applyConfig(t.Context(), bulkDB, bulkFeats); err != nil {
			t.Fatal(err)
		}

		// One by one, as tend applied a file before the bulk path.
		ctx := t.Context()
		for _, f := range oneFeats {
			if sa, ok := f.Feature.(bot.SectionApplier); ok {
				for _, sec := range f.sections {
					if sec.Global {
						if err := sa.ApplySection(ctx, sec.Key, bot.Group{}, cfg.Sections[sec.Key]); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
		}
		for _, g := range cfg.BotGroups() {
			g.Source = bot.SourceConfig
			if _, _, err := oneDB.UpsertConfigGroup(ctx, groups.ConfigActor, g); err != nil {
				t.Fatal(err)
			}
		}
		for _, g := range cfg.Groups {
			stored, err := oneDB.GroupByName(ctx, g.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range oneFeats {
				if rm, ok := f.Feature.(*reminders.Reminders); ok && g.Schedule != nil {
					if err := rm.ApplyConfig(ctx, stored.ID, *g.Schedule, g.Reminders); err != nil {
						t.Fatal(err)
					}
				}
				for _, sec := range f.sections {
					if sec.Global {
						continue
					}
					switch a := f.Feature.(type) {
					case bot.SectionApplier:
						err = a.ApplySection(ctx, sec.Key, stored, g.Sections[sec.Key])
					case bot.ConfigApplier:
						err = a.ApplyConfig(ctx, stored, g.Sections[sec.Key])
					}
					if err != nil {
						t.Fatal(err)
					}
				}
			}
		}

		// Jobs are written in another order (their ids differ; nothing
		// refers to a job's id, and jobs due at the same instant are run
		// in any order): they are compared by everything else.
		bulk := storetest.Dump(t, bulkDB.Path(), "groups.config_digest", "jobs.id")
		one := storetest.Dump(t, oneDB.Path(), "groups.config_digest", "jobs.id")
		// The jobs that store deferred series' sessions are one per batch in
		// bulk, one per group's time one by one: either chain stores every
		// series at its time (reminders' TestApplyConfigs_SameAsOneByOne
		// runs both). Here, the bulk start has exactly one, at the
		// earliest time.
		isAhead := func(row string) bool { return strings.HasPrefix(row, "jobs: kind="+reminders.KindAhead+" ") }
		var aheads []string
		for _, row := range bulk {
			if isAhead(row) {
				aheads = append(aheads, row)
			}
		}
		next, ok, err := bulkDB.NextSeriesAhead(ctx)
		if err != nil || !ok || len(aheads) != 1 || !strings.Contains(aheads[0], fmt.Sprintf(" due_at=%d ", next.Unix())) {
			t.Fatalf("the bulk start's ahead jobs: %q; want one at the earliest deferred time %v (%v, %v)", aheads, next, ok, err)
		}
		bulk = slices.DeleteFunc(bulk, isAhead)
		one = slices.DeleteFunc(one, isAhead)
		slices.Sort(bulk)
		slices.Sort(one)
		if len(bulk) < 300*5 {
			t.Fatalf("the bulk start stored only %d rows", len(bulk))
		}
		for i := range max(len(bulk), len(one)) {
			var b, o string
			if i < len(bulk) {
				b = bulk[i]
			}
			if i < len(one) {
				o = one[i]
			}
			if b != o {
				t.Fatalf("row %d of %d/%d differs:\nbulk:       %s\none by one: %s", i, len(bulk), len(one), b, o)
			}
		}
		var digests int
		for _, g := range cfg.Groups {
			if d, err := bulkDB.ConfigDigests(ctx); err != nil || d[g.Name] == "" {
				t.Fatalf("group %s: no digest recorded by the bulk start (%v)", g.Name, err)
			}
			digests++
		}
		if digests != len(cfg.Groups) {
			t.Fatalf("%d digests; want %d", digests, len(cfg.Groups))
		}
	})
}
