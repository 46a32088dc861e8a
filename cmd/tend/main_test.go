package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/tend-bot/tend/store"
)

// testMain is a Main over in-memory streams, a temporary working directory
// (so tend.db and tend.yaml are the test's own) and an empty environment.
type testMain struct {
	*Main
	stdout, stderr bytes.Buffer
}

func newTestMain(t *testing.T, dir, stdin string) *testMain {
	t.Helper()
	tm := &testMain{}
	tm.Main = &Main{
		Stdin:     strings.NewReader(stdin),
		Stdout:    &tm.stdout,
		Stderr:    &tm.stderr,
		LookupEnv: func(string) (string, bool) { return "", false },
		Dir:       dir,
		Location:  time.UTC,
	}
	return tm
}

// mustRun runs tend with args (wtf's MustRunMain) and returns the exit
// status, failing the test on a panic or when it does not finish in time.
func (tm *testMain) run(t *testing.T, args ...string) (code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("tend %v panicked: %v", args, r)
				done <- -1
			}
		}()
		done <- runMain(ctx, tm.Main, args)
	}()
	select {
	case code = <-done:
		return code
	case <-ctx.Done():
		t.Fatalf("tend %v did not finish: %v\nstdout:\n%s\nstderr:\n%s", args, ctx.Err(), tm.stdout.String(), tm.stderr.String())
		return -1
	}
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

const setupScript = `/tend help
/tend group setup name:tuesday-support timezone:Europe/London capacity:12
/tend roster add user:sam
/tend roster add code:C-17
/tend roster list
/as sam
/tend roster add user:kim
/tend next
`

func TestMain_ConsoleEndToEnd(t *testing.T) {
	dir := t.TempDir()
	tm := newTestMain(t, dir, setupScript)
	if code := tm.run(t); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	out := tm.stdout.String()
	// help lists the commands.
	wantContains(t, "help", out, "/tend help", "/tend group setup", "/tend roster add", "/tend roster list", "/tend group facilitators")
	// The facilitator (the console's owner) sets up a group and a roster.
	wantContains(t, "setup", out, "This channel is now group tuesday-support", "Added @sam to the roster", "Added C-17 to the roster")
	// sam is a member: the facilitator command is refused, with the reason
	// and what to do.
	wantContains(t, "refusal", out, "(only sam sees this) Only facilitators of tuesday-support can use /tend roster add", "ask another facilitator or the bot's owner")
	if strings.Contains(out, "Added @kim") {
		t.Error("a member added someone to the roster")
	}
	if _, err := os.Stat(filepath.Join(dir, "tend.db")); err != nil {
		t.Fatalf("no tend.db in the working directory: %v", err)
	}
	// The log never holds what people typed or were told.
	for _, body := range []string{"roster add", "Added @sam", "Only facilitators"} {
		if strings.Contains(tm.stderr.String(), body) {
			t.Errorf("the log holds message content (%q):\n%s", body, tm.stderr.String())
		}
	}

	// A second run on the same database still has the group and roster.
	tm2 := newTestMain(t, dir, "/tend group show\n/tend roster list\n")
	if code := tm2.run(t, "run"); code != 0 {
		t.Fatalf("second run: exit %d\n%s\n%s", code, tm2.stdout.String(), tm2.stderr.String())
	}
	wantContains(t, "second run", tm2.stdout.String(), "Group tuesday-support", "Time zone: Europe/London", "Members: 2 of 12 active", "@sam", "C-17")
}

