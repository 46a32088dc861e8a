package reminders

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/schedule"
)

func TestReminders_RSVPEditsInPlace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		s1 := scheduled(t, e)
		e.sleepUntil(at(t, "2000-01-03 18:00"))
		posts := e.postsWithKey(ReminderKey(s1.ID, 24*3600e9))
		if len(posts) != 1 {
			t.Fatalf("%d 24h reminders", len(posts))
		}
		ref := posts[0].Delivered.Ref
		if out := e.press("ann", ref, "I'll be there"); !strings.Contains(out, "you're down as coming to session 1") {
			t.Fatalf("ann's reply: %s", out)
		}
		if out := e.press("bob", ref, "Can't make it"); !strings.Contains(out, "excused from session 1") {
			t.Fatalf("bob's reply: %s", out)
		}
		if n := len(rec.Edits(ref)); n != 2 {
			t.Fatalf("%d edits of the reminder; want 2", n)
		}
		m, _ := rec.Content(ref)
		if !strings.Contains(render(m), "1 coming · 1 can't make it") {
			t.Fatalf("reminder now shows:\n%s", render(m))
		}
		if n := len(rec.Posts()); n != 1 {
			t.Fatalf("%d posts; RSVPs must edit, not repost", n)
		}
		rs, _ := e.db.RSVPs(t.Context(), s1.ID)
		if len(rs) != 2 || rs[1].User != "bob" || rs[1].Answer != bot.RSVPNo {
			t.Fatalf("stored rsvps %+v; want bob's no (an excused absence) kept", rs)
		}

		// The 1h reminder starts from the count; a later answer edits both.
		e.sleepUntil(at(t, "2000-01-04 17:00"))
		ref1h := e.postsWithKey(ReminderKey(s1.ID, 3600e9))[0].Delivered.Ref
		if m, _ := rec.Content(ref1h); !strings.Contains(render(m), "1 coming · 1 can't make it") {
			t.Fatalf("1h reminder:\n%s", render(m))
		}
		if out := e.cmd("bob", "rsvp yes"); !strings.Contains(out, "coming to session 1") {
			t.Fatalf("rsvp yes: %s", out)
		}
		for _, r := range []bot.MessageRef{ref, ref1h} {
			if m, _ := rec.Content(r); !strings.Contains(render(m), "2 coming · 0 can't make it") {
				t.Fatalf("after bob's change %v shows:\n%s", r, render(m))
			}
		}
		if out := e.cmd("ann", "next"); !strings.Contains(out, "Session 1 of 8: Welcome") || !strings.Contains(out, "you're coming") {
			t.Fatalf("next: %s", out)
		}
		// A forged or foreign button is refused with what to do.
		outs := rec.Inject(t.Context(), &bot.ButtonPress{EventMeta: bot.EventMeta{Channel: "tuesday", User: bot.User{ID: "ann"}}, ID: "t1|rsvp.yes|1|1|AAAA"})
		if txt := replyText(outs); !strings.Contains(txt, "not valid") {
			t.Fatalf("forged button: %s", txt)
		}
		// After the session, answering is refused.
		e.sleepUntil(at(t, "2000-01-04 19:45"))
		if out := e.press("ann", ref, "Can't make it"); !strings.Contains(out, "That session is over") {
			t.Fatalf("late press: %s", out)
		}
	})
}

