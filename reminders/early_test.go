package reminders

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store"
)

// The 1h reminder of session 1 (Tuesday 4 January 2000, 18:00 London, which
// is UTC then) is due at 17:00:00; the runner starts it testLookahead
// before.
const due1h = "2000-01-04 17:00"

func TestReminders_EarlyStartPostsAtDueTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		s1 := scheduled(t, e)
		key := ReminderKey(s1.ID, time.Hour)
		due := at(t, due1h)

		e.sleepUntil(due.Add(-testLookahead / 2))
		if j := e.job(key); j.State != bot.JobRunning {
			t.Fatalf("job %s is %s %s before it is due; want running (started early)", key, j.State, testLookahead/2)
		}
		if en, err := e.db.OutboxEntry(t.Context(), key); err != nil || en.State != bot.OutboxSending || en.Attempts != 1 {
			t.Fatalf("outbox %s before the due time = %+v, %v; want prepared (sending, 1 attempt)", key, en, err)
		}
		if n := len(e.postsWithKey(key)); n != 0 {
			t.Fatalf("%d posts with key %s before it is due", n, key)
		}
		e.sleepUntil(due.Add(-time.Nanosecond))
		if n := len(e.postsWithKey(key)); n != 0 {
			t.Fatalf("%d posts with key %s 1ns before it is due", n, key)
		}
		e.sleepUntil(due)
		posts := e.postsWithKey(key)
		if len(posts) != 1 {
			t.Fatalf("%d posts with key %s at its due time; want 1", len(posts), key)
		}
		if got := posts[0].Delivered.At; !got.Equal(due) {
			t.Fatalf("posted at %v; want exactly %v", got, due)
		}
		if j := e.job(key); j.State != bot.JobDone || j.Note != "sent" {
			t.Fatalf("job %s = %s %q; want done, sent", key, j.State, j.Note)
		}
		if en, err := e.db.OutboxEntry(t.Context(), key); err != nil || en.State != bot.OutboxSent || en.Attempts != 1 {
			t.Fatalf("outbox %s = %+v, %v; want sent after 1 attempt", key, en, err)
		}
	})
}

// TestReminders_ChangeWhileWaiting changes the session or its series while
// its reminder, started early, waits for its due time: the reminder is not
// posted, its job is skipped with the reason, and the session log says so.
func TestReminders_ChangeWhileWaiting(t *testing.T) {
	cases := []struct {
		name, cmd, want string
	}{
		{"Cancel", "session cancel 1", "the session was cancelled by console:fac"},
		{"Move", `session move 1 to:"2000-01-05 18:00"`, "the session was moved to 2000-01-05T18:00:00Z"},
		{"Pause", "session pause", "the series was paused"},
		{"NewSchedule", `session schedule weekly:"wed 18:00" duration:90m starts:2000-01-05 count:8`, "schedule"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &bottest.Platform{}
				e := newEnv(t, rec, rec, "Europe/London")
				s1 := scheduled(t, e)
				key := ReminderKey(s1.ID, time.Hour)
				due := at(t, due1h)
				e.sleepUntil(due.Add(-2 * time.Second))
				if j := e.job(key); j.State != bot.JobRunning {
					t.Fatalf("job %s is %s; want running (waiting for its due time)", key, j.State)
				}
				out := e.cmd("fac", c.cmd)
				e.sleepUntil(due.Add(time.Minute))
				if n := len(e.postsWithKey(key)); n != 0 {
					t.Fatalf("after %q: %d posts with key %s; want none (reply: %s)", c.cmd, n, key, out)
				}
				j := e.job(key)
				if j.State != bot.JobSkipped || !strings.Contains(j.Note, c.want) {
					t.Fatalf("job %s = %s %q; want skipped, %q", key, j.State, j.Note, c.want)
				}
				if _, err := e.db.OutboxEntry(t.Context(), key); !errors.Is(err, bot.ErrNotFound) {
					t.Fatalf("outbox entry of the abandoned post: %v; want none", err)
				}
				log := e.cmd("fac", "session log")
				if c.name != "NewSchedule" && c.name != "Move" {
					if !strings.Contains(log, "reminder 1h before: skipped") || !strings.Contains(log, c.want) {
						t.Fatalf("session log does not say why the reminder was skipped:\n%s", log)
					}
				}
				if strings.Contains(log, "not confirmed") {
					t.Fatalf("session log shows an unconfirmed post:\n%s", log)
				}
			})
		})
	}
}

