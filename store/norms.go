package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tend-bot/tend/bot"
)

// CurrentNorms returns group groupID's latest norms version, or an error
// wrapping bot.ErrNotFound when it has none yet.
func (db *DB) CurrentNorms(ctx context.Context, groupID int64) (bot.NormsVersion, error) {
	return db.normsVersion(ctx, fmt.Sprintf("norms of group %d", groupID),
		`group_id = ? ORDER BY version DESC LIMIT 1`, groupID)
}

// NormsVersion returns version n of group groupID's norms, or an error
// wrapping bot.ErrNotFound.
func (db *DB) NormsVersion(ctx context.Context, groupID int64, n int) (bot.NormsVersion, error) {
	return db.normsVersion(ctx, fmt.Sprintf("norms version %d of group %d", n, groupID),
		`group_id = ? AND version = ?`, groupID, n)
}

const normsVersionCols = `group_id, version, items, author, source, created_at`

func scanNormsVersion(sc interface{ Scan(...any) error }) (bot.NormsVersion, error) {
	var (
		v       bot.NormsVersion
		items   string
		author  string
		created int64
	)
	if err := sc.Scan(&v.GroupID, &v.Version, &items, &author, &v.Source, &created); err != nil {
		return bot.NormsVersion{}, err
	}
	if err := json.Unmarshal([]byte(items), &v.Items); err != nil {
		return bot.NormsVersion{}, fmt.Errorf("norms version %d of group %d holds unreadable items: %w", v.Version, v.GroupID, err)
	}
	v.Author = bot.Principal(author)
	v.CreatedAt = fromUnix(created)
	return v, nil
}

