package bot

import "time"

// Schedule is a group's series as written in the config or the
// "session schedule" command. The reminders package parses and validates it.
type Schedule struct {
	Cron         string        // a five-field cron expression, or empty
	Weekly       string        // "tue 18:00", "mon,thu 09:30", or empty
	Duration     time.Duration // length of each session
	Starts       string        // YYYY-MM-DD, in the group's zone; empty: today
	Until        string        // YYYY-MM-DD, last possible day; empty: none
	Count        int           // number of sessions; 0: unbounded (or Until)
	Topics       []string      // topic per session number, 1-based
	Link         string        // meeting link, optional
	VoiceChannel ChannelID     // voice or stage channel, optional
}

// SessionStatus is where one occurrence stands.
type SessionStatus string

// Session statuses.
const (
	SessionScheduled SessionStatus = "scheduled"
	SessionCancelled SessionStatus = "cancelled"
	SessionRunning   SessionStatus = "running"
	SessionDone      SessionStatus = "done"
)

// Session is one occurrence of a group's series.
type Session struct {
	ID           int64
	GroupID      int64
	Number       int // 1-based within the series
	Start        time.Time
	End          time.Time
	Topic        string
	Status       SessionStatus
	Link         string
	VoiceChannel ChannelID
}

// SessionRecord is a stored session with where it came from in its
// series, for views that must name a session the same way before and
// after it is moved (a calendar feed's event UID).
type SessionRecord struct {
	Session
	// PlannedAt is the start its series computed for it; a moved session
	// keeps its original's.
	PlannedAt time.Time
	// MovedFrom is the session it replaced when a facilitator moved that
	// one; 0 when it was not moved.
	MovedFrom int64
}
