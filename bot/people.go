package bot

import (
	"context"
	"errors"
	"slices"
)

// People returns who is in group g, each once: its active roster entries
// (platform accounts and code-only entries, with their ids) and, where the
// platform can list a channel, the people in g's channel who are not on
// the roster (ID 0, Status active). Bots are never listed. Facilitators
// appear only as members. The waitlist is not listed.
func (b *Bot) People(ctx context.Context, g Group) ([]Member, error) {
	mf, ok := b.members()
	if !ok {
		return nil, errors.New("bot: people: no MemberFinder configured")
	}
	roster, err := mf.ListMembers(ctx, g.ID)
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
	for _, u := range users {
		if u.Bot || u.ID == "" || seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		out = append(out, Member{GroupID: g.ID, User: u.ID, Name: u.Name, Status: MemberActive})
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
