package bot

import (
	"errors"
	"time"
)

// NormsVersion is one version of a group's norms: its numbered agreements as
// they stood after one change. Every change makes a new version; earlier
// versions are kept, so that a member's agreement always names the text
// they agreed to.
type NormsVersion struct {
	GroupID int64
	// Version counts a group's versions from 1.
	Version int
	// Items are the agreements, in order; they are shown numbered from 1.
	Items  []string
	Author Principal
	// Source says where the text came from: "template:support", "edit",
	// "config".
	Source    string
	CreatedAt time.Time
}

// NormsAck is a member's agreement to one version of a group's norms.
type NormsAck struct {
	GroupID int64
	User    UserID
	Version int
	At      time.Time
}

// Repost values: when a group's norms are posted in its channel besides
// "norms post".
const (
	RepostNever       = "never"
	RepostEachSession = "each_session"
)

// NormsSettings are a group's choices about its norms, beside their text.
type NormsSettings struct {
	GroupID int64
	// Require: a member takes part only after agreeing to the norms, and a
	// newcomer gets access only after agreeing to the current version.
	Require bool
	// Role is the Discord role a member gets on agreeing; empty for none.
	Role RoleID
	// Repost is RepostNever or RepostEachSession.
	Repost string
	// Lobby is the public channel where newcomers arrive (Slack, the
	// console): agreeing there invites them to the group's own channel.
	Lobby ChannelID
	// FromFile lists the settings the config file declares ("require",
	// "role", "repost", "lobby_channel", "text"): chat commands do not change
	// those, as for the group's own settings.
	FromFile []string
	// FileText fingerprints the text the config file gave when it was last
	// applied, so that a start with the same file keeps edits made in chat
	// since, and a changed file makes a new version.
	FileText string
	// Pinned is the norms message pinned in the group's channel, if any.
	Pinned    MessageRef
	UpdatedAt time.Time
}

// ApplicantState is where a newcomer to a group that requires agreement
// stands.
type ApplicantState string

// Applicant states.
const (
	// ApplicantWaiting: welcomed, not yet given access (not agreed yet,
	// rules screening pending, or no place free).
	ApplicantWaiting ApplicantState = "waiting"
	// ApplicantAdmitted: given access (a role, an invitation) after
	// agreeing.
	ApplicantAdmitted ApplicantState = "admitted"
	// ApplicantGone: left before or after being admitted.
	ApplicantGone ApplicantState = "gone"
)

// Applicant is a person who arrived at a group that requires agreement to
// its norms: they joined the Discord server, or the group's lobby channel.
type Applicant struct {
	GroupID int64
	User    UserID
	// Guild is the Discord server they joined, for the role.
	Guild string
	// Round counts their arrivals: each time they come back after leaving
	// is a new round, with its own welcome.
	Round int
	State ApplicantState
	// Pending is Discord's rules screening, as last reported: no role is
	// granted while it is set.
	Pending bool
	// DMClosed: the welcome could not be delivered privately.
	DMClosed bool
	// Waitlisted: the group was full when they arrived; they are offered
	// the first place that frees up.
	Waitlisted bool
	JoinedAt   time.Time
	AdmittedAt time.Time
}

// ErrScreening means Discord refused a role grant because the member has
// not yet completed the server's rules screening (they are pending). The
// adapter's error wraps it beside ErrUnreachable, so that the grant is not
// retried as it is: the norms feature grants the role again when the
// screening clears (a MemberUpdated with Pending false).
var ErrScreening = errors.New("the member has not completed the server's rules screening")
