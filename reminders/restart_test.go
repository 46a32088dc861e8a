package reminders

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// The synctest clock starts at 2000-01-01 00:00 UTC, a Saturday; London is
// on GMT then. The series: Tuesdays 18:00 from 4 January, reminders 24h
// and 1h before.
const scheduleCmd = `session schedule weekly:"tue 18:00" duration:90m starts:2000-01-04 count:8 topics:"Welcome; Skills | bring a notebook" link:https://meet.example/t`

func scheduled(t *testing.T, e *env) bot.Session {
	t.Helper()
	if out := e.cmd("fac", scheduleCmd); !strings.Contains(out, "Schedule saved") {
		t.Fatalf("schedule: %s", out)
	}
	return e.session(1)
}

func TestReminders_OnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		s1 := scheduled(t, e)
		if !s1.Start.Equal(at(t, "2000-01-04 18:00")) || s1.Topic != "Welcome" {
			t.Fatalf("session 1 = %+v", s1)
		}
		e.sleepUntil(at(t, "2000-01-04 19:31"))
		for _, key := range []string{ReminderKey(s1.ID, 24*3600e9), ReminderKey(s1.ID, 3600e9)} {
			if n := len(e.postsWithKey(key)); n != 1 {
				t.Fatalf("%d posts with key %s; want 1", n, key)
			}
			if j := e.job(key); j.State != bot.JobDone || j.Note != "sent" {
				t.Fatalf("job %s = %s %q; want done, sent", key, j.State, j.Note)
			}
		}
		post := e.postsWithKey(ReminderKey(s1.ID, 3600e9))[0]
		text := render(post.Out.Message)
		for _, want := range []string{"Session 1 of 8: Welcome", "Starts 2000-01-04 18:00", "https://meet.example/t", "0 coming", "[I'll be there] [Can't make it]"} {
			if !strings.Contains(text, want) {
				t.Errorf("reminder lacks %q:\n%s", want, text)
			}
		}
		if s, _ := e.db.Session(t.Context(), s1.ID); s.Status != bot.SessionDone {
			t.Fatalf("session 1 is %s after its end; want done", s.Status)
		}
		// The next session was materialised by session 1's jobs, with its
		// own topic and what to bring.
		s2 := e.session(2)
		if !s2.Start.Equal(at(t, "2000-01-11 18:00")) {
			t.Fatalf("session 2 at %v", s2.Start)
		}
		e.sleepUntil(at(t, "2000-01-11 17:01"))
		msg := render(e.postsWithKey(ReminderKey(s2.ID, 3600e9))[0].Out.Message)
		if !strings.Contains(msg, "Session 2 of 8: Skills") || !strings.Contains(msg, "What to bring: bring a notebook") {
			t.Fatalf("session 2 reminder:\n%s", msg)
		}
	})
}

// TestReminders_SessionEvents: every phase of a session's life reaches a
// subscriber, each in a durable job of its own.
func TestReminders_SessionEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		scheduled(t, e)
		e.sleepUntil(at(t, "2000-01-04 20:00"))
		if out := e.cmd("fac", "session cancel 2"); !strings.Contains(out, "cancelled") {
			t.Fatalf("cancel: %s", out)
		}
		if out := e.cmd("fac", `session move 3 to:"2000-01-19 18:00"`); !strings.Contains(out, "moved") {
			t.Fatalf("move: %s", out)
		}
		synctest.Wait()
		got := e.seen()
		for _, want := range []string{"scheduled/1", "reminder_sent/1", "started/1", "ended/1", "scheduled/2", "cancelled/2", "moved/3"} {
			if !slices.Contains(got, want) {
				t.Errorf("events %v lack %s", got, want)
			}
		}
		if n := count(got, "reminder_sent/1"); n != 2 {
			t.Errorf("%d reminder_sent events for session 1; want one per lead (2)", n)
		}
		if slices.Contains(got, "started/2") || slices.Contains(got, "reminder_sent/2") {
			t.Errorf("events %v: the cancelled session 2 must not start or be reminded", got)
		}
	})
}

func count(ss []string, s string) int {
	n := 0
	for _, v := range ss {
		if v == s {
			n++
		}
	}
	return n
}

