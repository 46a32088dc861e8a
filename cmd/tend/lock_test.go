package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/store"
)

// startHolding runs `tend run` in dir with the console reading a pipe that
// stays open, and returns once it serves; stop ends its input and waits for
// exit 0.
func startHolding(t *testing.T, ctx context.Context, dir string) (stdout, stderr *notifyWriter, stop func()) {
	t.Helper()
	in, feed := io.Pipe()
	stdout = &notifyWriter{wrote: make(chan struct{}, 1)}
	stderr = &notifyWriter{wrote: make(chan struct{}, 1)}
	m := &Main{Stdin: in, Stdout: stdout, Stderr: stderr, Dir: dir, Location: time.UTC,
		LookupEnv: func(string) (string, bool) { return "", false }}
	done := make(chan int, 1)
	go func() { done <- runMain(ctx, m, []string{"run"}) }()
	go func() { io.WriteString(feed, "/tend help\n") }()
	if err := stdout.waitFor(ctx, "what you can do here"); err != nil {
		feed.Close()
		t.Fatalf("the first tend did not start: %v\n%s", err, stderr.String())
	}
	var stopped bool
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		feed.Close()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("the first tend exited %d\n%s", code, stderr.String())
			}
		case <-ctx.Done():
			t.Fatal("the first tend did not stop")
		}
	}
	t.Cleanup(stop)
	return stdout, stderr, stop
}

// TestMain_OneRunPerDatabase: while one tend run holds the database, a
// second exits 1 at once naming it (pid, host, since) and answers nothing;
// tend check reads beside it and leaves it held; after a clean stop the
// database is free.
func TestMain_OneRunPerDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	_, firstErr, stopFirst := startHolding(t, ctx, dir)
	host, _ := os.Hostname()

	second := newTestMain(t, dir, "/tend help\n")
	if code := second.run(t, "run"); code != 1 {
		t.Fatalf("second tend run: exit %d, want 1\n%s", code, second.stderr.String())
	}
	msg := second.stderr.String()
	wantContains(t, "the second's refusal", msg, "tend: "+filepath.Join(dir, "tend.db")+" is in use by another tend run",
		fmt.Sprintf("pid %d on host %s", os.Getpid(), host), "running since "+time.Now().UTC().Format("2006-01-02"),
		"stop that one first", "tend check can run beside it")
	if strings.Count(strings.TrimSpace(msg), "\n") != 0 {
		t.Errorf("the refusal is not one line:\n%s", msg)
	}
	if second.stdout.Len() != 0 {
		t.Errorf("the refused tend printed:\n%s", second.stdout.String())
	}

	check := newTestMain(t, dir, "")
	if code := check.run(t, "check"); code != 0 {
		t.Fatalf("tend check beside a running tend: exit %d\n%s", code, check.stderr.String())
	}
	wantContains(t, "check", check.stdout.String(), fmt.Sprintf("running:   tend run pid %d on host %s, since ", os.Getpid(), host))
	h, ok, err := store.ReadHolder(ctx, filepath.Join(dir, "tend.db"))
	if err != nil || !ok || h.PID != os.Getpid() {
		t.Fatalf("after check the holder is %+v %v %v", h, ok, err)
	}

	stopFirst()
	if strings.Contains(firstErr.String(), "took the database over") {
		t.Errorf("the first tend reports a take-over:\n%s", firstErr.String())
	}
	if _, ok, err := store.ReadHolder(ctx, filepath.Join(dir, "tend.db")); ok || err != nil {
		t.Errorf("a clean stop left the holder: %v %v", ok, err)
	}
	after := newTestMain(t, dir, "")
	if code := after.run(t, "check"); code != 0 {
		t.Fatal(after.stderr.String())
	}
	wantContains(t, "check after stop", after.stdout.String(), "running:   no tend run holds the database")
}

// TestMain_TakesOverGoneHolder: a holder left by a process that died (its
// pid is gone) or went silent (its heartbeat is over 30 s old) is taken
// over at start, and the log says from whom.
func TestMain_TakesOverGoneHolder(t *testing.T) {
	// A pid that has exited.
	p := exec.Command("/bin/sh", "-c", "exit 0")
	if err := p.Run(); err != nil {
		t.Skipf("cannot run /bin/sh: %v", err)
	}
	host, _ := os.Hostname()
	tests := []struct {
		name      string
		pid       int
		host      string
		heartbeat time.Time
	}{
		{"DeadPID", p.Process.Pid, host, time.Now().Add(-2 * time.Second)},
		{"OldHeartbeat", os.Getppid(), "another-host", time.Now().Add(-31 * time.Second)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "tend.db")
			db, err := store.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = raw.Exec(`INSERT INTO holder (id, pid, host, started_at, heartbeat_at, token) VALUES (1, ?, ?, ?, ?, 'killed')`,
				tc.pid, tc.host, time.Now().Add(-time.Hour).Unix(), tc.heartbeat.Unix())
			raw.Close()
			if err != nil {
				t.Fatal(err)
			}
			tm := newTestMain(t, dir, "/tend help\n")
			if code := tm.run(t, "run"); code != 0 {
				t.Fatalf("exit %d over a gone holder\n%s", code, tm.stderr.String())
			}
			wantContains(t, "log", tm.stderr.String(), "took the database over from a tend run that is gone", fmt.Sprintf("pid=%d", tc.pid), "host="+tc.host)
			wantContains(t, "stdout", tm.stdout.String(), "what you can do here")
		})
	}
}

// TestBinary_KilledHolderTakenOver: the real binary. A second tend run is
// refused while the first runs; after kill -9 of the first (no shutdown
// code runs, the holder row stays) the next start takes over at once.
func TestBinary_KilledHolderTakenOver(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	bin := buildTend(t)
	dir := t.TempDir()
	start := func(stdin io.Reader) (*exec.Cmd, *notifyWriter) {
		cmd := exec.CommandContext(ctx, bin, "run")
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + dir, "TZ=UTC"}
		cmd.Stdin = stdin
		stderr := &notifyWriter{wrote: make(chan struct{}, 1)}
		cmd.Stdout, cmd.Stderr = io.Discard, stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, stderr
	}

	// An OS pipe that stays open: the console waits on it, and kill -9
	// needs no reader to give up.
	in, feed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	first, firstErr := start(in)
	in.Close()
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	if err := firstErr.waitFor(ctx, "tend started"); err != nil {
		t.Fatalf("%v\n%s", err, firstErr.String())
	}

	second, secondErr := start(strings.NewReader("/tend help\n"))
	err = second.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("second tend run: %v, want exit 1\n%s", err, secondErr.String())
	}
	wantContains(t, "second", secondErr.String(), fmt.Sprintf("is in use by another tend run: pid %d on host ", first.Process.Pid))
	if strings.Contains(secondErr.String(), "tend started") {
		t.Errorf("the second tend started:\n%s", secondErr.String())
	}

	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-ctx.Done():
		t.Fatal("the first tend did not die")
	}
	if h, ok, err := store.ReadHolder(ctx, filepath.Join(dir, "tend.db")); err != nil || !ok || h.PID != first.Process.Pid {
		t.Fatalf("kill -9 should leave the holder row: %+v %v %v", h, ok, err)
	}

	third, thirdErr := start(strings.NewReader("/tend help\n"))
	if err := third.Wait(); err != nil {
		t.Fatalf("the tend after kill -9: %v\n%s", err, thirdErr.String())
	}
	wantContains(t, "third", thirdErr.String(), "took the database over from a tend run that is gone", fmt.Sprintf("pid=%d", first.Process.Pid), "tend started", "tend stopped")
}
