package reminders

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/adapters/console"
	"github.com/tend-bot/tend/bot"
)

// syncBuffer is an io.Writer safe for the console's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReminders_Console runs the feature through the real console adapter:
// a facilitator schedules a series with a 1-minute lead, the reminder shows
// with its buttons, two people answer, the count is edited in place, the
// next session is cancelled with a notice, and the session log tells it all.
func TestReminders_Console(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		london, err := time.LoadLocation("Europe/London")
		if err != nil {
			t.Fatal(err)
		}
		pr, pw := io.Pipe()
		out := &syncBuffer{}
		ad, err := console.New(console.Config{In: pr, Out: out, DefaultUser: "fac", Channel: "tuesday", Location: london, Echo: true, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, nil, ad, "Europe/London")
		defer pw.Close()
		typ := func(line string) {
			t.Helper()
			if _, err := fmt.Fprintln(pw, line); err != nil {
				t.Fatalf("type %q: %v", line, err)
			}
			synctest.Wait()
		}
		typ(`/tend session schedule weekly:"tue 18:00" duration:60m starts:2000-01-04 count:4 lead:1m topics:"Arriving | bring a notebook"`)
		e.sleepUntil(time.Date(2000, 1, 4, 17, 59, 30, 0, time.UTC))
		typ("/as ann")
		typ("/click 1")
		typ("/as bob")
		typ("/click 1")
		typ("/as fac")
		typ("/tend session cancel 2")
		typ("/tend session log")
		got := out.String()
		want := []string{
			"Schedule saved for tuesday",
			"Session 1 of 4: Arriving",
			"What to bring: bring a notebook",
			"0 coming · 0 can't make it",
			"[1] I'll be there  [2] Can't make it",
			"✎ message #2 now reads:",
			"1 coming · 0 can't make it",
			"you're down as coming to session 1",
			"✎ message #2 now reads:",
			"2 coming · 0 can't make it",
			"message #5 in #tuesday:",
			"Session 2 is cancelled",
			"Session 2 on Tuesday, 11 January 2000 18:00 GMT (in 7 days) is cancelled",
			"Session log of tuesday",
			"reminder 1m before: sent",
			"the session was cancelled by console:fac",
		}
		rest := got
		for _, w := range want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Fatalf("console output lacks %q after what came before; full output:\n%s", w, got)
			}
			rest = rest[i+len(w):]
		}
		if n := strings.Count(got, "✎ message"); n != 2 {
			t.Fatalf("%d edits shown; want 2 (one per RSVP), output:\n%s", n, got)
		}
		if n := len(e.sessionPosts(t, "reminder/")); n != 1 {
			t.Fatalf("%d reminder posts recorded in the outbox; want 1", n)
		}
	})
}

func (e *env) sessionPosts(t *testing.T, prefix string) []bot.OutboxEntry {
	t.Helper()
	es, err := e.db.SentMessages(t.Context(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return es
}
