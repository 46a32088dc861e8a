package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

// This file holds the attendance feature's SQL: settings, the evidence of
// presence gathered during a session, the marks, closing a session, drift
// alerts, and the reads that reports need.

// AttendanceSettings returns group groupID's attendance settings, and
// false (with zero settings) when the group has none of its own.
func (db *DB) AttendanceSettings(ctx context.Context, groupID int64) (bot.AttendanceSettings, bool, error) {
	var (
		s     bot.AttendanceSettings
		voice string
		late  int64
	)
	err := db.sql.QueryRowContext(ctx, `SELECT enabled, button, voice_channel, min_minutes, late_after_s, alert_after, missed_you_dm
		FROM attendance_settings WHERE group_id = ?`, groupID).
		Scan(&s.Enabled, &s.Button, &voice, &s.MinMinutes, &late, &s.AlertAfter, &s.MissedYouDM)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.AttendanceSettings{}, false, nil
	}
	if err != nil {
		return bot.AttendanceSettings{}, false, fmt.Errorf("store: read attendance settings of group %d: %w", groupID, err)
	}
	s.VoiceChannel = bot.ChannelID(voice)
	s.LateAfter = time.Duration(late) * time.Second
	return s, true, nil
}

// SetAttendanceSettings stores group groupID's attendance settings, or
// removes them (back to the defaults) when s is nil. Storing what is stored
// already writes nothing.
func (db *DB) SetAttendanceSettings(ctx context.Context, groupID int64, s *bot.AttendanceSettings) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		if s == nil {
			_, err := tx.ExecContext(ctx, `DELETE FROM attendance_settings WHERE group_id = ?`, groupID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO attendance_settings
			(group_id, enabled, button, voice_channel, min_minutes, late_after_s, alert_after, missed_you_dm, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (group_id) DO UPDATE SET enabled = excluded.enabled, button = excluded.button,
				voice_channel = excluded.voice_channel, min_minutes = excluded.min_minutes, late_after_s = excluded.late_after_s,
				alert_after = excluded.alert_after, missed_you_dm = excluded.missed_you_dm, updated_at = excluded.updated_at
			WHERE (enabled, button, voice_channel, min_minutes, late_after_s, alert_after, missed_you_dm) IS NOT
				(excluded.enabled, excluded.button, excluded.voice_channel, excluded.min_minutes, excluded.late_after_s,
				 excluded.alert_after, excluded.missed_you_dm)`,
			groupID, s.Enabled, s.Button, string(s.VoiceChannel), s.MinMinutes, int64(s.LateAfter/time.Second), s.AlertAfter, s.MissedYouDM, db.Now().Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save attendance settings of group %d: %w", groupID, err)
	}
	return nil
}

// RecordPresence records that user showed presence at session sessionID
// by source ("button", "checkin") at at, and reports whether it is the
// first time by that source: the first time counts, a second press
// changes nothing.
func (db *DB) RecordPresence(ctx context.Context, sessionID int64, user bot.UserID, source string, at time.Time) (bool, error) {
	var first bool
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO attendance_presence (session_id, who, user_id, source, at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			sessionID, bot.Attendee{User: user}.Key(), string(user), source, at.Unix())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		first = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: record presence at session %d: %w", sessionID, err)
	}
	return first, nil
}

// Presences returns the presence recorded at a session (button, check-in),
// earliest first.
func (db *DB) Presences(ctx context.Context, sessionID int64) ([]bot.Presence, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT user_id, source, at FROM attendance_presence
		WHERE session_id = ? AND user_id IS NOT NULL ORDER BY at, who, source`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("store: read presence at session %d: %w", sessionID, err)
	}
	defer rows.Close()
	var out []bot.Presence
	for rows.Next() {
		var (
			p    bot.Presence
			user string
			at   int64
		)
		if err := rows.Scan(&user, &p.Source, &at); err != nil {
			return nil, fmt.Errorf("store: read presence at session %d: %w", sessionID, err)
		}
		p.SessionID, p.User, p.At = sessionID, bot.UserID(user), fromUnix(at)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read presence at session %d: %w", sessionID, err)
	}
	return out, nil
}

// WatchVoice makes session sessionID watch voice channel ch until until,
// so that VoiceEvent records stays there, and records a stay from at for
// each of present (who were in the channel when the session started). It
// reports whether the session was not watched yet: a second call changes
// nothing.
func (db *DB) WatchVoice(ctx context.Context, sessionID int64, ch bot.Address, until time.Time, present []bot.UserID, at time.Time) (bool, error) {
	var fresh bool
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO attendance_voice_watch (session_id, platform, channel, until)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, sessionID, ch.Platform, string(ch.Channel), until.Unix())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		fresh = true
		for _, u := range present {
			if err := openStay(ctx, tx, sessionID, u, at.Unix()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: watch voice for session %d: %w", sessionID, err)
	}
	return fresh, nil
}

// openStay records that user entered the session's voice channel at at,
// unless a stay of theirs is open already.
func openStay(ctx context.Context, tx *sql.Tx, sessionID int64, user bot.UserID, at int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO attendance_voice (session_id, user_id, joined_at)
		SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM attendance_voice WHERE session_id = ? AND user_id = ? AND left_at = 0)`,
		sessionID, string(user), at, sessionID, string(user))
	return err
}

// VoiceEvent records user entering (joined) or leaving voice channel ch at
// at, for every session that watches ch then — with groups, only the
// sessions of those groups — and returns how many did.
func (db *DB) VoiceEvent(ctx context.Context, ch bot.Address, user bot.UserID, joined bool, at time.Time, groups ...int64) (int, error) {
	n := 0
	only := int64sJSON(groups)
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT w.session_id FROM attendance_voice_watch w JOIN sessions s ON s.id = w.session_id
			WHERE w.platform = ? AND w.channel = ? AND w.until > ? AND (? = '[]' OR s.group_id IN (SELECT value FROM json_each(?)))`,
			ch.Platform, string(ch.Channel), at.Unix(), only, only)
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
			if joined {
				err = openStay(ctx, tx, id, user, at.Unix())
			} else {
				_, err = tx.ExecContext(ctx, `UPDATE attendance_voice SET left_at = max(?, joined_at) WHERE session_id = ? AND user_id = ? AND left_at = 0`,
					at.Unix(), id, string(user))
			}
			if err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: record voice presence in %s: %w", ch, err)
	}
	return n, nil
}

