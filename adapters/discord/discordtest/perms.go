package discordtest

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
)

// Permission bits, as Discord numbers them.
const (
	PermAdministrator      int64 = 1 << 3
	PermViewChannel        int64 = 1 << 10
	PermSendMessages       int64 = 1 << 11
	PermReadMessageHistory int64 = 1 << 16
	PermConnect            int64 = 1 << 20
	PermManageRoles        int64 = 1 << 28
	// DefaultEveryone is what a new guild's @everyone role may do here:
	// see channels, write and read their history, join voice.
	DefaultEveryone = PermViewChannel | PermSendMessages | PermReadMessageHistory | PermConnect
)

// Permission overwrite types.
const (
	OverwriteRole   = 0
	OverwriteMember = 1
)

// Overwrite is a channel's permission overwrite for a role (the guild id
// is @everyone) or a member.
type Overwrite struct {
	ID    string
	Type  int // OverwriteRole or OverwriteMember
	Allow int64
	Deny  int64
}

// AddRoleWith adds a role with the given permissions to a guild.
func (s *Server) AddRoleWith(guildID, name string, perms int64) string {
	id := s.AddRole(guildID, name)
	s.SetRolePermissions(guildID, id, perms)
	return id
}

// SetRolePermissions sets a role's permissions; roleID == guildID is the
// guild's @everyone role.
func (s *Server) SetRolePermissions(guildID, roleID string, perms int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guilds[guildID].Perms[roleID] = perms
}

// PlaceRoleAboveBot puts roleID above the bot's own highest role in the
// guild's role list (its position), as a server admin may by mistake:
// Discord then refuses to grant or take it (HTTP 403, code 50013 Missing
// Permissions).
func (s *Server) PlaceRoleAboveBot(guildID, roleID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g.AboveBot == nil {
		g.AboveBot = map[string]bool{}
	}
	g.AboveBot[roleID] = true
}

// BotRole returns the id of the bot's own role in a guild.
func (s *Server) BotRole(guildID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.guilds[guildID].BotRole
}

// SetOwner makes userID the guild's owner, who may do everything.
func (s *Server) SetOwner(guildID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guilds[guildID].OwnerID = userID
}

// SetMemberRoles replaces a member's roles without announcing it.
func (s *Server) SetMemberRoles(guildID, userID string, roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guilds[guildID].Members[userID].Roles = slices.Clone(roles)
}

// SetOverwrite sets a channel's overwrite for o.ID, replacing an earlier one.
func (s *Server) SetOverwrite(channelID string, o Overwrite) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channelID]
	c.Overwrites = slices.DeleteFunc(c.Overwrites, func(x Overwrite) bool { return x.ID == o.ID })
	c.Overwrites = append(c.Overwrites, o)
}

// AddPrivateChannel adds a text channel that @everyone cannot view, and
// that each of allowed (role ids of the guild, or user ids) can.
func (s *Server) AddPrivateChannel(guildID, name string, allowed ...string) string {
	id := s.AddChannel(guildID, name, ChannelText)
	s.mu.Lock()
	defer s.mu.Unlock()
	g, c := s.guilds[guildID], s.channels[id]
	c.Overwrites = append(c.Overwrites, Overwrite{ID: guildID, Type: OverwriteRole, Deny: PermViewChannel})
	for _, a := range allowed {
		typ := OverwriteMember
		if _, isRole := g.Perms[a]; isRole {
			typ = OverwriteRole
		}
		c.Overwrites = append(c.Overwrites, Overwrite{ID: a, Type: typ, Allow: PermViewChannel})
	}
	return id
}

