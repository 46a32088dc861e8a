package norms

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/groups"
	"github.com/tend-bot/tend/reminders"
	"github.com/tend-bot/tend/store"
)

// env is one running tend over a database file, wired as cmd/tend wires it
// (groups, reminders and norms over one store, Sender, Bot and Runner),
// with a recording platform that outlives restarts: it is what people saw.
// Tests run inside a synctest bubble, so time.Sleep moves the fake clock.
type env struct {
	t        *testing.T
	path     string
	platform string
	rec      *bottest.Platform
	owners   []bot.Principal
	// resources are the operator's crisis resources.
	resources string

	db     *store.DB
	b      *bot.Bot
	r      *bot.Runner
	n      *Feature
	cancel context.CancelFunc
	done   chan struct{}

	group bot.Group
	// hook, when set, runs before each delivery; an error is returned by
	// the platform and nothing is shown.
	hook atomic.Pointer[func(bot.Outbound) error]
	// more builds features wired beside groups, reminders and norms
	// (check-ins, attendance), as cmd/tend wires them.
	more []func(*store.DB, bot.Deps) (bot.Feature, error)
	// dead, when set, makes every job enqueued through the Runner fail,
	// as a process that died at that moment: what is written to the
	// database with a change of its own still gets in.
	dead atomic.Bool
}

// jobStore is the Runner's store, which fails to enqueue once the process
// is dead.
type jobStore struct {
	*store.DB
	e *env
}

func (s jobStore) EnqueueJob(ctx context.Context, j bot.Job) (bool, error) {
	if s.e.dead.Load() {
		return false, errors.New("the process died")
	}
	return s.DB.EnqueueJob(ctx, j)
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testResources are crisis resources that say nothing about watching.
const testResources = "Call 999 in an emergency, or Samaritans on 116 123, free, any time."

// newEnv starts tend over a new database with group g on platform
// (discord, slack or console), facilitated by "fac".
func newEnv(t *testing.T, g bot.Group, more ...func(*store.DB, bot.Deps) (bot.Feature, error)) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "tend.db"), platform: g.Address.Platform, resources: testResources, more: more}
	e.rec = &bottest.Platform{PlatformName: e.platform}
	e.rec.DeliverHook = func(out bot.Outbound) error {
		if h := e.hook.Load(); h != nil {
			if err := (*h)(out); err != nil {
				return err
			}
		}
		// As on the platforms: the role opens the group's channel, and an
		// invitation puts the person in it.
		switch out.Kind {
		case bot.OutGrantRole:
			e.rec.AddMember(e.group.Address.Channel, e.user(out.User))
		case bot.OutRevokeRole:
			e.rec.RemoveMember(e.group.Address.Channel, out.User)
		case bot.OutInvite:
			e.rec.AddMember(out.To.Channel, e.user(out.User))
		}
		return nil
	}
	e.owners = []bot.Principal{bot.Principal(e.platform + ":owner")}
	e.start()
	if g.Kind == "" {
		g.Kind = bot.KindSupport
	}
	if g.Admission == "" {
		g.Admission = bot.AdmissionOpen
	}
	if g.TimeZone == "" {
		g.TimeZone = "Europe/London"
	}
	if g.Privacy == "" {
		g.Privacy = bot.PrivacyStandard
	}
	if g.Facilitators == nil {
		g.Facilitators = []bot.Principal{bot.Principal(e.platform + ":" + fac)}
	}
	created, err := e.db.CreateGroup(t.Context(), bot.Principal(e.platform+":"+fac), g)
	if err != nil {
		t.Fatal(err)
	}
	e.group = created
	e.rec.SetMembers(g.Address.Channel, e.user(fac))
	t.Cleanup(e.stop)
	return e
}

const fac = "fac"

func (e *env) setHook(h func(bot.Outbound) error) {
	if h == nil {
		e.hook.Store(nil)
		return
	}
	e.hook.Store(&h)
}

