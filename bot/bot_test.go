package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The fakes in this file stand in for the store so that the core can be
// tested without importing it (store imports bot). The store's own tests
// hold it to the same contracts.

type memGroups struct{ groups []Group }

func (m *memGroups) find(f func(Group) bool) (Group, error) {
	for _, g := range m.groups {
		if f(g) {
			return g, nil
		}
	}
	return Group{}, ErrNotFound
}
func (m *memGroups) GroupByID(_ context.Context, id int64) (Group, error) {
	return m.find(func(g Group) bool { return g.ID == id })
}
func (m *memGroups) GroupByAddress(_ context.Context, a Address) (Group, error) {
	return m.find(func(g Group) bool { return g.Address == a })
}
func (m *memGroups) GroupByName(_ context.Context, n string) (Group, error) {
	return m.find(func(g Group) bool { return g.Name == n })
}

type memOutbox struct {
	mu sync.Mutex
	m  map[string]*OutboxEntry
}

func (o *memOutbox) BeginOutbox(_ context.Context, key, platform string, kind OutboundKind) (OutboxEntry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]*OutboxEntry{}
	}
	e, ok := o.m[key]
	if !ok {
		e = &OutboxEntry{Key: key, Platform: platform, Kind: kind, State: OutboxSending}
		o.m[key] = e
	}
	if e.State == OutboxSending {
		e.Attempts++
	}
	return *e, nil
}
func (o *memOutbox) MarkOutboxSent(_ context.Context, key string, d Delivered) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.m[key]
	e.State, e.Ref, e.SentAt = OutboxSent, d.Ref, d.At
	return nil
}
func (o *memOutbox) MarkOutboxFailed(_ context.Context, key, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.m[key]
	e.State, e.Error = OutboxFailed, reason
	return nil
}
func (o *memOutbox) MarkOutboxHandedOff(_ context.Context, key string, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.m[key]
	if !ok {
		return ErrNotFound
	}
	if e.State == OutboxSending {
		e.HandedAt = at
	}
	return nil
}
func (o *memOutbox) ClearOutboxHandOff(_ context.Context, key string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.m[key]; ok && e.State == OutboxSending {
		e.HandedAt = time.Time{}
	}
	return nil
}

// recPlatform records deliveries.
type recPlatform struct {
	name string
	mu   sync.Mutex
	outs []Outbound
	fail func(Outbound) error
	find func(Outbound) (Delivered, bool)
	// lookups counts FindDelivered calls through a finderPlatform.
	lookups int
}

func (p *recPlatform) Name() string { return p.name }
func (p *recPlatform) Run(ctx context.Context, h Handler) error {
	<-ctx.Done()
	return nil
}
func (p *recPlatform) Deliver(ctx context.Context, out Outbound) (Delivered, error) {
	if out.Kind == OutPost || out.Kind == OutDM {
		if err := HandOff(ctx); err != nil {
			return Delivered{}, err
		}
	}
	if p.fail != nil {
		if err := p.fail(out); err != nil {
			return Delivered{}, err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outs = append(p.outs, out)
	return Delivered{Ref: MessageRef{Platform: p.name, Channel: out.To.Channel, ID: MessageID(fmt.Sprint(len(p.outs)))}}, nil
}
func (p *recPlatform) delivered() []Outbound {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Outbound(nil), p.outs...)
}

type finderPlatform struct{ *recPlatform }

func (p finderPlatform) FindDelivered(_ context.Context, out Outbound) (Delivered, bool, error) {
	p.mu.Lock()
	p.lookups++
	p.mu.Unlock()
	d, ok := p.find(out)
	return d, ok, nil
}

func (p *recPlatform) lookupCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lookups
}

var discardLog = slog.New(slog.NewTextHandler(io.Discard, nil))

