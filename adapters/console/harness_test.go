package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// t0 is the fake time tests start at: a Tuesday afternoon.
var t0 = time.Date(2026, time.December, 1, 16, 0, 0, 0, time.UTC)

// syncBuffer is an io.Writer safe to read while the adapter writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// shownQueue collects what the adapter showed, for Harness.Next.
type shownQueue struct {
	mu     sync.Mutex
	items  []shown
	signal chan struct{}
}

func newShownQueue() *shownQueue { return &shownQueue{signal: make(chan struct{}, 1)} }

func (q *shownQueue) push(s shown) {
	q.mu.Lock()
	q.items = append(q.items, s)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *shownQueue) pop(ctx context.Context) (shown, error) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			s := q.items[0]
			q.items = q.items[1:]
			q.mu.Unlock()
			return s, nil
		}
		q.mu.Unlock()
		select {
		case <-q.signal:
		case <-ctx.Done():
			return shown{}, fmt.Errorf("wait for console output: %w", ctx.Err())
		}
	}
}

// pipeInput feeds lines to an adapter through an io.Pipe, as a person at a
// terminal would.
type pipeInput struct {
	r *io.PipeReader
	w *io.PipeWriter
}

func newPipeInput(t *testing.T) *pipeInput {
	r, w := io.Pipe()
	return &pipeInput{r: r, w: w}
}

// send writes lines, returning once the adapter has read them or ctx is
// done.
func (p *pipeInput) send(ctx context.Context, lines ...string) error {
	done := make(chan error, 1)
	go func() {
		_, err := io.WriteString(p.w, strings.Join(lines, "\n")+"\n")
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// Closing the pipe ends the write; wait for the writer to finish.
		p.w.CloseWithError(ctx.Err())
		<-done
		return fmt.Errorf("send console input: %w", ctx.Err())
	}
}

// harness implements bottest.Harness for the console.
type harness struct {
	a     *Adapter
	in    *pipeInput
	out   *syncBuffer
	shown *shownQueue
}

func newHarness(t *testing.T) bottest.Harness {
	in := newPipeInput(t)
	out := &syncBuffer{}
	a, err := New(Config{
		In:       in.r,
		Out:      out,
		Channels: []bot.ChannelID{"tuesday-support"},
		Location: time.UTC,
		Clock:    bottest.NewClock(t0),
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	q := newShownQueue()
	a.observe = q.push
	t.Cleanup(func() {
		// Ends the reading goroutine; then check that it did end.
		in.w.Close()
		a.readers.Wait()
		if t.Failed() {
			t.Logf("console output:\n%s", out.String())
		}
	})
	return &harness{a: a, in: in, out: out, shown: q}
}

func (h *harness) Platform() bot.Platform { return h.a }

func (h *harness) KnownChannel() bot.Address {
	return bot.Address{Platform: bot.PlatformConsole, Channel: "tuesday-support"}
}

func (h *harness) UnknownChannel() bot.Address {
	return bot.Address{Platform: bot.PlatformConsole, Channel: "nowhere"}
}

func (h *harness) People() []bot.UserID { return []bot.UserID{"sam", "kim"} }

func (h *harness) Command(ctx context.Context, user bot.UserID, ch bot.ChannelID, words []string, args map[string]string) error {
	line := "/tend " + strings.Join(words, " ")
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		line += fmt.Sprintf(" %s:%q", k, args[k])
	}
	return h.in.send(ctx, "/as "+string(user), "/in "+string(ch), line)
}

func (h *harness) Press(ctx context.Context, user bot.UserID, ref bot.MessageRef, buttonID string) error {
	h.a.mu.Lock()
	n := 0
	for _, b := range h.a.buttons {
		if b.id == buttonID && b.msg == ref.ID && b.active {
			n = b.num
		}
	}
	h.a.mu.Unlock()
	if n == 0 {
		return fmt.Errorf("no choice with id %q on message #%s", buttonID, ref.ID)
	}
	return h.in.send(ctx, "/as "+string(user), fmt.Sprintf("/click %d", n))
}

func (h *harness) SelfMessage(ctx context.Context, ch bot.ChannelID, text string) error {
	return h.in.send(ctx, "/as "+DefaultBotName, "/in "+string(ch), text)
}

func (h *harness) Next(ctx context.Context) (bottest.Seen, error) {
	s, err := h.shown.pop(ctx)
	if err != nil {
		return bottest.Seen{}, err
	}
	seen := bottest.Seen{
		Channel:   s.channel,
		Ref:       s.ref,
		Ephemeral: s.ephemeral,
		OnlyFor:   s.onlyFor,
		Text:      s.text,
	}
	switch s.kind {
	case shownReply:
		seen.Kind = bottest.SeenReply
	case shownPost:
		seen.Kind = bottest.SeenPost
	case shownEdit:
		seen.Kind = bottest.SeenEdit
	case shownDM:
		seen.Kind = bottest.SeenDM
	default:
		seen.Kind = bottest.SeenOther
	}
	for _, b := range s.buttons {
		seen.Buttons = append(seen.Buttons, bottest.SeenButton{Label: b.label, ID: b.id})
	}
	return seen, nil
}

func TestConformance(t *testing.T) {
	bottest.RunPlatformTests(t, newHarness)
}
