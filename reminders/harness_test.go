package reminders

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store"
)

// env is one running tend over a database file: store, Sender, Bot, Runner
// and the reminders feature, with a recording platform that outlives
// restarts (it is what people saw). Tests run inside a synctest bubble, so
// time.Sleep moves the fake clock and months pass in milliseconds.
type env struct {
	t      *testing.T
	path   string
	plat   bot.Platform
	rec    *bottest.Platform
	db     *store.DB
	b      *bot.Bot
	r      *bot.Runner
	rm     *Reminders
	cancel context.CancelFunc
	done   chan struct{}
	group  bot.Group
	// hook, when set, runs before each delivery (the platform's
	// DeliverHook reads it, so a test can change it while tend runs).
	hook atomic.Pointer[func(bot.Outbound) error]
	// enqueueHook, when set, runs before each job the runner enqueues
	// (session events); an error is returned by the enqueue.
	enqueueHook atomic.Pointer[func(bot.Job) error]
	// events records the session events a probe subscriber saw, as
	// "phase/number".
	eventsMu sync.Mutex
	events   []string
	// extra, when set, registers more on each new Bot and Runner before
	// they run, as other features would.
	extra func(*bot.Bot, *bot.Runner) error
	// heartbeat, when set, makes each start take the database as tend run
	// does (store.OpenLocked, recording the run in the history of runs)
	// and beat at this interval until it stops.
	heartbeat time.Duration
	lock      *store.Lock
}

// hookedJobs is the runner's store, calling the env's enqueue hook.
type hookedJobs struct {
	*store.DB
	e *env
}

func (h hookedJobs) EnqueueJob(ctx context.Context, j bot.Job) (bool, error) {
	if f := h.e.enqueueHook.Load(); f != nil {
		if err := (*f)(j); err != nil {
			return false, err
		}
	}
	return h.DB.EnqueueJob(ctx, j)
}

func (e *env) setEnqueueHook(h func(bot.Job) error) {
	if h == nil {
		e.enqueueHook.Store(nil)
		return
	}
	e.enqueueHook.Store(&h)
}

// seen returns the session events the probe subscriber has seen.
func (e *env) seen() []string {
	e.eventsMu.Lock()
	defer e.eventsMu.Unlock()
	return slices.Clone(e.events)
}

func (e *env) setHook(h func(bot.Outbound) error) {
	if h == nil {
		e.hook.Store(nil)
		return
	}
	e.hook.Store(&h)
}

// testLookahead is how early the test runners start reminder jobs.
const testLookahead = 5 * time.Second

var testKey = []byte("0123456789abcdef0123456789abcdef")

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newEnv creates the database with one console group "tuesday" in zone
// and starts tend over it.
func newEnv(t *testing.T, rec *bottest.Platform, plat bot.Platform, zone string) *env {
	t.Helper()
	return newEnvWith(t, rec, plat, zone, nil)
}

// newEnvWith is newEnv with more registered on each start (see env.extra).
func newEnvWith(t *testing.T, rec *bottest.Platform, plat bot.Platform, zone string, extra func(*bot.Bot, *bot.Runner) error) *env {
	t.Helper()
	return newEnvFull(t, rec, plat, zone, extra, 0)
}

// newLockedEnv is newEnv where each start takes the database as tend run
// does, beating every heartbeat (see env.heartbeat).
func newLockedEnv(t *testing.T, rec *bottest.Platform, plat bot.Platform, zone string, heartbeat time.Duration) *env {
	t.Helper()
	return newEnvFull(t, rec, plat, zone, nil, heartbeat)
}

func newEnvFull(t *testing.T, rec *bottest.Platform, plat bot.Platform, zone string, extra func(*bot.Bot, *bot.Runner) error, heartbeat time.Duration) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "tend.db"), rec: rec, plat: plat, extra: extra, heartbeat: heartbeat}
	if rec != nil {
		rec.DeliverHook = func(out bot.Outbound) error {
			if h := e.hook.Load(); h != nil {
				return (*h)(out)
			}
			return nil
		}
	}
	e.start()
	g, err := e.db.CreateGroup(t.Context(), "console:fac", bot.Group{
		Name: "tuesday", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "tuesday"},
		Kind: bot.KindPsychoeducation, Admission: bot.AdmissionClosed, TimeZone: zone, Privacy: bot.PrivacyStandard,
		Facilitators: []bot.Principal{"console:fac"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.group = g
	for _, u := range []bot.UserID{"ann", "bob"} {
		if _, err := e.db.AddMember(t.Context(), "console:fac", bot.Member{GroupID: g.ID, User: u, Status: bot.MemberActive}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(e.stop)
	return e
}

// start opens the database and starts a new Bot, Sender and Runner over
// it, as a restarted process would.
func (e *env) start() {
	t := e.t
	var (
		db   *store.DB
		lock *store.Lock
		err  error
	)
	if e.heartbeat > 0 {
		db, lock, err = store.OpenLocked(t.Context(), e.path, store.LockOptions{Heartbeat: e.heartbeat, Stale: 3 * e.heartbeat, Logger: quiet()})
	} else {
		db, err = store.Open(t.Context(), e.path)
	}
	if err != nil {
		t.Fatal(err)
	}
	codec, err := bot.NewActionCodec(testKey)
	if err != nil {
		t.Fatal(err)
	}
	sender := bot.NewSender(db, codec, nil, quiet(), e.plat)
	// Every test runs with reminders started early, as cmd/tend runs
	// them, so that each shows they are still posted at their due time.
	r := bot.NewRunner(bot.RunnerConfig{Store: hookedJobs{DB: db, e: e}, Logger: quiet(), Lookahead: testLookahead})
	b, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: sender, Logger: quiet(), Runner: r})
	if err != nil {
		t.Fatal(err)
	}
	// A probe subscribes to every phase, as other features do, so that
	// events are published and tests can see them.
	if err := b.OnSession("probe", func(_ context.Context, ev *bot.SessionEvent) ([]bot.Outbound, error) {
		e.eventsMu.Lock()
		defer e.eventsMu.Unlock()
		e.events = append(e.events, fmt.Sprintf("%s/%d", ev.Phase, ev.Session.Number))
		return nil, nil
	}, bot.SessionPhases...); err != nil {
		t.Fatal(err)
	}
	if e.extra != nil {
		if err := e.extra(b, r); err != nil {
			t.Fatal(err)
		}
	}
	rm, err := New(db, bot.Deps{Sender: sender, Logger: quiet(), ConfigFile: "tend.yaml",
		ConfigLine: func(string) int { return 12 }}) // where tests declare config groups
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.Register(b, r); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		pdone := make(chan struct{})
		go func() { defer close(pdone); e.plat.Run(ctx, b) }()
		ldone := make(chan struct{})
		go func() {
			defer close(ldone)
			if lock != nil {
				if err := lock.Keep(ctx); err != nil {
					t.Errorf("keep the database: %v", err)
				}
			}
		}()
		if err := r.Run(ctx); err != nil {
			t.Errorf("runner: %v", err)
		}
		<-pdone
		<-ldone
	}()
	e.db, e.lock, e.b, e.r, e.rm, e.cancel, e.done = db, lock, b, r, rm, cancel, done
	synctest.Wait()
}