type fixture struct {
	bot    *Bot
	plat   *recPlatform
	outbox *memOutbox
	group  Group
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	codec, err := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	g := Group{ID: 7, Name: "tuesday-support", Address: Address{Platform: "console", Channel: "support"},
		Kind: KindSupport, Admission: AdmissionOpen, TimeZone: "Europe/London", Privacy: PrivacyStandard,
		Facilitators: []Principal{"console:fran", "role:mods"}}
	plat := &recPlatform{name: "console"}
	ob := &memOutbox{}
	sender := NewSender(ob, codec, nil, discardLog, plat)
	b, err := New(Config{Groups: &memGroups{groups: []Group{g}}, Owners: []Principal{"console:owner"}, Codec: codec, Sender: sender, Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.Register(CommandSpec{Path: "next", Summary: "The next session", Group: GroupOptional,
		Run: func(ctx context.Context, r *Request) ([]Outbound, error) { return []Outbound{Reply("next: soon")}, nil }}))
	must(b.Register(CommandSpec{Path: "rsvp", Summary: "Say if you come", Group: GroupRequired,
		Options: []Option{{Name: "answer", Choices: []string{"yes", "no"}, Positional: true, Required: true}},
		Run: func(ctx context.Context, r *Request) ([]Outbound, error) {
			return []Outbound{Reply("rsvp " + r.Arg("answer") + " for " + r.Group.Name)}, nil
		}}))
	must(b.Register(CommandSpec{Path: "session cancel", Summary: "Cancel one session", Access: AccessFacilitator, Group: GroupRequired,
		Options: []Option{{Name: "which", Description: "the session's number or date", Placeholder: "number or date", Positional: true, Required: true}, {Name: "count", Type: OptInt}},
		Run: func(ctx context.Context, r *Request) ([]Outbound, error) {
			return []Outbound{
				Reply("cancelled " + r.Arg("which")),
				Post("cancel/"+r.Arg("which"), r.Group.Address, Message{Text: "Session cancelled",
					Buttons: []Button{{Label: "OK", Action: Action{Name: "ack", Group: r.Group.ID, Ref: r.Arg("which")}}}}),
			}, nil
		}}))
	must(b.Register(CommandSpec{Path: "away", Summary: "Away until a date", Group: GroupRequired,
		Options: []Option{{Name: "until", Description: "the last day you are away", Type: OptDate, Required: true}},
		Run:     func(ctx context.Context, r *Request) ([]Outbound, error) { return []Outbound{Reply("away")}, nil }}))
	// Like group setup: anyone may reach it (Run checks rights itself), but
	// it is a facilitator's command.
	must(b.Register(CommandSpec{Path: "group setup", Summary: "Bind this channel", Access: AccessAnyone, Audience: AccessFacilitator, Group: GroupOptional,
		Options: []Option{{Name: "name", Description: "the group's name", Placeholder: "name", Required: true}},
		Run:     func(ctx context.Context, r *Request) ([]Outbound, error) { return []Outbound{Reply("set up")}, nil }}))
	must(b.Register(CommandSpec{Path: "boom", Summary: "Panics", Run: func(ctx context.Context, r *Request) ([]Outbound, error) {
		panic("kaboom")
	}}))
	must(b.Register(CommandSpec{Path: "oops", Summary: "Fails", Run: func(ctx context.Context, r *Request) ([]Outbound, error) {
		return nil, errors.New("database on fire")
	}}))
	must(b.Register(CommandSpec{Path: "owner only", Summary: "Owners", Access: AccessOwner, Run: func(ctx context.Context, r *Request) ([]Outbound, error) {
		return []Outbound{Reply("ok")}, nil
	}}))
	must(b.RegisterAction(ActionSpec{Name: "ack", Run: func(ctx context.Context, r *Request) ([]Outbound, error) {
		return []Outbound{Reply(fmt.Sprintf("ack %s in %s by %s", r.Action.Ref, r.Group.Name, r.Actor.ID))}, nil
	}}))
	return &fixture{bot: b, plat: plat, outbox: ob, group: g}
}

func cmd(user, channel, text string) *Command {
	words, args, err := ParseCommandText(text)
	if err != nil {
		panic(err)
	}
	return &Command{EventMeta: EventMeta{Platform: "console", Channel: ChannelID(channel), User: User{Platform: "console", ID: UserID(user), Name: user}}, Words: words, Args: args}
}

func onlyReply(t *testing.T, outs []Outbound) string {
	t.Helper()
	if len(outs) != 1 || outs[0].Kind != OutReply {
		t.Fatalf("want one reply, got %+v", outs)
	}
	return outs[0].Message.Text
}

func TestBot_Handle(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, user, channel, text string
		want                      string // substring of the reply
	}{
		{"Anyone", "sam", "support", "next", "next: soon"},
		{"Positional", "sam", "support", "rsvp yes", "rsvp yes for tuesday-support"},
		{"NamedArg", "sam", "support", "rsvp answer:NO", "rsvp no for tuesday-support"},
		{"GroupByName", "fran", "elsewhere", "rsvp yes group:tuesday-support", "rsvp yes for tuesday-support"},
		// The recording platform cannot tell whether a channel is public, so
		// even an open group does not exist for an outsider.
		{"OutsiderByName", "sam", "elsewhere", "rsvp yes group:tuesday-support", `There is no group named "tuesday-support" that you can use`},
		{"BadChoice", "sam", "support", "rsvp maybe", `"maybe" is not one of yes, no. Usage: /tend rsvp yes|no`},
		{"MissingArg", "sam", "support", "rsvp", "/tend rsvp needs yes or no. Usage: /tend rsvp yes|no"},
		{"MissingPositional", "fran", "support", "session cancel", "/tend session cancel needs the session's number or date. Usage: /tend session cancel <number or date> [count:<number>]"},
		{"MissingNamed", "sam", "support", "away", "/tend away needs until: (the last day you are away). Usage: /tend away until:<date>"},
		{"BadNamed", "sam", "support", "away until:soon", `until: "soon" is not a date: write YYYY-MM-DD, for example ` + ExampleDate(time.Now())},
		{"UnknownArg", "sam", "support", "rsvp yes colour:red", `has no argument "colour"`},
		{"ExtraWord", "sam", "support", "rsvp yes please", `did not understand "please"`},
		{"NoGroup", "sam", "elsewhere", "rsvp yes", "not bound to a group"},
		{"UnknownGroup", "sam", "elsewhere", "rsvp yes group:nope", `no group named "nope"`},
		{"MemberRefused", "sam", "support", "session cancel 3", "Only facilitators of tuesday-support"},
		{"FacilitatorByID", "fran", "support", "session cancel 3", "cancelled 3"},
		{"OwnerEverywhere", "owner", "support", "session cancel 3", "cancelled 3"},
		{"BadInt", "fran", "support", "session cancel 3 count:x", `"x" is not a whole number`},
		{"Unknown", "sam", "support", "dance", "I don't know /tend dance"},
		{"UnknownSub", "sam", "support", "session dance", "Did you mean: /tend session cancel"},
		{"Panic", "sam", "support", "boom", "Sorry, something went wrong"},
		{"InternalError", "sam", "support", "oops", "Sorry, something went wrong"},
		{"OwnerOnly", "sam", "support", "owner only", "Only the bot's owners"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			got := onlyReply(t, f.bot.Handle(ctx, cmd(tt.user, tt.channel, tt.text)))
			if !strings.Contains(got, tt.want) {
				t.Fatalf("reply %q does not contain %q", got, tt.want)
			}
			if strings.Contains(got, "database on fire") || strings.Contains(got, "kaboom") {
				t.Fatalf("reply leaked an internal error: %q", got)
			}
		})
	}
}

