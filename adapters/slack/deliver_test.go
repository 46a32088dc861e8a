package slack_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func post(key, ch string) bot.Outbound {
	return bot.Post(key, bot.Address{Platform: bot.PlatformSlack, Channel: bot.ChannelID(ch)}, bot.Message{Text: "Reminder " + key})
}

// countKey counts messages in ch carrying key in their metadata.
func countKey(f *fakeslack.Server, ch, key string) int {
	n := 0
	for _, m := range f.Messages(ch) {
		if m.Metadata != nil && m.Metadata.EventPayload["key"] == key {
			n++
		}
	}
	return n
}

func callsOf(f *fakeslack.Server, method string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Method == method {
			n++
		}
	}
	return n
}

func TestDeliver_Faults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(f *fakeslack.Server)
	}{
		{"RateLimited429", func(f *fakeslack.Server) { f.Fail("chat.postMessage", http.StatusTooManyRequests, 2) }},
		{"ServerError500", func(f *fakeslack.Server) { f.Fail("chat.postMessage", http.StatusInternalServerError, 3) }},
		{"BadGateway502", func(f *fakeslack.Server) { f.Fail("chat.postMessage", http.StatusBadGateway, 1) }},
		// Slack posted, but the answer was lost: the adapter finds the post
		// by its metadata key instead of posting it twice.
		{"PostedButAnswerLost", func(f *fakeslack.Server) { f.FailAfterCommit("chat.postMessage", 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{mode: slack.ModeSocket})
			tc.inject(e.fake)
			res, err := e.sender.Send(e.ctx, post("reminder/1/24h", groupChan))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if n := countKey(e.fake, groupChan, "reminder/1/24h"); n != 1 {
				t.Errorf("%d copies posted; want exactly 1", n)
			}
			if res.Delivered.Ref.ID == "" || res.Delivered.Ref.Channel != groupChan {
				t.Errorf("delivered %+v; want the message's ref", res.Delivered)
			}
			// Sending the key again is a duplicate, not a second post.
			again, err := e.sender.Send(e.ctx, post("reminder/1/24h", groupChan))
			if err != nil || !again.Duplicate || again.Delivered.Ref != res.Delivered.Ref {
				t.Errorf("second Send = %+v, %v; want a duplicate of the first", again, err)
			}
		})
	}
}

func TestDeliver_RetriesAreBounded(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeSocket})
	e.fake.Fail("chat.postMessage", http.StatusInternalServerError, 100)
	_, err := e.a.Deliver(e.ctx, post("", groupChan))
	if err == nil || errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("Deliver through endless 500s = %v; want a temporary error", err)
	}
	if n := callsOf(e.fake, "chat.postMessage"); n != 6 {
		t.Errorf("%d attempts; want 6 (one and five retries)", n)
	}
}

func TestDeliver_UnreachableChannelFailsFast(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(f *fakeslack.Server)
	}{
		{"ChannelNotFound", func(f *fakeslack.Server) { f.DeleteChannel(otherChan) }},
		{"NotInChannel", func(f *fakeslack.Server) { f.RemoveBot(otherChan) }},
		{"Archived", func(f *fakeslack.Server) { f.FailWith("chat.postMessage", "is_archived", 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &syncBuffer{}
			e := newEnv(t, envOpts{mode: slack.ModeSocket, tweak: func(c *slack.Config) {
				c.Logger = slog.New(slog.NewTextHandler(logs, nil))
			}})
			tc.break_(e.fake)
			_, err := e.sender.Send(e.ctx, post("reminder/2/1h", otherChan))
			var pe *bot.PermanentError
			if !errors.As(err, &pe) || !errors.Is(err, bot.ErrUnreachable) {
				t.Fatalf("Send to a refusing channel = %v; want a bot.PermanentError", err)
			}
			before := callsOf(e.fake, "chat.postMessage")
			_, err = e.a.Deliver(e.ctx, post("reminder/3/1h", otherChan))
			if !errors.Is(err, bot.ErrUnreachable) {
				t.Errorf("second Deliver = %v; want unreachable", err)
			}
			if after := callsOf(e.fake, "chat.postMessage"); after != before {
				t.Errorf("second Deliver called chat.postMessage again; want it to fail fast")
			}
			// Other channels are unaffected.
			if _, err := e.a.Deliver(e.ctx, post("reminder/4/1h", groupChan)); err != nil {
				t.Errorf("Deliver to a healthy channel: %v", err)
			}
			if n := strings.Count(logs.String(), "level=ERROR msg=\"channel refused the bot"); n != 1 {
				t.Errorf("the refusal was logged at Error %d times; want once\n%s", n, logs.String())
			}
		})
	}
}