func TestMain_DefaultConfigFromWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	yaml := "storage: {path: data/groups.db}\nlog: {format: json, level: debug}\nowners: [\"console:alex\"]\ngroups:\n  - name: tuesday-support\n    platform: console\n    facilitators: [\"console:sam\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "tend.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	tm := newTestMain(t, dir, "/in tuesday-support\n/tend group show\n/as sam\n/tend roster add user:kim\n/as lee\n/tend roster list\n")
	if code := tm.run(t); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	out := tm.stdout.String()
	// The console's user is the configured console owner; the group came
	// from the file; its configured facilitator may add people; others may
	// not.
	wantContains(t, "run", out, "you are alex", "Group tuesday-support", "Added @kim to the roster", "(only lee sees this) Only facilitators of tuesday-support")
	if _, err := os.Stat(filepath.Join(dir, "data", "groups.db")); err != nil {
		t.Fatalf("storage.path not used: %v", err)
	}
	// log: {format: json} gives one JSON object per line on stderr.
	lines := strings.Split(strings.TrimSpace(tm.stderr.String()), "\n")
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["msg"] == nil {
			t.Errorf("not a JSON log record: %q (%v)", l, err)
		}
	}
	if len(lines) < 2 {
		t.Errorf("too few log records: %q", lines)
	}
}

func TestMain_CheckExample(t *testing.T) {
	tm := newTestMain(t, t.TempDir(), "")
	example, err := filepath.Abs("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if code := tm.run(t, "check", "--config", example); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	wantContains(t, "summary", tm.stdout.String(), "config.example.yaml: OK", "platforms: console", "groups:    2", "safety:    resources set",
		"tuesday-support on console:tuesday-support", "weekly tue 18:00, 1h30m each", "24h and 1h before, with RSVP buttons",
		"thursday-course on console:thursday-course", "cron 30 9 * * THU, 1h each, 8 sessions",
		"norms: template support, agreement required, newcomers arrive in tuesday-lobby",
		"norms: template psychoeducation, agreement required, posted at each session",
		`attendance: "I'm here" button; the series' voice channel (if any) for 10 min; late after 10m; facilitators told after 2 missed in a row`,
		"attendance: the series' voice channel (if any) for 10 min; late after 10m; facilitators told after 2 missed in a row")
	if tm.stderr.Len() != 0 {
		t.Errorf("check wrote to stderr: %s", tm.stderr.String())
	}
}

// TestMain_BrokenConfigs: every broken config exits 2 naming the file,
// line, column, field and a fix; none panics, and none opens the database.
func TestMain_BrokenConfigs(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown_key.yaml", []string{`unknown_key.yaml:3:3: storage.paht: unknown key "paht" — did you mean "path"?`}},
		{"wrong_type.yaml", []string{`wrong_type.yaml:4:15: groups[0].capacity: expected a whole number, got "twelve" — write a number such as 12`}},
		{"bad_zone.yaml", []string{`bad_zone.yaml:4:15: groups[0].timezone: unknown time zone "America/New_Yrok" — write an IANA name`}},
		{"bad_duration.yaml", []string{`bad_duration.yaml:6:17: groups[0].schedule.duration: "90 minutes" is not a duration — write a duration such as 90m`}},
		{"bad_cron.yaml", []string{`bad_cron.yaml:5:13: groups[0].schedule.cron: cron: "0 25 * * TUE" is not a valid cron expression`, `— write five fields, minute hour day-of-month month day-of-week`}},
		{"bad_weekday.yaml", []string{`bad_weekday.yaml:5:15: groups[0].schedule.weekly: weekly: "tus" is not a day of the week — write mon, tue, wed`}},
		{"cron_tz.yaml", []string{`cron_tz.yaml:5:13: groups[0].schedule.cron: `, `names its own time zone`, ` — `}},
		{"missing_env.yaml", []string{`missing_env.yaml:2:14: discord.token_env: environment variable TEND_TEST_DISCORD_TOKEN is not set — set it in the environment tend runs in (export TEND_TEST_DISCORD_TOKEN=…)`}},
		{"duplicate_group.yaml", []string{`duplicate_group.yaml:4:11: groups[1].name: group name "tuesday-support" is already used by groups[0] on line 2 — give each group its own name`}},
		{"unknown_platform.yaml", []string{`unknown_platform.yaml:3:15: groups[0].platform: "teams" is not one of discord, slack, console — write one of: discord, slack, console`}},
		{"inline_secret.yaml", []string{`inline_secret.yaml:3:3: slack.bot_token: unknown key "bot_token" — secrets never go in the config file: use bot_token_env`,
			`slack.app_token_env: environment variable SLACK_APP_TOKEN is not set`}},
		{"several.yaml", []string{"the config has 6 problems",
			`several.yaml:1:11: timezone: unknown time zone "Mars/Olympus_Mons"`, `several.yaml:3:10: log.level: "loud" is not one of debug, info, warn, error`,
			`several.yaml:4:10: owners[0]: "irc:bob" names unknown kind "irc"`, `several.yaml:6:11: groups[0].name: group name "Tuesday Support" may use only`,
			`several.yaml:8:11: groups[0].kind: "chat" is not one of support`, `several.yaml:11:14: groups[0].schedule.count: count: 0 gives no sessions — write the number of sessions`}},
		{"not_yaml.yaml", []string{`not_yaml.yaml:3:1: the file is not valid YAML`, `— check the indentation (spaces, not tabs)`}},
	}
	if len(tests) < 10 {
		t.Fatal("keep at least ten broken configs")
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			dir := t.TempDir()
			tm := newTestMain(t, dir, "/tend help\n")
			path := filepath.Join("testdata", tc.file)
			for _, args := range [][]string{{"check", "--config", path}, {"run", "--config", path}} {
				tm.stdout.Reset()
				tm.stderr.Reset()
				tm.Dir = ""
				if code := tm.run(t, args...); code != 2 {
					t.Errorf("tend %v: exit %d, want 2\n%s", args, code, tm.stderr.String())
				}
				wantContains(t, "stderr of tend "+args[0], tm.stderr.String(), tc.want...)
				if tm.stdout.Len() != 0 {
					t.Errorf("tend %v printed to stdout: %s", args, tm.stdout.String())
				}
				if strings.Contains(tm.stderr.String(), "xoxb-not-a-real-token") {
					t.Error("an inline secret was echoed")
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "tend.db")); !os.IsNotExist(err) {
				t.Errorf("a broken config created a database: %v", err)
			}
		})
	}
}