// TestReminders_Restart stops tend at each step of a reminder's life,
// restarts it over the same database file, and checks that exactly one
// post per key is visible, on a platform that deduplicates by key and on
// one where the outbox (and, where it cannot know, the platform's search)
// alone must hold.
func TestReminders_Restart(t *testing.T) {
	type platform struct {
		name string
		make func() (*bottest.Platform, bot.Platform)
	}
	platforms := []platform{
		{"Dedupe", func() (*bottest.Platform, bot.Platform) { p := &bottest.Platform{DedupeKeys: true}; return p, p }},
		{"OutboxOnly", func() (*bottest.Platform, bot.Platform) { p := &bottest.Platform{}; return p, p }},
		{"OutboxAndFinder", func() (*bottest.Platform, bot.Platform) {
			p := &bottest.Platform{}
			return p, bottest.FinderPlatform{Platform: p}
		}},
	}
	steps := []struct {
		name string
		// unknown: the step leaves a delivery whose outcome tend cannot
		// know from its own records; only a deduplicating platform or a
		// Finder can keep it single.
		unknown bool
		crash   func(e *env, key string)
	}{
		{"BeforeSend", false, func(e *env, key string) {
			// Stop just before the reminder is due.
			e.sleepUntil(at(e.t, "2000-01-04 16:59"))
			e.stop()
			e.sleepUntil(at(e.t, "2000-01-04 17:00"))
		}},
		{"AfterSendBeforeRecord", true, func(e *env, key string) {
			// The platform shows the post, then the process dies before
			// the outbox records it: the context is cancelled as Deliver
			// returns, so MarkOutboxSent cannot run.
			e.setHook(func(out bot.Outbound) error {
				if out.Key == key {
					e.cancel()
				}
				return nil
			})
			e.sleepUntil(at(e.t, "2000-01-04 17:00"))
			e.setHook(nil)
			e.expectInterrupted(key)
			e.stop()
		}},
		{"AfterRecord", false, func(e *env, key string) {
			// The post is recorded in the outbox, then the process dies
			// before the job is finished: as it publishes the reminder's
			// session event.
			e.setEnqueueHook(func(j bot.Job) error {
				if strings.Contains(j.Key, "/reminder_sent/") && strings.HasSuffix(j.Key, "/1h") {
					e.cancel()
					return context.Canceled
				}
				return nil
			})
			e.sleepUntil(at(e.t, "2000-01-04 17:00"))
			e.setEnqueueHook(nil)
			e.expectInterrupted(key)
			e.stop()
		}},
	}
	for _, p := range platforms {
		for _, step := range steps {
			if step.unknown && p.name == "OutboxOnly" {
				continue // no way to know: see TestReminders_RestartUnknownOutcome
			}
			t.Run(p.name+"/"+step.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					rec, plat := p.make()
					e := newEnv(t, rec, plat, "Europe/London")
					s1 := scheduled(t, e)
					key := ReminderKey(s1.ID, 3600e9)
					step.crash(e, key)
					e.sleepUntil(at(t, "2000-01-04 17:05"))
					e.start()
					e.sleepUntil(at(t, "2000-01-04 17:10"))
					if n := len(e.postsWithKey(key)); n != 1 {
						t.Fatalf("%d visible posts with key %s; want exactly 1", n, key)
					}
					j := e.job(key)
					if j.State != bot.JobDone {
						t.Fatalf("job %s is %s %q; want done", key, j.State, j.Note)
					}
					if step.name == "BeforeSend" && !strings.HasPrefix(j.Note, "sent late by 5m") {
						t.Fatalf("job note %q; want sent late by 5m", j.Note)
					}
					if n := len(e.postsWithKey(ReminderKey(s1.ID, 24*3600e9))); n != 1 {
						t.Fatalf("%d visible 24h reminders; want 1", n)
					}
					if step.unknown {
						log := e.cmd("fac", "session log 1")
						if !strings.Contains(log, "reminder 1h before: sent") || !strings.Contains(log, "(posted after 2 attempts)") {
							t.Fatalf("session log after an unconfirmed delivery:\n%s", log)
						}
					}
				})
			})
		}
	}
}

// TestReminders_RestartUnknownOutcome documents the one case the outbox
// alone cannot decide: the platform showed the post but the process died
// before recording it, and the platform can neither deduplicate nor be
// searched. The retry is visible as a second post, and the outbox records
// that more than one attempt was made.
func TestReminders_RestartUnknownOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		s1 := scheduled(t, e)
		key := ReminderKey(s1.ID, 3600e9)
		e.setHook(func(out bot.Outbound) error {
			if out.Key == key {
				e.cancel()
			}
			return nil
		})
		e.sleepUntil(at(t, "2000-01-04 17:00"))
		e.setHook(nil)
		e.stop()
		e.start()
		e.sleepUntil(at(t, "2000-01-04 17:01"))
		ob, err := e.db.OutboxEntry(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		if ob.Attempts != 2 || ob.State != bot.OutboxSent {
			t.Fatalf("outbox %+v; want sent after 2 attempts", ob)
		}
		if n := len(e.postsWithKey(key)); n != 2 {
			t.Fatalf("%d posts; this platform cannot deduplicate, so the retry shows (want 2)", n)
		}
	})
}

