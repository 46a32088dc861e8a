package console

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// runInput runs a console over input to its end and returns what it showed
// and the events it handed the core.
func runInput(t *testing.T, input string) (string, []bot.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out := &syncBuffer{}
	a, err := New(Config{In: strings.NewReader(input), Out: out, Location: time.UTC, Clock: bottest.NewClock(t0), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := &recHandler{events: make(chan bot.Event, 64)}
	if err := a.Run(ctx, h); err != nil {
		t.Fatalf("Run: %v (the input must not end the console)\n%s", err, out.String())
	}
	a.readers.Wait()
	close(h.events)
	var evs []bot.Event
	for ev := range h.events {
		evs = append(evs, ev)
	}
	return out.String(), evs
}

// TestRun_RefusesOverlongLine: a line of 1 MiB or more used to end the
// console ("bufio.Scanner: token too long") and lose every later command.
// It is refused, saying how long a line may be, and reading goes on.
func TestRun_RefusesOverlongLine(t *testing.T) {
	mib := strings.Repeat("x", 1<<20)
	input := "/tend first\n" +
		"/tend roster add name:" + mib + "\n" +
		"/tend second\r\n" +
		strings.Repeat("y", MaxLine+1) + "\n" +
		"/tend third\n" +
		mib + mib // the last line, without a newline
	out, evs := runInput(t, input)
	var words []string
	for _, ev := range evs {
		c, ok := ev.(*bot.Command)
		if !ok {
			t.Errorf("the core got a %T", ev)
			continue
		}
		words = append(words, strings.Join(c.Words, " "))
	}
	if got := strings.Join(words, ", "); got != "first, second, third" {
		t.Errorf("commands run: %q, want first, second, third", got)
	}
	for _, n := range []int{len("/tend roster add name:") + 1<<20, MaxLine + 1, 2 << 20} {
		want := fmt.Sprintf("· That line is %d bytes long; a line may be at most 65536 bytes (64 KiB). It was not run", n)
		if !strings.Contains(out, want) {
			t.Errorf("no refusal of the %d-byte line:\n%.2000s", n, out)
		}
	}
	if strings.Contains(out, "xxxxxxxxxx") || strings.Contains(out, "yyyyyyyyyy") {
		t.Error("a refused line was echoed")
	}
}

// TestRun_LongestLine: a line of exactly MaxLine bytes, with either line
// ending, is read whole.
func TestRun_LongestLine(t *testing.T) {
	body := strings.Repeat("z", MaxLine)
	_, evs := runInput(t, body+"\n"+body+"\r\n"+body)
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}
	for i, ev := range evs {
		if dm, ok := ev.(*bot.DirectMessage); !ok || dm.Text != body {
			t.Errorf("event %d: %T, want a DM of the whole %d-byte line", i, ev, MaxLine)
		}
	}
}
