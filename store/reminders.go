package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

// This file holds the reminders feature's SQL: series, sessions, RSVPs,
// opt-in DM reminders, members' away dates, and the reads of the jobs and
// outbox tables that "session log" and in-place RSVP edits need.

const seriesCols = `group_id, cron, weekly, duration_s, starts, until, count, topics, link, voice_channel,
	leads, rsvp, dm, starting_now, paused, source, generation, updated_at, ahead_at`

func scanSeries(sc interface{ Scan(...any) error }) (bot.Series, int64, error) {
	var (
		s                             bot.Series
		dur, updated, gen, ahead      int64
		topics, leads, voice          string
		rsvp, dm, startingNow, paused bool
	)
	err := sc.Scan(&s.GroupID, &s.Schedule.Cron, &s.Schedule.Weekly, &dur, &s.Schedule.Starts, &s.Schedule.Until,
		&s.Schedule.Count, &topics, &s.Schedule.Link, &voice, &leads, &rsvp, &dm, &startingNow, &paused, &s.Source, &gen, &updated, &ahead)
	if err != nil {
		return bot.Series{}, 0, err
	}
	if ahead > 0 {
		s.AheadAt = fromUnix(ahead)
	}
	s.Schedule.Duration = time.Duration(dur) * time.Second
	s.Schedule.VoiceChannel = bot.ChannelID(voice)
	if err := json.Unmarshal([]byte(topics), &s.Schedule.Topics); err != nil {
		return bot.Series{}, 0, fmt.Errorf("topics of group %d: %w", s.GroupID, err)
	}
	if leads != "" {
		for _, f := range strings.Split(leads, ",") {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return bot.Series{}, 0, fmt.Errorf("lead times of group %d: %w", s.GroupID, err)
			}
			s.Settings.Leads = append(s.Settings.Leads, time.Duration(n)*time.Second)
		}
	}
	s.Settings.RSVP, s.Settings.DM, s.Settings.StartingNow, s.Paused = rsvp, dm, startingNow, paused
	s.UpdatedAt = fromUnix(updated)
	return s, gen, nil
}

func leadsText(ls []time.Duration) string {
	f := make([]string, len(ls))
	for i, l := range ls {
		f[i] = strconv.FormatInt(int64(l/time.Second), 10)
	}
	return strings.Join(f, ",")
}