func TestBot_FacilitatorByRole(t *testing.T) {
	f := newFixture(t)
	c := cmd("mia", "support", "session cancel 1")
	c.User.Roles = []RoleID{"mods"}
	if got := onlyReply(t, f.bot.Handle(context.Background(), c)); got != "cancelled 1" {
		t.Fatalf("role facilitator: %q", got)
	}
}

func TestBot_IgnoresBots(t *testing.T) {
	f := newFixture(t)
	c := cmd("otherbot", "support", "next")
	c.User.Bot = true
	if outs := f.bot.Handle(context.Background(), c); len(outs) != 0 {
		t.Fatalf("bot event answered: %+v", outs)
	}
}

func TestBot_Help(t *testing.T) {
	f := newFixture(t)
	member := f.bot.Handle(context.Background(), cmd("sam", "support", "help"))
	if len(member) != 1 {
		t.Fatalf("help: %+v", member)
	}
	text := fmt.Sprint(member[0].Message.Fields)
	if !strings.Contains(text, "/tend next") || !strings.Contains(text, "/tend rsvp yes|no") {
		t.Fatalf("member help lacks member commands: %s", text)
	}
	if strings.Contains(text, "session cancel") {
		t.Fatalf("member help shows facilitator commands: %s", text)
	}
	if strings.Contains(text, "group setup") {
		t.Errorf("member help lists group setup, a facilitator's command: %s", text)
	}
	fac := f.bot.Handle(context.Background(), cmd("fran", "support", "help"))
	fields := fieldsByName(fac[0].Message)
	if !strings.Contains(fields["Facilitators"], "/tend session cancel <number or date> [count:<number>]") ||
		!strings.Contains(fields["Facilitators"], "/tend group setup name:<name> — Bind this channel") {
		t.Fatalf("facilitator help lacks facilitator commands: %v", fields)
	}
	if strings.Contains(fields["Everyone"], "group setup") {
		t.Errorf("group setup is listed under Everyone: %v", fields)
	}
	if !strings.Contains(fields["Everyone"], "/tend away until:<date>") || !strings.Contains(fields["Everyone"], "/tend help [<command word>]") {
		t.Errorf("usage lines: %v", fields)
	}
	topic := f.bot.Handle(context.Background(), cmd("fran", "support", "help session"))
	got := fieldsByName(topic[0].Message)
	if _, ok := got["Everyone"]; ok || strings.Contains(got["Facilitators"], "/tend next") || !strings.Contains(got["Facilitators"], "session cancel") {
		t.Fatalf("help session for a facilitator: %v (want only a Facilitators field)", got)
	}
	if got := onlyReply(t, f.bot.Handle(context.Background(), cmd("sam", "support", "help session"))); !strings.Contains(got, "The /tend session commands are for a group's facilitators") {
		t.Errorf("help session for a member: %q", got)
	}
	if got := onlyReply(t, f.bot.Handle(context.Background(), cmd("sam", "support", "help frobnicate"))); !strings.Contains(got, `There is no command about "frobnicate"`) {
		t.Errorf("help on an unknown word: %q", got)
	}
	unbound := f.bot.Handle(context.Background(), cmd("sam", "elsewhere", "help"))
	if !strings.Contains(unbound[0].Message.Text, "A facilitator or the bot's owner can bind it with /tend group setup") {
		t.Errorf("help in an unbound channel: %q", unbound[0].Message.Text)
	}
}

