package reminders

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store"
)

// applier is a database with the reminders feature over it, registered
// with a Bot (a subscriber to PhaseScheduled, so that sessions get event
// jobs too) and a Runner that is not run.
type applier struct {
	db *store.DB
	rm *Reminders
}

func newApplier(t *testing.T, path string) applier {
	t.Helper()
	db, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	codec, err := bot.NewActionCodec(testKey)
	if err != nil {
		t.Fatal(err)
	}
	sender := bot.NewSender(db, codec, nil, quiet(), &bottest.Platform{})
	r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quiet()})
	b, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: sender, Logger: quiet(), Runner: r})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.OnSession("probe", func(context.Context, *bot.SessionEvent) ([]bot.Outbound, error) { return nil, nil }, bot.PhaseScheduled); err != nil {
		t.Fatal(err)
	}
	rm, err := New(db, bot.Deps{Sender: sender, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.Register(b, r); err != nil {
		t.Fatal(err)
	}
	return applier{db: db, rm: rm}
}

// declaredSchedules are config schedules of every shape: weekly and cron,
// zones with and without DST, counts, end dates, a start ahead, topics,
// links, no reminders, the default ones, reminders whose time has passed
// at short notice, an ended course, and one that cannot be used.
func declaredSchedules(now time.Time) []ConfigSchedule {
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
	soon := now.Add(90 * time.Minute).UTC() // its 24h and 2h reminders have passed
	leads := func(ds ...time.Duration) Settings { return Settings{Leads: ds, RSVP: true} }
	return []ConfigSchedule{
		{Group: bot.Group{TimeZone: "Europe/London"}, Schedule: bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour}, Settings: leads(24*time.Hour, time.Hour)},
		{Group: bot.Group{TimeZone: "America/New_York"}, Schedule: bot.Schedule{Weekly: "mon,thu 09:30", Duration: 90 * time.Minute, Count: 6, Topics: []string{"one", "two"}}, Settings: DefaultSettings()},
		{Group: bot.Group{TimeZone: "Australia/Sydney"}, Schedule: bot.Schedule{Cron: "0 19 * * 3", Duration: time.Hour, Until: day(60), Link: "https://meet.example/x"}, Settings: Settings{Leads: nil, DM: true, StartingNow: true}},
		{Group: bot.Group{TimeZone: "UTC"}, Schedule: bot.Schedule{Weekly: "fri 07:00", Duration: 30 * time.Minute, Starts: day(20)}, Settings: leads()},
		{Group: bot.Group{TimeZone: "UTC"}, Schedule: bot.Schedule{Weekly: strings.ToLower(soon.Weekday().String()[:3]) + soon.Format(" 15:04"), Duration: time.Hour}, Settings: leads(24*time.Hour, 2*time.Hour, 30*time.Minute)},
		{Group: bot.Group{TimeZone: "UTC"}, Schedule: bot.Schedule{Weekly: "sat 10:00", Duration: time.Hour, Starts: day(-40), Until: day(-10)}, Settings: DefaultSettings()},
		{Group: bot.Group{TimeZone: "Asia/Kolkata"}, Schedule: bot.Schedule{Cron: "*/30 * * * *", Duration: 15 * time.Minute}, Settings: leads(time.Hour)},
		{Group: bot.Group{TimeZone: "UTC"}, Schedule: bot.Schedule{Weekly: "xyz 10:00", Duration: time.Hour}, Settings: DefaultSettings()},
	}
}

