package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tend-bot/tend/bot"
)

var _ bot.GroupStore = (*DB)(nil)

// queryer is what *sql.DB and *sql.Tx have in common. Reads outside a
// transaction use db.sql; reads inside one use only that transaction.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const groupCols = `id, name, platform, channel, guild, kind, admission, capacity, timezone, privacy, source, created_at, updated_at, facilitators_channel`

func scanGroup(sc interface{ Scan(...any) error }) (bot.Group, error) {
	var (
		g                  bot.Group
		channel, fchannel  string
		kind, adm, privacy string
		created, updated   int64
	)
	err := sc.Scan(&g.ID, &g.Name, &g.Address.Platform, &channel, &g.Guild, &kind, &adm,
		&g.Capacity, &g.TimeZone, &privacy, &g.Source, &created, &updated, &fchannel)
	if err != nil {
		return bot.Group{}, err
	}
	g.Address.Channel = bot.ChannelID(channel)
	g.FacilitatorsChannel = bot.ChannelID(fchannel)
	g.Kind = bot.GroupKind(kind)
	g.Admission = bot.Admission(adm)
	g.Privacy = bot.Privacy(privacy)
	g.CreatedAt = fromUnix(created)
	g.UpdatedAt = fromUnix(updated)
	return g, nil
}

// getGroup reads one group with its facilitators. what names the lookup in
// a not-found error.
func getGroup(ctx context.Context, q queryer, what, where string, args ...any) (bot.Group, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupCols+` FROM groups WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Group{}, notFound(what)
	}
	if err != nil {
		return bot.Group{}, fmt.Errorf("store: read %s: %w", what, err)
	}
	// The row is closed by Scan, so the single connection is free again.
	fs, err := facilitators(ctx, q, g.ID)
	if err != nil {
		return bot.Group{}, err
	}
	g.Facilitators = fs
	return g, nil
}

func facilitators(ctx context.Context, q queryer, groupID int64) ([]bot.Principal, error) {
	rows, err := q.QueryContext(ctx, `SELECT principal FROM group_facilitators WHERE group_id = ? ORDER BY principal`, groupID)
	if err != nil {
		return nil, fmt.Errorf("store: read facilitators of group %d: %w", groupID, err)
	}
	defer rows.Close()
	var ps []bot.Principal
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("store: read facilitators of group %d: %w", groupID, err)
		}
		ps = append(ps, bot.Principal(p))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read facilitators of group %d: %w", groupID, err)
	}
	return ps, nil
}

// GroupByID returns the group with id, or an error wrapping bot.ErrNotFound.
func (db *DB) GroupByID(ctx context.Context, id int64) (bot.Group, error) {
	return getGroup(ctx, db.sql, fmt.Sprintf("group %d", id), `id = ?`, id)
}

// GroupByAddress returns the group bound to channel a, or an error wrapping
// bot.ErrNotFound.
func (db *DB) GroupByAddress(ctx context.Context, a bot.Address) (bot.Group, error) {
	return getGroup(ctx, db.sql, "group in "+a.String(), `platform = ? AND channel = ?`, a.Platform, string(a.Channel))
}

// GroupByName returns the group called name, or an error wrapping
// bot.ErrNotFound.
func (db *DB) GroupByName(ctx context.Context, name string) (bot.Group, error) {
	return getGroup(ctx, db.sql, fmt.Sprintf("group %q", name), `name = ?`, name)
}

// GroupsInGuild returns the groups on platform whose guild (a Discord
// server, a Slack team) is guild, by name.
func (db *DB) GroupsInGuild(ctx context.Context, platform, guild string) ([]bot.Group, error) {
	return db.listGroups(ctx, `WHERE platform = ? AND guild = ? AND guild != ''`, platform, guild)
}

// ListGroups returns every group, with its facilitators, ordered by name.
func (db *DB) ListGroups(ctx context.Context) ([]bot.Group, error) {
	return db.listGroups(ctx, "")
}

// listGroups returns the groups matching where (a WHERE clause or ""),
// with their facilitators, ordered by name.
func (db *DB) listGroups(ctx context.Context, where string, args ...any) ([]bot.Group, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+groupCols+` FROM groups `+where+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	var gs []bot.Group
	byID := map[int64]int{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list groups: %w", err)
		}
		byID[g.ID] = len(gs)
		gs = append(gs, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	// One query for every facilitator, after the groups' rows are closed:
	// the pool has a single connection.
	if len(gs) == 0 {
		return nil, nil
	}
	q := `SELECT group_id, principal FROM group_facilitators ORDER BY group_id, principal`
	if where != "" {
		q = `SELECT group_id, principal FROM group_facilitators WHERE group_id IN (SELECT id FROM groups ` + where + `) ORDER BY group_id, principal`
	}
	frows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list facilitators: %w", err)
	}
	defer frows.Close()
	for frows.Next() {
		var (
			id int64
			p  string
		)
		if err := frows.Scan(&id, &p); err != nil {
			return nil, fmt.Errorf("store: list facilitators: %w", err)
		}
		if i, ok := byID[id]; ok {
			gs[i].Facilitators = append(gs[i].Facilitators, bot.Principal(p))
		}
	}
	if err := frows.Err(); err != nil {
		return nil, fmt.Errorf("store: list facilitators: %w", err)
	}
	return gs, nil
}

// CreateGroup stores a new group with its facilitators and records the
// action for by in the audit log, in one transaction. g.Source defaults to
// bot.SourceChat. A taken name or an already bound channel is an error
// wrapping bot.ErrConflict.
func (db *DB) CreateGroup(ctx context.Context, by bot.Principal, g bot.Group) (bot.Group, error) {
	if g.Source == "" {
		g.Source = bot.SourceChat
	}
	if err := g.Validate(); err != nil {
		return bot.Group{}, fmt.Errorf("store: create group: %w", err)
	}
	var out bot.Group
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		id, err := insertGroup(ctx, tx, g, db.Now().Unix())
		if err != nil {
			return err
		}
		if err := insertAudit(ctx, tx, db.auditEntry(id, by, "group.create", groupSettings(g, g.Facilitators))); err != nil {
			return err
		}
		out, err = getGroup(ctx, tx, fmt.Sprintf("group %d", id), `id = ?`, id)
		return err
	})
	if err != nil {
		return bot.Group{}, fmt.Errorf("store: create group %s: %w", g.Name, err)
	}
	return out, nil
}

func insertGroup(ctx context.Context, tx *sql.Tx, g bot.Group, now int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO groups (name, platform, channel, guild, kind, admission, capacity, timezone, privacy, source, created_at, updated_at, facilitators_channel)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		g.Name, g.Address.Platform, string(g.Address.Channel), g.Guild, string(g.Kind), string(g.Admission),
		g.Capacity, g.TimeZone, string(g.Privacy), g.Source, now, now, string(g.FacilitatorsChannel)).Scan(&id)
	if isConstraint(err) {
		return 0, groupConflict(ctx, tx, g)
	}
	if err != nil {
		return 0, err
	}
	for _, p := range uniquePrincipals(g.Facilitators) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_facilitators (group_id, principal) VALUES (?, ?)`, id, string(p)); err != nil {
			return 0, fmt.Errorf("add facilitator: %w", err)
		}
	}
	return id, nil
}