func TestReminders_CancelMovePause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		scheduled(t, e)
		// Session 4 is not materialised yet; cancelling it by date does.
		out := e.cmd("fac", "session cancel 2000-01-25")
		if !strings.Contains(out, "Session 4 on 2000-01-25 18:00 is cancelled") {
			t.Fatalf("cancel: %s", out)
		}
		s4 := e.cmd("fac", "session list")
		if !strings.Contains(s4, "Session 4 — 2000-01-25 18:00 — cancelled") {
			t.Fatalf("list:\n%s", s4)
		}
		notices := rec.Posts()
		if len(notices) != 1 || !strings.Contains(render(notices[0].Out.Message), "Session 4 is cancelled") || !strings.Contains(render(notices[0].Out.Message), "The group meets next on 2000-02-01 18:00") {
			t.Fatalf("notice: %+v", notices)
		}
		if out := e.cmd("fac", "session cancel 4"); !strings.Contains(out, "no upcoming session 4") {
			t.Fatalf("cancel twice: %s", out)
		}
		out = e.cmd("fac", `session move 2 to:"2000-01-12 19:00"`)
		if !strings.Contains(out, "Session 2 moved to 2000-01-12 19:00") {
			t.Fatalf("move: %s", out)
		}
		if out := e.cmd("fac", "session move 3 to:25:00"); !strings.Contains(out, "HH:MM") {
			t.Fatalf("bad move: %s", out)
		}
		if out := e.cmd("fac", `session move 3 to:"1999-12-01 18:00"`); !strings.Contains(out, "in the past") {
			t.Fatalf("move to the past: %s", out)
		}

		e.sleepUntil(at(t, "2000-01-05 00:00"))
		if out := e.cmd("fac", "session pause"); !strings.Contains(out, "Paused") {
			t.Fatalf("pause: %s", out)
		}
		e.sleepUntil(at(t, "2000-01-12 20:00"))
		log := e.cmd("fac", "session log 2")
		if !strings.Contains(log, "cancelled") || !strings.Contains(log, "the session was moved to") || !strings.Contains(log, "skipped") || !strings.Contains(log, "the series was paused") {
			t.Fatalf("log of 2 while paused:\n%s", log)
		}
		if out := e.cmd("fac", "session resume"); !strings.Contains(out, "Resumed. The next session is 2000-01-18 18:00") {
			t.Fatalf("resume: %s", out)
		}
		e.sleepUntil(at(t, "2000-01-18 17:30"))
		s3 := e.session(3)
		if n := len(e.postsWithKey(ReminderKey(s3.ID, 3600e9))); n != 1 {
			t.Fatalf("after resume, session 3's 1h reminder posted %d times", n)
		}
	})
}

func TestReminders_AwayAndDMs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		if out := e.cmd("ann", "reminders dm on"); !strings.Contains(out, "no schedule") && !strings.Contains(out, "does not send reminders by DM") {
			t.Fatalf("dm before the group offers it: %s", out)
		}
		if out := e.cmd("fac", scheduleCmd+" dm:yes lead:1h"); !strings.Contains(out, "Schedule saved") {
			t.Fatalf("schedule: %s", out)
		}
		for _, u := range []bot.UserID{"ann", "bob"} {
			if out := e.cmd(u, "reminders dm on"); !strings.Contains(out, "by DM as well") {
				t.Fatalf("dm on: %s", out)
			}
		}
		if out := e.cmd("zed", "reminders dm on"); !strings.Contains(out, "not on its roster") {
			t.Fatalf("dm on for a non-member: %s", out)
		}
		if out := e.cmd("bob", "away until:2000-01-05"); !strings.Contains(out, "away until the end of 2000-01-05") {
			t.Fatalf("away: %s", out)
		}
		// Someone in the channel without a roster entry can be away too
		// (attendance counts them), without being put on the roster.
		if out := e.cmd("zed", "away until:2000-01-05"); !strings.Contains(out, "away until the end of 2000-01-05") {
			t.Fatalf("away for a channel member: %s", out)
		}
		if _, err := e.db.MemberByUser(t.Context(), e.group.ID, "zed"); !errors.Is(err, bot.ErrNotFound) {
			t.Fatalf("zed on the roster after away (%v); want not", err)
		}
		if out := e.cmd("bob", "away until:1999-01-05"); !strings.Contains(out, "in the past") {
			t.Fatalf("away in the past: %s", out)
		}
		e.sleepUntil(at(t, "2000-01-04 17:00"))
		if n, m := len(rec.DMsTo("ann")), len(rec.DMsTo("bob")); n != 1 || m != 0 {
			t.Fatalf("DMs: ann %d, bob %d; want 1 and 0 (bob is away)", n, m)
		}
		if j := e.job(ReminderKey(e.session(1).ID, 3600e9)); j.Note != "sent; 1 of 1 DMs" {
			t.Fatalf("note %q", j.Note)
		}
		// A word other than off is not "one of off" (audit of issue 9,
		// point 17).
		if out, want := strings.TrimSpace(e.cmd("bob", "away maybe")), `I did not understand "maybe": the only word accepted there is off. Usage: /tend away [off] [until:<date>]`; out != want {
			t.Fatalf("away maybe: %q; want %q", out, want)
		}
		if out := e.cmd("bob", "away off"); !strings.Contains(out, "Welcome back") {
			t.Fatalf("away off: %s", out)
		}
		e.sleepUntil(at(t, "2000-01-11 17:00"))
		if n := len(rec.DMsTo("bob")); n != 1 {
			t.Fatalf("bob got %d DMs after coming back; want 1", n)
		}
	})
}

