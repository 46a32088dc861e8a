package bottest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

var t0 = time.Date(2026, time.December, 1, 18, 0, 0, 0, time.UTC)

func fired(t *testing.T, tm bot.Timer) (time.Time, bool) {
	t.Helper()
	select {
	case v := <-tm.C():
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestClockFiresOnAdvanceInOrder(t *testing.T) {
	c := NewClock(t0)
	a := c.NewTimer(2 * time.Minute)
	b := c.NewTimer(time.Minute)
	if _, ok := fired(t, a); ok {
		t.Fatal("timer fired before the clock moved")
	}
	c.Advance(59 * time.Second)
	if _, ok := fired(t, b); ok {
		t.Fatal("1m timer fired after 59s")
	}
	c.Advance(time.Second)
	if v, ok := fired(t, b); !ok || !v.Equal(t0.Add(time.Minute)) {
		t.Fatalf("1m timer: fired=%v at %v; want at %v", ok, v, t0.Add(time.Minute))
	}
	if _, ok := fired(t, a); ok {
		t.Fatal("2m timer fired at 1m")
	}
	if c.Timers() != 1 {
		t.Fatalf("Timers() = %d; want 1", c.Timers())
	}
	c.Set(t0.Add(time.Hour))
	if _, ok := fired(t, a); !ok {
		t.Fatal("2m timer did not fire after Set past it")
	}
	if !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("Now() = %v", c.Now())
	}
}

func TestClockStopAndResetLeaveNoStaleValue(t *testing.T) {
	c := NewClock(t0)
	a := c.NewTimer(time.Minute)
	if !a.Stop() {
		t.Fatal("Stop of an active timer returned false")
	}
	c.Advance(time.Hour)
	if _, ok := fired(t, a); ok {
		t.Fatal("stopped timer fired")
	}
	if a.Stop() {
		t.Fatal("Stop of a stopped timer returned true")
	}
	// Fired but not received, then reset: the old value must be gone.
	b := c.NewTimer(time.Minute)
	c.Advance(time.Minute)
	if b.Reset(time.Minute) {
		t.Fatal("Reset of a fired timer returned true")
	}
	if _, ok := fired(t, b); ok {
		t.Fatal("reset timer delivered its stale value")
	}
	c.Advance(time.Minute)
	if _, ok := fired(t, b); !ok {
		t.Fatal("reset timer did not fire")
	}
	z := c.NewTimer(0)
	if _, ok := fired(t, z); !ok {
		t.Fatal("zero timer did not fire at once")
	}
	if _, ok := c.Next(); ok {
		t.Fatal("Next reports a waiting timer; want none")
	}
}

func TestClockWaitTimers(t *testing.T) {
	c := NewClock(t0)
	got := make(chan time.Time, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tm := c.NewTimer(time.Hour)
		select {
		case v := <-tm.C():
			got <- v
		case <-t.Context().Done():
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := c.WaitTimers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	wg.Wait()
	select {
	case v := <-got:
		if !v.Equal(t0.Add(time.Hour)) {
			t.Fatalf("fired at %v", v)
		}
	default:
		t.Fatal("sleeping goroutine was not woken")
	}
	short, cancel2 := context.WithCancel(t.Context())
	cancel2()
	if err := c.WaitTimers(short, 5); err == nil {
		t.Fatal("WaitTimers with a done context returned nil")
	}
}

func TestPlatformRecordsAndDedupes(t *testing.T) {
	ctx := t.Context()
	clock := NewClock(t0)
	p := &Platform{PlatformName: bot.PlatformDiscord, DedupeKeys: true, Clock: clock}
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: "c1"}
	d1, err := p.Deliver(ctx, bot.Post("k1", to, bot.Message{Text: "one"}))
	if err != nil {
		t.Fatal(err)
	}
	d2, err := p.Deliver(ctx, bot.Post("k2", to, bot.Message{Text: "two"}))
	if err != nil {
		t.Fatal(err)
	}
	if d1.Ref.ID != "1" || d2.Ref.ID != "2" || d1.Ref.Channel != "c1" || d1.Ref.Platform != bot.PlatformDiscord || !d1.At.Equal(t0) {
		t.Fatalf("refs %+v %+v; want ids 1, 2 in c1 at %v", d1, d2, t0)
	}
	again, err := p.Deliver(ctx, bot.Post("k1", to, bot.Message{Text: "one again"}))
	if err != nil || again != d1 {
		t.Fatalf("repeat of k1 = %+v, %v; want %+v", again, err, d1)
	}
	if n := len(p.Posts()); n != 2 {
		t.Fatalf("%d posts visible; want 2 (the repeat is deduplicated)", n)
	}
	if n := len(p.Deliveries()); n != 3 {
		t.Fatalf("%d deliveries recorded; want 3", n)
	}

	if _, err := p.Deliver(ctx, bot.Edit(d1.Ref, bot.Message{Text: "edited"})); err != nil {
		t.Fatal(err)
	}
	if m, ok := p.Content(d1.Ref); !ok || m.Text != "edited" {
		t.Fatalf("Content = %+v, %v; want the edit", m, ok)
	}
	if len(p.Edits(d1.Ref)) != 1 || len(p.Edits(d2.Ref)) != 0 {
		t.Fatal("edits not recorded against their message")
	}
	ghost := bot.MessageRef{Platform: bot.PlatformDiscord, Channel: "c1", ID: "99"}
	if _, err := p.Deliver(ctx, bot.Edit(ghost, bot.Message{Text: "x"})); !errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("edit of an unknown message: %v; want ErrUnreachable", err)
	}

	if _, err := p.Deliver(ctx, bot.DM("dm1", bot.PlatformDiscord, "sam", bot.Message{Text: "hi"})); err != nil {
		t.Fatal(err)
	}
	if len(p.DMsTo("sam")) != 1 || len(p.DMsTo("kim")) != 0 || len(p.DMs()) != 1 {
		t.Fatal("DM not recorded for its recipient only")
	}
	if _, err := p.Deliver(ctx, bot.Outbound{Kind: bot.OutPin, Ref: d2.Ref}); err != nil || !p.Pinned(d2.Ref) || p.Pinned(d1.Ref) {
		t.Fatalf("pin: %v", err)
	}
	if _, err := p.Deliver(ctx, bot.Reply("no")); err == nil {
		t.Fatal("Deliver of a reply succeeded")
	}
}

func TestPlatformDeliverHook(t *testing.T) {
	p := &Platform{DeliverHook: func(out bot.Outbound) error {
		if out.To.Channel == "gone" {
			return &bot.PermanentError{Reason: "channel deleted"}
		}
		return nil
	}}
	_, err := p.Deliver(t.Context(), bot.Post("k", bot.Address{Platform: "console", Channel: "gone"}, bot.Message{Text: "x"}))
	if !errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("err = %v; want ErrUnreachable", err)
	}
	if len(p.Posts()) != 0 || len(p.Deliveries()) != 1 || p.Deliveries()[0].Err == nil {
		t.Fatal("a refused post was shown, or the attempt was not recorded")
	}
	// Without DedupeKeys a repeated key shows twice.
	to := bot.Address{Platform: "console", Channel: "ok"}
	for range 2 {
		if _, err := p.Deliver(t.Context(), bot.Post("same", to, bot.Message{Text: "x"})); err != nil {
			t.Fatal(err)
		}
	}
	if len(p.PostsIn("ok")) != 2 {
		t.Fatalf("%d posts; want 2 on a platform that does not deduplicate", len(p.PostsIn("ok")))
	}
	f := FinderPlatform{p}
	if d, ok, err := f.FindDelivered(t.Context(), bot.Post("same", to, bot.Message{})); err != nil || !ok || d.Ref.ID == "" {
		t.Fatalf("FindDelivered = %+v, %v, %v", d, ok, err)
	}
	if _, ok, _ := f.FindDelivered(t.Context(), bot.Post("k", to, bot.Message{})); ok {
		t.Fatal("FindDelivered found a refused post")
	}
}