// TestApplyConfigs_SameAsOneByOne: applying the file's schedules in bulk
// stores the same series, sessions and jobs (reminders, start, end and the
// session events of other features), with the same ids, keys, times and
// payloads, as applying them one by one; a schedule that cannot be used is
// refused by both, naming its group; and a group that has a series already
// is applied one by one by the bulk path too.
func TestApplyConfigs_SameAsOneByOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		one, bulk := newApplier(t, filepath.Join(dir, "one.db")), newApplier(t, filepath.Join(dir, "bulk.db"))
		cs := declaredSchedules(time.Now())
		// A group with a series already (from chat) that the file now
		// declares: kept, replaced by the file's.
		cs = append(cs, ConfigSchedule{Group: bot.Group{TimeZone: "UTC"}, Schedule: bot.Schedule{Weekly: "sun 12:00", Duration: time.Hour}, Settings: DefaultSettings()})
		var oneErrs []error
		for _, a := range []applier{one, bulk} {
			for i := range cs {
				g, err := a.db.CreateGroup(t.Context(), "console:fac", bot.Group{
					Name: fmt.Sprintf("g%d", i), Address: bot.Address{Platform: bot.PlatformConsole, Channel: bot.ChannelID(fmt.Sprintf("c%d", i))},
					Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: cs[i].Group.TimeZone, Privacy: bot.PrivacyStandard,
				})
				if err != nil {
					t.Fatal(err)
				}
				cs[i].Group = g
			}
			last := cs[len(cs)-1]
			if _, err := a.rm.saveSeries(t.Context(), last.Group, bot.Schedule{Weekly: "mon 12:00", Duration: time.Hour}, DefaultSettings(), bot.SourceChat); err != nil {
				t.Fatal(err)
			}
			if a == one {
				for _, c := range cs {
					if err := a.rm.ApplyConfig(t.Context(), c.Group.ID, c.Schedule, c.Settings); err != nil {
						oneErrs = append(oneErrs, err)
					}
				}
				continue
			}
			err := a.rm.ApplyConfigs(t.Context(), cs)
			if len(oneErrs) != 1 || err == nil || err.Error() != oneErrs[0].Error() || !strings.Contains(err.Error(), "group g7") {
				t.Fatalf("bulk: %v; one by one: %v; want the same refusal of g7's schedule", err, oneErrs)
			}
			var ue *bot.UserError
			if !errors.As(err, &ue) {
				t.Fatalf("bulk refusal %v is not a UserError", err)
			}
		}
		compare := func(when string, deferred bool) {
			t.Helper()
			for i, c := range cs {
				a, b := stored(t, one, c.Group.ID), stored(t, bulk, c.Group.ID)
				if a != b {
					t.Errorf("%s, group %d (%s): one by one stored\n%s\nin bulk\n%s", when, i, c.Schedule.Weekly+c.Schedule.Cron, a, b)
				}
				if i == 5 || i == 7 { // 5 has ended, 7 is refused
					continue
				}
				has, later := strings.Contains(a, "session "), !strings.Contains(a, "AheadAt:0001-01-01")
				if !has && !(deferred && later) {
					t.Errorf("%s, group %d stored no session and deferred none:\n%s", when, i, a)
				}
				if has && later {
					t.Errorf("%s, group %d stored sessions and deferred them:\n%s", when, i, a)
				}
			}
		}
		compare("at once", true)
		// At each deferred time in turn (g3's is 19 days on), the ahead
		// job stores those series' first sessions, the same in both.
		for range 20 {
			next, ok, err := bulk.db.NextSeriesAhead(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			time.Sleep(time.Until(next))
			for _, a := range []applier{one, bulk} {
				if _, err := a.rm.runAhead(t.Context(), bot.Job{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		compare("once the deferred times came", false)
	})
}

// stored describes a group's series, sessions and their jobs, everything
// but the jobs' ids (and the rows' creation times).
func stored(t *testing.T, a applier, groupID int64) string {
	t.Helper()
	var b strings.Builder
	ser, err := a.db.Series(t.Context(), groupID)
	if errors.Is(err, bot.ErrNotFound) {
		return "no series"
	}
	if err != nil {
		t.Fatal(err)
	}
	ser.UpdatedAt = time.Time{}
	fmt.Fprintf(&b, "series %+v\n", ser)
	ss, err := a.db.RecentSessions(t.Context(), groupID, time.Now().AddDate(10, 0, 0), 1000)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(ss)
	for _, s := range ss {
		fmt.Fprintf(&b, "session %+v\n", s)
		js, err := a.db.SessionJobs(t.Context(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(js, func(x, y bot.Job) int { return strings.Compare(x.Key, y.Key) })
		for _, j := range js {
			fmt.Fprintf(&b, "  job %s %s group %d session %d due %s %s %s %q attempts %d\n", j.Kind, j.Key, j.GroupID, j.SessionID,
				j.DueAt.Format(time.RFC3339), j.Payload, j.State, j.Note, j.Attempts)
		}
	}
	return b.String()
}
