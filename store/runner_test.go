package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// TestJobs_WithRunner runs the real bot.Runner over the store: a job that
// fails once is retried and then done; a job left running by a "crash" is
// run again at start; a job for a kind without a handler fails for good.
func TestJobs_WithRunner(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	past := time.Now().Add(-time.Minute)
	for _, key := range []string{"flaky", "crashed", "orphan"} {
		kind := "test.work"
		if key == "orphan" {
			kind = "test.nobody-handles-this"
		}
		due := past
		if key == "crashed" {
			due = past.Add(-time.Minute) // the earliest, so the claim below takes it
		}
		if _, err := db.EnqueueJob(ctx, bot.Job{Kind: kind, Key: kind + "/" + key, DueAt: due}); err != nil {
			t.Fatal(err)
		}
	}
	// "crashed" was claimed by a process that then died.
	if js, err := db.ClaimDueJobs(ctx, past, 1); err != nil || len(js) != 1 || js[0].Key != "test.work/crashed" {
		t.Fatalf("claim: %+v, %v", js, err)
	}

	var (
		mu    sync.Mutex
		calls = map[string]int{}
	)
	st := &notifyingStore{DB: db, finished: make(chan struct{}, 10)}
	r := bot.NewRunner(bot.RunnerConfig{
		Store:   st,
		Workers: 2,
		Backoff: func(int) time.Duration { return 0 },
	})
	if err := r.Register(bot.JobKind{Name: "test.work", Run: func(_ context.Context, j bot.Job) (bot.JobResult, error) {
		mu.Lock()
		name := strings.TrimPrefix(j.Key, "test.work/")
		calls[name]++
		n := calls[name]
		mu.Unlock()
		if name == "flaky" && n == 1 {
			return bot.JobResult{}, errors.New("platform timed out")
		}
		return bot.JobResult{Note: "sent"}, nil
	}}); err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()

	// Four outcomes: flaky's retry and done, crashed done, orphan failed.
	for range 4 {
		select {
		case <-st.finished:
		case <-t.Context().Done():
			t.Fatal("test deadline before every outcome was recorded")
		}
	}
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}
	flaky, _ := db.JobByKey(t.Context(), "test.work/flaky")
	crashed, _ := db.JobByKey(t.Context(), "test.work/crashed")
	orphan, _ := db.JobByKey(t.Context(), "test.nobody-handles-this/orphan")
	if flaky.State != bot.JobDone || flaky.Attempts != 2 || flaky.Note != "sent" || flaky.FinishedAt.IsZero() {
		t.Errorf("flaky: %+v; want done on attempt 2", flaky)
	}
	if crashed.State != bot.JobDone || crashed.Attempts != 1 {
		t.Errorf("crashed: %+v; want run again, the interrupted run not counted (attempt 1)", crashed)
	}
	if orphan.State != bot.JobFailed || orphan.Note == "" {
		t.Errorf("orphan: %+v; want a note saying why it failed", orphan)
	}
	if calls["flaky"] != 2 || calls["crashed"] != 1 {
		t.Errorf("calls %v", calls)
	}
}

// notifyingStore tells the test each time the runner records an outcome.
type notifyingStore struct {
	*DB
	finished chan struct{}
}

func (s *notifyingStore) FinishJob(ctx context.Context, id int64, state bot.JobState, note string, at time.Time) error {
	err := s.DB.FinishJob(ctx, id, state, note, at)
	s.finished <- struct{}{}
	return err
}
