package reminders

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// checkinLike is a stand-in for another feature with jobs of its own about
// each session: when a session is scheduled it enqueues a "prompt" due five
// minutes after the session starts, as check-ins will.
type checkinLike struct {
	mu  sync.Mutex
	ran map[int64]time.Time // session → when its prompt ran
}

const kindPrompt = "test-checkins.prompt"

func (c *checkinLike) register(b *bot.Bot, r *bot.Runner) error {
	if err := r.Register(bot.JobKind{Name: kindPrompt, Label: func(bot.Job) string { return "check-in prompt" },
		Run: func(_ context.Context, j bot.Job) (bot.JobResult, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.ran[j.SessionID] = time.Now()
			return bot.JobResult{Note: "asked 3 members"}, nil
		}}); err != nil {
		return err
	}
	return b.OnSession("test-checkins", func(ctx context.Context, ev *bot.SessionEvent) ([]bot.Outbound, error) {
		_, err := r.Enqueue(ctx, bot.Job{Kind: kindPrompt, Key: kindPrompt + "/" + strconv.FormatInt(ev.Session.ID, 10),
			GroupID: ev.Group.ID, SessionID: ev.Session.ID, DueAt: ev.Session.Start.Add(5 * time.Minute)})
		return nil, err
	}, bot.PhaseScheduled)
}

// TestSessionJobs_EveryFeature: another feature's job of a session is
// skipped with the reason when the session is cancelled, moves with it when
// it is moved, and shows in the session log beside the reminders.
func TestSessionJobs_EveryFeature(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		c := &checkinLike{ran: map[int64]time.Time{}}
		e := newEnvWith(t, rec, rec, "Europe/London", c.register)
		s1 := scheduled(t, e)
		// Session 1 on Tuesday 4 Jan, 2 on the 11th, 3 on the 18th.
		e.sleepUntil(at(t, "2000-01-10 12:00"))
		s2 := e.session(2)
		promptKey := func(s bot.Session) string { return kindPrompt + "/" + strconv.FormatInt(s.ID, 10) }
		if j := e.job(promptKey(s2)); j.State != bot.JobPending || j.SessionID != s2.ID {
			t.Fatalf("prompt of session 2: %+v; want pending, of session 2", j)
		}
		if out := e.cmd("fac", "session cancel 2"); !strings.Contains(out, "cancelled") {
			t.Fatalf("cancel: %s", out)
		}
		if j := e.job(promptKey(s2)); j.State != bot.JobSkipped || j.Note != "the session was cancelled by console:fac" {
			t.Fatalf("prompt of the cancelled session: %s %q; want skipped, with the reason", j.State, j.Note)
		}

		// Session 3 is stored now that session 2 no longer carries the chain.
		s3 := e.session(3)
		if out := e.cmd("fac", `session move 3 to:"2000-01-19 19:30"`); !strings.Contains(out, "moved") {
			t.Fatalf("move: %s", out)
		}
		if j := e.job(promptKey(s3)); j.State != bot.JobSkipped || !strings.HasPrefix(j.Note, "the session was moved to") {
			t.Fatalf("prompt of the old session 3: %s %q; want skipped, moved", j.State, j.Note)
		}
		moved := e.session(3)
		jobs, err := e.db.SessionJobs(t.Context(), moved.ID)
		if err != nil {
			t.Fatal(err)
		}
		var carried *bot.Job
		for i, j := range jobs {
			if j.Kind == kindPrompt {
				carried = &jobs[i]
			}
		}
		if carried == nil || carried.State != bot.JobPending || !carried.DueAt.Equal(moved.Start.Add(5*time.Minute)) {
			t.Fatalf("jobs of the moved session %+v; want the prompt carried, due 5m after its new start %v", jobs, moved.Start)
		}

		// The session log lists both features' jobs in their own words.
		log := e.cmd("fac", "session log 3")
		for _, want := range []string{"reminder 1h before: pending", "check-in prompt: pending", "test-checkins when the session was scheduled: done"} {
			if !strings.Contains(log, want) {
				t.Errorf("session log lacks %q:\n%s", want, log)
			}
		}
		e.sleepUntil(at(t, "2000-01-19 20:00"))
		c.mu.Lock()
		defer c.mu.Unlock()
		if got := c.ran[moved.ID]; !got.Equal(at(t, "2000-01-19 19:35")) {
			t.Fatalf("the moved session's prompt ran at %v; want 19:35, five minutes after its new start", got)
		}
		if _, ok := c.ran[s2.ID]; ok {
			t.Fatal("the cancelled session's prompt ran")
		}
		if _, ok := c.ran[s1.ID]; !ok {
			t.Fatal("session 1's prompt did not run")
		}
	})
}

