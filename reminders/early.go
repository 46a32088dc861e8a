package reminders

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Reminders are prepared early (bot.JobKind.Prepare): read, rendered and
// their outbox attempt recorded up to the runner's Lookahead before they
// are due, then posted at the due time (waitingReminder.Fire). A session may be cancelled or
// moved, or its series paused or replaced, while its reminder waits. Every
// such change goes through the feature's store, which counts it (changes)
// once it has returned; a waiting reminder notes the count before it reads
// anything and, once due, reads the session again when the count moved.
// So a change that was committed before a reminder read its session is
// seen by that read, and one committed later is counted before the count
// is checked at the due time, unless it lands in the same instant as the
// post, as it could before reminders were started early.

// changeCounter counts changes to sessions and series.
type changeCounter struct{ n atomic.Uint64 }

func (c *changeCounter) now() uint64 { return c.n.Load() }
func (c *changeCounter) bump()       { c.n.Add(1) }

// watchedStore is the feature's store, counting every change that can
// stop or alter a reminder (a cancelled, moved or paused session, a
// replaced series) once the store has returned, whether or not it
// succeeded (an error may come after the commit). A session's status
// becoming running or done is not counted: its reminders are before its
// start.
type watchedStore struct {
	Store
	changes *changeCounter
}

// SaveSeries implements Store.
func (w watchedStore) SaveSeries(ctx context.Context, s bot.Series, now time.Time, onCancel func(bot.Session) []bot.Job) (bool, error) {
	defer w.changes.bump()
	return w.Store.SaveSeries(ctx, s, now, onCancel)
}

// AddSeries implements Store.
func (w watchedStore) AddSeries(ctx context.Context, now time.Time, series []bot.Series, sessions func(bot.Series) []bot.Session, jobs func(bot.Series, bot.Session) []bot.Job, ahead func(time.Time) bot.Job) ([]int64, error) {
	defer w.changes.bump()
	return w.Store.AddSeries(ctx, now, series, sessions, jobs, ahead)
}

// SetSeriesPaused implements Store.
func (w watchedStore) SetSeriesPaused(ctx context.Context, groupID int64, paused bool, now time.Time) error {
	defer w.changes.bump()
	return w.Store.SetSeriesPaused(ctx, groupID, paused, now)
}

// CancelSession implements Store.
func (w watchedStore) CancelSession(ctx context.Context, id int64, why string, now time.Time, then func(bot.Session) []bot.Job) error {
	defer w.changes.bump()
	return w.Store.CancelSession(ctx, id, why, now, then)
}

// MoveSession implements Store.
func (w watchedStore) MoveSession(ctx context.Context, id int64, start, end, now time.Time, jobs func(bot.Session) []bot.Job) (bot.Session, error) {
	defer w.changes.bump()
	return w.Store.MoveSession(ctx, id, start, end, now, jobs)
}
