package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/tend-bot/tend/bot"
)

// This file holds the bulk paths of applying the config file at start: a
// first start creates its groups many per transaction, and every start
// compares each group's declaration with the digest recorded when it was
// last applied, so that an unchanged group costs nothing.

// configChunk is how many groups one transaction of the bulk paths
// carries: few transactions for a large file, and none that holds the
// database (or the memory of its rows) for long.
const configChunk = 5000

// ConfigDigests returns, by name, the digest of the declaration each group
// from the config file (source config) was last applied from, or "" when
// none is recorded (it was never recorded, or the group changed since).
func (db *DB) ConfigDigests(ctx context.Context) (map[string]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT name, config_digest FROM groups WHERE source = 'config'`)
	if err != nil {
		return nil, fmt.Errorf("store: read config digests: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, digest string
		if err := rows.Scan(&name, &digest); err != nil {
			return nil, fmt.Errorf("store: read config digests: %w", err)
		}
		out[name] = digest
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read config digests: %w", err)
	}
	return out, nil
}

// AddConfigGroups creates groups declared in the config file, many per
// transaction, with their facilitators, each audited for by as
// UpsertConfigGroup audits a new group. A group that is not valid, or
// whose name or channel another group has, is left out, for
// UpsertConfigGroup to take over or explain. It returns the groups it
// created, as stored.
func (db *DB) AddConfigGroups(ctx context.Context, by bot.Principal, gs []bot.Group) ([]bot.Group, error) {
	var out []bot.Group
	for chunk := range slices.Chunk(gs, configChunk) {
		// The facilitators' and audit entries' group is the one just
		// inserted: no foreign key to check row by row.
		err := db.bulkTx(ctx, func(tx *sql.Tx) error {
			added, err := db.addConfigGroups(ctx, tx, by, chunk)
			out = append(out, added...)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("store: add config groups: %w", err)
		}
	}
	return out, nil
}

func (db *DB) addConfigGroups(ctx context.Context, tx *sql.Tx, by bot.Principal, gs []bot.Group) ([]bot.Group, error) {
	now := db.Now()
	base, err := maxID(ctx, tx, "groups")
	if err != nil {
		return nil, err
	}
	// Each candidate gets the next id; those that clash with a group (or
	// an earlier candidate) are not inserted, and their ids stay unused.
	args := make([]any, 0, len(gs)*14)
	cands := make([]bot.Group, 0, len(gs))
	names := make(map[string]bool, len(gs))
	// Validating a group loads its time zone, which reads the zone
	// database; a zone found good once need not be read again.
	zones := map[string]bool{}
	for _, g := range gs {
		g.Source = bot.SourceConfig
		v := g
		if zones[g.TimeZone] {
			v.TimeZone = "UTC"
		}
		if v.Validate() != nil || names[g.Name] {
			continue
		}
		zones[g.TimeZone] = true
		names[g.Name] = true
		g.ID = base + int64(len(cands)) + 1
		g.Facilitators = uniquePrincipals(g.Facilitators)
		g.CreatedAt, g.UpdatedAt = fromUnix(now.Unix()), fromUnix(now.Unix())
		cands = append(cands, g)
		args = append(args, g.ID, g.Name, g.Address.Platform, string(g.Address.Channel), g.Guild, string(g.Kind), string(g.Admission),
			g.Capacity, g.TimeZone, string(g.Privacy), g.Source, now.Unix(), now.Unix(), string(g.FacilitatorsChannel))
	}
	n, err := batchRows(ctx, tx, `INSERT INTO groups (id, name, platform, channel, guild, kind, admission, capacity, timezone, privacy, source, created_at, updated_at, facilitators_channel)`,
		`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, 14, args, ` ON CONFLICT DO NOTHING`)
	if err != nil {
		return nil, fmt.Errorf("insert groups: %w", err)
	}
	added := cands
	if int(n) < len(cands) {
		// Some clashed: the new rows are exactly those above base.
		in := map[int64]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM groups WHERE id > ?`, base)
		if err != nil {
			return nil, fmt.Errorf("read the new groups: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			in[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		added = slices.DeleteFunc(cands, func(g bot.Group) bool { return !in[g.ID] })
	}
	var facs, audit []any
	for _, g := range added {
		for _, p := range g.Facilitators {
			facs = append(facs, g.ID, string(p))
		}
		e := db.auditEntry(g.ID, by, "group.config", groupSettings(g, g.Facilitators))
		audit = append(audit, unix(e.At), e.GroupID, string(e.Actor), e.Action, e.Detail)
	}
	if _, err := batchRows(ctx, tx, `INSERT INTO group_facilitators (group_id, principal)`, `(?, ?)`, 2, facs, ""); err != nil {
		return nil, fmt.Errorf("add facilitators: %w", err)
	}
	if _, err := batchRows(ctx, tx, `INSERT INTO audit_log (at, group_id, actor, action, detail)`, `(?, ?, ?, ?, ?)`, 5, audit, ""); err != nil {
		return nil, fmt.Errorf("write audit entries: %w", err)
	}
	return added, nil
}

// RecordConfigDigests stores, by group id, the digest of the config file's
// declaration each group was applied from; many per transaction. Changing
// a group otherwise (UpdateGroup, UpsertConfigGroup) clears its digest.
func (db *DB) RecordConfigDigests(ctx context.Context, digests map[int64]string) error {
	ids := make([]int64, 0, len(digests))
	for id := range digests {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for chunk := range slices.Chunk(ids, configChunk) {
		args := make([]any, 0, 2*len(chunk))
		for _, id := range chunk {
			args = append(args, id, digests[id])
		}
		err := db.withTx(ctx, func(tx *sql.Tx) error {
			// One UPDATE … FROM per batch of rows, given as a VALUES list
			// inside a WITH (batchRows writes "VALUES (?, ?), …").
			_, err := batchRows(ctx, tx, `WITH v (id, digest) AS (`, `(?, ?)`, 2, args,
				`) UPDATE groups SET config_digest = v.digest FROM v WHERE groups.id = v.id`)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: record config digests: %w", err)
		}
	}
	return nil
}
