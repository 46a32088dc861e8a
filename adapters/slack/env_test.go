package slack_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

// People and channels of the fake workspace.
const (
	owner       = "U0OWNER"
	facilitator = "U0FAC"
	member1     = "U0MEM1"
	member2     = "U0MEM2"
	groupChan   = "C0GROUP"
	otherChan   = "C0OTHER"
	privateChan = "G0PRIVATE"
)

// env is a real adapter with a real bot.Bot, store and Sender against the
// fake Slack.
type env struct {
	t      *testing.T
	fake   *fakeslack.Server
	a      *slack.Adapter
	db     *store.DB
	bot    *bot.Bot
	sender *bot.Sender
	group  bot.Group
	events chan bot.Event
	// handled counts events that reached the core.
	handled *counter
	mode    string
	ctx     context.Context
	// release lets "demo slow" answer; the test closes it once the
	// command has been acknowledged.
	release chan struct{}
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// countingHandler counts events before handing them to the bot.
type countingHandler struct {
	bot.Handler
	n *counter
}

func (h countingHandler) Handle(ctx context.Context, ev bot.Event) []bot.Outbound {
	h.n.inc()
	return h.Handler.Handle(ctx, ev)
}

type envOpts struct {
	mode    string
	ackWait time.Duration
	tweak   func(*slack.Config)
	fake    fakeslack.Options
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	fake := fakeslack.New(t, o.fake)
	for _, u := range []string{owner, facilitator, member1, member2} {
		fake.AddUser(u, strings.ToLower(strings.TrimPrefix(u, "U0")))
	}
	fake.AddChannel(groupChan, "tuesday-group", false, owner, facilitator, member1, member2)
	fake.AddChannel(otherChan, "general", false, owner, facilitator, member1, member2)
	fake.AddChannel(privateChan, "tuesday-private", true, facilitator)

	log := testLogger(t)
	fo := fake.Opts()
	cfg := slack.Config{
		Mode: o.mode, BotToken: fo.BotToken, AppToken: fo.AppToken, SigningSecret: fo.SigningSecret,
		APIURL: fake.APIURL(), Logger: log, RetryBase: 20 * time.Millisecond, AckWait: o.ackWait,
		PingInterval: 10 * time.Second,
	}
	if o.mode == slack.ModeHTTP {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listener = ln
		fake.SetHTTPTarget("http://" + ln.Addr().String())
	}
	if o.tweak != nil {
		o.tweak(&cfg)
	}
	a, err := slack.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t)
	key, err := db.ActionKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := bot.NewActionCodec(key)
	if err != nil {
		t.Fatal(err)
	}
	sender := bot.NewSender(db, codec, nil, log, a)
	b, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: sender, Owners: []bot.Principal{"slack:" + owner}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.CreateGroup(ctx, "slack:"+owner, bot.Group{
		Name: "tuesday", Address: bot.Address{Platform: bot.PlatformSlack, Channel: groupChan},
		Kind: bot.KindTherapy, Admission: bot.AdmissionClosed, TimeZone: "Europe/London",
		Privacy: bot.PrivacyMinimal, Facilitators: []bot.Principal{"slack:" + facilitator},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, fake: fake, a: a, db: db, bot: b, sender: sender, group: g,
		events: make(chan bot.Event, 64), handled: &counter{}, mode: o.mode, ctx: ctx, release: make(chan struct{})}
	e.registerDemo()

	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, countingHandler{b, e.handled}) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel; want nil", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	if o.mode != slack.ModeHTTP {
		if _, err := fake.Connected(ctx); err != nil {
			t.Fatalf("adapter did not connect over socket mode: %v", err)
		}
	}
	return e
}

