package bottest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// loopback is the smallest honest adapter: the fake Platform with a
// renderer. It runs the conformance suite here, so that the suite is checked
// without any real adapter.
type loopback struct {
	*Platform
	mu    sync.Mutex
	seen  []Seen
	ready chan struct{}
}

func (l *loopback) show(s Seen) {
	l.mu.Lock()
	l.seen = append(l.seen, s)
	l.mu.Unlock()
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

func render(m bot.Message) string {
	parts := []string{m.Title, m.Text}
	for _, f := range m.Fields {
		parts = append(parts, f.Name+": "+f.Value)
	}
	for _, b := range m.Buttons {
		parts = append(parts, "["+b.Label+"]")
	}
	parts = append(parts, m.Footer)
	return bot.RenderTimes(strings.Join(parts, "\n"), func(t time.Time, st bot.TimeStyle) string {
		return bot.FormatTimeIn(t, st, time.UTC, t0)
	})
}

func seenButtons(m bot.Message) []SeenButton {
	var bs []SeenButton
	for _, b := range m.Buttons {
		bs = append(bs, SeenButton{Label: b.Label, ID: b.ID})
	}
	return bs
}

func (l *loopback) Deliver(ctx context.Context, out bot.Outbound) (bot.Delivered, error) {
	d, err := l.Platform.Deliver(ctx, out)
	if err != nil {
		return d, err
	}
	s := Seen{Ref: d.Ref, Channel: d.Ref.Channel, Text: render(out.Message), Buttons: seenButtons(out.Message)}
	switch out.Kind {
	case bot.OutPost:
		s.Kind = SeenPost
	case bot.OutEdit:
		s.Kind = SeenEdit
	case bot.OutDM:
		s.Kind, s.OnlyFor = SeenDM, out.User
	default:
		s.Kind = SeenOther
	}
	l.show(s)
	return d, nil
}

type loopHarness struct{ l *loopback }

func (h loopHarness) Platform() bot.Platform { return h.l }
func (h loopHarness) KnownChannel() bot.Address {
	return bot.Address{Platform: "console", Channel: "here"}
}
func (h loopHarness) UnknownChannel() bot.Address {
	return bot.Address{Platform: "console", Channel: "gone"}
}
func (h loopHarness) People() []bot.UserID { return []bot.UserID{"sam", "kim"} }

func (h loopHarness) inject(ctx context.Context, ev bot.Event) {
	for _, r := range h.l.Inject(ctx, ev) {
		m := ev.Meta()
		s := Seen{Kind: SeenReply, Channel: m.Channel, Text: render(r.Message), Buttons: seenButtons(r.Message), Ephemeral: r.Ephemeral}
		if r.Ephemeral {
			s.OnlyFor = m.User.ID
		}
		h.l.show(s)
	}
}

func (h loopHarness) Command(ctx context.Context, user bot.UserID, ch bot.ChannelID, words []string, args map[string]string) error {
	h.inject(ctx, &bot.Command{EventMeta: bot.EventMeta{Channel: ch, User: bot.User{ID: user}}, Words: words, Args: args})
	return nil
}

func (h loopHarness) Press(ctx context.Context, user bot.UserID, ref bot.MessageRef, id string) error {
	m, ok := h.l.Content(ref)
	if !ok {
		return fmt.Errorf("no message %s", ref.ID)
	}
	for _, b := range m.Buttons {
		if b.ID == id {
			h.inject(ctx, &bot.ButtonPress{EventMeta: bot.EventMeta{Channel: ref.Channel, User: bot.User{ID: user}}, ID: id, Message: ref})
			return nil
		}
	}
	return fmt.Errorf("no button %q on message %s", id, ref.ID)
}

func (h loopHarness) SelfMessage(ctx context.Context, ch bot.ChannelID, text string) error {
	h.inject(ctx, &bot.DirectMessage{EventMeta: bot.EventMeta{Channel: ch, User: bot.User{ID: "tend", Bot: true}}, Text: text})
	return nil
}

func (h loopHarness) Next(ctx context.Context) (Seen, error) {
	for {
		h.l.mu.Lock()
		if len(h.l.seen) > 0 {
			s := h.l.seen[0]
			h.l.seen = h.l.seen[1:]
			h.l.mu.Unlock()
			return s, nil
		}
		h.l.mu.Unlock()
		select {
		case <-h.l.ready:
		case <-ctx.Done():
			return Seen{}, ctx.Err()
		}
	}
}

func TestRunPlatformTestsOnLoopback(t *testing.T) {
	RunPlatformTests(t, func(t *testing.T) Harness {
		p := &Platform{Clock: NewClock(t0), DeliverHook: func(out bot.Outbound) error {
			if out.To.Channel == "gone" {
				return &bot.PermanentError{Reason: "no such channel"}
			}
			return nil
		}}
		return loopHarness{&loopback{Platform: p, ready: make(chan struct{}, 1)}}
	})
}