func fieldsByName(m Message) map[string]string {
	out := map[string]string{}
	for _, f := range m.Fields {
		out[f.Name] = f.Value
	}
	return out
}

func TestBot_PostsThroughSenderAndButtons(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	outs := f.bot.Handle(ctx, cmd("fran", "support", "session cancel 3"))
	if onlyReply(t, outs) != "cancelled 3" {
		t.Fatalf("reply: %+v", outs)
	}
	posts := f.plat.delivered()
	if len(posts) != 1 || posts[0].Key != "cancel/3" || posts[0].Message.Buttons[0].ID == "" {
		t.Fatalf("want one keyed post with a sealed button, got %+v", posts)
	}
	// Running the command again does not post twice: the key was sent.
	f.bot.Handle(ctx, cmd("fran", "support", "session cancel 3"))
	if n := len(f.plat.delivered()); n != 1 {
		t.Fatalf("repeat posted again: %d posts", n)
	}

	press := &ButtonPress{EventMeta: EventMeta{Platform: "console", Channel: "support", User: User{Platform: "console", ID: "sam"}}, ID: posts[0].Message.Buttons[0].ID}
	if got := onlyReply(t, f.bot.Handle(ctx, press)); got != "ack 3 in tuesday-support by sam" {
		t.Fatalf("button: %q", got)
	}

	forged := *press
	forged.ID = strings.Replace(press.ID, "|3|", "|4|", 1)
	if got := onlyReply(t, f.bot.Handle(ctx, &forged)); !strings.Contains(got, "not valid") {
		t.Fatalf("forged button: %q", got)
	}
	elsewhere := *press
	elsewhere.Platform = "slack"
	if got := onlyReply(t, f.bot.Handle(ctx, &elsewhere)); !strings.Contains(got, "not valid here") {
		t.Fatalf("cross-platform button: %q", got)
	}
}

