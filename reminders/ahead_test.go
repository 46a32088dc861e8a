package reminders

import (
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	_ "modernc.org/sqlite"
)

// TestAhead_DeferredSeriesRemindsOnce: a config group whose first session
// is three days away gets its series and one ahead job, no session; the
// ahead job stores the session a day and an hour before its first
// reminder, and its reminders go out once each, at their times, with
// restarts before and after; the chain of sessions goes on from there.
func TestAhead_DeferredSeriesRemindsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		ctx := t.Context()
		if err := e.rm.ApplyConfig(ctx, e.group.ID, bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour}, DefaultSettings()); err != nil {
			t.Fatal(err)
		}
		aheadAt := at(t, "2000-01-03 17:00")
		ser, err := e.db.Series(ctx, e.group.ID)
		if err != nil || !ser.AheadAt.Equal(aheadAt) {
			t.Fatalf("series %+v, %v; want it deferred to %v", ser, err, aheadAt)
		}
		key := KindAhead + "/" + strconv.FormatInt(aheadAt.Unix(), 10)
		if j := e.job(key); j.State != bot.JobPending || !j.DueAt.Equal(aheadAt) {
			t.Fatalf("ahead job %+v; want pending at %v", j, aheadAt)
		}
		if _, _, ok, _ := e.db.LastPlannedSession(ctx, e.group.ID); ok {
			t.Fatal("a session was stored at once")
		}

		e.sleepUntil(at(t, "2000-01-02 12:00"))
		e.restart()
		e.sleepUntil(aheadAt.Add(time.Minute))
		if j := e.job(key); j.State != bot.JobDone || j.Note != "stored the first sessions of 1 groups" {
			t.Fatalf("ahead job %s %q", j.State, j.Note)
		}
		if ser, _ := e.db.Series(ctx, e.group.ID); !ser.AheadAt.IsZero() {
			t.Fatalf("series still deferred to %v", ser.AheadAt)
		}
		s1 := e.session(1)
		if want := at(t, "2000-01-04 18:00"); !s1.Start.Equal(want) {
			t.Fatalf("session 1 at %v; want %v", s1.Start, want)
		}
		if n := len(e.postsWithKey(ReminderKey(s1.ID, 24*time.Hour))); n != 0 {
			t.Fatalf("24h reminder posted %d times before its time", n)
		}

		e.restart()
		e.sleepUntil(at(t, "2000-01-04 19:30"))
		for _, lead := range []time.Duration{24 * time.Hour, time.Hour} {
			ps := e.postsWithKey(ReminderKey(s1.ID, lead))
			if len(ps) != 1 {
				t.Fatalf("%s reminder posted %d times; want once", LeadName(lead), len(ps))
			}
			if j := e.job(ReminderKey(s1.ID, lead)); j.State != bot.JobDone || j.Note != "sent" {
				t.Fatalf("%s reminder job %s %q", LeadName(lead), j.State, j.Note)
			}
		}
		// Session 1's start stored session 2, as for any series.
		if s2 := e.session(2); !s2.Start.Equal(at(t, "2000-01-11 18:00")) {
			t.Fatalf("session 2 at %v", s2.Start)
		}
		if _, ok, err := e.db.NextSeriesAhead(ctx); err != nil || ok {
			t.Fatalf("a series is still deferred: %v, %v", ok, err)
		}
	})
}

// TestAhead_ChainOverManyTimes: series deferred to different times, in
// one bulk apply, are each stored at their own time by a chain of ahead
// jobs (one enqueued with them, each run enqueueing the next); each
// group's reminders go out once.
func TestAhead_ChainOverManyTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "UTC")
		ctx := t.Context()
		specs := []string{"tue 18:00", "mon 09:00", "wed 12:30", "fri 20:00", "sun 07:15", "thu 23:59"}
		cs := e.configGroups(len(specs), func(i int) bot.Schedule { return bot.Schedule{Weekly: specs[i], Duration: time.Hour} },
			Settings{Leads: []time.Duration{24 * time.Hour}})
		if err := e.rm.ApplyConfigs(ctx, cs); err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if ser, _ := e.db.Series(ctx, c.Group.ID); ser.AheadAt.IsZero() {
				t.Fatalf("%s (%s) was not deferred", c.Group.Name, c.Schedule.Weekly)
			}
		}
		// Saturday 00:00 to the next Saturday 12:00, with a restart each day.
		for d := range 8 {
			e.sleepUntil(at(t, "2000-01-01 12:00").AddDate(0, 0, d))
			e.restart()
		}
		for _, c := range cs {
			ss, err := e.db.RecentSessions(ctx, c.Group.ID, time.Now(), 10)
			if err != nil || len(ss) == 0 {
				t.Fatalf("%s: no session held: %v", c.Group.Name, err)
			}
			first := ss[len(ss)-1]
			if n := len(e.postsWithKey(ReminderKey(first.ID, 24*time.Hour))); n != 1 {
				t.Fatalf("%s (%s): session 1's reminder posted %d times; want once", c.Group.Name, c.Schedule.Weekly, n)
			}
		}
		if _, ok, err := e.db.NextSeriesAhead(ctx); err != nil || ok {
			t.Fatalf("a series is still deferred: %v, %v", ok, err)
		}
	})
}