func TestReminders_Refusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		cases := []struct{ user, cmd, want string }{
			{"ann", scheduleCmd, "Only facilitators of tuesday"},
			{"fac", `session schedule weekly:"tus 18:00" duration:90m`, "write mon, tue, wed, thu, fri, sat or sun"},
			{"fac", `session schedule weekly:"tue 18:00" duration:90m count:0`, "at least one session"},
			{"fac", `session schedule weekly:"tue 18:00" duration:90m starts:1999-11-01 count:3`, "already in the past"},
			// One set of limits and rules with the config file (issue 9,
			// points 11 and 22).
			{"fac", `session schedule weekly:"tue 18:00" duration:90m count:8 until:2000-06-01`, "count: and until: both end the series"},
			{"fac", `session schedule weekly:"tue 18:00" duration:90m count:1000000000`, "more than 10000"},
			{"fac", `session schedule weekly:"tue 18:00" duration:1ns`, "too short"},
			{"fac", `session schedule weekly:"tue 18:00" duration:25h`, "longer than a day"},
			{"fac", `session schedule weekly:"tue 18:00" duration:90m starts:2010-01-02`, "more than 10 years ahead"},
			{"fac", `session schedule weekly:"tue 18:00" duration:90m lead:1h,1h`, "1h is listed twice"},
			{"fac", `session schedule weekly:"tue 18:00" duration:90m lead:500h`, "out of range"},
			{"fac", `session schedule weekly:"tue 18:00" duration:90m lead:""`, "lead:none for no reminders"},
			{"fac", `session schedule cron:"0 0 30 2 *" duration:90m`, "never holds a session"},
			{"fac", `session schedule cron:"CRON_TZ=Asia/Tokyo 0 18 * * TUE" duration:90m`, "timezone"},
			{"fac", `session schedule duration:90m`, "neither when nor how often"},
			{"fac", `session schedule weekly:"tue 18:00" duration:90m lead:soon`, "lead times like 24h,1h"},
			{"ann", "next", "no schedule yet"},
			{"fac", "session cancel 1", "no schedule yet"},
			{"fac", "session log", "no schedule yet"},
			{"fac", "session pause", "no schedule to pause"},
		}
		for _, c := range cases {
			if out := e.cmd(bot.UserID(c.user), c.cmd); !strings.Contains(out, c.want) {
				t.Errorf("%s: %q\n got: %s\nwant: …%s…", c.user, c.cmd, out, c.want)
			}
		}
		if ss, _ := e.db.UpcomingSessions(t.Context(), e.group.ID, at(t, "1999-01-01 00:00"), 10); len(ss) != 0 {
			t.Fatalf("refused schedules stored sessions: %+v", ss)
		}
	})
}

// TestReminders_ChainContinuesPastCancelled checks that cancelling the
// session that would carry the series forward does not end the series.
func TestReminders_ChainContinuesPastCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		scheduled(t, e)
		e.sleepUntil(at(t, "2000-01-04 20:00"))
		for _, n := range []string{"2", "3"} {
			if out := e.cmd("fac", "session cancel "+n); !strings.Contains(out, "is cancelled") {
				t.Fatalf("cancel %s: %s", n, out)
			}
		}
		e.sleepUntil(at(t, "2000-02-08 20:00"))
		for n := 4; n <= 6; n++ {
			s := e.session(n)
			if got := len(e.postsWithKey(ReminderKey(s.ID, 3600e9))); got != 1 {
				t.Fatalf("session %d: %d 1h reminders; want 1", n, got)
			}
			if j := e.job("end/" + strconv.FormatInt(s.ID, 10)); j.State != bot.JobDone {
				t.Fatalf("session %d ended as %s", n, j.State)
			}
		}
	})
}

