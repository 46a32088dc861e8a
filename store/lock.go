package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tend-bot/tend/bot"
)

// One tend run per database.
//
// Until several replicas are designed (ARCHITECTURE.md, "Going past one
// machine"), only one `tend run` may use a database: two would each post
// every reminder. OpenLocked takes the database for this process with two
// locks that cover each other's gaps:
//
//   - An OS advisory lock (flock) on a sidecar file, <db>.lock, taken before
//     the database is even opened, so that a second tend never migrates or
//     touches a database in use. The kernel releases it when the process
//     dies, however it dies (kill -9, a power cut of the container), and it
//     holds across processes in different pid namespaces sharing the file.
//     It needs nothing to age out, so a restart after kill -9 takes over at
//     once. It cannot say who holds it, and on a platform or file system
//     without flock it does nothing.
//   - A holder row in the database (pid, host, started_at, heartbeat_at),
//     taken in one immediate transaction and refreshed every
//     HolderHeartbeat. It names the holder in the refusal, lets tend check
//     show who runs beside it, and on its own still decides when the OS lock
//     is unavailable: a holder whose pid is dead on this host, or whose
//     heartbeat is older than HolderStale, is gone and is taken over.
//
// Readers (tend check, and later report, audit and backup) never take
// either lock: ReadHolder opens the file read-only.

// Holder timings.
const (
	// HolderStale is how old a holder's heartbeat may grow before another
	// tend run treats it as gone and takes the database over.
	HolderStale = 30 * time.Second
	// HolderHeartbeat is how often the holder refreshes its heartbeat: six
	// beats fit in HolderStale, so a busy moment never looks like death.
	HolderHeartbeat = 5 * time.Second
)

// ErrHeld means another live tend run holds the database. *HeldError wraps
// it.
var ErrHeld = errors.New("database is held by another tend run")

// ErrLost means this process no longer holds the database: another tend
// took it over (this one's heartbeat had gone stale) or the holder row was
// removed. The process must stop using the database at once.
var ErrLost = errors.New("this tend no longer holds the database")

// Holder is the process that holds a database.
type Holder struct {
	PID         int
	Host        string
	StartedAt   time.Time
	HeartbeatAt time.Time
}

// HeldError says who holds the database that OpenLocked was refused.
type HeldError struct {
	Path string
	// Holder is zero when the holder is known only by its OS lock (it is
	// still starting, or its database cannot be read).
	Holder Holder
	// Now is when the refusal was decided, for "last heartbeat 3s ago".
	Now time.Time
}

// Error names the holder and what to do.
func (e *HeldError) Error() string {
	who := "another tend run (it is still starting, or its database cannot be read)"
	if h := e.Holder; h.PID != 0 {
		who = fmt.Sprintf("another tend run: pid %d on host %s, running since %s (last heartbeat %s ago)",
			h.PID, h.Host, h.StartedAt.UTC().Format("2006-01-02 15:04:05 MST"), ago(e.Now.Sub(h.HeartbeatAt)))
	}
	return fmt.Sprintf("%s is in use by %s. Only one tend run may use a database: stop that one first, "+
		"or give this one its own storage.path. tend check can run beside it. "+
		"A tend that was killed is taken over at the next start once its process is gone or %s after its last heartbeat",
		e.Path, who, HolderStale)
}

// Unwrap returns ErrHeld.
func (e *HeldError) Unwrap() error { return ErrHeld }

// ago prints a non-negative duration to the second.
func ago(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String()
}

// LockOptions configures OpenLocked. The zero value is right for tend run.
type LockOptions struct {
	// Clock stamps started_at and heartbeat_at and paces Keep (default the
	// system clock).
	Clock bot.Clock
	// PID and Host identify this process (default os.Getpid() and
	// os.Hostname()).
	PID  int
	Host string
	// Alive reports whether a process with pid runs on this host (default:
	// signal 0 on Unix; elsewhere every pid counts as alive and only the
	// heartbeat ages a holder out).
	Alive func(pid int) bool
	// Stale and Heartbeat default to HolderStale and HolderHeartbeat.
	Stale     time.Duration
	Heartbeat time.Duration
	Logger    *slog.Logger
}