// TestAhead_PausedAndBrokenSeries: a deferred series paused meanwhile is
// stored nothing and no longer deferred (no ahead job runs again for it),
// and resuming stores its next session; a series whose stored schedule no
// longer reads is tried again ten minutes later, without holding up the
// others.
func TestAhead_PausedAndBrokenSeries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "UTC")
		ctx := t.Context()
		cs := e.configGroups(3, func(int) bot.Schedule { return bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour} }, DefaultSettings())
		if err := e.rm.ApplyConfigs(ctx, cs); err != nil {
			t.Fatal(err)
		}
		paused, broken, fine := cs[0].Group, cs[1].Group, cs[2].Group
		if out := e.cmdIn("fac", paused.Address.Channel, "session pause"); out == "" {
			t.Fatal("no reply to pause")
		}
		raw, err := sql.Open("sqlite", e.path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.ExecContext(ctx, `UPDATE series SET weekly = 'xyz 18:00' WHERE group_id = ?`, broken.ID); err != nil {
			t.Fatal(err)
		}

		aheadAt := at(t, "2000-01-03 17:00")
		e.sleepUntil(aheadAt.Add(time.Minute))
		if _, _, ok, _ := e.db.LastPlannedSession(ctx, fine.ID); !ok {
			t.Fatal("the fine group's session was not stored")
		}
		if _, _, ok, _ := e.db.LastPlannedSession(ctx, paused.ID); ok {
			t.Fatal("the paused group's session was stored")
		}
		if ser, _ := e.db.Series(ctx, paused.ID); !ser.AheadAt.IsZero() {
			t.Fatalf("the paused series is still deferred to %v", ser.AheadAt)
		}
		retry := aheadAt.Add(10 * time.Minute)
		if ser, _ := e.db.Series(ctx, broken.ID); !ser.AheadAt.Equal(retry) {
			t.Fatalf("the broken series is deferred to %v; want %v", ser.AheadAt, retry)
		}
		if j := e.job(KindAhead + "/" + strconv.FormatInt(aheadAt.Unix(), 10)); j.Note != "stored the first sessions of 2 groups; 1 to try again in 10 minutes" {
			t.Fatalf("ahead job note %q", j.Note)
		}

		// Mended, it is stored at its retry.
		if _, err := raw.ExecContext(ctx, `UPDATE series SET weekly = 'tue 18:00' WHERE group_id = ?`, broken.ID); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(retry.Add(time.Minute))
		if _, _, ok, _ := e.db.LastPlannedSession(ctx, broken.ID); !ok {
			t.Fatal("the mended group's session was not stored at its retry")
		}
		if _, ok, err := e.db.NextSeriesAhead(ctx); err != nil || ok {
			t.Fatalf("a series is still deferred: %v, %v", ok, err)
		}

		// Resumed, the paused group's next session is stored.
		e.cmdIn("fac", paused.Address.Channel, "session resume")
		if _, _, ok, _ := e.db.LastPlannedSession(ctx, paused.ID); !ok {
			t.Fatal("the resumed group's session was not stored")
		}
	})
}

// configGroups creates n groups in UTC, each with fac as facilitator, and
// returns them with the i-th's schedule and settings, to apply as a file.
func (e *env) configGroups(n int, sched func(i int) bot.Schedule, settings Settings) []ConfigSchedule {
	e.t.Helper()
	var cs []ConfigSchedule
	for i := range n {
		g, err := e.db.CreateGroup(e.t.Context(), "console:fac", bot.Group{
			Name: fmt.Sprintf("g%d", i), Address: bot.Address{Platform: bot.PlatformConsole, Channel: bot.ChannelID(fmt.Sprintf("c%d", i))},
			Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard, Facilitators: []bot.Principal{"console:fac"},
		})
		if err != nil {
			e.t.Fatal(err)
		}
		cs = append(cs, ConfigSchedule{Group: g, Schedule: sched(i), Settings: settings})
	}
	return cs
}
