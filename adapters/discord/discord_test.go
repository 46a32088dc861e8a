package discord_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord"
	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

// world is one fake Discord guild with a real adapter, a real bot.Bot over a
// real store and a real Sender.
type world struct {
	fake    *discordtest.Server
	ad      *discord.Adapter
	db      *store.DB
	bot     *bot.Bot
	sender  *bot.Sender
	guild   string
	channel string // the group's text channel
	other   string // a second text channel
	voice   string
	stage   string
	role    string
	facil   string // a facilitator
	member  string // an ordinary member
	member2 string
	group   bot.Group

	mu     sync.Mutex
	events []bot.Event
	evCh   chan struct{}
	// release lets the "slow" command finish.
	release chan struct{}
}

type worldOpts struct {
	// inVoice puts member2 in the voice channel before the adapter
	// connects, so that the gateway reports it in GUILD_CREATE.
	inVoice    bool
	deferAfter time.Duration
	fake       discordtest.Config
	// rate, when set, paces the global limit to one request per
	// 1/rate, so that tests see requests wait their turn one by one.
	rate float64
	// apiURL replaces the fake's own API base, as written in a config.
	apiURL func(fake *discordtest.Server) string
	// tweak changes the adapter's configuration.
	tweak func(*discord.Config)
}

func newWorld(t *testing.T, o worldOpts) *world {
	t.Helper()
	fake := discordtest.New(t, o.fake)
	w := &world{fake: fake, evCh: make(chan struct{}, 1), release: make(chan struct{})}
	w.guild = fake.AddGuild("Peer support")
	w.channel = fake.AddChannel(w.guild, "tuesday", discordtest.ChannelText)
	w.other = fake.AddChannel(w.guild, "general", discordtest.ChannelText)
	w.voice = fake.AddChannel(w.guild, "Room", discordtest.ChannelVoice)
	w.stage = fake.AddChannel(w.guild, "Stage", discordtest.ChannelStage)
	w.role = fake.AddRole(w.guild, "agreed")
	w.facil = fake.AddUser("fran", false)
	w.member = fake.AddUser("sam", false)
	w.member2 = fake.AddUser("alex", false)
	for _, u := range []string{w.facil, w.member, w.member2} {
		fake.AddMember(w.guild, discordtest.Member{UserID: u})
	}
	if o.inVoice {
		fake.Voice(w.guild, w.member2, w.voice)
	} else {
		fake.Voice(w.guild, w.member2, "") // no-op before connect; keeps the map honest
	}

	w.db = storetest.Open(t)
	ctx := t.Context()
	g, err := w.db.CreateGroup(ctx, "discord:"+bot.Principal(w.facil), bot.Group{
		Name: "tuesday-support", Address: bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)},
		Guild: w.guild, Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "Europe/London", Privacy: bot.PrivacyStandard,
		Facilitators: []bot.Principal{bot.Principal("discord:" + w.facil)},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.group = g
	key, err := w.db.ActionKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := bot.NewActionCodec(key)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	apiURL := fake.APIURL()
	if o.apiURL != nil {
		apiURL = o.apiURL(fake)
	}
	cfg := discord.Config{
		Token: fake.Token(), ApplicationID: fake.AppID(), GuildIDs: []string{w.guild}, APIURL: apiURL,
		DeferAfter: o.deferAfter, Logger: log,
	}
	if o.rate > 0 {
		cfg.GlobalLimit, cfg.GlobalWindow = 1, bot.PerSecond(o.rate)
	}
	if o.tweak != nil {
		o.tweak(&cfg)
	}
	w.ad, err = discord.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.sender = bot.NewSender(w.db, codec, nil, log, w.ad)
	w.sender.ReportUnreachableTo([]bot.Principal{bot.Principal("discord:" + w.facil)})
	w.bot, err = bot.New(bot.Config{Groups: w.db, Codec: codec, Sender: w.sender, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	w.register(t)

	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.ad.Run(runCtx, w.bot) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel; want nil", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := fake.WaitConnected(wctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(wctx, "/tend registered", func() bool { return len(fake.Commands(w.guild)) == 1 }); err != nil {
		t.Fatal(err)
	}
	return w
}

type testWriter struct{ t *testing.T }

func (tw testWriter) Write(p []byte) (int, error) {
	tw.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// register adds the test feature: a facilitator command that posts a
// reminder-like message with RSVP buttons, an RSVP action that edits the
// count in place, a slow command, a form, and a subscriber that records
// events.
func (w *world) register(t *testing.T) {
	t.Helper()
	var mu sync.Mutex
	yes := map[bot.UserID]bool{}
	var posted bot.MessageRef
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	reminder := func(g bot.Group, n int) bot.Message {
		at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
		return bot.Message{
			Title:  "Session 1 of 8: Welcome",
			Text:   "Starts " + bot.Time(at, bot.TimeFull) + " (" + bot.Time(at, bot.TimeRelative) + ")",
			Fields: []bot.Field{{Name: "Coming", Value: fmt.Sprint(n), Inline: true}},
			Buttons: []bot.Button{
				{Label: "I'll be there", Style: bot.ButtonSuccess, Action: bot.Action{Name: "test.rsvp", Group: g.ID, Ref: "1"}},
				{Label: "Can't make it", Action: bot.Action{Name: "test.rsvp", Group: g.ID, Ref: "1-no"}},
			},
		}
	}
	must(w.bot.Register(bot.CommandSpec{
		Path: "session remind", Summary: "Post the reminder now", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
		Options: []bot.Option{{Name: "count", Type: bot.OptInt}, {Name: "who", Type: bot.OptUser}, {Name: "loud", Type: bot.OptBool}, {Name: "kind", Choices: []string{"a", "b"}}},
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			res, err := w.sender.Send(ctx, bot.Post("test-reminder/"+req.Arg("count"), req.Group.Address, reminder(*req.Group, 0)))
			if err != nil {
				return nil, err
			}
			mu.Lock()
			posted = res.Ref
			mu.Unlock()
			return []bot.Outbound{bot.Reply(fmt.Sprintf("Posted. count=%s who=%s loud=%s kind=%s", req.Arg("count"), req.Arg("who"), req.Arg("loud"), req.Arg("kind")))}, nil
		},
	}))
	must(w.bot.RegisterAction(bot.ActionSpec{Name: "test.rsvp", Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
		mu.Lock()
		yes[req.Actor.ID] = !strings.HasSuffix(req.Action.Ref, "-no")
		n := 0
		for _, v := range yes {
			if v {
				n++
			}
		}
		ref := posted
		mu.Unlock()
		if ev, ok := req.Event.(*bot.ButtonPress); ok && !ev.Message.IsZero() {
			ref = ev.Message
		}
		return []bot.Outbound{bot.Edit(ref, reminder(*req.Group, n)), bot.Reply("Thanks, noted.")}, nil
	}}))
	must(w.bot.Register(bot.CommandSpec{
		Path: "slow", Summary: "Takes its time", Group: bot.GroupNone,
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			select {
			case <-w.release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return []bot.Outbound{bot.Reply("slow answer")}, nil
		},
	}))
	must(w.bot.RegisterAction(bot.ActionSpec{Name: "test.slowpress", Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
		select {
		case <-w.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return []bot.Outbound{bot.Reply("slow press noted")}, nil
	}}))
	must(w.bot.Register(bot.CommandSpec{
		Path: "slowpublic", Summary: "Takes its time, then answers publicly", Group: bot.GroupNone,
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			select {
			case <-w.release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return []bot.Outbound{bot.PublicReply(bot.Message{Text: "public slow answer"})}, nil
		},
	}))
	csv := bot.File{Name: "tuesday-attendance.csv", ContentType: "text/csv; charset=utf-8", Data: []byte("member,status\r\nSam,present\r\n")}
	must(w.bot.Register(bot.CommandSpec{
		Path: "export", Summary: "A private file", Group: bot.GroupNone,
		Options: []bot.Option{{Name: "how", Choices: []string{"now", "slow", "second", "public"}}},
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			file := bot.ReplyFile(bot.Message{Title: "Your export", Text: "Attached, for you only."}, csv)
			switch req.Arg("how") {
			case "slow":
				select {
				case <-w.release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			case "second":
				return []bot.Outbound{bot.Reply("first part"), file}, nil
			case "public":
				p := bot.PublicReply(bot.Message{Text: "everyone sees this"})
				p.File = &csv
				return []bot.Outbound{p}, nil
			}
			return []bot.Outbound{file}, nil
		},
	}))
	must(w.bot.Register(bot.CommandSpec{
		Path: "norms edit", Summary: "Edit the agreements", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			return []bot.Outbound{{Kind: bot.OutModal, Modal: &bot.Modal{Title: "Agreements", Action: bot.Action{Name: "test.form", Group: req.Group.ID},
				Inputs: []bot.Input{{ID: "text", Label: "Agreements", Long: true, Required: true, MaxLen: 2000}}}}}, nil
		},
	}))
	must(w.bot.RegisterAction(bot.ActionSpec{Name: "test.form", Access: bot.AccessFacilitator, Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
		return []bot.Outbound{bot.Reply("saved " + req.Values["text"])}, nil
	}}))
	w.bot.Subscribe("record", func(ctx context.Context, ev bot.Event) ([]bot.Outbound, error) {
		w.mu.Lock()
		w.events = append(w.events, ev)
		w.mu.Unlock()
		select {
		case w.evCh <- struct{}{}:
		default:
		}
		if dm, ok := ev.(*bot.DirectMessage); ok && dm.Text == "hello" {
			return []bot.Outbound{bot.Reply("hi back")}, nil
		}
		return nil, nil
	})
}

