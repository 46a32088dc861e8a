package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// KindEvent is the job kind of core events delivered durably: one job per
// subscriber and event, so that each subscriber has its own retries and
// its own line in a session's log.
const KindEvent = "core.event"

// SessionSubscriber reacts to one session event. It returns outbounds to
// deliver (posts and DMs with outbox keys; edits, pins, roles). An error
// retries its job with backoff, alone: other subscribers and the reminders
// are not held up.
type SessionSubscriber func(ctx context.Context, ev *SessionEvent) ([]Outbound, error)

// MemberGoneSubscriber reacts to a member leaving a group, like a
// SessionSubscriber.
type MemberGoneSubscriber func(ctx context.Context, ev *MemberGone) ([]Outbound, error)

// MemberAddedSubscriber reacts to a member put on a group's roster, like
// a SessionSubscriber.
type MemberAddedSubscriber func(ctx context.Context, ev *MemberAdded) ([]Outbound, error)

// MemberAddedNote says, in words for the facilitator who added the member,
// what its subscriber will do about it ("" for nothing worth saying). It
// runs while the command is answered: it must be quick and change nothing.
type MemberAddedNote func(ctx context.Context, ev *MemberAdded) (string, error)

// PresenceSubscriber reacts to a member's presence at a session, like a
// SessionSubscriber.
type PresenceSubscriber func(ctx context.Context, ev *Presence) ([]Outbound, error)

// SessionFinder reads one session; *store.DB implements it. A missing
// session wraps ErrNotFound.
type SessionFinder interface {
	Session(ctx context.Context, id int64) (Session, error)
}

type sessionSub struct {
	name   string
	fn     SessionSubscriber
	phases []SessionPhase
}

type goneSub struct {
	name string
	fn   MemberGoneSubscriber
}

type addedSub struct {
	name string
	fn   MemberAddedSubscriber
	note MemberAddedNote
}

type presenceSub struct {
	name string
	fn   PresenceSubscriber
}

// eventPayload is a core event's job payload. It is deterministic for one
// event, so that publishing the same event again (a job that published it
// ran again after a crash) finds the same jobs.
type eventPayload struct {
	Sub   string       `json:"sub"`
	Phase SessionPhase `json:"phase,omitempty"`
	Lead  int64        `json:"lead,omitempty"` // seconds
	From  int64        `json:"from,omitempty"` // PhaseMoved: the old session
	Note  string       `json:"note,omitempty"`
	Gone  bool         `json:"gone,omitempty"`  // a MemberGone event
	Added bool         `json:"added,omitempty"` // a MemberAdded event, by By
	// FromWaitlist: a MemberAdded event of someone a larger capacity let
	// in from the waitlist.
	FromWaitlist bool      `json:"from_waitlist,omitempty"`
	By           Principal `json:"by,omitempty"`
	User         UserID    `json:"user,omitempty"`
	Why          string    `json:"why,omitempty"`
	// Presence: a Presence event with its source and time (Unix seconds).
	Presence string `json:"presence,omitempty"`
	At       int64  `json:"at,omitempty"`
}

