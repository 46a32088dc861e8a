package bot

import "time"

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
}

// SessionPhase is a point in a session's life that features react to.
type SessionPhase string

// Session phases, published by the reminders feature.
const (
	PhaseReminderDue SessionPhase = "reminder_due" // a reminder lead time came
	PhaseStarted     SessionPhase = "started"
	PhaseEnded       SessionPhase = "ended"
	PhaseCancelled   SessionPhase = "cancelled"
	PhaseMoved       SessionPhase = "moved"
)

// SessionEvent is a core event about one session. Subscribers run inside the
// durable job that published it; they must be idempotent, since a job may
// run again after a crash.
type SessionEvent struct {
	EventMeta // Platform and Channel are the group's; At is when it happened
	Phase     SessionPhase
	Group     Group
	Session   Session
	Lead      time.Duration // for PhaseReminderDue
}