// TestMain_NewerSchemaRefused: a database written by a newer tend is
// refused with a clear message and left byte for byte as it was, whether it
// is in rollback-journal or WAL mode.
func TestMain_NewerSchemaRefused(t *testing.T) {
	for _, mode := range []string{"DELETE", "WAL"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "tend.db")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			future := store.SchemaVersion() + 7
			for _, q := range []string{"PRAGMA journal_mode = " + mode, "CREATE TABLE from_the_future (x INTEGER)", "INSERT INTO from_the_future VALUES (42)", fmt.Sprintf("PRAGMA user_version = %d", future)} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			before := fileSums(t, dir)

			tm := newTestMain(t, dir, "/tend help\n")
			if code := tm.run(t); code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, tm.stderr.String())
			}
			wantContains(t, "stderr", tm.stderr.String(), "tend: open the database:", fmt.Sprintf("schema version %d", future), fmt.Sprintf("knows up to %d", store.SchemaVersion()), "newer tend")
			if strings.Contains(tm.stdout.String(), "what you can do here") {
				t.Error("tend answered commands on a database it refused")
			}
			if after := fileSums(t, dir); after != before {
				t.Errorf("the refused database changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// fileSums describes every file in dir by name and content hash.
func fileSums(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%x ", e.Name(), sha256.Sum256(data))
	}
	return b.String()
}

func TestMain_Usage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string // on stdout, or on stderr when code != 0
	}{
		{[]string{"version"}, 0, "tend "},
		{[]string{"help"}, 0, "usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"run", "extra"}, 2, `unexpected "extra"`},
		{[]string{"check", "--colour"}, 2, "flag provided but not defined: -colour"},
		{[]string{"check", "--from", "next tuesday", "--count", "3"}, 2, "is not a date: write YYYY-MM-DD"},
		{[]string{"check", "--count", "0", "--from", "2027-01-01"}, 2, "give a number of sessions from 1 to 1000"},
		{[]string{"check", "--config", "testdata/nonexistent.yaml"}, 2, "cannot read the config file testdata/nonexistent.yaml"},
		{[]string{"check"}, 0, "built-in defaults (no tend.yaml here): OK"},
		{[]string{"check"}, 0, "resources are the built-in placeholder"},
	}
	for _, tc := range tests {
		tm := newTestMain(t, t.TempDir(), "")
		if tc.args[0] == "check" && len(tc.args) > 2 && tc.args[1] == "--config" {
			tm.Dir = ""
		}
		code := tm.run(t, tc.args...)
		got := tm.stdout.String()
		if tc.code != 0 {
			got = tm.stderr.String()
		}
		if code != tc.code || !strings.Contains(got, tc.out) {
			t.Errorf("tend %v: exit %d, want %d; output:\n%s\nwant %q", tc.args, code, tc.code, got, tc.out)
		}
	}
}