func (o *LockOptions) defaults() {
	if o.Clock == nil {
		o.Clock = bot.SystemClock{}
	}
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
		if o.Host == "" {
			o.Host = "unknown"
		}
	}
	if o.Alive == nil {
		o.Alive = processAlive
	}
	if o.Stale <= 0 {
		o.Stale = HolderStale
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = HolderHeartbeat
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Lock is this process's hold on a database, from OpenLocked until
// Release.
type Lock struct {
	db    *DB
	path  string
	token string
	me    Holder
	opts  LockOptions
	file  *os.File // the flocked sidecar; nil where the OS has no flock
	run   int64    // this run's row in runs
	// Previous is the holder this process took over from, gone because its
	// process had died or its heartbeat was stale; nil when the database
	// was free.
	Previous *Holder

	mu       sync.Mutex
	released bool
}

// OpenLocked takes the database at path for this process and opens it (as
// Open does). A database held by another live tend run is refused at once
// with a *HeldError, without being opened for writing or migrated.
func OpenLocked(ctx context.Context, path string, opts LockOptions) (*DB, *Lock, error) {
	opts.defaults()
	if path == "" {
		return nil, nil, errors.New("store: give a database file path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("store: create directory for %s: %w", path, err)
		}
	}
	// A database from a newer tend is refused before anything is created
	// beside it; reading its header is safe while another process runs.
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		if err := checkNotNewer(ctx, path); err != nil {
			return nil, nil, err
		}
	}
	file, err := lockFile(path + ".lock")
	if errors.Is(err, errFileLocked) {
		held := &HeldError{Path: path, Now: opts.Clock.Now()}
		if h, ok, rerr := ReadHolder(ctx, path); rerr == nil && ok {
			held.Holder = h
		}
		return nil, nil, held
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		unlockFile(file)
		return nil, nil, err
	}
	l := &Lock{db: db, path: path, opts: opts, file: file}
	if err := l.acquire(ctx); err != nil {
		db.Close()
		unlockFile(file)
		return nil, nil, err
	}
	return db, l, nil
}

// Holder returns this process as it is recorded.
func (l *Lock) Holder() Holder { return l.me }