func (db *DB) normsVersion(ctx context.Context, what, where string, args ...any) (bot.NormsVersion, error) {
	v, err := scanNormsVersion(db.sql.QueryRowContext(ctx, `SELECT `+normsVersionCols+` FROM norms_versions WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.NormsVersion{}, notFound(what)
	}
	if err != nil {
		return bot.NormsVersion{}, fmt.Errorf("store: read %s: %w", what, err)
	}
	return v, nil
}

// NormsVersions returns every version of group groupID's norms, oldest
// first.
func (db *DB) NormsVersions(ctx context.Context, groupID int64) ([]bot.NormsVersion, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+normsVersionCols+` FROM norms_versions WHERE group_id = ? ORDER BY version`, groupID)
	if err != nil {
		return nil, fmt.Errorf("store: list norms versions of group %d: %w", groupID, err)
	}
	defer rows.Close()
	var vs []bot.NormsVersion
	for rows.Next() {
		v, err := scanNormsVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list norms versions of group %d: %w", groupID, err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list norms versions of group %d: %w", groupID, err)
	}
	return vs, nil
}

// AddNormsVersion stores v as group v.GroupID's next version (its Version
// and CreatedAt are set here), records it for v.Author in the audit log
// without its text, and enqueues the jobs that then returns for the stored
// version (asking members to agree to it), all in one transaction. A
// missing group wraps bot.ErrNotFound.
func (db *DB) AddNormsVersion(ctx context.Context, v bot.NormsVersion, then func(bot.NormsVersion) []bot.Job) (bot.NormsVersion, error) {
	if len(v.Items) == 0 || v.Author == "" {
		return bot.NormsVersion{}, errors.New("store: add norms version: a version needs items and an author")
	}
	items, err := json.Marshal(v.Items)
	if err != nil {
		return bot.NormsVersion{}, fmt.Errorf("store: add norms version: %w", err)
	}
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		if err := groupExists(ctx, tx, v.GroupID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM norms_versions WHERE group_id = ?`, v.GroupID).Scan(&v.Version); err != nil {
			return err
		}
		v.CreatedAt = fromUnix(db.Now().Unix())
		if _, err := tx.ExecContext(ctx, `INSERT INTO norms_versions (group_id, version, items, author, source, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			v.GroupID, v.Version, string(items), string(v.Author), v.Source, unix(v.CreatedAt)); err != nil {
			return err
		}
		detail := fmt.Sprintf("version=%d items=%d", v.Version, len(v.Items))
		if v.Source != "" {
			detail += " source=" + v.Source
		}
		if err := insertAudit(ctx, tx, db.auditEntry(v.GroupID, v.Author, "norms.edit", detail)); err != nil {
			return err
		}
		if then != nil {
			return insertJobs(ctx, tx, db.Now().Unix(), then(v))
		}
		return nil
	})
	if err != nil {
		return bot.NormsVersion{}, fmt.Errorf("store: add norms version to group %d: %w", v.GroupID, err)
	}
	return v, nil
}

// NormsSettings returns group groupID's norms settings, or an error
// wrapping bot.ErrNotFound when none were ever saved.
func (db *DB) NormsSettings(ctx context.Context, groupID int64) (bot.NormsSettings, error) {
	return normsSettings(ctx, db.sql, groupID)
}

func normsSettings(ctx context.Context, q queryer, groupID int64) (bot.NormsSettings, error) {
	var (
		s                   bot.NormsSettings
		require             bool
		role, lobby, files  string
		pinnedCh, pinnedMsg string
		updated             int64
		platform            string
	)
	err := q.QueryRowContext(ctx, `SELECT ns.group_id, ns.require, ns.role, ns.repost, ns.lobby_channel, ns.from_file, ns.file_text,
		ns.pinned_channel, ns.pinned_message, ns.updated_at, g.platform
		FROM norms_settings ns JOIN groups g ON g.id = ns.group_id WHERE ns.group_id = ?`, groupID).
		Scan(&s.GroupID, &require, &role, &s.Repost, &lobby, &files, &s.FileText, &pinnedCh, &pinnedMsg, &updated, &platform)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.NormsSettings{}, notFound(fmt.Sprintf("norms settings of group %d", groupID))
	}
	if err != nil {
		return bot.NormsSettings{}, fmt.Errorf("store: read norms settings of group %d: %w", groupID, err)
	}
	s.Require = require
	s.Role = bot.RoleID(role)
	s.Lobby = bot.ChannelID(lobby)
	if files != "" {
		s.FromFile = strings.Split(files, ",")
	}
	if pinnedMsg != "" {
		s.Pinned = bot.MessageRef{Platform: platform, Channel: bot.ChannelID(pinnedCh), ID: bot.MessageID(pinnedMsg)}
	}
	s.UpdatedAt = fromUnix(updated)
	return s, nil
}

// SaveNormsSettings stores group s.GroupID's norms settings (UpdatedAt is
// set here), records what changed for by in the audit log, and enqueues
// jobs, in one transaction. Saving what is stored already writes nothing.
// A missing group wraps bot.ErrNotFound.
func (db *DB) SaveNormsSettings(ctx context.Context, by bot.Principal, s bot.NormsSettings, jobs []bot.Job) error {
	if s.Repost == "" {
		s.Repost = bot.RepostNever
	}
	files := slices.Clone(s.FromFile)
	slices.Sort(files)
	s.FromFile = slices.Compact(files)
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		if err := groupExists(ctx, tx, s.GroupID); err != nil {
			return err
		}
		old, err := normsSettings(ctx, tx, s.GroupID)
		exists := err == nil
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		diff := normsSettingsDiff(old, s)
		if exists && diff == "" {
			return insertJobs(ctx, tx, db.Now().Unix(), jobs)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO norms_settings (group_id, require, role, repost, lobby_channel, from_file, file_text, pinned_channel, pinned_message, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (group_id) DO UPDATE SET require = excluded.require, role = excluded.role, repost = excluded.repost,
				lobby_channel = excluded.lobby_channel, from_file = excluded.from_file, file_text = excluded.file_text,
				pinned_channel = excluded.pinned_channel, pinned_message = excluded.pinned_message, updated_at = excluded.updated_at`,
			s.GroupID, s.Require, string(s.Role), s.Repost, string(s.Lobby), strings.Join(s.FromFile, ","), s.FileText,
			string(s.Pinned.Channel), string(s.Pinned.ID), db.Now().Unix())
		if err != nil {
			return err
		}
		if diff != "" {
			if err := insertAudit(ctx, tx, db.auditEntry(s.GroupID, by, "norms.settings", diff)); err != nil {
				return err
			}
		}
		return insertJobs(ctx, tx, db.Now().Unix(), jobs)
	})
	if err != nil {
		return fmt.Errorf("store: save norms settings of group %d: %w", s.GroupID, err)
	}
	return nil
}

