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

// This file holds the check-ins feature's SQL: its settings, check-ins,
// who was asked, answers, safety alerts and their deletion after the
// retention period. Answers, words and alerts are sensitive: no error or
// audit entry made here holds them.

// DefaultRetentionDays is how long answers and alerts are kept for a group
// without check-in settings (and for alerts about a sender in no group).
const DefaultRetentionDays = 90

// specJSON is how a bot.CheckInSpec is stored.
type specJSON struct {
	Kind     bot.CheckInKind `json:"kind"`
	Prompt   string          `json:"prompt"`
	Choices  []string        `json:"choices,omitempty"`
	Delivery string          `json:"delivery"`
	Cron     string          `json:"cron,omitempty"`
	WindowS  int64           `json:"window_s"`
	Nudge    bool            `json:"nudge,omitempty"`
}

func encodeSpec(s *bot.CheckInSpec) (string, error) {
	if s == nil {
		return "", nil
	}
	b, err := json.Marshal(specJSON{Kind: s.Kind, Prompt: s.Prompt, Choices: s.Choices, Delivery: s.Delivery, Cron: s.Cron,
		WindowS: int64(s.Window / time.Second), Nudge: s.Nudge})
	return string(b), err
}

func decodeSpec(s string) (*bot.CheckInSpec, error) {
	if s == "" {
		return nil, nil
	}
	var j specJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return nil, err
	}
	return &bot.CheckInSpec{Kind: j.Kind, Prompt: j.Prompt, Choices: j.Choices, Delivery: j.Delivery, Cron: j.Cron,
		Window: time.Duration(j.WindowS) * time.Second, Nudge: j.Nudge}, nil
}

const checkinSettingsCols = `group_id, at_start, between_sessions, share_tally, escalate_after_s, retention_days, source, generation, updated_at`

func scanCheckInSettings(sc interface{ Scan(...any) error }) (bot.CheckInSettings, error) {
	var (
		s                 bot.CheckInSettings
		atStart, between  string
		escalate, updated int64
		shareTally        bool
	)
	if err := sc.Scan(&s.GroupID, &atStart, &between, &shareTally, &escalate, &s.RetentionDays, &s.Source, &s.Generation, &updated); err != nil {
		return bot.CheckInSettings{}, err
	}
	var err error
	if s.AtStart, err = decodeSpec(atStart); err != nil {
		return bot.CheckInSettings{}, fmt.Errorf("check-in at the start of group %d: %w", s.GroupID, err)
	}
	if s.Between, err = decodeSpec(between); err != nil {
		return bot.CheckInSettings{}, fmt.Errorf("between-session check-in of group %d: %w", s.GroupID, err)
	}
	s.ShareTally = shareTally
	s.EscalateAfter = time.Duration(escalate) * time.Second
	s.UpdatedAt = fromUnix(updated)
	return s, nil
}

// CheckInSettings returns a group's check-in settings, or an error wrapping
// bot.ErrNotFound when it has none stored.
func (db *DB) CheckInSettings(ctx context.Context, groupID int64) (bot.CheckInSettings, error) {
	s, err := scanCheckInSettings(db.sql.QueryRowContext(ctx, `SELECT `+checkinSettingsCols+` FROM checkin_settings WHERE group_id = ?`, groupID))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.CheckInSettings{}, notFound(fmt.Sprintf("check-in settings of group %d", groupID))
	}
	if err != nil {
		return bot.CheckInSettings{}, fmt.Errorf("store: read check-in settings of group %d: %w", groupID, err)
	}
	return s, nil
}

