package checkins

import (
	"context"
	"fmt"
	"time"

	"github.com/tend-bot/tend/bot"
)

// retentionHour is when, in UTC, the daily retention job runs.
const retentionHour = 3

// retentionJob is the retention job of the day of t: due at 03:00 UTC of
// that day (or at once, when that has passed and it never ran), keyed by
// the date so that each day has one.
func retentionJob(t time.Time) bot.Job {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), retentionHour, 0, 0, 0, time.UTC)
	return bot.Job{Kind: KindRetention, Key: jobKey(KindRetention, day.Format(time.DateOnly)), DueAt: day}
}

// runRetention deletes what is past its group's retention — answers, who
// was asked, alerts, and the outbox entries and finished jobs that name
// them — keeping each check-in's counts, then schedules tomorrow's run.
func (f *Feature) runRetention(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	now := f.clock.Now()
	p, err := f.st.PurgeExpired(ctx, now, purgeCheckInKeys, purgeAlertKeys)
	if err != nil {
		return bot.JobResult{}, err
	}
	next := retentionJob(j.DueAt.Add(24 * time.Hour))
	if !next.DueAt.After(now) {
		next = retentionJob(now.Add(24 * time.Hour))
	}
	if _, err := f.r.Enqueue(ctx, next); err != nil {
		return bot.JobResult{}, fmt.Errorf("schedule tomorrow's retention: %w", err)
	}
	if p != (bot.Purged{}) {
		f.log.Info("deleted expired check-in data", "checkins", p.CheckIns, "answers", p.Answers, "alerts", p.Alerts, "outbox", p.Outbox, "jobs", p.Jobs)
	}
	return bot.JobResult{Note: fmt.Sprintf("deleted the answers of %d check-ins (%d answers) and %d alerts", p.CheckIns, p.Answers, p.Alerts)}, nil
}
