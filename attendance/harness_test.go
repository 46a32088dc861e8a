package attendance

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
	"github.com/tend-bot/tend/reminders"
	"github.com/tend-bot/tend/store"
)

// env is one running tend over a database file — store, Sender, Bot,
// Runner, and the reminders and attendance features — with a recording
// platform that can tell who is in a voice channel and outlives restarts.
// Tests run inside a synctest bubble: time.Sleep moves the fake clock.
type env struct {
	t     *testing.T
	path  string
	rec   *bottest.Platform
	voice *bottest.Voice
	db    *store.DB
	b     *bot.Bot
	r     *bot.Runner
	f     *Feature
	rm    *reminders.Reminders

	cancel context.CancelFunc
	done   chan struct{}
	group  bot.Group
	// hook runs before each delivery; an error fails it.
	hook atomic.Pointer[func(bot.Outbound) error]
	// gone records the MemberGone events a probe subscriber saw, as
	// "group/user".
	goneMu sync.Mutex
	gone   []string
	// takesPart, when set, is the participation check (as norms would
	// register).
	takesPart bot.ParticipationCheck
	// inspect makes the platform a ChannelInspector answering with the
	// members set on rec (SetMembers).
	inspect bool
	// logs, when set, gets the attendance feature's log at debug level.
	logs *logBuffer
}

// logBuffer is a log destination safe for concurrent writes.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The group's facilitator and members. Session 1 is Tuesday 4 January 2000,
// 18:00–19:00 UTC; one a week.
const (
	fac        = "fac"
	firstStart = "2000-01-04 18:00"
)

// newEnv starts tend over a new database with a console group "tuesday"
// (facilitator fac) whose roster holds the given accounts.
func newEnv(t *testing.T, members ...bot.UserID) *env {
	t.Helper()
	return newEnvOn(t, &bottest.Platform{}, members...)
}