// SaveSeries stores s as its group's series. When the schedule differs from
// the stored one, the series gets a new generation, every scheduled session
// of the old schedule that has not started by now is cancelled and its
// pending jobs are skipped, with the reason; the caller then materialises
// the new schedule's next sessions. For each session it cancels, the jobs
// that onCancel returns (the session events of the cancellation) are
// enqueued in the same transaction; onCancel may be nil. It reports
// whether the schedule changed (settings alone do not count).
func (db *DB) SaveSeries(ctx context.Context, s bot.Series, now time.Time, onCancel func(bot.Session) []bot.Job) (changed bool, err error) {
	topics, err := json.Marshal(s.Schedule.Topics)
	if err != nil {
		return false, fmt.Errorf("store: save series of group %d: %w", s.GroupID, err)
	}
	if s.Schedule.Topics == nil {
		topics = []byte("[]")
	}
	if s.Source == "" {
		s.Source = bot.SourceChat
	}
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		old, gen, err := scanSeries(tx.QueryRowContext(ctx, `SELECT `+seriesCols+` FROM series WHERE group_id = ?`, s.GroupID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			changed, gen = true, 1
		case err != nil:
			return err
		default:
			changed = !sameSchedule(old.Schedule, s.Schedule)
			if changed {
				gen++
				if err := db.cancelFuture(ctx, tx, s.GroupID, now, "the schedule was replaced", onCancel); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO series (`+seriesCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (group_id) DO UPDATE SET cron = excluded.cron, weekly = excluded.weekly, duration_s = excluded.duration_s,
				starts = excluded.starts, until = excluded.until, count = excluded.count, topics = excluded.topics,
				link = excluded.link, voice_channel = excluded.voice_channel, leads = excluded.leads, rsvp = excluded.rsvp,
				dm = excluded.dm, starting_now = excluded.starting_now, paused = excluded.paused, source = excluded.source,
				generation = excluded.generation, updated_at = excluded.updated_at`,
			s.GroupID, s.Schedule.Cron, s.Schedule.Weekly, int64(s.Schedule.Duration/time.Second), s.Schedule.Starts, s.Schedule.Until,
			s.Schedule.Count, string(topics), s.Schedule.Link, string(s.Schedule.VoiceChannel), leadsText(s.Settings.Leads),
			s.Settings.RSVP, s.Settings.DM, s.Settings.StartingNow, s.Paused, s.Source, gen, now.Unix(), unix(s.AheadAt))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: save series of group %d: %w", s.GroupID, err)
	}
	return changed, nil
}

func sameSchedule(a, b bot.Schedule) bool {
	// Field by field: a stored empty topic list and a nil one are the same
	// schedule, and treating them as different would replace the series
	// (new sessions, new keys) at every start.
	// Durations are stored in whole seconds.
	return a.Cron == b.Cron && a.Weekly == b.Weekly && a.Duration/time.Second == b.Duration/time.Second && a.Starts == b.Starts &&
		a.Until == b.Until && a.Count == b.Count && slices.Equal(a.Topics, b.Topics) && a.Link == b.Link &&
		a.VoiceChannel == b.VoiceChannel
}

// cancelFuture cancels the group's scheduled sessions that start after now
// and skips their pending jobs; see cancelOne.
func (db *DB) cancelFuture(ctx context.Context, tx *sql.Tx, groupID int64, now time.Time, why string, then func(bot.Session) []bot.Job) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM sessions WHERE group_id = ? AND status = 'scheduled' AND start_at > ?`, groupID, now.Unix())
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := db.cancelOne(ctx, tx, id, why, now, then); err != nil {
			return err
		}
	}
	return nil
}

// Series returns the group's series, or an error wrapping bot.ErrNotFound.
func (db *DB) Series(ctx context.Context, groupID int64) (bot.Series, error) {
	s, _, err := db.seriesGen(ctx, groupID)
	return s, err
}

func (db *DB) seriesGen(ctx context.Context, groupID int64) (bot.Series, int64, error) {
	s, gen, err := scanSeries(db.sql.QueryRowContext(ctx, `SELECT `+seriesCols+` FROM series WHERE group_id = ?`, groupID))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Series{}, 0, notFound(fmt.Sprintf("series of group %d", groupID))
	}
	if err != nil {
		return bot.Series{}, 0, fmt.Errorf("store: read series of group %d: %w", groupID, err)
	}
	return s, gen, nil
}

// SetSeriesPaused pauses or resumes the group's series. Pausing skips the
// group's pending reminder and start jobs, with the reason (end jobs stay,
// so that a running session still ends); resuming puts back the
// skipped-by-pause jobs that are still due in the future.
func (db *DB) SetSeriesPaused(ctx context.Context, groupID int64, paused bool, now time.Time) error {
	const why = "the series was paused"
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE series SET paused = ?, updated_at = ? WHERE group_id = ?`, paused, now.Unix(), groupID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(fmt.Sprintf("series of group %d", groupID))
		}
		if paused {
			// Every feature's jobs of the sessions that have not started
			// are skipped; a session that is running when the series is
			// paused keeps its jobs and still ends.
			_, err = tx.ExecContext(ctx, `UPDATE jobs SET state = 'skipped', note = ?, finished_at = ?
				WHERE state = 'pending' AND session_id IN (SELECT id FROM sessions WHERE group_id = ? AND status = 'scheduled')`,
				why, now.Unix(), groupID)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET state = 'pending', note = '', finished_at = 0
			WHERE state = 'skipped' AND note = ? AND due_at > ? AND session_id IN (SELECT id FROM sessions WHERE group_id = ?)`,
			why, now.Unix(), groupID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: pause series of group %d: %w", groupID, err)
	}
	return nil
}

const sessionCols = `id, group_id, number, start_at, end_at, topic, status, link, voice_channel, COALESCE(moved_from, 0), planned_at, generation`

// StoredSession is a session with the bookkeeping the series needs.
type storedSession struct {
	bot.Session
	movedFrom  int64
	planned    time.Time
	generation int64
}

func scanSession(sc interface{ Scan(...any) error }) (storedSession, error) {
	var (
		s                   storedSession
		start, end, planned int64
		status, voice       string
	)
	err := sc.Scan(&s.ID, &s.GroupID, &s.Number, &start, &end, &s.Topic, &status, &s.Link, &voice, &s.movedFrom, &planned, &s.generation)
	if err != nil {
		return storedSession{}, err
	}
	s.Start, s.End, s.planned = fromUnix(start), fromUnix(end), fromUnix(planned)
	s.Status = bot.SessionStatus(status)
	s.VoiceChannel = bot.ChannelID(voice)
	return s, nil
}

// Session returns a session by id, or an error wrapping bot.ErrNotFound.
func (db *DB) Session(ctx context.Context, id int64) (bot.Session, error) {
	s, err := scanSession(db.sql.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Session{}, notFound(fmt.Sprintf("session %d", id))
	}
	if err != nil {
		return bot.Session{}, fmt.Errorf("store: read session %d: %w", id, err)
	}
	return s.Session, nil
}

// LastPlannedSession returns the latest session computed from the group's
// current schedule (by number; a moved session counts as its original),
// with the start the schedule gave it, and false when there is none.
func (db *DB) LastPlannedSession(ctx context.Context, groupID int64) (bot.Session, time.Time, bool, error) {
	s, err := scanSession(db.sql.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE group_id = ? AND moved_from IS NULL AND generation = (SELECT generation FROM series WHERE group_id = ?)
		ORDER BY number DESC LIMIT 1`, groupID, groupID))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Session{}, time.Time{}, false, nil
	}
	if err != nil {
		return bot.Session{}, time.Time{}, false, fmt.Errorf("store: read last session of group %d: %w", groupID, err)
	}
	return s.Session, s.planned, true, nil
}