// SaveCheckInSettings stores s as its group's check-in settings and
// records the change for by in the audit log, in one transaction; settings
// equal to the stored ones change nothing. The generation goes up when the
// between-session check-in changes. jobs, when not nil, returns jobs to
// enqueue in the same transaction for the settings as saved (the next
// between-session check-in). It returns the settings as stored and
// whether they changed.
func (db *DB) SaveCheckInSettings(ctx context.Context, by bot.Principal, s bot.CheckInSettings, jobs func(bot.CheckInSettings) []bot.Job) (bot.CheckInSettings, bool, error) {
	atStart, err := encodeSpec(s.AtStart)
	if err != nil {
		return bot.CheckInSettings{}, false, fmt.Errorf("store: save check-in settings of group %d: %w", s.GroupID, err)
	}
	between, err := encodeSpec(s.Between)
	if err != nil {
		return bot.CheckInSettings{}, false, fmt.Errorf("store: save check-in settings of group %d: %w", s.GroupID, err)
	}
	if s.Source == "" {
		s.Source = bot.SourceChat
	}
	if s.RetentionDays <= 0 {
		s.RetentionDays = DefaultRetentionDays
	}
	if s.EscalateAfter < time.Second {
		return bot.CheckInSettings{}, false, fmt.Errorf("store: save check-in settings of group %d: escalate_after %s is too short", s.GroupID, s.EscalateAfter)
	}
	var (
		out     bot.CheckInSettings
		changed bool
	)
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		now := db.Now().Unix()
		var oldAtStart, oldBetween, oldSource string
		var oldShare bool
		var oldEscalate, oldGen int64
		var oldRetention int
		err := tx.QueryRowContext(ctx, `SELECT at_start, between_sessions, share_tally, escalate_after_s, retention_days, source, generation
			FROM checkin_settings WHERE group_id = ?`, s.GroupID).Scan(&oldAtStart, &oldBetween, &oldShare, &oldEscalate, &oldRetention, &oldSource, &oldGen)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO checkin_settings (group_id, at_start, between_sessions, share_tally, escalate_after_s, retention_days, source, generation, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)`, s.GroupID, atStart, between, s.ShareTally, int64(s.EscalateAfter/time.Second), s.RetentionDays, s.Source, now)
			if err != nil {
				return err
			}
			changed = true
		case err != nil:
			return err
		default:
			same := oldAtStart == atStart && oldBetween == between && oldShare == s.ShareTally &&
				oldEscalate == int64(s.EscalateAfter/time.Second) && oldRetention == s.RetentionDays && oldSource == s.Source
			if !same {
				gen := oldGen
				if oldBetween != between {
					gen++
				}
				_, err = tx.ExecContext(ctx, `UPDATE checkin_settings SET at_start = ?, between_sessions = ?, share_tally = ?, escalate_after_s = ?,
					retention_days = ?, source = ?, generation = ?, updated_at = ? WHERE group_id = ?`,
					atStart, between, s.ShareTally, int64(s.EscalateAfter/time.Second), s.RetentionDays, s.Source, gen, now, s.GroupID)
				if err != nil {
					return err
				}
				changed = true
			}
		}
		out, err = scanCheckInSettings(tx.QueryRowContext(ctx, `SELECT `+checkinSettingsCols+` FROM checkin_settings WHERE group_id = ?`, s.GroupID))
		if err != nil {
			return err
		}
		if changed {
			if err := insertAudit(ctx, tx, db.auditEntry(s.GroupID, by, "checkins.settings", settingsDetail(out))); err != nil {
				return err
			}
		}
		if jobs != nil {
			for _, j := range jobs(out) {
				if _, err := insertJob(ctx, tx, now, j); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return bot.CheckInSettings{}, false, fmt.Errorf("store: save check-in settings of group %d: %w", s.GroupID, err)
	}
	return out, changed, nil
}

// settingsDetail describes settings for the audit log, without the
// prompts' wording.
func settingsDetail(s bot.CheckInSettings) string {
	var parts []string
	if s.AtStart != nil {
		parts = append(parts, fmt.Sprintf("at start: %s by %s", s.AtStart.Kind, s.AtStart.Delivery))
	}
	if s.Between != nil {
		parts = append(parts, fmt.Sprintf("between: %s by %s on %q", s.Between.Kind, s.Between.Delivery, s.Between.Cron))
	}
	if len(parts) == 0 {
		parts = append(parts, "no check-ins")
	}
	parts = append(parts, fmt.Sprintf("tally %t", s.ShareTally), "escalate after "+s.EscalateAfter.String(), fmt.Sprintf("retention %d days", s.RetentionDays))
	return strings.Join(parts, "; ")
}

const checkinCols = `id, group_id, COALESCE(session_id, 0), origin, key, kind, prompt, choices, delivery, nudge,
	opened_at, closes_at, closed_at, asked, answered, passed, tally, purged_at`

func scanCheckIn(sc interface{ Scan(...any) error }) (bot.CheckIn, error) {
	var (
		c                              bot.CheckIn
		kind, choices, tally           string
		opened, closes, closed, purged int64
	)
	if err := sc.Scan(&c.ID, &c.GroupID, &c.SessionID, &c.Origin, &c.Key, &kind, &c.Spec.Prompt, &choices, &c.Spec.Delivery, &c.Spec.Nudge,
		&opened, &closes, &closed, &c.Asked, &c.Answered, &c.Passed, &tally, &purged); err != nil {
		return bot.CheckIn{}, err
	}
	c.Spec.Kind = bot.CheckInKind(kind)
	if err := json.Unmarshal([]byte(choices), &c.Spec.Choices); err != nil {
		return bot.CheckIn{}, fmt.Errorf("choices of check-in %d: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(tally), &c.Tally); err != nil {
		return bot.CheckIn{}, fmt.Errorf("tally of check-in %d: %w", c.ID, err)
	}
	c.OpenedAt, c.ClosesAt, c.ClosedAt, c.PurgedAt = fromUnix(opened), fromUnix(closes), fromUnix(closed), fromUnix(purged)
	c.Spec.Window = c.ClosesAt.Sub(c.OpenedAt)
	return c, nil
}

// OpenCheckIn stores a check-in that is being asked, with who is asked
// and the jobs that jobs returns for it (its close, its nudge), in one
// transaction. It is idempotent by c.Key: asking the same check-in again
// returns the stored one, reports false and adds nothing.
func (db *DB) OpenCheckIn(ctx context.Context, c bot.CheckIn, asked []bot.UserID, jobs func(bot.CheckIn) []bot.Job) (bot.CheckIn, bool, error) {
	choices, err := json.Marshal(c.Spec.Choices)
	if err != nil || c.Spec.Choices == nil {
		choices = []byte("[]")
	}
	var (
		out     bot.CheckIn
		created bool
	)
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO checkins (group_id, session_id, origin, key, kind, prompt, choices, delivery, nudge, opened_at, closes_at, asked)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
			c.GroupID, nullID(c.SessionID), c.Origin, c.Key, string(c.Spec.Kind), c.Spec.Prompt, string(choices), c.Spec.Delivery, c.Spec.Nudge,
			unix(c.OpenedAt), unix(c.ClosesAt), len(asked))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		created = n == 1
		out, err = scanCheckIn(tx.QueryRowContext(ctx, `SELECT `+checkinCols+` FROM checkins WHERE key = ?`, c.Key))
		if err != nil || !created {
			return err
		}
		for _, u := range asked {
			if _, err := tx.ExecContext(ctx, `INSERT INTO checkin_asked (checkin_id, user_id, state) VALUES (?, ?, 'sent') ON CONFLICT DO NOTHING`,
				out.ID, string(u)); err != nil {
				return err
			}
		}
		if jobs != nil {
			now := db.Now().Unix()
			for _, j := range jobs(out) {
				if _, err := insertJob(ctx, tx, now, j); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return bot.CheckIn{}, false, fmt.Errorf("store: open check-in %s: %w", c.Key, err)
	}
	return out, created, nil
}

// CheckIn returns a check-in, or an error wrapping bot.ErrNotFound.
func (db *DB) CheckIn(ctx context.Context, id int64) (bot.CheckIn, error) {
	c, err := scanCheckIn(db.sql.QueryRowContext(ctx, `SELECT `+checkinCols+` FROM checkins WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.CheckIn{}, notFound(fmt.Sprintf("check-in %d", id))
	}
	if err != nil {
		return bot.CheckIn{}, fmt.Errorf("store: read check-in %d: %w", id, err)
	}
	return c, nil
}