// TookPart returns which of the accounts users have ever taken part in
// group groupID: answered an RSVP, were counted as come at a session or
// marked by a facilitator, agreed to its norms, or answered one of its
// check-ins. Someone who only ever could see the group's channel has not.
// It reads each table through an index: a group's RSVPs, agreements and
// check-in answers (kept for the retention period), and each account's own
// marks, so that a long history does not make a session's end slow.
func (db *DB) TookPart(ctx context.Context, groupID int64, users []bot.UserID) (map[bot.UserID]bool, error) {
	out := map[bot.UserID]bool{}
	if len(users) == 0 {
		return out, nil
	}
	want := make(map[string]bool, len(users))
	for _, u := range users {
		want[string(u)] = true
	}
	ids, err := json.Marshal(users)
	if err != nil {
		return nil, fmt.Errorf("store: read who took part in group %d: %w", groupID, err)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT r.user_id FROM sessions s JOIN rsvps r ON r.session_id = s.id WHERE s.group_id = ?1
		UNION SELECT user_id FROM norms_acks WHERE group_id = ?1
		UNION SELECT a.user_id FROM checkins c JOIN checkin_answers a ON a.checkin_id = c.id WHERE c.group_id = ?1
		UNION SELECT a.user_id FROM json_each(?2) j JOIN attendance a ON a.group_id = ?1 AND a.who = 'u:' || j.value
			WHERE a.status IN ('present', 'late') OR a.source IN ('facilitator', 'rsvp')`, groupID, string(ids))
	if err != nil {
		return nil, fmt.Errorf("store: read who took part in group %d: %w", groupID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var u sql.NullString
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("store: read who took part in group %d: %w", groupID, err)
		}
		if u.Valid && want[u.String] {
			out[bot.UserID(u.String)] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read who took part in group %d: %w", groupID, err)
	}
	return out, nil
}

// VoiceWatchGroups returns the groups whose sessions watch voice channel
// ch at at, by id.
func (db *DB) VoiceWatchGroups(ctx context.Context, ch bot.Address, at time.Time) ([]int64, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT DISTINCT s.group_id FROM attendance_voice_watch w JOIN sessions s ON s.id = w.session_id
		WHERE w.platform = ? AND w.channel = ? AND w.until > ? ORDER BY s.group_id`, ch.Platform, string(ch.Channel), at.Unix())
	if err != nil {
		return nil, fmt.Errorf("store: read who watches %s: %w", ch, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: read who watches %s: %w", ch, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read who watches %s: %w", ch, err)
	}
	return out, nil
}