// normsSettingsDiff names the settings a facilitator would care about that
// differ between a and b ("require=on role=123"); pins and fingerprints are
// bookkeeping and change silently.
func normsSettingsDiff(a, b bot.NormsSettings) string {
	var parts []string
	if a.Require != b.Require {
		parts = append(parts, fmt.Sprintf("require=%t", b.Require))
	}
	if a.Role != b.Role {
		parts = append(parts, "role="+string(b.Role))
	}
	if a.Repost != b.Repost {
		parts = append(parts, "repost="+b.Repost)
	}
	if a.Lobby != b.Lobby {
		parts = append(parts, "lobby_channel="+string(b.Lobby))
	}
	if !slices.Equal(a.FromFile, b.FromFile) {
		parts = append(parts, "from_file="+strings.Join(b.FromFile, ","))
	}
	if len(parts) == 0 && (a.FileText != b.FileText || a.Pinned != b.Pinned) {
		return "" // saved, not audited
	}
	return strings.Join(parts, " ")
}

// NormsLobbyGroups returns the groups whose lobby channel (where newcomers
// arrive) is a, by name.
func (db *DB) NormsLobbyGroups(ctx context.Context, a bot.Address) ([]bot.Group, error) {
	return db.listGroups(ctx, `WHERE platform = ? AND id IN (SELECT group_id FROM norms_settings WHERE lobby_channel = ? AND lobby_channel != '')`,
		a.Platform, string(a.Channel))
}

// NormsGatedGroups returns the groups whose norms gate access: agreement
// required, and a role or a lobby channel set, by name.
func (db *DB) NormsGatedGroups(ctx context.Context) ([]bot.Group, error) {
	return db.listGroups(ctx, `WHERE id IN (SELECT group_id FROM norms_settings WHERE require AND (role != '' OR lobby_channel != ''))`)
}

