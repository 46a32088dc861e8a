package discord_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
)

// diesBeforeRecording is the outbox of a process that dies right after
// the platform answered a post and before it recorded the answer.
type diesBeforeRecording struct{ *store.DB }

func (diesBeforeRecording) MarkOutboxSent(context.Context, string, bot.Delivered) error {
	return errors.New("killed before recording the delivery")
}

// crashedSender is a Sender over w's adapter and database whose process
// dies after each post reached Discord and before it was recorded.
func (w *world) crashedSender(t *testing.T) *bot.Sender {
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	return bot.NewSender(diesBeforeRecording{w.db}, nil, nil, log, w.ad)
}

// historyReads counts the reads of a channel's messages Discord answered.
func (w *world) historyReads(channel string) int {
	n := 0
	for _, r := range w.fake.Requests() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/channels/"+channel+"/messages") {
			n++
		}
	}
	return n
}

func TestAdapter_FindDeliveredAfterACrash(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
	out := bot.Post("reminder/8/1h", to, bot.Message{Title: "Reminder", Text: "in an hour"})
	// The first process handed the post to Discord, which posted it, and
	// died before recording.
	if _, err := w.crashedSender(t).Send(ctx, out); err == nil {
		t.Fatal("the crashed process recorded its delivery")
	}
	if e, err := w.db.OutboxEntry(ctx, out.Key); err != nil || e.State != bot.OutboxSending || e.HandedAt.IsZero() {
		t.Fatalf("outbox after the crash: %+v, %v; want sending and handed off", e, err)
	}
	posted := w.fake.Messages(w.channel)
	// Something else was posted since.
	if _, err := w.ad.Deliver(ctx, bot.Post("other", to, bot.Message{Text: "unrelated"})); err != nil {
		t.Fatal(err)
	}
	res, err := w.sender.Send(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(posted) != 1 || !res.Recovered || string(res.Ref.ID) != posted[0].ID {
		t.Errorf("Send after crash: %+v; want Recovered with the message posted before (%d)", res, len(posted))
	}
	if n := len(w.fake.Messages(w.channel)); n != 2 {
		t.Errorf("%d messages; want 2 (no repost)", n)
	}
	// A key never sent is not "found".
	out2 := bot.Post("reminder/9/1h", to, bot.Message{Title: "Reminder", Text: "another"})
	if _, found, err := w.ad.FindDelivered(ctx, out2); err != nil || found {
		t.Errorf("FindDelivered of an unsent key: found=%v err=%v", found, err)
	}
}

// TestAdapter_NoHandOffWhileWaitingForPace: a post still waiting for the
// adapter's pacing when its process stops never reached Discord; the
// outbox does not record it as handed off, and the next attempt posts
// without reading the channel's history.
func TestAdapter_NoHandOffWhileWaitingForPace(t *testing.T) {
	w := newWorld(t, worldOpts{rate: 1})
	ctx := t.Context()
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
	if _, err := w.sender.Send(ctx, bot.Post("reminder/1/1m", to, bot.Message{Text: "first"})); err != nil {
		t.Fatal(err)
	}
	// The global limit allows one request a second: this one waits for
	// its turn, and its process stops meanwhile.
	out := bot.Post("reminder/2/1m", to, bot.Message{Text: "second"})
	sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := w.sender.Send(sctx, out); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("send stopped while waiting: %v; want the deadline", err)
	}
	e, err := w.db.OutboxEntry(ctx, out.Key)
	if err != nil || e.State != bot.OutboxSending || e.Attempts != 1 || !e.HandedAt.IsZero() {
		t.Fatalf("outbox after stopping in the queue: %+v, %v; want sending, 1 attempt, not handed off", e, err)
	}
	if res, err := w.sender.Send(ctx, out); err != nil || res.Recovered {
		t.Fatalf("the next attempt: %+v, %v", res, err)
	}
	if n := w.historyReads(w.channel); n != 0 {
		t.Errorf("%d history reads; want none for an attempt that never left the process", n)
	}
	if n := len(w.fake.Messages(w.channel)); n != 2 {
		t.Errorf("%d messages; want 2", n)
	}
}

// TestAdapter_OneHistoryReadPerChannel: after a restart, many keys of one
// channel whose attempts were handed off — some posted, some not — cost one
// read of that channel's history, and each is still posted exactly once.
func TestAdapter_OneHistoryReadPerChannel(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	crashed := w.crashedSender(t)
	var outs []bot.Outbound
	for i, ch := range []string{w.channel, w.channel, w.channel, w.channel, w.channel, w.channel, w.other, w.other} {
		to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(ch)}
		out := bot.Post(fmt.Sprintf("reminder/%d/1m", i), to, bot.Message{Title: "Reminder", Text: fmt.Sprintf("session %d", i)})
		outs = append(outs, out)
		if i%2 == 0 {
			// Posted by the process that died.
			if _, err := crashed.Send(ctx, out); err == nil {
				t.Fatal("the crashed process recorded its delivery")
			}
			continue
		}
		// Handed off as the process died: never reached Discord.
		if _, err := w.db.BeginOutbox(ctx, out.Key, bot.PlatformDiscord, bot.OutPost); err != nil {
			t.Fatal(err)
		}
		if err := w.db.MarkOutboxHandedOff(ctx, out.Key, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	for i, out := range outs {
		res, err := w.sender.Send(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		if res.Recovered != (i%2 == 0) {
			t.Errorf("%s: %+v; want recovered only if it was posted before", out.Key, res)
		}
	}
	if a, b := w.historyReads(w.channel), w.historyReads(w.other); a != 1 || b != 1 {
		t.Errorf("history reads: %d and %d; want one per channel", a, b)
	}
	for ch, want := range map[string]int{w.channel: 6, w.other: 2} {
		if n := len(w.fake.Messages(ch)); n != want {
			t.Errorf("%d messages in a channel; want %d, each key once", n, want)
		}
	}
}

// TestAdapter_HandOffFailureSendsNothing: when the outbox cannot record
// the hand-off, the adapter makes no request.
func TestAdapter_HandOffFailureSendsNothing(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	s := bot.NewSender(noHandOff{w.db}, nil, nil, log, w.ad)
	before := len(w.fake.Requests())
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
	if _, err := s.Send(ctx, bot.Post("reminder/3/1m", to, bot.Message{Text: "x"})); err == nil {
		t.Fatal("sent without recording the hand-off")
	}
	for _, r := range w.fake.Requests()[before:] {
		// The adapter's own start-up calls (its commands registered as it
		// connects) may land meanwhile; none may touch the channel.
		if strings.Contains(r.Path, "/channels/"+w.channel) {
			t.Errorf("request %s %s made; want none to the channel", r.Method, r.Path)
		}
	}
	if n := len(w.fake.Messages(w.channel)); n != 0 {
		t.Errorf("%d messages; want none", n)
	}
}

// noHandOff is an outbox that cannot record a hand-off.
type noHandOff struct{ *store.DB }

func (noHandOff) MarkOutboxHandedOff(context.Context, string, time.Time) error {
	return errors.New("disk I/O error")
}