type echoHandler struct{}

func (echoHandler) Handle(_ context.Context, ev bot.Event) []bot.Outbound {
	c, ok := ev.(*bot.Command)
	if !ok {
		return nil
	}
	return []bot.Outbound{bot.Reply(fmt.Sprintf("%s from %s on %s", c.Words[0], c.User.ID, c.User.Platform))}
}

func (echoHandler) Commands() []bot.CommandSpec { return nil }

func TestPlatformInjectAndRun(t *testing.T) {
	p := &Platform{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	// Inject before Run: it waits for Run.
	got := make(chan []bot.Outbound, 1)
	go func() {
		got <- p.Inject(t.Context(), &bot.Command{EventMeta: bot.EventMeta{User: bot.User{ID: "sam"}}, Words: []string{"ping"}})
	}()
	go func() { done <- p.Run(ctx, echoHandler{}) }()
	var outs []bot.Outbound
	select {
	case outs = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("Inject did not return")
	}
	if len(outs) != 1 || outs[0].Message.Text != "ping from sam on console" {
		t.Fatalf("Inject returned %+v", outs)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	stopped, stop := context.WithCancel(t.Context())
	stop()
	if outs := p.Inject(stopped, &bot.Command{Words: []string{"x"}}); outs != nil {
		t.Fatalf("Inject with no Run and a done context returned %+v", outs)
	}
}

func TestPlatformConcurrentDeliver(t *testing.T) {
	p := &Platform{}
	to := bot.Address{Platform: "console", Channel: "c"}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 25 {
				if _, err := p.Deliver(t.Context(), bot.Post(fmt.Sprintf("%d/%d", i, j), to, bot.Message{Text: "x"})); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	posts := p.Posts()
	if len(posts) != 200 {
		t.Fatalf("%d posts; want 200", len(posts))
	}
	seen := map[bot.MessageID]bool{}
	for _, d := range posts {
		if seen[d.Delivered.Ref.ID] {
			t.Fatalf("message id %s given twice", d.Delivered.Ref.ID)
		}
		seen[d.Delivered.Ref.ID] = true
	}
}

func TestPlatformChannelInspector(t *testing.T) {
	ctx := context.Background()
	plain := &Platform{PlatformName: bot.PlatformSlack}
	if _, ok := bot.Platform(plain).(bot.ChannelInspector); ok {
		t.Fatal("a plain Platform is a ChannelInspector; features relying on the fallback would change")
	}
	p := InspectorPlatform{plain}
	group := bot.Address{Platform: bot.PlatformSlack, Channel: "C1"}
	sam := bot.User{Platform: bot.PlatformSlack, ID: "U1", Name: "sam"}
	kim := bot.User{Platform: bot.PlatformSlack, ID: "U2", Name: "kim"}
	helper := bot.User{Platform: bot.PlatformSlack, ID: "B1", Name: "helper", Bot: true}

	if priv, err := p.ChannelPrivate(ctx, group); err != nil || priv {
		t.Fatalf("a channel not set: private %v, %v; want public", priv, err)
	}
	if ms, err := p.ChannelMembers(ctx, group); err != nil || len(ms) != 0 {
		t.Fatalf("a channel not set: members %v, %v; want none", ms, err)
	}
	p.SetPrivate("C1", true)
	p.SetMembers("C1", sam, helper)
	p.AddMember("C1", kim)
	p.AddMember("C1", kim) // once
	if priv, _ := p.ChannelPrivate(ctx, group); !priv {
		t.Error("SetPrivate did not make the channel private")
	}
	ms, err := p.ChannelMembers(ctx, group)
	if err != nil || len(ms) != 2 || ms[0].ID != "U1" || ms[1].ID != "U2" {
		t.Errorf("members %+v, %v; want sam and kim, the bot left out", ms, err)
	}
	p.RemoveMember("C1", "U1")
	for u, want := range map[bot.UserID]bool{"U1": false, "U2": true, "B1": true, "U9": false} {
		if in, err := p.InChannel(ctx, group, u); err != nil || in != want {
			t.Errorf("InChannel(%s) = %v, %v; want %v", u, in, err, want)
		}
	}
	p.InspectHook = func(a bot.Address) error {
		if a.Channel == "gone" {
			return bot.Unreachable("channel %s was deleted", a.Channel)
		}
		return nil
	}
	if _, err := p.ChannelPrivate(ctx, bot.Address{Platform: bot.PlatformSlack, Channel: "gone"}); !errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("InspectHook's error: %v; want ErrUnreachable", err)
	}
	if in, err := p.InChannel(ctx, group, "U2"); err != nil || !in {
		t.Errorf("another channel with the hook set: %v, %v", in, err)
	}
}
