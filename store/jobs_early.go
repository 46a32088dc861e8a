package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

var _ bot.EarlyJobStore = (*DB)(nil)

// kindsIn returns "(?, ?, …)" for n kinds and the kinds as arguments.
func kindsIn(kinds []string) (string, []any) {
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = k
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ") + ")", args
}

// ClaimEarlyJobs moves up to limit pending jobs of the given kinds that are
// due after now and at or before until to running, earliest first,
// increments their attempts and returns them, in one transaction, like
// ClaimDueJobs. Jobs due at or before now are ClaimDueJobs's.
func (db *DB) ClaimEarlyJobs(ctx context.Context, now, until time.Time, kinds []string, limit int) ([]bot.Job, error) {
	if limit <= 0 || len(kinds) == 0 {
		return nil, nil
	}
	in, args := kindsIn(kinds)
	args = append([]any{now.Unix(), until.Unix()}, args...)
	args = append(args, limit)
	jobs, err := db.claimJobs(ctx, `state = 'pending' AND due_at > ? AND due_at <= ? AND kind IN `+in, args...)
	if err != nil {
		return nil, fmt.Errorf("store: claim jobs early: %w", err)
	}
	return jobs, nil
}

// NextEarlyJobDue returns the earliest due time after now of a pending job
// of the given kinds, and false when there is none.
func (db *DB) NextEarlyJobDue(ctx context.Context, now time.Time, kinds []string) (time.Time, bool, error) {
	if len(kinds) == 0 {
		return time.Time{}, false, nil
	}
	in, args := kindsIn(kinds)
	args = append([]any{now.Unix()}, args...)
	var due int64
	err := db.sql.QueryRowContext(ctx, `SELECT due_at FROM jobs WHERE state = 'pending' AND due_at > ? AND kind IN `+in+` ORDER BY due_at LIMIT 1`, args...).Scan(&due)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next job to start early: %w", err)
	}
	return time.Unix(due, 0).UTC(), true, nil
}
