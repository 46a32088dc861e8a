package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tend-bot/tend/bot"
)

var _ bot.JobStore = (*DB)(nil)

const jobCols = `id, kind, key, COALESCE(group_id, 0), COALESCE(session_id, 0), due_at, payload, state, attempts, note, finished_at`

func scanJob(sc interface{ Scan(...any) error }) (bot.Job, error) {
	var (
		j             bot.Job
		due, finished int64
		state         string
	)
	if err := sc.Scan(&j.ID, &j.Kind, &j.Key, &j.GroupID, &j.SessionID, &due, &j.Payload, &state, &j.Attempts, &j.Note, &finished); err != nil {
		return bot.Job{}, err
	}
	j.DueAt = fromUnix(due)
	j.FinishedAt = fromUnix(finished)
	j.State = bot.JobState(state)
	return j, nil
}

// EnqueueJob inserts j as pending unless a job with j.Key exists, and
// reports whether it inserted. A key not namespaced by its kind, or an
// existing job with that key but another kind, group, session or payload,
// is an error wrapping bot.ErrConflict. j.State, Attempts, Note and
// FinishedAt are ignored.
func (db *DB) EnqueueJob(ctx context.Context, j bot.Job) (bool, error) {
	var created bool
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		created, err = insertJob(ctx, tx, db.Now().Unix(), j)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: enqueue job %s: %w", j.Key, err)
	}
	return created, nil
}

// insertJob inserts j as pending inside tx unless its key exists with the
// same content; see EnqueueJob.
func insertJob(ctx context.Context, tx *sql.Tx, now int64, j bot.Job) (bool, error) {
	if err := bot.CheckKey(j); err != nil {
		return false, fmt.Errorf("%w: %w", err, bot.ErrConflict)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO jobs (kind, key, group_id, session_id, due_at, payload, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (key) DO NOTHING`,
		j.Kind, j.Key, nullID(j.GroupID), nullID(j.SessionID), unix(j.DueAt), j.Payload, now)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	return false, sameJob(ctx, tx, j)
}

// sameJob checks that the job stored under j's key is j's work (kind,
// group, session, payload): enqueueing the same work again is fine, other
// work under a taken key is an error wrapping bot.ErrConflict.
func sameJob(ctx context.Context, tx *sql.Tx, j bot.Job) error {
	var (
		kind           string
		group, session int64
		payload        []byte
	)
	if err := tx.QueryRowContext(ctx, `SELECT kind, COALESCE(group_id, 0), COALESCE(session_id, 0), payload FROM jobs WHERE key = ?`, j.Key).
		Scan(&kind, &group, &session, &payload); err != nil {
		return fmt.Errorf("job %s: %w", j.Key, err)
	}
	if kind != j.Kind || group != j.GroupID || session != j.SessionID || !bytes.Equal(payload, j.Payload) {
		return fmt.Errorf("a job with key %s exists with other content (kind %s, group %d, session %d): %w",
			j.Key, kind, group, session, bot.ErrConflict)
	}
	return nil
}

// nullID stores 0 as NULL, for optional foreign keys.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// ClaimDueJobs moves up to limit pending jobs due at or before now to
// running, earliest first, increments their attempts and returns them, in
// one transaction: two claimers never get the same job.
func (db *DB) ClaimDueJobs(ctx context.Context, now time.Time, limit int) ([]bot.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	jobs, err := db.claimJobs(ctx, `state = 'pending' AND due_at <= ?`, now.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim due jobs: %w", err)
	}
	return jobs, nil
}

// claimJobs moves up to limit pending jobs matching where (whose arguments
// come before limit in args) to running, earliest first, in one
// transaction, and returns them sorted by due time.
func (db *DB) claimJobs(ctx context.Context, where string, args ...any) ([]bot.Job, error) {
	var jobs []bot.Job
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE jobs SET state = 'running', attempts = attempts + 1
			WHERE id IN (SELECT id FROM jobs WHERE `+where+` ORDER BY due_at, id LIMIT ?)
			RETURNING `+jobCols, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives rows in no particular order.
	slices.SortFunc(jobs, func(a, b bot.Job) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return jobs, nil
}

// NextJobDue returns the earliest due time of a pending job, and false when
// there is none.
func (db *DB) NextJobDue(ctx context.Context) (time.Time, bool, error) {
	var due sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, `SELECT min(due_at) FROM jobs WHERE state = 'pending'`).Scan(&due); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next due job: %w", err)
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(due.Int64, 0).UTC(), true, nil
}

// FinishJob records how job id ended. A final state (done, missed, skipped,
// failed) records at as the finish time; bot.JobPending puts the job back
// to run again at at, keeping its attempts. A missing job wraps
// bot.ErrNotFound.
func (db *DB) FinishJob(ctx context.Context, id int64, state bot.JobState, note string, at time.Time) error {
	var (
		query string
		args  []any
	)
	switch state {
	case bot.JobPending:
		query = `UPDATE jobs SET state = 'pending', due_at = ?, note = ?, finished_at = 0 WHERE id = ?`
		args = []any{unix(at), note, id}
	case bot.JobDone, bot.JobMissed, bot.JobSkipped, bot.JobFailed:
		query = `UPDATE jobs SET state = ?, note = ?, finished_at = ? WHERE id = ?`
		args = []any{string(state), note, unix(at), id}
	default:
		return fmt.Errorf("store: finish job %d: %q is not a state a job can finish in", id, state)
	}
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(fmt.Sprintf("job %d", id))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: finish job %d: %w", id, err)
	}
	return nil
}

// ResetRunningJobs puts jobs left running by a process that stopped back to
// pending and returns how many. The interrupted run does not count as an
// attempt: a job fails for good only after MaxAttempts real failures, not
// because tend was restarted while it ran.
func (db *DB) ResetRunningJobs(ctx context.Context) (int, error) {
	var n int64
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'pending', attempts = max(attempts - 1, 0) WHERE state = 'running'`)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: reset running jobs: %w", err)
	}
	return int(n), nil
}

// JobByKey returns the job with key, or an error wrapping bot.ErrNotFound.
func (db *DB) JobByKey(ctx context.Context, key string) (bot.Job, error) {
	j, err := scanJob(db.sql.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Job{}, notFound("job " + key)
	}
	if err != nil {
		return bot.Job{}, fmt.Errorf("store: read job %s: %w", key, err)
	}
	return j, nil
}