// stop stops the process and closes the database.
func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	<-e.done
	if e.lock != nil {
		if err := e.lock.Release(context.Background()); err != nil {
			e.t.Errorf("release the database: %v", err)
		}
	}
	if err := e.db.Close(); err != nil {
		e.t.Errorf("close db: %v", err)
	}
	e.cancel = nil
}

func (e *env) restart() {
	e.stop()
	e.start()
}

// sleepUntil moves the fake clock to t and lets every job due by then run.
func (e *env) sleepUntil(t time.Time) {
	e.t.Helper()
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
	synctest.Wait()
}

// cmd runs "/tend <text>" as user in the group's channel and returns the
// replies' text.
func (e *env) cmd(user bot.UserID, text string) string {
	e.t.Helper()
	return e.cmdIn(user, e.group.Address.Channel, text)
}

// cmdIn runs "/tend text" as user in channel.
func (e *env) cmdIn(user bot.UserID, channel bot.ChannelID, text string) string {
	e.t.Helper()
	words, args, err := bot.ParseCommandText(text)
	if err != nil {
		e.t.Fatalf("parse %q: %v", text, err)
	}
	outs := e.rec.Inject(e.t.Context(), &bot.Command{
		EventMeta: bot.EventMeta{Platform: bot.PlatformConsole, Channel: channel, User: bot.User{Platform: bot.PlatformConsole, ID: user}},
		Words:     words, Args: args,
	})
	synctest.Wait()
	return replyText(outs)
}

// press clicks button label on the message ref as user.
func (e *env) press(user bot.UserID, ref bot.MessageRef, label string) string {
	e.t.Helper()
	m, ok := e.rec.Content(ref)
	if !ok {
		e.t.Fatalf("no message %v", ref)
	}
	for _, b := range m.Buttons {
		if b.Label == label {
			outs := e.rec.Inject(e.t.Context(), &bot.ButtonPress{
				EventMeta: bot.EventMeta{Platform: bot.PlatformConsole, Channel: ref.Channel, User: bot.User{Platform: bot.PlatformConsole, ID: user}},
				ID:        b.ID, Message: ref,
			})
			synctest.Wait()
			return replyText(outs)
		}
	}
	e.t.Fatalf("message %v has no button %q: %+v", ref, label, m.Buttons)
	return ""
}

func replyText(outs []bot.Outbound) string { return bottest.Texts(outs) }

// render shows a message as plain text with its times in UTC.
func render(m bot.Message) string { return bottest.Text(m) }

// postsWithKey returns the visible posts made with key.
func (e *env) postsWithKey(key string) []bottest.Delivery {
	var out []bottest.Delivery
	for _, d := range e.rec.Posts() {
		if d.Out.Key == key {
			out = append(out, d)
		}
	}
	return out
}

// session returns the group's session number n of the current schedule.
func (e *env) session(n int) bot.Session {
	e.t.Helper()
	ss, err := e.db.RecentSessions(e.t.Context(), e.group.ID, time.Now().AddDate(5, 0, 0), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range ss {
		if s.Number == n && s.Status != bot.SessionCancelled {
			return s
		}
	}
	e.t.Fatalf("no session %d in %+v", n, ss)
	return bot.Session{}
}

// job returns a job by its key or, for a reminder, by its post's outbox
// key ("reminder/<session>/<lead>").
func (e *env) job(key string) bot.Job {
	e.t.Helper()
	for old, kind := range map[string]string{"reminder/": KindReminder, "start/": KindStart, "end/": KindEnd} {
		if strings.HasPrefix(key, old) {
			key = kind + "/" + strings.TrimPrefix(key, old)
		}
	}
	j, err := e.db.JobByKey(e.t.Context(), key)
	if err != nil {
		e.t.Fatalf("job %s: %v", key, err)
	}
	return j
}

// at reads "2000-01-04 18:00" as UTC.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