// acquire writes this process into the holder row, in one immediate
// transaction, unless a live holder is there.
func (l *Lock) acquire(ctx context.Context) error {
	var token [16]byte
	if _, err := rand.Read(token[:]); err != nil {
		return fmt.Errorf("store: lock %s: %w", l.path, err)
	}
	l.token = hex.EncodeToString(token[:])
	now := l.opts.Clock.Now()
	l.me = Holder{PID: l.opts.PID, Host: l.opts.Host, StartedAt: now.Truncate(time.Second), HeartbeatAt: now.Truncate(time.Second)}
	err := l.db.withTx(ctx, func(tx *sql.Tx) error {
		prev, ok, err := readHolder(ctx, tx)
		if err != nil {
			return err
		}
		if ok {
			if !l.gone(prev, now) {
				return &HeldError{Path: l.path, Holder: prev, Now: now}
			}
			l.Previous = &prev
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO holder (id, pid, host, started_at, heartbeat_at, token) VALUES (1, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, started_at = excluded.started_at,
				heartbeat_at = excluded.heartbeat_at, token = excluded.token`,
			l.me.PID, l.me.Host, unix(l.me.StartedAt), unix(l.me.HeartbeatAt), l.token)
		if err != nil {
			return err
		}
		// This run joins the history of runs (see RanBetween), which
		// keeps what a missed reminder could be judged against.
		if _, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE heartbeat_at < ?`, unix(now.Add(-runsKept))); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO runs (pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?)`,
			l.me.PID, l.me.Host, unix(l.me.StartedAt), unix(l.me.HeartbeatAt))
		if err != nil {
			return err
		}
		l.run, err = res.LastInsertId()
		return err
	})
	var held *HeldError
	if errors.As(err, &held) {
		return held
	}
	if err != nil {
		return fmt.Errorf("store: lock %s: %w", l.path, err)
	}
	return nil
}

// gone reports whether the recorded holder h no longer runs: its heartbeat
// is older than Stale, or it ran on this host and its process has died.
// With the OS lock held, a holder on this host with this very pid is an
// earlier incarnation (a restarted container is pid 1 again): a live
// process in this one would hold the OS lock. Without the OS lock that
// cannot be told from a second lock in this process, so it counts as alive
// until its heartbeat ages out.
func (l *Lock) gone(h Holder, now time.Time) bool {
	if now.Sub(h.HeartbeatAt) > l.opts.Stale {
		return true
	}
	if h.Host != l.opts.Host {
		return false // its pid means nothing here
	}
	if h.PID == l.opts.PID {
		return l.file != nil
	}
	return !l.opts.Alive(h.PID)
}

// Refresh records a heartbeat. It returns an error wrapping ErrLost when
// another process has taken the database over.
func (l *Lock) Refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return fmt.Errorf("store: refresh the hold on %s after release: %w", l.path, ErrLost)
	}
	now := l.opts.Clock.Now()
	res, err := l.db.sql.ExecContext(ctx, `UPDATE holder SET heartbeat_at = ? WHERE id = 1 AND token = ?`, unix(now), l.token)
	if err != nil {
		return fmt.Errorf("store: refresh the hold on %s: %w", l.path, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: refresh the hold on %s: %w", l.path, err)
	} else if n == 0 {
		return fmt.Errorf("store: %s was taken over by another tend run: %w", l.path, ErrLost)
	}
	if _, err := l.db.sql.ExecContext(ctx, `UPDATE runs SET heartbeat_at = ? WHERE id = ?`, unix(now), l.run); err != nil {
		return fmt.Errorf("store: refresh the hold on %s: %w", l.path, err)
	}
	l.me.HeartbeatAt = now.Truncate(time.Second)
	return nil
}

// Keep refreshes the heartbeat every Heartbeat until ctx is done, then
// returns nil. It returns an error when the database was taken over
// (ErrLost), or when no refresh has succeeded for half of Stale — before
// another tend could see this one as gone — so that the caller stops
// rather than run beside a successor.
func (l *Lock) Keep(ctx context.Context) error {
	lastOK := l.opts.Clock.Now()
	t := l.opts.Clock.NewTimer(l.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
		err := l.Refresh(ctx)
		now := l.opts.Clock.Now()
		switch {
		case err == nil:
			lastOK = now
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrLost):
			return err
		case now.Sub(lastOK) >= l.opts.Stale/2:
			return fmt.Errorf("store: no heartbeat recorded on %s for %s, stopping before another tend takes it over: %w", l.path, ago(now.Sub(lastOK)), err)
		default:
			l.opts.Logger.Warn("refreshing the database hold failed; retrying", bot.KeyErr, err)
		}
		t.Reset(l.opts.Heartbeat)
	}
}

// Release gives the database up: the holder row is removed (when it is
// still this process's) and the OS lock released. It is safe to call more
// than once. Call it before closing the database.
func (l *Lock) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}
	l.released = true
	// The run's last heartbeat becomes when it stopped.
	_, err := l.db.sql.ExecContext(ctx, `UPDATE runs SET heartbeat_at = ? WHERE id = ?`, unix(l.opts.Clock.Now()), l.run)
	if err == nil {
		_, err = l.db.sql.ExecContext(ctx, `DELETE FROM holder WHERE id = 1 AND token = ?`, l.token)
	}
	unlockFile(l.file)
	if err != nil {
		return fmt.Errorf("store: release the hold on %s: %w", l.path, err)
	}
	return nil
}

// runsKept is how long the history of runs is kept: far longer than any
// reminder's lead, which bounds the times RanBetween is asked about.
const runsKept = 90 * 24 * time.Hour

// RanBetween reports whether a tend run held the database at some moment
// of [from, to): one started before to whose last heartbeat (or clean stop)
// is not before from. A run that died is known to have run only until its
// last heartbeat, so a moment after it, within one heartbeat, counts as
// not running. Runs are recorded by OpenLocked; a database opened with Open
// alone records none.
func (db *DB) RanBetween(ctx context.Context, from, to time.Time) (bool, error) {
	var ran bool
	err := db.sql.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM runs WHERE started_at < ? AND heartbeat_at >= ?)`,
		unix(to), unix(from)).Scan(&ran)
	if err != nil {
		return false, fmt.Errorf("store: read the history of runs: %w", err)
	}
	return ran, nil
}

// readHolder reads the holder row inside tx.
func readHolder(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (Holder, bool, error) {
	var (
		h             Holder
		started, beat int64
	)
	err := q.QueryRowContext(ctx, `SELECT pid, host, started_at, heartbeat_at FROM holder WHERE id = 1`).Scan(&h.PID, &h.Host, &started, &beat)
	if errors.Is(err, sql.ErrNoRows) {
		return Holder{}, false, nil
	}
	if err != nil {
		return Holder{}, false, fmt.Errorf("read the holder: %w", err)
	}
	h.StartedAt, h.HeartbeatAt = fromUnix(started), fromUnix(beat)
	return h, true, nil
}

// ReadHolder reports who holds the database at path, without taking it,
// writing to it or creating it: it opens the file read-only. ok is false
// when the file does not exist, predates the holder table, or nobody holds
// it. A holder that has died without releasing (kill -9) is still reported;
// compare HeartbeatAt with HolderStale.
func ReadHolder(ctx context.Context, path string) (h Holder, ok bool, err error) {
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return Holder{}, false, nil
	}
	ro, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return Holder{}, false, fmt.Errorf("store: open %s to read: %w", path, err)
	}
	defer ro.Close()
	var n int
	if err := ro.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'holder'`).Scan(&n); err != nil {
		return Holder{}, false, fmt.Errorf("store: read %s (is it a tend database?): %w", path, err)
	}
	if n == 0 {
		return Holder{}, false, nil
	}
	h, ok, err = readHolder(ctx, ro)
	if err != nil {
		return Holder{}, false, fmt.Errorf("store: %s: %w", path, err)
	}
	return h, ok, nil
}