// TestBinary builds the real binary and runs it with console lines on
// standard input.
func TestBinary(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	bin := buildTend(t)
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "TZ=UTC"}
	cmd.Stdin = strings.NewReader(setupScript)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tend: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	wantContains(t, "stdout", stdout.String(), "This channel is now group tuesday-support", "Added @sam to the roster", "Only facilitators of tuesday-support")
	wantContains(t, "stderr", stderr.String(), "tend started", "tend stopped")
	if _, err := os.Stat(filepath.Join(dir, "tend.db")); err != nil {
		t.Errorf("no tend.db: %v", err)
	}

	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "tend ") {
		t.Errorf("tend version: %q, %v", out, err)
	}
}

// notifyWriter is a concurrency-safe output that wakes a waiter on each
// write.
type notifyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (w *notifyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor blocks until the output holds s, or ctx ends.
func (w *notifyWriter) waitFor(ctx context.Context, s string) error {
	for !strings.Contains(w.String(), s) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %q: %w", s, ctx.Err())
		case <-w.wrote:
		}
	}
	return nil
}

// TestMain_StopsOnSignal: a stop (SIGINT/SIGTERM cancel main's context)
// while the console waits for input shuts down cleanly with status 0.
func TestMain_StopsOnSignal(t *testing.T) {
	in, feed := io.Pipe()
	t.Cleanup(func() { feed.Close() }) // ends the console's blocked read
	stdout := &notifyWriter{wrote: make(chan struct{}, 1)}
	stderr := &notifyWriter{wrote: make(chan struct{}, 1)}
	m := &Main{Stdin: in, Stdout: stdout, Stderr: stderr, Dir: t.TempDir(), Location: time.UTC,
		LookupEnv: func(string) (string, bool) { return "", false }}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	sig, stop := context.WithCancel(ctx) // what signal.NotifyContext gives main
	done := make(chan int, 1)
	go func() { done <- runMain(sig, m, []string{"run"}) }()
	go func() { io.WriteString(feed, "/tend help\n") }()
	if err := stdout.waitFor(ctx, "what you can do here"); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after a stop\n%s", code, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("tend did not stop")
	}
	if !strings.Contains(stderr.String(), "tend stopped") {
		t.Errorf("no clean stop in the log:\n%s", stderr.String())
	}
}

// TestMain_CheckPreview: check --from --count prints the next sessions and
// reminders of each group with local and UTC times.
func TestMain_CheckPreview(t *testing.T) {
	tm := newTestMain(t, t.TempDir(), "")
	example, err := filepath.Abs("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if code := tm.run(t, "check", "--config", example, "--from", "2027-03-01", "--count", "3"); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	out := tm.stdout.String()
	wantContains(t, "preview", out, "config.example.yaml: OK", "tuesday-support", "thursday-course", "UTC")
	// America/New_York springs forward on 14 March 2027: the third Tuesday
	// session from 1 March (16 March) is an hour earlier in UTC than the first.
	wantContains(t, "preview", out, "Tue 2027-03-02 18:00 EST  = 2027-03-02 23:00 UTC", "Tue 2027-03-16 18:00 EDT  = 2027-03-16 22:00 UTC", "clocks change")
}
