package config

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"maps"
	"slices"

	"github.com/tend-bot/tend/bot"
)

// Digest identifies everything the file declares for the group — its
// settings and facilitators, its schedule and reminder settings, and every
// feature's section as written (not where it was written) — together with
// salt, which names what applies it (tend's version, its schema, its
// features' sections): a start that finds the digest its group was last
// applied from need not apply the group again. Facilitators count as a
// set, a missing section as none.
func (g Group) Digest(salt string) string {
	d := digester{h: sha256.New()}
	d.str("tend config digest 1")
	d.str(salt)
	d.str(g.Name)
	d.str(g.Address.Platform)
	d.str(string(g.Address.Channel))
	d.str(g.Guild)
	d.str(string(g.Kind))
	d.str(string(g.Admission))
	d.int(int64(g.Capacity))
	d.str(g.TimeZone)
	d.str(string(g.Privacy))
	d.str(string(g.FacilitatorsChannel))
	fs := slices.Clone(g.Facilitators)
	slices.Sort(fs)
	fs = slices.Compact(fs)
	d.int(int64(len(fs)))
	for _, p := range fs {
		d.str(string(p))
	}
	if s := g.Schedule; s == nil {
		d.int(0)
	} else {
		d.int(1)
		d.str(s.Cron)
		d.str(s.Weekly)
		d.int(int64(s.Duration))
		d.str(s.Starts)
		d.str(s.Until)
		d.int(int64(s.Count))
		d.int(int64(len(s.Topics)))
		for _, t := range s.Topics {
			d.str(t)
		}
		d.str(s.Link)
		d.str(string(s.VoiceChannel))
	}
	r := g.Reminders
	if r.Leads == nil {
		d.int(-1) // the default leads, unlike an empty list (none)
	} else {
		d.int(int64(len(r.Leads)))
	}
	for _, l := range r.Leads {
		d.int(int64(l))
	}
	d.bool(r.RSVP)
	d.bool(r.DM)
	d.bool(r.StartingNow)
	keys := slices.Sorted(maps.Keys(g.Sections))
	for _, k := range keys {
		if n := g.Sections[k]; n != nil {
			d.str(k)
			d.node(n)
		}
	}
	return hex.EncodeToString(d.h.Sum(nil)[:16])
}

// digester writes values into a hash, each one delimited, so that no two
// different declarations write the same bytes.
type digester struct {
	h   hash.Hash
	buf [binary.MaxVarintLen64]byte
}

func (d *digester) int(v int64) {
	d.h.Write(d.buf[:binary.PutVarint(d.buf[:], v)])
}

func (d *digester) str(s string) {
	d.int(int64(len(s)))
	d.h.Write([]byte(s))
}

func (d *digester) bool(b bool) {
	if b {
		d.int(1)
	} else {
		d.int(0)
	}
}

// node writes a section's content: kinds, scalars with their tags, lists
// and mappings in file order; positions are left out.
func (d *digester) node(n *bot.Node) {
	if n == nil {
		d.int(-1)
		return
	}
	d.int(int64(n.Kind))
	d.str(n.Value)
	d.str(n.Tag)
	d.int(int64(len(n.Items)))
	for _, it := range n.Items {
		d.node(it)
	}
	d.int(int64(len(n.Fields)))
	for _, f := range n.Fields {
		d.str(f.Key)
		d.node(f.Value)
	}
}
