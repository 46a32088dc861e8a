package bot

import (
	"fmt"
	"strings"
)

// Platform names. An Address, a User and a Principal always carry one.
const (
	PlatformConsole = "console"
	PlatformDiscord = "discord"
	PlatformSlack   = "slack"
)

// UserID identifies an account on one platform (a Discord snowflake, a Slack
// user id, a console name).
type UserID string

// ChannelID identifies a channel on one platform.
type ChannelID string

// RoleID identifies a Discord role.
type RoleID string

// MessageID identifies a message on one platform.
type MessageID string

// Address is a channel on a platform.
type Address struct {
	Platform string
	Channel  ChannelID
}

func (a Address) String() string { return a.Platform + ":" + string(a.Channel) }

// IsZero reports whether a is the zero Address.
func (a Address) IsZero() bool { return a.Platform == "" && a.Channel == "" }

// MessageRef names a message that was delivered, so that it can be edited or
// pinned later.
type MessageRef struct {
	Platform string
	Channel  ChannelID
	ID       MessageID
}

// IsZero reports whether r names no message.
func (r MessageRef) IsZero() bool { return r.ID == "" }

// User is the person behind an event.
type User struct {
	Platform string
	ID       UserID
	Name     string   // display name; may be empty
	Roles    []RoleID // Discord roles in the event's guild
	Bot      bool     // the account is a bot (the core ignores bots)
}

// Principal returns the "platform:id" form used in owner and facilitator
// lists.
func (u User) Principal() Principal { return Principal(u.Platform + ":" + string(u.ID)) }

// Mention returns how to name u in a message.
func (u User) Mention() string { return Mention(u.Platform, u.ID) }

// Mention renders a user mention for a platform.
func Mention(platform string, id UserID) string {
	switch platform {
	case PlatformDiscord, PlatformSlack:
		return "<@" + string(id) + ">"
	default:
		return "@" + string(id)
	}
}

// Principal names who holds a right: "discord:123", "slack:U0123",
// "console:alice", or "role:456" for everyone with a Discord role.
type Principal string

// ParsePrincipal checks the "platform:id" or "role:id" form.
func ParsePrincipal(s string) (Principal, error) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok || id == "" || strings.ContainsAny(id, " \t") {
		return "", fmt.Errorf("%q is not of the form platform:id (for example discord:123456789012345678, slack:U0123ABCD or role:222333444555666777)", s)
	}
	switch kind {
	case PlatformConsole, PlatformDiscord, PlatformSlack, "role":
		return Principal(s), nil
	}
	return "", fmt.Errorf("%q names unknown kind %q: write discord:, slack:, console: or role:", s, kind)
}

// IsRole reports whether p names a role rather than one account.
func (p Principal) IsRole() bool { return strings.HasPrefix(string(p), "role:") }

// ID returns the part after the colon.
func (p Principal) ID() string {
	_, id, _ := strings.Cut(string(p), ":")
	return id
}

// Kind returns the part before the colon: a platform name or "role".
func (p Principal) Kind() string {
	k, _, _ := strings.Cut(string(p), ":")
	return k
}

// Matches reports whether u holds p: the same account, or a role u has.
func (p Principal) Matches(u User) bool {
	if p.IsRole() {
		for _, r := range u.Roles {
			if string(r) == p.ID() {
				return true
			}
		}
		return false
	}
	return p == u.Principal()
}

// IsSnowflake reports whether s looks like a Discord id: 5 to 20 digits.
func IsSnowflake(s string) bool {
	if len(s) < 5 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// IsSlackID reports whether s looks like a Slack user, channel or team id:
// 5 to 20 uppercase letters and digits (U0123ABCD, C0123ABCD).
func IsSlackID(s string) bool {
	if len(s) < 5 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
