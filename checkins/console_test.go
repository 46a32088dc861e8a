package checkins_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	_ "time/tzdata" // golden output must not depend on the machine's zone files

	"github.com/tend-bot/tend/adapters/console"
	"github.com/tend-bot/tend/bot"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

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

// TestConsole_CheckInAndAlert runs the feature through the real console
// adapter, as a newcomer trying tend in a terminal would: a check-in at the
// start of a session, three answers (one red, one pass), a DM in crisis,
// the alerts and "I'm on it" in the facilitators' channel, and the summary.
// The transcript is testdata/console.golden (go test -update rewrites it).
func TestConsole_CheckInAndAlert(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		london, err := time.LoadLocation("Europe/London")
		if err != nil {
			t.Fatal(err)
		}
		pr, pw := io.Pipe()
		out := &syncBuffer{}
		ad, err := console.New(console.Config{In: pr, Out: out, DefaultUser: "fac", Channel: groupChannel, Channels: []bot.ChannelID{facsChannel},
			Location: london, Echo: true, Logger: debugLogger()})
		if err != nil {
			t.Fatal(err)
		}
		e := newEnvOn(t, bot.PrivacyStandard, ad)
		defer pw.Close()
		typ := func(line string) {
			t.Helper()
			if strings.HasPrefix(line, "i ") || !strings.HasPrefix(line, "/") {
				scan.secret(line)
			}
			if _, err := fmt.Fprintln(pw, line); err != nil {
				t.Fatalf("type %q: %v", line, err)
			}
			synctest.Wait()
		}
		typ(`/tend checkin schedule at:start kind:traffic share_tally:yes`)
		typ(`/tend session schedule weekly:"tue 18:00" duration:60m starts:2000-01-04 count:4 lead:1h`)
		e.sleepUntil(time.Date(2000, 1, 4, 18, 0, 30, 0, time.UTC))
		var who bot.UserID
		for _, l := range []string{
			"/as ann", "/click 3",
			"/as bob", "/click 5",
			"/as cat", "/click 6",
			"/as dan", "i cant take it anymore, i want to end it",
			"/as fran", "/in " + facsChannel,
		} {
			if u, ok := strings.CutPrefix(l, "/as "); ok {
				who = bot.UserID(u)
				typ(l)
				continue
			}
			// A member's answer or DM: the log, at debug level, never
			// names them (the adapter's nor the core's nor the feature's).
			m := scan.mark()
			typ(l)
			if who != "fran" {
				if lines := namesUser(scan.since(m), who); len(lines) > 0 {
					t.Errorf("%s's %q was logged with their id:\n%s", who, l, strings.Join(lines, "\n"))
				}
			}
		}
		// fran takes dan's alert, the last choice shown.
		got := out.String()
		i := strings.LastIndex(got, "] I'm on it")
		j := strings.LastIndex(got[:i], "[")
		typ("/click " + got[j+1:i])
		typ("/in " + groupChannel)
		typ("/tend checkin close")
		got = out.String()

		path := filepath.Join("testdata", "console.golden")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if got != string(want) {
			t.Fatalf("console transcript differs from %s (go test -update rewrites it):\n%s", path, got)
		}
	})
}
