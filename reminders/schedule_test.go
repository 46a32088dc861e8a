package reminders

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// TestReminders_FarPastStarts applies a config series that starts in year
// 1 and fires every minute (issue 9, point 21): tend must not walk two
// thousand years of minutes to find the next session, and must number it
// by the minutes elapsed since.
func TestReminders_FarPastStarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "UTC")
		time.Sleep(90 * time.Second) // 2000-01-01 00:01:30
		s := bot.Schedule{Cron: "* * * * *", Duration: time.Minute, Starts: "0001-01-01"}
		if err := e.rm.ApplyConfig(t.Context(), e.group.ID, s, Settings{Leads: []time.Duration{}}); err != nil {
			t.Fatal(err)
		}
		ss, err := e.db.UpcomingSessions(t.Context(), e.group.ID, time.Now(), 2)
		if err != nil || len(ss) != 2 {
			t.Fatalf("sessions %+v, %v", ss, err)
		}
		// The session running now (00:01–00:02) is the first not ended.
		want := (time.Date(2000, 1, 1, 0, 1, 0, 0, time.UTC).Unix()-time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix())/60 + 1
		if int64(ss[0].Number) != want || !ss[0].Start.Equal(time.Date(2000, 1, 1, 0, 1, 0, 0, time.UTC)) || ss[1].Number != ss[0].Number+1 {
			t.Fatalf("first sessions %d at %v and %d; want %d at 00:01 and the next", ss[0].Number, ss[0].Start, ss[1].Number, want)
		}
	})
}

// TestReminders_LeadNone: lead:none is chat's spelling of the config's
// lead: [] (issue 9, point 11): the series is held, and no reminder is
// made or posted, across a restart too.
func TestReminders_LeadNone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		out := e.cmd("fac", `session schedule weekly:"tue 18:00" duration:90m starts:2000-01-04 lead:none`)
		if !strings.Contains(out, "Schedule saved") || !strings.Contains(out, "No reminders are posted (lead:none)") {
			t.Fatalf("schedule: %s", out)
		}
		e.restart()
		e.sleepUntil(at(t, "2000-01-11 19:00"))
		for _, n := range []int{1, 2} {
			s := e.session(n)
			jobs, err := e.db.SessionJobs(t.Context(), s.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range jobs {
				if j.Kind == KindReminder {
					t.Fatalf("session %d has reminder job %s", n, j.Key)
				}
			}
			if j := e.job("start/" + strconv.FormatInt(s.ID, 10)); j.State != bot.JobDone {
				t.Fatalf("session %d start: %s %q", n, j.State, j.Note)
			}
		}
		if n := len(rec.Posts()); n != 0 {
			t.Fatalf("%d posts; want none without reminders", n)
		}
	})
}

// TestReminders_MoveOntoAnotherSession: a session cannot be moved onto
// another one's time, stored or still to come (issue 9, point 14); a
// cancelled session's time is free.
func TestReminders_MoveOntoAnotherSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		scheduled(t, e) // weekly tue 18:00, 90m, from 2000-01-04, 8 sessions
		for _, c := range []struct{ cmd, want string }{
			{`session move 1 to:"2000-01-11 18:00"`, "Session 2 is at that time (2000-01-11 18:00), so session 1 cannot move there"},
			{`session move 1 to:"2000-01-11 17:00"`, "Session 2 is at that time"},
			{`session move 1 to:"2000-01-11 19:00"`, "Session 2 is at that time"},
			{`session move 1 to:"2000-02-22 18:30"`, "Session 8 is at that time (2000-02-22 18:00)"},
		} {
			if out := e.cmd("fac", c.cmd); !strings.Contains(out, c.want) {
				t.Errorf("%s:\n got: %s\nwant: …%s…", c.cmd, out, c.want)
			}
		}
		if n := len(rec.Posts()); n != 0 {
			t.Fatalf("refused moves posted %d notices", n)
		}
		// Just after session 2, and onto cancelled session 3's time, are free.
		if out := e.cmd("fac", `session move 1 to:"2000-01-11 19:30"`); !strings.Contains(out, "Session 1 moved to 2000-01-11 19:30") {
			t.Fatalf("move beside session 2: %s", out)
		}
		e.cmd("fac", "session cancel 3")
		if out := e.cmd("fac", `session move 4 to:"2000-01-18 18:00"`); !strings.Contains(out, "Session 4 moved to 2000-01-18 18:00") {
			t.Fatalf("move onto a cancelled session's time: %s", out)
		}
		// A moved session holds its new time.
		if out := e.cmd("fac", `session move 5 to:"2000-01-18 18:30"`); !strings.Contains(out, "Session 4 is at that time") {
			t.Fatalf("move onto a moved session: %s", out)
		}
	})
}

