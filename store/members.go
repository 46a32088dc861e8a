package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/tend-bot/tend/bot"
)

const memberCols = `id, group_id, COALESCE(user_id, ''), COALESCE(code, ''), name, status, away_until, added_at`

func scanMember(sc interface{ Scan(...any) error }) (bot.Member, error) {
	var (
		m             bot.Member
		user, status  string
		away, addedAt int64
	)
	if err := sc.Scan(&m.ID, &m.GroupID, &user, &m.Code, &m.Name, &status, &away, &addedAt); err != nil {
		return bot.Member{}, err
	}
	m.User = bot.UserID(user)
	m.Status = bot.MemberStatus(status)
	m.AwayUntil = fromUnix(away)
	m.AddedAt = fromUnix(addedAt)
	return m, nil
}

// nullable stores "" as NULL, so that the per-group unique indexes on
// user_id and code ignore entries without one.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// AddMember puts m on group m.GroupID's roster and records it for by in the
// audit log, in one transaction. m needs a User, a Code or both. The store
// decides the status: active, or waitlisted when the group has a capacity
// and that many active members already. A member who was removed earlier is
// added again under the same id: the name is replaced, the user and code are
// kept unless m gives new ones, and away_until is cleared. A user or code that
// is already on the roster (active or waitlisted) wraps bot.ErrConflict; a
// missing group wraps bot.ErrNotFound.
func (db *DB) AddMember(ctx context.Context, by bot.Principal, m bot.Member) (bot.Member, error) {
	return db.AddMemberThen(ctx, by, m, nil)
}

// AddMemberThen is AddMember that also enqueues the jobs then returns for
// the member as added (the MemberAdded event's deliveries: norms' welcome),
// in the same transaction, so that a crash between the two cannot leave a
// member on the roster without them. then may be nil. A job that conflicts
// with another under its key rolls everything back (bot.ErrConflict).
func (db *DB) AddMemberThen(ctx context.Context, by bot.Principal, m bot.Member, then func(bot.Member) []bot.Job) (bot.Member, error) {
	if m.User == "" && m.Code == "" {
		return bot.Member{}, errors.New("store: add member: a member needs a user or a code")
	}
	var out bot.Member
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = db.addMember(ctx, tx, by, m); err != nil || then == nil {
			return err
		}
		return insertJobs(ctx, tx, db.Now().Unix(), then(out))
	})
	if err != nil {
		return bot.Member{}, fmt.Errorf("store: add member to group %d: %w", m.GroupID, err)
	}
	return out, nil
}