// MaterializeSession stores s as the next session of its group's current
// schedule, and the jobs that jobs builds for it once it has an id, in one
// transaction, so that a session never exists without its due work. It is
// idempotent: when the session with that number exists, it returns it and
// enqueues nothing new. It reports whether it created the session.
func (db *DB) MaterializeSession(ctx context.Context, s bot.Session, jobs func(bot.Session) []bot.Job) (bot.Session, bool, error) {
	created := false
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var gen int64
		if err := tx.QueryRowContext(ctx, `SELECT generation FROM series WHERE group_id = ?`, s.GroupID).Scan(&gen); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return notFound(fmt.Sprintf("series of group %d", s.GroupID))
			}
			return err
		}
		if s.Status == "" {
			s.Status = bot.SessionScheduled
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO sessions (group_id, generation, number, planned_at, start_at, end_at, topic, status, link, voice_channel)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, generation, number) WHERE moved_from IS NULL DO NOTHING`,
			s.GroupID, gen, s.Number, s.Start.Unix(), s.Start.Unix(), s.End.Unix(), s.Topic, string(s.Status), s.Link, string(s.VoiceChannel))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			got, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions
				WHERE group_id = ? AND generation = ? AND number = ? AND moved_from IS NULL`, s.GroupID, gen, s.Number))
			if err != nil {
				return err
			}
			s = got.Session
			return nil
		}
		created = true
		if s.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return insertJobs(ctx, tx, db.Now().Unix(), jobs(s))
	})
	if err != nil {
		return bot.Session{}, false, fmt.Errorf("store: add session %d of group %d: %w", s.Number, s.GroupID, err)
	}
	return s, created, nil
}

func insertJobs(ctx context.Context, tx *sql.Tx, now int64, jobs []bot.Job) error {
	for _, j := range jobs {
		if _, err := insertJob(ctx, tx, now, j); err != nil {
			return fmt.Errorf("job %s: %w", j.Key, err)
		}
	}
	return nil
}

// UpcomingSessions returns the group's sessions that end after from,
// earliest first, at most limit, including cancelled ones.
func (db *DB) UpcomingSessions(ctx context.Context, groupID int64, from time.Time, limit int) ([]bot.Session, error) {
	return db.sessions(ctx, `SELECT `+sessionCols+` FROM sessions WHERE group_id = ? AND end_at > ? ORDER BY start_at, id LIMIT ?`,
		groupID, from.Unix(), limit)
}

// RecentSessions returns the group's sessions that started before until,
// latest first, at most limit.
func (db *DB) RecentSessions(ctx context.Context, groupID int64, until time.Time, limit int) ([]bot.Session, error) {
	return db.sessions(ctx, `SELECT `+sessionCols+` FROM sessions WHERE group_id = ? AND start_at < ? ORDER BY start_at DESC, id DESC LIMIT ?`,
		groupID, until.Unix(), limit)
}

func (db *DB) sessions(ctx context.Context, q string, args ...any) ([]bot.Session, error) {
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	defer rows.Close()
	var out []bot.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list sessions: %w", err)
		}
		out = append(out, s.Session)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	return out, nil
}

