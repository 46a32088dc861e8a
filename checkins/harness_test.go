package checkins_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	"github.com/tend-bot/tend/checkins"
	"github.com/tend-bot/tend/reminders"
	"github.com/tend-bot/tend/store"
)

// leakScan collects, across the whole test binary, every log line (at
// debug level) and every message tend sent to a shared channel, and every
// text a member typed; TestMain fails the run when any typed text shows
// up in either. Test-only state: the suite is one scan.
type leakScan struct {
	mu      sync.Mutex
	logs    strings.Builder
	shared  []string
	secrets []string
}

var scan = &leakScan{}

// TestLeakScan_Finds: the scan itself catches a planted leak, in a log
// line and in a shared channel, whatever the case.
func TestLeakScan_Finds(t *testing.T) {
	s := &leakScan{}
	s.secret("I Want To Disappear")
	if got := s.check(); len(got) != 0 {
		t.Fatalf("nothing leaked yet, scan found %v", got)
	}
	slog.New(slog.NewTextHandler(s, nil)).Info("oops", "text", "i want to disappear")
	s.sharedPost("Check-in\nsomeone said I WANT TO DISAPPEAR")
	if got := s.check(); len(got) != 2 {
		t.Fatalf("scan found %v; want the log line and the shared post", got)
	}
	// A log line naming a member, as the check of a DM's or an answer's
	// handling looks for it.
	if got := namesUser("level=DEBUG msg=event user=ann channel=dm-ann\nlevel=INFO msg=\"safety signal\" group=annex", "ann"); len(got) != 1 {
		t.Errorf("namesUser found %q; want the line with user=ann only", got)
	}
}

func (s *leakScan) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.Write(p)
}

// mark returns where the log is now, for since.
func (s *leakScan) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.Len()
}

// since returns what was logged after mark m.
func (s *leakScan) since(m int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()[m:]
}

// namesUser returns the log lines in logs that name user as a value
// ("user=ann").
func namesUser(logs string, user bot.UserID) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l+" ", "="+string(user)+" ") {
			out = append(out, l)
		}
	}
	return out
}

// handledPrivately runs handle, a member's DM or check-in answer, and
// fails when the log lines it wrote name the member: a reader of the log
// must not tie a person to a DM, an answer or a safety signal.
func (e *env) handledPrivately(user bot.UserID, handle func() []bot.Outbound) []bot.Outbound {
	e.t.Helper()
	m := scan.mark()
	outs := handle()
	if lines := namesUser(scan.since(m), user); len(lines) > 0 {
		e.t.Errorf("handling %s's DM or answer logged their id:\n%s", user, strings.Join(lines, "\n"))
	}
	return outs
}

func (s *leakScan) secret(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = append(s.secrets, text)
}

func (s *leakScan) sharedPost(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shared = append(s.shared, text)
}

// check returns what leaked: each typed text found in the logs or in a
// shared channel.
func (s *leakScan) check() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	logs := strings.ToLower(s.logs.String())
	var out []string
	for _, sec := range s.secrets {
		low := strings.ToLower(sec)
		if strings.Contains(logs, low) {
			out = append(out, fmt.Sprintf("a log line holds %q", sec))
		}
		for _, p := range s.shared {
			if strings.Contains(strings.ToLower(p), low) {
				out = append(out, fmt.Sprintf("a message in a shared channel holds %q", sec))
			}
		}
	}
	return out
}

// TestMain runs the check-in suite with every logger at debug level and
// then scans: no answer text, DM text or alert text may reach a log line
// or a message in a shared channel.
func TestMain(m *testing.M) {
	code := m.Run()
	leaks := scan.check()
	for _, l := range leaks {
		fmt.Fprintln(os.Stderr, "LEAK:", l)
	}
	scan.mu.Lock()
	lines, secrets, shared := strings.Count(scan.logs.String(), "\n"), len(scan.secrets), len(scan.shared)
	scan.mu.Unlock()
	if code == 0 && len(leaks) > 0 {
		code = 1
	}
	if code == 0 && secrets > 0 && lines == 0 {
		fmt.Fprintln(os.Stderr, "the leak scan saw member texts but no log line: the loggers are not wired to it, so it proves nothing")
		code = 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "leak scan: %d log lines, %d shared-channel messages, %d member texts: %d leaks\n", lines, shared, secrets, len(leaks))
	}
	os.Exit(code)
}

func debugLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(scan, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var testKey = []byte("0123456789abcdef0123456789abcdef")

// resources are the operator's crisis resources in the tests.
const resources = "Call 999, or text SHOUT to 85258 (free, 24/7)."

// hookedStore is the feature's store with failures that tests inject.
type hookedStore struct {
	*store.DB
	recordSignal atomic.Pointer[func() error]
	answers      atomic.Int64 // RecordAnswers calls
	answerBatch  atomic.Int64 // largest batch
}

func (h *hookedStore) RecordSignal(ctx context.Context, sig bot.SafetySignal, window time.Duration, jobs func(bot.SafetyAlert, bool) []bot.Job) (bot.SafetyAlert, bool, error) {
	if f := h.recordSignal.Load(); f != nil {
		if err := (*f)(); err != nil {
			return bot.SafetyAlert{}, false, err
		}
	}
	return h.DB.RecordSignal(ctx, sig, window, jobs)
}

func (h *hookedStore) RecordAnswers(ctx context.Context, as []bot.CheckInAnswer) ([]bot.AnswerOutcome, error) {
	h.answers.Add(1)
	for {
		cur := h.answerBatch.Load()
		if int64(len(as)) <= cur || h.answerBatch.CompareAndSwap(cur, int64(len(as))) {
			break
		}
	}
	return h.DB.RecordAnswers(ctx, as)
}

// env is one running tend over a database file: store, Sender, Bot,
// Runner, reminders and check-ins, with a recording console platform that
// outlives restarts (it is what people saw). Tests run inside a synctest
// bubble: the clock starts at 2000-01-01 00:00 UTC, a Saturday.
type env struct {
	t    *testing.T
	path string
	rec  *bottest.Platform
	// plat is the platform tend runs on: rec, unless a test gives another
	// (the console adapter).
	plat   bot.Platform
	db     *store.DB
	st     *hookedStore
	b      *bot.Bot
	r      *bot.Runner
	ci     *checkins.Feature
	cancel context.CancelFunc
	done   chan struct{}
	group  bot.Group
	// hook, when set, runs before each delivery.
	hook atomic.Pointer[func(bot.Outbound) error]
	// takesPart, when set, is the participation check (norms' stand-in).
	takesPart func(user bot.UserID) bool
	presence  sync.Map // "user/session" → source
	owners    []bot.Principal
	// resources are the operator's crisis resources (the const resources
	// unless a test sets them before a restart).
	resources string
	// obs records what the feature tells the operator's metrics.
	obs alertObserver
}

// alertObserver records the safety alerts' delivery times.
type alertObserver struct {
	bot.NopObserver
	mu    sync.Mutex
	times []time.Duration
}

// AlertDelivered implements bot.Observer.
func (o *alertObserver) AlertDelivered(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.times = append(o.times, d)
}

func (o *alertObserver) delivered() []time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.times)
}

const (
	groupChannel = "tuesday"
	facsChannel  = "tuesday-facs"
)

// newEnv creates the database with the console group "tuesday" (channel
// #tuesday, facilitators fac and fran, their private channel
// #tuesday-facs; ann, bob, cat and dan on the roster) and starts tend.
func newEnv(t *testing.T, privacy bot.Privacy) *env {
	t.Helper()
	return newEnvOn(t, privacy, nil)
}

// newEnvOn is newEnv on platform plat (nil: the recording platform).
func newEnvOn(t *testing.T, privacy bot.Privacy, plat bot.Platform) *env {
	t.Helper()
	return newEnvOnRec(t, privacy, &bottest.Platform{}, plat)
}

