package bot

import (
	"strconv"
	"strings"
	"time"
)

// AttendanceStatus is how a member attended one session.
type AttendanceStatus string

// Attendance statuses.
const (
	AttendPresent AttendanceStatus = "present"
	AttendLate    AttendanceStatus = "late"
	AttendExcused AttendanceStatus = "excused"
	AttendAbsent  AttendanceStatus = "absent"
)

// AttendanceStatuses lists every status, in the order reports show them.
var AttendanceStatuses = []AttendanceStatus{AttendPresent, AttendLate, AttendExcused, AttendAbsent}

// Attended reports whether s counts as having come (present or late).
func (s AttendanceStatus) Attended() bool { return s == AttendPresent || s == AttendLate }

// Attendee names a person whose attendance is recorded: a platform account
// (User), or a code-only roster entry (MemberID, User empty). An account
// with a roster entry has both.
type Attendee struct {
	User     UserID
	MemberID int64
}

// Key is the attendee's stable key within a group: "u:<user>" for an
// account, "m:<member id>" for a code-only roster entry.
func (a Attendee) Key() string {
	if a.User != "" {
		return "u:" + string(a.User)
	}
	return "m:" + strconv.FormatInt(a.MemberID, 10)
}

// ParseAttendeeKey reads a key made by Attendee.Key; the MemberID of an
// account's key is left 0.
func ParseAttendeeKey(k string) (Attendee, bool) {
	switch {
	case strings.HasPrefix(k, "u:") && len(k) > 2:
		return Attendee{User: UserID(k[2:])}, true
	case strings.HasPrefix(k, "m:"):
		id, err := strconv.ParseInt(k[2:], 10, 64)
		if err != nil || id <= 0 {
			return Attendee{}, false
		}
		return Attendee{MemberID: id}, true
	}
	return Attendee{}, false
}

// AttendanceMark is one member's attendance of one session: computed when
// the session ends from what tend saw, or given by a facilitator.
type AttendanceMark struct {
	SessionID int64
	GroupID   int64
	Attendee
	Status AttendanceStatus
	// Source says how tend knows: "button", "voice", "checkin" (the first
	// presence), "facilitator", "rsvp" or "away" (an excuse), "none" (no
	// sign of the member).
	Source string
	// At is the first presence, or when a facilitator marked; zero for an
	// absence.
	At time.Time
	// MarkedBy is the facilitator who marked (Source "facilitator").
	MarkedBy Principal
	// Name is a display name kept for a person who is not on the roster
	// (a channel member), so that reports can name them; empty under
	// minimal privacy.
	Name string
}

// AttendanceSettings are a group's attendance choices (its config
// section, or the defaults).
type AttendanceSettings struct {
	// Enabled: attendance is recorded for the group's sessions.
	Enabled bool
	// Button: an "I'm here" button is posted at each session's start.
	Button bool
	// VoiceChannel counts presence in a voice or stage channel; empty
	// means the series' voice channel.
	VoiceChannel ChannelID
	// MinMinutes in the voice channel during the session count as present.
	MinMinutes int
	// LateAfter the start, a first presence counts as late.
	LateAfter time.Duration
	// AlertAfter unexcused absences in a row flag a member to the
	// facilitators; 0 turns the alert off.
	AlertAfter int
	// MissedYouDM sends a flagged member a gentle private message.
	MissedYouDM bool
}

// PersonalRecord is one thing tend holds about a person, for "mydata": its
// Kind ("roster", "rsvp", "attendance", …), the group it belongs to, when,
// and what, in plain words. What may hold the person's own words (their
// check-in answers): it is shown to them alone, never logged.
type PersonalRecord struct {
	Kind  string
	Group string
	At    time.Time
	What  string
}

// Erasure is what erasing a person's data removed.
type Erasure struct {
	// Number is the erasure's number: audit lines that named the person
	// now read "erased member #Number".
	Number int64
	// Groups are the groups whose data named the person (a roster entry,
	// an agreement, an answer, an RSVP…): each is told that they are gone
	// and gets the erasure's audit line.
	Groups []int64
	// Rows counts the rows deleted or rewritten, by table.
	Rows map[string]int
	// StoppedTracking: a marker now stops tend tracking the account (see
	// EraseRequest.StopTracking), whether or not anything was erased.
	StoppedTracking bool
}

// ErasedLabel is how audit lines name a person after erasure number n.
func ErasedLabel(n int64) string { return "erased member #" + strconv.FormatInt(n, 10) }

// VoiceStay is one stay of a person in a session's voice channel. Left is
// zero while they are still there.
type VoiceStay struct {
	User   UserID
	Joined time.Time
	Left   time.Time
}

// AttendanceAlert records that a member was flagged to the facilitators
// for missing sessions in a row: once per streak, named by the streak's
// first missed session.
type AttendanceAlert struct {
	GroupID int64
	Attendee
	// StreakFrom is the first session of the streak.
	StreakFrom int64
	// SessionID is the session at whose end the member was flagged.
	SessionID int64
	At        time.Time
}

// EraseRequest says whose data to erase, and where.
type EraseRequest struct {
	// Platform is the platform of the person's account or roster entry.
	Platform string
	// User is the account; empty for a code-only roster entry.
	User UserID
	// GroupID limits the erasure to one group (a facilitator erasing a
	// roster entry); 0 erases everything on Platform (the member's own
	// request).
	GroupID int64
	// MemberID is the roster entry a facilitator erases (GroupID set).
	MemberID int64
	// By is the facilitator who erases; empty when the member asked.
	By Principal
	// Number continues erasure Number (a later pass that removes what
	// appeared since, such as finished jobs that named the person); 0
	// starts a new erasure.
	Number int64
	// KeepJob is the job running this pass: it is kept, with its payload
	// (which names the person) cleared.
	KeepJob int64
	// StopTracking leaves, with a new erasure of an account, a marker that
	// names nobody (a keyed hash of the platform, the scope and the
	// account) so that tend stops tracking the account — in GroupID, or
	// everywhere on Platform — until they ask to take part again: nobody
	// counts their attendance, asks them to check in or messages them on
	// tend's own initiative (see Bot.SetTrackingFilter).
	StopTracking bool
}
