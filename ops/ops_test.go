package ops_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/ops"
	"github.com/tend-bot/tend/store/storetest"
)

// healthPlatform is a recording platform whose connection the test turns
// off and on.
type healthPlatform struct {
	*bottest.Platform
	mu  sync.Mutex
	up  bool
	why string
}

func (p *healthPlatform) Connected() (bool, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.up, p.why
}

func (p *healthPlatform) set(up bool, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up, p.why = up, why
}

// get fetches path from the test server and returns the status and body.
func get(t *testing.T, base, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// serve runs the endpoint on a loopback port for the test's lifetime,
// through ops.Serve as tend runs it.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ops.Serve(ctx, ln, h, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return "http://" + ln.Addr().String()
}

func TestHandler_HealthAndReadiness(t *testing.T) {
	db := storetest.Open(t)
	discord := &healthPlatform{Platform: &bottest.Platform{PlatformName: bot.PlatformDiscord}, up: true}
	slack := &bottest.Platform{PlatformName: bot.PlatformSlack} // no Health: counts as connected
	base := serve(t, ops.Handler(ops.Config{Platforms: []bot.Platform{discord, slack}, DB: db, Logger: slog.New(slog.DiscardHandler)}))

	if code, body := get(t, base, "/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q, want 200 ok", code, body)
	}
	code, body := get(t, base, "/readyz")
	if code != http.StatusOK {
		t.Errorf("/readyz while connected = %d, want 200:\n%s", code, body)
	}
	if want := "discord: connected\nslack: connected\ndatabase: answers\n"; body != want {
		t.Errorf("/readyz body = %q, want %q", body, want)
	}

	// The platform drops: not ready, and the body says which and why.
	discord.set(false, "gateway disconnected since 2026-12-01 10:00:00 UTC")
	code, body = get(t, base, "/readyz")
	if code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with discord down = %d, want 503", code)
	}
	if !strings.Contains(body, "discord: NOT READY: gateway disconnected since 2026-12-01 10:00:00 UTC") || !strings.Contains(body, "database: answers") {
		t.Errorf("/readyz body does not say what is not ready:\n%s", body)
	}
	// Alive all the same.
	if code, _ := get(t, base, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with a platform down = %d, want 200", code)
	}

	// Back: ready again.
	discord.set(true, "")
	if code, body := get(t, base, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after reconnecting = %d, want 200:\n%s", code, body)
	}

	// The database stops answering: not ready.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	code, body = get(t, base, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "database: NOT READY") {
		t.Errorf("/readyz with the database closed = %d:\n%s", code, body)
	}

	// Only reading is served.
	resp, err := http.Post(base+"/readyz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz = %d, want 405", resp.StatusCode)
	}
}

// slowPinger answers only when its context ends.
type slowPinger struct{}

