package store

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot/bottest"
)

// lockOpts is this test process as tend run would describe it, on a fake
// clock.
func lockOpts(clock *bottest.Clock) LockOptions {
	return LockOptions{Clock: clock, PID: 4242, Host: "here", Alive: func(int) bool { return true },
		Logger: slog.New(slog.DiscardHandler)}
}

func openLocked(t *testing.T, path string, opts LockOptions) (*DB, *Lock) {
	t.Helper()
	db, l, err := OpenLocked(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("OpenLocked: %v", err)
	}
	t.Cleanup(func() {
		l.Release(context.Background())
		db.Close()
	})
	return db, l
}

// writeHolder records h as the holder, as a process that was killed
// without releasing would leave it.
func writeHolder(t *testing.T, path string, h Holder) {
	t.Helper()
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.sql.ExecContext(t.Context(), `INSERT INTO holder (id, pid, host, started_at, heartbeat_at, token) VALUES (1, ?, ?, ?, ?, 'earlier')`,
		h.PID, h.Host, unix(h.StartedAt), unix(h.HeartbeatAt))
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenLocked_SecondRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tend.db")
	clock := bottest.NewClock(t0)
	_, first := openLocked(t, path, lockOpts(clock))
	clock.Advance(3 * time.Second)

	// A second tend run, another process on the same host. The OS lock
	// refuses it before it opens the database for writing.
	second := lockOpts(clock)
	second.PID = 5353
	db, l, err := OpenLocked(t.Context(), path, second)
	if err == nil {
		l.Release(t.Context())
		db.Close()
		t.Fatal("a second OpenLocked on a held database succeeded")
	}
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrHeld) {
		t.Fatalf("err = %v (%T), want a *HeldError wrapping ErrHeld", err, err)
	}
	if held.Holder.PID != 4242 || held.Holder.Host != "here" || !held.Holder.StartedAt.Equal(t0) {
		t.Errorf("holder = %+v, want pid 4242 on here since %v", held.Holder, t0)
	}
	for _, want := range []string{path, "pid 4242 on host here", "since 2026-12-01 17:00:00 UTC", "last heartbeat 3s ago", "stop that one first", "tend check can run beside it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, err)
		}
	}
	// The first still holds it.
	if err := first.Refresh(t.Context()); err != nil {
		t.Errorf("the first holder lost the database to a refused second: %v", err)
	}

	// The same refusal in the same process: flock belongs to the open
	// file, not the process.
	if _, _, err := OpenLocked(t.Context(), path, lockOpts(clock)); !errors.Is(err, ErrHeld) {
		t.Errorf("second OpenLocked in the same process: %v, want ErrHeld", err)
	}
}