func TestReminders_StartingNowAndClosedDMs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		e.setHook(func(out bot.Outbound) error {
			if out.Kind == bot.OutDM && out.User == "bob" {
				return &bot.PermanentError{Reason: "bob does not accept DMs"}
			}
			return nil
		})
		if out := e.cmd("fac", scheduleCmd+" starting_now:yes dm:yes lead:1h"); !strings.Contains(out, "Schedule saved") {
			t.Fatalf("schedule: %s", out)
		}
		for _, u := range []bot.UserID{"ann", "bob"} {
			e.cmd(u, "reminders dm on")
		}
		e.sleepUntil(at(t, "2000-01-04 18:01"))
		s1 := e.session(1)
		now := e.postsWithKey("now/" + strconv.FormatInt(s1.ID, 10))
		if len(now) != 1 || !strings.Contains(render(now[0].Out.Message), "starting now") || !strings.Contains(render(now[0].Out.Message), "https://meet.example/t") {
			t.Fatalf("starting-now posts: %+v", now)
		}
		if j := e.job("start/" + strconv.FormatInt(s1.ID, 10)); j.Note != `started; "starting now" posted` {
			t.Fatalf("start note %q", j.Note)
		}
		j := e.job(ReminderKey(s1.ID, 3600e9))
		if j.State != bot.JobDone || j.Note != "sent; 1 of 2 DMs (1 could not be delivered: DMs closed)" {
			t.Fatalf("reminder job %s %q", j.State, j.Note)
		}
		// Never a fallback to the channel for the member whose DMs are closed.
		for _, p := range rec.Posts() {
			if strings.Contains(render(p.Out.Message), "bob") {
				t.Fatalf("a channel post names bob: %s", render(p.Out.Message))
			}
		}
	})
}

// TestReminders_ApplyConfig applies a config-declared series, again at a
// "restart" (nothing changes, a facilitator's pause holds), then a changed
// one (the old schedule's sessions are cancelled, numbering restarts).
func TestReminders_ApplyConfig(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		ctx := t.Context()
		s := bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Count: 8}
		if err := e.rm.ApplyConfig(ctx, e.group.ID, s, DefaultSettings()); err != nil {
			t.Fatal(err)
		}
		first, err := e.db.Series(ctx, e.group.ID)
		if err != nil || first.Source != bot.SourceConfig || first.Schedule.Starts != "2000-01-01" {
			t.Fatalf("series %+v, %v", first, err)
		}
		// Its first session, three days on, is stored a day and an hour
		// before its first reminder, by the ahead job.
		if want := at(t, "2000-01-03 17:00"); !first.AheadAt.Equal(want) {
			t.Fatalf("series deferred to %v; want %v", first.AheadAt, want)
		}
		if _, _, ok, _ := e.db.LastPlannedSession(ctx, e.group.ID); ok {
			t.Fatal("a deferred series' session was stored at once")
		}
		e.sleepUntil(first.AheadAt.Add(time.Minute))
		s1 := e.session(1)
		if jobs, _ := e.db.SessionJobs(ctx, s1.ID); len(jobs) < 4 {
			t.Fatalf("session 1's jobs once stored: %+v; want its reminders, start and end", jobs)
		}
		e.cmd("fac", "session pause")
		time.Sleep(time.Hour)
		if err := e.rm.ApplyConfig(ctx, e.group.ID, s, DefaultSettings()); err != nil {
			t.Fatal(err)
		}
		again, _ := e.db.Series(ctx, e.group.ID)
		if !again.Paused || again.Schedule.Starts != "2000-01-01" {
			t.Fatalf("after re-applying: %+v; want still paused, same start", again)
		}
		if same := e.session(1); same.ID != s1.ID || same.Status != bot.SessionScheduled {
			t.Fatalf("re-applying the same config replaced session 1 (%+v, was %+v): its reminders would be sent again", same, s1)
		}
		if jobs, _ := e.db.SessionJobs(ctx, s1.ID); len(jobs) == 0 || jobs[0].Note == "the schedule was replaced" {
			t.Fatalf("session 1's jobs after re-applying: %+v", jobs)
		}
		e.cmd("fac", "session resume")
		s.Weekly = "wed 18:00"
		if err := e.rm.ApplyConfig(ctx, e.group.ID, s, DefaultSettings()); err != nil {
			t.Fatal(err)
		}
		if old, _ := e.db.Session(ctx, s1.ID); old.Status != bot.SessionCancelled {
			t.Fatalf("session of the old schedule is %s; want cancelled", old.Status)
		}
		if n := e.session(1); !n.Start.Equal(at(t, "2000-01-05 18:00")) {
			t.Fatalf("new session 1 at %v", n.Start)
		}
		if err := e.rm.ApplyConfig(ctx, e.group.ID, bot.Schedule{Weekly: "tus 18:00", Duration: time.Hour}, DefaultSettings()); err == nil {
			t.Fatal("a bad schedule was applied")
		}
	})
}

