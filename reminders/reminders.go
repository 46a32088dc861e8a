package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/schedule"
)

// Store is what reminders keeps in the database. *store.DB satisfies it.
// Every method returns an error wrapping bot.ErrNotFound for a missing row
// and bot.ErrConflict for a change that clashes with the state (cancelling a
// session that is not scheduled). Methods are safe for concurrent use.
type Store interface {
	GroupByID(ctx context.Context, id int64) (bot.Group, error)
	SeriesStore
	SessionStore
	MemberStore
	LogStore
}

// SeriesStore keeps each group's series.
type SeriesStore interface {
	// SaveSeries stores a series; a changed schedule cancels the old one's
	// sessions that have not started, enqueueing what onCancel returns for
	// each in the same transaction. It reports whether the schedule
	// changed.
	SaveSeries(ctx context.Context, s bot.Series, now time.Time, onCancel func(bot.Session) []bot.Job) (bool, error)
	Series(ctx context.Context, groupID int64) (bot.Series, error)
	SetSeriesPaused(ctx context.Context, groupID int64, paused bool, now time.Time) error
	// AddSeries stores new series with their first sessions (sessions
	// returns them) and each session's jobs, many groups per transaction,
	// as SaveSeries and MaterializeSession would one by one. It returns
	// the groups left out because they have a series already. A series
	// with AheadAt set gets no sessions; the job ahead returns for the
	// earliest such time is enqueued with them.
	AddSeries(ctx context.Context, now time.Time, series []bot.Series, sessions func(bot.Series) []bot.Session, jobs func(bot.Series, bot.Session) []bot.Job, ahead func(time.Time) bot.Job) ([]int64, error)
	// SeriesDueAhead returns up to limit deferred series whose AheadAt is
	// until or earlier, earliest first; NextSeriesAhead the earliest
	// AheadAt of all.
	SeriesDueAhead(ctx context.Context, until time.Time, limit int) ([]bot.Series, error)
	NextSeriesAhead(ctx context.Context) (time.Time, bool, error)
	// SetSeriesAhead changes a series' AheadAt from was to at (zero: none)
	// and enqueues then (when not nil) in the same transaction; false when
	// AheadAt was no longer was.
	SetSeriesAhead(ctx context.Context, groupID int64, was, at time.Time, then *bot.Job) (bool, error)
}

// SessionStore keeps the materialised sessions and, with them, their jobs.
type SessionStore interface {
	// LastPlannedSession returns the latest session of the current schedule
	// and the start the schedule gave it (a moved session counts as its
	// original).
	LastPlannedSession(ctx context.Context, groupID int64) (bot.Session, time.Time, bool, error)
	// MaterializeSession stores a session and its jobs in one transaction;
	// it is idempotent by (group, schedule, number).
	MaterializeSession(ctx context.Context, s bot.Session, jobs func(bot.Session) []bot.Job) (bot.Session, bool, error)
	Session(ctx context.Context, id int64) (bot.Session, error)
	UpcomingSessions(ctx context.Context, groupID int64, from time.Time, limit int) ([]bot.Session, error)
	// ReplacedSessions returns the sessions of replaced schedules that were
	// never held and end after from, earliest first.
	ReplacedSessions(ctx context.Context, groupID int64, from time.Time, limit int) ([]bot.Session, error)
	// CountReplacedSessions counts them.
	CountReplacedSessions(ctx context.Context, groupID int64, from time.Time) (int, error)
	// LiveSessions returns the sessions ending after from without those of
	// replaced schedules that were never held, earliest first.
	LiveSessions(ctx context.Context, groupID int64, from time.Time, limit int) ([]bot.Session, error)
	RecentSessions(ctx context.Context, groupID int64, until time.Time, limit int) ([]bot.Session, error)
	SetSessionStatus(ctx context.Context, id int64, status bot.SessionStatus) error
	// CancelSession and MoveSession skip the session's pending jobs, of
	// every feature, with the reason, and enqueue the jobs given (session
	// events), in the same transaction. MoveSession carries other
	// features' pending jobs to the new session.
	CancelSession(ctx context.Context, id int64, why string, now time.Time, then func(bot.Session) []bot.Job) error
	MoveSession(ctx context.Context, id int64, start, end, now time.Time, jobs func(bot.Session) []bot.Job) (bot.Session, error)
}