// waitEvent waits for a recorded event matching match.
func (w *world) waitEvent(t *testing.T, what string, match func(bot.Event) bool) bot.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		w.mu.Lock()
		for _, e := range w.events {
			if match(e) {
				w.mu.Unlock()
				return e
			}
		}
		w.mu.Unlock()
		select {
		case <-w.evCh:
		case <-ctx.Done():
			t.Fatalf("no %s event", what)
		}
	}
}

// command runs /tend words… and waits for the interaction's answer.
func (w *world) command(t *testing.T, user string, words []string, args map[string]string) discordtest.Interaction {
	t.Helper()
	id, err := w.fake.Command(user, w.channel, "tend", words, args)
	if err != nil {
		t.Fatal(err)
	}
	return w.answered(t, id)
}

func (w *world) answered(t *testing.T, id string) discordtest.Interaction {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	it, err := w.fake.WaitAnswered(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if it.CallbackLate {
		t.Fatalf("interaction answered after Discord's deadline (%v)", it.CallbackAt.Sub(it.ArrivedAt))
	}
	return it
}

// replyTo returns the reply shown for interaction it, waiting for it.
func (w *world) replyTo(t *testing.T, it discordtest.Interaction) discordtest.Shown {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var got discordtest.Shown
	err := w.fake.WaitFor(ctx, "reply", func() bool {
		for _, s := range w.fake.Shown() {
			if s.Kind == "reply" && s.Channel == it.ChannelID && s.Message.InteractionID == it.ID && s.Message.Text() != "" {
				got = s
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestAdapter_HelpIsEphemeralAndCommandsMirrorTheCore(t *testing.T) {
	w := newWorld(t, worldOpts{})
	it := w.command(t, w.member, []string{"help"}, nil)
	if it.CallbackType != discordtest.CallbackMessage {
		t.Fatalf("callback type %d; want 4 (message)", it.CallbackType)
	}
	r := w.replyTo(t, it)
	if !r.Ephemeral || r.OnlyFor != w.member {
		t.Errorf("help reply ephemeral=%v onlyFor=%q; want ephemeral for %s", r.Ephemeral, r.OnlyFor, w.member)
	}
	if !strings.Contains(r.Message.Text(), "tend — what you can do here") {
		t.Errorf("help reply %q lacks the help title", r.Message.Text())
	}
	if strings.Contains(r.Message.Text(), "session remind") {
		t.Errorf("a member's help lists a facilitator command:\n%s", r.Message.Text())
	}

	cmds := w.fake.Commands(w.guild)
	if len(cmds) != 1 || cmds[0]["name"] != "tend" {
		t.Fatalf("registered %v; want one /tend", cmds)
	}
	names := map[string]string{}
	for _, o := range cmds[0]["options"].([]any) {
		m := o.(map[string]any)
		names[m["name"].(string)] = fmt.Sprint(m["type"])
	}
	want := map[string]string{"help": "1", "session": "2", "norms": "2", "slow": "1", "slowpublic": "1", "export": "1"}
	for k, v := range want {
		if names[k] != v {
			t.Errorf("/tend %s registered as type %q; want %s (1 subcommand, 2 group); all: %v", k, names[k], v, names)
		}
	}
}

func TestAdapter_TypedOptionsReachTheCore(t *testing.T) {
	w := newWorld(t, worldOpts{})
	it := w.command(t, w.facil, []string{"session", "remind"}, map[string]string{"count": "3", "who": w.member, "loud": "true", "kind": "b"})
	r := w.replyTo(t, it)
	want := fmt.Sprintf("Posted. count=3 who=%s loud=true kind=b", w.member)
	if r.Message.Text() != want {
		t.Errorf("reply %q; want %q", r.Message.Text(), want)
	}
}

func TestAdapter_ReminderEmbedButtonsAndRSVPEditInPlace(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.command(t, w.facil, []string{"session", "remind"}, map[string]string{"count": "1"})
	msgs := w.fake.Messages(w.channel)
	if len(msgs) != 1 {
		t.Fatalf("%d messages in the group channel; want the reminder only", len(msgs))
	}
	m := msgs[0]
	if len(m.Embeds) != 1 || m.Embeds[0].Title != "Session 1 of 8: Welcome" {
		t.Fatalf("reminder embeds %+v; want one titled embed", m.Embeds)
	}
	at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC).Unix()
	if want := fmt.Sprintf("Starts <t:%d:F> (<t:%d:R>)", at, at); m.Embeds[0].Description != want {
		t.Errorf("description %q; want %q", m.Embeds[0].Description, want)
	}
	if len(m.Embeds[0].Fields) != 1 || !m.Embeds[0].Fields[0].Inline || m.Embeds[0].Fields[0].Value != "0" {
		t.Errorf("fields %+v; want inline Coming: 0", m.Embeds[0].Fields)
	}
	if m.Nonce == "" || len(m.Nonce) > 25 {
		t.Errorf("nonce %q; want 1..25 characters from the outbox key", m.Nonce)
	}
	btns := m.Buttons()
	if len(btns) != 2 || btns[0].Label != "I'll be there" || btns[0].Style != 3 || len(btns[0].CustomID) > 100 || !strings.HasPrefix(btns[0].CustomID, "t2|") {
		t.Fatalf("buttons %+v; want two signed RSVP buttons", btns)
	}
	for i, u := range []string{w.member, w.member2} {
		id, err := w.fake.Press(u, m.ID, btns[0].CustomID)
		if err != nil {
			t.Fatal(err)
		}
		it := w.answered(t, id)
		if r := w.replyTo(t, it); !r.Ephemeral || r.Message.Text() != "Thanks, noted." {
			t.Errorf("press reply %+v; want an ephemeral thanks", r)
		}
		got, _ := w.fake.Message(m.ID)
		if got.Embeds[0].Fields[0].Value != fmt.Sprint(i+1) || got.Edits != i+1 {
			t.Errorf("after %d presses the count reads %q with %d edits; want %d edited in place", i+1, got.Embeds[0].Fields[0].Value, got.Edits, i+1)
		}
	}
	if n := len(w.fake.Messages(w.channel)); n != 1 {
		t.Errorf("%d messages in the channel after RSVPs; want 1 (edited, not reposted)", n)
	}

	// A crafted custom_id that names another group is refused by the core.
	crafted := strings.Replace(btns[0].CustomID, "|1|", "|2|", 1)
	crafted = "t1|test.rsvp|" + fmt.Sprint(w.group.ID+1) + "|1|AAAAAAAAAAAAAAAA"
	id, err := w.fake.Press(w.member, m.ID, crafted)
	if err != nil {
		t.Fatal(err)
	}
	r := w.replyTo(t, w.answered(t, id))
	if !r.Ephemeral || !strings.Contains(r.Message.Text(), "This button is not valid") {
		t.Errorf("crafted id answered %+v; want an ephemeral refusal", r)
	}
	if got, _ := w.fake.Message(m.ID); got.Edits != 2 {
		t.Errorf("crafted press edited the reminder (%d edits)", got.Edits)
	}
}

func TestAdapter_MemberRunningFacilitatorCommandIsRefused(t *testing.T) {
	w := newWorld(t, worldOpts{})
	r := w.replyTo(t, w.command(t, w.member, []string{"session", "remind"}, nil))
	if !r.Ephemeral || r.OnlyFor != w.member || !strings.Contains(r.Message.Text(), "Only facilitators of tuesday-support") {
		t.Errorf("refusal %+v; want an ephemeral reason for the member", r)
	}
	if n := len(w.fake.Messages(w.channel)); n != 0 {
		t.Errorf("a refused command posted %d messages", n)
	}
}

func TestAdapter_SlowHandlerIsDeferredThenCompleted(t *testing.T) {
	w := newWorld(t, worldOpts{deferAfter: 50 * time.Millisecond})
	id, err := w.fake.Command(w.member, w.channel, "tend", []string{"slow"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	it := w.answered(t, id)
	if it.CallbackType != discordtest.CallbackDeferred {
		t.Fatalf("callback type %d; want 5 (deferred) while the handler runs", it.CallbackType)
	}
	if !strings.Contains(string(it.Callback), `"flags":64`) {
		t.Errorf("deferred callback %s is not ephemeral", it.Callback)
	}
	close(w.release)
	r := w.replyTo(t, it)
	if r.Message.Text() != "slow answer" || !r.Ephemeral || r.OnlyFor != w.member {
		t.Errorf("deferred reply %+v; want the ephemeral answer", r)
	}
	if st := w.ad.Stats(); st.Deferred != 1 {
		t.Errorf("Deferred = %d; want 1", st.Deferred)
	}

	id, err = w.fake.Command(w.member, w.channel, "tend", []string{"slowpublic"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	it = w.answered(t, id)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := w.fake.WaitFor(ctx, "public follow-up", func() bool {
		for _, s := range w.fake.Shown() {
			if s.Kind == "reply" && s.Message.Text() == "public slow answer" && !s.Ephemeral {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
}

func TestAdapter_ModalOpensAndSubmits(t *testing.T) {
	w := newWorld(t, worldOpts{})
	it := w.command(t, w.facil, []string{"norms", "edit"}, nil)
	if it.CallbackType != discordtest.CallbackModal {
		t.Fatalf("callback type %d; want 9 (modal)", it.CallbackType)
	}
	var data struct {
		CustomID string `json:"custom_id"`
	}
	if err := jsonUnmarshal(it.Callback, &data); err != nil || !strings.HasPrefix(data.CustomID, "t2|test.form|") {
		t.Fatalf("modal custom_id %q (%v); want the sealed action", data.CustomID, err)
	}
	id, err := w.fake.SubmitModal(w.facil, w.channel, data.CustomID, map[string]string{"text": "be kind"})
	if err != nil {
		t.Fatal(err)
	}
	if r := w.replyTo(t, w.answered(t, id)); r.Message.Text() != "saved be kind" {
		t.Errorf("modal submit reply %q; want %q", r.Message.Text(), "saved be kind")
	}
}

func TestAdapter_InboundMemberVoiceAndDMEvents(t *testing.T) {
	w := newWorld(t, worldOpts{})
	newbie := w.fake.AddUser("newbie", false)
	w.fake.Join(w.guild, newbie, true)
	j := w.waitEvent(t, "member joined", func(e bot.Event) bool {
		mj, ok := e.(*bot.MemberJoined)
		return ok && mj.User.ID == bot.UserID(newbie)
	}).(*bot.MemberJoined)
	if !j.Pending || j.Guild != w.guild || j.Platform != bot.PlatformDiscord {
		t.Errorf("joined %+v; want pending in guild %s", j, w.guild)
	}
	w.fake.PassScreening(w.guild, newbie)
	w.waitEvent(t, "member passed screening", func(e bot.Event) bool {
		mu, ok := e.(*bot.MemberUpdated)
		return ok && mu.User.ID == bot.UserID(newbie) && !mu.Pending
	})
	w.fake.Voice(w.guild, w.member, w.voice)
	w.waitEvent(t, "voice joined", func(e bot.Event) bool {
		v, ok := e.(*bot.VoiceJoined)
		return ok && v.User.ID == bot.UserID(w.member) && v.Channel == bot.ChannelID(w.voice) && !v.At.IsZero()
	})
	w.fake.Voice(w.guild, w.member, w.stage)
	w.waitEvent(t, "voice left on move", func(e bot.Event) bool {
		v, ok := e.(*bot.VoiceLeft)
		return ok && v.User.ID == bot.UserID(w.member) && v.Channel == bot.ChannelID(w.voice)
	})
	w.waitEvent(t, "stage joined", func(e bot.Event) bool {
		v, ok := e.(*bot.VoiceJoined)
		return ok && v.Channel == bot.ChannelID(w.stage)
	})
	w.fake.Voice(w.guild, w.member, "")
	w.waitEvent(t, "stage left", func(e bot.Event) bool {
		v, ok := e.(*bot.VoiceLeft)
		return ok && v.Channel == bot.ChannelID(w.stage)
	})
	w.fake.Leave(w.guild, newbie)
	l := w.waitEvent(t, "member left", func(e bot.Event) bool {
		ml, ok := e.(*bot.MemberLeft)
		return ok && ml.User.ID == bot.UserID(newbie)
	}).(*bot.MemberLeft)
	if l.Guild != w.guild || l.Channel != "" || l.Platform != bot.PlatformDiscord || l.At.IsZero() {
		t.Errorf("left %+v; want guild %s set and no channel", l, w.guild)
	}

	// The bot's own DM and another bot's DM are dropped; a person's DM
	// arrives as a DirectMessage and its reply goes back privately.
	dm := w.fake.DMChannel(w.member)
	w.fake.UserMessage(w.fake.BotUserID(), dm, "from the bot itself")
	other := w.fake.AddUser("otherbot", true)
	w.fake.UserMessage(other, w.fake.DMChannel(other), "from another bot")
	w.fake.UserMessage(w.member, dm, "hello")
	d := w.waitEvent(t, "direct message", func(e bot.Event) bool { _, ok := e.(*bot.DirectMessage); return ok }).(*bot.DirectMessage)
	if d.Text != "hello" || !d.DM || d.User.ID != bot.UserID(w.member) || d.User.Bot {
		t.Errorf("direct message %+v; want sam's hello", d)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := w.fake.WaitFor(ctx, "DM reply", func() bool {
		for _, s := range w.fake.Shown() {
			if s.Kind == "dm" && s.Channel == dm && s.Message.Text() == "hi back" {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.events {
		if dm, ok := e.(*bot.DirectMessage); ok && dm.Text != "hello" {
			t.Errorf("a bot's message reached the core as a person's: %+v", dm)
		}
	}
}

func TestAdapter_RolesNeverGrantedWhilePending(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	newbie := w.fake.AddUser("newbie", false)
	w.fake.Join(w.guild, newbie, true)
	grant := bot.Outbound{Kind: bot.OutGrantRole, Guild: w.guild, User: bot.UserID(newbie), Role: bot.RoleID(w.role)}
	_, err := w.ad.Deliver(ctx, grant)
	if !errors.Is(err, bot.ErrUnreachable) || !errors.Is(err, bot.ErrScreening) {
		t.Fatalf("grant to a pending member: %v; want a permanent refusal that is bot.ErrScreening", err)
	}
	if m, _ := w.fake.Member(w.guild, newbie); len(m.Roles) != 0 {
		t.Fatalf("pending member got roles %v", m.Roles)
	}
	w.fake.PassScreening(w.guild, newbie)
	if _, err := w.ad.Deliver(ctx, grant); err != nil {
		t.Fatalf("grant after screening: %v", err)
	}
	if m, _ := w.fake.Member(w.guild, newbie); len(m.Roles) != 1 || m.Roles[0] != w.role {
		t.Fatalf("roles %v; want the granted role", m.Roles)
	}
	revoke := grant
	revoke.Kind = bot.OutRevokeRole
	if _, err := w.ad.Deliver(ctx, revoke); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if m, _ := w.fake.Member(w.guild, newbie); len(m.Roles) != 0 {
		t.Fatalf("roles %v after revoke; want none", m.Roles)
	}
	if _, err := w.ad.Deliver(ctx, bot.Outbound{Kind: bot.OutInvite, User: bot.UserID(newbie), To: bot.Address{Platform: "discord", Channel: bot.ChannelID(w.channel)}}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("invite: %v; want errors.ErrUnsupported", err)
	}
	// A role placed above the bot's own is refused for good (403, 50013),
	// and that is not rules screening.
	w.fake.PlaceRoleAboveBot(w.guild, w.role)
	_, err = w.ad.Deliver(ctx, grant)
	if !errors.Is(err, bot.ErrUnreachable) || errors.Is(err, bot.ErrScreening) {
		t.Fatalf("grant of a role above the bot's: %v; want a permanent refusal, not screening", err)
	}
	if m, _ := w.fake.Member(w.guild, newbie); len(m.Roles) != 0 {
		t.Fatalf("roles %v; the refused role was given", m.Roles)
	}
}

func TestAdapter_DMsClosedNeverFallBackToTheChannel(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	res, err := w.sender.Send(ctx, bot.DM("checkin/1/"+w.member, bot.PlatformDiscord, bot.UserID(w.member), bot.Message{Text: "How are you arriving?"}))
	if err != nil || res.Ref.ID == "" {
		t.Fatalf("DM: %v %+v", err, res)
	}
	w.fake.CloseDMs(w.member2)
	_, err = w.sender.Send(ctx, bot.DM("checkin/1/"+w.member2, bot.PlatformDiscord, bot.UserID(w.member2), bot.Message{Text: "How are you arriving?"}))
	if !errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("DM to closed DMs: %v; want ErrUnreachable", err)
	}
	for _, ch := range []string{w.channel, w.other} {
		if n := len(w.fake.Messages(ch)); n != 0 {
			t.Errorf("%d messages in guild channel %s after a failed DM; want none (no fallback)", n, ch)
		}
	}
	e, err := w.db.OutboxEntry(ctx, "checkin/1/"+w.member2)
	if err != nil || e.State != bot.OutboxFailed {
		t.Errorf("outbox %+v %v; want failed", e, err)
	}
}

func TestAdapter_ForbiddenChannelFailsFastAfterwards(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	w.fake.Forbid(w.other)
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.other)}
	_, err := w.ad.Deliver(ctx, bot.Post("k1", to, bot.Message{Text: "x"}))
	var pe *bot.PermanentError
	if !errors.As(err, &pe) {
		t.Fatalf("post to a 403 channel: %v; want a PermanentError", err)
	}
	before := len(w.fake.Requests())
	if _, err := w.ad.Deliver(ctx, bot.Post("k2", to, bot.Message{Text: "x"})); !errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("second post: %v; want unreachable", err)
	}
	if after := len(w.fake.Requests()); after != before {
		t.Errorf("the second post to an unreachable channel made %d requests; want 0 (fail fast)", after-before)
	}
	// Through the Sender, the owner is told privately, once.
	for _, key := range []string{"k4", "k5"} {
		if _, err := w.sender.Send(ctx, bot.Post(key, to, bot.Message{Text: "x"})); !errors.Is(err, bot.ErrUnreachable) {
			t.Fatalf("send to an unreachable channel: %v", err)
		}
	}
	told := 0
	for _, s := range w.fake.Shown() {
		if s.Kind == "dm" && s.OnlyFor == w.facil && strings.Contains(s.Message.Text(), "cannot post") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("owner told %d times about the unreachable channel; want once", told)
	}
	// Other channels are unaffected.
	if _, err := w.ad.Deliver(ctx, bot.Post("k3", bot.Address{Platform: "discord", Channel: bot.ChannelID(w.channel)}, bot.Message{Text: "x"})); err != nil {
		t.Fatal(err)
	}
}

func TestAdapter_NonceMakesARepeatHarmless(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
	out := bot.Post("reminder/7/24h", to, bot.Message{Title: "Reminder", Text: "tomorrow"})
	d1, err := w.ad.Deliver(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := w.ad.Deliver(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if d1.Ref != d2.Ref {
		t.Errorf("repeat returned %v; want the first message %v", d2.Ref, d1.Ref)
	}
	if n := len(w.fake.Messages(w.channel)); n != 1 {
		t.Errorf("%d messages; want 1", n)
	}
	if st := w.fake.Stats(); st.NonceDuplicate != 1 {
		t.Errorf("NonceDuplicate = %d; want 1", st.NonceDuplicate)
	}
}

func TestAdapter_PinAndEdit(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
	d, err := w.ad.Deliver(ctx, bot.Post("norms/1", to, bot.Message{Text: "plain text"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ad.Deliver(ctx, bot.Outbound{Kind: bot.OutPin, Ref: d.Ref}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ad.Deliver(ctx, bot.Edit(d.Ref, bot.Message{Title: "Agreements v2", Text: "now an embed"})); err != nil {
		t.Fatal(err)
	}
	m, _ := w.fake.Message(string(d.Ref.ID))
	if !m.Pinned || m.Content != "" || len(m.Embeds) != 1 || m.Embeds[0].Title != "Agreements v2" {
		t.Errorf("message %+v; want pinned, content cleared, one embed", m)
	}
	for range 2 { // unpinning what is not pinned succeeds
		if _, err := w.ad.Deliver(ctx, bot.Outbound{Kind: bot.OutUnpin, Ref: d.Ref}); err != nil {
			t.Fatal(err)
		}
	}
	if m, _ := w.fake.Message(string(d.Ref.ID)); m.Pinned {
		t.Errorf("message still pinned after unpin")
	}
	if inv := w.fake.Invalid(); len(inv) > 0 {
		t.Errorf("requests failing Discord's spec: %v", inv)
	}
	if _, err := w.ad.Deliver(ctx, bot.Edit(bot.MessageRef{Platform: "discord", Channel: bot.ChannelID(w.channel), ID: "1"}, bot.Message{Text: "x"})); !errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("edit of an unknown message: %v; want permanent", err)
	}
	// The channel is still reachable after an unknown message.
	if _, err := w.ad.Deliver(ctx, bot.Post("norms/2", to, bot.Message{Text: "still here"})); err != nil {
		t.Errorf("post after unknown-message edit: %v", err)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestAdapter_GroupAutocompleteAnswersInTime(t *testing.T) {
	w := newWorld(t, worldOpts{})
	id, err := w.fake.Autocomplete(w.facil, w.channel, "tend", []string{"session", "remind"}, "group", "Tuesday-Support")
	if err != nil {
		t.Fatal(err)
	}
	it := w.answered(t, id)
	if it.CallbackType != discordtest.CallbackAutocomplete || !strings.Contains(string(it.Callback), `"value":"tuesday-support"`) {
		t.Errorf("autocomplete answered type %d %s; want type 8 offering the typed name", it.CallbackType, it.Callback)
	}
}

func TestAdapter_BadTokenStopsRun(t *testing.T) {
	fake := discordtest.New(t, discordtest.Config{})
	ad, err := discord.New(discord.Config{Token: "wrong", ApplicationID: fake.AppID(), APIURL: fake.APIURL(),
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err = ad.Run(ctx, nil)
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "token was refused") {
		t.Fatalf("Run with a bad token: %v (ctx %v); want an error at once naming the token", err, ctx.Err())
	}
}

func TestNew_RefusesBadConfig(t *testing.T) {
	if _, err := discord.New(discord.Config{}); err == nil {
		t.Error("New without a token succeeded")
	}
	if _, err := discord.New(discord.Config{Token: "x", APIURL: "not a url"}); err == nil {
		t.Error("New with a relative api_url succeeded")
	}
}

func TestAdapter_SlowButtonPressIsDeferredThenFollowedUp(t *testing.T) {
	w := newWorld(t, worldOpts{deferAfter: 50 * time.Millisecond})
	ctx := t.Context()
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
	res, err := w.sender.Send(ctx, bot.Post("slowpress", to, bot.Message{Text: "press me",
		Buttons: []bot.Button{{Label: "Go", Action: bot.Action{Name: "test.slowpress", Group: w.group.ID}}}}))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := w.fake.Message(string(res.Ref.ID))
	id, err := w.fake.Press(w.member, m.ID, m.Buttons()[0].CustomID)
	if err != nil {
		t.Fatal(err)
	}
	it := w.answered(t, id)
	if it.CallbackType != discordtest.CallbackDeferredUpdate {
		t.Fatalf("callback type %d; want 6 (deferred update) while the handler runs", it.CallbackType)
	}
	close(w.release)
	r := w.replyTo(t, it)
	if r.Message.Text() != "slow press noted" || !r.Ephemeral || r.OnlyFor != w.member {
		t.Errorf("follow-up %+v; want the ephemeral answer for the member", r)
	}
}

func TestAdapter_RunStopsWhileTheSocketIsDown(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.fake.DropSocket()
	// The world's cleanup cancels Run now, while the adapter is between
	// sockets, and fails the test unless Run returns nil promptly.
}

func TestAdapter_RejectedPostLeavesTheChannelUsable(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
	w.fake.RejectCreates(w.channel, 1)
	_, err := w.sender.Send(ctx, bot.Post("reminder/40/24h", to, bot.Message{Title: "Reminder", Text: "tomorrow"}))
	if !errors.Is(err, bot.ErrRejected) || errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("post answered 400: %v; want ErrRejected and not ErrUnreachable", err)
	}
	e, err := w.db.OutboxEntry(ctx, "reminder/40/24h")
	if err != nil || e.State != bot.OutboxFailed || !strings.Contains(e.Error, "400") {
		t.Errorf("outbox %+v %v; want failed with the refusal", e, err)
	}
	// The next post to that channel goes out: the channel was not marked.
	res, err := w.sender.Send(ctx, bot.Post("reminder/41/24h", to, bot.Message{Title: "Reminder", Text: "next week"}))
	if err != nil || res.Ref.ID == "" {
		t.Fatalf("the next post to the channel: %+v %v", res, err)
	}
	var rejected, unreachable int
	for _, s := range w.fake.Shown() {
		if s.Kind != "dm" || s.OnlyFor != w.facil {
			continue
		}
		switch txt := s.Message.Text(); {
		case strings.Contains(txt, "refused as invalid") && strings.Contains(txt, "reminder/40/24h"):
			rejected++
		case strings.Contains(txt, "cannot post"):
			unreachable++
		}
	}
	if rejected != 1 || unreachable != 0 {
		t.Errorf("owner got %d rejected and %d unreachable notices; want one rejected notice only", rejected, unreachable)
	}
}

func TestAdapter_LongEmbedFitsDiscordsTotalLimit(t *testing.T) {
	w := newWorld(t, worldOpts{})
	m := bot.Message{Title: "Session notes", Text: strings.Repeat("Long notes. ", 400), Footer: strings.Repeat("f", 300)}
	for i := range 25 {
		m.Fields = append(m.Fields, bot.Field{Name: fmt.Sprintf("Part %d", i), Value: strings.Repeat("v", 1024)})
	}
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
	if _, err := w.sender.Send(t.Context(), bot.Post("notes/1", to, m)); err != nil {
		t.Fatalf("a long embed was refused: %v; the adapter must keep within Discord's 6000 characters", err)
	}
	msgs := w.fake.Messages(w.channel)
	if len(msgs) != 1 || len(msgs[0].Embeds) != 1 || msgs[0].Embeds[0].Title != "Session notes" {
		t.Fatalf("messages %+v; want the embed with its title", msgs)
	}
}

func TestAdapter_APIURLWithAVersionWorks(t *testing.T) {
	for _, suffix := range []string{"/v10", "/v9/", "/"} {
		t.Run(strings.Trim(suffix, "/")+"Slash", func(t *testing.T) {
			w := newWorld(t, worldOpts{apiURL: func(f *discordtest.Server) string { return f.APIURL() + suffix }})
			to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
			if _, err := w.ad.Deliver(t.Context(), bot.Post("v/1", to, bot.Message{Text: "hello"})); err != nil {
				t.Fatalf("post with api_url %q: %v", w.fake.APIURL()+suffix, err)
			}
		})
	}
}

func TestAdapter_WrongAPIURLStopsRunWithAConfigError(t *testing.T) {
	fake := discordtest.New(t, discordtest.Config{})
	wrong := strings.TrimSuffix(fake.APIURL(), "/api") + "/discord-api"
	ad, err := discord.New(discord.Config{Token: fake.Token(), ApplicationID: fake.AppID(), APIURL: wrong,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err = ad.Run(ctx, nil)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("Run with an api_url whose gateway lookup is 404: %v (ctx %v); want an error at once", err, ctx.Err())
	}
	if !errors.Is(err, discord.ErrConfig) || !strings.Contains(err.Error(), "discord.api_url") || !strings.Contains(err.Error(), wrong) {
		t.Errorf("error %q; want a configuration error naming discord.api_url and its value", err)
	}
}

// TestAdapter_VoiceMembers: who is in a voice channel comes from the
// gateway — someone already there when the adapter connects (GUILD_CREATE),
// then joins, moves and leaves — and never lists a bot.
func TestAdapter_VoiceMembers(t *testing.T) {
	w := newWorld(t, worldOpts{inVoice: true})
	ctx := t.Context()
	in := func(ch string) []bot.UserID {
		t.Helper()
		got, err := w.ad.VoiceMembers(ctx, bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(ch)})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := in(w.voice); !slices.Equal(got, []bot.UserID{bot.UserID(w.member2)}) {
		t.Fatalf("at connect: %v; want member2, there before tend connected", got)
	}
	musicBot := w.fake.AddUser("musicbot", true)
	w.fake.AddMember(w.guild, discordtest.Member{UserID: musicBot})
	w.fake.Voice(w.guild, musicBot, w.voice)
	w.fake.Voice(w.guild, w.member, w.voice)
	w.waitEvent(t, "member joined voice", func(e bot.Event) bool {
		v, ok := e.(*bot.VoiceJoined)
		return ok && v.User.ID == bot.UserID(w.member)
	})
	want := []bot.UserID{bot.UserID(w.member), bot.UserID(w.member2)}
	slices.Sort(want)
	if got := in(w.voice); !slices.Equal(got, want) {
		t.Fatalf("after a join: %v; want %v (no bot)", got, want)
	}
	w.fake.Voice(w.guild, w.member2, w.stage)
	w.waitEvent(t, "member2 moved to the stage", func(e bot.Event) bool {
		v, ok := e.(*bot.VoiceJoined)
		return ok && v.User.ID == bot.UserID(w.member2) && v.Channel == bot.ChannelID(w.stage)
	})
	if got := in(w.voice); !slices.Equal(got, []bot.UserID{bot.UserID(w.member)}) {
		t.Fatalf("after a move: %v; want member only", got)
	}
	if got := in(w.stage); !slices.Equal(got, []bot.UserID{bot.UserID(w.member2)}) {
		t.Fatalf("the stage after a move: %v; want member2", got)
	}
	w.fake.Voice(w.guild, w.member, "")
	w.waitEvent(t, "member left voice", func(e bot.Event) bool {
		v, ok := e.(*bot.VoiceLeft)
		return ok && v.User.ID == bot.UserID(w.member) && v.Channel == bot.ChannelID(w.voice)
	})
	if got := in(w.voice); len(got) != 0 {
		t.Fatalf("after the last left: %v; want nobody", got)
	}
}

// TestAdapter_PrivateFileOnAReply: a file with a private reply reaches
// Discord as an upload (multipart, validated against the spec) attached to
// the ephemeral message only the person who acted sees — in the callback,
// in the edit of a deferred answer, and in a follow-up — and a file with a
// public reply is not sent at all.
func TestAdapter_PrivateFileOnAReply(t *testing.T) {
	w := newWorld(t, worldOpts{deferAfter: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	withFile := func(what string, it discordtest.Interaction) discordtest.Shown {
		t.Helper()
		var got discordtest.Shown
		if err := w.fake.WaitFor(ctx, what, func() bool {
			for _, s := range w.fake.Shown() {
				if s.Kind == "reply" && s.Message.InteractionID == it.ID && len(s.Message.Attachments) > 0 {
					got = s
					return true
				}
			}
			return false
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	check := func(what string, s discordtest.Shown) {
		t.Helper()
		a := s.Message.Attachments
		if !s.Ephemeral || s.OnlyFor != w.member || len(a) != 1 || a[0].Filename != "tuesday-attendance.csv" ||
			a[0].ContentType != "text/csv; charset=utf-8" || string(a[0].Data) != "member,status\r\nSam,present\r\n" {
			t.Errorf("%s: shown %+v; want the CSV attached to an ephemeral reply for %s", what, s, w.member)
		}
	}
	it := w.command(t, w.member, []string{"export"}, map[string]string{"how": "now"})
	if it.CallbackType != discordtest.CallbackMessage {
		t.Fatalf("callback type %d; want 4", it.CallbackType)
	}
	check("callback", withFile("the file in the callback", it))

	id, err := w.fake.Command(w.member, w.channel, "tend", []string{"export"}, map[string]string{"how": "slow"})
	if err != nil {
		t.Fatal(err)
	}
	it = w.answered(t, id)
	if it.CallbackType != discordtest.CallbackDeferred {
		t.Fatalf("callback type %d; want 5 (deferred)", it.CallbackType)
	}
	close(w.release)
	check("deferred", withFile("the file in the deferred answer", it))

	it = w.command(t, w.member, []string{"export"}, map[string]string{"how": "second"})
	check("follow-up", withFile("the file in a follow-up", it))

	it = w.command(t, w.member, []string{"export"}, map[string]string{"how": "public"})
	w.replyTo(t, it)
	for _, s := range w.fake.Shown() {
		if s.Message.InteractionID == it.ID && len(s.Message.Attachments) > 0 {
			t.Errorf("a file went with a public reply: %+v", s)
		}
	}
	if inv := w.fake.Stats().Invalid; inv != 0 {
		t.Errorf("%d requests failed Discord's spec", inv)
	}
}
