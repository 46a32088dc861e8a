package bot

import (
	"context"
	"errors"
	"slices"
	"time"
)

// TrackingFilter returns, for group g, whether tend may track an account
// there: count its attendance, ask it to check in, message it on its own
// initiative. It is false for a person who asked tend to forget them
// (the attendance feature registers the filter; its store keeps a marker
// that names nobody). The returned func is cheap and may be called for
// every member of a large group.
type TrackingFilter func(ctx context.Context, g Group) (func(UserID) bool, error)

// SetTrackingFilter registers the tracking filter. Call it before the
// first event.
func (b *Bot) SetTrackingFilter(f TrackingFilter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tracking = f
}

// Tracked returns whether tend may track each account in group g (see
// TrackingFilter): every account when no filter is registered.
func (b *Bot) Tracked(ctx context.Context, g Group) (func(UserID) bool, error) {
	b.mu.RLock()
	f := b.tracking
	b.mu.RUnlock()
	if f == nil {
		return func(UserID) bool { return true }, nil
	}
	return f(ctx, g)
}

// ChannelAwayFinder is an optional part of a MemberFinder: when each
// person who takes part from a group's channel without a roster entry and
// marked themselves away is back (their AwayUntil), for those whose date
// is after at. People fills channel members' AwayUntil from it.
type ChannelAwayFinder interface {
	ChannelAway(ctx context.Context, groupID int64, at time.Time) (map[UserID]time.Time, error)
}

// People returns who is in group g, each once: its active roster entries
// (platform accounts and code-only entries, with their ids) and, where the
// platform can list a channel, the people in g's channel who are not on
// the roster (ID 0, Status active, AwayUntil from a ChannelAwayFinder).
// Bots are never listed. Facilitators
// appear only as members. The waitlist is not listed. Accounts that asked
// tend to forget them (see TrackingFilter) are not listed either, so that
// no feature counts, asks or messages them on its own initiative.
func (b *Bot) People(ctx context.Context, g Group) ([]Member, error) {
	mf, ok := b.members()
	if !ok {
		return nil, errors.New("bot: people: no MemberFinder configured")
	}
	roster, err := mf.ListMembers(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	tracked, err := b.Tracked(ctx, g)
	if err != nil {
		return nil, err
	}
	var out []Member
	seen := map[UserID]bool{}
	for _, m := range roster {
		if m.Status != MemberActive {
			continue
		}
		if m.User != "" {
			seen[m.User] = true
			if !tracked(m.User) {
				continue
			}
		}
		out = append(out, m)
	}
	ins, ok := b.inspector(g.Address.Platform)
	if !ok {
		return out, nil
	}
	users, err := ins.ChannelMembers(ctx, g.Address)
	if err != nil {
		return nil, err
	}
	var away map[UserID]time.Time
	if af, ok := mf.(ChannelAwayFinder); ok {
		if away, err = af.ChannelAway(ctx, g.ID, time.Time{}); err != nil {
			return nil, err
		}
	}
	for _, u := range users {
		if u.Bot || u.ID == "" || seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		if !tracked(u.ID) {
			continue
		}
		out = append(out, Member{GroupID: g.ID, User: u.ID, Name: u.Name, Status: MemberActive, AwayUntil: away[u.ID]})
	}
	slices.SortStableFunc(out, func(a, b Member) int {
		switch {
		case a.ID != 0 && b.ID == 0:
			return -1
		case a.ID == 0 && b.ID != 0:
			return 1
		}
		return 0
	})
	return out, nil
}

// InChannel reports whether user is in group g's channel, as its platform
// tells (a ChannelInspector); known is false when the platform cannot
// tell (the console).
func (b *Bot) InChannel(ctx context.Context, g Group, user UserID) (in, known bool, err error) {
	ins, ok := b.inspector(g.Address.Platform)
	if !ok {
		return false, false, nil
	}
	in, err = ins.InChannel(ctx, g.Address, user)
	return in, err == nil, err
}
