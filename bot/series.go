package bot

import "time"

// ReminderSettings are a group's reminder choices, beside its Schedule.
type ReminderSettings struct {
	// Leads are how long before each session a reminder is posted
	// (default 24h and 1h).
	Leads []time.Duration
	// RSVP puts "I'll be there" / "Can't make it" buttons on reminders.
	RSVP bool
	// DM sends reminders privately to members who asked for them.
	DM bool
	// StartingNow posts "starting now" with the link when a session starts.
	StartingNow bool
}

// Series is a group's stored schedule with its reminder settings.
type Series struct {
	GroupID  int64
	Schedule Schedule // Starts is always set once stored
	Settings ReminderSettings
	Paused   bool
	// Source is SourceConfig or SourceChat.
	Source    string
	UpdatedAt time.Time
	// AheadAt, when set, is the instant by which the series' first
	// sessions and their jobs must be stored: they are not stored yet,
	// because none of their work comes sooner (see reminders.ApplyConfigs).
	AheadAt time.Time
}

// RSVPAnswer is a member's answer about one session.
type RSVPAnswer string

// RSVP answers. RSVPNo is an excused absence recorded in advance, which
// attendance reads.
const (
	RSVPYes RSVPAnswer = "yes"
	RSVPNo  RSVPAnswer = "no"
)

// RSVP is one member's answer for one session.
type RSVP struct {
	SessionID int64
	User      UserID
	Answer    RSVPAnswer
	At        time.Time
}