// expectInterrupted checks that the job for key was left running by a
// process that stopped mid-job, as a crash would leave it.
func (e *env) expectInterrupted(key string) {
	e.t.Helper()
	if j := e.job(key); j.State != bot.JobRunning {
		e.t.Fatalf("after the crash the job %s is %s; want running (interrupted)", key, j.State)
	}
}

func TestReminders_Downtime(t *testing.T) {
	t.Run("BeforeSessionStart", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rec := &bottest.Platform{}
			e := newEnv(t, rec, rec, "Europe/London")
			s1 := scheduled(t, e)
			e.stop()
			// Down from Saturday until 20 minutes before the session.
			e.sleepUntil(at(t, "2000-01-04 17:40"))
			e.start()
			synctest.Wait()
			for _, lead := range []string{"24h", "1h"} {
				key := fmt.Sprintf("reminder/%d/%s", s1.ID, lead)
				if n := len(e.postsWithKey(key)); n != 1 {
					t.Fatalf("%d posts with %s; want one late post", n, key)
				}
			}
			log := e.cmd("fac", "session log 1")
			if !strings.Contains(log, "reminder 24h before: sent late by 23h40m") || !strings.Contains(log, "reminder 1h before: sent late by 40m") {
				t.Fatalf("session log:\n%s", log)
			}
		})
	})
	t.Run("AcrossSessionStart", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rec := &bottest.Platform{}
			e := newEnv(t, rec, rec, "Europe/London")
			s1 := scheduled(t, e)
			e.sleepUntil(at(t, "2000-01-03 18:00")) // the 24h reminder goes out
			e.stop()
			e.sleepUntil(at(t, "2000-01-04 18:30")) // down across the start
			e.start()
			synctest.Wait()
			if n := len(e.postsWithKey(ReminderKey(s1.ID, 3600e9))); n != 0 {
				t.Fatalf("the 1h reminder was posted after its session started")
			}
			log := e.cmd("fac", "session log 1")
			for _, want := range []string{"reminder 24h before: sent", "reminder 1h before: missed", "the session had started 30m", "start: started late by 30m"} {
				if !strings.Contains(log, want) {
					t.Fatalf("session log lacks %q:\n%s", want, log)
				}
			}
			// The chain continues: session 2 is scheduled with its jobs.
			s2 := e.session(2)
			if j := e.job(ReminderKey(s2.ID, 24*3600e9)); j.State != bot.JobPending {
				t.Fatalf("session 2's reminder is %s; want pending", j.State)
			}
		})
	})
	t.Run("OverWholeSessions", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rec := &bottest.Platform{}
			e := newEnv(t, rec, rec, "Europe/London")
			scheduled(t, e)
			e.stop()
			e.sleepUntil(at(t, "2000-01-12 09:00")) // sessions 1 and 2 pass unseen
			e.start()
			synctest.Wait()
			if n := len(rec.Posts()); n != 0 {
				t.Fatalf("%d posts after the sessions had passed; want none", n)
			}
			log := e.cmd("fac", "session log")
			for _, want := range []string{"Session 1: Welcome — 2000-01-04 18:00", "reminder 1h before: missed", "start: missed", "end: missed", "Session 2: Skills — 2000-01-11 18:00", "Session 3 — 2000-01-18 18:00", "reminder 24h before: pending"} {
				if !strings.Contains(log, want) {
					t.Fatalf("session log lacks %q:\n%s", want, log)
				}
			}
		})
	})
}