// RecentCheckIns returns a group's latest check-ins, newest first, at most
// limit.
func (db *DB) RecentCheckIns(ctx context.Context, groupID int64, limit int) ([]bot.CheckIn, error) {
	return db.checkIns(ctx, `WHERE group_id = ? ORDER BY opened_at DESC, id DESC LIMIT ?`, groupID, limit)
}

// PreviousCheckIn returns the group's check-in of the same origin asked
// before c, for "change since last time"; false when there is none.
func (db *DB) PreviousCheckIn(ctx context.Context, c bot.CheckIn) (bot.CheckIn, bool, error) {
	cs, err := db.checkIns(ctx, `WHERE group_id = ? AND origin = ? AND (opened_at < ? OR (opened_at = ? AND id < ?))
		ORDER BY opened_at DESC, id DESC LIMIT 1`, c.GroupID, c.Origin, unix(c.OpenedAt), unix(c.OpenedAt), c.ID)
	if err != nil || len(cs) == 0 {
		return bot.CheckIn{}, false, err
	}
	return cs[0], true, nil
}

func (db *DB) checkIns(ctx context.Context, where string, args ...any) ([]bot.CheckIn, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+checkinCols+` FROM checkins `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read check-ins: %w", err)
	}
	defer rows.Close()
	var out []bot.CheckIn
	for rows.Next() {
		c, err := scanCheckIn(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read check-ins: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CheckInAsked returns who was asked in check-in id, by user id.
func (db *DB) CheckInAsked(ctx context.Context, id int64) ([]bot.CheckInAsked, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT checkin_id, user_id, state, nudged FROM checkin_asked WHERE checkin_id = ? ORDER BY user_id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: read who was asked in check-in %d: %w", id, err)
	}
	defer rows.Close()
	var out []bot.CheckInAsked
	for rows.Next() {
		var (
			a    bot.CheckInAsked
			user string
		)
		if err := rows.Scan(&a.CheckInID, &user, &a.State, &a.Nudged); err != nil {
			return nil, fmt.Errorf("store: read who was asked in check-in %d: %w", id, err)
		}
		a.User = bot.UserID(user)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetAsked records what became of asking user in check-in id (a state
// from bot.AskedSent …), adding them to the list when they were not on it.
func (db *DB) SetAsked(ctx context.Context, id int64, user bot.UserID, state string) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO checkin_asked (checkin_id, user_id, state) VALUES (?, ?, ?)
			ON CONFLICT (checkin_id, user_id) DO UPDATE SET state = excluded.state`, id, string(user), state)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record asking in check-in %d: %w", id, err)
	}
	return nil
}

// MarkNudged records that user was sent check-in id's nudge.
func (db *DB) MarkNudged(ctx context.Context, id int64, user bot.UserID) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE checkin_asked SET nudged = 1 WHERE checkin_id = ? AND user_id = ?`, id, string(user))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record nudge in check-in %d: %w", id, err)
	}
	return nil
}

// MemberGoneFromCheckIns marks user as gone in the group's check-ins that
// are open at now, so that they are not nudged or listed as not answering.
func (db *DB) MemberGoneFromCheckIns(ctx context.Context, groupID int64, user bot.UserID, now time.Time) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE checkin_asked SET state = 'gone' WHERE user_id = ? AND checkin_id IN
			(SELECT id FROM checkins WHERE group_id = ? AND closed_at = 0 AND closes_at > ?)`, string(user), groupID, now.Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: member left the check-ins of group %d: %w", groupID, err)
	}
	return nil
}

// RecordAnswers stores answers in one transaction: each replaces the
// member's earlier answer to the same check-in, while that check-in is
// open at the answer's time. Many answers written at once share one
// commit, each check-in is read once per call, and up to answerRows
// answers go in one INSERT; only when that INSERT finds some had answered
// before does a query read what they replace and an upsert change them,
// so that a burst of answers costs a fraction of a statement each (see
// checkins/bench_test.go). The error is for the transaction; an answer
// that cannot be stored has its own Err.
func (db *DB) RecordAnswers(ctx context.Context, answers []bot.CheckInAnswer) ([]bot.AnswerOutcome, error) {
	out := make([]bot.AnswerOutcome, len(answers))
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		type window struct {
			found            bool
			closesAt, closed int64
		}
		// Usually all answers are to one check-in: a short list, not a map.
		type checkInWindow struct {
			id int64
			window
		}
		var checkIns []checkInWindow
		type who struct {
			checkIn int64
			user    bot.UserID
		}
		// The last answer of each member is written; an earlier one in the
		// same call is what the next replaced.
		type span struct{ first, last int }
		seen := make(map[who]span, len(answers))
		order := make([]who, 0, len(answers))
		for i, a := range answers {
			var (
				w  window
				ok bool
			)
			for _, c := range checkIns {
				if c.id == a.CheckInID {
					w, ok = c.window, true
					break
				}
			}
			if !ok {
				err := tx.QueryRowContext(ctx, `SELECT closes_at, closed_at FROM checkins WHERE id = ?`, a.CheckInID).Scan(&w.closesAt, &w.closed)
				switch {
				case errors.Is(err, sql.ErrNoRows):
				case err != nil:
					return err
				default:
					w.found = true
				}
				checkIns = append(checkIns, checkInWindow{a.CheckInID, w})
			}
			switch {
			case !w.found:
				out[i].Err = notFound(fmt.Sprintf("check-in %d", a.CheckInID))
				continue
			case w.closed != 0 || a.At.Unix() >= w.closesAt:
				out[i].Err = fmt.Errorf("check-in %d is closed: %w", a.CheckInID, bot.ErrConflict)
				continue
			}
			k := who{a.CheckInID, a.User}
			if sp, ok := seen[k]; ok {
				prev := answers[sp.last]
				out[i].Prev = &prev
				sp.last = i
				seen[k] = sp
			} else {
				seen[k] = span{i, i}
				order = append(order, k)
			}
		}
		for len(order) > 0 {
			n := min(len(order), answerRows)
			chunk := order[:n]
			order = order[n:]
			args := make([]any, 0, 6*n)
			for _, k := range chunk {
				a := answers[seen[k].last]
				args = append(args, a.CheckInID, string(a.User), a.Level, a.Text, a.Pass, unix(a.At))
			}
			// Usually nobody in the chunk has answered before: one INSERT
			// stores them all, and its count of rows says so, with no query
			// for what they replace.
			res, err := tx.ExecContext(ctx, insertAnswers(n)+` ON CONFLICT (checkin_id, user_id) DO NOTHING`, args...)
			if err != nil {
				return err
			}
			if inserted, err := res.RowsAffected(); err != nil {
				return err
			} else if int(inserted) == n {
				continue
			}
			// Some had: their rows still hold what they answered before,
			// which is what the first answer of this call replaces. A row
			// equal to the answer is the one just inserted (or the same
			// answer given again), and replaces nothing.
			byCheckIn := map[int64][]any{}
			for _, k := range chunk {
				byCheckIn[k.checkIn] = append(byCheckIn[k.checkIn], string(k.user))
			}
			var again []any
			for id, us := range byCheckIn {
				rows, err := tx.QueryContext(ctx, `SELECT user_id, level, text, pass, at FROM checkin_answers WHERE checkin_id = ? AND user_id IN (?`+
					strings.Repeat(", ?", len(us)-1)+`)`, append([]any{id}, us...)...)
				if err != nil {
					return err
				}
				for rows.Next() {
					var (
						user string
						at   int64
						prev bot.CheckInAnswer
					)
					if err := rows.Scan(&user, &prev.Level, &prev.Text, &prev.Pass, &at); err != nil {
						rows.Close()
						return err
					}
					k := who{id, bot.UserID(user)}
					a := answers[seen[k].last]
					if prev.Level == a.Level && prev.Text == a.Text && prev.Pass == a.Pass && at == unix(a.At) {
						continue
					}
					prev.CheckInID, prev.User, prev.At, prev.Text = id, k.user, fromUnix(at), ""
					out[seen[k].first].Prev = &prev
					again = append(again, a.CheckInID, string(a.User), a.Level, a.Text, a.Pass, unix(a.At))
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return err
				}
			}
			if len(again) > 0 {
				if _, err := tx.ExecContext(ctx, insertAnswers(len(again)/6)+`
					ON CONFLICT (checkin_id, user_id) DO UPDATE SET level = excluded.level, text = excluded.text, pass = excluded.pass, at = excluded.at`,
					again...); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: record %d answers: %w", len(answers), err)
	}
	return out, nil
}

// answerRows is how many answers one INSERT writes: well within SQLite's
// limit of parameters.
const answerRows = 64

// insertAnswers is the INSERT of n answers, without its conflict clause.
func insertAnswers(n int) string {
	return `INSERT INTO checkin_answers (checkin_id, user_id, level, text, pass, at) VALUES (?, ?, ?, ?, ?, ?)` + strings.Repeat(", (?, ?, ?, ?, ?, ?)", n-1)
}

// CheckInAnswers returns the answers to check-in id, by user id.
func (db *DB) CheckInAnswers(ctx context.Context, id int64) ([]bot.CheckInAnswer, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT checkin_id, user_id, level, text, pass, at FROM checkin_answers WHERE checkin_id = ? ORDER BY user_id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: read answers to check-in %d: %w", id, err)
	}
	defer rows.Close()
	var out []bot.CheckInAnswer
	for rows.Next() {
		var (
			a    bot.CheckInAnswer
			user string
			at   int64
		)
		if err := rows.Scan(&a.CheckInID, &user, &a.Level, &a.Text, &a.Pass, &at); err != nil {
			return nil, fmt.Errorf("store: read answers to check-in %d: %w", id, err)
		}
		a.User, a.At = bot.UserID(user), fromUnix(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// CloseCheckIn closes check-in id at at and stores its counts and tally
// (answers per level, or per choice: tally names the key of each answer,
// given by key), in one transaction. Closing a closed check-in changes
// nothing; it reports whether this call closed it.
func (db *DB) CloseCheckIn(ctx context.Context, id int64, at time.Time, key func(level int) string) (bot.CheckIn, bool, error) {
	var (
		out    bot.CheckIn
		closed bool
	)
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		c, err := scanCheckIn(tx.QueryRowContext(ctx, `SELECT `+checkinCols+` FROM checkins WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(fmt.Sprintf("check-in %d", id))
		}
		if err != nil {
			return err
		}
		if !c.ClosedAt.IsZero() {
			out = c
			return nil
		}
		tally := map[string]int{}
		var asked, answered, passed int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM checkin_asked WHERE checkin_id = ? AND state != 'gone'`, id).Scan(&asked); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT level, pass FROM checkin_answers WHERE checkin_id = ?`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				level int
				pass  bool
			)
			if err := rows.Scan(&level, &pass); err != nil {
				rows.Close()
				return err
			}
			switch {
			case pass:
				passed++
			default:
				answered++
				if level > 0 && key != nil {
					tally[key(level)]++
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		t, err := json.Marshal(tally)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE checkins SET closed_at = ?, asked = max(asked, ?), answered = ?, passed = ?, tally = ? WHERE id = ?`,
			unix(at), asked, answered, passed, string(t), id); err != nil {
			return err
		}
		closed = true
		out, err = scanCheckIn(tx.QueryRowContext(ctx, `SELECT `+checkinCols+` FROM checkins WHERE id = ?`, id))
		return err
	})
	if err != nil {
		return bot.CheckIn{}, false, fmt.Errorf("store: close check-in %d: %w", id, err)
	}
	return out, closed, nil
}

// Informed reports whether user was told about check-ins in the group.
func (db *DB) Informed(ctx context.Context, groupID int64, user bot.UserID) (bool, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM checkin_informed WHERE group_id = ? AND user_id = ?`, groupID, string(user)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: read whether %s was told about check-ins: %w", user, err)
	}
	return n > 0, nil
}