func TestDeliver_ClosedDMIsNeverRedirected(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeSocket})
	e.fake.SetDMsClosed(member1, true)
	out := bot.DM("checkin/9/"+member1, bot.PlatformSlack, member1, bot.Message{Text: "How are you arriving today?"})
	_, err := e.sender.Send(e.ctx, out)
	var pe *bot.PermanentError
	if !errors.As(err, &pe) {
		t.Fatalf("Send of a DM to closed DMs = %v; want a bot.PermanentError", err)
	}
	if msgs := e.fake.Messages(""); len(msgs) != 0 {
		t.Errorf("messages posted %+v; a DM that cannot be delivered must never appear anywhere else", msgs)
	}
	if eph := e.fake.Ephemerals(""); len(eph) != 0 {
		t.Errorf("ephemerals %+v; want none", eph)
	}
	// The outbox records the failure, so the job is not retried forever.
	if _, err := e.sender.Send(e.ctx, out); !errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("second Send = %v; want the recorded failure", err)
	}
	if n := callsOf(e.fake, "conversations.open"); n != 1 {
		t.Errorf("conversations.open called %d times; want 1", n)
	}
}

func TestDeliver_DMEditPinInviteRoles(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeSocket})
	d, err := e.a.Deliver(e.ctx, bot.DM("dm/1", bot.PlatformSlack, member2, bot.Message{Text: "Welcome. Please read the norms."}))
	if err != nil {
		t.Fatal(err)
	}
	if d.Ref.Channel != "D0MEM2" || len(e.fake.Messages("D0MEM2")) != 1 {
		t.Errorf("DM delivered to %+v; want the member's DM channel", d.Ref)
	}
	p, err := e.a.Deliver(e.ctx, post("norms/1", groupChan))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Deliver(e.ctx, bot.Outbound{Kind: bot.OutPin, Ref: p.Ref}); err != nil {
		t.Errorf("pin: %v", err)
	}
	if _, err := e.a.Deliver(e.ctx, bot.Outbound{Kind: bot.OutPin, Ref: p.Ref}); err != nil {
		t.Errorf("pin again (already_pinned is fine): %v", err)
	}
	if _, err := e.a.Deliver(e.ctx, bot.Edit(p.Ref, bot.Message{Text: "Norms, version 2"})); err != nil {
		t.Errorf("edit: %v", err)
	}
	m := e.fake.Messages(groupChan)[0]
	if !m.Pinned || m.Edits != 1 || m.Text != "Norms, version 2" {
		t.Errorf("message after pin and edit: %+v", m)
	}
	for i := range 2 { // the second answers not_pinned, which is fine
		if _, err := e.a.Deliver(e.ctx, bot.Outbound{Kind: bot.OutUnpin, Ref: p.Ref}); err != nil {
			t.Errorf("unpin %d: %v", i, err)
		}
	}
	if m := e.fake.Messages(groupChan)[0]; m.Pinned {
		t.Errorf("message still pinned after unpin")
	}
	if v := e.fake.Violations(); len(v) > 0 {
		t.Errorf("requests failing Slack's spec: %v", v)
	}
	inv := bot.Outbound{Kind: bot.OutInvite, To: bot.Address{Platform: bot.PlatformSlack, Channel: privateChan}, User: member1}
	for i := range 2 { // the second answers already_in_channel, which is fine
		if _, err := e.a.Deliver(e.ctx, inv); err != nil {
			t.Errorf("invite %d: %v", i, err)
		}
	}
	if _, err := e.a.Deliver(e.ctx, bot.Outbound{Kind: bot.OutGrantRole, User: member1, Role: "R1"}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("grant role = %v; want errors.ErrUnsupported", err)
	}
}