// TestSessionEvents_FailingSubscriberAlone: a subscriber that fails three
// times is retried on its own, with its own attempts; the reminder is
// posted on time and done once, and another subscriber of the same event
// runs at once.
func TestSessionEvents_FailingSubscriberAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		var (
			mu     sync.Mutex
			fails  int
			steady []time.Time
			flaky  []time.Time
		)
		e := newEnvWith(t, rec, rec, "Europe/London", func(b *bot.Bot, _ *bot.Runner) error {
			if err := b.OnSession("flaky", func(_ context.Context, ev *bot.SessionEvent) ([]bot.Outbound, error) {
				if ev.Lead != time.Hour {
					return nil, nil
				}
				mu.Lock()
				defer mu.Unlock()
				flaky = append(flaky, time.Now())
				if fails < 3 {
					fails++
					return nil, errors.New("the flaky feature's database hiccupped")
				}
				return nil, nil
			}, bot.PhaseReminderSent); err != nil {
				return err
			}
			return b.OnSession("steady", func(_ context.Context, ev *bot.SessionEvent) ([]bot.Outbound, error) {
				if ev.Lead == time.Hour {
					mu.Lock()
					steady = append(steady, time.Now())
					mu.Unlock()
				}
				return nil, nil
			}, bot.PhaseReminderSent)
		})
		s1 := scheduled(t, e)
		due := at(t, "2000-01-04 17:00")
		e.sleepUntil(due.Add(10 * time.Minute))

		key := ReminderKey(s1.ID, time.Hour)
		posts := e.postsWithKey(key)
		if len(posts) != 1 || !posts[0].Delivered.At.Equal(due) {
			t.Fatalf("reminder posts %+v; want one, at its due time %v", posts, due)
		}
		if j := e.job(key); j.State != bot.JobDone || j.Attempts != 1 || j.Note != "sent" {
			t.Fatalf("reminder job %+v; want done on its first attempt", j)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(steady) != 1 || !steady[0].Equal(due) {
			t.Fatalf("steady subscriber ran at %v; want once, at %v", steady, due)
		}
		if len(flaky) != 4 || !flaky[0].Equal(due) || !flaky[3].After(flaky[2]) {
			t.Fatalf("flaky subscriber ran at %v; want 4 runs from %v, retried with backoff", flaky, due)
		}
		j := e.job("core.event/flaky/reminder_sent/" + strconv.FormatInt(s1.ID, 10) + "/1h")
		if j.State != bot.JobDone || j.Attempts != 4 {
			t.Fatalf("flaky's event job %+v; want done on attempt 4", j)
		}
		log := e.cmd("fac", "session log 1")
		if !strings.Contains(log, "flaky after the 1h reminder: done") || !strings.Contains(log, "steady after the 1h reminder: done") {
			t.Fatalf("session log lacks each subscriber's own line:\n%s", log)
		}
	})
}

// TestSessionJobs_PauseAndResume: pausing a series skips every feature's
// pending jobs of its sessions that have not started, with the reason, and
// resuming puts back those still to come.
func TestSessionJobs_PauseAndResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		c := &checkinLike{ran: map[int64]time.Time{}}
		e := newEnvWith(t, rec, rec, "Europe/London", c.register)
		scheduled(t, e)
		e.sleepUntil(at(t, "2000-01-10 12:00"))
		s2 := e.session(2)
		key := kindPrompt + "/" + strconv.FormatInt(s2.ID, 10)
		if out := e.cmd("fac", "session pause"); !strings.Contains(strings.ToLower(out), "paused") {
			t.Fatalf("pause: %s", out)
		}
		if j := e.job(key); j.State != bot.JobSkipped || j.Note != "the series was paused" {
			t.Fatalf("another feature's job after the pause: %s %q; want skipped, paused", j.State, j.Note)
		}
		if out := e.cmd("fac", "session resume"); !strings.Contains(strings.ToLower(out), "resume") {
			t.Fatalf("resume: %s", out)
		}
		if j := e.job(key); j.State != bot.JobPending {
			t.Fatalf("another feature's job after resuming: %s %q; want pending again", j.State, j.Note)
		}
	})
}

// TestSessionEvents_PanicReadsShortInTheLog: a subscriber that panics fails
// its own job; the session log shows a short note a facilitator can read,
// never a stack trace.
func TestSessionEvents_PanicReadsShortInTheLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnvWith(t, rec, rec, "Europe/London", func(b *bot.Bot, _ *bot.Runner) error {
			return b.OnSession("buggy", func(context.Context, *bot.SessionEvent) ([]bot.Outbound, error) {
				var m map[string]int
				m["boom"]++ // a nil map write: a bug
				return nil, nil
			}, bot.PhaseScheduled)
		})
		scheduled(t, e)
		e.sleepUntil(at(t, "2000-01-01 00:10"))
		log := e.cmd("fac", "session log 1")
		if strings.Contains(log, "goroutine") || strings.Contains(log, ".go:") || len(log) > 3000 {
			t.Fatalf("session log shows a stack:\n%s", log)
		}
		if !strings.Contains(log, "buggy when the session was scheduled") || !strings.Contains(log, "a bug in tend") {
			t.Fatalf("session log lacks the subscriber's short note:\n%s", log)
		}
	})
}
