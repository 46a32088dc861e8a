package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// writeConfig writes tend.yaml into dir.
func writeConfig(t *testing.T, dir, yaml string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "tend.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMain_Wording: what a newcomer read and tripped on (issue 9, point 17).
func TestMain_Wording(t *testing.T) {
	t.Run("OneServer", func(t *testing.T) {
		dir := t.TempDir()
		writeConfig(t, dir, "discord:\n  token_env: T\n  guild_ids: [\"123456789012345678\"]\n")
		tm := newTestMain(t, dir, "")
		tm.LookupEnv = func(k string) (string, bool) { return "not-a-real-token", k == "T" }
		if code := tm.run(t, "check"); code != 0 {
			t.Fatalf("exit %d\n%s", code, tm.stderr.String())
		}
		wantContains(t, "check", tm.stdout.String(), "discord (commands in 1 server)")
	})
	t.Run("OneOfEach", func(t *testing.T) {
		dir := t.TempDir()
		writeConfig(t, dir, "groups:\n  - name: a\n    platform: console\n    capacity: 1\n    schedule: {weekly: tue 18:00, count: 1, topics: [intro]}\n")
		tm := newTestMain(t, dir, "")
		if code := tm.run(t, "check"); code != 0 {
			t.Fatalf("exit %d\n%s", code, tm.stderr.String())
		}
		wantContains(t, "check", tm.stdout.String(), ", up to 1 member,", ", 1 session, 1 topic")
		for _, wrong := range []string{"1 members", "1 sessions", "1 topics"} {
			if strings.Contains(tm.stdout.String(), wrong) {
				t.Errorf("check says %q:\n%s", wrong, tm.stdout.String())
			}
		}
	})
	t.Run("PreviewSaysDurationsAsTheSummary", func(t *testing.T) {
		dir := t.TempDir()
		writeConfig(t, dir, "groups:\n  - name: a\n    platform: console\n    schedule: {weekly: tue 18:00, duration: 60m}\n  - name: b\n    platform: console\n    schedule: {weekly: tue 18:00, duration: 90m}\n")
		tm := newTestMain(t, dir, "")
		if code := tm.run(t, "check", "--from", "2031-03-01", "--count", "1"); code != 0 {
			t.Fatalf("exit %d\n%s", code, tm.stderr.String())
		}
		out := tm.stdout.String()
		if strings.Count(out, "1h each") != 2 || strings.Count(out, "1h30m each") != 2 || strings.Contains(out, "0s each") {
			t.Errorf("the summary and the preview must both say 1h and 1h30m each:\n%s", out)
		}
	})
	t.Run("EveryOneMinute", func(t *testing.T) {
		dir := t.TempDir()
		writeConfig(t, dir, "groups:\n  - name: a\n    platform: console\n    schedule: {cron: \"0,1 18 * * TUE\", duration: 5m}\n")
		tm := newTestMain(t, dir, "")
		if code := tm.run(t, "check"); code != 2 {
			t.Fatalf("exit %d, want 2\n%s", code, tm.stderr.String())
		}
		wantContains(t, "check", tm.stderr.String(), "sessions every 1 minute cannot last 5m:")
		if strings.Contains(tm.stderr.String(), "1 minutes") {
			t.Errorf("1 minutes:\n%s", tm.stderr.String())
		}
	})
	t.Run("NoDoubledPrefix", func(t *testing.T) {
		for _, args := range [][]string{{"frobnicate"}, {"run", "extra"}, {"check", "--count", "0", "--from", "2027-01-01"}, {"check", "--from", "soon"}} {
			tm := newTestMain(t, t.TempDir(), "")
			if code := tm.run(t, args...); code != 2 {
				t.Errorf("tend %v: exit %d", args, code)
			}
			got := tm.stderr.String()
			if !strings.HasPrefix(got, "tend: ") || strings.Contains(got, "tend: tend") {
				t.Errorf("tend %v:\n%s", args, got)
			}
		}
		tm := newTestMain(t, t.TempDir(), "")
		tm.run(t, "frobnicate")
		wantContains(t, "unknown command", tm.stderr.String(), `tend: unknown command "frobnicate": use run, check, report, audit, backup or version`)
	})
	t.Run("ConsoleReadError", func(t *testing.T) {
		tm := newTestMain(t, t.TempDir(), "")
		tm.Stdin = io.MultiReader(strings.NewReader("/tend help\n"), errReader{errors.New("input/output error")})
		if code := tm.run(t); code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, tm.stderr.String())
		}
		wantContains(t, "stderr", tm.stderr.String(), "tend: console: read input: input/output error")
		if strings.Contains(tm.stderr.String(), "console: console:") {
			t.Errorf("doubled prefix:\n%s", tm.stderr.String())
		}
	})
	t.Run("GroupsAtStart", func(t *testing.T) {
		dir := t.TempDir()
		tm := newTestMain(t, dir, "/tend group setup name:tuesday-support\n/in other\n/tend group setup name:other-group\n")
		if code := tm.run(t); code != 0 {
			t.Fatalf("exit %d\n%s", code, tm.stderr.String())
		}
		again := newTestMain(t, dir, "")
		if code := again.run(t); code != 0 {
			t.Fatalf("exit %d\n%s", code, again.stderr.String())
		}
		wantContains(t, "log", again.stderr.String(), "groups=2 groups_in_config=0")
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestMain_OneMinuteReminder: a reminder one minute ahead that is posted a
// moment after its due time says "in 1 minute", not "now".
func TestMain_OneMinuteReminder(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tm := newTestMain(t, t.TempDir(), "/tend group setup name:tuesday-support timezone:Europe/London\n"+
		"/tend session schedule weekly:\"tue 18:00\" duration:90m lead:1m\n")
	tm.Clock = bottest.NewClock(time.Date(2027, 1, 5, 17, 59, 1, 0, london)) // a Tuesday, 59 s before
	tm.Location = london
	if code := tm.run(t); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	out := tm.stdout.String()
	wantContains(t, "stdout", out, "Reminder 1m before", "18:00 GMT (in 1 minute)")
	if strings.Contains(out, "(now)") {
		t.Errorf("a reminder one minute ahead says now:\n%s", out)
	}
}

// TestMain_ExamplesNeverPast: no example in a reply names a day before
// today: away, a bad date, a bad move time.
func TestMain_ExamplesNeverPast(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2031, 3, 4, 10, 0, 0, 0, london)
	tm := newTestMain(t, t.TempDir(), "/tend group setup name:tuesday-support timezone:Europe/London\n"+
		"/tend session schedule weekly:\"tue 18:00\" duration:90m\n"+
		"/tend away\n"+
		"/tend away until:someday\n"+
		"/tend session move 1 to:\"someday 18:30\"\n"+
		"/tend session schedule weekly:\"tue 18:00\" duration:90m starts:soon\n")
	tm.Clock = bottest.NewClock(now)
	tm.Location = london
	if code := tm.run(t); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	out := tm.stdout.String()
	example := bot.ExampleDate(now)
	wantContains(t, "stdout", out, "/tend away until:"+example+" (the last day you are away)",
		`until: "someday" is not a date: write YYYY-MM-DD, for example `+example,
		`Write to:"2031-03-04 18:30"`, `starts: "soon" is not a date`, "[rsvp:yes|no]")
	for _, d := range regexp.MustCompile(`\b20\d\d-\d\d-\d\d\b`).FindAllString(out, -1) {
		if d < now.Format(time.DateOnly) {
			t.Errorf("a reply names %s, before today (%s):\n%s", d, now.Format(time.DateOnly), out)
		}
	}
}

// TestMain_OverlongLine: a console line of 1 MiB used to end tend with
// "bufio.Scanner: token too long", losing the commands after it.
func TestMain_OverlongLine(t *testing.T) {
	tm := newTestMain(t, t.TempDir(), "/tend help\n"+strings.Repeat("a", 1<<20)+"\n/tend group setup name:after-the-long-line\n")
	if code := tm.run(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, tm.stderr.String())
	}
	wantContains(t, "stdout", tm.stdout.String(), "a line may be at most 65536 bytes", "This channel is now group after-the-long-line")
}