// MemberStore keeps what members say: RSVPs (a "no" is an excused absence
// attendance reads), away dates and DM opt-ins.
type MemberStore interface {
	MemberByUser(ctx context.Context, groupID int64, user bot.UserID) (bot.Member, error)
	SetRSVP(ctx context.Context, r bot.RSVP) error
	RSVPs(ctx context.Context, sessionID int64) ([]bot.RSVP, error)
	// SetAway records a member away until until (zero: back), on their
	// roster entry or, without one, as a channel member.
	SetAway(ctx context.Context, groupID int64, user bot.UserID, until time.Time) error
	SetReminderDM(ctx context.Context, groupID int64, user bot.UserID, on bool, now time.Time) error
	// ReminderDMUsers returns who opted in and is an active member not
	// away at the given time.
	ReminderDMUsers(ctx context.Context, groupID int64, at time.Time) ([]bot.UserID, error)
}

// LogStore reads what was done: the jobs and the outbox.
type LogStore interface {
	// SessionJobs returns a session's jobs, of every feature, for the
	// session log.
	SessionJobs(ctx context.Context, sessionID int64) ([]bot.Job, error)
	// SentMessages returns sent outbox entries whose key has prefix.
	SentMessages(ctx context.Context, prefix string) ([]bot.OutboxEntry, error)
	// OutboxEntry returns the delivery record of key.
	OutboxEntry(ctx context.Context, key string) (bot.OutboxEntry, error)
	// RanBetween reports whether a tend run (this one or an earlier one)
	// held the database at some moment of [from, to).
	RanBetween(ctx context.Context, from, to time.Time) (bool, error)
}

// Settings are a group's reminder choices: lead times, RSVP buttons, DM
// reminders, the "starting now" post.
type Settings = bot.ReminderSettings

// DefaultLeads are the lead times used when none are given.
var DefaultLeads = []time.Duration{24 * time.Hour, time.Hour}

// DefaultSettings returns the settings a group gets unless it says
// otherwise: reminders 24h and 1h before, with RSVP buttons.
func DefaultSettings() Settings {
	return Settings{Leads: slices.Clone(DefaultLeads), RSVP: true}
}

// Job kinds this package handles.
const (
	KindReminder = "reminders.reminder"
	KindStart    = "reminders.start"
	KindEnd      = "reminders.end"
	// KindAhead stores the first sessions of the series deferred to its
	// due time or earlier (see ahead.go).
	KindAhead = "reminders.ahead"
)

// Timing of notes and late posts.
const (
	// lateAfter is how late a reminder may run before it is noted as
	// "sent late".
	lateAfter = time.Minute
	// startingNowWithin bounds how long after a session's start the
	// "starting now" post is still sent.
	startingNowWithin = 15 * time.Minute
)

// Reminders is the feature: commands, buttons and job handlers over the
// store. It holds no schedules in memory; the jobs table is the truth.
type Reminders struct {
	b      *bot.Bot
	runner *bot.Runner
	st     Store
	send   bot.Deliverer
	clock  bot.Clock
	log    *slog.Logger
	obs    bot.Observer
	// rsvpLocks serialise RSVP count updates per session (striped; a
	// one-slot channel each, so that a waiter can give up with its ctx).
	rsvpLocks [64]chan struct{}
	// changes counts changes to sessions and series, for reminders that
	// wait for their due time (see early.go).
	changes changeCounter
	// configFile and configLine say where the config file declares a
	// group, for refusals that send a facilitator there.
	configFile string
	configLine func(group string) int
}

var _ bot.Feature = (*Reminders)(nil)

// New returns the feature over its store. d.Sender is required: the core's
// *bot.Sender, whose outbox makes each keyed post once.
func New(st Store, d bot.Deps) (*Reminders, error) {
	if st == nil || d.Sender == nil {
		return nil, errors.New("reminders: a Store and Deps.Sender are required")
	}
	d = d.WithDefaults()
	rm := &Reminders{send: d.Sender, clock: d.Clock, log: d.Logger, obs: d.Observer, configFile: d.ConfigFile, configLine: d.ConfigLine}
	rm.st = watchedStore{Store: st, changes: &rm.changes}
	for i := range rm.rsvpLocks {
		rm.rsvpLocks[i] = make(chan struct{}, 1)
	}
	return rm, nil
}

