package bottest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Bounds on every wait in the suite. They are ceilings that keep a broken
// adapter from hanging the test run, never expectations about speed.
const (
	caseTimeout = 30 * time.Second
	stopTimeout = 10 * time.Second
)

// RunPlatformTests is the conformance suite every adapter passes. It runs
// one subtest per behaviour, each with a fresh Harness from newHarness.
func RunPlatformTests(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	t.Run("RunReturnsNilAfterCancel", func(t *testing.T) { testRunStops(t, newHarness(t)) })
	t.Run("CommandReachesHandler", func(t *testing.T) { testCommand(t, newHarness(t)) })
	t.Run("BotEventsAreNotPeople", func(t *testing.T) { testSelf(t, newHarness(t)) })
	t.Run("DeliverPost", func(t *testing.T) { testPost(t, newHarness(t)) })
	t.Run("EditReplacesContent", func(t *testing.T) { testEdit(t, newHarness(t)) })
	t.Run("ButtonPressComesBack", func(t *testing.T) { testPress(t, newHarness(t)) })
	t.Run("UnknownChannelUnreachable", func(t *testing.T) { testUnknown(t, newHarness(t)) })
	t.Run("DMReachesOnlyRecipient", func(t *testing.T) { testDM(t, newHarness(t)) })
	t.Run("TimesRendered", func(t *testing.T) { testTimes(t, newHarness(t)) })
}

// suiteKey signs the suite's button ids, so that they have the real shape.
var suiteKey = []byte("tend-conformance-suite-key-0123456789")

// replyPrefix starts the suite handler's reply to a command.
const replyPrefix = "conformance reply to "

// suiteHandler records every event and answers commands and presses with an
// ephemeral reply.
type suiteHandler struct {
	events chan bot.Event
}

func (h *suiteHandler) Handle(ctx context.Context, ev bot.Event) []bot.Outbound {
	select {
	case h.events <- ev:
	case <-ctx.Done():
		return nil
	}
	if ev.Meta().User.Bot {
		return nil
	}
	switch e := ev.(type) {
	case *bot.Command:
		return []bot.Outbound{bot.Reply(replyPrefix + e.Args["note"])}
	case *bot.ButtonPress:
		return []bot.Outbound{bot.Reply("conformance press received")}
	}
	return nil
}

func (h *suiteHandler) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{{
		Path:    "conform ping",
		Summary: "Conformance suite command",
		Options: []bot.Option{{Name: "note", Description: "a word to echo"}},
		Run: func(context.Context, *bot.Request) ([]bot.Outbound, error) {
			return nil, nil
		},
	}}
}

// running is one Run of the platform under test.
type running struct {
	h      Harness
	p      bot.Platform
	name   string
	events chan bot.Event
	cancel context.CancelFunc
	done   chan error
	// ctx bounds the case's own waits.
	ctx context.Context
}

// start runs the platform with the suite handler. Cleanup cancels Run and
// checks that it returns nil within stopTimeout.
func start(t *testing.T, h Harness) *running {
	t.Helper()
	p := h.Platform()
	if p == nil {
		t.Fatal("harness returned a nil Platform")
	}
	runCtx, cancel := context.WithCancel(t.Context())
	caseCtx, caseCancel := context.WithTimeout(t.Context(), caseTimeout)
	r := &running{
		h: h, p: p, name: p.Name(),
		events: make(chan bot.Event, 64),
		cancel: cancel,
		done:   make(chan error, 1),
		ctx:    caseCtx,
	}
	hd := &suiteHandler{events: r.events}
	go func() { r.done <- p.Run(runCtx, hd) }()
	t.Cleanup(func() {
		caseCancel()
		r.stop(t)
	})
	return r
}

// stop cancels Run and waits for it, once.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.done == nil {
		return
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run returned %v after its context was cancelled; want nil", err)
		}
	case <-time.After(stopTimeout):
		t.Errorf("Run did not return within %v after its context was cancelled", stopTimeout)
	}
	r.done = nil
}

// event waits for the next event handed to the handler.
func (r *running) event(t *testing.T) bot.Event {
	t.Helper()
	select {
	case ev := <-r.events:
		return ev
	case err := <-r.done:
		r.done = nil
		t.Fatalf("Run returned %v while the suite waited for an event", err)
	case <-r.ctx.Done():
		t.Fatalf("no event reached the handler: %v", r.ctx.Err())
	}
	return nil
}