// SetSessionStatus records where a session stands. Moving a cancelled
// session to running or done is refused with bot.ErrConflict.
func (db *DB) SetSessionStatus(ctx context.Context, id int64, status bot.SessionStatus) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET status = ? WHERE id = ? AND (status != 'cancelled' OR ? = 'cancelled')`,
			string(status), id, string(status))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("session %d is missing or cancelled: %w", id, bot.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: set status of session %d: %w", id, err)
	}
	return nil
}

// CancelSession cancels a scheduled session and skips its pending jobs,
// whatever feature made them, with the reason; the jobs that then returns
// for the cancelled session (its session events) are enqueued in the same
// transaction, and then may be nil. A session that is not scheduled
// (already cancelled, running or done) is refused with bot.ErrConflict.
func (db *DB) CancelSession(ctx context.Context, id int64, why string, now time.Time, then func(bot.Session) []bot.Job) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := db.cancelOne(ctx, tx, id, why, now, then)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: cancel session %d: %w", id, err)
	}
	return nil
}

// cancelOne cancels session id inside tx, skips its pending jobs with the
// reason and enqueues what then returns; it returns the jobs it skipped.
func (db *DB) cancelOne(ctx context.Context, tx *sql.Tx, id int64, why string, now time.Time, then func(bot.Session) []bot.Job) ([]bot.Job, error) {
	res, err := tx.ExecContext(ctx, `UPDATE sessions SET status = 'cancelled' WHERE id = ? AND status = 'scheduled'`, id)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("session %d is not scheduled: %w", id, bot.ErrConflict)
	}
	rows, err := tx.QueryContext(ctx, `UPDATE jobs SET state = 'skipped', note = ?, finished_at = ?
		WHERE state = 'pending' AND session_id = ? RETURNING `+jobCols, why, now.Unix(), id)
	if err != nil {
		return nil, err
	}
	var skipped []bot.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		skipped = append(skipped, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if then != nil {
		s, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
		if err != nil {
			return nil, err
		}
		if err := insertJobs(ctx, tx, db.Now().Unix(), then(s.Session)); err != nil {
			return nil, err
		}
	}
	return skipped, nil
}

// MoveSession cancels session id (skipping its pending jobs with "moved
// to …") and adds a new session with the same number, topic and link at
// start–end whose moved_from names it, in one transaction. The new session
// gets the jobs that jobs returns for it (the series' own due work and the
// session events of the move), and every other feature's pending job of
// the old session is carried to it, due as much later or earlier as the
// session moved, with a key of its own. Session events of the old session
// (kind bot.KindEvent) are not carried: they were about the old time.
func (db *DB) MoveSession(ctx context.Context, id int64, start, end time.Time, now time.Time, jobs func(bot.Session) []bot.Job) (bot.Session, error) {
	var moved bot.Session
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		old, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(fmt.Sprintf("session %d", id))
		}
		if err != nil {
			return err
		}
		skipped, err := db.cancelOne(ctx, tx, id, "the session was moved to "+start.UTC().Format(time.RFC3339), now, nil)
		if err != nil {
			return err
		}
		moved = old.Session
		moved.Start, moved.End, moved.Status = start, end, bot.SessionScheduled
		res, err := tx.ExecContext(ctx, `INSERT INTO sessions (group_id, generation, number, planned_at, start_at, end_at, topic, status, link, voice_channel, moved_from)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?)`,
			old.GroupID, old.generation, old.Number, old.planned.Unix(), start.Unix(), end.Unix(), old.Topic, old.Link, string(old.VoiceChannel), id)
		if err != nil {
			return err
		}
		if moved.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		own := jobs(moved)
		planned := map[string]bool{bot.KindEvent: true}
		for _, j := range own {
			planned[j.Kind] = true
		}
		shift := start.Sub(old.Start)
		for _, j := range skipped {
			if planned[j.Kind] {
				continue
			}
			j.SessionID, j.DueAt = moved.ID, j.DueAt.Add(shift)
			j.Key = j.Key + "/moved-to-" + strconv.FormatInt(moved.ID, 10)
			own = append(own, j)
		}
		return insertJobs(ctx, tx, db.Now().Unix(), own)
	})
	if err != nil {
		return bot.Session{}, fmt.Errorf("store: move session %d: %w", id, err)
	}
	return moved, nil
}

// SetRSVP records a member's answer for a session, replacing an earlier one.
func (db *DB) SetRSVP(ctx context.Context, r bot.RSVP) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO rsvps (session_id, user_id, answer, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (session_id, user_id) DO UPDATE SET answer = excluded.answer, at = excluded.at`,
			r.SessionID, string(r.User), string(r.Answer), r.At.Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record rsvp for session %d: %w", r.SessionID, err)
	}
	return nil
}

