package slack_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
)

// diesBeforeRecording is the outbox of a process that dies right after
// Slack answered a post and before it recorded the answer.
type diesBeforeRecording struct{ *store.DB }

func (diesBeforeRecording) MarkOutboxSent(context.Context, string, bot.Delivered) error {
	return errors.New("killed before recording the delivery")
}

// noHandOff is an outbox that cannot record a hand-off.
type noHandOff struct{ *store.DB }

func (noHandOff) MarkOutboxHandedOff(context.Context, string, time.Time) error {
	return errors.New("disk I/O error")
}

// crashedSender is a Sender over e's adapter and database whose process
// dies after each post reached Slack and before it was recorded.
func (e *env) crashedSender() *bot.Sender {
	return bot.NewSender(diesBeforeRecording{e.db}, nil, nil, testLogger(e.t), e.a)
}

// TestFindDelivered_AfterACrash: a process posted a reminder and died
// before recording it; the next attempt finds the post by its metadata key
// and does not post again.
func TestFindDelivered_AfterACrash(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeSocket})
	out := post("reminder/7/1h", groupChan)
	if _, err := e.crashedSender().Send(e.ctx, out); err == nil {
		t.Fatal("the crashed process recorded its delivery")
	}
	if en, err := e.db.OutboxEntry(e.ctx, out.Key); err != nil || en.State != bot.OutboxSending || en.HandedAt.IsZero() {
		t.Fatalf("outbox after the crash: %+v, %v; want sending and handed off", en, err)
	}
	posted := e.fake.Messages(groupChan)
	// Other posts since then push it down the channel's history.
	for i := range 2 {
		if _, err := e.a.Deliver(e.ctx, post(fmt.Sprintf("other/%d", i), groupChan)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := e.sender.Send(e.ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(posted) != 1 || !res.Recovered || string(res.Delivered.Ref.ID) != posted[0].TS {
		t.Errorf("Send after a crash = %+v; want the earlier post recovered", res)
	}
	if n := countKey(e.fake, groupChan, out.Key); n != 1 {
		t.Errorf("%d copies; want 1", n)
	}
	// A key that was never posted is not found.
	if _, found, err := e.a.FindDelivered(e.ctx, post("reminder/8/1h", groupChan)); err != nil || found {
		t.Errorf("FindDelivered of a key never posted = %v, %v; want not found", found, err)
	}
}

// TestDeliver_NoHandOffWhileWaitingForPace: a post still waiting for its
// channel's pace when its process stops never reached Slack; the outbox
// does not record it as handed off, and the next attempt posts without
// reading the channel's history.
func TestDeliver_NoHandOffWhileWaitingForPace(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeSocket, tweak: func(c *slack.Config) { c.ChannelRate, c.ChannelBurst = 0.5, 1 }})
	if _, err := e.sender.Send(e.ctx, post("reminder/1/1m", groupChan)); err != nil {
		t.Fatal(err)
	}
	out := post("reminder/2/1m", groupChan)
	sctx, cancel := context.WithTimeout(e.ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := e.sender.Send(sctx, out); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("send stopped while waiting: %v; want the deadline", err)
	}
	en, err := e.db.OutboxEntry(e.ctx, out.Key)
	if err != nil || en.State != bot.OutboxSending || en.Attempts != 1 || !en.HandedAt.IsZero() {
		t.Fatalf("outbox after stopping in the queue: %+v, %v; want sending, 1 attempt, not handed off", en, err)
	}
	if res, err := e.sender.Send(e.ctx, out); err != nil || res.Recovered {
		t.Fatalf("the next attempt: %+v, %v", res, err)
	}
	if n := callsOf(e.fake, "conversations.history"); n != 0 {
		t.Errorf("%d history reads; want none for an attempt that never left the process", n)
	}
	if n := countKey(e.fake, groupChan, out.Key); n != 1 {
		t.Errorf("%d copies; want 1", n)
	}
}

// TestFindDelivered_OneHistoryReadPerChannel: after a restart, many keys of
// one channel whose attempts were handed off — some posted, some not —
// cost one read of that channel's history, and each is still posted
// exactly once.
func TestFindDelivered_OneHistoryReadPerChannel(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeSocket})
	crashed := e.crashedSender()
	var outs []bot.Outbound
	for i, ch := range []string{groupChan, groupChan, groupChan, groupChan, otherChan, otherChan} {
		out := post(fmt.Sprintf("reminder/%d/1m", i), ch)
		outs = append(outs, out)
		if i%2 == 0 {
			if _, err := crashed.Send(e.ctx, out); err == nil {
				t.Fatal("the crashed process recorded its delivery")
			}
			continue
		}
		if _, err := e.db.BeginOutbox(e.ctx, out.Key, bot.PlatformSlack, bot.OutPost); err != nil {
			t.Fatal(err)
		}
		if err := e.db.MarkOutboxHandedOff(e.ctx, out.Key, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	for i, out := range outs {
		res, err := e.sender.Send(e.ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		if res.Recovered != (i%2 == 0) {
			t.Errorf("%s: %+v; want recovered only if it was posted before", out.Key, res)
		}
	}
	if n := callsOf(e.fake, "conversations.history"); n != 2 {
		t.Errorf("%d history reads for two channels; want 2", n)
	}
	for _, out := range outs {
		if n := countKey(e.fake, string(out.To.Channel), out.Key); n != 1 {
			t.Errorf("%s posted %d times; want 1", out.Key, n)
		}
	}
}

// TestDeliver_HandOffFailureSendsNothing: when the outbox cannot record the
// hand-off, the adapter does not call chat.postMessage.
func TestDeliver_HandOffFailureSendsNothing(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeSocket})
	s := bot.NewSender(noHandOff{e.db}, nil, nil, testLogger(t), e.a)
	if _, err := s.Send(e.ctx, post("reminder/3/1m", groupChan)); err == nil {
		t.Fatal("sent without recording the hand-off")
	}
	if n := callsOf(e.fake, "chat.postMessage"); n != 0 {
		t.Errorf("%d chat.postMessage calls; want none", n)
	}
}