func TestBot_Subscribers(t *testing.T) {
	f := newFixture(t)
	var got []string
	f.bot.Subscribe("a", func(ctx context.Context, ev Event) ([]Outbound, error) {
		if j, ok := ev.(*MemberJoined); ok {
			got = append(got, string(j.User.ID))
			return []Outbound{DM("welcome/"+string(j.User.ID), "console", j.User.ID, Message{Text: "welcome"})}, nil
		}
		return nil, nil
	})
	f.bot.Subscribe("b", func(ctx context.Context, ev Event) ([]Outbound, error) { panic("subscriber bug") })
	ev := &MemberJoined{EventMeta: EventMeta{Platform: "console", Channel: "support", User: User{Platform: "console", ID: "sam"}}}
	outs := f.bot.Handle(context.Background(), ev)
	if len(got) != 1 || got[0] != "sam" {
		t.Fatalf("subscriber saw %v", got)
	}
	// Nobody asked for anything when a member joined: the panicking
	// subscriber is logged, never answered with an apology, and the
	// other's DM is not lost.
	if len(outs) != 0 {
		t.Fatalf("replies %+v; want none to a passive event", outs)
	}
	if d := f.plat.delivered(); len(d) != 1 || d[0].Kind != OutDM || d[0].User != "sam" {
		t.Fatalf("delivered %+v; want the welcome DM", d)
	}
}

func TestBot_RegisterRefusesDuplicates(t *testing.T) {
	f := newFixture(t)
	run := func(context.Context, *Request) ([]Outbound, error) { return nil, nil }
	if err := f.bot.Register(CommandSpec{Path: "next", Run: run}); err == nil {
		t.Error("duplicate command accepted")
	}
	if err := f.bot.Register(CommandSpec{Path: "a b c", Run: run}); err == nil {
		t.Error("three-word path accepted")
	}
	if err := f.bot.Register(CommandSpec{Path: "x", Options: []Option{{Name: "group"}}, Run: run}); err == nil {
		t.Error("reserved option name accepted")
	}
	if err := f.bot.RegisterAction(ActionSpec{Name: "ack", Run: run}); err == nil {
		t.Error("duplicate action accepted")
	}
}

