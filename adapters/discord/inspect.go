package discord

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/bwmarrin/discordgo"

	"github.com/tend-bot/tend/bot"
)

// Discord JSON error codes for a person who is not (or no longer) there.
const codeUnknownUser = 10013

// membersPage is the most members GET /guilds/{id}/members returns at once.
const membersPage = 1000

// maxGuildLists bounds how many guilds' member lists are kept at once: each
// holds up to MaxMembers members.
const maxGuildLists = 16

// inspectCaches keep ChannelInspector answers for Config.InspectTTL, each
// bounded.
type inspectCaches struct {
	channels *bot.Cache[string, *discordgo.Channel]
	guilds   *bot.Cache[string, *discordgo.Guild]
	members  *bot.Cache[string, *discordgo.Member] // guild/user; nil: not a member
	lists    *bot.Cache[string, []*discordgo.Member]
}

func newInspectCaches(cfg Config) inspectCaches {
	return inspectCaches{
		channels: bot.NewCache[string, *discordgo.Channel](cfg.MaxChannels, cfg.InspectTTL, cfg.Clock),
		guilds:   bot.NewCache[string, *discordgo.Guild](cfg.MaxChannels, cfg.InspectTTL, cfg.Clock),
		members:  bot.NewCache[string, *discordgo.Member](cfg.MaxChannels, cfg.InspectTTL, cfg.Clock),
		lists:    bot.NewCache[string, []*discordgo.Member](maxGuildLists, cfg.InspectTTL, cfg.Clock),
	}
}

// ChannelPrivate implements bot.ChannelInspector: a guild channel is
// private when the guild's @everyone role cannot view it, after the
// channel's permission overwrites (Discord's documented permission
// algorithm); a DM is private. An error wrapping bot.ErrUnreachable means
// the bot cannot see the channel.
func (a *Adapter) ChannelPrivate(ctx context.Context, addr bot.Address) (bool, error) {
	c, g, err := a.channelAndGuild(ctx, addr)
	if err != nil {
		return false, err
	}
	if g == nil {
		return true, nil // a DM
	}
	return permissions(g, c, "", nil)&discordgo.PermissionViewChannel == 0, nil
}

var _ bot.ChannelHomer = (*Adapter)(nil)

// ChannelHome implements bot.ChannelHomer: a channel's guild, or a DM.
func (a *Adapter) ChannelHome(ctx context.Context, addr bot.Address) (string, bool, error) {
	c, g, err := a.channelAndGuild(ctx, addr)
	if err != nil {
		return "", false, err
	}
	if g == nil {
		return "", true, nil
	}
	return c.GuildID, false, nil
}

// InChannel implements bot.ChannelInspector: u is in a guild channel when
// they are a member of the guild who can view it (administrators and the
// owner see everything); in a DM when they are its recipient.
func (a *Adapter) InChannel(ctx context.Context, addr bot.Address, u bot.UserID) (bool, error) {
	c, g, err := a.channelAndGuild(ctx, addr)
	if err != nil {
		return false, err
	}
	if g == nil {
		return slices.ContainsFunc(c.Recipients, func(r *discordgo.User) bool { return r.ID == string(u) }), nil
	}
	m, err := a.member(ctx, g.ID, string(u))
	if err != nil || m == nil {
		return false, err
	}
	return permissions(g, c, string(u), m.Roles)&discordgo.PermissionViewChannel != 0, nil
}

// ChannelMembers implements bot.ChannelInspector: the guild's members who
// can view the channel, bots excluded, read with GET /guilds/{id}/members
// (which needs the Server Members Intent, as tend's gateway intents do).
// At most Config.MaxMembers guild members are read, in the order Discord
// lists them; beyond that the answer is partial and a warning is logged.
func (a *Adapter) ChannelMembers(ctx context.Context, addr bot.Address) ([]bot.User, error) {
	c, g, err := a.channelAndGuild(ctx, addr)
	if err != nil {
		return nil, err
	}
	var out []bot.User
	if g == nil {
		for _, r := range c.Recipients {
			if u := a.user(r, nil); !u.Bot {
				out = append(out, u)
			}
		}
		return out, nil
	}
	members, err := a.guildMembers(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if m.User == nil {
			continue
		}
		if u := a.user(m.User, m); !u.Bot && permissions(g, c, m.User.ID, m.Roles)&discordgo.PermissionViewChannel != 0 {
			out = append(out, u)
		}
	}
	return out, nil
}

