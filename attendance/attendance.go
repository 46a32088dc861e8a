package attendance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Store is what attendance keeps in the database; *store.DB satisfies it.
// Missing rows wrap bot.ErrNotFound. Methods are safe for concurrent use.
type Store interface {
	Groups
	SettingsStore
	CaptureStore
	MarkStore
	ReportStore
	DataStore
}

// Groups reads groups, sessions, rosters and RSVPs, which other features
// own.
type Groups interface {
	GroupByID(ctx context.Context, id int64) (bot.Group, error)
	GroupByName(ctx context.Context, name string) (bot.Group, error)
	Session(ctx context.Context, id int64) (bot.Session, error)
	MemberByUser(ctx context.Context, groupID int64, user bot.UserID) (bot.Member, error)
	MemberByCode(ctx context.Context, groupID int64, code string) (bot.Member, error)
	RSVPs(ctx context.Context, sessionID int64) ([]bot.RSVP, error)
	// Series returns the group's series of sessions (bot.ErrNotFound when
	// it has none).
	Series(ctx context.Context, groupID int64) (bot.Series, error)
	// ChannelAway returns when the people away without a roster entry
	// (channel members) are back, for those away after at.
	ChannelAway(ctx context.Context, groupID int64, at time.Time) (map[bot.UserID]time.Time, error)
}

// SettingsStore keeps each group's attendance settings.
type SettingsStore interface {
	// AttendanceSettings returns false when the group has none of its own.
	AttendanceSettings(ctx context.Context, groupID int64) (bot.AttendanceSettings, bool, error)
	// SetAttendanceSettings stores them, or removes them when s is nil.
	SetAttendanceSettings(ctx context.Context, groupID int64, s *bot.AttendanceSettings) error
}

// CaptureStore keeps the evidence of presence during a session.
type CaptureStore interface {
	// RecordPresence reports whether this is the first presence of the
	// user at the session by that source.
	RecordPresence(ctx context.Context, sessionID int64, user bot.UserID, source string, at time.Time) (bool, error)
	Presences(ctx context.Context, sessionID int64) ([]bot.Presence, error)
	// WatchVoice starts watching a session's voice channel (once), with a
	// stay from at for each of present.
	WatchVoice(ctx context.Context, sessionID int64, ch bot.Address, until time.Time, present []bot.UserID, at time.Time) (bool, error)
	// VoiceEvent records a stay starting or ending for every session
	// watching the channel (with groups, only those groups' sessions).
	VoiceEvent(ctx context.Context, ch bot.Address, user bot.UserID, joined bool, at time.Time, groups ...int64) (int, error)
	// VoiceWatchGroups returns the groups whose sessions watch the voice
	// channel at at.
	VoiceWatchGroups(ctx context.Context, ch bot.Address, at time.Time) ([]int64, error)
	VoiceStays(ctx context.Context, sessionID int64) ([]bot.VoiceStay, error)
}

// MarkStore keeps the marks.
type MarkStore interface {
	// CloseAttendance stores a session's computed marks in one
	// transaction (a facilitator's earlier mark is kept) and records the
	// session closed; false means it was closed already and nothing was
	// written.
	CloseAttendance(ctx context.Context, sessionID, groupID int64, marks []bot.AttendanceMark, at time.Time) (bool, error)
	AttendanceClosed(ctx context.Context, sessionID int64) (bool, error)
	// LatePresence applies a presence that reached a closed session.
	LatePresence(ctx context.Context, m bot.AttendanceMark) (bool, error)
	SessionMarks(ctx context.Context, sessionID int64) ([]bot.AttendanceMark, error)
	// MarkAttendance records and audits a facilitator's mark and returns
	// the one it replaced.
	MarkAttendance(ctx context.Context, m bot.AttendanceMark) (*bot.AttendanceMark, error)
	// StreakMarks returns, for the people absent from sessionID, their
	// marks at the given sessions.
	StreakMarks(ctx context.Context, sessionID int64, sessions []int64) ([]bot.AttendanceMark, error)
	// StreakSince returns, for each of the people who (attendee keys),
	// the absences of their current streak up to sessionID, however far
	// back it began, by person then session start.
	StreakSince(ctx context.Context, groupID, sessionID int64, who []string) ([]bot.AttendanceMark, error)
	// RaiseAlerts records drift alerts once per streak (a person already
	// flagged at a session of the same streak is not flagged again) and
	// returns those that belong to the session they are raised at.
	RaiseAlerts(ctx context.Context, alerts []bot.AttendanceAlert) ([]bot.AttendanceAlert, error)
	// TookPart returns which of users ever took part in the group (an
	// RSVP, a mark that counted them as come or a facilitator's, an
	// agreement to its norms, a check-in answer).
	TookPart(ctx context.Context, groupID int64, users []bot.UserID) (map[bot.UserID]bool, error)
}