// AgreeToNorms records a.User's agreement to version a.Version of group
// a.GroupID's norms at a.At and enqueues jobs, in one transaction, so that
// what the agreement leads to (access) is never lost between the two. It
// reports whether the agreement is new; agreeing to a version again changes
// nothing, but the jobs are still enqueued (enqueueing a job again is a
// no-op). A version that does not exist wraps bot.ErrNotFound.
//
// With placeBy set (a newcomer to a closed group), the same transaction
// takes them a place on the group's roster when they hold none
// (takeNormsPlace), audited for placeBy, so that a place is taken when, and
// only when, someone agrees; the roster entry is returned (the zero Member
// without placeBy).
func (db *DB) AgreeToNorms(ctx context.Context, a bot.NormsAck, placeBy bot.Principal, jobs []bot.Job) (bool, bot.Member, error) {
	if a.User == "" {
		return false, bot.Member{}, errors.New("store: agree to norms: an agreement needs a user")
	}
	var (
		created bool
		place   bot.Member
	)
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM norms_versions WHERE group_id = ? AND version = ?`, a.GroupID, a.Version).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(fmt.Sprintf("norms version %d of group %d", a.Version, a.GroupID))
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO norms_acks (group_id, user_id, version, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			a.GroupID, string(a.User), a.Version, unix(a.At))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		created = n == 1
		if placeBy != "" {
			if place, err = db.takeNormsPlace(ctx, tx, placeBy, a.GroupID, a.User); err != nil {
				return err
			}
		}
		return insertJobs(ctx, tx, db.Now().Unix(), jobs)
	})
	if err != nil {
		return false, bot.Member{}, fmt.Errorf("store: agree to norms of group %d: %w", a.GroupID, err)
	}
	return created, place, nil
}

// TakeNormsPlace gives user a place on group groupID's roster, audited for
// by, as agreeing to its norms does (takeNormsPlace), in a transaction of
// its own: for a newcomer who agreed before (they came back) and whose
// access is being given again. Safe to repeat.
func (db *DB) TakeNormsPlace(ctx context.Context, by bot.Principal, groupID int64, user bot.UserID) (bot.Member, error) {
	var m bot.Member
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = db.takeNormsPlace(ctx, tx, by, groupID, user)
		return err
	})
	if err != nil {
		return bot.Member{}, fmt.Errorf("store: take a place in group %d for %s: %w", groupID, user, err)
	}
	return m, nil
}

// takeNormsPlace returns user's entry on group groupID's roster, adding
// them when they have none (or were removed): active, or waitlisted when
// the group is full, as AddMember decides. An entry they hold already
// (active or waitlisted, as a facilitator added them) is kept as it is. A
// waitlisted place, new or held, is noted on their newcomer record in the
// same transaction, so that a place freeing up is offered to them.
func (db *DB) takeNormsPlace(ctx context.Context, tx *sql.Tx, by bot.Principal, groupID int64, user bot.UserID) (bot.Member, error) {
	m, err := scanMember(tx.QueryRowContext(ctx, `SELECT `+memberCols+` FROM members WHERE group_id = ? AND user_id = ?`, groupID, string(user)))
	switch {
	case err == nil && m.Status != bot.MemberRemoved:
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return bot.Member{}, err
	default:
		if m, err = db.addMember(ctx, tx, by, bot.Member{GroupID: groupID, User: user}); err != nil {
			return bot.Member{}, err
		}
	}
	if m.Status == bot.MemberWaitlisted {
		if _, err := tx.ExecContext(ctx, `UPDATE norms_applicants SET waitlisted = 1 WHERE group_id = ? AND user_id = ? AND state = 'waiting'`,
			groupID, string(user)); err != nil {
			return bot.Member{}, err
		}
	}
	return m, nil
}

// LatestNormsAck returns user's agreement to the latest version of group
// groupID's norms they agreed to, or an error wrapping bot.ErrNotFound when
// they never agreed.
func (db *DB) LatestNormsAck(ctx context.Context, groupID int64, user bot.UserID) (bot.NormsAck, error) {
	var (
		a  = bot.NormsAck{GroupID: groupID, User: user}
		at int64
	)
	err := db.sql.QueryRowContext(ctx, `SELECT version, at FROM norms_acks WHERE group_id = ? AND user_id = ? ORDER BY version DESC LIMIT 1`,
		groupID, string(user)).Scan(&a.Version, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.NormsAck{}, notFound(fmt.Sprintf("agreement of %s to the norms of group %d", user, groupID))
	}
	if err != nil {
		return bot.NormsAck{}, fmt.Errorf("store: read agreement of %s to the norms of group %d: %w", user, groupID, err)
	}
	a.At = fromUnix(at)
	return a, nil
}

// LatestNormsAcks returns, for every person who agreed to some version of
// group groupID's norms, their agreement to the latest version they agreed
// to, by user id.
func (db *DB) LatestNormsAcks(ctx context.Context, groupID int64) ([]bot.NormsAck, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT user_id, version, at FROM norms_acks a WHERE group_id = ?
		AND version = (SELECT MAX(version) FROM norms_acks b WHERE b.group_id = a.group_id AND b.user_id = a.user_id)
		ORDER BY user_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("store: list agreements to the norms of group %d: %w", groupID, err)
	}
	defer rows.Close()
	var out []bot.NormsAck
	for rows.Next() {
		var (
			a    = bot.NormsAck{GroupID: groupID}
			user string
			at   int64
		)
		if err := rows.Scan(&user, &a.Version, &at); err != nil {
			return nil, fmt.Errorf("store: list agreements to the norms of group %d: %w", groupID, err)
		}
		a.User, a.At = bot.UserID(user), fromUnix(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list agreements to the norms of group %d: %w", groupID, err)
	}
	return out, nil
}

const applicantCols = `group_id, user_id, guild, round, state, pending, dm_closed, waitlisted, joined_at, admitted_at`

func scanApplicant(sc interface{ Scan(...any) error }) (bot.Applicant, error) {
	var (
		a                bot.Applicant
		user, state      string
		joined, admitted int64
	)
	if err := sc.Scan(&a.GroupID, &user, &a.Guild, &a.Round, &state, &a.Pending, &a.DMClosed, &a.Waitlisted, &joined, &admitted); err != nil {
		return bot.Applicant{}, err
	}
	a.User = bot.UserID(user)
	a.State = bot.ApplicantState(state)
	a.JoinedAt = fromUnix(joined)
	a.AdmittedAt = fromUnix(admitted)
	return a, nil
}

// Applicant returns user's record as a newcomer to group groupID, or an
// error wrapping bot.ErrNotFound.
func (db *DB) Applicant(ctx context.Context, groupID int64, user bot.UserID) (bot.Applicant, error) {
	return applicant(ctx, db.sql, groupID, user)
}

func applicant(ctx context.Context, q queryer, groupID int64, user bot.UserID) (bot.Applicant, error) {
	a, err := scanApplicant(q.QueryRowContext(ctx, `SELECT `+applicantCols+` FROM norms_applicants WHERE group_id = ? AND user_id = ?`, groupID, string(user)))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Applicant{}, notFound(fmt.Sprintf("newcomer %s of group %d", user, groupID))
	}
	if err != nil {
		return bot.Applicant{}, fmt.Errorf("store: read newcomer %s of group %d: %w", user, groupID, err)
	}
	return a, nil
}

// Applicants returns group groupID's newcomers who are not gone, earliest
// first.
func (db *DB) Applicants(ctx context.Context, groupID int64) ([]bot.Applicant, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+applicantCols+` FROM norms_applicants WHERE group_id = ? AND state != 'gone'
		ORDER BY joined_at, user_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("store: list newcomers of group %d: %w", groupID, err)
	}
	defer rows.Close()
	var out []bot.Applicant
	for rows.Next() {
		a, err := scanApplicant(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list newcomers of group %d: %w", groupID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list newcomers of group %d: %w", groupID, err)
	}
	return out, nil
}