// newEnvOnRec is newEnvOn with the recording platform rec, which plat may
// wrap (bottest.InspectorPlatform).
func newEnvOnRec(t *testing.T, privacy bot.Privacy, rec *bottest.Platform, plat bot.Platform) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "tend.db"), rec: rec, plat: plat, owners: []bot.Principal{"console:owner"}, resources: resources}
	if e.plat == nil {
		e.plat = e.rec
	}
	e.rec.DeliverHook = func(out bot.Outbound) error {
		if h := e.hook.Load(); h != nil {
			if err := (*h)(out); err != nil {
				return err
			}
		}
		if out.Kind == bot.OutPost && out.To.Channel != facsChannel {
			scan.sharedPost(render(out.Message))
		}
		return nil
	}
	e.start()
	g, err := e.db.CreateGroup(t.Context(), "console:fac", bot.Group{
		Name: "tuesday", Address: bot.Address{Platform: bot.PlatformConsole, Channel: groupChannel},
		Kind: bot.KindSupport, Admission: bot.AdmissionClosed, TimeZone: "Europe/London", Privacy: privacy,
		Facilitators: []bot.Principal{"console:fac", "console:fran"}, FacilitatorsChannel: facsChannel,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.group = g
	for i, u := range []bot.UserID{"ann", "bob", "cat", "dan"} {
		m := bot.Member{GroupID: g.ID, User: u, Status: bot.MemberActive, Name: string(u)}
		if privacy == bot.PrivacyMinimal {
			m.Name, m.Code = "", fmt.Sprintf("C-%d", 11+i)
		}
		if _, err := e.db.AddMember(t.Context(), "console:fac", m); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(e.stop)
	return e
}

func (e *env) setHook(h func(bot.Outbound) error) {
	if h == nil {
		e.hook.Store(nil)
		return
	}
	e.hook.Store(&h)
}

// start opens the database and starts a new process over it.
func (e *env) start() {
	t := e.t
	db, err := store.Open(t.Context(), e.path)
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	e.st = &hookedStore{DB: db}
	codec, err := bot.NewActionCodec(testKey)
	if err != nil {
		t.Fatal(err)
	}
	log := debugLogger()
	sender := bot.NewSender(db, codec, nil, log, e.plat)
	r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: log})
	b, err := bot.New(bot.Config{Groups: db, Owners: e.owners, Codec: codec, Sender: sender, Logger: log, Runner: r, Resources: e.resources})
	if err != nil {
		t.Fatal(err)
	}
	b.SetParticipationCheck(func(_ context.Context, _ bot.Group, u bot.UserID) (bool, string, error) {
		if e.takesPart != nil && !e.takesPart(u) {
			return false, "has not agreed to the norms", nil
		}
		return true, "", nil
	})
	// Who asked tend to forget them, as the attendance feature registers
	// it in tend.
	b.SetTrackingFilter(func(ctx context.Context, g bot.Group) (func(bot.UserID) bool, error) {
		return db.TrackingFilter(ctx, g.Address.Platform, g.ID)
	})
	if err := b.OnPresence("probe", func(_ context.Context, ev *bot.Presence) ([]bot.Outbound, error) {
		e.presence.Store(fmt.Sprintf("%s/%d", ev.User, ev.SessionID), ev.Source)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	deps := bot.Deps{Sender: sender, Logger: log, ConfigFile: "tend.yaml", Observer: &e.obs}
	rm, err := reminders.New(db, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.Register(b, r); err != nil {
		t.Fatal(err)
	}
	ci, err := checkins.New(e.st, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := ci.Register(b, r); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{checkins.SectionCrisisPhrases, checkins.SectionAroundTheClock} {
		if err := ci.ApplySection(t.Context(), k, bot.Group{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		pdone := make(chan struct{})
		go func() { defer close(pdone); e.plat.Run(ctx, b) }()
		if err := r.Run(ctx); err != nil {
			t.Errorf("runner: %v", err)
		}
		<-pdone
	}()
	e.b, e.r, e.ci, e.cancel, e.done = b, r, ci, cancel, done
	synctest.Wait()
}

func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	<-e.done
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

func (e *env) sleep(d time.Duration) { e.sleepUntil(time.Now().Add(d)) }

func (e *env) inject(ev bot.Event) []bot.Outbound {
	e.t.Helper()
	outs := e.rec.Inject(e.t.Context(), ev)
	synctest.Wait()
	return outs
}

func meta(user bot.UserID, ch bot.ChannelID) bot.EventMeta {
	return bot.EventMeta{Platform: bot.PlatformConsole, Channel: ch, DM: strings.HasPrefix(string(ch), "dm-"),
		User: bot.User{Platform: bot.PlatformConsole, ID: user, Name: string(user)}}
}

// cmd runs "/tend <text>" as user in the group's channel.
func (e *env) cmd(user bot.UserID, text string) string {
	e.t.Helper()
	return replyText(e.cmdOuts(user, groupChannel, text))
}

func (e *env) cmdOuts(user bot.UserID, ch bot.ChannelID, text string) []bot.Outbound {
	e.t.Helper()
	words, args, err := bot.ParseCommandText(text)
	if err != nil {
		e.t.Fatalf("parse %q: %v", text, err)
	}
	return e.inject(&bot.Command{EventMeta: meta(user, ch), Words: words, Args: args})
}

// dm sends the bot a direct message from user; the text is a member's
// secret for the leak scan.
func (e *env) dm(user bot.UserID, text string) []bot.Outbound {
	e.t.Helper()
	scan.secret(text)
	return e.handledPrivately(user, func() []bot.Outbound {
		return e.inject(&bot.DirectMessage{EventMeta: meta(user, bot.ChannelID("dm-"+string(user))), Text: text})
	})
}

// pressOn presses the button labelled label on message m (delivered at
// ref) as user.
func (e *env) pressOn(user bot.UserID, ref bot.MessageRef, m bot.Message, label string) []bot.Outbound {
	e.t.Helper()
	for _, b := range m.Buttons {
		if b.Label == label {
			press := func() []bot.Outbound {
				return e.inject(&bot.ButtonPress{EventMeta: meta(user, ref.Channel), ID: b.ID, Message: ref})
			}
			if a, err := e.b.Codec().Decode(b.ID); err == nil && a.Name == checkins.ActionAnswer {
				return e.handledPrivately(user, press)
			}
			return press()
		}
	}
	e.t.Fatalf("message has no button %q: %+v", label, m.Buttons)
	return nil
}

// press presses label on a delivered message.
func (e *env) press(user bot.UserID, d bottest.Delivery, label string) []bot.Outbound {
	e.t.Helper()
	m, ok := e.rec.Content(d.Delivered.Ref)
	if !ok {
		e.t.Fatalf("no message %v", d.Delivered.Ref)
	}
	return e.pressOn(user, d.Delivered.Ref, m, label)
}

// submit fills in the form a reply opened, as user; the answer is a
// member's secret for the leak scan.
func (e *env) submit(user bot.UserID, ch bot.ChannelID, outs []bot.Outbound, answer string) []bot.Outbound {
	e.t.Helper()
	for _, o := range outs {
		if o.Kind == bot.OutModal && o.Modal != nil {
			scan.secret(answer)
			return e.handledPrivately(user, func() []bot.Outbound {
				return e.inject(&bot.ModalSubmit{EventMeta: meta(user, ch), ID: o.Modal.ID, Values: map[string]string{o.Modal.Inputs[0].ID: answer}})
			})
		}
	}
	e.t.Fatalf("no form in %+v", outs)
	return nil
}

func replyText(outs []bot.Outbound) string { return bottest.Texts(outs) }

// render shows a message as plain text with its times in UTC.
func render(m bot.Message) string { return bottest.Text(m) }

// postsIn returns what people saw posted in channel ch.
func (e *env) postsIn(ch bot.ChannelID) []bottest.Delivery { return e.rec.PostsIn(ch) }

// lastPostIn returns the newest post in ch, failing when there is none.
func (e *env) lastPostIn(ch bot.ChannelID) bottest.Delivery {
	e.t.Helper()
	ps := e.rec.PostsIn(ch)
	if len(ps) == 0 {
		e.t.Fatalf("nothing was posted in #%s", ch)
	}
	return ps[len(ps)-1]
}

// content is what a delivered message shows now.
func (e *env) content(d bottest.Delivery) string {
	m, _ := e.rec.Content(d.Delivered.Ref)
	return render(m)
}

// dmsTo returns the DMs user got.
func (e *env) dmsTo(u bot.UserID) []bottest.Delivery { return e.rec.DMsTo(u) }

// schedule sets weekly sessions on Tuesdays at 18:00 London from 4 January
// 2000 (GMT then), 90 minutes long.
func (e *env) schedule() {
	e.t.Helper()
	out := e.cmd("fac", `session schedule weekly:"tue 18:00" duration:90m starts:2000-01-04 count:8`)
	if !strings.Contains(out, "Schedule saved") {
		e.t.Fatalf("schedule: %s", out)
	}
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func has(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func joinTexts(ds []bottest.Delivery) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, render(d.Out.Message))
	}
	return strings.Join(parts, "\n---\n")
}

var _ = slices.Contains[[]string]
