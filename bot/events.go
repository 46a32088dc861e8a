package bot

import (
	"strings"
	"time"
)

// Event is something that happened, handed to the core. Inbound events come
// from adapters (Command, ButtonPress, ModalSubmit, MemberJoined, MemberLeft,
// MemberUpdated, VoiceJoined, VoiceLeft, DirectMessage); core events come
// from features (SessionEvent).
type Event interface {
	// Meta returns the event's common fields.
	Meta() *EventMeta
}

// EventMeta is what every inbound event carries.
type EventMeta struct {
	Platform string
	Guild    string    // Discord guild or Slack team; may be empty
	Channel  ChannelID // where it happened; the DM channel for DMs
	DM       bool      // it happened in a direct conversation with the bot
	User     User
	At       time.Time
}

// Meta implements Event.
func (m *EventMeta) Meta() *EventMeta { return m }

// Address returns the event's channel as an Address.
func (m *EventMeta) Address() Address { return Address{Platform: m.Platform, Channel: m.Channel} }

// Command is "/tend words… name:value…".
type Command struct {
	EventMeta
	Words []string          // the command path and positional words, lowercased path
	Args  map[string]string // name:value arguments
}

// ButtonPress is a click on a button the bot rendered.
type ButtonPress struct {
	EventMeta
	ID      string     // the button's id exactly as the platform returned it
	Action  Action     // decoded and verified by the core from ID
	Message MessageRef // the message that carried the button
}

// ModalSubmit is a submitted form the bot opened.
type ModalSubmit struct {
	EventMeta
	ID     string            // the modal's id exactly as the platform returned it
	Action Action            // decoded and verified by the core from ID
	Values map[string]string // input id → value
}

// MemberJoined is a person joining the server (Discord) or the channel
// (Slack, console). Pending is Discord's rules-screening flag: a pending
// member must not be granted roles.
type MemberJoined struct {
	EventMeta
	Pending bool
}

// MemberLeft is a person leaving the server or channel.
type MemberLeft struct {
	EventMeta
}

// MemberUpdated reports a change to a member, such as passing rules
// screening (Pending turning false) or a role change.
type MemberUpdated struct {
	EventMeta
	Pending bool
}

// VoiceJoined is a person entering a voice or stage channel (Channel).
type VoiceJoined struct {
	EventMeta
}

// VoiceLeft is a person leaving a voice or stage channel (Channel).
type VoiceLeft struct {
	EventMeta
}

// DirectMessage is text a person sent the bot privately. Its Text is
// sensitive: never log it.
type DirectMessage struct {
	EventMeta
	Text string
	// Edited marks the new text of a message the person edited: examined
	// like any other, but a reply that only acknowledges it may be left
	// out.
	Edited bool
}

// SessionPhase is a point in a session's life that features react to.
type SessionPhase string

// Session phases, published by the reminders feature, which owns sessions.
const (
	PhaseScheduled    SessionPhase = "scheduled"     // the session was stored, ahead of its reminders
	PhaseReminderSent SessionPhase = "reminder_sent" // a reminder lead time came and the reminder went out
	PhaseStarted      SessionPhase = "started"
	PhaseEnded        SessionPhase = "ended"
	PhaseCancelled    SessionPhase = "cancelled"
	PhaseMoved        SessionPhase = "moved" // Session is the new occurrence, From the old one
)

// SessionPhases lists every phase, in the order of a session's life.
var SessionPhases = []SessionPhase{PhaseScheduled, PhaseReminderSent, PhaseStarted, PhaseEnded, PhaseCancelled, PhaseMoved}

// words says how a session log names a subscriber's job for the phase.
func (p SessionPhase) words(lead time.Duration) string {
	switch p {
	case PhaseScheduled:
		return "when the session was scheduled"
	case PhaseReminderSent:
		return "after the " + shortLead(lead) + " reminder"
	case PhaseStarted:
		return "at the start"
	case PhaseEnded:
		return "at the end"
	case PhaseCancelled:
		return "on cancelling"
	case PhaseMoved:
		return "on moving"
	}
	return string(p)
}

// shortLead prints a lead time as reminders' keys do: "24h", "1h30m", "5m".
func shortLead(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}

// SessionEvent is a core event about one session. Each subscriber gets it
// in a durable job of its own (see Bot.OnSession): with its own retries
// and its own line in the session's log, so a failing subscriber never
// delays or repeats another one or the reminders. Subscribers must be
// idempotent: a job may run again after a crash; their posts and DMs carry
// outbox keys.
type SessionEvent struct {
	EventMeta // Platform and Channel are the group's; At is when it happened
	Phase     SessionPhase
	// Group and Session are read afresh when the subscriber's job runs.
	Group   Group
	Session Session
	// Lead is the reminder's lead time, for PhaseReminderSent.
	Lead time.Duration
	// From is the session that was moved, for PhaseMoved; Session is the
	// new one.
	From *Session
	// Note says why, for PhaseCancelled ("cancelled by …", "the schedule
	// was replaced"). It never holds what a member wrote.
	Note string
}

// MemberGone is a core event: a person is no longer in a group — they left
// the group's channel or the server it is in, or a facilitator removed them.
// Every feature reacts (no more DMs, nudges or prompts; an access role
// revoked; a waitlist place given up), each in a durable job of its own (see
// Bot.OnMemberGone).
type MemberGone struct {
	Group Group
	User  UserID
	// Why says how, in words for a log: "left the channel", "left the
	// server", "removed by console:alex".
	Why string
	At  time.Time
}

// MemberAdded is a core event: a facilitator put a person with an account
// on a group's roster (groups publishes it), so that features can greet
// them — norms sends the group's norms with an I agree button where the
// group requires agreement. Each subscriber gets it in a durable job of its
// own (see Bot.OnMemberAdded).
type MemberAdded struct {
	Group Group
	User  UserID
	// By is the facilitator who added them, or who raised the capacity
	// that let them in from the waitlist.
	By Principal
	// FromWaitlist: they were on the waitlist, and a larger capacity let
	// them onto the roster (norms offers them the place).
	FromWaitlist bool
	// Waitlisted: the group is full, so the roster put them on its
	// waitlist (for the notes; subscribers read the roster afresh).
	Waitlisted bool
	At         time.Time
}

// Presence is a core event: a member showed they were at a session — they
// answered its check-in, pressed "I'm here" — so that the attendance
// feature can count it without the feature that saw it importing
// attendance. Delivered durably, one job per subscriber (Bot.OnPresence).
type Presence struct {
	Group     Group
	SessionID int64
	User      UserID
	// Source says how: "checkin", "button", "voice".
	Source string
	At     time.Time
}