// UpdateApplicant reads user's record as a newcomer to group groupID
// (exists is false, and a holds only the group and user, when there is
// none), lets change modify it and name jobs to enqueue, and writes both in
// one transaction; an error from change rolls everything back and is
// returned as it is. A change that leaves a new record's State empty
// writes nothing. It returns the record as written.
func (db *DB) UpdateApplicant(ctx context.Context, groupID int64, user bot.UserID, change func(a *bot.Applicant, exists bool) ([]bot.Job, error)) (bot.Applicant, error) {
	var jobs []bot.Job
	out, err := db.UpdateApplicants(ctx, user, []int64{groupID},
		func(a *bot.Applicant, exists bool) error {
			var err error
			jobs, err = change(a, exists)
			return err
		},
		func([]bot.Applicant) []bot.Job { return jobs })
	if err != nil {
		return bot.Applicant{}, err
	}
	return out[0], nil
}

// UpdateApplicants is UpdateApplicant for user's records in each of
// groupIDs, in one transaction: one arrival at several groups (a Discord
// server, a lobby) is recorded whole or not at all. change is called for
// each group in turn; then, with the records as written (in the order of
// groupIDs), returns the jobs to enqueue (one welcome for the arrival).
// An error from change rolls everything back and is returned as it is.
func (db *DB) UpdateApplicants(ctx context.Context, user bot.UserID, groupIDs []int64, change func(a *bot.Applicant, exists bool) error,
	then func([]bot.Applicant) []bot.Job) ([]bot.Applicant, error) {
	var (
		out       []bot.Applicant
		changeErr error
	)
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		out = make([]bot.Applicant, 0, len(groupIDs))
		for _, groupID := range groupIDs {
			a, err := applicant(ctx, tx, groupID, user)
			exists := err == nil
			if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return err
			}
			if !exists {
				if err := groupExists(ctx, tx, groupID); err != nil {
					return err
				}
				a = bot.Applicant{GroupID: groupID, User: user}
			}
			if err := change(&a, exists); err != nil {
				changeErr = err
				return err
			}
			a.GroupID, a.User = groupID, user
			if a.State == "" {
				out = append(out, a)
				continue
			}
			if a.JoinedAt.IsZero() {
				a.JoinedAt = db.Now()
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO norms_applicants (`+applicantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (group_id, user_id) DO UPDATE SET guild = excluded.guild, round = excluded.round, state = excluded.state,
				pending = excluded.pending, dm_closed = excluded.dm_closed, waitlisted = excluded.waitlisted, joined_at = excluded.joined_at, admitted_at = excluded.admitted_at`,
				groupID, string(user), a.Guild, a.Round, string(a.State), a.Pending, a.DMClosed, a.Waitlisted, unix(a.JoinedAt), unix(a.AdmittedAt))
			if err != nil {
				return err
			}
			a.JoinedAt = fromUnix(unix(a.JoinedAt))
			a.AdmittedAt = fromUnix(unix(a.AdmittedAt))
			out = append(out, a)
		}
		return insertJobs(ctx, tx, db.Now().Unix(), then(out))
	})
	if changeErr != nil {
		return nil, changeErr
	}
	if err != nil {
		return nil, fmt.Errorf("store: update newcomer %s of groups %v: %w", user, groupIDs, err)
	}
	return out, nil
}