// registerDemo registers commands and actions that exercise every reply
// path, standing in for the features: a reminder-like post with RSVP
// buttons whose count is edited in place, a facilitator command, a slow
// command, a modal.
func (e *env) registerDemo() {
	b := e.bot
	var mu sync.Mutex
	counts := map[string]int{}
	card := func(g int64, yes, no int, at time.Time) bot.Message {
		return bot.Message{
			Title: "Session 3 of 8: distress tolerance",
			Text:  "Starts " + bot.Time(at, bot.TimeFull) + ". Bring your diary card & <notes>.",
			Fields: []bot.Field{
				{Name: "Coming", Value: strconv.Itoa(yes), Inline: true},
				{Name: "Can't make it", Value: strconv.Itoa(no), Inline: true},
			},
			Buttons: []bot.Button{
				{Label: "I'll be there", Style: bot.ButtonSuccess, Action: bot.Action{Name: "demo.rsvp", Group: g, Ref: "yes"}},
				{Label: "Can't make it", Action: bot.Action{Name: "demo.rsvp", Group: g, Ref: "no"}},
			},
		}
	}
	at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	var posted bot.MessageRef
	must := func(err error) {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(b.Register(bot.CommandSpec{Path: "demo post", Summary: "post a card", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
		Options: []bot.Option{{Name: "key", Description: "outbox key"}},
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			res, err := e.sender.Send(ctx, bot.Post("demo/"+req.Arg("key"), req.Group.Address, card(req.Group.ID, 0, 0, at)))
			if err != nil {
				return nil, err
			}
			mu.Lock()
			posted = res.Delivered.Ref
			mu.Unlock()
			return []bot.Outbound{bot.Reply("Posted.")}, nil
		}}))
	must(b.RegisterAction(bot.ActionSpec{Name: "demo.rsvp", Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
		mu.Lock()
		counts[string(req.Actor.ID)+"/"+req.Action.Ref]++
		yes, no := 0, 0
		for k := range counts {
			if strings.HasSuffix(k, "/yes") {
				yes++
			} else {
				no++
			}
		}
		ref := posted
		mu.Unlock()
		bp := req.Event.(*bot.ButtonPress)
		if bp.Message != ref {
			return nil, fmt.Errorf("press on %+v; posted %+v", bp.Message, ref)
		}
		return []bot.Outbound{bot.Edit(bp.Message, card(req.Group.ID, yes, no, at)), bot.Reply("Thanks, noted: " + req.Action.Ref)}, nil
	}}))
	must(b.Register(bot.CommandSpec{Path: "demo who", Summary: "echo a mention", Group: bot.GroupNone,
		Options: []bot.Option{{Name: "user", Type: bot.OptUser, Positional: true}, {Name: "channel", Type: bot.OptChannel}},
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			u, _ := bot.ParseMention(req.Arg("user"))
			c, _ := bot.ParseChannelMention(req.Arg("channel"))
			return []bot.Outbound{bot.Reply("user=" + string(u) + " channel=" + string(c))}, nil
		}}))
	must(b.Register(bot.CommandSpec{Path: "demo slow", Summary: "answers late", Group: bot.GroupNone,
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			select {
			case <-e.release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return []bot.Outbound{bot.Reply("late answer"), bot.PublicReply(bot.Message{Text: "late public answer"})}, nil
		}}))
	must(b.Register(bot.CommandSpec{Path: "demo big", Summary: "a long answer", Group: bot.GroupNone,
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			return []bot.Outbound{bot.Reply(strings.Repeat("A long answer. ", 1700) + "The end.")}, nil
		}}))
	must(b.Register(bot.CommandSpec{Path: "demo export", Summary: "a private file", Group: bot.GroupNone,
		Options: []bot.Option{{Name: "public", Type: bot.OptBool}, {Name: "slow", Type: bot.OptBool}},
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			if req.Arg("slow") == "true" {
				select {
				case <-e.release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			csv := bot.File{Name: "tuesday-attendance.csv", ContentType: "text/csv; charset=utf-8", Data: []byte("member,status\r\nC-1,present\r\n")}
			out := bot.ReplyFile(bot.Message{Text: "Your export is in your direct messages with tend."}, csv)
			if req.Arg("public") == "true" {
				out = bot.PublicReply(bot.Message{Text: "Everyone sees this."})
				out.File = &csv
			}
			return []bot.Outbound{out}, nil
		}}))
	must(b.Register(bot.CommandSpec{Path: "demo form", Summary: "opens a modal", Group: bot.GroupRequired,
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			return []bot.Outbound{{Kind: bot.OutModal, Modal: &bot.Modal{Title: "Edit norms", Action: bot.Action{Name: "demo.form", Group: req.Group.ID},
				Inputs: []bot.Input{{ID: "norms", Label: "Norms", Long: true, Required: true, Value: "1. Confidentiality"}}}}}, nil
		}}))
	must(b.RegisterAction(bot.ActionSpec{Name: "demo.form", Access: bot.AccessFacilitator, Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
		return []bot.Outbound{bot.Reply(fmt.Sprintf("Saved %d characters.", len(req.Values["norms"])))}, nil
	}}))
	b.Subscribe("test", func(ctx context.Context, ev bot.Event) ([]bot.Outbound, error) {
		select {
		case e.events <- ev:
		default:
		}
		if dm, ok := ev.(*bot.DirectMessage); ok {
			return []bot.Outbound{bot.Reply(fmt.Sprintf("Got your message (%d characters).", len(dm.Text)))}, nil
		}
		return nil, nil
	})
}

// event waits for the next subscriber event.
func (e *env) event() bot.Event {
	e.t.Helper()
	select {
	case ev := <-e.events:
		return ev
	case <-e.ctx.Done():
		e.t.Fatal("no event reached the subscriber")
	}
	return nil
}

// command runs /tend text and waits for an ephemeral answer to user that
// contains want.
func (e *env) command(user, channel, text, want string) fakeslack.Ephemeral {
	e.t.Helper()
	if _, err := e.fake.SlashCommand(e.ctx, user, channel, text); err != nil {
		e.t.Fatalf("/tend %s: %v", text, err)
	}
	return e.ephemeral(user, want)
}

func (e *env) ephemeral(user, want string) fakeslack.Ephemeral {
	e.t.Helper()
	got, err := e.fake.WaitEphemeral(e.ctx, user, func(m fakeslack.Ephemeral) bool {
		return strings.Contains(m.Text, want) || strings.Contains(string(m.Blocks), want)
	})
	if err != nil {
		e.t.Fatalf("no ephemeral answer to %s containing %q; saw %+v", user, want, e.fake.Ephemerals(user))
	}
	return got
}
