package bot

import (
	"context"
	"errors"
	"fmt"
)

// RoleInspector is an optional Platform capability (Discord): what the bot
// may do with a role, so that a feature refuses up front a role it could
// never grant (norms' access role) instead of failing at each member.
type RoleInspector interface {
	// InspectRole describes role in guild as the bot sees it. A role the
	// guild does not have is RoleInfo{} (Exists false), not an error; an
	// error wrapping ErrUnreachable means the bot cannot see the guild.
	InspectRole(ctx context.Context, guild string, role RoleID) (RoleInfo, error)
}

// RoleInfo is what a platform says about a role and the bot.
type RoleInfo struct {
	Exists bool
	Name   string
	// Everyone: the role every member has (Discord's @everyone, whose id
	// is the guild's); granting it means nothing.
	Everyone bool
	// Managed: the role belongs to an integration (a bot's own role, a
	// subscription), and nobody can grant it.
	Managed bool
	// CanManage: the bot has the Manage Roles permission (or is an
	// administrator or the owner).
	CanManage bool
	// BelowBot: the role sits below the bot's own highest role, as a role
	// the bot grants must (the guild's owner may grant any).
	BelowBot bool
}

// Grantable reports whether the bot can give the role to members.
func (r RoleInfo) Grantable() bool {
	return r.Exists && !r.Everyone && !r.Managed && r.CanManage && r.BelowBot
}

// roler is what Bot.InspectRole needs of the Deliverer; *Sender
// implements it.
type roler interface {
	Roles(platform string) (RoleInspector, bool)
}

// Roles returns the named platform as a RoleInspector, when it is running
// and can tell what the bot may do with a role.
func (s *Sender) Roles(platform string) (RoleInspector, bool) {
	p, ok := s.platforms[platform]
	if !ok {
		return nil, false
	}
	r, ok := p.(RoleInspector)
	return r, ok
}

// InspectRole describes role in guild on platform (see RoleInspector). It
// returns an error wrapping errors.ErrUnsupported when the platform is not
// running or cannot tell (Slack, the console).
func (b *Bot) InspectRole(ctx context.Context, platform, guild string, role RoleID) (RoleInfo, error) {
	r, ok := b.cfg.Sender.(roler)
	if !ok {
		return RoleInfo{}, fmt.Errorf("role %s: %w", role, errors.ErrUnsupported)
	}
	ri, ok := r.Roles(platform)
	if !ok {
		return RoleInfo{}, fmt.Errorf("role %s on %s: %w", role, platform, errors.ErrUnsupported)
	}
	info, err := ri.InspectRole(ctx, guild, role)
	if err != nil {
		return RoleInfo{}, fmt.Errorf("role %s: %w", role, err)
	}
	return info, nil
}

// BotPresence is an optional ChannelInspector capability (Slack): whether
// the bot itself is a member of a channel. Slack sends member_joined_channel
// only for channels the app is in, so a feature that waits for people to
// arrive in a channel (norms' lobby) checks that tend is there.
type BotPresence interface {
	// BotInChannel reports whether the bot is a member of channel a. An
	// error wrapping ErrUnreachable means the bot cannot see the channel.
	BotInChannel(ctx context.Context, a Address) (bool, error)
}

// BotInChannel reports whether the bot is a member of channel a (see
// BotPresence). It returns an error wrapping errors.ErrUnsupported when
// a's platform is not running or cannot tell (Discord, where the bot sees
// what its roles let it see; the console).
func (b *Bot) BotInChannel(ctx context.Context, a Address) (bool, error) {
	ins, ok := b.inspector(a.Platform)
	if !ok {
		return false, fmt.Errorf("channel %s: %w", a.Channel, errors.ErrUnsupported)
	}
	bp, ok := ins.(BotPresence)
	if !ok {
		return false, fmt.Errorf("channel %s on %s: %w", a.Channel, a.Platform, errors.ErrUnsupported)
	}
	return bp.BotInChannel(ctx, a)
}

// ChannelPrivate reports whether only invited people can see channel a
// (see ChannelInspector.ChannelPrivate). It returns an error wrapping
// errors.ErrUnsupported when a's platform is not running or cannot tell
// (the console).
func (b *Bot) ChannelPrivate(ctx context.Context, a Address) (bool, error) {
	ins, ok := b.inspector(a.Platform)
	if !ok {
		return false, fmt.Errorf("channel %s: %w", a.Channel, errors.ErrUnsupported)
	}
	return ins.ChannelPrivate(ctx, a)
}