// newEnvOn is newEnv over the recording platform rec (set its fields
// first).
func newEnvOn(t *testing.T, rec *bottest.Platform, members ...bot.UserID) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "tend.db"), rec: rec, voice: &bottest.Voice{}}
	e.rec.DeliverHook = func(out bot.Outbound) error {
		if h := e.hook.Load(); h != nil {
			return (*h)(out)
		}
		return nil
	}
	e.start()
	g, err := e.db.CreateGroup(t.Context(), "console:fac", bot.Group{
		Name: "tuesday", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "tuesday"},
		Kind: bot.KindPsychoeducation, Admission: bot.AdmissionClosed, TimeZone: "UTC", Privacy: bot.PrivacyStandard,
		Facilitators: []bot.Principal{"console:fac"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.group = g
	for _, u := range members {
		e.addMember(bot.Member{User: u, Name: strings.ToUpper(string(u[:1])) + string(u[1:])})
	}
	t.Cleanup(e.stop)
	return e
}

func (e *env) addMember(m bot.Member) bot.Member {
	e.t.Helper()
	m.GroupID = e.group.ID
	added, err := e.db.AddMember(e.t.Context(), "console:fac", m)
	if err != nil {
		e.t.Fatal(err)
	}
	return added
}

func (e *env) setHook(h func(bot.Outbound) error) {
	if h == nil {
		e.hook.Store(nil)
		return
	}
	e.hook.Store(&h)
}

// start opens the database and starts a new Bot, Sender and Runner over
// it, as a restarted process would.
func (e *env) start() {
	t := e.t
	db, err := store.Open(t.Context(), e.path)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := bot.NewActionCodec(testKey)
	if err != nil {
		t.Fatal(err)
	}
	var plat bot.Platform = bottest.VoicePlatform{Platform: e.rec, Voice: e.voice}
	if e.inspect {
		plat = inspectVoice{InspectorPlatform: bottest.InspectorPlatform{Platform: e.rec}, Voice: e.voice}
	}
	sender := bot.NewSender(db, codec, nil, quiet(), plat)
	r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quiet()})
	b, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: sender, Logger: quiet(), Runner: r,
		Owners: []bot.Principal{"console:owner"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.takesPart != nil {
		b.SetParticipationCheck(e.takesPart)
	}
	if err := b.OnMemberGone("probe", func(_ context.Context, ev *bot.MemberGone) ([]bot.Outbound, error) {
		e.goneMu.Lock()
		defer e.goneMu.Unlock()
		e.gone = append(e.gone, fmt.Sprintf("%s/%s", ev.Group.Name, ev.User))
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	deps := bot.Deps{Sender: sender, Logger: quiet()}
	rm, err := reminders.New(db, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.Register(b, r); err != nil {
		t.Fatal(err)
	}
	fdeps := deps
	if e.logs != nil {
		fdeps.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	f, err := New(db, fdeps)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Register(b, r); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		pdone := make(chan struct{})
		go func() { defer close(pdone); e.rec.Run(ctx, b) }()
		if err := r.Run(ctx); err != nil {
			t.Errorf("runner: %v", err)
		}
		<-pdone
	}()
	e.db, e.b, e.r, e.f, e.rm, e.cancel, e.done = db, b, r, f, rm, cancel, done
	synctest.Wait()
}

// inspectVoice is a recording platform that can tell who is in a channel
// and who is in a voice channel, as the Discord adapter can.
type inspectVoice struct {
	bottest.InspectorPlatform
	*bottest.Voice
}

// stop stops the process and closes the database.
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

// schedule gives the group its weekly series: count sessions, Tuesdays
// 18:00–19:00 UTC from 4 January 2000, and returns once its first session
// is stored (4 January, 16:00).
func (e *env) schedule(count int) {
	e.t.Helper()
	topics := []string{"Welcome", "Stress", "=HYPERLINK(\"http://x\")"}
	s := bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Starts: "2000-01-04", Count: count, Topics: topics[:min(count, len(topics))]}
	if err := e.rm.ApplyConfig(e.t.Context(), e.group.ID, s, reminders.Settings{Leads: []time.Duration{time.Hour}}); err != nil {
		e.t.Fatal(err)
	}
	synctest.Wait()
	// A config series' first session, days away, is stored two hours
	// before it starts (an hour before its reminder): from then on the
	// tests read it.
	ser, err := e.db.Series(e.t.Context(), e.group.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if !ser.AheadAt.IsZero() {
		e.sleepUntil(ser.AheadAt)
	}
}

// settings stores the group's attendance settings.
func (e *env) settings(s Settings) {
	e.t.Helper()
	if err := e.db.SetAttendanceSettings(e.t.Context(), e.group.ID, &s); err != nil {
		e.t.Fatal(err)
	}
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

func (e *env) cmdIn(user bot.UserID, channel bot.ChannelID, text string) string {
	e.t.Helper()
	_, out := e.cmdOuts(user, channel, text)
	return out
}

// cmdOuts runs a command and returns the replies and their text.
func (e *env) cmdOuts(user bot.UserID, channel bot.ChannelID, text string) ([]bot.Outbound, string) {
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
	return outs, replyText(outs)
}

// pressIn clicks button label of message m (with its ref) as user.
func (e *env) pressOn(user bot.UserID, ref bot.MessageRef, m bot.Message, label string) string {
	e.t.Helper()
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

// press clicks button label on the posted message ref as user.
func (e *env) press(user bot.UserID, ref bot.MessageRef, label string) string {
	e.t.Helper()
	m, ok := e.rec.Content(ref)
	if !ok {
		e.t.Fatalf("no message %v", ref)
	}
	return e.pressOn(user, ref, m, label)
}

// voiceEvent makes user enter (join) or leave the voice channel ch.
func (e *env) voiceEvent(user bot.UserID, ch bot.ChannelID, join bool) {
	e.t.Helper()
	meta := bot.EventMeta{Platform: bot.PlatformConsole, Channel: ch, User: bot.User{Platform: bot.PlatformConsole, ID: user}}
	var ev bot.Event = &bot.VoiceLeft{EventMeta: meta}
	if join {
		e.voice.JoinVoice(ch, user)
		ev = &bot.VoiceJoined{EventMeta: meta}
	} else {
		e.voice.LeaveVoice(ch, user)
	}
	e.rec.Inject(e.t.Context(), ev)
	synctest.Wait()
}

func replyText(outs []bot.Outbound) string { return bottest.Texts(outs) }

// render shows a message as plain text with its times in UTC.
func render(m bot.Message) string { return bottest.Text(m) }

// session returns the group's session number n.
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

// hereButton returns the "I'm here" post of session s.
func (e *env) hereButton(s bot.Session) bot.MessageRef {
	e.t.Helper()
	for _, d := range e.rec.Posts() {
		if d.Out.Key == HereKey(s.ID) {
			return d.Delivered.Ref
		}
	}
	e.t.Fatalf("no \"I'm here\" post for session %d", s.Number)
	return bot.MessageRef{}
}

// marks returns session s's marks by person key: "status/source".
func (e *env) marks(s bot.Session) map[string]string {
	e.t.Helper()
	ms, err := e.db.SessionMarks(e.t.Context(), s.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range ms {
		out[m.Key()] = string(m.Status) + "/" + m.Source
	}
	return out
}

// dmsTo returns the rendered DMs user got whose key starts with prefix.
func (e *env) dmsTo(user bot.UserID, prefix string) []string {
	var out []string
	for _, d := range e.rec.DMsTo(user) {
		if strings.HasPrefix(d.Out.Key, prefix) {
			out = append(out, render(d.Out.Message))
		}
	}
	return out
}

// seenGone returns the MemberGone events the probe saw.
func (e *env) seenGone() []string {
	e.goneMu.Lock()
	defer e.goneMu.Unlock()
	return slices.Clone(e.gone)
}

func openDB(t *testing.T, path string) (*store.DB, error) { return store.Open(t.Context(), path) }

// at reads "2000-01-04 18:00" as UTC.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// minute returns the time m minutes after session 1 starts, plus weeks.
func minute(t *testing.T, week, m int) time.Time {
	return at(t, firstStart).AddDate(0, 0, 7*week).Add(time.Duration(m) * time.Minute)
}

// openTestDB opens a fresh database closed at the test's end.
func openTestDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "tend.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
