package discord_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/bot"
)

// burst sends n keyed posts through the real Sender, spread over channels,
// concurrently, and returns the errors.
func (w *world) burst(t *testing.T, prefix string, channels []string, n int) []error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch := channels[i%len(channels)]
			out := bot.Post(fmt.Sprintf("%s/%d", prefix, i), bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(ch)},
				bot.Message{Title: "Reminder", Text: fmt.Sprintf("session %d", i)})
			_, errs[i] = w.sender.Send(ctx, out)
		}()
	}
	wg.Wait()
	return errs
}

// countPosts counts messages per nonce across channels and reports any
// nonce seen twice.
func countPosts(t *testing.T, fake *discordtest.Server, channels []string) int {
	t.Helper()
	seen := map[string]bool{}
	total := 0
	for _, ch := range channels {
		for _, m := range fake.Messages(ch) {
			if m.Nonce == "" {
				continue
			}
			if seen[m.Nonce] {
				t.Errorf("nonce %s posted twice", m.Nonce)
			}
			seen[m.Nonce] = true
			total++
		}
	}
	return total
}

func TestFaults_429StormLosesNothing(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.fake.Storm429(25)
	errs := w.burst(t, "storm", []string{w.channel, w.other}, 20)
	for i, err := range errs {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	if got := countPosts(t, w.fake, []string{w.channel, w.other}); got != 20 {
		t.Errorf("%d reminders posted; want 20, each once", got)
	}
	if st := w.fake.Stats(); st.Injected429 != 25 {
		t.Errorf("storm sent %d 429s; want 25", st.Injected429)
	}
	if st := w.ad.Stats(); st.RateLimited < 25 {
		t.Errorf("adapter saw %d 429s; want ≥ 25", st.RateLimited)
	}
}

func TestFaults_RunOf500sIsRetriedAndBounded(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	to := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
	w.fake.Fail5xx(3, 500)
	if _, err := w.sender.Send(ctx, bot.Post("five/1", to, bot.Message{Text: "after three 500s"})); err != nil {
		t.Fatalf("post after a short run of 500s: %v", err)
	}
	// A long outage: the call gives up with a transient error, the outbox
	// keeps the key open, and a later attempt posts exactly once.
	w.fake.Fail5xx(50, 503)
	_, err := w.sender.Send(ctx, bot.Post("five/2", to, bot.Message{Text: "during an outage"}))
	if err == nil || errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("post during an outage: %v; want a transient error", err)
	}
	w.fake.Fail5xx(0, 0)
	if _, err := w.sender.Send(ctx, bot.Post("five/2", to, bot.Message{Text: "during an outage"})); err != nil {
		t.Fatalf("retry after the outage: %v", err)
	}
	if got := countPosts(t, w.fake, []string{w.channel}); got != 2 {
		t.Errorf("%d posts; want 2", got)
	}
}

func TestFaults_DroppedSocketAndOp7ResumeWithoutLoss(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	users := make([]string, 6)
	for i := range users {
		users[i] = w.fake.AddUser(fmt.Sprintf("u%d", i), false)
	}

	w.fake.DropSocket()
	// Events while the socket is down are replayed on resume.
	w.fake.Join(w.guild, users[0], false)
	w.fake.Join(w.guild, users[1], false)
	if err := w.fake.WaitConnected(ctx, 2); err != nil {
		t.Fatal(err)
	}
	w.fake.Reconnect()
	w.fake.Join(w.guild, users[2], false)
	if err := w.fake.WaitConnected(ctx, 3); err != nil {
		t.Fatal(err)
	}
	w.fake.Join(w.guild, users[3], false)
	for _, u := range users[:4] {
		w.waitEvent(t, "join of "+u, func(e bot.Event) bool {
			j, ok := e.(*bot.MemberJoined)
			return ok && j.User.ID == bot.UserID(u)
		})
	}
	st := w.fake.Stats()
	if st.Identifies != 1 || st.Resumes != 2 {
		t.Errorf("identifies=%d resumes=%d; want one session resumed twice", st.Identifies, st.Resumes)
	}
	// Commands still work on the resumed session.
	r := w.replyTo(t, w.command(t, w.member, []string{"help"}, nil))
	if !r.Ephemeral {
		t.Errorf("help after resume not ephemeral")
	}
}

func TestFaults_BurstDuringGatewayFaultsPostsEachOnce(t *testing.T) {
	w := newWorld(t, worldOpts{})
	channels := []string{w.channel, w.other}
	for i := range 8 {
		channels = append(channels, w.fake.AddChannel(w.guild, fmt.Sprintf("c%d", i), discordtest.ChannelText))
	}
	w.fake.Storm429(10)
	w.fake.Fail5xx(3, 502)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.fake.DropSocket()
		w.fake.Reconnect()
	}()
	errs := w.burst(t, "gwfault", channels, 60)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	// Run the same keys again: the outbox says they were sent.
	errs = w.burst(t, "gwfault", channels, 60)
	for i, err := range errs {
		if err != nil {
			t.Errorf("repeat %d: %v", i, err)
		}
	}
	if got := countPosts(t, w.fake, channels); got != 60 {
		t.Errorf("%d reminders posted; want 60, each once", got)
	}
}

func TestLimiter_BurstToManyChannelsGetsNo429(t *testing.T) {
	// The fake's spec validation costs CPU on the same cores (several
	// times more under -race); a starved fake stamps arrivals late and in
	// bunches, which measures the fake, not the pacing. Every request shape
	// here is validated by the other tests.
	w := newWorld(t, worldOpts{fake: discordtest.Config{SkipValidation: true}})
	var channels []string
	for i := range 120 {
		channels = append(channels, w.fake.AddChannel(w.guild, fmt.Sprintf("b%d", i), discordtest.ChannelText))
	}
	errs := w.burst(t, "limit", channels, 120)
	for i, err := range errs {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	// And 12 to one channel: paced per channel, not rejected.
	errs = w.burst(t, "one", []string{w.channel}, 12)
	for i, err := range errs {
		if err != nil {
			t.Errorf("post %d to one channel: %v", i, err)
		}
	}
	// The pacing shows in how rarely the fake had to refuse: unpaced (no global
	// limiter), the same 132 posts drew 184 429s here. The fake counts arrivals on the
	// wall clock, so a machine under load bunches a few of them into one
	// second; the exact figure (0 on an idle machine) is the benchmark's
	// to report, never a test's to assert.
	st := w.fake.Stats()
	t.Logf("429s: %d (global %d, route %d)", st.TooMany, st.GlobalTooMany, st.RouteTooMany)
	if st.TooMany > 13 {
		t.Errorf("the fake sent %d 429s (global %d, route %d) for 132 posts; the adapter is not pacing itself", st.TooMany, st.GlobalTooMany, st.RouteTooMany)
	}
	if got := countPosts(t, w.fake, append(channels, w.channel)); got != 132 {
		t.Errorf("%d posts; want 132", got)
	}
}

func TestFaults_LostResponsesAreDedupedByTheNonce(t *testing.T) {
	w := newWorld(t, worldOpts{})
	channels := []string{w.channel, w.other}
	w.fake.LoseCreateResponses(4)
	for i, err := range w.burst(t, "lost", channels, 10) {
		if err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	if got := countPosts(t, w.fake, channels); got != 10 {
		t.Errorf("%d posts; want 10, each once", got)
	}
	if st := w.fake.Stats(); st.NonceDuplicate != 4 {
		t.Errorf("NonceDuplicate = %d; want 4 (each lost response retried with its nonce)", st.NonceDuplicate)
	}
}