// command sends "/tend conform ping note:NOTE" from user in ch and returns
// the *bot.Command the handler got.
func (r *running) command(t *testing.T, user bot.UserID, ch bot.ChannelID, note string) *bot.Command {
	t.Helper()
	if err := r.h.Command(r.ctx, user, ch, []string{"conform", "ping"}, map[string]string{"note": note}); err != nil {
		t.Fatalf("harness Command: %v", err)
	}
	for {
		ev := r.event(t)
		if c, ok := ev.(*bot.Command); ok && c.Args["note"] == note {
			return c
		}
		checkNotPersonFromBot(t, ev)
	}
}

// checkNotPersonFromBot fails for a person-looking event the suite did not
// cause: with a fresh harness, only the bot's own messages can produce one.
func checkNotPersonFromBot(t *testing.T, ev bot.Event) {
	t.Helper()
	if ev.Meta().User.Bot {
		return
	}
	switch ev.(type) {
	case *bot.Command, *bot.DirectMessage, *bot.ButtonPress, *bot.ModalSubmit:
		t.Errorf("handler got an unexpected %T from %q not marked as a bot (an event from the bot's own account?)", ev, ev.Meta().User.ID)
	}
}

// seen returns the next non-empty thing shown, which must be of kind; any
// other shown thing before it fails the test.
func (r *running) seen(t *testing.T, kind SeenKind) Seen {
	t.Helper()
	for {
		s, err := r.h.Next(r.ctx)
		if err != nil {
			t.Fatalf("waiting for a %s to be shown: %v", kind, err)
		}
		if s.Text == "" && len(s.Buttons) == 0 {
			continue // an acknowledgement with nothing to read
		}
		if s.Kind != kind {
			t.Fatalf("shown %s %q; want a %s", s.Kind, s.Text, kind)
		}
		return s
	}
}