// MarkInformed records that user was told about check-ins in the group.
func (db *DB) MarkInformed(ctx context.Context, groupID int64, user bot.UserID, at time.Time) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO checkin_informed (group_id, user_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			groupID, string(user), unix(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record that %s was told about check-ins: %w", user, err)
	}
	return nil
}

const alertCols = `id, COALESCE(group_id, 0), platform, user_id, opened_at, last_at, signals, families, latest_source, latest_words,
	latest_level, taken_by, taken_at, stage`

func scanAlert(sc interface{ Scan(...any) error }) (bot.SafetyAlert, error) {
	var (
		a                       bot.SafetyAlert
		user, families, takenBy string
		opened, last, taken     int64
	)
	if err := sc.Scan(&a.ID, &a.GroupID, &a.Platform, &user, &opened, &last, &a.Signals, &families, &a.LatestSource, &a.LatestWords,
		&a.LatestLevel, &takenBy, &taken, &a.Stage); err != nil {
		return bot.SafetyAlert{}, err
	}
	if err := json.Unmarshal([]byte(families), &a.Families); err != nil {
		return bot.SafetyAlert{}, fmt.Errorf("signs of alert %d: %w", a.ID, err)
	}
	a.User, a.TakenBy = bot.UserID(user), bot.Principal(takenBy)
	a.OpenedAt, a.LastAt, a.TakenAt = fromUnix(opened), fromUnix(last), fromUnix(taken)
	return a, nil
}