// RSVPs returns the answers for a session, oldest first. Attendance reads
// "no" as an excused absence.
func (db *DB) RSVPs(ctx context.Context, sessionID int64) ([]bot.RSVP, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT session_id, user_id, answer, at FROM rsvps WHERE session_id = ? ORDER BY at, user_id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("store: read rsvps of session %d: %w", sessionID, err)
	}
	defer rows.Close()
	var out []bot.RSVP
	for rows.Next() {
		var (
			r         bot.RSVP
			user, ans string
			at        int64
		)
		if err := rows.Scan(&r.SessionID, &user, &ans, &at); err != nil {
			return nil, fmt.Errorf("store: read rsvps of session %d: %w", sessionID, err)
		}
		r.User, r.Answer, r.At = bot.UserID(user), bot.RSVPAnswer(ans), fromUnix(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetAway records that user is away from the group until until (the zero
// time: back): on their roster entry when they have one (not removed),
// else as someone who takes part from the group's channel (channel_away;
// nobody is put on a roster by it). The caller checks that user is a
// member of the group.
func (db *DB) SetAway(ctx context.Context, groupID int64, user bot.UserID, until time.Time) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE members SET away_until = ? WHERE group_id = ? AND user_id = ? AND status != 'removed'`,
			unix(until), groupID, string(user))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if n > 0 || until.IsZero() {
			_, err := tx.ExecContext(ctx, `DELETE FROM channel_away WHERE group_id = ? AND user_id = ?`, groupID, string(user))
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO channel_away (group_id, user_id, until) VALUES (?, ?, ?)
			ON CONFLICT (group_id, user_id) DO UPDATE SET until = excluded.until`, groupID, string(user), unix(until))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set away for %s: %w", user, err)
	}
	return nil
}

// SetReminderDM records whether user wants the group's reminders by DM.
func (db *DB) SetReminderDM(ctx context.Context, groupID int64, user bot.UserID, on bool, now time.Time) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		if on {
			_, err := tx.ExecContext(ctx, `INSERT INTO reminder_dms (group_id, user_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				groupID, string(user), now.Unix())
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM reminder_dms WHERE group_id = ? AND user_id = ?`, groupID, string(user))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set dm reminders for %s: %w", user, err)
	}
	return nil
}

// ReminderDMUsers returns who asked for the group's reminders by DM and is
// an active member not away at at.
func (db *DB) ReminderDMUsers(ctx context.Context, groupID int64, at time.Time) ([]bot.UserID, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT d.user_id FROM reminder_dms d
		JOIN members m ON m.group_id = d.group_id AND m.user_id = d.user_id
		WHERE d.group_id = ? AND m.status = 'active' AND m.away_until <= ? ORDER BY d.user_id`, groupID, at.Unix())
	if err != nil {
		return nil, fmt.Errorf("store: read dm reminder list of group %d: %w", groupID, err)
	}
	defer rows.Close()
	var out []bot.UserID
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("store: read dm reminder list of group %d: %w", groupID, err)
		}
		out = append(out, bot.UserID(u))
	}
	return out, rows.Err()
}

// SessionJobs returns every feature's jobs of a session, by due time:
// what "session log" shows.
func (db *DB) SessionJobs(ctx context.Context, sessionID int64) ([]bot.Job, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE session_id = ? ORDER BY due_at, id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("store: read jobs of session %d: %w", sessionID, err)
	}
	defer rows.Close()
	var out []bot.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read jobs of session %d: %w", sessionID, err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// SentMessages returns the outbox entries whose key starts with prefix and
// that were sent, oldest first: the reminder posts whose RSVP counts are
// edited in place.
func (db *DB) SentMessages(ctx context.Context, prefix string) ([]bot.OutboxEntry, error) {
	if prefix == "" {
		return nil, errors.New("store: read sent messages: empty prefix")
	}
	// A key range rather than LIKE, so that the primary key serves it.
	end := prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1)
	rows, err := db.sql.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE key >= ? AND key < ? AND state = 'sent' ORDER BY sent_at, key`, prefix, end)
	if err != nil {
		return nil, fmt.Errorf("store: read sent messages %s: %w", prefix, err)
	}
	defer rows.Close()
	var out []bot.OutboxEntry
	for rows.Next() {
		e, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read sent messages %s: %w", prefix, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