// addMember is AddMember inside tx.
func (db *DB) addMember(ctx context.Context, tx *sql.Tx, by bot.Principal, m bot.Member) (bot.Member, error) {
	var out bot.Member
	err := func() error {
		var capacity, active int
		err := tx.QueryRowContext(ctx, `SELECT capacity, (SELECT count(*) FROM members WHERE group_id = groups.id AND status = 'active')
			FROM groups WHERE id = ?`, m.GroupID).Scan(&capacity, &active)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(fmt.Sprintf("group %d", m.GroupID))
		}
		if err != nil {
			return err
		}
		status := bot.MemberActive
		if capacity > 0 && active >= capacity {
			status = bot.MemberWaitlisted
		}
		// Earlier rows for this user or code.
		rows, err := tx.QueryContext(ctx, `SELECT `+memberCols+` FROM members WHERE group_id = ? AND (user_id = ? OR code = ?)`,
			m.GroupID, nullable(string(m.User)), nullable(m.Code))
		if err != nil {
			return err
		}
		var prev []bot.Member
		for rows.Next() {
			p, err := scanMember(rows)
			if err != nil {
				rows.Close()
				return err
			}
			prev = append(prev, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range prev {
			if p.Status != bot.MemberRemoved {
				return fmt.Errorf("member %d is already on the roster (%s): %w", p.ID, p.Status, bot.ErrConflict)
			}
		}
		if len(prev) > 1 {
			// The user was removed under one code and the code now names
			// another removed entry: reviving either would be a guess.
			return fmt.Errorf("the user and the code belong to two earlier roster entries (%d and %d): %w", prev[0].ID, prev[1].ID, bot.ErrConflict)
		}
		now := db.Now().Unix()
		var row *sql.Row
		if len(prev) == 1 {
			p := prev[0]
			user, code := p.User, p.Code
			if m.User != "" {
				user = m.User
			}
			if m.Code != "" {
				code = m.Code
			}
			row = tx.QueryRowContext(ctx, `UPDATE members SET user_id = ?, code = ?, name = ?, status = ?, away_until = 0, added_at = ?
				WHERE id = ? RETURNING `+memberCols, nullable(string(user)), nullable(code), m.Name, string(status), now, p.ID)
		} else {
			row = tx.QueryRowContext(ctx, `INSERT INTO members (group_id, user_id, code, name, status, added_at)
				VALUES (?, ?, ?, ?, ?, ?) RETURNING `+memberCols,
				m.GroupID, nullable(string(m.User)), nullable(m.Code), m.Name, string(status), now)
		}
		out, err = scanMember(row)
		if isConstraint(err) {
			return fmt.Errorf("that user or code is already on the roster: %w", bot.ErrConflict)
		}
		if err != nil {
			return err
		}
		return insertAudit(ctx, tx, db.auditEntry(m.GroupID, by, "roster.add", fmt.Sprintf("member=%d status=%s", out.ID, out.Status)))
	}()
	if err != nil {
		return bot.Member{}, err
	}
	return out, nil
}

// RemoveMember takes member id off group groupID's roster (its row stays,
// marked removed, for attendance history) and records it for by in the
// audit log. Waitlisted members that the freed place makes room for become
// active, earliest first, and are returned. A member not on the roster
// wraps bot.ErrNotFound.
func (db *DB) RemoveMember(ctx context.Context, by bot.Principal, groupID, id int64) ([]bot.Member, error) {
	var promoted []bot.Member
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE members SET status = 'removed' WHERE id = ? AND group_id = ? AND status <> 'removed'`, id, groupID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(fmt.Sprintf("member %d", id))
		}
		if err := insertAudit(ctx, tx, db.auditEntry(groupID, by, "roster.remove", fmt.Sprintf("member=%d", id))); err != nil {
			return err
		}
		promoted, err = db.fillFromWaitlist(ctx, tx, by, groupID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: remove member %d from group %d: %w", id, groupID, err)
	}
	return promoted, nil
}

// fillFromWaitlist makes waitlisted members active, earliest first, while
// the group's capacity leaves room (all of them when it has none).
func (db *DB) fillFromWaitlist(ctx context.Context, tx *sql.Tx, by bot.Principal, groupID int64) ([]bot.Member, error) {
	var capacity, active int
	err := tx.QueryRowContext(ctx, `SELECT capacity, (SELECT count(*) FROM members WHERE group_id = groups.id AND status = 'active')
		FROM groups WHERE id = ?`, groupID).Scan(&capacity, &active)
	if err != nil {
		return nil, fmt.Errorf("read capacity: %w", err)
	}
	room := -1 // no limit
	if capacity > 0 {
		room = capacity - active
		if room <= 0 {
			return nil, nil
		}
	}
	rows, err := tx.QueryContext(ctx, `UPDATE members SET status = 'active' WHERE id IN
		(SELECT id FROM members WHERE group_id = ? AND status = 'waitlisted' ORDER BY added_at, id LIMIT ?)
		RETURNING `+memberCols, groupID, room)
	if err != nil {
		return nil, fmt.Errorf("promote from waitlist: %w", err)
	}
	var promoted []bot.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("promote from waitlist: %w", err)
		}
		promoted = append(promoted, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("promote from waitlist: %w", err)
	}
	sortMembers(promoted)
	for _, m := range promoted {
		if err := insertAudit(ctx, tx, db.auditEntry(groupID, by, "roster.promote", fmt.Sprintf("member=%d", m.ID))); err != nil {
			return nil, err
		}
	}
	return promoted, nil
}

// sortMembers orders members as the roster shows them: earliest added
// first. RETURNING gives no order.
func sortMembers(ms []bot.Member) {
	slices.SortFunc(ms, func(a, b bot.Member) int {
		if c := a.AddedAt.Compare(b.AddedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// ListMembers returns group groupID's roster: active members, then the
// waitlist, each earliest added first. Removed members are left out.
func (db *DB) ListMembers(ctx context.Context, groupID int64) ([]bot.Member, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+memberCols+` FROM members WHERE group_id = ? AND status <> 'removed'
		ORDER BY status = 'waitlisted', added_at, id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("store: list members of group %d: %w", groupID, err)
	}
	defer rows.Close()
	var ms []bot.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list members of group %d: %w", groupID, err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list members of group %d: %w", groupID, err)
	}
	return ms, nil
}

// MemberByUser returns the group's entry for a platform account, whatever
// its status (removed included), or an error wrapping bot.ErrNotFound.
func (db *DB) MemberByUser(ctx context.Context, groupID int64, user bot.UserID) (bot.Member, error) {
	return db.member(ctx, fmt.Sprintf("member %s", user), `group_id = ? AND user_id = ?`, groupID, string(user))
}

// MemberByCode returns the group's entry with a roster code, whatever its
// status (removed included), or an error wrapping bot.ErrNotFound. Codes
// match exactly.
func (db *DB) MemberByCode(ctx context.Context, groupID int64, code string) (bot.Member, error) {
	return db.member(ctx, fmt.Sprintf("member with code %s", code), `group_id = ? AND code = ?`, groupID, code)
}

func (db *DB) member(ctx context.Context, what, where string, args ...any) (bot.Member, error) {
	m, err := scanMember(db.sql.QueryRowContext(ctx, `SELECT `+memberCols+` FROM members WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Member{}, notFound(what)
	}
	if err != nil {
		return bot.Member{}, fmt.Errorf("store: read %s: %w", what, err)
	}
	return m, nil
}