// TestReminders_ConfigSeriesIsChangedInTheFile: session schedule on a
// group whose series the config file declares is refused, saying where to
// change it, instead of being undone without a word at the next start
// (issue 9, point 9). A config group whose file entry has no schedule keeps
// a chat series; pausing and cancelling still work on a file's series.
func TestReminders_ConfigSeriesIsChangedInTheFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		ctx := t.Context()
		newGroup := func(name string) bot.Group {
			g, err := e.db.CreateGroup(ctx, "console:fac", bot.Group{
				Name: name, Address: bot.Address{Platform: bot.PlatformConsole, Channel: bot.ChannelID(name)},
				Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "Europe/London", Privacy: bot.PrivacyStandard,
				Facilitators: []bot.Principal{"console:fac"}, Source: bot.SourceConfig,
			})
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		thu := newGroup("thursday")
		if err := e.rm.ApplyConfig(ctx, thu.ID, bot.Schedule{Weekly: "thu 18:00", Duration: time.Hour, Count: 8}, DefaultSettings()); err != nil {
			t.Fatal(err)
		}
		out := e.cmdIn("fac", "thursday", `session schedule weekly:"fri 18:00" duration:1h`)
		if !strings.Contains(out, "Group thursday's series is set in tend.yaml (the group's entry is on line 12)") || !strings.Contains(out, "edit the group's schedule: and restart tend") {
			t.Fatalf("schedule on a config series: %s", out)
		}
		if ser, _ := e.db.Series(ctx, thu.ID); ser.Schedule.Weekly != "thu 18:00" || ser.Source != bot.SourceConfig {
			t.Fatalf("series after the refusal: %+v", ser)
		}
		if out := e.cmdIn("fac", "thursday", "session cancel 2"); !strings.Contains(out, "is cancelled") {
			t.Fatalf("cancel on a config series: %s", out)
		}
		if out := e.cmdIn("fac", "thursday", "session pause"); !strings.Contains(out, "Paused") {
			t.Fatalf("pause on a config series: %s", out)
		}
		// The file declares a group without a schedule: chat sets one.
		newGroup("friday")
		if out := e.cmdIn("fac", "friday", `session schedule weekly:"fri 18:00" duration:1h`); !strings.Contains(out, "Schedule saved") {
			t.Fatalf("schedule on a config group without a file series: %s", out)
		}
	})
}

// TestReminders_PausedIsSaid: while the series is paused, members are
// told so instead of being shown a session that will not be held and
// thanked for answering for it (issue 9, point 10).
func TestReminders_PausedIsSaid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		s1 := scheduled(t, e)
		e.sleepUntil(at(t, "2000-01-03 18:00")) // the 24h reminder of session 1
		ref := e.postsWithKey(ReminderKey(s1.ID, 24*time.Hour))[0].Delivered.Ref
		if out := e.cmd("fac", "session pause"); !strings.Contains(out, "Paused") {
			t.Fatalf("pause: %s", out)
		}
		for _, c := range []struct{ what, out string }{
			{"next", e.cmd("ann", "next")},
			{"rsvp yes", e.cmd("ann", "rsvp yes")},
			{"the reminder's button", e.press("ann", ref, "I'll be there")},
		} {
			if !strings.Contains(c.out, "paused") || strings.Contains(c.out, "Thanks") {
				t.Errorf("%s while paused: %s", c.what, c.out)
			}
		}
		if rs, _ := e.db.RSVPs(t.Context(), s1.ID); len(rs) != 0 {
			t.Fatalf("answers recorded while paused: %+v", rs)
		}
		if out := e.cmd("fac", "session resume"); !strings.Contains(out, "Resumed. The next session is 2000-01-04 18:00") {
			t.Fatalf("resume: %s", out)
		}
		if out := e.cmd("ann", "next"); !strings.Contains(out, "Session 1 of 8") {
			t.Fatalf("next after resume: %s", out)
		}
	})
}