func TestDeliver_PacesEachChannel(t *testing.T) {
	// The fake allows 4 posts at once per channel and then one a second;
	// the adapter's own pacing (bursts of 3) must keep it from ever
	// answering 429.
	e := newEnv(t, envOpts{mode: slack.ModeSocket, fake: fakeslack.Options{ChannelBurst: 4}})
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 6 {
		for _, ch := range []string{groupChan, otherChan} {
			wg.Go(func() {
				_, err := e.sender.Send(e.ctx, post(fmt.Sprintf("burst/%s/%d", ch, i), ch))
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := e.fake.RateLimited(); n != 0 {
		t.Errorf("the fake answered %d 429s; want 0", n)
	}
	for _, ch := range []string{groupChan, otherChan} {
		if n := len(e.fake.Messages(ch)); n != 6 {
			t.Errorf("%d posts in %s; want 6", n, ch)
		}
	}
}

func TestSocket_ReconnectsWithoutLosingWork(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeSocket})
	// A burst of posts runs while the socket is told to disconnect and is
	// then dropped: posts use the Web API and all arrive once; commands work
	// on the new connections.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		ch := []string{groupChan, otherChan}[i%2]
		wg.Go(func() {
			_, err := e.sender.Send(e.ctx, post(fmt.Sprintf("burst/%d", i), ch))
			errs <- err
		})
	}
	if err := e.fake.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitConnections(e.ctx, 2); err != nil {
		t.Fatalf("no reconnect after a disconnect envelope: %v", err)
	}
	e.command(member1, groupChan, "help", "what you can do here")
	if err := e.fake.Drop(); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitConnections(e.ctx, 3); err != nil {
		t.Fatalf("no reconnect after a dropped socket: %v", err)
	}
	// An event sent while the socket is down is delivered on the new one.
	if _, err := e.fake.DirectMessage(e.ctx, member2, "hello"); err != nil {
		t.Fatal(err)
	}
	if ev := e.event(); ev.Meta().User.ID != member2 {
		t.Errorf("event %#v; want member2's DM", ev)
	}
	e.command(member2, groupChan, "help", "what you can do here")
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for i := range 20 {
		ch := []string{groupChan, otherChan}[i%2]
		if n := countKey(e.fake, ch, fmt.Sprintf("burst/%d", i)); n != 1 {
			t.Errorf("burst/%d posted %d times; want 1", i, n)
		}
	}
	for _, o := range e.fake.Origins() {
		if !strings.HasPrefix(o, "https://api.slack.com") {
			t.Errorf("socket dialled with Origin %q", o)
		}
	}
}

// TestDeliver_EditsOfOneMessageCoalesce: edits of one message run one at a
// time, and edits that queue up behind a slow one collapse into the newest.
func TestDeliver_EditsOfOneMessageCoalesce(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeSocket})
	d, err := e.a.Deliver(e.ctx, post("reminder/5/1h", groupChan))
	if err != nil {
		t.Fatal(err)
	}
	// The first edit meets a 429 and waits a second: the others queue.
	e.fake.Fail("chat.update", http.StatusTooManyRequests, 1)
	const n = 20
	texts := map[string]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		text := fmt.Sprintf("%d coming", i)
		texts[text] = true
		wg.Go(func() {
			_, err := e.a.Deliver(e.ctx, bot.Edit(d.Ref, bot.Message{Text: text}))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("edit: %v", err)
		}
	}
	calls := callsOf(e.fake, "chat.update")
	if calls >= n {
		t.Errorf("%d chat.update calls for %d edits; want the queued ones coalesced", calls, n)
	}
	m := e.fake.Messages(groupChan)[0]
	if !texts[m.Text] {
		t.Errorf("message reads %q; want one of the edits", m.Text)
	}
	t.Logf("%d edits made %d chat.update calls", n, calls)
	// After the burst, a single edit goes straight through.
	if _, err := e.a.Deliver(e.ctx, bot.Edit(d.Ref, bot.Message{Text: "final"})); err != nil {
		t.Fatal(err)
	}
	if m := e.fake.Messages(groupChan)[0]; m.Text != "final" {
		t.Errorf("message reads %q after a later edit; want final", m.Text)
	}
}