// RecordSignal records a safety signal, in one transaction: when the
// member has an alert in the same group whose last signal is at most
// window before this one, the signal updates it (one more signal, the
// latest words, level and time, the kinds of sign); otherwise it opens a
// new alert. The audit log gets an entry without the content. jobs returns
// the jobs to enqueue in the same transaction for the alert as it now
// stands (its delivery, its escalation); opened says whether it is new.
func (db *DB) RecordSignal(ctx context.Context, sig bot.SafetySignal, window time.Duration, jobs func(a bot.SafetyAlert, opened bool) []bot.Job) (bot.SafetyAlert, bool, error) {
	var (
		out    bot.SafetyAlert
		opened bool
	)
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		prev, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertCols+` FROM safety_alerts
			WHERE platform = ? AND user_id = ? AND COALESCE(group_id, 0) = ? AND last_at >= ?
			ORDER BY last_at DESC, id DESC LIMIT 1`, sig.Platform, string(sig.User), sig.GroupID, unix(sig.At.Add(-window))))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			fam, err := json.Marshal(nonNilStrings(sig.Families))
			if err != nil {
				return err
			}
			out, err = scanAlert(tx.QueryRowContext(ctx, `INSERT INTO safety_alerts (group_id, platform, user_id, opened_at, last_at, signals, families,
				latest_source, latest_words, latest_level) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING `+alertCols,
				nullID(sig.GroupID), sig.Platform, string(sig.User), unix(sig.At), unix(sig.At), string(fam), sig.Source, sig.Words, sig.Level))
			if err != nil {
				return err
			}
			opened = true
		case err != nil:
			return err
		default:
			fams := slices.Clone(prev.Families)
			for _, f := range sig.Families {
				if !slices.Contains(fams, f) {
					fams = append(fams, f)
				}
			}
			fam, err := json.Marshal(nonNilStrings(fams))
			if err != nil {
				return err
			}
			last := max(unix(sig.At), unix(prev.LastAt))
			out, err = scanAlert(tx.QueryRowContext(ctx, `UPDATE safety_alerts SET signals = signals + 1, last_at = ?, families = ?,
				latest_source = ?, latest_words = ?, latest_level = ? WHERE id = ? RETURNING `+alertCols,
				last, string(fam), sig.Source, sig.Words, sig.Level, prev.ID))
			if err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("alert %d: signal %d (%s: %s)", out.ID, out.Signals, sig.Source, strings.Join(sig.Families, ", "))
		if err := insertAudit(ctx, tx, db.auditEntry(sig.GroupID, "system:checkins", "safety.signal", detail)); err != nil {
			return err
		}
		if jobs != nil {
			now := db.Now().Unix()
			for _, j := range jobs(out, opened) {
				if _, err := insertJob(ctx, tx, now, j); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return bot.SafetyAlert{}, false, fmt.Errorf("store: record a safety signal: %w", err)
	}
	return out, opened, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SafetyAlert returns an alert, or an error wrapping bot.ErrNotFound (it
// may have been deleted after the retention period).
func (db *DB) SafetyAlert(ctx context.Context, id int64) (bot.SafetyAlert, error) {
	a, err := scanAlert(db.sql.QueryRowContext(ctx, `SELECT `+alertCols+` FROM safety_alerts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.SafetyAlert{}, notFound(fmt.Sprintf("safety alert %d", id))
	}
	if err != nil {
		return bot.SafetyAlert{}, fmt.Errorf("store: read safety alert %d: %w", id, err)
	}
	return a, nil
}

// TakeSafetyAlert records that by is on alert id, unless someone already
// is; it returns the alert as it stands and whether by took it now. The
// audit log gets an entry.
func (db *DB) TakeSafetyAlert(ctx context.Context, id int64, by bot.Principal, at time.Time) (bot.SafetyAlert, bool, error) {
	var (
		out   bot.SafetyAlert
		taken bool
	)
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE safety_alerts SET taken_by = ?, taken_at = ? WHERE id = ? AND taken_by = ''`, string(by), unix(at), id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		taken = n == 1
		out, err = scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertCols+` FROM safety_alerts WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(fmt.Sprintf("safety alert %d", id))
		}
		if err != nil || !taken {
			return err
		}
		return insertAudit(ctx, tx, db.auditEntry(out.GroupID, by, "safety.taken", "alert "+strconv.FormatInt(id, 10)))
	})
	if err != nil {
		return bot.SafetyAlert{}, false, fmt.Errorf("store: take safety alert %d: %w", id, err)
	}
	return out, taken, nil
}

// SetSafetyAlertStage records that alert id has gone to stage (see
// bot.SafetyAlert.Stage); a lower stage than the stored one changes
// nothing.
func (db *DB) SetSafetyAlertStage(ctx context.Context, id int64, stage int) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE safety_alerts SET stage = max(stage, ?) WHERE id = ?`, stage, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record stage of safety alert %d: %w", id, err)
	}
	return nil
}

// PurgeExpired deletes, as of now, every check-in answer, list of who was
// asked and safety alert older than its group's retention period
// (DefaultRetentionDays without settings, and for alerts about a sender in
// no group), with the outbox entries and finished jobs that keys names for
// them: checkInKeys and alertKeys name, for a check-in or an alert being
// deleted, the keys of its outbox entries and jobs (a key ending in "/"
// stands for every key that starts with it); the entries and the finished
// jobs go with it. A
// check-in keeps its counts and tally, without member ids. Each
// check-in and alert goes in a transaction of its own, so that a large
// backlog does not hold the database for long.
func (db *DB) PurgeExpired(ctx context.Context, now time.Time, checkInKeys, alertKeys func(id int64) []string) (bot.Purged, error) {
	var p bot.Purged
	cutoff := func(days int) int64 { return now.Add(-time.Duration(days) * 24 * time.Hour).Unix() }
	type item struct {
		id    int64
		group int64
		days  int
	}
	read := func(q string, args ...any) ([]item, error) {
		rows, err := db.sql.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []item
		for rows.Next() {
			var it item
			if err := rows.Scan(&it.id, &it.group, &it.days); err != nil {
				return nil, err
			}
			out = append(out, it)
		}
		return out, rows.Err()
	}
	// A retention period counts from when a check-in closed, and from an
	// alert's last signal.
	cs, err := read(`SELECT c.id, c.group_id, COALESCE(s.retention_days, ?) FROM checkins c
		LEFT JOIN checkin_settings s ON s.group_id = c.group_id
		WHERE c.purged_at = 0 AND c.closed_at != 0 AND c.closed_at < ? - COALESCE(s.retention_days, ?) * 86400`,
		DefaultRetentionDays, now.Unix(), DefaultRetentionDays)
	if err != nil {
		return p, fmt.Errorf("store: find expired check-ins: %w", err)
	}
	for _, c := range cs {
		var prefixes []string
		if checkInKeys != nil {
			prefixes = checkInKeys(c.id)
		}
		err := db.withTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM checkin_answers WHERE checkin_id = ?`, c.id)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			p.Answers += int(n)
			if _, err := tx.ExecContext(ctx, `DELETE FROM checkin_asked WHERE checkin_id = ?`, c.id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE checkins SET purged_at = ? WHERE id = ?`, now.Unix(), c.id); err != nil {
				return err
			}
			return purgeKeys(ctx, tx, prefixes, &p)
		})
		if err != nil {
			return p, fmt.Errorf("store: purge check-in %d: %w", c.id, err)
		}
		p.CheckIns++
	}
	// Who was told about check-ins up front names members too: after the
	// retention period they are told again with their next check-in.
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM checkin_informed WHERE at < ? - COALESCE(
			(SELECT retention_days FROM checkin_settings s WHERE s.group_id = checkin_informed.group_id), ?) * 86400`, now.Unix(), DefaultRetentionDays)
		return err
	})
	if err != nil {
		return p, fmt.Errorf("store: purge who was told about check-ins: %w", err)
	}
	as, err := read(`SELECT a.id, COALESCE(a.group_id, 0), COALESCE(s.retention_days, ?) FROM safety_alerts a
		LEFT JOIN checkin_settings s ON s.group_id = a.group_id WHERE a.last_at < ? - COALESCE(s.retention_days, ?) * 86400`,
		DefaultRetentionDays, now.Unix(), DefaultRetentionDays)
	if err != nil {
		return p, fmt.Errorf("store: find expired safety alerts: %w", err)
	}
	for _, a := range as {
		var prefixes []string
		if alertKeys != nil {
			prefixes = alertKeys(a.id)
		}
		err := db.withTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM safety_alerts WHERE id = ? AND last_at < ?`, a.id, cutoff(a.days))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			p.Alerts++
			return purgeKeys(ctx, tx, prefixes, &p)
		})
		if err != nil {
			return p, fmt.Errorf("store: purge safety alert %d: %w", a.id, err)
		}
	}
	if p != (bot.Purged{}) {
		// The purged answers were zeroed (secure_delete); put the zeroed
		// pages in the file and empty the log (see Checkpoint).
		_, _ = db.Checkpoint(ctx)
	}
	return p, nil
}