// validSubName reports whether s can name a subscriber: a feature's name,
// lowercase letters, digits, '.', '-' and '_'.
func validSubName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// OnSession subscribes fn, under a name unique among session subscribers
// (the feature's name: "norms", "checkins"), to the given phases of every
// session. Each event reaches it in a durable job of its own.
func (b *Bot) OnSession(name string, fn SessionSubscriber, phases ...SessionPhase) error {
	if !validSubName(name) || fn == nil || len(phases) == 0 {
		return fmt.Errorf("bot: session subscriber %q needs a name (lowercase letters, digits, '.', '-'), a function and phases", name)
	}
	for _, p := range phases {
		if !slices.Contains(SessionPhases, p) {
			return fmt.Errorf("bot: session subscriber %q: unknown phase %q", name, p)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.sessionSubs {
		if s.name == name {
			return fmt.Errorf("bot: session subscriber %q registered twice", name)
		}
	}
	b.sessionSubs = append(b.sessionSubs, sessionSub{name: name, fn: fn, phases: slices.Clone(phases)})
	return nil
}

// OnMemberGone subscribes fn, under a unique name, to members leaving a
// group. Each event reaches it in a durable job of its own.
func (b *Bot) OnMemberGone(name string, fn MemberGoneSubscriber) error {
	if !validSubName(name) || fn == nil {
		return fmt.Errorf("bot: member-gone subscriber %q needs a name (lowercase letters, digits, '.', '-') and a function", name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.goneSubs {
		if s.name == name {
			return fmt.Errorf("bot: member-gone subscriber %q registered twice", name)
		}
	}
	b.goneSubs = append(b.goneSubs, goneSub{name: name, fn: fn})
	return nil
}

// OnMemberAdded subscribes fn, under a unique name, to members put on a
// group's roster; each event reaches it in a durable job of its own. note,
// when not nil, tells the facilitator who added the member what fn will
// do, in the answer to their command.
func (b *Bot) OnMemberAdded(name string, fn MemberAddedSubscriber, note MemberAddedNote) error {
	if !validSubName(name) || fn == nil {
		return fmt.Errorf("bot: member-added subscriber %q needs a name (lowercase letters, digits, '.', '-') and a function", name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.addedSubs {
		if s.name == name {
			return fmt.Errorf("bot: member-added subscriber %q registered twice", name)
		}
	}
	b.addedSubs = append(b.addedSubs, addedSub{name: name, fn: fn, note: note})
	return nil
}

// MemberAddedJobs returns the durable jobs that deliver ev to its
// subscribers, one per subscriber, due at ev.At (set to now when zero).
// The feature that adds the member enqueues them in the same transaction
// as the roster entry (a store method taking jobs, as for
// SessionEventJobs), so that a crash between the two cannot lose what the
// subscribers do (norms' welcome); or calls PublishMemberAdded. The same
// event (group, user, time) gives the same jobs.
func (b *Bot) MemberAddedJobs(ev *MemberAdded) []Job {
	b.mu.RLock()
	subs := slices.Clone(b.addedSubs)
	b.mu.RUnlock()
	if ev.At.IsZero() {
		ev.At = b.cfg.Clock.Now()
	}
	jobs := make([]Job, 0, len(subs))
	for _, s := range subs {
		payload, _ := json.Marshal(eventPayload{Sub: s.name, Added: true, User: ev.User, By: ev.By, FromWaitlist: ev.FromWaitlist})
		key := KindEvent + "/" + s.name + "/member_added/" + strconv.FormatInt(ev.Group.ID, 10) + "/" + string(ev.User) + "/" + strconv.FormatInt(ev.At.UnixNano(), 36)
		jobs = append(jobs, Job{Kind: KindEvent, Key: key, GroupID: ev.Group.ID, DueAt: ev.At, Payload: payload})
	}
	return jobs
}

// MemberAddedNotes returns what the MemberAdded subscribers' notes say
// they will do about ev, for the facilitator who added the member. Call it
// before the event's jobs can run (before the transaction that enqueues
// them), so that a note describes what the event will do, not what it did.
// A note that fails is logged and left out: only the words are missing.
func (b *Bot) MemberAddedNotes(ctx context.Context, ev *MemberAdded) []string {
	b.mu.RLock()
	subs := slices.Clone(b.addedSubs)
	b.mu.RUnlock()
	var notes []string
	for _, s := range subs {
		if s.note == nil {
			continue
		}
		n, err := b.callAddedNote(ctx, s, ev)
		if err != nil {
			b.log.Warn("a member-added note failed", "subscriber", s.name, KeyGroup, ev.Group.Name, KeyErr, err)
			continue
		}
		if n != "" {
			notes = append(notes, n)
		}
	}
	return notes
}

// PublishMemberAdded enqueues one durable job per MemberAdded subscriber
// and returns what the subscribers' notes say they will do, for the
// facilitator who added the member. Publishing the same event (same
// group, user and time) again changes nothing.
func (b *Bot) PublishMemberAdded(ctx context.Context, ev *MemberAdded) ([]string, error) {
	if ev.At.IsZero() {
		ev.At = b.cfg.Clock.Now()
	}
	notes := b.MemberAddedNotes(ctx, ev)
	return notes, b.enqueueAll(ctx, b.MemberAddedJobs(ev))
}

// OnPresence subscribes fn, under a unique name, to members' presence at
// sessions. Each event reaches it in a durable job of its own.
func (b *Bot) OnPresence(name string, fn PresenceSubscriber) error {
	if !validSubName(name) || fn == nil {
		return fmt.Errorf("bot: presence subscriber %q needs a name (lowercase letters, digits, '.', '-') and a function", name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.presenceSubs {
		if s.name == name {
			return fmt.Errorf("bot: presence subscriber %q registered twice", name)
		}
	}
	b.presenceSubs = append(b.presenceSubs, presenceSub{name: name, fn: fn})
	return nil
}

// PublishPresence enqueues one durable job per Presence subscriber. The
// same presence (group, session, user, source) published again changes
// nothing: the first time counts.
func (b *Bot) PublishPresence(ctx context.Context, ev *Presence) error {
	b.mu.RLock()
	subs := slices.Clone(b.presenceSubs)
	b.mu.RUnlock()
	if ev.At.IsZero() {
		ev.At = b.cfg.Clock.Now()
	}
	jobs := make([]Job, 0, len(subs))
	for _, s := range subs {
		payload, _ := json.Marshal(eventPayload{Sub: s.name, Presence: ev.Source, User: ev.User, At: ev.At.Unix()})
		key := KindEvent + "/" + s.name + "/presence/" + strconv.FormatInt(ev.SessionID, 10) + "/" + string(ev.User) + "/" + ev.Source
		jobs = append(jobs, Job{Kind: KindEvent, Key: key, GroupID: ev.Group.ID, SessionID: ev.SessionID, DueAt: ev.At, Payload: payload})
	}
	return b.enqueueAll(ctx, jobs)
}

// SessionEventJobs returns the durable jobs that deliver ev to its
// subscribers, one per subscriber of ev.Phase, due at ev.At. The feature
// that changes a session enqueues them in the same transaction as the
// change (a store method taking jobs), so that the event is never lost
// between the two; or calls PublishSession. ev.Group and ev.Session need
// only their ids.
func (b *Bot) SessionEventJobs(ev *SessionEvent) []Job {
	b.mu.RLock()
	subs := slices.Clone(b.sessionSubs)
	b.mu.RUnlock()
	at := ev.At
	if at.IsZero() {
		at = b.cfg.Clock.Now()
	}
	var jobs []Job
	for _, s := range subs {
		if !slices.Contains(s.phases, ev.Phase) {
			continue
		}
		p := eventPayload{Sub: s.name, Phase: ev.Phase, Note: ev.Note}
		key := KindEvent + "/" + s.name + "/" + string(ev.Phase) + "/" + strconv.FormatInt(ev.Session.ID, 10)
		if ev.Phase == PhaseReminderSent {
			p.Lead = int64(ev.Lead / time.Second)
			key += "/" + shortLead(ev.Lead)
		}
		if ev.From != nil {
			p.From = ev.From.ID
		}
		payload, _ := json.Marshal(p) // a struct of strings and numbers
		jobs = append(jobs, Job{Kind: KindEvent, Key: key, GroupID: ev.Group.ID, SessionID: ev.Session.ID, DueAt: at, Payload: payload})
	}
	return jobs
}

// PublishSession enqueues ev's durable jobs (SessionEventJobs). Publishing
// the same event again changes nothing.
func (b *Bot) PublishSession(ctx context.Context, ev *SessionEvent) error {
	return b.enqueueAll(ctx, b.SessionEventJobs(ev))
}

// PublishMemberGone enqueues one durable job per MemberGone subscriber.
func (b *Bot) PublishMemberGone(ctx context.Context, ev *MemberGone) error {
	b.mu.RLock()
	subs := slices.Clone(b.goneSubs)
	b.mu.RUnlock()
	if ev.At.IsZero() {
		ev.At = b.cfg.Clock.Now()
	}
	jobs := make([]Job, 0, len(subs))
	for _, s := range subs {
		payload, _ := json.Marshal(eventPayload{Sub: s.name, Gone: true, User: ev.User, Why: ev.Why})
		key := KindEvent + "/" + s.name + "/member_gone/" + strconv.FormatInt(ev.Group.ID, 10) + "/" + string(ev.User) + "/" + strconv.FormatInt(ev.At.UnixNano(), 36)
		jobs = append(jobs, Job{Kind: KindEvent, Key: key, GroupID: ev.Group.ID, DueAt: ev.At, Payload: payload})
	}
	return b.enqueueAll(ctx, jobs)
}

func (b *Bot) enqueueAll(ctx context.Context, jobs []Job) error {
	if len(jobs) == 0 {
		return nil
	}
	if b.cfg.Runner == nil {
		return errors.New("bot: publish: no Runner configured for durable events")
	}
	var errs []error
	for _, j := range jobs {
		if _, err := b.cfg.Runner.Enqueue(ctx, j); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// runEvent is the job handler of KindEvent: it reads the group and session
// afresh, runs the one subscriber the job is for and delivers what it
// returns.
func (b *Bot) runEvent(ctx context.Context, j Job) (JobResult, error) {
	var p eventPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Sub == "" {
		return JobResult{}, Rejected("event job %s has an unreadable payload", j.Key)
	}
	g, err := b.cfg.Groups.GroupByID(ctx, j.GroupID)
	if errors.Is(err, ErrNotFound) {
		return JobResult{State: JobSkipped, Note: "the group no longer exists"}, nil
	} else if err != nil {
		return JobResult{}, err
	}
	var outs []Outbound
	if p.Presence != "" {
		sub, ok := b.presenceSub(p.Sub)
		if !ok {
			return JobResult{State: JobSkipped, Note: "nothing handles it in this version"}, nil
		}
		ev := &Presence{Group: g, SessionID: j.SessionID, User: p.User, Source: p.Presence, At: time.Unix(p.At, 0).UTC()}
		if outs, err = b.callPresence(ctx, sub, ev); err != nil {
			return JobResult{}, err
		}
	} else if p.Added {
		sub, ok := b.addedSub(p.Sub)
		if !ok {
			return JobResult{State: JobSkipped, Note: "nothing handles it in this version"}, nil
		}
		ev := &MemberAdded{Group: g, User: p.User, By: p.By, FromWaitlist: p.FromWaitlist, At: j.DueAt}
		if outs, err = b.callAdded(ctx, sub, ev); err != nil {
			return JobResult{}, err
		}
	} else if p.Gone {
		sub, ok := b.goneSub(p.Sub)
		if !ok {
			return JobResult{State: JobSkipped, Note: "nothing handles it in this version"}, nil
		}
		ev := &MemberGone{Group: g, User: p.User, Why: p.Why, At: j.DueAt}
		if outs, err = b.callGone(ctx, sub, ev); err != nil {
			return JobResult{}, err
		}
	} else {
		sub, ok := b.sessionSub(p.Sub)
		if !ok {
			return JobResult{State: JobSkipped, Note: "nothing handles it in this version"}, nil
		}
		finder, ok := b.sessions()
		if !ok {
			return JobResult{}, Rejected("no SessionFinder configured")
		}
		s, err := finder.Session(ctx, j.SessionID)
		if errors.Is(err, ErrNotFound) {
			return JobResult{State: JobSkipped, Note: "the session no longer exists"}, nil
		} else if err != nil {
			return JobResult{}, err
		}
		ev := &SessionEvent{
			EventMeta: EventMeta{Platform: g.Address.Platform, Guild: g.Guild, Channel: g.Address.Channel, At: j.DueAt},
			Phase:     p.Phase, Group: g, Session: s, Lead: time.Duration(p.Lead) * time.Second, Note: p.Note,
		}
		if p.From != 0 {
			from, err := finder.Session(ctx, p.From)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return JobResult{}, err
			}
			if err == nil {
				ev.From = &from
			}
		}
		if outs, err = b.callSession(ctx, sub, ev); err != nil {
			return JobResult{}, err
		}
	}
	var errs []error
	for _, o := range outs {
		if o.Kind == OutReply || o.Kind == OutModal {
			continue // nobody to answer
		}
		if _, err := b.cfg.Sender.Send(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return JobResult{}, err
	}
	return JobResult{State: JobDone, Note: "done"}, nil
}

func (b *Bot) sessions() (SessionFinder, bool) {
	if b.cfg.Sessions != nil {
		return b.cfg.Sessions, true
	}
	f, ok := b.cfg.Groups.(SessionFinder)
	return f, ok
}

func (b *Bot) sessionSub(name string) (sessionSub, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, s := range b.sessionSubs {
		if s.name == name {
			return s, true
		}
	}
	return sessionSub{}, false
}

func (b *Bot) presenceSub(name string) (presenceSub, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, s := range b.presenceSubs {
		if s.name == name {
			return s, true
		}
	}
	return presenceSub{}, false
}

func (b *Bot) callPresence(ctx context.Context, s presenceSub, ev *Presence) (outs []Outbound, err error) {
	defer recoverInto(&err)
	return s.fn(ctx, ev)
}

func (b *Bot) addedSub(name string) (addedSub, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, s := range b.addedSubs {
		if s.name == name {
			return s, true
		}
	}
	return addedSub{}, false
}

func (b *Bot) callAdded(ctx context.Context, s addedSub, ev *MemberAdded) (outs []Outbound, err error) {
	defer recoverInto(&err)
	return s.fn(ctx, ev)
}

func (b *Bot) callAddedNote(ctx context.Context, s addedSub, ev *MemberAdded) (note string, err error) {
	defer recoverInto(&err)
	return s.note(ctx, ev)
}

func (b *Bot) goneSub(name string) (goneSub, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, s := range b.goneSubs {
		if s.name == name {
			return s, true
		}
	}
	return goneSub{}, false
}

func (b *Bot) callSession(ctx context.Context, s sessionSub, ev *SessionEvent) (outs []Outbound, err error) {
	defer recoverInto(&err)
	return s.fn(ctx, ev)
}

func (b *Bot) callGone(ctx context.Context, s goneSub, ev *MemberGone) (outs []Outbound, err error) {
	defer recoverInto(&err)
	return s.fn(ctx, ev)
}

// eventLabel names an event job in a session's log: "norms at the start".
func eventLabel(j Job) string {
	var p eventPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return "event"
	}
	if p.Gone {
		return p.Sub + ": a member left"
	}
	if p.Added {
		return p.Sub + ": a member was added"
	}
	if p.Presence != "" {
		return p.Sub + ": presence (" + p.Presence + ")"
	}
	return p.Sub + " " + p.Phase.words(time.Duration(p.Lead)*time.Second)
}
