package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/tend-bot/tend/bot"
)

// This file holds a person's data rights: everything tend holds about them
// (PersonalData, for "mydata") and erasing it (Erase, for "forget"). Both
// know every table that names a person (check-in answers and safety alerts
// included); a feature that adds such a table
// adds it here too, and TestErase_ScanEveryTable fails until it does.

// Personal record kinds, as "mydata" groups them.
const (
	RecordRoster      = "roster"
	RecordFacilitator = "facilitator"
	RecordRSVP        = "rsvp"
	RecordReminderDM  = "reminder-dm"
	RecordAttendance  = "attendance"
	RecordPresence    = "presence"
	RecordVoice       = "voice"
	RecordAlert       = "alert"
	RecordAudit       = "audit"
	RecordMessages    = "messages"
	RecordAgreement   = "agreement"
	RecordApplicant   = "applicant"
	RecordNormsAuthor = "norms-author"
	RecordCheckIn     = "checkin"
	RecordSafety      = "safety-alert"
	RecordCalendar    = "calendar"
	// RecordAway: away dates of a member without a roster entry.
	RecordAway = "away"
	// RecordOptOut: the person asked tend to forget them and it does not
	// track them (everywhere on the platform, or in one group); its What
	// says where.
	RecordOptOut = "optout"
)

// keyNames reports (in SQL) whether the text in column col names user as a
// whole segment of a slash-separated key ("dm/reminder/12/1h/<user>").
const keyNames = `instr('/' || %s || '/', '/' || ? || '/') > 0`

// jsonNames reports (in SQL) whether a JSON payload holds user (or their
// principal, "<platform>:<user>", as a roster-add event's "by" does) as a
// string.
const jsonNames = `instr(CAST(%s AS TEXT), '"' || ? || '"') > 0`