// Register adds the feature's commands, RSVP buttons and job kinds to b
// and r.
func (rm *Reminders) Register(b *bot.Bot, r *bot.Runner) error {
	rm.b, rm.runner = b, r
	for _, k := range []bot.JobKind{
		// A reminder retries through an outage for as long as it is
		// useful: backoff is capped at 10 minutes, so this covers the
		// longest lead (14 days); once its session has started the
		// handler records it missed, saying why.
		{Name: KindReminder, Prepare: rm.prepareReminder, Label: reminderLabel, MaxAttempts: 2100},
		{Name: KindStart, Run: rm.runStart, Label: func(bot.Job) string { return "start" }},
		{Name: KindEnd, Run: rm.runEnd, Label: func(bot.Job) string { return "end" }},
		{Name: KindScheduleChanged, Run: rm.runScheduleChanged},
		{Name: KindAhead, Run: rm.runAhead, Label: func(bot.Job) string { return "store deferred sessions" }},
	} {
		if err := r.Register(k); err != nil {
			return fmt.Errorf("reminders: register: %w", err)
		}
	}
	if err := rm.registerCommands(); err != nil {
		return fmt.Errorf("reminders: register: %w", err)
	}
	return nil
}

// ApplyConfig stores the config-declared schedule and settings of a group
// and materialises its next sessions. A schedule equal to the stored one
// changes nothing, so calling it at every start is safe; a different one
// cancels the sessions of the old schedule that have not started.
func (rm *Reminders) ApplyConfig(ctx context.Context, groupID int64, s bot.Schedule, rs Settings) error {
	g, err := rm.st.GroupByID(ctx, groupID)
	if err != nil {
		return fmt.Errorf("reminders: apply config to group %d: %w", groupID, err)
	}
	_, err = rm.saveSeries(ctx, g, s, rs, bot.SourceConfig)
	if err != nil {
		return fmt.Errorf("reminders: apply config to group %s: %w", g.Name, err)
	}
	return nil
}

// saveSeries validates and stores a schedule and materialises what is due
// ahead. A stored series keeps its resolved start date when the schedule is
// otherwise the same, so that session numbers do not restart.
func (rm *Reminders) saveSeries(ctx context.Context, g bot.Group, s bot.Schedule, rs Settings, source string) (*schedule.Plan, error) {
	loc, err := g.Location()
	if err != nil {
		return nil, err
	}
	now := rm.clock.Now()
	old, oerr := rm.st.Series(ctx, g.ID)
	if oerr != nil && !errors.Is(oerr, bot.ErrNotFound) {
		return nil, oerr
	}
	if s.Starts == "" && oerr == nil {
		cmp := s
		cmp.Starts = old.Schedule.Starts
		if sameSchedule(cmp, old.Schedule) {
			s.Starts = old.Schedule.Starts
		}
	}
	ser, plan, err := rm.planSeries(g, s, rs, source, loc, now, nil)
	if err != nil {
		return nil, err
	}
	if oerr == nil {
		// Pausing is a facilitator's decision; neither a restart nor a new
		// schedule undoes it.
		ser.Paused = old.Paused
	} else if source == bot.SourceConfig {
		// A group the config file declares, new: as ApplyConfigs stores
		// many, so that its first sessions may wait until they are near.
		ser.AheadAt = deferTo(ser, firstOccurrence(plan, now), now)
		skipped, err := rm.st.AddSeries(ctx, now, []bot.Series{ser},
			func(ser bot.Series) []bot.Session { return firstSessions(ser, plan, now) },
			func(ser bot.Series, s bot.Session) []bot.Job { return rm.jobsFor(ser, now)(s) },
			aheadJob)
		if err != nil {
			return nil, err
		}
		if len(skipped) == 0 {
			rm.runner.Notify()
			return plan, nil
		}
		// A series was stored meanwhile: replaced as any other.
		ser.AheadAt = time.Time{}
	}
	if oerr != nil || !sameSeries(old, ser) {
		// A config applied again at every start changes nothing and
		// writes nothing.
		if err := rm.replaceSeries(ctx, g, ser, now); err != nil {
			return nil, err
		}
	}
	if _, err := rm.materializeSeries(ctx, ser, now, nil); err != nil {
		return nil, err
	}
	rm.runner.Notify()
	return plan, nil
}

// planSeries validates a schedule and its reminder settings for group g
// and returns the series to store, with its plan.
func (rm *Reminders) planSeries(g bot.Group, s bot.Schedule, rs Settings, source string, loc *time.Location, now time.Time, plans *planCache) (bot.Series, *schedule.Plan, error) {
	plan, err := plans.newPlan(s, loc, now)
	switch {
	case schedule.IsEnded(err) && source == bot.SourceConfig:
		// A course the config file declares has finished: it is stored
		// as it is, and nothing more is scheduled. tend must go on
		// starting for every other group.
		rm.log.Info("the series declared in the config file has ended; nothing more is scheduled", bot.KeyGroup, g.Name)
	case err != nil:
		return bot.Series{}, nil, &bot.UserError{Msg: "That schedule cannot be used: " + err.Error() + ".", Err: err}
	}
	if rs.Leads == nil {
		rs.Leads = slices.Clone(DefaultLeads)
	}
	if err := checkLeads(rs.Leads); err != nil {
		return bot.Series{}, nil, &bot.UserError{Msg: err.Error() + ".", Err: err}
	}
	return bot.Series{GroupID: g.ID, Schedule: plan.Schedule(), Settings: rs, Source: source}, plan, nil
}