// LeaveNormsLobby records that user, a newcomer to group groupID waiting
// in round round, left the group's lobby before being let in: in one
// transaction their record is closed (gone), so that coming back is a new
// arrival with a welcome of its own, and a waitlist place they held on the
// roster is given up (removed, audited for by). Someone with an active
// place on the roster (a facilitator put them there, or agreeing gave
// them one) keeps it and their record, as does a record that moved on
// (admitted, or another round): it reports whether the record was closed.
func (db *DB) LeaveNormsLobby(ctx context.Context, by bot.Principal, groupID int64, user bot.UserID, round int) (bool, error) {
	closed := false
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var id int64
		var status string
		err := tx.QueryRowContext(ctx, `SELECT id, status FROM members WHERE group_id = ? AND user_id = ?`, groupID, string(user)).Scan(&id, &status)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case status == string(bot.MemberActive):
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE norms_applicants SET state = ? WHERE group_id = ? AND user_id = ? AND state = ? AND round = ?`,
			string(bot.ApplicantGone), groupID, string(user), string(bot.ApplicantWaiting), round)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		closed = true
		if status != string(bot.MemberWaitlisted) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET status = ? WHERE id = ?`, string(bot.MemberRemoved), id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, db.auditEntry(groupID, by, "roster.remove", fmt.Sprintf("member=%d reason=left_lobby", id)))
	})
	if err != nil {
		return false, fmt.Errorf("store: newcomer %s left the lobby of group %d: %w", user, groupID, err)
	}
	return closed, nil
}

// SetNormsPinned records ref as the norms message pinned in group
// groupID's channel (the zero ref: none), leaving its other settings as
// they are. A group without norms settings wraps bot.ErrNotFound.
func (db *DB) SetNormsPinned(ctx context.Context, groupID int64, ref bot.MessageRef) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE norms_settings SET pinned_channel = ?, pinned_message = ? WHERE group_id = ?`,
		string(ref.Channel), string(ref.ID), groupID)
	if err != nil {
		return fmt.Errorf("store: record the pinned norms of group %d: %w", groupID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(fmt.Sprintf("norms settings of group %d", groupID))
	}
	return nil
}

// WaitingApplicants returns the newcomers of every group who are waiting
// for access, earliest first.
func (db *DB) WaitingApplicants(ctx context.Context) ([]bot.Applicant, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+applicantCols+` FROM norms_applicants WHERE state = 'waiting' ORDER BY joined_at, group_id, user_id`)
	if err != nil {
		return nil, fmt.Errorf("store: list waiting newcomers: %w", err)
	}
	defer rows.Close()
	var out []bot.Applicant
	for rows.Next() {
		a, err := scanApplicant(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list waiting newcomers: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list waiting newcomers: %w", err)
	}
	return out, nil
}

// RetentionDays returns how many days group groupID keeps check-in answers
// and safety alerts: its check-in settings' retention_days, or
// DefaultRetentionDays when it has none. The norms feature states it in the
// privacy note newcomers read, so it is read where the purge reads it.
func (db *DB) RetentionDays(ctx context.Context, groupID int64) (int, error) {
	var days int
	err := db.sql.QueryRowContext(ctx, `SELECT COALESCE((SELECT retention_days FROM checkin_settings WHERE group_id = ?), ?)`,
		groupID, DefaultRetentionDays).Scan(&days)
	if err != nil {
		return 0, fmt.Errorf("store: read the retention period of group %d: %w", groupID, err)
	}
	return days, nil
}

// FirstHeldSession returns the first session group groupID held: the
// earliest by start that started (running or done), whatever its number —
// a cancelled session was never held, nor one that passed while tend was
// not running. None wraps bot.ErrNotFound.
func (db *DB) FirstHeldSession(ctx context.Context, groupID int64) (bot.Session, error) {
	s, err := scanSession(db.sql.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE group_id = ? AND status IN ('running', 'done') ORDER BY start_at, id LIMIT 1`, groupID))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Session{}, notFound(fmt.Sprintf("a held session of group %d", groupID))
	}
	if err != nil {
		return bot.Session{}, fmt.Errorf("store: read the first held session of group %d: %w", groupID, err)
	}
	return s.Session, nil
}