func (r *running) deliver(t *testing.T, out bot.Outbound) bot.Delivered {
	t.Helper()
	codec, err := bot.NewActionCodec(suiteKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := codec.Seal(&out); err != nil {
		t.Fatal(err)
	}
	d, err := r.p.Deliver(r.ctx, out)
	if err != nil {
		t.Fatalf("Deliver %s: %v", out.Kind, err)
	}
	return d
}

func people(t *testing.T, h Harness) []bot.UserID {
	t.Helper()
	ps := h.People()
	if len(ps) < 2 || ps[0] == ps[1] || ps[0] == "" || ps[1] == "" {
		t.Fatalf("harness People() = %q; want two distinct ids", ps)
	}
	return ps
}

func testRunStops(t *testing.T, h Harness) {
	r := start(t, h)
	u := people(t, h)[0]
	// A round trip proves Run is connected before it is cancelled.
	r.command(t, u, h.KnownChannel().Channel, "alive")
	r.stop(t)
}

func testCommand(t *testing.T, h Harness) {
	r := start(t, h)
	u := people(t, h)[0]
	ch := h.KnownChannel()
	c := r.command(t, u, ch.Channel, "hello")
	if !slices.Equal(c.Words, []string{"conform", "ping"}) {
		t.Errorf("Command.Words = %q; want [conform ping]", c.Words)
	}
	if len(c.Args) != 1 || c.Args["note"] != "hello" {
		t.Errorf("Command.Args = %v; want map[note:hello]", c.Args)
	}
	if c.User.ID != u || c.User.Platform != r.name || c.User.Bot {
		t.Errorf("Command.User = %+v; want id %q on %s, not a bot", c.User, u, r.name)
	}
	if c.Platform != r.name || c.Channel != ch.Channel || c.DM {
		t.Errorf("Command came from %s:%s (dm %v); want %s, not a DM", c.Platform, c.Channel, c.DM, ch)
	}
	s := r.seen(t, SeenReply)
	if !s.Ephemeral || s.OnlyFor != u {
		t.Errorf("ephemeral reply shown with Ephemeral=%v OnlyFor=%q; want only %q to see it", s.Ephemeral, s.OnlyFor, u)
	}
	if !strings.Contains(s.Text, replyPrefix+"hello") {
		t.Errorf("reply shows %q; want it to contain %q", s.Text, replyPrefix+"hello")
	}
}

func testSelf(t *testing.T, h Harness) {
	r := start(t, h)
	u := people(t, h)[0]
	ch := h.KnownChannel().Channel
	// Warm up first so that the adapter is connected when the bot speaks.
	r.command(t, u, ch, "before")
	r.seen(t, SeenReply)
	if err := h.SelfMessage(r.ctx, ch, "/tend conform ping note:self"); err != nil {
		t.Fatalf("harness SelfMessage: %v", err)
	}
	// A person's command after it is the sentinel: every event before it
	// has been seen once it arrives (adapters hand events over in order).
	r.command(t, u, ch, "after")
	r.seen(t, SeenReply)
	// Anything still queued must also be bot-marked.
	for len(r.events) > 0 {
		checkNotPersonFromBot(t, <-r.events)
	}
}

// postMessage is the message the post cases deliver.
func postMessage() bot.Message {
	return bot.Message{
		Title: "Conformance title",
		Text:  "Conformance body text",
		Fields: []bot.Field{
			{Name: "Where", Value: "Room four", Inline: true},
			{Name: "Bring", Value: "Nothing at all"},
		},
		Buttons: []bot.Button{
			{Label: "I'll be there", Style: bot.ButtonSuccess, Action: bot.Action{Name: "conform.yes", Group: 7, Ref: "42"}},
			{Label: "Can't make it", Style: bot.ButtonSecondary, Action: bot.Action{Name: "conform.no", Group: 7, Ref: "42"}},
		},
		Footer: "Conformance footer",
	}
}

// post delivers postMessage to the known channel and returns the delivery,
// the sealed outbound and what was shown.
func (r *running) post(t *testing.T, key string) (bot.Delivered, bot.Outbound, Seen) {
	t.Helper()
	ch := r.h.KnownChannel()
	out := bot.Post(key, ch, postMessage())
	codec, err := bot.NewActionCodec(suiteKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := codec.Seal(&out); err != nil {
		t.Fatal(err)
	}
	d := r.deliver(t, out)
	if d.Ref.IsZero() || d.Ref.Platform != r.name || d.Ref.Channel != ch.Channel {
		t.Errorf("Deliver of a post returned ref %+v; want a message id in %s", d.Ref, ch)
	}
	s := r.seen(t, SeenPost)
	if !s.Ref.IsZero() && s.Ref.ID != d.Ref.ID {
		t.Errorf("post shown as message %q; Deliver returned %q", s.Ref.ID, d.Ref.ID)
	}
	if s.Channel != "" && s.Channel != ch.Channel {
		t.Errorf("post shown in channel %q; want %q", s.Channel, ch.Channel)
	}
	return d, out, s
}

func testPost(t *testing.T, h Harness) {
	r := start(t, h)
	_, out, s := r.post(t, "conformance/post")
	m := out.Message
	for _, want := range []string{m.Title, m.Text, m.Fields[0].Name, m.Fields[0].Value, m.Fields[1].Name, m.Fields[1].Value, m.Buttons[0].Label, m.Buttons[1].Label} {
		if !strings.Contains(s.Text, want) {
			t.Errorf("post shows %q; want it to contain %q", s.Text, want)
		}
	}
	if s.Ephemeral || s.OnlyFor != "" {
		t.Errorf("post shown as private (Ephemeral=%v OnlyFor=%q); want the whole channel to see it", s.Ephemeral, s.OnlyFor)
	}
	if len(s.Buttons) != 2 {
		t.Fatalf("post shows %d buttons; want 2", len(s.Buttons))
	}
	for i, b := range s.Buttons {
		if b.Label != m.Buttons[i].Label || b.ID == "" {
			t.Errorf("button %d shown as %+v; want label %q and an id", i, b, m.Buttons[i].Label)
		}
	}
}

func testEdit(t *testing.T, h Harness) {
	r := start(t, h)
	d, _, _ := r.post(t, "conformance/edit")
	ed := r.deliver(t, bot.Edit(d.Ref, bot.Message{Text: "Edited replacement text"}))
	if !ed.Ref.IsZero() && ed.Ref.ID != d.Ref.ID {
		t.Errorf("Deliver of an edit returned ref %+v; want %+v", ed.Ref, d.Ref)
	}
	s := r.seen(t, SeenEdit)
	if s.Ref.ID != d.Ref.ID {
		t.Errorf("edit shown for message %q; want %q", s.Ref.ID, d.Ref.ID)
	}
	if !strings.Contains(s.Text, "Edited replacement text") {
		t.Errorf("edited message shows %q; want the new text", s.Text)
	}
	if strings.Contains(s.Text, "Conformance body text") || strings.Contains(s.Text, "Room four") {
		t.Errorf("edited message shows %q; the old content should be gone", s.Text)
	}
}

func testPress(t *testing.T, h Harness) {
	r := start(t, h)
	u := people(t, h)[1]
	d, out, s := r.post(t, "conformance/press")
	if len(s.Buttons) != 2 {
		t.Fatalf("post shows %d buttons; want 2", len(s.Buttons))
	}
	if err := h.Press(r.ctx, u, d.Ref, s.Buttons[1].ID); err != nil {
		t.Fatalf("harness Press: %v", err)
	}
	var bp *bot.ButtonPress
	for bp == nil {
		ev := r.event(t)
		if e, ok := ev.(*bot.ButtonPress); ok {
			bp = e
			break
		}
		checkNotPersonFromBot(t, ev)
	}
	if want := out.Message.Buttons[1].ID; bp.ID != want {
		t.Errorf("ButtonPress.ID = %q; want the id Deliver was given, %q", bp.ID, want)
	}
	if bp.Message.ID != d.Ref.ID || bp.Message.Channel != d.Ref.Channel || bp.Message.Platform != r.name {
		t.Errorf("ButtonPress.Message = %+v; want %+v", bp.Message, d.Ref)
	}
	if bp.User.ID != u || bp.User.Bot || bp.Platform != r.name {
		t.Errorf("ButtonPress from %+v on %s; want %q on %s", bp.User, bp.Platform, u, r.name)
	}
	reply := r.seen(t, SeenReply)
	if !reply.Ephemeral || reply.OnlyFor != u {
		t.Errorf("reply to a press shown with Ephemeral=%v OnlyFor=%q; want only %q", reply.Ephemeral, reply.OnlyFor, u)
	}
}

func testUnknown(t *testing.T, h Harness) {
	r := start(t, h)
	out := bot.Post("conformance/unknown", h.UnknownChannel(), bot.Message{Text: "Nobody should see this"})
	_, err := r.p.Deliver(r.ctx, out)
	if !errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("Deliver to an unknown channel returned %v; want an error wrapping bot.ErrUnreachable", err)
	}
	// The next thing shown must be the next post, not the refused one.
	r.post(t, "conformance/after-unknown")
}

func testDM(t *testing.T, h Harness) {
	r := start(t, h)
	u := people(t, h)[1]
	r.deliver(t, bot.DM("conformance/dm", r.name, u, bot.Message{Text: "Private words for one person"}))
	s := r.seen(t, SeenDM)
	if s.OnlyFor != u {
		t.Errorf("DM shown to %q; want only %q", s.OnlyFor, u)
	}
	if !strings.Contains(s.Text, "Private words for one person") {
		t.Errorf("DM shows %q; want the message", s.Text)
	}
}

func testTimes(t *testing.T, h Harness) {
	r := start(t, h)
	at := time.Date(2031, time.March, 4, 18, 30, 0, 0, time.UTC)
	msg := bot.Message{
		Title: "Session " + bot.Time(at, bot.TimeDate),
		Text:  "Starts " + bot.Time(at, bot.TimeFull) + " (" + bot.Time(at, bot.TimeRelative) + ") ends",
		Fields: []bot.Field{
			{Name: "When", Value: bot.Time(at, bot.TimeShort) + " until " + bot.Time(at.Add(time.Hour), bot.TimeClock)},
		},
	}
	r.deliver(t, bot.Post("conformance/times", h.KnownChannel(), msg))
	s := r.seen(t, SeenPost)
	if strings.ContainsAny(s.Text, "\uE000\uE001") {
		t.Fatalf("post shows the raw time placeholder: %q", s.Text)
	}
	i, j := strings.Index(s.Text, "Starts "), strings.Index(s.Text, ") ends")
	if i < 0 || j < 0 || j <= i+len("Starts ")+len(" (") {
		t.Errorf("post shows %q; want a rendered time between \"Starts \" and \") ends\"", s.Text)
	}
	if !strings.Contains(s.Text, " until ") {
		t.Errorf("post shows %q; want the field with its times", s.Text)
	}
}

// String renders s for failure messages.
func (s Seen) String() string {
	return fmt.Sprintf("%s in %q ref %q only-for %q: %q", s.Kind, s.Channel, s.Ref.ID, s.OnlyFor, s.Text)
}
