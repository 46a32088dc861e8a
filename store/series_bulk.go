package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/tend-bot/tend/bot"
)

// AddSeries stores new series — of groups that have none yet — with their
// first sessions and each session's jobs, many groups per transaction: the
// bulk form of SaveSeries followed by MaterializeSession, for a config
// file's first start. For each series it stores, sessions returns its
// first sessions (the caller computes them); for each session it stores,
// jobs returns its jobs. It stores exactly what the one-by-one path would:
// the series in generation 1, a session already stored under its number is
// kept and gets no new jobs, a job whose key exists with the same content
// is not added again and one with other content is an error wrapping
// bot.ErrConflict. A group that has a series already is left out, and
// returned, for the one-by-one path.
//
// A series with AheadAt set is stored with it and gets no sessions: in the
// same transaction, the job that ahead returns for the earliest such time
// of each batch is added (when its key is new), so that a series is never
// stored without the work that will store its sessions.
func (db *DB) AddSeries(ctx context.Context, now time.Time, series []bot.Series, sessions func(bot.Series) []bot.Session, jobs func(bot.Series, bot.Session) []bot.Job, ahead func(time.Time) bot.Job) ([]int64, error) {
	var skipped []int64
	for chunk := range slices.Chunk(series, configChunk) {
		err := db.bulkTx(ctx, func(tx *sql.Tx) error {
			sk, err := db.addSeries(ctx, tx, now, chunk, sessions, jobs, ahead)
			skipped = append(skipped, sk...)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("store: add series: %w", err)
		}
	}
	return skipped, nil
}

func (db *DB) addSeries(ctx context.Context, tx *sql.Tx, now time.Time, series []bot.Series, sessions func(bot.Series) []bot.Session, jobs func(bot.Series, bot.Session) []bot.Job, ahead func(time.Time) bot.Job) ([]int64, error) {
	if len(series) == 0 {
		return nil, nil
	}
	// The groups that have a series already, and the sessions already
	// stored under a number of a generation-1 series, among these groups.
	lo, hi := series[0].GroupID, series[0].GroupID
	for _, s := range series {
		lo, hi = min(lo, s.GroupID), max(hi, s.GroupID)
	}
	have, err := groupIDs(ctx, tx, `SELECT group_id FROM series WHERE group_id BETWEEN ? AND ?`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("read series: %w", err)
	}
	// The groups themselves: the foreign keys are checked here, once (see
	// bulkTx).
	groups, err := groupIDs(ctx, tx, `SELECT id FROM groups WHERE id BETWEEN ? AND ?`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("read groups: %w", err)
	}
	type slot struct {
		group int64
		num   int
	}
	stored := map[slot]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT group_id, number FROM sessions WHERE group_id BETWEEN ? AND ? AND generation = 1 AND moved_from IS NULL`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	for rows.Next() {
		var sl slot
		if err := rows.Scan(&sl.group, &sl.num); err != nil {
			rows.Close()
			return nil, err
		}
		stored[sl] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	var skipped []int64
	added := make([]bot.Series, 0, len(series))
	args := make([]any, 0, 19*len(series))
	seen := make(map[int64]bool, len(series))
	for _, s := range series {
		if seen[s.GroupID] {
			return nil, fmt.Errorf("group %d is given twice", s.GroupID)
		}
		if !groups[s.GroupID] {
			return nil, notFound(fmt.Sprintf("group %d", s.GroupID))
		}
		seen[s.GroupID] = true
		if have[s.GroupID] {
			skipped = append(skipped, s.GroupID)
			continue
		}
		topics := []byte("[]")
		if s.Schedule.Topics != nil {
			if topics, err = json.Marshal(s.Schedule.Topics); err != nil {
				return nil, fmt.Errorf("series of group %d: %w", s.GroupID, err)
			}
		}
		if s.Source == "" {
			s.Source = bot.SourceChat
		}
		added = append(added, s)
		args = append(args, s.GroupID, s.Schedule.Cron, s.Schedule.Weekly, int64(s.Schedule.Duration/time.Second), s.Schedule.Starts, s.Schedule.Until,
			s.Schedule.Count, string(topics), s.Schedule.Link, string(s.Schedule.VoiceChannel), leadsText(s.Settings.Leads),
			s.Settings.RSVP, s.Settings.DM, s.Settings.StartingNow, s.Paused, s.Source, int64(1), now.Unix(), unix(s.AheadAt))
	}
	var first time.Time // the earliest AheadAt stored
	for _, s := range added {
		if !s.AheadAt.IsZero() && (first.IsZero() || s.AheadAt.Before(first)) {
			first = s.AheadAt
		}
	}
	if !first.IsZero() {
		if ahead == nil {
			return nil, fmt.Errorf("a series is deferred to %s, and no job is given to store its sessions then", first.UTC().Format(time.RFC3339))
		}
		if _, err := insertJob(ctx, tx, db.Now().Unix(), ahead(first)); err != nil {
			return nil, fmt.Errorf("add the job that stores deferred sessions: %w", err)
		}
	}
	if _, err := batchRows(ctx, tx, `INSERT INTO series (`+seriesCols+`)`, `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, 19, args, ""); err != nil {
		return nil, fmt.Errorf("insert series: %w", err)
	}

	// Sessions get the next ids, as SQLite would give them one by one.
	base, err := maxID(ctx, tx, "sessions")
	if err != nil {
		return nil, err
	}
	type planned struct {
		series int
		s      bot.Session
	}
	ss := make([]planned, 0, len(added)*2)
	args = args[:0]
	for i, ser := range added {
		if !ser.AheadAt.IsZero() {
			continue // its sessions are stored when the ahead job runs
		}
		for _, sess := range sessions(ser) {
			if stored[slot{sess.GroupID, sess.Number}] {
				continue // kept as it is, with its jobs, as MaterializeSession keeps it
			}
			if sess.GroupID != ser.GroupID {
				return nil, fmt.Errorf("session %d of group %d's series is given for group %d", sess.Number, ser.GroupID, sess.GroupID)
			}
			if sess.Status == "" {
				sess.Status = bot.SessionScheduled
			}
			sess.ID = base + int64(len(ss)) + 1
			ss = append(ss, planned{series: i, s: sess})
			args = append(args, sess.ID, sess.GroupID, int64(1), sess.Number, sess.Start.Unix(), sess.Start.Unix(), sess.End.Unix(), sess.Topic,
				string(sess.Status), sess.Link, string(sess.VoiceChannel))
		}
	}
	if _, err := batchRows(ctx, tx, `INSERT INTO sessions (id, group_id, generation, number, planned_at, start_at, end_at, topic, status, link, voice_channel)`,
		`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, 11, args, ""); err != nil {
		return nil, fmt.Errorf("insert sessions: %w", err)
	}

	js := make([]bot.Job, 0, len(ss)*4)
	for _, p := range ss {
		for _, j := range jobs(added[p.series], p.s) {
			if err := bot.CheckKey(j); err != nil {
				return nil, fmt.Errorf("job %s: %w: %w", j.Key, err, bot.ErrConflict)
			}
			if (j.GroupID != 0 && !groups[j.GroupID]) || (j.SessionID != 0 && j.SessionID != p.s.ID) {
				return nil, fmt.Errorf("job %s of session %d names group %d and session %d", j.Key, p.s.ID, j.GroupID, j.SessionID)
			}
			js = append(js, j)
		}
	}
	// In due order, which the index the runner claims by is in: its pages
	// are then written in one pass rather than at random. Equal times keep
	// the order they were made in.
	order := make([]int, len(js))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := js[a].DueAt.Compare(js[b].DueAt); c != 0 {
			return c
		}
		return a - b
	})
	created := db.Now().Unix()
	args = slices.Grow(args[:0], 7*len(js))
	for _, i := range order {
		j := &js[i]
		args = append(args, j.Kind, j.Key, nullID(j.GroupID), nullID(j.SessionID), unix(j.DueAt), j.Payload, created)
	}
	n, err := batchRows(ctx, tx, `INSERT INTO jobs (kind, key, group_id, session_id, due_at, payload, state, created_at)`,
		`(?, ?, ?, ?, ?, ?, 'pending', ?)`, 7, args, ` ON CONFLICT (key) DO NOTHING`)
	if err != nil {
		return nil, fmt.Errorf("insert jobs: %w", err)
	}
	if int(n) < len(js) {
		// A key was taken: the same work is fine, other work is not.
		for _, j := range js {
			if err := sameJob(ctx, tx, j); err != nil {
				return nil, err
			}
		}
	}
	return skipped, nil
}

// groupIDs runs a query of group ids and returns them as a set.
func groupIDs(ctx context.Context, tx *sql.Tx, q string, args ...any) (map[int64]bool, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