// start opens the database and starts a new Bot, Sender, Runner and the
// features over it, as a restarted process would.
func (e *env) start() {
	t := e.t
	db, err := store.Open(context.Background(), e.path)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := bot.NewActionCodec(testKey)
	if err != nil {
		t.Fatal(err)
	}
	plat := bottest.InspectorPlatform{Platform: e.rec}
	sender := bot.NewSender(db, codec, nil, quiet(), plat)
	r := bot.NewRunner(bot.RunnerConfig{Store: jobStore{DB: db, e: e}, Logger: quiet()})
	b, err := bot.New(bot.Config{Groups: db, Owners: e.owners, Codec: codec, Sender: sender, Logger: quiet(), Runner: r, Resources: e.resources})
	if err != nil {
		t.Fatal(err)
	}
	deps := bot.Deps{Sender: sender, Logger: quiet(), TimeZone: "Europe/London", ConfigFile: "tend.yaml"}
	gf, err := groups.New(db, deps)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := reminders.New(db, deps)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(db, deps)
	if err != nil {
		t.Fatal(err)
	}
	feats := []bot.Feature{gf, rm, n}
	for _, build := range e.more {
		f, err := build(db, deps)
		if err != nil {
			t.Fatal(err)
		}
		feats = append(feats, f)
	}
	for _, f := range feats {
		if err := f.Register(b, r); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		pdone := make(chan struct{})
		go func() { defer close(pdone); plat.Run(ctx, b) }()
		if err := r.Run(ctx); err != nil {
			t.Errorf("runner: %v", err)
		}
		<-pdone
	}()
	e.db, e.b, e.r, e.n, e.cancel, e.done = db, b, r, n, cancel, done
	synctest.Wait()
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

func (e *env) user(id bot.UserID) bot.User {
	return bot.User{Platform: e.platform, ID: id, Name: string(id)}
}

// inject hands ev to the bot as the platform would and lets every job it
// leads to run.
func (e *env) inject(ev bot.Event) []bot.Outbound {
	e.t.Helper()
	outs := e.rec.Inject(e.t.Context(), ev)
	synctest.Wait()
	return outs
}

// cmd runs "/tend <text>" as user in the group's channel and returns the
// replies' text.
func (e *env) cmd(user bot.UserID, text string) string {
	e.t.Helper()
	return e.cmdIn(user, e.group.Address.Channel, text)
}

// cmdIn runs "/tend text" as user in channel ("" for a DM with the bot).
func (e *env) cmdIn(user bot.UserID, channel bot.ChannelID, text string) string {
	e.t.Helper()
	return replyText(e.cmdOuts(user, channel, text))
}

func (e *env) cmdOuts(user bot.UserID, channel bot.ChannelID, text string) []bot.Outbound {
	e.t.Helper()
	words, args, err := bot.ParseCommandText(text)
	if err != nil {
		e.t.Fatalf("parse %q: %v", text, err)
	}
	meta := bot.EventMeta{Platform: e.platform, Channel: channel, User: e.user(user), Guild: e.group.Guild}
	if channel == "" {
		meta.Channel, meta.DM = bot.ChannelID("dm-"+string(user)), true
	}
	return e.inject(&bot.Command{EventMeta: meta, Words: words, Args: args})
}

// press clicks the button labelled label on message ref as user.
func (e *env) press(user bot.UserID, ref bot.MessageRef, label string) string {
	e.t.Helper()
	m, ok := e.rec.Content(ref)
	if !ok {
		e.t.Fatalf("no message %v", ref)
	}
	for _, b := range m.Buttons {
		if b.Label == label {
			return e.pressID(user, ref, b.ID)
		}
	}
	e.t.Fatalf("message %v has no button %q: %+v", ref, label, m.Buttons)
	return ""
}

func (e *env) pressID(user bot.UserID, ref bot.MessageRef, id string) string {
	e.t.Helper()
	meta := bot.EventMeta{Platform: e.platform, Channel: ref.Channel, User: e.user(user), Guild: e.group.Guild}
	meta.DM = strings.HasPrefix(string(ref.Channel), "dm-")
	return replyText(e.inject(&bot.ButtonPress{EventMeta: meta, ID: id, Message: ref}))
}

// dms returns the DMs user got, oldest first.
func (e *env) dms(user bot.UserID) []bottest.Delivery { return e.rec.DMsTo(user) }

// lastDM returns the newest DM user got, failing when there is none.
func (e *env) lastDM(user bot.UserID) bottest.Delivery {
	e.t.Helper()
	ds := e.dms(user)
	if len(ds) == 0 {
		e.t.Fatalf("%s got no DM", user)
	}
	return ds[len(ds)-1]
}

// of returns the shown deliveries of kind.
func (e *env) of(kind bot.OutboundKind) []bottest.Delivery { return e.rec.Of(kind) }

func replyText(outs []bot.Outbound) string {
	var b strings.Builder
	for _, o := range outs {
		if o.Kind == bot.OutModal && o.Modal != nil {
			b.WriteString("form: " + o.Modal.Title + "\n")
			for _, in := range o.Modal.Inputs {
				b.WriteString(in.ID + "=" + in.Value + "\n")
			}
			continue
		}
		b.WriteString(render(o.Message))
		b.WriteString("\n")
	}
	return b.String()
}

// render shows a message as plain text with its times in UTC.
func render(m bot.Message) string { return bottest.Text(m) }

// wantIn fails unless every want is in got.
func wantIn(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// job returns the job with key.
func (e *env) job(key string) bot.Job {
	e.t.Helper()
	j, err := e.db.JobByKey(e.t.Context(), key)
	if err != nil {
		e.t.Fatalf("job %s: %v", key, err)
	}
	return j
}