func TestDeliver_RejectedPayloadLeavesTheChannelUsable(t *testing.T) {
	for _, code := range []string{"invalid_blocks", "msg_too_long", "invalid_metadata_format", "too_many_attachments"} {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t, envOpts{mode: slack.ModeSocket})
			e.sender.ReportUnreachableTo([]bot.Principal{"slack:" + owner})
			e.fake.FailWith("chat.postMessage", code, 1)
			_, err := e.sender.Send(e.ctx, post("reminder/50/24h", groupChan))
			if !errors.Is(err, bot.ErrRejected) || errors.Is(err, bot.ErrUnreachable) {
				t.Fatalf("Send answered %s = %v; want ErrRejected and not ErrUnreachable", code, err)
			}
			if n := callsOf(e.fake, "chat.postMessage"); n != 2 { // the post and the owner's notice
				t.Errorf("chat.postMessage called %d times; want 2 (no retry of a refused payload)", n)
			}
			// The next post to that channel goes out: it was not marked.
			if _, err := e.sender.Send(e.ctx, post("reminder/51/24h", groupChan)); err != nil {
				t.Fatalf("the next post to the channel: %v", err)
			}
			if n := countKey(e.fake, groupChan, "reminder/51/24h"); n != 1 {
				t.Errorf("%d copies of the next post; want 1", n)
			}
			e2, err := e.db.OutboxEntry(e.ctx, "reminder/50/24h")
			if err != nil || e2.State != bot.OutboxFailed || !strings.Contains(e2.Error, code) {
				t.Errorf("outbox %+v %v; want failed naming %s", e2, err, code)
			}
			var rejected, unreachable int
			for _, m := range e.fake.Messages("D" + strings.TrimPrefix(owner, "U")) {
				txt := m.Text + string(m.Blocks)
				switch {
				case strings.Contains(txt, "refused as invalid") && strings.Contains(txt, "reminder/50/24h"):
					rejected++
				case strings.Contains(txt, "cannot post"):
					unreachable++
				}
			}
			if rejected != 1 || unreachable != 0 {
				t.Errorf("owner got %d rejected and %d unreachable notices; want one rejected notice only", rejected, unreachable)
			}
		})
	}
	t.Run("EditRefused", func(t *testing.T) {
		e := newEnv(t, envOpts{mode: slack.ModeSocket})
		p, err := e.a.Deliver(e.ctx, post("card/1", groupChan))
		if err != nil {
			t.Fatal(err)
		}
		e.fake.FailWith("chat.update", "invalid_blocks", 1)
		if _, err := e.a.Deliver(e.ctx, bot.Edit(p.Ref, bot.Message{Text: "2 coming"})); !errors.Is(err, bot.ErrRejected) {
			t.Fatalf("refused edit = %v; want ErrRejected", err)
		}
		if _, err := e.a.Deliver(e.ctx, bot.Edit(p.Ref, bot.Message{Text: "3 coming"})); err != nil {
			t.Fatalf("the next edit: %v", err)
		}
	})
}

func TestDeliver_UsesTheConfiguredClock(t *testing.T) {
	start := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	clock := bottest.NewClock(start)
	e := newEnv(t, envOpts{mode: slack.ModeSocket, tweak: func(c *slack.Config) { c.Clock = clock }})
	// A new adapter's posts start at their pace, with no burst (see
	// TestAdapter_PostsStartAtTheirPace): let it pass on the clock.
	clock.Advance(time.Second)
	start = clock.Now()
	p, err := e.a.Deliver(e.ctx, post("clock/1", groupChan))
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.a.Deliver(e.ctx, bot.Edit(p.Ref, bot.Message{Text: "edited"}))
	if err != nil || !d.At.Equal(start) {
		t.Errorf("edit delivered at %v (%v); want the clock's %v", d.At, err, start)
	}
	if _, err := e.fake.MemberJoined(e.ctx, member1, groupChan); err != nil {
		t.Fatal(err)
	}
	if ev := e.event(); !ev.Meta().At.Equal(start) {
		t.Errorf("event at %v; want the clock's %v", ev.Meta().At, start)
	}
	// An unreachable mark lasts UnreachableFor on the clock, not on the
	// wall.
	e.fake.RemoveBot(otherChan)
	if _, err := e.a.Deliver(e.ctx, post("clock/2", otherChan)); !errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("post to a channel without the bot = %v", err)
	}
	e.fake.AddChannel(otherChan, "general", false, owner)
	if _, err := e.a.Deliver(e.ctx, post("clock/3", otherChan)); !errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("post within UnreachableFor = %v; want it failed fast", err)
	}
	clock.Advance(10 * time.Minute) // the default UnreachableFor
	if _, err := e.a.Deliver(e.ctx, post("clock/4", otherChan)); err != nil {
		t.Fatalf("post after UnreachableFor on the clock: %v", err)
	}
}