// TestReminders_ResumeAfterTheSessionsOfThePause: sessions whose time came
// while the series was paused are not held late, reminded of or shown as
// happening after a resume; the series goes on with its next session,
// numbered as the schedule numbers it, which members hear of as usual.
func TestReminders_ResumeAfterTheSessionsOfThePause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		scheduled(t, e) // weekly tue 18:00, 90m, from 2000-01-04, 8 sessions
		e.sleepUntil(at(t, "2000-01-05 00:00"))
		e.cmd("fac", "session pause")
		// Sessions 2, 3 and 4 fall in the pause; 4 is under way at resume.
		e.sleepUntil(at(t, "2000-01-25 18:30"))
		if out := e.cmd("fac", "session resume"); !strings.Contains(out, "Resumed. The next session is 2000-02-01 18:00") {
			t.Fatalf("resume: %s", out)
		}
		e.sleepUntil(at(t, "2000-01-25 18:31"))
		if out := e.cmd("ann", "next"); !strings.Contains(out, "Session 5 of 8") || strings.Contains(out, "Happening now") {
			t.Fatalf("next after resume: %s", out)
		}
		ss, err := e.db.RecentSessions(t.Context(), e.group.ID, at(t, "2000-01-26 00:00"), 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if s.Status == bot.SessionRunning || s.Status == bot.SessionDone && s.Number > 1 {
				t.Errorf("session %d of the pause is %s", s.Number, s.Status)
			}
			jobs, _ := e.db.SessionJobs(t.Context(), s.ID)
			for _, j := range jobs {
				if strings.Contains(j.Note, "late") || strings.Contains(j.Note, "not running") {
					t.Errorf("session %d job %s: %s %q", s.Number, j.Key, j.State, j.Note)
				}
			}
		}
		e.sleepUntil(at(t, "2000-02-01 17:30"))
		s5 := e.session(5)
		if n := len(e.postsWithKey(ReminderKey(s5.ID, 24*time.Hour))); n != 1 {
			t.Fatalf("session 5's 24h reminder posted %d times", n)
		}
		if n := len(e.postsWithKey(ReminderKey(s5.ID, time.Hour))); n != 1 {
			t.Fatalf("session 5's 1h reminder posted %d times", n)
		}
	})
}

// TestReminders_ReplaceTellsTheGroup: replacing a schedule whose sessions
// members were reminded of tells the group, in one post made once, which
// sessions will not take place and when it meets next; session list shows
// the replaced sessions apart from the live series (issue 9, point 15).
func TestReminders_ReplaceTellsTheGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		s1 := scheduled(t, e) // weekly tue 18:00, 90m, from 2000-01-04, 8 sessions
		e.sleepUntil(at(t, "2000-01-03 18:00"))
		if n := len(e.postsWithKey(ReminderKey(s1.ID, 24*time.Hour))); n != 1 {
			t.Fatalf("session 1's 24h reminder posted %d times", n)
		}
		// Two sessions are stored ahead when the list is asked for.
		e.cmd("fac", "session list")
		out := e.cmd("fac", `session schedule weekly:"wed 18:00" duration:90m starts:2000-01-05 count:8`)
		if !strings.Contains(out, "Schedule saved") {
			t.Fatalf("replace: %s", out)
		}
		key := "replaced/" + strconv.FormatInt(s1.ID, 10)
		notices := e.postsWithKey(key)
		if len(notices) != 1 {
			t.Fatalf("%d notices with key %s; posts: %+v", len(notices), key, rec.Posts())
		}
		msg := render(notices[0].Out.Message)
		for _, want := range []string{"The schedule of tuesday has changed", "These sessions of the old schedule will not take place: 2000-01-04 18:00; 2000-01-11 18:00", "The group meets next on 2000-01-05 18:00"} {
			if !strings.Contains(msg, want) {
				t.Errorf("notice lacks %q:\n%s", want, msg)
			}
		}
		list := e.cmd("fac", "session list")
		live, replaced, _ := strings.Cut(list, "Replaced by the new schedule (not held):")
		if strings.Contains(live, "cancelled") || !strings.Contains(live, "Session 1 — 2000-01-05 18:00") {
			t.Errorf("live sessions:\n%s", live)
		}
		if !strings.Contains(replaced, "Session 1: Welcome — 2000-01-04 18:00") || !strings.Contains(replaced, "Session 2: Skills — 2000-01-11 18:00") {
			t.Errorf("replaced sessions:\n%s", replaced)
		}
		if log := e.cmd("fac", "session log 2000-01-04"); !strings.Contains(log, "replaced by a new schedule") {
			t.Errorf("log of the replaced session:\n%s", log)
		}
		// Made once, across a restart.
		e.restart()
		e.sleepUntil(at(t, "2000-01-04 12:00"))
		if n := len(e.postsWithKey(key)); n != 1 {
			t.Fatalf("notice posted %d times after a restart", n)
		}
		// A new schedule that keeps the times says so.
		out = e.cmd("fac", `session schedule weekly:"wed 18:00" duration:90m starts:2000-01-05 count:8 topics:"Arriving"`)
		if !strings.Contains(out, "Schedule saved") {
			t.Fatalf("replace keeping times: %s", out)
		}
		var kept string
		for _, p := range rec.Posts() {
			if strings.HasPrefix(p.Out.Key, "replaced/") && p.Out.Key != key {
				kept = render(p.Out.Message)
			}
		}
		if !strings.Contains(kept, "The sessions keep their times") || strings.Contains(kept, "will not take place") {
			t.Fatalf("notice for a schedule keeping its times:\n%s", kept)
		}
	})
}