// VoiceStays returns the stays recorded in a session's voice channel, by
// person, earliest first.
func (db *DB) VoiceStays(ctx context.Context, sessionID int64) ([]bot.VoiceStay, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT user_id, joined_at, left_at FROM attendance_voice WHERE session_id = ? ORDER BY user_id, joined_at, id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("store: read voice stays of session %d: %w", sessionID, err)
	}
	defer rows.Close()
	var out []bot.VoiceStay
	for rows.Next() {
		var (
			v            bot.VoiceStay
			user         string
			joined, left int64
		)
		if err := rows.Scan(&user, &joined, &left); err != nil {
			return nil, fmt.Errorf("store: read voice stays of session %d: %w", sessionID, err)
		}
		v.User, v.Joined, v.Left = bot.UserID(user), fromUnix(joined), fromUnix(left)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read voice stays of session %d: %w", sessionID, err)
	}
	return out, nil
}

const markCols = `session_id, group_id, who, COALESCE(user_id, ''), COALESCE(member_id, 0), status, source, at, marked_by, name`

func scanMark(sc interface{ Scan(...any) error }) (bot.AttendanceMark, error) {
	var (
		m                bot.AttendanceMark
		who, user, state string
		by               string
		at               int64
	)
	if err := sc.Scan(&m.SessionID, &m.GroupID, &who, &user, &m.MemberID, &state, &m.Source, &at, &by, &m.Name); err != nil {
		return bot.AttendanceMark{}, err
	}
	m.User, m.Status, m.At, m.MarkedBy = bot.UserID(user), bot.AttendanceStatus(state), fromUnix(at), bot.Principal(by)
	return m, nil
}

func nullMember(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CloseAttendance stores the marks of session sessionID computed at its
// end, in one transaction, and records the session closed. A person a
// facilitator marked already keeps that mark. It reports false, writing
// nothing, when the session was closed before (a rerun after a crash).
func (db *DB) CloseAttendance(ctx context.Context, sessionID, groupID int64, marks []bot.AttendanceMark, at time.Time) (bool, error) {
	var fresh bool
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO attendance_closed (session_id, group_id, closed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			sessionID, groupID, at.Unix())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		fresh = true
		for _, m := range marks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO attendance (session_id, group_id, who, user_id, member_id, status, source, at, marked_by, name)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, who) DO NOTHING`,
				sessionID, groupID, m.Key(), nullable(string(m.User)), nullMember(m.MemberID), string(m.Status), m.Source,
				unix(m.At), string(m.MarkedBy), m.Name); err != nil {
				return fmt.Errorf("mark %s: %w", m.Key(), err)
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM attendance_voice_watch WHERE session_id = ? OR until <= ?`, sessionID, at.Unix())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: close attendance of session %d: %w", sessionID, err)
	}
	return fresh, nil
}

// AttendanceClosed reports whether session sessionID's marks were computed.
func (db *DB) AttendanceClosed(ctx context.Context, sessionID int64) (bool, error) {
	var one int
	err := db.sql.QueryRowContext(ctx, `SELECT 1 FROM attendance_closed WHERE session_id = ?`, sessionID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: read whether session %d is closed: %w", sessionID, err)
	}
	return true, nil
}