func (slowPinger) Ping(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

func TestHandler_ReadinessBoundsTheDatabaseCheck(t *testing.T) {
	base := serve(t, ops.Handler(ops.Config{DB: slowPinger{}, PingTimeout: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}))
	code, body := get(t, base, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "database: NOT READY: did not answer within 50ms") {
		t.Errorf("/readyz with a database that hangs = %d %q", code, body)
	}
}

func TestMetrics_CountsWithoutNamesOrContent(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	clock := bottest.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	m, err := ops.NewMetrics(ops.MetricsConfig{Stats: db, Clock: clock, Logger: slog.New(slog.DiscardHandler), Version: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	discord := &healthPlatform{Platform: &bottest.Platform{PlatformName: bot.PlatformDiscord, Clock: clock}, up: false, why: "gateway not connected yet"}
	m.WatchPlatforms([]bot.Platform{discord})

	// Deliveries through the real Sender and outbox: one sent, the same
	// key again (a duplicate), and one the platform refuses for good.
	key, err := bot.NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	discord.DeliverHook = func(out bot.Outbound) error {
		if out.To.Channel == "gone" {
			return bot.Unreachable("discord: channel gone")
		}
		return nil
	}
	sender := bot.NewSender(db, key, clock, slog.New(slog.DiscardHandler), discord)
	sender.Observe(m)
	secret := "Session 3: bring your diary card"
	post := bot.Post("reminder/4711/1h", bot.Address{Platform: bot.PlatformDiscord, Channel: "C123456789"}, bot.Message{Text: secret})
	if _, err := sender.Send(ctx, post); err != nil {
		t.Fatal(err)
	}
	if _, err := sender.Send(ctx, post); err != nil {
		t.Fatal(err)
	}
	if _, err := sender.Send(ctx, bot.Post("norms/post/4711", bot.Address{Platform: bot.PlatformDiscord, Channel: "gone"}, bot.Message{Text: secret})); !bot.IsPermanent(err) {
		t.Fatalf("post to a gone channel: %v, want a permanent error", err)
	}
	// An outbox attempt whose outcome is unknown (a crash between send and
	// record) counts as sending.
	if _, err := db.BeginOutbox(ctx, "checkins.alert/99/U42", bot.PlatformDiscord, bot.OutDM); err != nil {
		t.Fatal(err)
	}

	// A job due 90 s ago and still pending is the backlog, and the lag.
	if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "reminders.reminder", Key: "reminders.reminder/4711/1h", DueAt: clock.Now().Add(-90 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "reminders.start", Key: "reminders.start/4711", DueAt: clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	m.RateLimited(bot.PlatformDiscord)
	m.Retried(bot.PlatformSlack)
	m.InteractionAnswered(bot.PlatformDiscord, 120*time.Millisecond)
	m.ReminderLateness(30 * time.Millisecond)
	m.AlertDelivered(2 * time.Second)
	m.JobFinished("reminders.reminder", bot.JobDone)

	base := serve(t, ops.Handler(ops.Config{DB: db, Metrics: m, Logger: slog.New(slog.DiscardHandler)}))
	code, body := get(t, base, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d:\n%s", code, body)
	}
	for _, want := range []string{
		`tend_deliveries_total{feature="reminders",kind="post",outcome="sent",platform="discord"} 1`,
		`tend_deliveries_total{feature="reminders",kind="post",outcome="duplicate",platform="discord"} 1`,
		`tend_deliveries_total{feature="norms",kind="post",outcome="failed",platform="discord"} 1`,
		`tend_outbox_entries{state="sending"} 1`,
		`tend_outbox_entries{state="failed"} 1`,
		`tend_jobs_due{kind="reminders.reminder"} 1`,
		`tend_jobs_pending 2`,
		`tend_jobs_running 0`,
		`tend_job_lag_seconds 90`,
		`tend_database_up 1`,
		`tend_platform_connected{platform="discord"} 0`,
		`tend_rate_limited_total{platform="discord"} 1`,
		`tend_retries_total{platform="slack"} 1`,
		`tend_interaction_answer_seconds_bucket{platform="discord",le="0.25"} 1`,
		`tend_interaction_answer_seconds_bucket{platform="discord",le="0.1"} 0`,
		`tend_reminder_lateness_seconds_count 1`,
		`tend_safety_alert_seconds_count 1`,
		`tend_jobs_finished_total{kind="reminders.reminder",state="done"} 1`,
		`tend_build_info{version="v1.2.3"} 1`,
		`go_goroutines `,
		`process_start_time_seconds `,
	} {
		if !strings.Contains(body, want+"\n") && !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Ids, channels, keys and content never become labels.
	for _, leak := range []string{"4711", "C123456789", "gone", "U42", "diary", secret} {
		if strings.Contains(body, leak) {
			t.Errorf("/metrics holds %q", leak)
		}
	}

	// The platform connects: the gauge follows at the next scrape.
	discord.set(true, "")
	if _, body := get(t, base, "/metrics"); !strings.Contains(body, `tend_platform_connected{platform="discord"} 1`) {
		t.Error("tend_platform_connected did not follow the platform")
	}

	// The database goes away: the scrape still answers, saying so.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	code, body = get(t, base, "/metrics")
	if code != http.StatusOK || !strings.Contains(body, "tend_database_up 0") {
		t.Errorf("/metrics with the database closed = %d, want 200 with tend_database_up 0", code)
	}
}

func TestFeatureOfKey(t *testing.T) {
	for key, want := range map[string]string{
		"":                             "",
		"reminder/12/1h":               "reminders",
		"dm/reminder/12/1h/U1":         "reminders",
		"now/12":                       "reminders",
		"norms/ask/1/2/U1":             "norms",
		"checkins.alert/5/U1":          "checkins",
		"unreachable/discord/C1/U1":    "core",
		"U0123ABCD/x":                  "other",
		"123456789012345678/x":         "other",
		"averyveryverylongprefixname/": "other",
	} {
		if got := bot.FeatureOfKey(key); got != want {
			t.Errorf("FeatureOfKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestServe_AddressInUseIsAnError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // Serve on a closed listener fails at once
	err = ops.Serve(t.Context(), ln, http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve on a closed listener = %v, want an error", err)
	}
}
