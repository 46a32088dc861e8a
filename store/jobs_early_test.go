package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// TestJobs_ClaimEarly: only pending jobs of the given kinds due after now
// and by until are claimed early; jobs already due are left to
// ClaimDueJobs; the next early due time skips those.
func TestJobs_ClaimEarly(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	now := t0
	for _, j := range []bot.Job{
		{Kind: "test.early", Key: "test.early/overdue", DueAt: now.Add(-time.Minute)},
		{Kind: "test.early", Key: "test.early/due-now", DueAt: now},
		{Kind: "test.early", Key: "test.early/in-3s", DueAt: now.Add(3 * time.Second)},
		{Kind: "test.early", Key: "test.early/in-5s", DueAt: now.Add(5 * time.Second)},
		{Kind: "test.early", Key: "test.early/in-6s", DueAt: now.Add(6 * time.Second)},
		{Kind: "test.plain", Key: "test.plain/plain-in-2s", DueAt: now.Add(2 * time.Second)},
	} {
		if _, err := db.EnqueueJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	next, ok, err := db.NextEarlyJobDue(ctx, now, []string{"test.early", "test.other"})
	if err != nil || !ok || !next.Equal(now.Add(3*time.Second)) {
		t.Fatalf("next early = %v, %v, %v; want %v", next, ok, err, now.Add(3*time.Second))
	}
	got, err := db.ClaimEarlyJobs(ctx, now, now.Add(5*time.Second), []string{"test.early", "test.other"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, j := range got {
		if j.State != bot.JobRunning || j.Attempts != 1 {
			t.Errorf("claimed %s: %+v; want running, attempt 1", j.Key, j)
		}
		keys = append(keys, j.Key)
	}
	if want := "[test.early/in-3s test.early/in-5s]"; fmt.Sprint(keys) != want {
		t.Fatalf("claimed early %v; want %s", keys, want)
	}
	// Claimed jobs are no longer pending: neither claim sees them again.
	if again, err := db.ClaimEarlyJobs(ctx, now, now.Add(5*time.Second), []string{"test.early"}, 10); err != nil || len(again) != 0 {
		t.Fatalf("second early claim = %v, %v; want none", again, err)
	}
	due, err := db.ClaimDueJobs(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	keys = keys[:0]
	for _, j := range due {
		keys = append(keys, j.Key)
	}
	if want := "[test.early/overdue test.early/due-now]"; fmt.Sprint(keys) != want {
		t.Fatalf("claimed due %v; want %s", keys, want)
	}
	if next, ok, err := db.NextEarlyJobDue(ctx, now, []string{"test.early"}); err != nil || !ok || !next.Equal(now.Add(6*time.Second)) {
		t.Fatalf("next early after the claims = %v, %v, %v; want %v", next, ok, err, now.Add(6*time.Second))
	}
	if _, ok, err := db.NextEarlyJobDue(ctx, now.Add(6*time.Second), []string{"test.early"}); err != nil || ok {
		t.Fatalf("next early after in-6s = %v, %v; want none", ok, err)
	}
}