// SessionMarks returns the marks of one session.
func (db *DB) SessionMarks(ctx context.Context, sessionID int64) ([]bot.AttendanceMark, error) {
	return db.marks(ctx, `SELECT `+markCols+` FROM attendance WHERE session_id = ? ORDER BY who`, sessionID)
}

func (db *DB) marks(ctx context.Context, q string, args ...any) ([]bot.AttendanceMark, error) {
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read attendance: %w", err)
	}
	defer rows.Close()
	var out []bot.AttendanceMark
	for rows.Next() {
		m, err := scanMark(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read attendance: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read attendance: %w", err)
	}
	return out, nil
}

// MarkAttendance records a facilitator's mark m (Source "facilitator",
// MarkedBy set) and audits it in the same transaction: attendance.mark for
// a first mark, attendance.correct when it changes an earlier one (what it
// was and what it is, never anything the member wrote). It returns the
// mark it replaced, if any.
func (db *DB) MarkAttendance(ctx context.Context, m bot.AttendanceMark) (*bot.AttendanceMark, error) {
	if m.MarkedBy == "" || m.SessionID == 0 || m.GroupID == 0 || (m.User == "" && m.MemberID == 0) {
		return nil, errors.New("store: mark attendance: a mark needs a session, a group, a person and who marked")
	}
	var prev *bot.AttendanceMark
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		old, err := scanMark(tx.QueryRowContext(ctx, `SELECT `+markCols+` FROM attendance WHERE session_id = ? AND who = ?`, m.SessionID, m.Key()))
		switch {
		case err == nil:
			prev = &old
			if m.MemberID == 0 {
				m.MemberID = old.MemberID
			}
			if m.Name == "" {
				m.Name = old.Name
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO attendance (session_id, group_id, who, user_id, member_id, status, source, at, marked_by, name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (session_id, who) DO UPDATE SET status = excluded.status, source = excluded.source, at = excluded.at,
				marked_by = excluded.marked_by, member_id = excluded.member_id, name = excluded.name`,
			m.SessionID, m.GroupID, m.Key(), nullable(string(m.User)), nullMember(m.MemberID), string(m.Status), m.Source,
			unix(m.At), string(m.MarkedBy), m.Name); err != nil {
			return err
		}
		action, detail := "attendance.mark", fmt.Sprintf("session=%d %s status=%s", m.SessionID, auditPerson(m.Attendee), m.Status)
		if prev != nil {
			action = "attendance.correct"
			detail = fmt.Sprintf("session=%d %s status=%s→%s", m.SessionID, auditPerson(m.Attendee), prev.Status, m.Status)
		}
		return insertAudit(ctx, tx, bot.AuditEntry{At: db.Now(), GroupID: m.GroupID, Actor: m.MarkedBy, Action: action, Detail: detail})
	})
	if err != nil {
		return nil, fmt.Errorf("store: mark attendance at session %d: %w", m.SessionID, err)
	}
	return prev, nil
}

// auditPerson names a person in an audit line by ids only: member=<roster
// id> when they have a roster entry, else user=<account id>. Erasure
// rewrites both forms.
func auditPerson(a bot.Attendee) string {
	if a.MemberID != 0 {
		return "member=" + strconv.FormatInt(a.MemberID, 10)
	}
	return "user=" + string(a.User)
}

// RecentClosedSessions returns group groupID's closed sessions that started
// at or before until, latest first, at most limit.
func (db *DB) RecentClosedSessions(ctx context.Context, groupID int64, until time.Time, limit int) ([]bot.Session, error) {
	return db.sessions(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id IN (SELECT session_id FROM attendance_closed WHERE group_id = ?)
		AND start_at <= ? ORDER BY start_at DESC, id DESC LIMIT ?`, groupID, until.Unix(), limit)
}

// ClosedSessions returns group groupID's closed sessions that started in
// [from, to), earliest first.
func (db *DB) ClosedSessions(ctx context.Context, groupID int64, from, to time.Time) ([]bot.Session, error) {
	return db.sessions(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id IN (SELECT session_id FROM attendance_closed WHERE group_id = ?)
		AND start_at >= ? AND start_at < ? ORDER BY start_at, id`, groupID, from.Unix(), to.Unix())
}

// HeldSessions returns group groupID's sessions that were held or are
// being held (running or done) and started in [from, to), earliest first:
// the sessions a facilitator may mark.
func (db *DB) HeldSessions(ctx context.Context, groupID int64, from, to time.Time) ([]bot.Session, error) {
	return db.sessions(ctx, `SELECT `+sessionCols+` FROM sessions WHERE group_id = ? AND status IN ('running', 'done')
		AND start_at >= ? AND start_at < ? ORDER BY start_at, id`, groupID, from.Unix(), to.Unix())
}

// GroupMarks returns the marks of group groupID's closed sessions that
// started in [from, to), by session start, then person.
func (db *DB) GroupMarks(ctx context.Context, groupID int64, from, to time.Time) ([]bot.AttendanceMark, error) {
	return db.marks(ctx, `SELECT a.session_id, a.group_id, a.who, COALESCE(a.user_id, ''), COALESCE(a.member_id, 0), a.status, a.source,
			a.at, a.marked_by, a.name
		FROM attendance a JOIN sessions s ON s.id = a.session_id JOIN attendance_closed c ON c.session_id = a.session_id
		WHERE a.group_id = ? AND s.start_at >= ? AND s.start_at < ? ORDER BY s.start_at, s.id, a.who`, groupID, from.Unix(), to.Unix())
}

// StreakMarks returns, for the people absent from session sessionID, their
// marks at the given sessions (the group's latest closed ones).
func (db *DB) StreakMarks(ctx context.Context, sessionID int64, sessions []int64) ([]bot.AttendanceMark, error) {
	ids := make([]string, len(sessions))
	for i, id := range sessions {
		ids[i] = strconv.FormatInt(id, 10)
	}
	return db.marks(ctx, `SELECT `+markCols+` FROM attendance
		WHERE session_id IN (SELECT value FROM json_each(?))
		AND who IN (SELECT who FROM attendance WHERE session_id = ? AND status = 'absent')
		ORDER BY who`, "["+strings.Join(ids, ",")+"]", sessionID)
}

// StreakSince returns, for each of the people who (attendee keys, such as
// "u:<id>"), the marks of their current streak in group groupID up to
// session sessionID: their absences at its closed sessions that started
// after the last one they came to (present or late), however far back that
// was, by person then session start. Excused sessions and sessions they
// were not counted at neither count nor break a streak.
func (db *DB) StreakSince(ctx context.Context, groupID, sessionID int64, who []string) ([]bot.AttendanceMark, error) {
	if len(who) == 0 {
		return nil, nil
	}
	people, err := json.Marshal(who)
	if err != nil {
		return nil, fmt.Errorf("store: read absence streaks in group %d: %w", groupID, err)
	}
	return db.marks(ctx, `WITH people (who) AS (SELECT value FROM json_each(?3)),
		cur (at) AS (SELECT start_at FROM sessions WHERE id = ?2),
		came (who, at) AS (
			SELECT a.who, max(s.start_at) FROM people p
			JOIN attendance a ON a.group_id = ?1 AND a.who = p.who AND a.status IN ('present', 'late')
			JOIN sessions s ON s.id = a.session_id JOIN attendance_closed c ON c.session_id = a.session_id
			WHERE s.start_at <= (SELECT at FROM cur) GROUP BY a.who)
		SELECT a.session_id, a.group_id, a.who, COALESCE(a.user_id, ''), COALESCE(a.member_id, 0), a.status, a.source,
			a.at, a.marked_by, a.name
		FROM people p JOIN attendance a ON a.group_id = ?1 AND a.who = p.who AND a.status = 'absent'
		JOIN sessions s ON s.id = a.session_id JOIN attendance_closed c ON c.session_id = a.session_id
		WHERE s.start_at <= (SELECT at FROM cur) AND s.start_at > COALESCE((SELECT at FROM came WHERE came.who = a.who), -1)
		ORDER BY a.who, s.start_at, s.id`, groupID, sessionID, string(people))
}

// RaiseAlerts records drift alerts in one transaction, once per streak,
// and returns the alerts that belong to alerts[0].SessionID: new ones, and
// ones an earlier run of the same session's end recorded (so that a rerun
// after a crash sends the same messages, which the outbox keeps to once).
// A streak is flagged already when the person has an alert raised at a
// session that started at or after the streak's first one (StreakFrom):
// the streak has not been broken since, whatever a correction did to its
// first session.
func (db *DB) RaiseAlerts(ctx context.Context, alerts []bot.AttendanceAlert) ([]bot.AttendanceAlert, error) {
	var out []bot.AttendanceAlert
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		for _, a := range alerts {
			var flaggedAt int64
			err := tx.QueryRowContext(ctx, `SELECT al.session_id FROM attendance_alerts al JOIN sessions s ON s.id = al.session_id
				WHERE al.group_id = ? AND al.who = ? AND s.start_at >= (SELECT start_at FROM sessions WHERE id = ?)
				ORDER BY s.start_at, s.id LIMIT 1`, a.GroupID, a.Key(), a.StreakFrom).Scan(&flaggedAt)
			switch {
			case err == nil:
				if flaggedAt == a.SessionID {
					out = append(out, a)
				}
				continue
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO attendance_alerts (group_id, who, user_id, member_id, streak_from, session_id, at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				a.GroupID, a.Key(), nullable(string(a.User)), nullMember(a.MemberID), a.StreakFrom, a.SessionID, unix(a.At))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				out = append(out, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: raise attendance alerts: %w", err)
	}
	return out, nil
}

// RosterEntries returns every roster entry group groupID has had, removed
// ones included, so that reports can name the people of past sessions.
func (db *DB) RosterEntries(ctx context.Context, groupID int64) ([]bot.Member, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+memberCols+` FROM members WHERE group_id = ? ORDER BY added_at, id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("store: list roster entries of group %d: %w", groupID, err)
	}
	defer rows.Close()
	var ms []bot.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list roster entries of group %d: %w", groupID, err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list roster entries of group %d: %w", groupID, err)
	}
	return ms, nil
}