func TestSender(t *testing.T) {
	ctx := context.Background()
	codec, _ := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	t.Run("OncePerKey", func(t *testing.T) {
		p := &recPlatform{name: "console"}
		s := NewSender(&memOutbox{}, codec, nil, discardLog, p)
		out := Post("reminder/1/1h", Address{Platform: "console", Channel: "c"}, Message{Text: "hi"})
		r1, err := s.Send(ctx, out)
		if err != nil || r1.Duplicate {
			t.Fatalf("first send: %+v %v", r1, err)
		}
		r2, err := s.Send(ctx, out)
		if err != nil || !r2.Duplicate || r2.Ref != r1.Ref {
			t.Fatalf("second send: %+v %v", r2, err)
		}
		if n := len(p.delivered()); n != 1 {
			t.Fatalf("%d deliveries", n)
		}
	})
	t.Run("NoKey", func(t *testing.T) {
		s := NewSender(&memOutbox{}, codec, nil, discardLog, &recPlatform{name: "console"})
		if _, err := s.Send(ctx, Post("", Address{Platform: "console", Channel: "c"}, Message{})); !errors.Is(err, ErrNoKey) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("UnknownPlatform", func(t *testing.T) {
		s := NewSender(&memOutbox{}, codec, nil, discardLog)
		if _, err := s.Send(ctx, Post("k", Address{Platform: "irc", Channel: "c"}, Message{})); !errors.Is(err, ErrUnreachable) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("UnreachableReportedOnce", func(t *testing.T) {
		p := &recPlatform{name: "discord", fail: func(o Outbound) error {
			if o.Kind == OutPost {
				return &PermanentError{Reason: "403 Missing Access"}
			}
			return nil
		}}
		ob := &memOutbox{}
		s := NewSender(ob, codec, nil, discardLog, p)
		s.ReportUnreachableTo([]Principal{"discord:1", "slack:U1", "role:9"})
		for i := range 3 {
			out := Post(fmt.Sprintf("reminder/%d/1h", i), Address{Platform: "discord", Channel: "gone"}, Message{Text: "hi"})
			if _, err := s.Send(ctx, out); !errors.Is(err, ErrUnreachable) {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		dms := p.delivered()
		if len(dms) != 1 || dms[0].Kind != OutDM || dms[0].User != "1" || !strings.Contains(dms[0].Message.Text, "gone") {
			t.Fatalf("owner reports: %+v", dms)
		}
		// A failed key is not retried.
		if _, err := s.Send(ctx, Post("reminder/0/1h", Address{Platform: "discord", Channel: "gone"}, Message{})); !errors.Is(err, ErrUnreachable) {
			t.Fatalf("retry of failed key: %v", err)
		}
	})
	t.Run("TransientErrorThenFinder", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			fails := 1
			rp := &recPlatform{name: "slack"}
			rp.fail = func(Outbound) error {
				if fails > 0 {
					fails--
					return errors.New("connection reset")
				}
				return nil
			}
			rp.find = func(o Outbound) (Delivered, bool) {
				return Delivered{Ref: MessageRef{Platform: "slack", Channel: "c", ID: "found"}, At: time.Unix(1, 0)}, true
			}
			s := NewSender(&memOutbox{}, codec, nil, discardLog, finderPlatform{rp})
			out := Post("k", Address{Platform: "slack", Channel: "c"}, Message{})
			if _, err := s.Send(ctx, out); err == nil {
				t.Fatal("transient error swallowed")
			}
			r, err := s.Send(ctx, out)
			if err != nil || !r.Recovered || r.Ref.ID != "found" {
				t.Fatalf("retry: %+v %v", r, err)
			}
			if n := len(rp.delivered()); n != 0 {
				t.Fatalf("sent again despite finding the earlier delivery: %d", n)
			}
		})
	})
	t.Run("HandOffSettlesBeforeTheLook", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// A post handed over by a process that died may still be in the
			// platform's hands: the next attempt looks for it only once
			// HandOffSettle has passed since the hand-off, so that a request
			// processed late is found instead of sent again.
			ob := &memOutbox{}
			handed := time.Now()
			crashed := &recPlatform{name: "slack"}
			crashed.fail = func(Outbound) error { return errors.New("connection reset") }
			out := Post("reminder/9/1h", Address{Platform: "slack", Channel: "c"}, Message{Text: "hi"})
			if _, err := NewSender(ob, codec, nil, discardLog, finderPlatform{crashed}).Send(ctx, out); err == nil {
				t.Fatal("the failed attempt reported no error")
			}
			time.Sleep(2 * time.Second) // the restart
			var lookedAt time.Time
			rp := &recPlatform{name: "slack"}
			rp.find = func(Outbound) (Delivered, bool) {
				lookedAt = time.Now()
				return Delivered{Ref: MessageRef{Platform: "slack", Channel: "c", ID: "late"}, At: lookedAt}, true
			}
			r, err := NewSender(ob, codec, nil, discardLog, finderPlatform{rp}).Send(ctx, out)
			if err != nil || !r.Recovered || r.Ref.ID != "late" {
				t.Fatalf("after the restart: %+v %v; want the late delivery found", r, err)
			}
			if lookedAt.Sub(handed) < HandOffSettle {
				t.Fatalf("looked %s after the hand-off; want at least %s", lookedAt.Sub(handed), HandOffSettle)
			}
			if n := len(rp.delivered()); n != 0 {
				t.Fatalf("sent again: %d", n)
			}
			// A stop while it waits ends the wait; the hand-off stays, to be
			// looked for by the next start.
			short, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			out2 := Post("reminder/10/1h", Address{Platform: "slack", Channel: "c"}, Message{Text: "hi"})
			_, _ = NewSender(ob, codec, nil, discardLog, finderPlatform{crashed}).Send(ctx, out2)
			if _, err := NewSender(ob, codec, nil, discardLog, finderPlatform{rp}).Prepare(short, out2); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a stop while waiting: %v; want the context's error", err)
			}
			if e := ob.m[out2.Key]; e.HandedAt.IsZero() {
				t.Fatal("the stop cleared the hand-off")
			}
		})
	})
	t.Run("PreparedOnlyIsNotLookedFor", func(t *testing.T) {
		// An attempt prepared ahead of its time and never handed to the
		// platform (the process died while it waited) cannot have been
		// delivered: the next attempt sends without a lookup.
		rp := &recPlatform{name: "discord"}
		rp.find = func(Outbound) (Delivered, bool) { return Delivered{}, false }
		ob := &memOutbox{}
		s := NewSender(ob, codec, nil, discardLog, finderPlatform{rp})
		out := Post("reminder/2/1m", Address{Platform: "discord", Channel: "c"}, Message{Text: "hi"})
		if _, err := s.Prepare(ctx, out); err != nil {
			t.Fatal(err)
		}
		if e := ob.m[out.Key]; e.Attempts != 1 || !e.HandedAt.IsZero() {
			t.Fatalf("after prepare: %+v; want one attempt, not handed off", *e)
		}
		r, err := s.Send(ctx, out)
		if err != nil || r.Recovered || r.Duplicate {
			t.Fatalf("send after a prepared-only attempt: %+v, %v", r, err)
		}
		if n := rp.lookupCount(); n != 0 {
			t.Errorf("%d lookups for an attempt that never reached the platform; want 0", n)
		}
		if n := len(rp.delivered()); n != 1 {
			t.Errorf("%d deliveries; want 1", n)
		}
	})
	t.Run("HandedOffIsLookedForOnce", func(t *testing.T) {
		// A handed-off attempt whose outcome is unknown is looked for;
		// not found, it is sent, and an attempt that then ends before its
		// own hand-off does not make the next one look again.
		rp := &recPlatform{name: "discord"}
		rp.find = func(Outbound) (Delivered, bool) { return Delivered{}, false }
		ob := &memOutbox{}
		s := NewSender(ob, codec, nil, discardLog, finderPlatform{rp})
		out := Post("reminder/3/1m", Address{Platform: "discord", Channel: "c"}, Message{Text: "hi"})
		if _, err := ob.BeginOutbox(ctx, out.Key, "discord", OutPost); err != nil {
			t.Fatal(err)
		}
		if err := ob.MarkOutboxHandedOff(ctx, out.Key, time.Unix(100, 0)); err != nil {
			t.Fatal(err)
		}
		pr, err := s.Prepare(ctx, out)
		if err != nil || pr.Done() {
			t.Fatalf("prepare: %v", err)
		}
		if n := rp.lookupCount(); n != 1 {
			t.Fatalf("%d lookups for a handed-off attempt; want 1", n)
		}
		if e := ob.m[out.Key]; !e.HandedAt.IsZero() {
			t.Fatalf("after a lookup that found nothing: %+v; want the hand-off cleared", *e)
		}
		// This attempt dies before its hand-off; the next needs no lookup.
		if _, err := s.Send(ctx, out); err != nil {
			t.Fatal(err)
		}
		if n := rp.lookupCount(); n != 1 {
			t.Errorf("%d lookups; want still 1", n)
		}
		if n := len(rp.delivered()); n != 1 {
			t.Errorf("%d deliveries; want 1", n)
		}
	})
	t.Run("HandOffNotRecordedNotSent", func(t *testing.T) {
		// When the hand-off cannot be recorded, the platform must not
		// send: a later attempt would not know to look for it.
		rp := &recPlatform{name: "discord"}
		ob := &failingHandOff{memOutbox: &memOutbox{}}
		s := NewSender(ob, codec, nil, discardLog, rp)
		out := Post("reminder/4/1m", Address{Platform: "discord", Channel: "c"}, Message{Text: "hi"})
		if _, err := s.Send(ctx, out); err == nil {
			t.Fatal("send succeeded though its hand-off was not recorded")
		}
		if n := len(rp.delivered()); n != 0 {
			t.Errorf("%d deliveries; want none", n)
		}
	})
	t.Run("UnkeyedKindsEveryTime", func(t *testing.T) {
		p := &recPlatform{name: "console"}
		s := NewSender(&memOutbox{}, codec, nil, discardLog, p)
		e := Edit(MessageRef{Platform: "console", Channel: "c", ID: "1"}, Message{Text: "2 coming"})
		s.Send(ctx, e)
		s.Send(ctx, e)
		if n := len(p.delivered()); n != 2 {
			t.Fatalf("edits delivered %d times, want 2", n)
		}
		if _, err := s.Send(ctx, Reply("x")); err == nil {
			t.Fatal("reply accepted by the sender")
		}
	})
}

// failingHandOff is an outbox that cannot record hand-offs.
type failingHandOff struct{ *memOutbox }

func (failingHandOff) MarkOutboxHandedOff(context.Context, string, time.Time) error {
	return errors.New("disk I/O error")
}