// sameSeries reports whether storing b over a would change nothing.
func sameSeries(a, b bot.Series) bool {
	secs := func(d time.Duration) int64 { return int64(d / time.Second) }
	return sameSchedule(a.Schedule, b.Schedule) &&
		slices.Equal(mapSlice(a.Settings.Leads, secs), mapSlice(b.Settings.Leads, secs)) &&
		a.Settings.RSVP == b.Settings.RSVP && a.Settings.DM == b.Settings.DM && a.Settings.StartingNow == b.Settings.StartingNow &&
		a.Paused == b.Paused && a.Source == b.Source
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func sameSchedule(a, b bot.Schedule) bool {
	// Field by field: a stored empty topic list and a nil one are the same
	// schedule, and treating them as different would replace the series
	// (new sessions, new keys) at every start.
	// Durations are stored in whole seconds.
	return a.Cron == b.Cron && a.Weekly == b.Weekly && a.Duration/time.Second == b.Duration/time.Second && a.Starts == b.Starts &&
		a.Until == b.Until && a.Count == b.Count && slices.Equal(a.Topics, b.Topics) && a.Link == b.Link &&
		a.VoiceChannel == b.VoiceChannel
}

func checkLeads(ls []time.Duration) error { return schedule.ValidateLeads(ls) }

// ParseLeads reads lead times as chat writes them (see schedule.ParseLeads).
func ParseLeads(s string) ([]time.Duration, error) { return schedule.ParseLeads(s) }

// LeadName is the lead's form in outbox and job keys: "24h", "1h30m", "5m".
func LeadName(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// payload is a job's data.
type payload struct {
	Session int64 `json:"session"`
	Lead    int64 `json:"lead,omitempty"` // seconds, for reminders
}

// ReminderKey is the outbox key of a session's reminder post:
// "reminder/<session>/<lead>".
func ReminderKey(sessionID int64, lead time.Duration) string {
	return "reminder/" + strconv.FormatInt(sessionID, 10) + "/" + LeadName(lead)
}

// jobKey is the key of a job of this feature about a session:
// "<kind>/<session>[/<rest>]".
func jobKey(kind string, sessionID int64, rest string) string {
	k := kind + "/" + strconv.FormatInt(sessionID, 10)
	if rest != "" {
		k += "/" + rest
	}
	return k
}

// reminderLabel names a reminder job in the session log.
func reminderLabel(j bot.Job) string {
	var p payload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Lead == 0 {
		return "reminder"
	}
	return "reminder " + LeadName(time.Duration(p.Lead)*time.Second) + " before"
}

// jobsFor builds a session's due work: a reminder per lead, its start and
// its end, and the session's PhaseScheduled events for other features.
// Reminders whose time has already passed when the session is first
// stored (a series scheduled at short notice) are not made, except the
// latest one, which is due at once: people hear of the session once,
// promptly, and are not told it is late. A session stored after it started
// (tend was down over it) gets every job at its own time, so that the
// session log shows each as missed.
func (rm *Reminders) jobsFor(ser bot.Series, now time.Time) func(bot.Session) []bot.Job {
	return func(s bot.Session) []bot.Job {
		var jobs []bot.Job
		leads := slices.Clone(ser.Settings.Leads)
		slices.Sort(leads) // shortest first
		kept := false
		for _, l := range leads {
			due := s.Start.Add(-l)
			if due.Before(now) && s.Start.After(now) {
				// Passed already: only when no shorter lead is still to
				// come does the latest passed one go out, at once.
				if kept {
					continue
				}
				due = now
			}
			kept = true
			p, _ := json.Marshal(payload{Session: s.ID, Lead: int64(l / time.Second)})
			jobs = append(jobs, bot.Job{Kind: KindReminder, Key: jobKey(KindReminder, s.ID, LeadName(l)), GroupID: s.GroupID, SessionID: s.ID, DueAt: due, Payload: p})
		}
		p, _ := json.Marshal(payload{Session: s.ID})
		jobs = append(jobs,
			bot.Job{Kind: KindStart, Key: jobKey(KindStart, s.ID, ""), GroupID: s.GroupID, SessionID: s.ID, DueAt: s.Start, Payload: p},
			bot.Job{Kind: KindEnd, Key: jobKey(KindEnd, s.ID, ""), GroupID: s.GroupID, SessionID: s.ID, DueAt: s.End, Payload: p})
		// now may be a time ahead that the series is computed from; the
		// event happens now.
		ev := &bot.SessionEvent{Phase: bot.PhaseScheduled, Group: bot.Group{ID: s.GroupID}, Session: s, EventMeta: bot.EventMeta{At: rm.clock.Now()}}
		return append(jobs, rm.b.SessionEventJobs(ev)...)
	}
}

// cancelledEvents returns, for a session being cancelled, the jobs of its
// PhaseCancelled events.
func (rm *Reminders) cancelledEvents(g bot.Group, why string, now time.Time) func(bot.Session) []bot.Job {
	return func(s bot.Session) []bot.Job {
		return rm.b.SessionEventJobs(&bot.SessionEvent{Phase: bot.PhaseCancelled, Group: g, Session: s, Note: why, EventMeta: bot.EventMeta{At: now}})
	}
}

// maxAhead bounds how many sessions one call materialises.
const maxAhead = 60

// ensureAhead stores the group's sessions up to and including the first
// one that starts after now plus its longest lead time, so that every
// reminder's job exists before it is due. It is idempotent.
func (rm *Reminders) ensureAhead(ctx context.Context, groupID int64, now time.Time) error {
	_, err := rm.materialize(ctx, groupID, now, nil)
	return err
}

// materialize stores the group's next sessions until stop says so (or, with
// a nil stop, as ensureAhead describes) and returns the sessions of the
// current schedule it visited. A paused series or one without a schedule
// materialises nothing.
func (rm *Reminders) materialize(ctx context.Context, groupID int64, now time.Time, stop func(bot.Session) bool) ([]bot.Session, error) {
	ser, err := rm.st.Series(ctx, groupID)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return rm.materializeSeries(ctx, ser, now, stop)
}

// materializeSeries is materialize for a series already read.
func (rm *Reminders) materializeSeries(ctx context.Context, ser bot.Series, now time.Time, stop func(bot.Session) bool) ([]bot.Session, error) {
	groupID := ser.GroupID
	if ser.Paused {
		return nil, nil
	}
	horizon := now.Add(slices.Max(append([]time.Duration{0}, ser.Settings.Leads...)))
	if stop == nil {
		// A cancelled session runs no jobs, so it cannot carry the chain:
		// go on to the next one that will be held.
		stop = func(s bot.Session) bool { return s.Status != bot.SessionCancelled && s.Start.After(horizon) }
	}
	last, planned, have, err := rm.st.LastPlannedSession(ctx, groupID)
	if err != nil {
		return nil, err
	}
	if have && stop(last) {
		return []bot.Session{last}, nil
	}
	g, err := rm.st.GroupByID(ctx, groupID)
	if err != nil {
		return nil, err
	}
	loc, err := g.Location()
	if err != nil {
		return nil, err
	}
	plan, err := schedule.ParsePlan(ser.Schedule, loc)
	if err != nil {
		return nil, fmt.Errorf("stored schedule of group %s no longer parses: %w", g.Name, err)
	}
	var (
		o  schedule.Occurrence
		ok bool
	)
	if have {
		o, ok = plan.After(schedule.Occurrence{Number: last.Number, Start: planned})
	} else {
		// A new series starts with its first session that has not ended.
		o, ok = plan.Next(now.Add(-plan.Duration()))
	}
	var out []bot.Session
	for i := 0; ok && i < maxAhead; i++ {
		s := newSession(ser, plan, o)
		s, _, err = rm.st.MaterializeSession(ctx, s, rm.jobsFor(ser, now))
		if err != nil {
			return out, err
		}
		out = append(out, s)
		if stop(s) {
			break
		}
		o, ok = plan.After(o)
	}
	return out, nil
}

// newSession is occurrence o of the series' plan, as a session to store.
func newSession(ser bot.Series, plan *schedule.Plan, o schedule.Occurrence) bot.Session {
	return bot.Session{GroupID: ser.GroupID, Number: o.Number, Start: o.Start, End: o.End, Topic: plan.Topic(o.Number),
		Status: bot.SessionScheduled, Link: ser.Schedule.Link, VoiceChannel: ser.Schedule.VoiceChannel}
}

// sessionEvent builds a core event about s.
func sessionEvent(g bot.Group, s bot.Session, phase bot.SessionPhase, at time.Time) *bot.SessionEvent {
	return &bot.SessionEvent{
		EventMeta: bot.EventMeta{Platform: g.Address.Platform, Guild: g.Guild, Channel: g.Address.Channel, At: at},
		Phase:     phase, Group: g, Session: s,
	}
}