// groupConflict explains which of g's unique values is taken.
func groupConflict(ctx context.Context, q queryer, g bot.Group) error {
	var other string
	err := q.QueryRowContext(ctx, `SELECT name FROM groups WHERE name = ? AND id <> ?`, g.Name, g.ID).Scan(&other)
	if err == nil {
		return fmt.Errorf("the name %q is taken: %w", g.Name, bot.ErrConflict)
	}
	err = q.QueryRowContext(ctx, `SELECT name FROM groups WHERE platform = ? AND channel = ? AND id <> ?`,
		g.Address.Platform, string(g.Address.Channel), g.ID).Scan(&other)
	if err == nil {
		return fmt.Errorf("channel %s is bound to group %q: %w", g.Address, other, bot.ErrConflict)
	}
	return fmt.Errorf("group %q clashes with another group: %w", g.Name, bot.ErrConflict)
}

func uniquePrincipals(ps []bot.Principal) []bot.Principal {
	out := slices.Clone(ps)
	slices.Sort(out)
	return slices.Compact(out)
}

// UpdateGroup replaces the settings of group g.ID (name, channel, guild,
// kind, admission, capacity, time zone, privacy, source; not its
// facilitators) and records the change for by in the audit log. When the
// capacity now leaves room, waitlisted members become active, earliest
// first; they are returned. A missing group wraps bot.ErrNotFound; a taken
// name or channel wraps bot.ErrConflict.
func (db *DB) UpdateGroup(ctx context.Context, by bot.Principal, g bot.Group) (bot.Group, []bot.Member, error) {
	if g.Source == "" {
		g.Source = bot.SourceChat
	}
	if err := g.Validate(); err != nil {
		return bot.Group{}, nil, fmt.Errorf("store: update group: %w", err)
	}
	var (
		out      bot.Group
		promoted []bot.Member
	)
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		old, err := getGroup(ctx, tx, fmt.Sprintf("group %d", g.ID), `id = ?`, g.ID)
		if err != nil {
			return err
		}
		if err := updateGroupRow(ctx, tx, g, db.Now().Unix()); err != nil {
			return err
		}
		if d := groupDiff(old, g); d != "" {
			if err := insertAudit(ctx, tx, db.auditEntry(g.ID, by, "group.update", d)); err != nil {
				return err
			}
		}
		if promoted, err = db.fillFromWaitlist(ctx, tx, by, g.ID); err != nil {
			return err
		}
		out, err = getGroup(ctx, tx, fmt.Sprintf("group %d", g.ID), `id = ?`, g.ID)
		return err
	})
	if err != nil {
		return bot.Group{}, nil, fmt.Errorf("store: update group %s: %w", g.Name, err)
	}
	return out, promoted, nil
}