// TestReminders_ChangeWhileWaitingStillPosted: a change that leaves the
// reminder wanted (the series paused and resumed, another session
// cancelled) while it waits still posts it once, at its due time, with
// what is true then.
func TestReminders_ChangeWhileWaitingStillPosted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		s1 := scheduled(t, e)
		key := ReminderKey(s1.ID, time.Hour)
		due := at(t, due1h)
		e.sleepUntil(due.Add(-3 * time.Second))
		if out := e.cmd("fac", "session pause"); !strings.Contains(out, "Paused") {
			t.Fatalf("pause: %s", out)
		}
		e.sleepUntil(due.Add(-2 * time.Second))
		if out := e.cmd("fac", "session resume"); !strings.Contains(out, "Resumed") {
			t.Fatalf("resume: %s", out)
		}
		e.sleepUntil(due.Add(-1 * time.Second))
		if out := e.cmd("fac", "session cancel 2"); !strings.Contains(out, "cancelled") {
			t.Fatalf("cancel 2: %s", out)
		}
		if j := e.job(key); j.State != bot.JobRunning {
			t.Fatalf("job %s is %s %q; want still running", key, j.State, j.Note)
		}
		e.sleepUntil(due.Add(time.Minute))
		posts := e.postsWithKey(key)
		if len(posts) != 1 || !posts[0].Delivered.At.Equal(due) {
			t.Fatalf("posts with key %s: %+v; want one at %v", key, posts, due)
		}
		if j := e.job(key); j.State != bot.JobDone || j.Note != "sent" {
			t.Fatalf("job %s = %s %q; want done, sent", key, j.State, j.Note)
		}
	})
}

// TestReminders_RestartWhileWaiting stops tend while a reminder started
// early waits for its due time: the job stays running, is reset at the next
// start and posts exactly once, on time, with one outbox attempt.
func TestReminders_RestartWhileWaiting(t *testing.T) {
	for _, finder := range []bool{false, true} {
		name := "OutboxOnly"
		if finder {
			name = "OutboxAndFinder"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &bottest.Platform{}
				var plat bot.Platform = rec
				if finder {
					plat = bottest.FinderPlatform{Platform: rec}
				}
				e := newEnv(t, rec, plat, "Europe/London")
				s1 := scheduled(t, e)
				key := ReminderKey(s1.ID, time.Hour)
				due := at(t, due1h)
				e.sleepUntil(due.Add(-2 * time.Second))
				if j := e.job(key); j.State != bot.JobRunning {
					t.Fatalf("job %s is %s; want running (waiting for its due time)", key, j.State)
				}
				e.stop()
				db, err := store.Open(t.Context(), e.path)
				if err != nil {
					t.Fatal(err)
				}
				j, err := db.JobByKey(t.Context(), KindReminder+"/"+strings.TrimPrefix(key, "reminder/"))
				if cerr := db.Close(); err != nil || cerr != nil {
					t.Fatal(err, cerr)
				}
				if j.State != bot.JobRunning {
					t.Fatalf("job %s is %s after the stop; want left running", key, j.State)
				}
				e.start()
				e.sleepUntil(due.Add(time.Minute))
				posts := e.postsWithKey(key)
				if len(posts) != 1 || !posts[0].Delivered.At.Equal(due) {
					t.Fatalf("posts with key %s: %+v; want exactly one at %v", key, posts, due)
				}
				if j := e.job(key); j.State != bot.JobDone || j.Note != "sent" {
					t.Fatalf("job %s = %s %q; want done, sent", key, j.State, j.Note)
				}
				if en, err := e.db.OutboxEntry(t.Context(), key); err != nil || en.Attempts != 1 {
					t.Fatalf("outbox %s = %+v, %v; want sent after 1 attempt (the stopped one was taken back)", key, en, err)
				}
			})
		})
	}
}