// Members pressing RSVP at the same moment must leave the reminder showing
// the final count, whatever order the platform's edit calls finish in.
func TestReminders_ConcurrentRSVPsLeaveTheRightCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		s1 := scheduled(t, e)
		e.sleepUntil(at(t, "2000-01-03 18:00"))
		ref := e.postsWithKey(ReminderKey(s1.ID, 24*3600e9))[0].Delivered.Ref
		m, _ := rec.Content(ref)
		var yes string
		for _, b := range m.Buttons {
			if b.Label == "I'll be there" {
				yes = b.ID
			}
		}
		// Edits showing fewer people take longer to reach the platform, so
		// that an edit computed from a stale count would land last.
		e.setHook(func(o bot.Outbound) error {
			if o.Kind == bot.OutEdit {
				n, _ := strconv.Atoi(strings.Fields(render(o.Message) + " 0")[0])
				for _, f := range strings.Fields(render(o.Message)) {
					if v, err := strconv.Atoi(f); err == nil {
						n = v
						break
					}
				}
				time.Sleep(time.Duration(20-n) * time.Millisecond)
			}
			return nil
		})
		const members = 12
		done := make(chan struct{})
		for i := range members {
			go func() {
				defer func() { done <- struct{}{} }()
				rec.Inject(t.Context(), &bot.ButtonPress{
					EventMeta: bot.EventMeta{Platform: bot.PlatformConsole, Channel: ref.Channel, User: bot.User{Platform: bot.PlatformConsole, ID: bot.UserID("m" + strconv.Itoa(i))}},
					ID:        yes, Message: ref,
				})
			}()
		}
		for range members {
			<-done
		}
		synctest.Wait()
		m, _ = rec.Content(ref)
		if want := strconv.Itoa(members) + " coming"; !strings.Contains(render(m), want) {
			t.Fatalf("after %d concurrent presses the reminder shows:\n%s\nwant %q", members, render(m), want)
		}
	})
}

// TestReminders_OutsidersSeeNothing: someone who is not in the group can
// neither read its sessions and link by name nor answer for it; to them a
// closed group does not exist.
func TestReminders_OutsidersSeeNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		scheduled(t, e)
		for _, text := range []string{"next group:tuesday", "rsvp yes group:tuesday", "away until:2000-02-01 group:tuesday"} {
			got := e.cmdIn("eve", "elsewhere", text)
			if !strings.Contains(got, `no group named "tuesday"`) || strings.Contains(got, "meet.example") {
				t.Errorf("%s by an outsider: %q", text, got)
			}
		}
		// A member asking from elsewhere by name gets it all.
		if got := e.cmdIn("ann", "elsewhere", "next group:tuesday"); !strings.Contains(got, "https://meet.example/t") {
			t.Errorf("next by a member from elsewhere: %q", got)
		}
		rs, err := e.db.RSVPs(t.Context(), e.session(1).ID)
		if err != nil || len(rs) != 0 {
			t.Fatalf("RSVPs %+v, %v; want none from an outsider", rs, err)
		}
	})
}

// TestReminders_ConfigCourseThatHasEnded: a course declared in the config
// file that has held its last session is stored at the next start and
// schedules nothing — tend starts for every other group — while chat still
// refuses a schedule that is over before it begins.
func TestReminders_ConfigCourseThatHasEnded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		ctx := t.Context()
		s := bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Starts: "2000-01-04", Count: 2}
		if err := e.rm.ApplyConfig(ctx, e.group.ID, s, DefaultSettings()); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(at(t, "2000-03-01 12:00")) // both sessions held
		e.restart()
		if err := e.rm.ApplyConfig(ctx, e.group.ID, s, DefaultSettings()); err != nil {
			t.Fatalf("re-applying a finished course at start: %v; want it accepted", err)
		}
		if err := schedule.CheckSchedule(s, time.UTC); err != nil {
			t.Fatalf("tend check on a finished course: %v; want no error", err)
		}
		if got := e.cmd("fac", "next"); !strings.Contains(got, "has ended") && !strings.Contains(got, "no more sessions") {
			t.Fatalf("next after the course: %q", got)
		}
		if got := e.cmd("fac", `session schedule weekly:"tue 18:00" duration:60m starts:1999-11-01 count:3`); !strings.Contains(got, "already in the past") {
			t.Fatalf("a chat schedule wholly in the past: %q", got)
		}
	})
}