func updateGroupRow(ctx context.Context, tx *sql.Tx, g bot.Group, now int64) error {
	// A change clears the digest of the config file's declaration the
	// group was applied from: the next start applies the file to it again.
	res, err := tx.ExecContext(ctx, `UPDATE groups SET name = ?, platform = ?, channel = ?, guild = ?, kind = ?, admission = ?,
		capacity = ?, timezone = ?, privacy = ?, source = ?, updated_at = ?, facilitators_channel = ?, config_digest = '' WHERE id = ?`,
		g.Name, g.Address.Platform, string(g.Address.Channel), g.Guild, string(g.Kind), string(g.Admission),
		g.Capacity, g.TimeZone, string(g.Privacy), g.Source, now, string(g.FacilitatorsChannel), g.ID)
	if isConstraint(err) {
		return groupConflict(ctx, tx, g)
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(fmt.Sprintf("group %d", g.ID))
	}
	return nil
}

// UpsertConfigGroup applies a group declared in the config file: the file
// wins for everything it declares (channel, settings and the exact list of
// facilitators), and the group is marked bot.SourceConfig. A group of the
// same name made in chat is taken over, keeping its members and history. A
// channel already bound to a group of another name is an error wrapping
// bot.ErrConflict that names that group. Waitlisted members that the
// capacity now leaves room for become active and are returned.
func (db *DB) UpsertConfigGroup(ctx context.Context, by bot.Principal, g bot.Group) (bot.Group, []bot.Member, error) {
	g.Source = bot.SourceConfig
	if err := g.Validate(); err != nil {
		return bot.Group{}, nil, fmt.Errorf("store: apply config group: %w", err)
	}
	var (
		out      bot.Group
		promoted []bot.Member
	)
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		now := db.Now().Unix()
		old, err := getGroup(ctx, tx, fmt.Sprintf("group %q", g.Name), `name = ?`, g.Name)
		switch {
		case errors.Is(err, bot.ErrNotFound):
			id, err := insertGroup(ctx, tx, g, now)
			if err != nil {
				return err
			}
			g.ID = id
			if err := insertAudit(ctx, tx, db.auditEntry(id, by, "group.config", groupSettings(g, g.Facilitators))); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			g.ID = old.ID
			if err := updateGroupRow(ctx, tx, g, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM group_facilitators WHERE group_id = ?`, g.ID); err != nil {
				return err
			}
			for _, p := range uniquePrincipals(g.Facilitators) {
				if _, err := tx.ExecContext(ctx, `INSERT INTO group_facilitators (group_id, principal) VALUES (?, ?)`, g.ID, string(p)); err != nil {
					return fmt.Errorf("add facilitator: %w", err)
				}
			}
			d := groupDiff(old, g)
			if !slices.Equal(old.Facilitators, uniquePrincipals(g.Facilitators)) {
				d = strings.TrimSpace(d + " facilitators=" + principals(g.Facilitators))
			}
			if d != "" {
				if err := insertAudit(ctx, tx, db.auditEntry(g.ID, by, "group.config", d)); err != nil {
					return err
				}
			}
			if promoted, err = db.fillFromWaitlist(ctx, tx, by, g.ID); err != nil {
				return err
			}
		}
		out, err = getGroup(ctx, tx, fmt.Sprintf("group %d", g.ID), `id = ?`, g.ID)
		return err
	})
	if err != nil {
		return bot.Group{}, nil, fmt.Errorf("store: apply config group %s: %w", g.Name, err)
	}
	return out, promoted, nil
}

// AddFacilitator lets p run facilitator commands for the group and records
// it for by in the audit log. p already a facilitator wraps
// bot.ErrConflict; a missing group wraps bot.ErrNotFound.
func (db *DB) AddFacilitator(ctx context.Context, by bot.Principal, groupID int64, p bot.Principal) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		if err := groupExists(ctx, tx, groupID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO group_facilitators (group_id, principal) VALUES (?, ?)`, groupID, string(p))
		if isConstraint(err) {
			return fmt.Errorf("%s is already a facilitator: %w", p, bot.ErrConflict)
		}
		if err != nil {
			return err
		}
		if err := clearConfigDigest(ctx, tx, groupID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, db.auditEntry(groupID, by, "group.facilitator.add", string(p)))
	})
	if err != nil {
		return fmt.Errorf("store: add facilitator to group %d: %w", groupID, err)
	}
	return nil
}