// PersonalData returns everything tend holds about the account user on
// platform: roster entries, facilitator rights, RSVPs, reminder DM
// opt-ins, attendance marks and the evidence behind them, drift alerts,
// agreements to norms, welcomes as a newcomer, versions of norms they
// wrote, and how many audit lines and direct messages name them. What is written
// with timestamps made by bot.Time.
func (db *DB) PersonalData(ctx context.Context, platform string, user bot.UserID) ([]bot.PersonalRecord, error) {
	var out []bot.PersonalRecord
	add := func(kind, group string, at int64, what string) {
		out = append(out, bot.PersonalRecord{Kind: kind, Group: group, At: fromUnix(at), What: what})
	}
	// groupAt reads rows of (group, at) as one record of kind each.
	groupAt := func(kind, what string) func(sc interface{ Scan(...any) error }) error {
		return func(sc interface{ Scan(...any) error }) error {
			var (
				group string
				at    int64
			)
			if err := sc.Scan(&group, &at); err != nil {
				return err
			}
			add(kind, group, at, what)
			return nil
		}
	}
	// groupNumberAt reads rows of (group, a number, at) as one record of
	// kind each, the number put into format.
	groupNumberAt := func(kind, format string) func(sc interface{ Scan(...any) error }) error {
		return func(sc interface{ Scan(...any) error }) error {
			var (
				group string
				n     int
				at    int64
			)
			if err := sc.Scan(&group, &n, &at); err != nil {
				return err
			}
			add(kind, group, at, fmt.Sprintf(format, n))
			return nil
		}
	}
	// groupCount reads rows of (group, a count) as one record of kind each,
	// with no time, the count put into format.
	groupCount := func(kind, format string) func(sc interface{ Scan(...any) error }) error {
		return func(sc interface{ Scan(...any) error }) error {
			var (
				group string
				n     int
			)
			if err := sc.Scan(&group, &n); err != nil {
				return err
			}
			add(kind, group, 0, fmt.Sprintf(format, n))
			return nil
		}
	}
	u, principal := string(user), platform+":"+string(user)
	type query struct {
		q    string
		args []any
		row  func(sc interface{ Scan(...any) error }) error
	}
	queries := []query{
		{`SELECT g.name, m.id, COALESCE(m.code, ''), m.name, m.status, m.added_at, m.away_until FROM members m JOIN groups g ON g.id = m.group_id
			WHERE g.platform = ? AND m.user_id = ? ORDER BY g.name`, []any{platform, u},
			func(sc interface{ Scan(...any) error }) error {
				var (
					group, code, name, status string
					id, added, away           int64
				)
				if err := sc.Scan(&group, &id, &code, &name, &status, &added, &away); err != nil {
					return err
				}
				what := fmt.Sprintf("roster entry #%d (%s), added %s", id, status, bot.Time(fromUnix(added), bot.TimeDate))
				if code != "" {
					what += ", code " + code
				}
				if name != "" {
					what += fmt.Sprintf(", name %q", name)
				}
				if away != 0 {
					what += ", away until " + bot.Time(fromUnix(away), bot.TimeDate)
				}
				add(RecordRoster, group, added, what)
				return nil
			}},
		{`SELECT g.name FROM group_facilitators f JOIN groups g ON g.id = f.group_id WHERE f.principal = ? ORDER BY g.name`, []any{principal},
			func(sc interface{ Scan(...any) error }) error {
				var group string
				if err := sc.Scan(&group); err != nil {
					return err
				}
				add(RecordFacilitator, group, 0, "you are a facilitator")
				return nil
			}},
		{`SELECT g.name, s.number, s.start_at, r.answer, r.at FROM rsvps r JOIN sessions s ON s.id = r.session_id JOIN groups g ON g.id = s.group_id
			WHERE g.platform = ? AND r.user_id = ? ORDER BY s.start_at`, []any{platform, u},
			func(sc interface{ Scan(...any) error }) error {
				var (
					group, answer string
					n             int
					start, at     int64
				)
				if err := sc.Scan(&group, &n, &start, &answer, &at); err != nil {
					return err
				}
				add(RecordRSVP, group, at, fmt.Sprintf("session %d (%s): you answered %q", n, bot.Time(fromUnix(start), bot.TimeDate), answer))
				return nil
			}},
		{`SELECT g.name, d.at FROM reminder_dms d JOIN groups g ON g.id = d.group_id WHERE g.platform = ? AND d.user_id = ? ORDER BY g.name`, []any{platform, u},
			groupAt(RecordReminderDM, "you asked for reminders by DM")},
		{`SELECT g.name, c.until FROM channel_away c JOIN groups g ON g.id = c.group_id WHERE g.platform = ? AND c.user_id = ? ORDER BY g.name`, []any{platform, u},
			func(sc interface{ Scan(...any) error }) error {
				var (
					group string
					until int64
				)
				if err := sc.Scan(&group, &until); err != nil {
					return err
				}
				add(RecordAway, group, 0, "you said you are away until "+bot.Time(fromUnix(until), bot.TimeDate))
				return nil
			}},
		{`SELECT g.name, c.created_at FROM calendar_links c JOIN groups g ON g.id = c.group_id WHERE g.platform = ? AND c.user_id = ? ORDER BY g.name`, []any{platform, u},
			groupAt(RecordCalendar, "you have a calendar link (tend keeps only a hash of it)")},
		{`SELECT g.name, s.number, s.start_at, a.status, a.source, a.at, a.marked_by, a.name FROM attendance a
			JOIN sessions s ON s.id = a.session_id JOIN groups g ON g.id = a.group_id
			WHERE g.platform = ? AND (a.user_id = ? OR a.member_id IN (SELECT m.id FROM members m WHERE m.group_id = g.id AND m.user_id = ?))
			ORDER BY s.start_at`, []any{platform, u, u},
			func(sc interface{ Scan(...any) error }) error {
				var (
					group, status, source, by, name string
					n                               int
					start, at                       int64
				)
				if err := sc.Scan(&group, &n, &start, &status, &source, &at, &by, &name); err != nil {
					return err
				}
				what := fmt.Sprintf("session %d (%s): %s, from %s", n, bot.Time(fromUnix(start), bot.TimeDate), status, source)
				if at != 0 && (status == "present" || status == "late") {
					what += ", arrived " + bot.Time(fromUnix(at), bot.TimeClock)
				}
				if by != "" {
					what += ", marked by " + by
				}
				if name != "" {
					what += fmt.Sprintf(", with the name %q", name)
				}
				add(RecordAttendance, group, start, what)
				return nil
			}},
		{`SELECT g.name, s.number, p.source, p.at FROM attendance_presence p JOIN sessions s ON s.id = p.session_id JOIN groups g ON g.id = s.group_id
			WHERE g.platform = ? AND p.user_id = ? ORDER BY p.at`, []any{platform, u},
			func(sc interface{ Scan(...any) error }) error {
				var (
					group, source string
					n             int
					at            int64
				)
				if err := sc.Scan(&group, &n, &source, &at); err != nil {
					return err
				}
				how := map[string]string{"button": `you pressed "I'm here"`, "checkin": "you answered the check-in"}[source]
				if how == "" {
					how = source
				}
				add(RecordPresence, group, at, fmt.Sprintf("session %d: %s at %s", n, how, bot.Time(fromUnix(at), bot.TimeClock)))
				return nil
			}},
		{`SELECT g.name, s.number, v.joined_at, v.left_at FROM attendance_voice v JOIN sessions s ON s.id = v.session_id JOIN groups g ON g.id = s.group_id
			WHERE g.platform = ? AND v.user_id = ? ORDER BY v.joined_at`, []any{platform, u},
			func(sc interface{ Scan(...any) error }) error {
				var (
					group        string
					n            int
					joined, left int64
				)
				if err := sc.Scan(&group, &n, &joined, &left); err != nil {
					return err
				}
				to := "the end"
				if left != 0 {
					to = bot.Time(fromUnix(left), bot.TimeClock)
				}
				add(RecordVoice, group, joined, fmt.Sprintf("session %d: in the voice channel from %s to %s", n, bot.Time(fromUnix(joined), bot.TimeClock), to))
				return nil
			}},
		{`SELECT g.name, s.number, a.at FROM attendance_alerts a JOIN groups g ON g.id = a.group_id JOIN sessions s ON s.id = a.session_id
			WHERE g.platform = ? AND (a.user_id = ? OR a.member_id IN (SELECT m.id FROM members m WHERE m.group_id = g.id AND m.user_id = ?)) ORDER BY a.at`,
			[]any{platform, u, u},
			groupNumberAt(RecordAlert, "after session %d the facilitators were told you had missed sessions in a row")},
		{`SELECT g.name, a.version, a.at FROM norms_acks a JOIN groups g ON g.id = a.group_id WHERE g.platform = ? AND a.user_id = ? ORDER BY a.at`,
			[]any{platform, u},
			func(sc interface{ Scan(...any) error }) error {
				var (
					group string
					v     int
					at    int64
				)
				if err := sc.Scan(&group, &v, &at); err != nil {
					return err
				}
				add(RecordAgreement, group, at, fmt.Sprintf("you agreed to version %d of the norms on %s", v, bot.Time(fromUnix(at), bot.TimeDate)))
				return nil
			}},
		{`SELECT g.name, a.state, a.round, a.joined_at FROM norms_applicants a JOIN groups g ON g.id = a.group_id WHERE g.platform = ? AND a.user_id = ? ORDER BY a.joined_at`,
			[]any{platform, u},
			func(sc interface{ Scan(...any) error }) error {
				var (
					group, state string
					round        int
					joined       int64
				)
				if err := sc.Scan(&group, &state, &round, &joined); err != nil {
					return err
				}
				add(RecordApplicant, group, joined, fmt.Sprintf("welcomed as a newcomer on %s (arrival %d, %s)", bot.Time(fromUnix(joined), bot.TimeDate), round, state))
				return nil
			}},
		{`SELECT g.name, c.kind, c.choices, c.opened_at, a.level, a.text, a.pass, a.at FROM checkin_answers a JOIN checkins c ON c.id = a.checkin_id
			JOIN groups g ON g.id = c.group_id WHERE g.platform = ? AND a.user_id = ? ORDER BY a.at`, []any{platform, u},
			func(sc interface{ Scan(...any) error }) error {
				var (
					group, kind, choices, text string
					opened, at                 int64
					level                      int
					pass                       bool
				)
				if err := sc.Scan(&group, &kind, &choices, &opened, &level, &text, &pass, &at); err != nil {
					return err
				}
				add(RecordCheckIn, group, at, fmt.Sprintf("check-in of %s: %s", bot.Time(fromUnix(opened), bot.TimeDate), checkInAnswerWords(kind, choices, level, text, pass)))
				return nil
			}},
		{`SELECT g.name, count(*) FROM checkin_asked k JOIN checkins c ON c.id = k.checkin_id JOIN groups g ON g.id = c.group_id
			WHERE g.platform = ? AND k.user_id = ? GROUP BY g.name ORDER BY g.name`, []any{platform, u},
			groupCount(RecordCheckIn, "you were asked %d check-ins (who was asked, kept for the summary until the answers are deleted)")},
		{`SELECT g.name, i.at FROM checkin_informed i JOIN groups g ON g.id = i.group_id WHERE g.platform = ? AND i.user_id = ? ORDER BY g.name`, []any{platform, u},
			groupAt(RecordCheckIn, "you were told who sees check-in answers and how long they are kept")},
		{`SELECT COALESCE(g.name, ''), a.opened_at, a.signals, a.families FROM safety_alerts a LEFT JOIN groups g ON g.id = a.group_id
			WHERE a.platform = ? AND a.user_id = ? ORDER BY a.opened_at`, []any{platform, u},
			func(sc interface{ Scan(...any) error }) error {
				var (
					group, families string
					opened          int64
					signals         int
				)
				if err := sc.Scan(&group, &opened, &signals, &families); err != nil {
					return err
				}
				who := "the group's facilitators"
				if group == "" {
					who = "the people who run tend"
				}
				add(RecordSafety, group, opened, fmt.Sprintf("%s were told privately on %s that you might be at risk (%d messages; with what you wrote)",
					who, bot.Time(fromUnix(opened), bot.TimeDate), signals))
				return nil
			}},
		{`SELECT g.name, count(*) FROM attendance a JOIN groups g ON g.id = a.group_id WHERE a.marked_by = ? GROUP BY g.name ORDER BY g.name`, []any{principal},
			groupCount(RecordFacilitator, "you marked %d attendance entries as a facilitator")},
		{`SELECT COALESCE(g.name, ''), count(*) FROM safety_alerts a LEFT JOIN groups g ON g.id = a.group_id
			WHERE a.platform = ? AND a.taken_by = ? GROUP BY g.name ORDER BY g.name`, []any{platform, principal},
			groupCount(RecordFacilitator, "you took %d safety alerts (the record says you were on them)")},
		{`SELECT g.name, v.version, v.created_at FROM norms_versions v JOIN groups g ON g.id = v.group_id WHERE v.author = ? ORDER BY v.created_at`,
			[]any{principal},
			groupNumberAt(RecordNormsAuthor, "you wrote version %d of the norms")},
	}
	for _, q := range queries {
		if err := db.each(ctx, q.row, q.q, q.args...); err != nil {
			return nil, fmt.Errorf("store: personal data: %w", err)
		}
	}
	var mids []int64
	if err := db.each(ctx, func(sc interface{ Scan(...any) error }) error {
		var id int64
		if err := sc.Scan(&id); err != nil {
			return err
		}
		mids = append(mids, id)
		return nil
	}, `SELECT m.id FROM members m JOIN groups g ON g.id = m.group_id WHERE g.platform = ? AND m.user_id = ?`, platform, u); err != nil {
		return nil, fmt.Errorf("store: personal data: %w", err)
	}
	audits := 0
	tokens := personTokens(platform, user, mids)
	re := tokenPattern(tokens)
	if err := db.each(ctx, func(sc interface{ Scan(...any) error }) error {
		var actor, detail string
		if err := sc.Scan(&actor, &detail); err != nil {
			return err
		}
		if actor == principal || re.MatchString(detail) {
			audits++
		}
		return nil
	}, `SELECT actor, detail FROM audit_log WHERE actor = ? OR `+detailMentions(len(tokens)), append([]any{principal}, anys(tokens)...)...); err != nil {
		return nil, fmt.Errorf("store: personal data: %w", err)
	}
	var dms int
	if audits > 0 {
		add(RecordAudit, "", 0, fmt.Sprintf("%d lines of the facilitators' audit log are about you or your actions (who did what and when, never what anyone wrote)", audits))
	}
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE platform = ? AND kind = 'dm' AND `+fmt.Sprintf(keyNames, "key"), platform, u).Scan(&dms); err != nil {
		return nil, fmt.Errorf("store: personal data: %w", err)
	}
	if dms > 0 {
		add(RecordMessages, "", 0, fmt.Sprintf("tend sent you %d direct messages; it keeps when and a reference to each, not their text", dms))
	}
	scopes, err := db.OptedOut(ctx, platform, user)
	if err != nil {
		return nil, fmt.Errorf("store: personal data: %w", err)
	}
	for _, g := range scopes {
		where, group := "anywhere on "+platform, ""
		if g != 0 {
			if err := db.sql.QueryRowContext(ctx, `SELECT name FROM groups WHERE id = ?`, g).Scan(&group); errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("store: personal data: %w", err)
			}
			where = "in this group"
		}
		add(RecordOptOut, group, 0, "you asked tend to forget you, so it does not count your attendance, ask you to check in or message you on its own "+
			where+" (it keeps only a marker that names nobody)")
	}
	return out, nil
}

// checkInAnswerWords says what a member answered a check-in, for
// "mydata".
func checkInAnswerWords(kind, choices string, level int, text string, pass bool) string {
	switch {
	case pass:
		return "you passed"
	case text != "":
		return fmt.Sprintf("you wrote %q", text)
	}
	switch bot.CheckInKind(kind) {
	case bot.CheckInTraffic:
		if name, ok := map[int]string{1: "red", 2: "yellow", 3: "green"}[level]; ok {
			return "you answered " + name
		}
	case bot.CheckInScale:
		return fmt.Sprintf("you answered %d of 5", level)
	case bot.CheckInChoice:
		var cs []string
		if json.Unmarshal([]byte(choices), &cs) == nil && level >= 1 && level <= len(cs) {
			return fmt.Sprintf("you chose %q", cs[level-1])
		}
	}
	return fmt.Sprintf("you answered %d", level)
}

// each runs q and calls row for every result row.
func (db *DB) each(ctx context.Context, row func(sc interface{ Scan(...any) error }) error, q string, args ...any) error {
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Erase removes every row that names a person, in one transaction: their
// roster entries, facilitator rights, RSVPs, reminder DM opt-ins,
// attendance marks and evidence, drift alerts, agreements to norms,
// welcomes as a newcomer, and finished jobs and sent messages whose key or
// payload names them; audit lines and versions of norms that named them
// (as actor or author), and the marks they gave and safety alerts they
// took as a facilitator, are rewritten to "erased member #N" (the record
// keeps that someone acted); finished jobs that name them as who added
// someone to a roster ("by":"<platform>:<id>") go too; and one line
// records the erasure, without content. Jobs still pending or running are left to run (a later
// pass, with req.Number and req.KeepJob, removes them once finished).
//
// With req.GroupID 0 it acts on every group of req.Platform (the member's
// own request); with a GroupID, on that group only (a facilitator erasing
// roster entry req.MemberID, or the entry of req.User). It returns the
// erasure's number (0 when nothing named the person) and what it removed.
// The jobs then returns for a new erasure (the later passes, the features
// told) are enqueued in the same transaction; then may be nil.
func (db *DB) Erase(ctx context.Context, req bot.EraseRequest, then func(bot.Erasure) []bot.Job) (bot.Erasure, error) {
	er := bot.Erasure{Rows: map[string]int{}}
	if req.Platform == "" || (req.User == "" && req.MemberID == 0) || (req.MemberID != 0 && req.GroupID == 0) {
		return er, errors.New("store: erase: name a platform and a user, or a group and a roster entry")
	}
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		er = bot.Erasure{Number: req.Number, Rows: map[string]int{}}
		// The roster entries, and the user behind a code-only request.
		var (
			mids   []int64
			groups []int64
			user   = req.User
		)
		var err error
		switch {
		case req.MemberID != 0:
			var u string
			err = tx.QueryRowContext(ctx, `SELECT COALESCE(user_id, '') FROM members WHERE id = ? AND group_id = ?`, req.MemberID, req.GroupID).Scan(&u)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound(fmt.Sprintf("roster entry %d", req.MemberID))
			}
			if err != nil {
				return err
			}
			mids, groups, user = []int64{req.MemberID}, []int64{req.GroupID}, bot.UserID(u)
		default:
			err = eachRow(ctx, tx, func(sc interface{ Scan(...any) error }) error {
				var id, g int64
				if err := sc.Scan(&id, &g); err != nil {
					return err
				}
				mids, groups = append(mids, id), append(groups, g)
				return nil
			}, `SELECT m.id, m.group_id FROM members m JOIN groups g ON g.id = m.group_id
				WHERE g.platform = ? AND m.user_id = ? AND (? = 0 OR m.group_id = ?) ORDER BY m.group_id`,
				req.Platform, string(user), req.GroupID, req.GroupID)
			if err != nil {
				return err
			}
		}
		if req.MemberID == 0 && user != "" {
			// Every group whose tables name the account, not only those
			// with a roster entry: a member of an open group may have
			// agreed to its norms (and hold its role), answered check-ins
			// or RSVPed without ever being on its roster. Each is told
			// (MemberGone) and gets the erasure's audit line.
			named, err := namingGroups(ctx, tx, req.Platform, user)
			if err != nil {
				return err
			}
			groups = slices.DeleteFunc(named, func(g int64) bool { return req.GroupID != 0 && g != req.GroupID })
		}
		er.Groups = groups
		if er.Number == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) + 1 FROM erasures`).Scan(&er.Number); err != nil {
				return err
			}
		}
		label := bot.ErasedLabel(er.Number)
		midsJSON := int64sJSON(mids)
		// scope selects the groups the erasure acts on.
		scope, scopeArgs := `SELECT id FROM groups WHERE platform = ?`, []any{req.Platform}
		if req.GroupID != 0 {
			scope, scopeArgs = `SELECT ?`, []any{req.GroupID}
		}
		sessions := `SELECT id FROM sessions WHERE group_id IN (` + scope + `)`
		exec := func(table, q string, args ...any) error {
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			n, _ := res.RowsAffected()
			er.Rows[table] += int(n)
			return nil
		}
		with := func(args ...any) []any { return append(append([]any{}, scopeArgs...), args...) }
		u := string(user)
		steps := []struct {
			table, q string
			args     []any
			skip     bool
		}{
			{"attendance", `DELETE FROM attendance WHERE group_id IN (` + scope + `) AND (user_id = ? OR member_id IN (SELECT value FROM json_each(?)))`, with(nullable(u), midsJSON), false},
			{"attendance_presence", `DELETE FROM attendance_presence WHERE session_id IN (` + sessions + `) AND (user_id = ? OR member_id IN (SELECT value FROM json_each(?)))`, with(nullable(u), midsJSON), false},
			{"attendance_voice", `DELETE FROM attendance_voice WHERE session_id IN (` + sessions + `) AND user_id = ?`, with(u), u == ""},
			{"attendance_alerts", `DELETE FROM attendance_alerts WHERE group_id IN (` + scope + `) AND (user_id = ? OR member_id IN (SELECT value FROM json_each(?)))`, with(nullable(u), midsJSON), false},
			{"rsvps", `DELETE FROM rsvps WHERE session_id IN (` + sessions + `) AND user_id = ?`, with(u), u == ""},
			{"reminder_dms", `DELETE FROM reminder_dms WHERE group_id IN (` + scope + `) AND user_id = ?`, with(u), u == ""},
			{"group_facilitators", `DELETE FROM group_facilitators WHERE group_id IN (` + scope + `) AND principal = ?`, with(req.Platform + ":" + u), u == ""},
			{"norms_acks", `DELETE FROM norms_acks WHERE group_id IN (` + scope + `) AND user_id = ?`, with(u), u == ""},
			{"norms_applicants", `DELETE FROM norms_applicants WHERE group_id IN (` + scope + `) AND user_id = ?`, with(u), u == ""},
			{"calendar_links", `DELETE FROM calendar_links WHERE group_id IN (` + scope + `) AND user_id = ?`, with(u), u == ""},
			{"channel_away", `DELETE FROM channel_away WHERE group_id IN (` + scope + `) AND user_id = ?`, with(u), u == ""},
			// The text of the group's norms stays; its author no longer
			// names them.
			{"norms_versions", `UPDATE norms_versions SET author = ? WHERE group_id IN (` + scope + `) AND author = ?`,
				append([]any{label}, with(req.Platform+":"+u)...), u == ""},
			// Check-ins: answers, who was asked, who was told up front, and
			// safety alerts (in the scope's groups; with the member's own
			// request, also the alerts about them in no group).
			{"checkin_answers", `DELETE FROM checkin_answers WHERE checkin_id IN (SELECT id FROM checkins WHERE group_id IN (` + scope + `)) AND user_id = ?`, with(u), u == ""},
			{"checkin_asked", `DELETE FROM checkin_asked WHERE checkin_id IN (SELECT id FROM checkins WHERE group_id IN (` + scope + `)) AND user_id = ?`, with(u), u == ""},
			{"checkin_informed", `DELETE FROM checkin_informed WHERE group_id IN (` + scope + `) AND user_id = ?`, with(u), u == ""},
			{"safety_alerts", `DELETE FROM safety_alerts WHERE platform = ? AND user_id = ? AND (group_id IN (` + scope + `) OR (group_id IS NULL AND ? = 0))`,
				append(append([]any{req.Platform, u}, scopeArgs...), req.GroupID), u == ""},
			{"members", `DELETE FROM members WHERE id IN (SELECT value FROM json_each(?))`, []any{midsJSON}, false},
			// What they did as a facilitator stays done, by someone: a mark
			// they gave and a safety alert they took name the erasure.
			{"attendance", `UPDATE attendance SET marked_by = ? WHERE group_id IN (` + scope + `) AND marked_by = ?`,
				append([]any{label}, with(req.Platform+":"+u)...), u == ""},
			{"safety_alerts", `UPDATE safety_alerts SET taken_by = ? WHERE taken_by = ? AND (group_id IN (` + scope + `) OR (group_id IS NULL AND platform = ? AND ? = 0))`,
				append(append([]any{label, req.Platform + ":" + u}, scopeArgs...), req.Platform, req.GroupID), u == ""},
		}
		if u != "" && req.GroupID != 0 {
			// The messages about this group that name the account: their
			// keys are read back to the rows they are about (a safety
			// alert, a check-in), so before those rows go.
			n, err := deleteGroupOutbox(ctx, tx, req.Platform, req.GroupID, u)
			if err != nil {
				return fmt.Errorf("outbox: %w", err)
			}
			er.Rows["outbox"] += n
		}
		for _, s := range steps {
			if s.skip {
				continue
			}
			if err := exec(s.table, s.q, s.args...); err != nil {
				return err
			}
		}
		if u != "" {
			// Finished jobs and sent messages whose key, payload or note
			// names the account. Jobs still to run are left: they may be
			// what tells the features (MemberGone); a later pass removes
			// them.
			jobScope := `(group_id IS NULL OR group_id IN (` + scope + `))`
			if req.GroupID != 0 {
				jobScope = `group_id IN (` + scope + `)`
			}
			if err := exec("jobs", `DELETE FROM jobs WHERE state NOT IN ('pending', 'running') AND id != ? AND `+jobScope+` AND (`+
				fmt.Sprintf(keyNames, "key")+` OR `+fmt.Sprintf(jsonNames, "payload")+` OR `+fmt.Sprintf(jsonNames, "payload")+` OR instr(note, ?) > 0)`,
				append(append([]any{req.KeepJob}, scopeArgs...), u, u, req.Platform+":"+u, req.Platform+":"+u)...); err != nil {
				return err
			}
			if req.GroupID == 0 {
				if err := exec("outbox", `DELETE FROM outbox WHERE platform = ? AND state != 'sending' AND `+fmt.Sprintf(keyNames, "key"), req.Platform, u); err != nil {
					return err
				}
			}
		}
		if req.StopTracking && req.Number == 0 && u != "" {
			if err := insertOptOut(ctx, tx, req.Platform, req.GroupID, user); err != nil {
				return fmt.Errorf("optouts: %w", err)
			}
			er.StoppedTracking = true
		}
		if req.KeepJob != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET payload = NULL WHERE id = ?`, req.KeepJob); err != nil {
				return fmt.Errorf("clear the erasure job's payload: %w", err)
			}
		}
		n, err := rewriteAudit(ctx, tx, req, user, mids, label)
		if err != nil {
			return err
		}
		er.Rows["audit_log"] += n
		total := 0
		for _, n := range er.Rows {
			total += n
		}
		if req.Number != 0 {
			if total > 0 {
				_, err := tx.ExecContext(ctx, `UPDATE erasures SET rows = rows + ? WHERE id = ?`, total, req.Number)
				return err
			}
			return nil
		}
		if total == 0 {
			// Nothing named them; a marker may still have been left, so
			// that nothing starts to.
			er.Number = 0
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO erasures (id, at, by_facilitator, rows) VALUES (?, ?, ?, ?)`,
			er.Number, db.Now().Unix(), req.By != "", total); err != nil {
			return err
		}
		actor := req.By
		if actor == "" {
			actor = bot.Principal(label)
		}
		detail := fmt.Sprintf("%s rows=%d", label, total)
		if len(groups) == 0 {
			groups = []int64{req.GroupID}
		}
		for _, g := range groups {
			if err := insertAudit(ctx, tx, bot.AuditEntry{At: db.Now(), GroupID: g, Actor: actor, Action: "member.erase", Detail: detail}); err != nil {
				return err
			}
		}
		if then != nil {
			return insertJobs(ctx, tx, db.Now().Unix(), then(er))
		}
		return nil
	})
	if err != nil {
		return bot.Erasure{}, fmt.Errorf("store: erase: %w", err)
	}
	if er.Number != 0 {
		// The erased rows were zeroed (secure_delete) in the log; write
		// them over the old pages in the file now. The erasure is done
		// either way: a checkpoint that cannot finish (a reader holds the
		// log) is completed by SQLite's next one.
		_, _ = db.Checkpoint(ctx)
	}
	return er, nil
}