// InspectRole implements bot.RoleInspector from the guild's roles and the
// bot's own member: a role the bot grants must exist, not be @everyone or
// an integration's, and sit below the bot's highest role, and the bot
// needs Manage Roles (an administrator has it; the guild's owner may do
// anything). Answers are cached like the ChannelInspector's, except after
// an answer that the role cannot be granted: that answer is a refusal
// whose fix is made in Discord (tend's role moved up, Manage Roles given,
// the role made), so the guild and the bot's member are read afresh the
// next time, and a retry right after the fix sees it.
func (a *Adapter) InspectRole(ctx context.Context, guild string, role bot.RoleID) (bot.RoleInfo, error) {
	info, err := a.inspectRole(ctx, guild, role)
	if err == nil && !info.Grantable() {
		a.inspect.guilds.Delete(guild)
		if self, err := a.self(ctx); err == nil {
			a.forgetMember(guild, self)
		}
	}
	return info, err
}

func (a *Adapter) inspectRole(ctx context.Context, guild string, role bot.RoleID) (bot.RoleInfo, error) {
	g, err := a.guild(ctx, guild)
	if err != nil {
		return bot.RoleInfo{}, err
	}
	i := slices.IndexFunc(g.Roles, func(r *discordgo.Role) bool { return r.ID == string(role) })
	if i < 0 {
		return bot.RoleInfo{}, nil
	}
	r := g.Roles[i]
	info := bot.RoleInfo{Exists: true, Name: r.Name, Everyone: r.ID == g.ID, Managed: r.Managed}
	self, err := a.self(ctx)
	if err != nil {
		return bot.RoleInfo{}, err
	}
	if self == g.OwnerID {
		info.CanManage, info.BelowBot = true, true
		return info, nil
	}
	me, err := a.member(ctx, g.ID, self)
	if err != nil {
		return bot.RoleInfo{}, err
	}
	if me == nil {
		return bot.RoleInfo{}, bot.Unreachable("discord: inspect a role: the bot is not a member of guild %s", g.ID)
	}
	var perms int64
	top := -1
	for _, gr := range g.Roles {
		if gr.ID == g.ID || slices.Contains(me.Roles, gr.ID) {
			perms |= gr.Permissions
		}
		if slices.Contains(me.Roles, gr.ID) && gr.Position > top {
			top = gr.Position
		}
	}
	info.CanManage = perms&(discordgo.PermissionManageRoles|discordgo.PermissionAdministrator) != 0
	info.BelowBot = r.Position < top
	return info, nil
}