// TestReminders_ListAfterManyReplacements: however many schedules were
// replaced, session list shows the live series alone and the replaced
// sessions apart (the rest counted), never an old session among the live
// ones (audit of issue 9, point 15: five replacements).
func TestReminders_ListAfterManyReplacements(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		scheduled(t, e)
		for _, day := range []string{"wed", "thu", "fri", "sat", "sun"} {
			e.cmd("fac", "session list") // stores five sessions ahead
			out := e.cmd("fac", `session schedule weekly:"`+day+` 18:00" duration:90m starts:2000-01-03 count:8`)
			if !strings.Contains(out, "Schedule saved") {
				t.Fatalf("replace with %s: %s", day, out)
			}
		}
		list := e.cmd("fac", "session list")
		live, replaced, ok := strings.Cut(list, "Replaced by the new schedule (not held):")
		if !ok {
			t.Fatalf("no replaced sessions listed:\n%s", list)
		}
		if strings.Contains(live, "cancelled") || !strings.Contains(live, "Session 1 — 2000-01-09 18:00") || !strings.Contains(live, "Session 5 — 2000-02-06 18:00") {
			t.Errorf("live series:\n%s", live)
		}
		n, err := e.db.CountReplacedSessions(t.Context(), e.group.ID, time.Now())
		if err != nil || n <= 10 {
			t.Fatalf("%d replaced sessions, %v; the test needs more than the 10 listed", n, err)
		}
		if !strings.Contains(replaced, fmt.Sprintf("and %d more", n-10)) || strings.Count(replaced, "Session ") != 10 {
			t.Errorf("replaced sessions (%d in all):\n%s", n, replaced)
		}
		// The next session is the live series' first, whatever came
		// before it.
		if got := e.cmd("ann", "next"); !strings.Contains(got, "2000-01-09 18:00") {
			t.Errorf("next: %s", got)
		}
	})
}

// TestReminders_ReplaceDuringSession: a schedule replaced while a session
// of the old one is under way tells the group the new series' next
// session, not the one under way (audit of issue 9, point 15).
func TestReminders_ReplaceDuringSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		scheduled(t, e) // weekly tue 18:00, 90m, from 2000-01-04
		e.cmd("fac", "session list")
		e.sleepUntil(at(t, "2000-01-04 18:01"))
		if s := e.session(1); s.Status != bot.SessionRunning {
			t.Fatalf("session 1 is %s; want running", s.Status)
		}
		if out := e.cmd("fac", `session schedule weekly:"wed 18:00" duration:90m starts:2000-01-05 count:8`); !strings.Contains(out, "Schedule saved") {
			t.Fatalf("replace: %s", out)
		}
		synctest.Wait()
		var notice string
		for _, p := range rec.Posts() {
			if strings.HasPrefix(p.Out.Key, "replaced/") {
				notice = render(p.Out.Message)
			}
		}
		if !strings.Contains(notice, "The group meets next on 2000-01-05 18:00") || strings.Contains(notice, "2000-01-04 18:00") {
			t.Fatalf("notice:\n%s", notice)
		}
	})
}