// TestReminders_SentNeverLoggedMissed: the post was recorded in the
// outbox, then the process died before the job was finished, and came
// back only after the session had started. The job is done — never
// "missed" — and nothing is posted again.
func TestReminders_SentNeverLoggedMissed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		s1 := scheduled(t, e)
		key := ReminderKey(s1.ID, time.Hour)
		e.setEnqueueHook(func(j bot.Job) error {
			if strings.Contains(j.Key, "/reminder_sent/") && strings.HasSuffix(j.Key, "/1h") {
				e.cancel()
				return context.Canceled
			}
			return nil
		})
		e.sleepUntil(at(t, "2000-01-04 17:00"))
		e.setEnqueueHook(nil)
		e.expectInterrupted(key)
		e.stop()
		e.sleepUntil(at(t, "2000-01-04 18:10")) // the session has started
		e.start()
		synctest.Wait()
		if n := len(e.postsWithKey(key)); n != 1 {
			t.Fatalf("%d posts with %s; want the one made before the stop", n, key)
		}
		j := e.job(key)
		if j.State != bot.JobDone || j.Note != "sent; recorded after a restart" {
			t.Fatalf("job %s %q; want done, sent", j.State, j.Note)
		}
		if log := e.cmd("fac", "session log 1"); strings.Contains(log, "missed") || strings.Contains(log, "not sent") {
			t.Fatalf("session log calls a sent reminder missed:\n%s", log)
		}
	})
}

// TestReminders_MissedSaysWhy: "tend was not running" only when it was
// not; a reminder tend was running for but could not post before the
// session started says so.
func TestReminders_MissedSaysWhy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, rec, "Europe/London")
		s1 := scheduled(t, e)
		e.setHook(func(out bot.Outbound) error {
			if out.Key == ReminderKey(s1.ID, time.Hour) {
				return errors.New("platform answered 503")
			}
			return nil
		})
		e.sleepUntil(at(t, "2000-01-04 18:30"))
		j := e.job(ReminderKey(s1.ID, time.Hour))
		if j.State != bot.JobMissed || !strings.Contains(j.Note, "tend was running but could not post it in time") || strings.Contains(j.Note, "not running") {
			t.Fatalf("job %s %q; want missed, saying tend was running", j.State, j.Note)
		}
	})
}

// TestReminders_MissedJudgedAgainstEveryRun: a reminder that came due while
// an earlier process ran, and failed to post, is not "tend was not running"
// when a later process finds it missed; and its due time is its own
// (session start − lead), not its last retry's. Platform answers 503 from
// 17:00, tend stops at 17:30 and starts again at 18:10, after the 18:00
// session started (audit of issue 9, point 6).
func TestReminders_MissedJudgedAgainstEveryRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newLockedEnv(t, rec, rec, "Europe/London", 10*time.Minute)
		s1 := scheduled(t, e) // tue 2000-01-04 18:00; the 1h reminder is due 17:00
		e.setHook(func(out bot.Outbound) error {
			if out.Key == ReminderKey(s1.ID, time.Hour) {
				return errors.New("platform answered 503")
			}
			return nil
		})
		e.sleepUntil(at(t, "2000-01-04 17:30"))
		if j := e.job(ReminderKey(s1.ID, time.Hour)); j.State != bot.JobPending || j.Attempts < 2 {
			t.Fatalf("job %s after %d attempts; want pending, retried", j.State, j.Attempts)
		}
		e.stop()
		time.Sleep(at(t, "2000-01-04 18:10").Sub(time.Now()))
		e.start()
		synctest.Wait()
		j := e.job(ReminderKey(s1.ID, time.Hour))
		if j.State != bot.JobMissed || !strings.Contains(j.Note, "tend was running but could not post it in time") ||
			!strings.Contains(j.Note, "it was due 2000-01-04 17:00 UTC") || !strings.Contains(j.Note, "503") {
			t.Fatalf("job %s %q; want missed, due 17:00, saying tend was running", j.State, j.Note)
		}
	})
}

// TestReminders_MissedWhileNoRun: a reminder whose whole window (its due
// time to the session's start) fell while no tend ran says so, even when
// runs before and after are recorded.
func TestReminders_MissedWhileNoRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newLockedEnv(t, rec, rec, "Europe/London", 10*time.Minute)
		s1 := scheduled(t, e)
		e.sleepUntil(at(t, "2000-01-04 16:30"))
		e.stop()
		time.Sleep(at(t, "2000-01-04 18:10").Sub(time.Now()))
		e.start()
		synctest.Wait()
		j := e.job(ReminderKey(s1.ID, time.Hour))
		if j.State != bot.JobMissed || !strings.Contains(j.Note, "tend was not running then") || !strings.Contains(j.Note, "it was due 2000-01-04 17:00 UTC") {
			t.Fatalf("job %s %q; want missed while tend was not running", j.State, j.Note)
		}
	})
}
