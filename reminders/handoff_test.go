package reminders

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// TestReminders_HandedOffThenRestartedAfterStart: the platform showed the
// reminder, then the process died before recording it, and tend came back
// only after the session had started. The reminder was posted, so it is
// done (found on the platform), never "missed: not sent".
func TestReminders_HandedOffThenRestartedAfterStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, bottest.FinderPlatform{Platform: rec}, "Europe/London")
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
		e.expectInterrupted(key)
		if ob, err := e.db.OutboxEntry(t.Context(), key); err != nil || ob.State != bot.OutboxSending || ob.HandedAt.IsZero() {
			t.Fatalf("outbox after the crash: %+v, %v; want sending, handed off", ob, err)
		}
		e.stop()
		e.sleepUntil(at(t, "2000-01-04 18:05"))
		e.start()
		synctest.Wait()
		if n := len(e.postsWithKey(key)); n != 1 {
			t.Fatalf("%d posts with %s; want the one made before the crash", n, key)
		}
		if j := e.job(key); j.State != bot.JobDone || !strings.Contains(j.Note, "recorded after a restart") {
			t.Fatalf("job %s = %s %q; want done, recorded after a restart", key, j.State, j.Note)
		}
	})
}

// TestReminders_PreparedThenRestartedAfterStart: the reminder was prepared
// ahead of its time and the process died before handing it over; tend came
// back after the session started. Nothing was posted, and the reminder is
// missed without asking the platform.
func TestReminders_PreparedThenRestartedAfterStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		e := newEnv(t, rec, bottest.FinderPlatform{Platform: rec}, "Europe/London")
		s1 := scheduled(t, e)
		key := ReminderKey(s1.ID, 3600e9)
		e.sleepUntil(at(t, "2000-01-04 16:59"))
		if _, err := e.db.BeginOutbox(t.Context(), key, rec.Name(), bot.OutPost); err != nil {
			t.Fatal(err)
		}
		e.stop()
		e.sleepUntil(at(t, "2000-01-04 18:05"))
		e.start()
		synctest.Wait()
		if n := len(e.postsWithKey(key)); n != 0 {
			t.Fatalf("%d posts with %s; want none", n, key)
		}
		if j := e.job(key); j.State != bot.JobMissed || !strings.Contains(j.Note, "not sent") {
			t.Fatalf("job %s = %s %q; want missed, not sent", key, j.State, j.Note)
		}
	})
}