// self returns the bot's user id: from the gateway's Ready, or, before
// it came, from GET /users/@me.
func (a *Adapter) self(ctx context.Context) (string, error) {
	a.mu.Lock()
	id := a.botUserID
	a.mu.Unlock()
	if id != "" {
		return id, nil
	}
	var u *discordgo.User
	err := a.rest(ctx, "read the bot's user", "", func(opts ...discordgo.RequestOption) error {
		var err error
		u, err = a.s.User("@me", opts...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("discord: read the bot's user: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.botUserID == "" {
		a.botUserID = u.ID
	}
	return a.botUserID, nil
}

// channelAndGuild reads the channel (a thread's parent, whose permissions
// it has) and its guild; the guild is nil for a DM.
func (a *Adapter) channelAndGuild(ctx context.Context, addr bot.Address) (*discordgo.Channel, *discordgo.Guild, error) {
	if addr.Channel == "" {
		return nil, nil, bot.Rejected("discord: inspect a channel: no channel given")
	}
	c, err := a.channel(ctx, string(addr.Channel))
	if err != nil {
		return nil, nil, err
	}
	if c.IsThread() && c.ParentID != "" {
		if c, err = a.channel(ctx, c.ParentID); err != nil {
			return nil, nil, err
		}
	}
	if c.GuildID == "" {
		return c, nil, nil
	}
	g, err := a.guild(ctx, c.GuildID)
	if err != nil {
		return nil, nil, err
	}
	return c, g, nil
}

func (a *Adapter) channel(ctx context.Context, ch string) (*discordgo.Channel, error) {
	if c, ok := a.inspect.channels.Get(ch); ok {
		return c, nil
	}
	var c *discordgo.Channel
	// A 403/404 here marks the channel unreachable, as for a post: the bot
	// cannot post where it cannot see.
	err := a.rest(ctx, "read channel", ch, func(opts ...discordgo.RequestOption) error {
		var err error
		c, err = a.s.Channel(ch, opts...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("discord: read channel %s: %w", ch, err)
	}
	a.inspect.channels.Put(ch, c)
	return c, nil
}

func (a *Adapter) guild(ctx context.Context, id string) (*discordgo.Guild, error) {
	if g, ok := a.inspect.guilds.Get(id); ok {
		return g, nil
	}
	var g *discordgo.Guild
	err := a.rest(ctx, "read guild", "", func(opts ...discordgo.RequestOption) error {
		var err error
		g, err = a.s.Guild(id, opts...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("discord: read guild %s: %w", id, err)
	}
	a.inspect.guilds.Put(id, g)
	return g, nil
}

// member returns the guild member, or nil when the person is not in the
// guild.
func (a *Adapter) member(ctx context.Context, guild, user string) (*discordgo.Member, error) {
	key := guild + "/" + user
	if m, ok := a.inspect.members.Get(key); ok {
		return m, nil
	}
	var m *discordgo.Member
	err := a.rest(ctx, "read member", "", func(opts ...discordgo.RequestOption) error {
		var err error
		m, err = a.s.GuildMember(guild, user, opts...)
		return err
	})
	if err != nil {
		if c := restCode(err); c == codeUnknownMember || c == codeUnknownUser {
			a.inspect.members.Put(key, nil)
			return nil, nil
		}
		return nil, fmt.Errorf("discord: read member %s of guild %s: %w", user, guild, err)
	}
	a.inspect.members.Put(key, m)
	return m, nil
}

// guildMembers lists a guild's members, page by page, up to MaxMembers.
func (a *Adapter) guildMembers(ctx context.Context, guild string) ([]*discordgo.Member, error) {
	if ms, ok := a.inspect.lists.Get(guild); ok {
		return ms, nil
	}
	var all []*discordgo.Member
	after := ""
	for len(all) < a.cfg.MaxMembers {
		var page []*discordgo.Member
		err := a.rest(ctx, "list members", "", func(opts ...discordgo.RequestOption) error {
			var err error
			page, err = a.s.GuildMembers(guild, after, min(membersPage, a.cfg.MaxMembers-len(all)), opts...)
			return err
		})
		if err != nil {
			if errors.Is(err, bot.ErrUnreachable) {
				err = fmt.Errorf("%w (listing members needs the Server Members Intent, enabled for the bot in the developer portal)", err)
			}
			return nil, fmt.Errorf("discord: list the members of guild %s: %w", guild, err)
		}
		all = append(all, page...)
		if len(page) < membersPage || page[len(page)-1].User == nil {
			break
		}
		after = page[len(page)-1].User.ID
		if len(all) >= a.cfg.MaxMembers {
			a.log.Warn("a guild has more members than discord's max_members; channel member lists are partial", "guild", guild, "max", a.cfg.MaxMembers)
		}
	}
	a.inspect.lists.Put(guild, all)
	return all, nil
}

// permissionAll is every permission.
const permissionAll int64 = -1

// permissions computes what userID (with roles) may do in channel c of
// guild g, by Discord's documented algorithm: the owner may do
// everything; the base is @everyone's permissions with the member's roles
// added, and an administrator may do everything; then the channel's
// @everyone overwrite, then its role overwrites together, then its member
// overwrite. userID "" with no roles computes @everyone's.
func permissions(g *discordgo.Guild, c *discordgo.Channel, userID string, roles []string) int64 {
	if userID != "" && userID == g.OwnerID {
		return permissionAll
	}
	var base int64
	for _, r := range g.Roles {
		if r.ID == g.ID || slices.Contains(roles, r.ID) {
			base |= r.Permissions
		}
	}
	if base&discordgo.PermissionAdministrator != 0 {
		return permissionAll
	}
	p := base
	for _, o := range c.PermissionOverwrites {
		if o.Type == discordgo.PermissionOverwriteTypeRole && o.ID == g.ID {
			p &^= o.Deny
			p |= o.Allow
		}
	}
	var allow, deny int64
	for _, o := range c.PermissionOverwrites {
		if o.Type == discordgo.PermissionOverwriteTypeRole && o.ID != g.ID && slices.Contains(roles, o.ID) {
			allow |= o.Allow
			deny |= o.Deny
		}
	}
	p &^= deny
	p |= allow
	for _, o := range c.PermissionOverwrites {
		if userID != "" && o.Type == discordgo.PermissionOverwriteTypeMember && o.ID == userID {
			p &^= o.Deny
			p |= o.Allow
		}
	}
	return p
}

// forgetMember drops what the inspector keeps about a member of guild,
// after they joined, left or changed (their roles decide what they see).
func (a *Adapter) forgetMember(guild, user string) {
	a.inspect.members.Delete(guild + "/" + user)
	a.inspect.lists.Delete(guild)
}