// rolesJSONLocked renders a guild's roles, @everyone first, with their
// positions: the roles added, then the bot's own, then those placed above
// it (PlaceRoleAboveBot).
func (s *Server) rolesJSONLocked(g *guild) []any {
	role := func(id, name string, pos int) map[string]any {
		return map[string]any{"id": id, "name": name, "permissions": strconv.FormatInt(g.Perms[id], 10), "position": pos,
			"color": 0, "hoist": false, "managed": id == g.BotRole, "mentionable": false, "flags": 0}
	}
	out := []any{role(g.ID, "@everyone", 0)}
	var below, above []string
	for _, r := range g.Roles {
		switch {
		case r == g.BotRole:
		case g.AboveBot[r]:
			above = append(above, r)
		default:
			below = append(below, r)
		}
	}
	order := append(below, above...)
	if g.BotRole != "" {
		order = slices.Insert(order, len(below), g.BotRole)
	}
	for i, r := range order {
		name := "role" + r
		if r == g.BotRole {
			name = "tend"
		}
		out = append(out, role(r, name, i+1))
	}
	return out
}

// guildJSONLocked renders GET /guilds/{id}.
func (s *Server) guildJSONLocked(g *guild) map[string]any {
	return map[string]any{
		"id": g.ID, "name": g.Name, "owner_id": g.OwnerID, "roles": s.rolesJSONLocked(g),
		"icon": nil, "splash": nil, "discovery_splash": nil, "afk_channel_id": nil, "afk_timeout": 300,
		"verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
		"emojis": []any{}, "stickers": []any{}, "features": []any{}, "mfa_level": 0, "application_id": nil,
		"system_channel_id": nil, "system_channel_flags": 0, "rules_channel_id": nil, "vanity_url_code": nil,
		"description": nil, "banner": nil, "premium_tier": 0, "preferred_locale": "en-US",
		"public_updates_channel_id": nil, "nsfw_level": 0, "premium_progress_bar_enabled": false,
	}
}

// routeGuild answers GET /guilds/{id}, /guilds/{id}/roles and
// /guilds/{id}/members (paginated by after and limit, ordered by user id,
// as Discord lists them).
func (s *Server) routeGuild(w http.ResponseWriter, r *http.Request, p []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[p[1]]
	if g == nil {
		apiError(w, 404, 10004, "Unknown Guild")
		return
	}
	if r.Method != http.MethodGet {
		apiError(w, 405, 0, "405: Method Not Allowed")
		return
	}
	switch {
	case len(p) == 2:
		writeJSON(w, 200, s.guildJSONLocked(g))
	case len(p) == 3 && p[2] == "roles":
		writeJSON(w, 200, s.rolesJSONLocked(g))
	case len(p) == 3 && p[2] == "members":
		limit := 1
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				apiError(w, 400, 50035, "Invalid Form Body")
				return
			}
			limit = n
		}
		after := r.URL.Query().Get("after")
		ids := make([]string, 0, len(g.Members))
		for id := range g.Members {
			ids = append(ids, id)
		}
		// Snowflakes of one length sort as numbers do.
		sort.Slice(ids, func(i, j int) bool {
			if len(ids[i]) != len(ids[j]) {
				return len(ids[i]) < len(ids[j])
			}
			return ids[i] < ids[j]
		})
		out := []any{}
		for _, id := range ids {
			if after != "" && (len(id) < len(after) || len(id) == len(after) && id <= after) {
				continue
			}
			if len(out) == limit {
				break
			}
			mj := s.memberJSONLocked(g.ID, g.Members[id])
			delete(mj, "guild_id")
			out = append(out, mj)
		}
		writeJSON(w, 200, out)
	default:
		apiError(w, 404, 0, "404: Not Found")
	}
}

// botMayGrantLocked reports whether Discord lets the bot give or take role
// in g: the owner may; anyone else needs Manage Roles (or Administrator)
// and the role below their highest, and no one may give an integration's
// role.
func (s *Server) botMayGrantLocked(g *guild, role string) bool {
	if role == g.BotRole {
		return false
	}
	if g.OwnerID == s.cfg.BotUserID {
		return true
	}
	perms := g.Perms[g.ID]
	if m := g.Members[s.cfg.BotUserID]; m != nil {
		for _, r := range m.Roles {
			perms |= g.Perms[r]
		}
	}
	return perms&(PermManageRoles|PermAdministrator) != 0 && !g.AboveBot[role]
}
