package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// farPastConfig declares a series that starts in year 1 and fires every
// minute until 2999 (issue 9, point 21): tend check and tend run used to
// walk every session since year 1 and spin for minutes, deaf to SIGTERM.
const farPastConfig = `groups:
  - name: night-owls
    platform: console
    timezone: UTC
    schedule:
      cron: "* * * * *"
      duration: 1m
      starts: 0001-01-01
      until: 2999-12-31
    reminders: {lead: []}
`

// writeTendYAML writes src as dir/tend.yaml and returns its path.
func writeTendYAML(t *testing.T, dir, src string) string {
	t.Helper()
	path := filepath.Join(dir, "tend.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMain_FarPastSeries: tend check accepts and previews the series
// (each run is bounded by testMain.run's two minutes).
func TestMain_FarPastSeries(t *testing.T) {
	dir := t.TempDir()
	path := writeTendYAML(t, dir, farPastConfig)
	tm := newTestMain(t, dir, "")
	if code := tm.run(t, "check", "--config", path, "--from", "2027-03-01", "--count", "2"); code != 0 {
		t.Fatalf("check exited %d\n%s\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	// Minutes from 0001-01-01 00:00 to 2027-03-01 00:00, plus one (the
	// schedule package's tests hold the numbers across DST changes).
	n := (time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC).Unix()-time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix())/60 + 1
	wantContains(t, "check", tm.stdout.String(), "#"+itoa64(n)+" Mon 2027-03-01 00:00 UTC", "#"+itoa64(n+1)+" Mon 2027-03-01 00:01 UTC")
}

func itoa64(n int64) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa64(n/10) + string(rune('0'+n%10))
}

// TestMain_StopBeforeStartupFinishes: a stop that arrives while tend is
// still starting (here, before it has read its config) ends it promptly
// and cleanly, without serving.
func TestMain_StopBeforeStartupFinishes(t *testing.T) {
	dir := t.TempDir()
	path := writeTendYAML(t, dir, farPastConfig)
	in, feed := io.Pipe()
	t.Cleanup(func() { feed.Close() })
	tm := newTestMain(t, dir, "")
	tm.Stdin = in
	stopped, cancel := context.WithCancel(t.Context())
	cancel() // the signal came first
	done := make(chan int, 1)
	go func() { done <- runMain(stopped, tm.Main, []string{"run", "--config", path}) }()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after a stop during start-up\n%s", code, tm.stderr.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("tend did not stop within 2 minutes of a stop during start-up")
	}
	if out := tm.stderr.String(); !strings.Contains(out, "stopped before start-up finished") || strings.Contains(out, "tend started") {
		t.Fatalf("stderr:\n%s", out)
	}
}

// TestBinary_SignalsWithFarPastSeries runs the real binary on the series:
// it starts serving, and SIGTERM stops it with status 0; a SIGTERM sent as
// soon as it starts ends it too.
func TestBinary_SignalsWithFarPastSeries(t *testing.T) {
	bin := buildTend(t)
	start := func(t *testing.T) (*exec.Cmd, *notifyWriter, chan error) {
		dir := t.TempDir()
		path := writeTendYAML(t, dir, farPastConfig)
		cmd := exec.Command(bin, "run", "--config", path)
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + dir, "TZ=UTC"}
		stdin, err := cmd.StdinPipe() // held open: the console waits for input
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close() })
		out := &notifyWriter{wrote: make(chan struct{}, 1)}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() {
			select {
			case <-exited:
			default:
				_ = cmd.Process.Kill()
				<-exited
			}
		})
		return cmd, out, exited
	}
	wait := func(t *testing.T, exited chan error, out *notifyWriter) error {
		t.Helper()
		select {
		case err := <-exited:
			exited <- err // for the cleanup, which waits for the exit too
			return err
		case <-time.After(30 * time.Second):
			t.Fatalf("tend did not stop within 30 s of SIGTERM\n%s", out.String())
			return nil
		}
	}
	t.Run("WhileServing", func(t *testing.T) {
		cmd, out, exited := start(t)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if err := out.waitFor(ctx, "tend started"); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := wait(t, exited, out); err != nil {
			t.Fatalf("exit %v after SIGTERM\n%s", err, out.String())
		}
		wantContains(t, "output", out.String(), "tend stopped")
	})
	t.Run("AtOnce", func(t *testing.T) {
		cmd, out, exited := start(t)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// Before main installs its handler the signal kills the process;
		// after, tend stops cleanly. Either way it ends promptly.
		err := wait(t, exited, out)
		if err == nil && !strings.Contains(out.String(), "stopped") {
			t.Fatalf("exit 0 without saying it stopped:\n%s", out.String())
		}
	})
}

// TestMain_CheckFromIsALocalDate: --from names a date in each group's own
// zone (issue 9, point 23). Read as midnight UTC, it began Auckland's
// preview at 13:00 on 1 March (after the 09:00 session) and Los Angeles's
// at 16:00 on 28 February (before that day's 20:00 session).
func TestMain_CheckFromIsALocalDate(t *testing.T) {
	dir := t.TempDir()
	path := writeTendYAML(t, dir, `groups:
  - name: auckland
    platform: console
    timezone: Pacific/Auckland
    schedule: {cron: "0 9 * * *", duration: 1h, starts: 2027-01-01}
    reminders: {lead: []}
  - name: los-angeles
    platform: console
    timezone: America/Los_Angeles
    schedule: {cron: "0 20 * * *", duration: 1h, starts: 2027-01-01}
    reminders: {lead: []}
`)
	tm := newTestMain(t, dir, "")
	if code := tm.run(t, "check", "--config", path, "--from", "2027-03-01", "--count", "1"); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	wantContains(t, "preview", tm.stdout.String(),
		"#60  Mon 2027-03-01 09:00 NZDT  = 2027-02-28 20:00 UTC",
		"#60  Mon 2027-03-01 20:00 PST  = 2027-03-02 04:00 UTC")
}