// TestOpenLocked_RowDecides: with the OS lock free (the holder's process
// ended, or it ran on another host), the holder row decides: a holder whose
// pid is dead here or whose heartbeat is over 30 s old is gone and taken
// over; any other is refused.
func TestOpenLocked_RowDecides(t *testing.T) {
	tests := []struct {
		name     string
		holder   Holder
		alive    bool
		takeOver bool
	}{
		{"DeadPIDHere", Holder{PID: 77, Host: "here", HeartbeatAt: t0.Add(-2 * time.Second)}, false, true},
		{"StaleHeartbeatElsewhere", Holder{PID: 77, Host: "there", HeartbeatAt: t0.Add(-31 * time.Second)}, true, true},
		{"StaleHeartbeatLivePIDHere", Holder{PID: 77, Host: "here", HeartbeatAt: t0.Add(-31 * time.Second)}, true, true},
		{"OwnPIDHereEarlierIncarnation", Holder{PID: 4242, Host: "here", HeartbeatAt: t0.Add(-2 * time.Second)}, true, true},
		{"FreshElsewhere", Holder{PID: 77, Host: "there", HeartbeatAt: t0.Add(-10 * time.Second)}, false, false},
		{"FreshLivePIDHere", Holder{PID: 77, Host: "here", HeartbeatAt: t0.Add(-2 * time.Second)}, true, false},
		{"ExactlyStaleIsNotYet", Holder{PID: 77, Host: "there", HeartbeatAt: t0.Add(-30 * time.Second)}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tend.db")
			tc.holder.StartedAt = t0.Add(-time.Hour)
			writeHolder(t, path, tc.holder)
			opts := lockOpts(bottest.NewClock(t0))
			var asked []int
			opts.Alive = func(pid int) bool { asked = append(asked, pid); return tc.alive }
			db, l, err := OpenLocked(t.Context(), path, opts)
			if !tc.takeOver {
				if err == nil {
					l.Release(t.Context())
					db.Close()
					t.Fatalf("took over from %+v", tc.holder)
				}
				var held *HeldError
				if !errors.As(err, &held) || held.Holder.PID != tc.holder.PID || held.Holder.Host != tc.holder.Host {
					t.Fatalf("err = %v, want a HeldError naming pid %d on %s", err, tc.holder.PID, tc.holder.Host)
				}
				h, ok, err := ReadHolder(t.Context(), path)
				if err != nil || !ok || h.PID != tc.holder.PID {
					t.Errorf("the refused OpenLocked changed the holder: %+v %v %v", h, ok, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenLocked over a gone holder %+v: %v", tc.holder, err)
			}
			defer db.Close()
			defer l.Release(t.Context())
			if l.Previous == nil || l.Previous.PID != tc.holder.PID || l.Previous.Host != tc.holder.Host {
				t.Errorf("Previous = %+v, want %+v", l.Previous, tc.holder)
			}
			h, ok, err := ReadHolder(t.Context(), path)
			if err != nil || !ok || h.PID != 4242 || h.Host != "here" || !h.StartedAt.Equal(t0) || !h.HeartbeatAt.Equal(t0) {
				t.Errorf("holder after take-over = %+v, %v, %v; want pid 4242 on here at %v", h, ok, err, t0)
			}
			if tc.holder.Host != "here" && len(asked) > 0 {
				t.Errorf("asked whether pid %v lives here for a holder on another host", asked)
			}
		})
	}
}

// TestOpenLocked_DeadProcess: the default liveness check finds a process
// that has exited.
func TestOpenLocked_DeadProcess(t *testing.T) {
	if !processAlive(os.Getpid()) {
		t.Fatal("this process counts as dead")
	}
	// A process that has exited and been waited for.
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "exit 0"}, &os.ProcAttr{})
	if err != nil {
		t.Skipf("cannot start /bin/sh here: %v", err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if processAlive(p.Pid) {
		t.Skip("the exited pid was reused already")
	}
	path := filepath.Join(t.TempDir(), "tend.db")
	writeHolder(t, path, Holder{PID: p.Pid, Host: "here", StartedAt: t0, HeartbeatAt: t0})
	opts := lockOpts(bottest.NewClock(t0))
	opts.Alive = nil // the real check
	_, l := openLocked(t, path, opts)
	if l.Previous == nil || l.Previous.PID != p.Pid {
		t.Errorf("Previous = %+v, want pid %d", l.Previous, p.Pid)
	}
}

func TestLock_ReleaseFreesIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tend.db")
	clock := bottest.NewClock(t0)
	db, l, err := OpenLocked(t.Context(), path, lockOpts(clock))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(t.Context()); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if _, ok, err := ReadHolder(t.Context(), path); ok || err != nil {
		t.Errorf("holder after Release: %v, %v", ok, err)
	}
	db.Close()
	if err := l.Refresh(t.Context()); !errors.Is(err, ErrLost) {
		t.Errorf("Refresh after Release: %v, want ErrLost", err)
	}
	// Another process, alive and fresh by every test, may take it now.
	other := lockOpts(clock)
	other.PID = 5353
	_, l2 := openLocked(t, path, other)
	if l2.Previous != nil {
		t.Errorf("Previous = %+v after a clean release, want nil", l2.Previous)
	}
	fi, err := os.Stat(path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestLock_Keep: Keep refreshes the heartbeat on the clock, and stops with
// ErrLost once another process has taken the database over.
func TestLock_Keep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tend.db")
	clock := bottest.NewClock(t0)
	db, l := openLocked(t, path, lockOpts(clock))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- l.Keep(ctx) }()

	for i := 1; i <= 3; i++ {
		if err := clock.WaitTimers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(HolderHeartbeat)
		// Keep re-arms its timer once the refresh is recorded.
		if err := clock.WaitTimers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		h, ok, err := ReadHolder(ctx, path)
		if err != nil || !ok {
			t.Fatalf("ReadHolder: %v %v", ok, err)
		}
		if want := t0.Add(time.Duration(i) * HolderHeartbeat); !h.HeartbeatAt.Equal(want) || !h.StartedAt.Equal(t0) {
			t.Errorf("beat %d: heartbeat %v started %v, want %v and %v", i, h.HeartbeatAt, h.StartedAt, want, t0)
		}
	}

	// Another process took over (this one looked stale to it).
	if _, err := db.sql.ExecContext(ctx, `UPDATE holder SET token = 'successor', pid = 9999`); err != nil {
		t.Fatal(err)
	}
	clock.Advance(HolderHeartbeat)
	select {
	case err := <-done:
		if !errors.Is(err, ErrLost) {
			t.Errorf("Keep = %v, want ErrLost", err)
		}
	case <-ctx.Done():
		t.Fatal("Keep did not stop after losing the database")
	}
	if h, _, _ := ReadHolder(t.Context(), path); h.PID != 9999 {
		t.Errorf("the loser overwrote its successor: %+v", h)
	}
	if err := l.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	if h, ok, _ := ReadHolder(t.Context(), path); !ok || h.PID != 9999 {
		t.Errorf("the loser's Release removed its successor's row: %+v %v", h, ok)
	}
}

