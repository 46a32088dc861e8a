package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// recHandler records events and answers with reply.
type recHandler struct {
	events chan bot.Event
	reply  func(bot.Event) []bot.Outbound
}

func (h *recHandler) Handle(ctx context.Context, ev bot.Event) []bot.Outbound {
	select {
	case h.events <- ev:
	case <-ctx.Done():
		return nil
	}
	if h.reply != nil {
		return h.reply(ev)
	}
	return nil
}

func (h *recHandler) Commands() []bot.CommandSpec { return nil }

// live is a console running over a pipe.
type live struct {
	t     *testing.T
	ctx   context.Context
	a     *Adapter
	in    *pipeInput
	out   *syncBuffer
	h     *recHandler
	clock *bottest.Clock
	done  chan error
}

func startLive(t *testing.T, reply func(bot.Event) []bot.Outbound, tweak func(*Config)) *live {
	t.Helper()
	// Not t.Context: it is cancelled before cleanups run, and the cleanup
	// checks that Run returns at end of input.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
	l := &live{t: t, ctx: ctx, in: newPipeInput(t), out: &syncBuffer{}, clock: bottest.NewClock(t0), done: make(chan error, 1)}
	cfg := Config{In: l.in.r, Out: l.out, Location: time.UTC, Clock: l.clock, Channels: []bot.ChannelID{"group-a"}, Logger: slog.New(slog.DiscardHandler)}
	if tweak != nil {
		tweak(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.a = a
	l.h = &recHandler{events: make(chan bot.Event, 64), reply: reply}
	go func() { l.done <- a.Run(ctx, l.h) }()
	t.Cleanup(func() {
		l.in.w.Close()
		select {
		case err := <-l.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-ctx.Done():
			t.Error("Run did not return at end of input")
		}
		cancel()
		a.readers.Wait()
		if t.Failed() {
			t.Logf("console output:\n%s", l.out.String())
		}
	})
	return l
}

func (l *live) send(lines ...string) {
	l.t.Helper()
	if err := l.in.send(l.ctx, lines...); err != nil {
		l.t.Fatal(err)
	}
}

func (l *live) event() bot.Event {
	l.t.Helper()
	select {
	case ev := <-l.h.events:
		return ev
	case <-l.ctx.Done():
		l.t.Fatal("no event reached the handler")
	}
	return nil
}

// sync sends a marker command and waits for it, so that every earlier line
// has been handled; it fails if another event came first.
func (l *live) sync() {
	l.t.Helper()
	l.send("/tend sync")
	ev := l.event()
	if c, ok := ev.(*bot.Command); !ok || len(c.Words) != 1 || c.Words[0] != "sync" {
		l.t.Fatalf("got %T %+v before the sync marker; want nothing", ev, ev)
	}
}

func (l *live) deliver(out bot.Outbound) bot.Delivered {
	l.t.Helper()
	d, err := l.a.Deliver(l.ctx, out)
	if err != nil {
		l.t.Fatalf("Deliver %s: %v", out.Kind, err)
	}
	return d
}

func choices(labels ...string) []bot.Button {
	var bs []bot.Button
	for _, l := range labels {
		bs = append(bs, bot.Button{Label: l, ID: "id-" + l})
	}
	return bs
}

func TestClickOnOlderMessage(t *testing.T) {
	l := startLive(t, nil, nil)
	to := bot.Address{Platform: bot.PlatformConsole, Channel: "group-a"}
	first := l.deliver(bot.Post("k1", to, bot.Message{Text: "Week 1", Buttons: choices("yes1", "no1")}))
	second := l.deliver(bot.Post("k2", to, bot.Message{Text: "Week 2", Buttons: choices("yes2", "no2")}))
	if !strings.Contains(l.out.String(), "[3] yes2  [4] no2") {
		t.Fatalf("second message's choices are not numbered on from the first's:\n%s", l.out.String())
	}
	l.send("/as sam", "/click 2", "/click [3]")
	for i, want := range []struct {
		ref bot.MessageRef
		id  string
	}{{first.Ref, "id-no1"}, {second.Ref, "id-yes2"}} {
		bp, ok := l.event().(*bot.ButtonPress)
		if !ok {
			t.Fatalf("press %d: not a ButtonPress", i)
		}
		if bp.Message != want.ref || bp.ID != want.id || bp.User.ID != "sam" || bp.Channel != "group-a" {
			t.Errorf("press %d = %+v on %+v; want %s on %+v by sam", i, bp.ID, bp.Message, want.id, want.ref)
		}
	}
}

func TestAsSwitchesWhoIsTyping(t *testing.T) {
	l := startLive(t, nil, func(c *Config) { c.DefaultUser = "ana" })
	l.send("/tend one", "/as sam", "/tend two", "/as @kim", "/in #group-b", "/tend three", "/as bad name!", "/tend four")
	want := []struct {
		user bot.UserID
		ch   bot.ChannelID
	}{{"ana", "console"}, {"sam", "console"}, {"kim", "group-b"}, {"kim", "group-b"}}
	for i, w := range want {
		c, ok := l.event().(*bot.Command)
		if !ok {
			t.Fatalf("event %d is not a command", i)
		}
		wantUser := bot.User{Platform: bot.PlatformConsole, ID: w.user, Name: string(w.user)}
		if !slices.Equal([]string{c.User.Platform, string(c.User.ID), c.User.Name}, []string{wantUser.Platform, string(wantUser.ID), wantUser.Name}) || c.Channel != w.ch || c.Platform != bot.PlatformConsole {
			t.Errorf("event %d from %+v in %s; want %s in %s", i, c.User, c.Channel, w.user, w.ch)
		}
	}
	if !strings.Contains(l.out.String(), "Cannot type as that") {
		t.Errorf("a bad name was not refused with a reason:\n%s", l.out.String())
	}
	// group-b is known now, so the bot can post there.
	l.deliver(bot.Post("k", bot.Address{Platform: bot.PlatformConsole, Channel: "group-b"}, bot.Message{Text: "hello b"}))
}

func TestEndOfInputReturnsNilAfterLastLine(t *testing.T) {
	var mu sync.Mutex
	var got []string
	h := &funcHandler{fn: func(ev bot.Event) []bot.Outbound {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := ev.(*bot.Command); ok {
			got = append(got, strings.Join(c.Words, " "))
		}
		return []bot.Outbound{bot.Reply("ok")}
	}}
	out := &syncBuffer{}
	a, err := New(Config{In: strings.NewReader("/tend first\n\n/tend last"), Out: out, Clock: bottest.NewClock(t0), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := a.Run(ctx, h); err != nil {
		t.Fatalf("Run at end of input = %v; want nil", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Run returned on its deadline, not at end of input")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, []string{"first", "last"}) {
		t.Errorf("handled %q; want first and last (without a final newline)", got)
	}
	if n := strings.Count(out.String(), "(only owner sees this) ok"); n != 2 {
		t.Errorf("%d replies shown; want 2:\n%s", n, out.String())
	}
	a.readers.Wait()
}

type funcHandler struct {
	fn func(bot.Event) []bot.Outbound
}

func (h *funcHandler) Handle(_ context.Context, ev bot.Event) []bot.Outbound { return h.fn(ev) }
func (h *funcHandler) Commands() []bot.CommandSpec                           { return nil }

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadErrorIsReturned(t *testing.T) {
	a, err := New(Config{In: failingReader{}, Out: io.Discard, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Run(t.Context(), &funcHandler{fn: func(bot.Event) []bot.Outbound { return nil }})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Run = %v; want the read error", err)
	}
	a.readers.Wait()
}

func TestConcurrentDeliverDuringRun(t *testing.T) {
	l := startLive(t, func(ev bot.Event) []bot.Outbound {
		if c, ok := ev.(*bot.Command); ok && c.Words[0] == "sync" {
			return nil
		}
		return []bot.Outbound{bot.Reply("reply line")}
	}, nil)
	to := bot.Address{Platform: bot.PlatformConsole, Channel: "group-a"}
	const workers, each = 4, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if _, err := l.a.Deliver(l.ctx, bot.Post(fmt.Sprint(w, i), to, bot.Message{Title: fmt.Sprintf("post %d-%d", w, i), Text: "body"})); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range 20 {
		l.send(fmt.Sprintf("/tend cmd%d", i))
	}
	wg.Wait()
	for range 20 {
		l.event()
	}
	l.sync()
	// Every post is whole: its header, title and body on consecutive lines.
	lines := strings.Split(l.out.String(), "\n")
	posts := 0
	for i, line := range lines {
		if strings.HasPrefix(line, "message #") && strings.HasSuffix(line, " in #group-a:") {
			posts++
			if i+2 >= len(lines) || !strings.HasPrefix(lines[i+1], "  post ") || lines[i+2] != "  body" {
				t.Fatalf("post at line %d is interleaved: %q", i, lines[i:min(i+3, len(lines))])
			}
		}
	}
	if posts != workers*each {
		t.Errorf("%d posts shown; want %d", posts, workers*each)
	}
	if n := strings.Count(l.out.String(), "(only owner sees this) reply line\n"); n != 20 {
		t.Errorf("%d replies shown whole; want 20", n)
	}
}

func TestPrivateChoicesOnlyForTheirReader(t *testing.T) {
	l := startLive(t, func(ev bot.Event) []bot.Outbound {
		if c, ok := ev.(*bot.Command); ok && c.Words[0] == "ask" {
			return []bot.Outbound{bot.ReplyMessage(bot.Message{Text: "How are you?", Buttons: choices("fine", "low")})}
		}
		return nil
	}, nil)
	l.send("/as sam", "/tend ask")
	l.event()
	l.sync() // the reply to ask is shown
	d := l.deliver(bot.DM("dm1", bot.PlatformConsole, "sam", bot.Message{Text: "Private", Buttons: choices("open")}))
	if d.Ref.Channel != "dm-sam" {
		t.Errorf("DM ref %+v; want the dm-sam channel", d.Ref)
	}
	l.send("/as kim", "/click 1", "/click 3")
	l.sync()
	out := l.out.String()
	if !strings.Contains(out, "Choice [1] is on a message only sam can see. Type /as sam") ||
		!strings.Contains(out, "Choice [3] is on a message only sam can see") {
		t.Errorf("kim pressed sam's private choices without a refusal:\n%s", out)
	}
	l.send("/as sam", "/click 2", "/click 3")
	bp := l.event().(*bot.ButtonPress)
	if bp.ID != "id-low" || bp.User.ID != "sam" {
		t.Errorf("press = %+v; want sam pressing low", bp)
	}
	bp = l.event().(*bot.ButtonPress)
	if bp.ID != "id-open" || !bp.DM || bp.Message != d.Ref {
		t.Errorf("press on the DM = %+v; want a DM press on %+v", bp, d.Ref)
	}
}

func TestEditKeepsChoiceNumbersAndRetiresRemoved(t *testing.T) {
	l := startLive(t, nil, nil)
	to := bot.Address{Platform: bot.PlatformConsole, Channel: "group-a"}
	d := l.deliver(bot.Post("k", to, bot.Message{Text: "Who's coming?", Buttons: choices("yes", "no")}))
	l.deliver(bot.Edit(d.Ref, bot.Message{Text: "Who's coming? (2 so far)", Buttons: choices("no", "maybe")}))
	out := l.out.String()
	if !strings.Contains(out, "✎ message #1 now reads:\n  Who's coming? (2 so far)\n  [2] no  [3] maybe\n") {
		t.Fatalf("edit not shown in place with stable numbers:\n%s", out)
	}
	l.send("/click 1", "/click 2")
	bp := l.event().(*bot.ButtonPress)
	if bp.ID != "id-no" {
		t.Errorf("press = %q; want id-no (choice [1] was removed)", bp.ID)
	}
	if !strings.Contains(l.out.String(), "Choice [1] was taken off message #1 when it changed") {
		t.Errorf("removed choice pressed without a refusal:\n%s", l.out.String())
	}
	ghost := bot.MessageRef{Platform: bot.PlatformConsole, Channel: "group-a", ID: "99"}
	if _, err := l.a.Deliver(l.ctx, bot.Edit(ghost, bot.Message{Text: "x"})); !errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("edit of an unknown message = %v; want ErrUnreachable", err)
	}
	if _, err := l.a.Deliver(l.ctx, bot.Outbound{Kind: bot.OutPin, Ref: d.Ref}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(l.out.String(), "📌 message #1 in #group-a is pinned") {
		t.Errorf("pin not shown:\n%s", l.out.String())
	}
}

func TestFormSubmit(t *testing.T) {
	modal := &bot.Modal{Title: "Check-in", ID: "modal-1", Inputs: []bot.Input{
		{ID: "mood", Label: "How are you?", Required: true, MaxLen: 20},
		{ID: "note", Label: "Anything else", Long: true},
	}}
	l := startLive(t, func(ev bot.Event) []bot.Outbound {
		if _, ok := ev.(*bot.Command); ok {
			return []bot.Outbound{{Kind: bot.OutModal, Modal: modal}}
		}
		return nil
	}, nil)
	l.send("/as sam", "/in group-a", "/tend checkin")
	l.event()
	l.send("/submit note:hi", `/submit mood:"a bit tired" colour:blue`, `/submit mood:"much too long for this field"`, `/submit mood:"a bit tired"`)
	ms, ok := l.event().(*bot.ModalSubmit)
	if !ok {
		t.Fatal("not a ModalSubmit")
	}
	if ms.ID != "modal-1" || ms.Values["mood"] != "a bit tired" || ms.User.ID != "sam" || ms.Channel != "group-a" {
		t.Errorf("submit = %+v", ms)
	}
	l.send("/submit mood:again")
	l.sync()
	out := l.out.String()
	for _, want := range []string{
		"(only sam sees this) form: Check-in",
		"The form needs mood (How are you?)",
		`The form "Check-in" has no field "colour"`,
		"mood is longer than 20 characters",
		"sam has no open form",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTimesShownInLocationWithRelative(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	l := startLive(t, nil, func(c *Config) { c.Location = ny })
	at := t0.Add(26 * time.Hour) // Wednesday 18:00 UTC, 13:00 in New York
	to := bot.Address{Platform: bot.PlatformConsole, Channel: "group-a"}
	l.deliver(bot.Post("k1", to, bot.Message{Text: "Starts " + bot.Time(at, bot.TimeFull)}))
	l.deliver(bot.Post("k2", to, bot.Message{Text: "Starts " + bot.Time(at, bot.TimeShort) + ", " + bot.Time(at, bot.TimeRelative)}))
	l.clock.Advance(27 * time.Hour)
	l.deliver(bot.Post("k3", to, bot.Message{Text: "Was " + bot.Time(at, bot.TimeClock)}))
	out := l.out.String()
	for _, want := range []string{
		"Starts Wednesday, 2 December 2026 13:00 EST (in 26 hours)",
		"Starts 2 December 2026 13:00 EST, in 26 hours\n",
		"Was 13:00 EST (1 hour ago)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestOutputCannotControlTheTerminal(t *testing.T) {
	l := startLive(t, nil, nil)
	to := bot.Address{Platform: bot.PlatformConsole, Channel: "group-a"}
	l.deliver(bot.Post("k", to, bot.Message{Title: "topic \x1b[2J\x1b[31mred\u202e", Text: "ok\rover"}))
	l.send("/tend x\x1b[31m")
	c := l.event().(*bot.Command)
	if c.Words[0] != "x[31m" {
		t.Errorf("escape reached the handler: %q", c.Words)
	}
	out := l.out.String()
	if strings.ContainsAny(out, "\x1b\r\u202e") {
		t.Errorf("output holds control characters: %q", out)
	}
}

func TestDeliverUnknownChannelAndAddChannels(t *testing.T) {
	l := startLive(t, nil, nil)
	to := bot.Address{Platform: bot.PlatformConsole, Channel: "later"}
	_, err := l.a.Deliver(l.ctx, bot.Post("k", to, bot.Message{Text: "x"}))
	var pe *bot.PermanentError
	if !errors.As(err, &pe) || !errors.Is(err, bot.ErrUnreachable) || !strings.Contains(err.Error(), "/in later") {
		t.Fatalf("Deliver to an unknown channel = %v; want a PermanentError saying what to do", err)
	}
	if err := l.a.AddChannels("#later"); err != nil {
		t.Fatal(err)
	}
	l.deliver(bot.Post("k", to, bot.Message{Text: "x"}))
	if err := l.a.AddChannels("bad channel"); err == nil {
		t.Error("AddChannels accepted a name with a space")
	}
	if _, err := l.a.Deliver(l.ctx, bot.Reply("x")); err == nil {
		t.Error("Deliver of a reply succeeded")
	}
}

func TestSecondRunRefused(t *testing.T) {
	l := startLive(t, nil, nil)
	l.sync() // Run is reading
	if err := l.a.Run(l.ctx, l.h); err == nil {
		t.Fatal("a second concurrent Run was accepted")
	}
}

func TestChannelInspectorAndLeave(t *testing.T) {
	l := startLive(t, nil, nil)
	at := func(ch string) bot.Address {
		return bot.Address{Platform: bot.PlatformConsole, Channel: bot.ChannelID(ch)}
	}
	members := func(ch string) []string {
		l.t.Helper()
		us, err := l.a.ChannelMembers(l.ctx, at(ch))
		if err != nil {
			l.t.Fatalf("ChannelMembers(%s): %v", ch, err)
		}
		var out []string
		for _, u := range us {
			out = append(out, string(u.ID))
		}
		return out
	}
	in := func(ch string, u bot.UserID) bool {
		l.t.Helper()
		ok, err := l.a.InChannel(l.ctx, at(ch), u)
		if err != nil {
			l.t.Fatalf("InChannel(%s, %s): %v", ch, u, err)
		}
		return ok
	}
	// The default user is in every channel; nobody else yet.
	if got := members("group-a"); !slices.Equal(got, []string{DefaultUser}) {
		t.Fatalf("members of #group-a = %v; want only %s", got, DefaultUser)
	}
	if in("group-a", "sam") {
		t.Fatal("sam is in #group-a before typing there")
	}
	// Typing a command in a channel makes one of its members; moving there
	// alone does not, and the bot's own account never is.
	l.send("/as sam", "/in group-a", "/as kim", "/in group-a", "/tend hello", "/as tend", "/tend hello", "/as kim")
	if c, ok := l.event().(*bot.Command); !ok || c.User.ID != "kim" {
		t.Fatalf("event %+v; want kim's command", c)
	}
	l.sync()
	if got := members("group-a"); !slices.Equal(got, []string{"kim", DefaultUser}) {
		t.Errorf("members of #group-a = %v; want kim and %s", got, DefaultUser)
	}
	if in("group-a", "sam") || in("group-a", "tend") || !in("group-a", "kim") {
		t.Error("InChannel disagrees with who typed in #group-a")
	}
	// /leave takes the person typing out of the current channel and tells
	// the core.
	l.send("/leave")
	ev := l.event()
	left, ok := ev.(*bot.MemberLeft)
	if !ok || left.User.ID != "kim" || left.Channel != "group-a" || left.Platform != bot.PlatformConsole || !left.At.Equal(t0) {
		t.Fatalf("event %#v; want kim leaving #group-a at the clock's time", ev)
	}
	if in("group-a", "kim") {
		t.Error("kim is still in #group-a after /leave")
	}
	// Leaving again is refused without an event (sync fails otherwise);
	// the default user may leave too.
	l.send("/leave", "/as owner", "/leave")
	if ev, ok := l.event().(*bot.MemberLeft); !ok || ev.User.ID != DefaultUser {
		t.Fatalf("event %+v; want the owner leaving", ev)
	}
	l.sync() // owner typed /tend sync in #group-a: back in it
	if got := members("group-a"); !slices.Equal(got, []string{DefaultUser}) {
		t.Errorf("members of #group-a = %v; want the owner, who typed there again", got)
	}
	if !strings.Contains(l.out.String(), "kim is not in #group-a.") {
		t.Errorf("the second /leave was not refused:\n%s", l.out.String())
	}
	// Every channel is private; an unknown one cannot be inspected; a DM
	// channel holds its person.
	for _, ch := range []string{"group-a", DefaultChannel} {
		if p, err := l.a.ChannelPrivate(l.ctx, at(ch)); err != nil || !p {
			t.Errorf("ChannelPrivate(%s) = %v, %v; want true", ch, p, err)
		}
	}
	if _, err := l.a.ChannelPrivate(l.ctx, at("nowhere")); !errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("ChannelPrivate(unknown) = %v; want ErrUnreachable", err)
	}
	if !in("dm-sam", "sam") || in("dm-sam", "kim") {
		t.Error("a DM channel should hold its person only")
	}
}

// TestJoin: /join brings the person typing into a channel as a newcomer
// (a bot.MemberJoined there), moves them to it, and is refused, without an
// event, for someone already in it or for the bot's own account.
func TestJoin(t *testing.T) {
	l := startLive(t, nil, nil)
	l.send("/as sam", "/join #lobby")
	ev := l.event()
	joined, ok := ev.(*bot.MemberJoined)
	if !ok || joined.User.ID != "sam" || joined.Channel != "lobby" || joined.DM || joined.Pending || !joined.At.Equal(t0) {
		t.Fatalf("event %#v; want sam joining #lobby at the clock's time", ev)
	}
	in, err := l.a.InChannel(l.ctx, bot.Address{Platform: bot.PlatformConsole, Channel: "lobby"}, "sam")
	if err != nil || !in {
		t.Fatalf("sam in #lobby after /join: %v, %v", in, err)
	}
	l.send("/join", "/as tend", "/join lobby", "/as sam")
	l.sync() // sam typed /tend sync in #lobby: /join moved him there
	out := l.out.String()
	for _, want := range []string{"sam joined #lobby.", "sam is in #lobby already.", "tend is the bot's own account"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestInviteMakesAMember: an invitation puts the person in the channel,
// as on Slack, so that the core counts them as one of its members.
func TestInviteMakesAMember(t *testing.T) {
	l := startLive(t, nil, nil)
	at := bot.Address{Platform: bot.PlatformConsole, Channel: "private"}
	l.deliver(bot.Outbound{Kind: bot.OutInvite, To: at, User: "sam"})
	in, err := l.a.InChannel(l.ctx, at, "sam")
	if err != nil || !in {
		t.Fatalf("InChannel after the invitation = %v, %v; want true", in, err)
	}
	if in, _ := l.a.InChannel(l.ctx, at, "kim"); in {
		t.Fatal("someone not invited is in the channel")
	}
}

// TestPrivateFile: a file with a private reply is printed in full for its
// reader only, without control characters; one that is not text is only
// named.
func TestPrivateFile(t *testing.T) {
	l := startLive(t, func(ev bot.Event) []bot.Outbound {
		c, ok := ev.(*bot.Command)
		if !ok {
			return nil
		}
		switch c.Words[0] {
		case "export":
			return []bot.Outbound{bot.ReplyFile(bot.Message{Text: "Your export"},
				bot.File{Name: "tuesday-attendance.csv", ContentType: "text/csv; charset=utf-8", Data: []byte("member,status\r\nAnn,present\r\n\x1b[31mBob,absent\r\n")})}
		case "image":
			return []bot.Outbound{bot.ReplyFile(bot.Message{Text: "A picture"}, bot.File{Name: "x.png", ContentType: "image/png", Data: []byte{0x89, 'P', 'N', 'G'}})}
		}
		return nil
	}, nil)
	l.send("/as sam", "/tend export", "/tend image")
	l.event()
	l.event()
	l.sync()
	out := l.out.String()
	for _, w := range []string{"(only sam sees this) file tuesday-attendance.csv, 45 bytes:", "----- tuesday-attendance.csv -----\nmember,status\nAnn,present\n[31mBob,absent\n----- end of tuesday-attendance.csv -----",
		"(only sam sees this) file x.png, 4 bytes:\n  (not text; not shown)"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("the file's control characters reached the terminal")
	}
}