// LatePresence applies a presence that reached a closed session after its
// marks were computed (a check-in answer or a press in its last moments):
// the person's mark becomes m unless a facilitator marked them or the mark
// already counts them as come. It does nothing for a session not closed
// yet (its close will count the presence) and reports whether it changed a
// mark.
func (db *DB) LatePresence(ctx context.Context, m bot.AttendanceMark) (bool, error) {
	var changed bool
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO attendance (session_id, group_id, who, user_id, member_id, status, source, at, marked_by, name)
			SELECT ?, ?, ?, ?, ?, ?, ?, ?, '', ? WHERE EXISTS (SELECT 1 FROM attendance_closed WHERE session_id = ?)
			ON CONFLICT (session_id, who) DO UPDATE SET status = excluded.status, source = excluded.source, at = excluded.at
			WHERE attendance.source != 'facilitator' AND attendance.status NOT IN ('present', 'late')`,
			m.SessionID, m.GroupID, m.Key(), nullable(string(m.User)), nullMember(m.MemberID), string(m.Status), m.Source, unix(m.At), m.Name, m.SessionID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		changed = n > 0
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: apply late presence at session %d: %w", m.SessionID, err)
	}
	return changed, nil
}

// ChannelAway returns, for group groupID, when each person away without a
// roster entry (see SetAway) is back, for those still away at at.
func (db *DB) ChannelAway(ctx context.Context, groupID int64, at time.Time) (map[bot.UserID]time.Time, error) {
	out := map[bot.UserID]time.Time{}
	err := db.each(ctx, func(sc interface{ Scan(...any) error }) error {
		var (
			u     string
			until int64
		)
		if err := sc.Scan(&u, &until); err != nil {
			return err
		}
		out[bot.UserID(u)] = fromUnix(until)
		return nil
	}, `SELECT user_id, until FROM channel_away WHERE group_id = ? AND until > ?`, groupID, unix(at))
	if err != nil {
		return nil, fmt.Errorf("store: read who is away in group %d: %w", groupID, err)
	}
	return out, nil
}