// ReportStore reads what reports show.
type ReportStore interface {
	RecentClosedSessions(ctx context.Context, groupID int64, until time.Time, limit int) ([]bot.Session, error)
	ClosedSessions(ctx context.Context, groupID int64, from, to time.Time) ([]bot.Session, error)
	HeldSessions(ctx context.Context, groupID int64, from, to time.Time) ([]bot.Session, error)
	GroupMarks(ctx context.Context, groupID int64, from, to time.Time) ([]bot.AttendanceMark, error)
	RosterEntries(ctx context.Context, groupID int64) ([]bot.Member, error)
}

// Job kinds and actions of this feature.
const (
	// KindErase is a later pass of an erasure: it removes what appeared
	// after the first pass (finished jobs that named the person).
	KindErase = "attendance.erase"

	// ActionHere is the "I'm here" button.
	ActionHere = "attendance.here"
	// ActionForget confirms a member's own erasure.
	ActionForget = "attendance.forget"
	// ActionErase confirms a facilitator's erasure of a roster entry.
	ActionErase = "attendance.erase"
	// ActionKeep dismisses a forget confirmation.
	ActionKeep = "attendance.keep"
)

// Presence sources this feature records.
const (
	SourceButton      = "button"
	SourceVoice       = "voice"
	SourceCheckin     = "checkin"
	SourceFacilitator = "facilitator"
	SourceRSVP        = "rsvp"
	SourceAway        = "away"
	SourceNone        = "none"
)

// Feature is the attendance feature: it gathers presence during sessions,
// computes everyone's mark when a session ends, tells the facilitators,
// flags members who are drifting away, answers reports, and keeps a
// member's data rights (mydata, forget).
type Feature struct {
	st    Store
	send  bot.Deliverer
	clock bot.Clock
	log   *slog.Logger
	b     *bot.Bot
	r     *bot.Runner
	// maxFile bounds an export sent in chat (bot.MaxFileSize; tests lower
	// it).
	maxFile int
}

var (
	_ bot.Feature       = (*Feature)(nil)
	_ bot.ConfigApplier = (*Feature)(nil)
)

// New returns the feature over its store. d.Sender is required.
func New(st Store, d bot.Deps) (*Feature, error) {
	if st == nil || d.Sender == nil {
		return nil, errors.New("attendance: a Store and Deps.Sender are required")
	}
	d = d.WithDefaults()
	return &Feature{st: st, send: d.Sender, clock: d.Clock, log: d.Logger, maxFile: bot.MaxFileSize}, nil
}

// Register adds the feature's commands, buttons, subscribers and job kind.
func (f *Feature) Register(b *bot.Bot, r *bot.Runner) error {
	f.b, f.r = b, r
	if err := r.Register(bot.JobKind{Name: KindErase, Run: f.runErase, Label: func(bot.Job) string { return "erasing a member's data" }}); err != nil {
		return fmt.Errorf("attendance: register: %w", err)
	}
	if err := b.OnSession("attendance", f.onSession, bot.PhaseStarted, bot.PhaseEnded); err != nil {
		return fmt.Errorf("attendance: register: %w", err)
	}
	if err := b.OnPresence("attendance", f.onPresence); err != nil {
		return fmt.Errorf("attendance: register: %w", err)
	}
	b.Subscribe("attendance", f.onVoice)
	// Who asked to be forgotten is not counted, asked or messaged by any
	// feature (bot.People leaves them out).
	b.SetTrackingFilter(func(ctx context.Context, g bot.Group) (func(bot.UserID) bool, error) {
		return f.st.TrackingFilter(ctx, g.Address.Platform, g.ID)
	})
	if err := f.registerCommands(); err != nil {
		return fmt.Errorf("attendance: register: %w", err)
	}
	return nil
}

// onSession starts watching a session when it starts and closes it when
// it ends.
func (f *Feature) onSession(ctx context.Context, ev *bot.SessionEvent) ([]bot.Outbound, error) {
	s, err := f.settings(ctx, ev.Group)
	if err != nil {
		return nil, err
	}
	if !s.Enabled {
		return nil, nil
	}
	switch ev.Phase {
	case bot.PhaseStarted:
		return f.started(ctx, ev.Group, ev.Session, s)
	case bot.PhaseEnded:
		return nil, f.ended(ctx, ev.Group, ev.Session, s)
	}
	return nil, nil
}