// purgeKeys deletes the outbox entries and finished jobs named by keys: a
// key ending in "/" names every key that starts with it, any other key
// itself.
func purgeKeys(ctx context.Context, tx *sql.Tx, keys []string, p *bot.Purged) error {
	for _, k := range keys {
		if k == "" {
			continue
		}
		where, args := `key = ?`, []any{k}
		if strings.HasSuffix(k, "/") {
			end := k[:len(k)-1] + string(k[len(k)-1]+1)
			where, args = `key >= ? AND key < ?`, []any{k, end}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE `+where, args...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		p.Outbox += int(n)
		res, err = tx.ExecContext(ctx, `DELETE FROM jobs WHERE `+where+` AND state NOT IN ('pending', 'running')`, args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		p.Jobs += int(n)
	}
	return nil
}

// GroupsOfUser returns the groups on platform where user is an active
// member of the roster.
func (db *DB) GroupsOfUser(ctx context.Context, platform string, user bot.UserID) ([]bot.Group, error) {
	gs, err := db.listGroups(ctx, `WHERE platform = ? AND id IN (SELECT group_id FROM members WHERE user_id = ? AND status = 'active')`, platform, string(user))
	if err != nil {
		return nil, fmt.Errorf("store: groups of %s: %w", user, err)
	}
	return gs, nil
}

// GroupsOnPlatform returns the groups bound to channels on platform.
func (db *DB) GroupsOnPlatform(ctx context.Context, platform string) ([]bot.Group, error) {
	gs, err := db.listGroups(ctx, `WHERE platform = ?`, platform)
	if err != nil {
		return nil, fmt.Errorf("store: groups on %s: %w", platform, err)
	}
	return gs, nil
}