// TestLock_KeepStopsWhenItCannotBeat: when refreshes keep failing, Keep
// stops before the heartbeat could look stale to another tend.
func TestLock_KeepStopsWhenItCannotBeat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tend.db")
	clock := bottest.NewClock(t0)
	db, l := openLocked(t, path, lockOpts(clock))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- l.Keep(ctx) }()
	if err := clock.WaitTimers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	db.Close() // every refresh fails from now on
	// After each failed beat Keep either re-arms its timer or stops.
	var stopped error
	for beats := 0; stopped == nil; beats++ {
		if beats > 10 {
			t.Fatal("Keep went on for 10 failed beats")
		}
		clock.Advance(HolderHeartbeat)
		wctx, stopWaiting := context.WithCancel(ctx)
		armed := make(chan error, 1)
		go func() { armed <- clock.WaitTimers(wctx, 1) }()
		select {
		case stopped = <-done:
			stopWaiting()
			<-armed
		case err := <-armed:
			stopWaiting()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if errors.Is(stopped, ErrLost) || !strings.Contains(stopped.Error(), "no heartbeat recorded") {
		t.Errorf("Keep = %v, want the no-heartbeat stop", stopped)
	}
	if since := clock.Now().Sub(t0); since >= HolderStale {
		t.Errorf("Keep stopped %v after the last beat, not before %v", since, HolderStale)
	}
}

func TestReadHolder_NeverCreatesOrTakes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tend.db")
	if _, ok, err := ReadHolder(t.Context(), path); ok || err != nil {
		t.Errorf("ReadHolder on no file: %v %v", ok, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("ReadHolder created the database: %v", err)
	}
	clock := bottest.NewClock(t0)
	_, l := openLocked(t, path, lockOpts(clock))
	for i := range 3 {
		h, ok, err := ReadHolder(t.Context(), path)
		if err != nil || !ok || h != l.Holder() {
			t.Fatalf("read %d: %+v %v %v, want %+v", i, h, ok, err, l.Holder())
		}
	}
	if err := l.Refresh(t.Context()); err != nil {
		t.Errorf("the holder lost the database to a reader: %v", err)
	}
	if got := strconv.Itoa(l.Holder().PID); got != "4242" {
		t.Errorf("Holder().PID = %s", got)
	}
}

// TestRanBetween: each tend run that takes the database joins the history
// of runs, from its start to its last heartbeat (or clean stop); a window
// is judged against every run, not only the latest, and a run that died
// counts only until its last heartbeat.
func TestRanBetween(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tend.db")
	clock := bottest.NewClock(t0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	// Run 1 starts at t0, beats at 10m and is killed: the OS lock goes
	// with the process, the holder row and its run row stay.
	db1, l1, err := OpenLocked(ctx, path, lockOpts(clock))
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(at(10 * time.Minute))
	if err := l1.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	unlockFile(l1.file)
	db1.Close()

	// Run 2 starts at 1h (taking over: run 1's heartbeat is stale) and
	// stops cleanly at 2h.
	clock.Set(at(time.Hour))
	db2, l2, err := OpenLocked(ctx, path, lockOpts(clock))
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(at(2 * time.Hour))
	if err := l2.Release(ctx); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		from, to time.Duration
		want     bool
	}{
		{-time.Hour, -time.Minute, false},                 // before any run
		{5 * time.Minute, 6 * time.Minute, true},          // during run 1
		{10 * time.Minute, 20 * time.Minute, true},        // at run 1's last heartbeat
		{11 * time.Minute, 59 * time.Minute, false},       // after run 1 died, before run 2
		{30 * time.Minute, 61 * time.Minute, true},        // until run 2 had started
		{30 * time.Minute, time.Hour, false},              // to (exclusive) is run 2's start
		{90 * time.Minute, 100 * time.Minute, true},       // during run 2
		{2*time.Hour + time.Second, 3 * time.Hour, false}, // after run 2 stopped
	}
	for _, c := range cases {
		got, err := db2.RanBetween(ctx, at(c.from), at(c.to))
		if err != nil || got != c.want {
			t.Errorf("RanBetween(%v, %v) = %v, %v; want %v", c.from, c.to, got, err, c.want)
		}
	}
	db2.Close()

	// A run 100 days later prunes runs older than 90 days.
	clock.Set(at(100 * 24 * time.Hour))
	db3, _ := openLocked(t, path, lockOpts(clock))
	if got, err := db3.RanBetween(ctx, at(5*time.Minute), at(6*time.Minute)); err != nil || got {
		t.Errorf("a run 100 days ago is still kept: %v, %v", got, err)
	}
	if got, err := db3.RanBetween(ctx, at(100*24*time.Hour), at(100*24*time.Hour+time.Minute)); err != nil || !got {
		t.Errorf("the running tend is not recorded: %v, %v", got, err)
	}
}