// RemoveFacilitator takes p's facilitator rights in the group and records
// it for by in the audit log. p not a facilitator wraps bot.ErrNotFound.
func (db *DB) RemoveFacilitator(ctx context.Context, by bot.Principal, groupID int64, p bot.Principal) error {
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM group_facilitators WHERE group_id = ? AND principal = ?`, groupID, string(p))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(fmt.Sprintf("facilitator %s", p))
		}
		if err := clearConfigDigest(ctx, tx, groupID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, db.auditEntry(groupID, by, "group.facilitator.remove", string(p)))
	})
	if err != nil {
		return fmt.Errorf("store: remove facilitator from group %d: %w", groupID, err)
	}
	return nil
}

// clearConfigDigest forgets the digest of the config file's declaration
// group id was applied from, after a change made otherwise: the next start
// applies the file to it again.
func clearConfigDigest(ctx context.Context, q queryer, id int64) error {
	_, err := q.ExecContext(ctx, `UPDATE groups SET config_digest = '' WHERE id = ? AND config_digest != ''`, id)
	return err
}

func groupExists(ctx context.Context, q queryer, id int64) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM groups WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(fmt.Sprintf("group %d", id))
	}
	return err
}

// groupSettings describes g's settings for the audit log.
func groupSettings(g bot.Group, fs []bot.Principal) string {
	return fmt.Sprintf("name=%s channel=%s kind=%s admission=%s capacity=%d timezone=%s privacy=%s facilitators=%s",
		g.Name, g.Address, g.Kind, g.Admission, g.Capacity, g.TimeZone, g.Privacy, principals(fs))
}

func principals(ps []bot.Principal) string {
	ss := make([]string, 0, len(ps))
	for _, p := range uniquePrincipals(ps) {
		ss = append(ss, string(p))
	}
	return strings.Join(ss, ",")
}

// groupDiff lists the settings that differ between a and b, for the audit
// log ("capacity=8→10 timezone=…").
func groupDiff(a, b bot.Group) string {
	var parts []string
	add := func(name, x, y string) {
		if x != y {
			parts = append(parts, name+"="+x+"→"+y)
		}
	}
	add("name", a.Name, b.Name)
	add("channel", a.Address.String(), b.Address.String())
	add("guild", a.Guild, b.Guild)
	add("kind", string(a.Kind), string(b.Kind))
	add("admission", string(a.Admission), string(b.Admission))
	add("capacity", fmt.Sprint(a.Capacity), fmt.Sprint(b.Capacity))
	add("timezone", a.TimeZone, b.TimeZone)
	add("privacy", string(a.Privacy), string(b.Privacy))
	add("source", a.Source, b.Source)
	add("facilitators_channel", string(a.FacilitatorsChannel), string(b.FacilitatorsChannel))
	return strings.Join(parts, " ")
}