// eachRow runs q in tx and calls row for every result row.
func eachRow(ctx context.Context, tx *sql.Tx, row func(sc interface{ Scan(...any) error }) error, q string, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func int64sJSON(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return "[" + strings.Join(s, ",") + "]"
}

// personTokens are the ways audit details name a person: their
// principal, user=<id>, and member=<roster id> for each roster entry.
func personTokens(platform string, user bot.UserID, mids []int64) []string {
	var tokens []string
	if user != "" {
		tokens = append(tokens, platform+":"+string(user), "user="+string(user))
	}
	for _, id := range mids {
		tokens = append(tokens, "member="+strconv.FormatInt(id, 10))
	}
	// Longest first, so that a token never eats part of a longer one.
	sort.Slice(tokens, func(i, j int) bool { return len(tokens[i]) > len(tokens[j]) })
	return tokens
}

// tokenPattern matches any of tokens as a whole word of an audit detail
// ("member=1" does not match "member=12"). With no tokens it matches
// nothing.
func tokenPattern(tokens []string) *regexp.Regexp {
	if len(tokens) == 0 {
		return regexp.MustCompile(`$^`)
	}
	quoted := make([]string, len(tokens))
	for i, t := range tokens {
		quoted[i] = regexp.QuoteMeta(t)
	}
	return regexp.MustCompile(`(^|[\s,;(=])(` + strings.Join(quoted, "|") + `)($|[\s,;)→])`)
}

// detailMentions is an SQL condition preselecting audit lines whose detail
// holds one of n tokens (given as arguments); tokenPattern decides.
func detailMentions(n int) string {
	if n == 0 {
		return "0"
	}
	cond := make([]string, n)
	for i := range cond {
		cond[i] = `instr(detail, ?) > 0`
	}
	return "(" + strings.Join(cond, " OR ") + ")"
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// rewriteAudit rewrites the audit lines that name the person — as the
// actor, or in the detail as their principal, user=<id> or
// member=<roster id> — to label, and returns how many it changed. A
// group-scoped erasure rewrites that group's lines only.
func rewriteAudit(ctx context.Context, tx *sql.Tx, req bot.EraseRequest, user bot.UserID, mids []int64, label string) (int, error) {
	tokens := personTokens(req.Platform, user, mids)
	if len(tokens) == 0 {
		return 0, nil
	}
	re := tokenPattern(tokens)
	principal := ""
	if user != "" {
		principal = req.Platform + ":" + string(user)
	}
	type line struct {
		id            int64
		actor, detail string
	}
	var lines []line
	args := append([]any{req.GroupID, req.GroupID, principal}, anys(tokens)...)
	err := eachRow(ctx, tx, func(sc interface{ Scan(...any) error }) error {
		var l line
		if err := sc.Scan(&l.id, &l.actor, &l.detail); err != nil {
			return err
		}
		lines = append(lines, l)
		return nil
	}, `SELECT id, actor, detail FROM audit_log WHERE (? = 0 OR group_id = ?) AND (actor = ? OR `+detailMentions(len(tokens))+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("audit_log: %w", err)
	}
	n := 0
	for _, l := range lines {
		actor, detail := l.actor, l.detail
		if principal != "" && actor == principal {
			actor = label
		}
		// Tokens may sit side by side ("a,b"), sharing a separator that one
		// pass consumes: rewrite until stable.
		for range 8 {
			next := re.ReplaceAllString(detail, "${1}"+label+"${3}")
			if next == detail {
				break
			}
			detail = next
		}
		if actor == l.actor && detail == l.detail {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET actor = ?, detail = ? WHERE id = ?`, actor, detail, l.id); err != nil {
			return 0, fmt.Errorf("audit_log: %w", err)
		}
		n++
	}
	return n, nil
}

// JobsNaming counts the jobs still pending or running, other than except,
// whose key, payload or note names the account user on platform: in group
// groupID, or anywhere on platform when it is 0.
func (db *DB) JobsNaming(ctx context.Context, platform string, user bot.UserID, groupID, except int64) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE state IN ('pending', 'running') AND id != ?
		AND (CASE WHEN ? = 0 THEN group_id IS NULL OR group_id IN (SELECT id FROM groups WHERE platform = ?) ELSE group_id = ? END) AND (`+
		fmt.Sprintf(keyNames, "key")+` OR `+fmt.Sprintf(jsonNames, "payload")+` OR `+fmt.Sprintf(jsonNames, "payload")+` OR instr(note, ?) > 0)`,
		except, groupID, platform, groupID, string(user), string(user), platform+":"+string(user), platform+":"+string(user)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count jobs naming a member: %w", err)
	}
	return n, nil
}

// namingTables select, for an account (the argument, once per "?"), the
// groups whose rows name it: every table Erase deletes from. A table of
// personal data added to Erase is added here too.
var namingTables = []string{
	`SELECT group_id FROM members WHERE user_id = ?`,
	`SELECT s.group_id FROM rsvps r JOIN sessions s ON s.id = r.session_id WHERE r.user_id = ?`,
	`SELECT group_id FROM reminder_dms WHERE user_id = ?`,
	`SELECT group_id FROM calendar_links WHERE user_id = ?`,
	`SELECT group_id FROM channel_away WHERE user_id = ?`,
	`SELECT group_id FROM attendance WHERE user_id = ?`,
	`SELECT s.group_id FROM attendance_presence p JOIN sessions s ON s.id = p.session_id WHERE p.user_id = ?`,
	`SELECT s.group_id FROM attendance_voice v JOIN sessions s ON s.id = v.session_id WHERE v.user_id = ?`,
	`SELECT group_id FROM attendance_alerts WHERE user_id = ?`,
	`SELECT group_id FROM norms_acks WHERE user_id = ?`,
	`SELECT group_id FROM norms_applicants WHERE user_id = ?`,
	`SELECT c.group_id FROM checkin_answers a JOIN checkins c ON c.id = a.checkin_id WHERE a.user_id = ?`,
	`SELECT c.group_id FROM checkin_asked k JOIN checkins c ON c.id = k.checkin_id WHERE k.user_id = ?`,
	`SELECT group_id FROM checkin_informed WHERE user_id = ?`,
	`SELECT group_id FROM safety_alerts WHERE user_id = ? AND group_id IS NOT NULL`,
	// As a facilitator: marks they gave, alerts they took.
	`SELECT a.group_id FROM attendance a JOIN groups g ON g.id = a.group_id WHERE a.marked_by = g.platform || ':' || ?`,
	`SELECT group_id FROM safety_alerts WHERE taken_by = platform || ':' || ? AND group_id IS NOT NULL`,
}

// namingGroups returns, in tx, the groups on platform whose rows name the
// account user (see namingTables) or in which they facilitate, by id.
func namingGroups(ctx context.Context, tx *sql.Tx, platform string, user bot.UserID) ([]int64, error) {
	args := []any{platform}
	for range namingTables {
		args = append(args, string(user))
	}
	args = append(args, platform+":"+string(user))
	var out []int64
	err := eachRow(ctx, tx, func(sc interface{ Scan(...any) error }) error {
		var id int64
		if err := sc.Scan(&id); err != nil {
			return err
		}
		out = append(out, id)
		return nil
	}, `SELECT id FROM groups WHERE platform = ? AND id IN (`+strings.Join(namingTables, " UNION ")+
		` UNION SELECT group_id FROM group_facilitators WHERE principal = ?) ORDER BY id`, args...)
	return out, err
}

// dmKeyScopes say which group a message's outbox key is about, for a
// facilitator's erasure in one group: the key's segment seg (split at
// "/") after prefix is the id of a row of table, whose group it is (or a
// group's id itself). They follow the features' key shapes; a message
// whose key has none of them is left by a group's erasure (a member's
// own erasure removes every message naming them).
var dmKeyScopes = []struct {
	prefix string
	seg    int
	table  string
}{
	{"dm/reminder/", 2, "sessions"},        // reminders' DMs: dm/reminder/<session>/<lead>/<user>
	{"attendance.missed/", 1, "groups"},    // attendance.missed/<group>/<user>/<streak>
	{"attendance.summary/", 1, "sessions"}, // to facilitators: attendance.summary/<session>/<facilitator>
	{"attendance.drift/", 1, "sessions"},   // attendance.drift/<session>/<facilitator>
	{"norms/", 2, "groups"},                // norms/welcome|admitted|ask|offer/<group>/…
	{"norms.", 1, "groups"},                // to facilitators: norms.waitlist/<group>/<user>/…
	{"checkins/c/", 2, "checkins"},         // checkins/c/<check-in>/dm|nudge|summary/…
	{"safety/alert/", 2, "safety_alerts"},  // safety/alert/<alert>/…
	{"groups.promoted/", 1, "groups"},      // groups.promoted/<group>/<member>/…
	{"owners/", 2, "groups"},               // owners/<platform>/<group>/<topic>/<owner>
}

// outboxGroup returns the group an outbox key is about (see
// dmKeyScopes), or false.
func outboxGroup(ctx context.Context, tx *sql.Tx, key string) (int64, bool, error) {
	for _, r := range dmKeyScopes {
		if !strings.HasPrefix(key, r.prefix) {
			continue
		}
		segs := strings.Split(key, "/")
		if r.seg >= len(segs) {
			return 0, false, nil
		}
		id, err := strconv.ParseInt(segs[r.seg], 10, 64)
		if err != nil {
			return 0, false, nil
		}
		if r.table == "groups" {
			return id, true, nil
		}
		var g sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT group_id FROM `+r.table+` WHERE id = ?`, id).Scan(&g)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !g.Valid) {
			return 0, false, nil
		}
		return g.Int64, err == nil, err
	}
	return 0, false, nil
}

// deleteGroupOutbox deletes, in tx, the outbox rows on platform whose key
// names the account user and is about group groupID (not those still
// sending), and returns how many.
func deleteGroupOutbox(ctx context.Context, tx *sql.Tx, platform string, groupID int64, user string) (int, error) {
	var keys []string
	err := eachRow(ctx, tx, func(sc interface{ Scan(...any) error }) error {
		var k string
		if err := sc.Scan(&k); err != nil {
			return err
		}
		keys = append(keys, k)
		return nil
	}, `SELECT key FROM outbox WHERE platform = ? AND state != 'sending' AND `+fmt.Sprintf(keyNames, "key"), platform, user)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		g, ok, err := outboxGroup(ctx, tx, k)
		if err != nil {
			return n, err
		}
		if !ok || g != groupID {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE key = ?`, k); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
