package norms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Store is what the feature keeps and reads. *store.DB satisfies it. Reads
// of a missing row wrap bot.ErrNotFound. Methods are safe for concurrent
// use.
type Store interface {
	GroupFinder
	Roster
	Sessions
	Ledger
	Newcomers
	// RetentionDays returns how many days group groupID keeps check-in
	// answers (its retention_days; the default when it set none), for the
	// privacy note newcomers read.
	RetentionDays(ctx context.Context, groupID int64) (int, error)
}

// GroupFinder finds the groups an event is about.
type GroupFinder interface {
	GroupByID(ctx context.Context, id int64) (bot.Group, error)
	GroupByAddress(ctx context.Context, a bot.Address) (bot.Group, error)
	// GroupsInGuild returns the groups on platform in a Discord server.
	GroupsInGuild(ctx context.Context, platform, guild string) ([]bot.Group, error)
	// NormsLobbyGroups returns the groups whose lobby channel is a.
	NormsLobbyGroups(ctx context.Context, a bot.Address) ([]bot.Group, error)
	// NormsGatedGroups returns the groups that require agreement and
	// give a role or an invitation on agreeing.
	NormsGatedGroups(ctx context.Context) ([]bot.Group, error)
}

// Roster is the part of a group's roster the feature needs: a closed
// group's newcomers take a place on it by agreeing (AgreeToNorms), active
// or waitlisted.
type Roster interface {
	MemberByUser(ctx context.Context, groupID int64, user bot.UserID) (bot.Member, error)
	ListMembers(ctx context.Context, groupID int64) ([]bot.Member, error)
	// TakeNormsPlace gives user a place on the roster (active, or
	// waitlisted when the group is full, noted on their newcomer record)
	// unless they hold one; safe to repeat.
	TakeNormsPlace(ctx context.Context, by bot.Principal, groupID int64, user bot.UserID) (bot.Member, error)
}

// Sessions reads a group's sessions: the next ones, for the welcome; the
// first one it held, for the contract session.
type Sessions interface {
	UpcomingSessions(ctx context.Context, groupID int64, from time.Time, limit int) ([]bot.Session, error)
	// Series returns the group's series: a series whose first sessions
	// are not stored yet (bot.Series.AheadAt) still has a next session.
	Series(ctx context.Context, groupID int64) (bot.Series, error)
	// FirstHeldSession returns the earliest session that started (running
	// or done); none wraps bot.ErrNotFound.
	FirstHeldSession(ctx context.Context, groupID int64) (bot.Session, error)
}

// Ledger keeps the norms' versions, settings and agreements. Changes that
// lead to due work take the jobs to enqueue in the same transaction.
type Ledger interface {
	CurrentNorms(ctx context.Context, groupID int64) (bot.NormsVersion, error)
	NormsVersion(ctx context.Context, groupID int64, n int) (bot.NormsVersion, error)
	NormsVersions(ctx context.Context, groupID int64) ([]bot.NormsVersion, error)
	AddNormsVersion(ctx context.Context, v bot.NormsVersion, then func(bot.NormsVersion) []bot.Job) (bot.NormsVersion, error)
	NormsSettings(ctx context.Context, groupID int64) (bot.NormsSettings, error)
	SaveNormsSettings(ctx context.Context, by bot.Principal, s bot.NormsSettings, jobs []bot.Job) error
	SetNormsPinned(ctx context.Context, groupID int64, ref bot.MessageRef) error
	// AgreeToNorms reports whether the agreement is new; with placeBy set
	// it also takes the member a place on the roster, as TakeNormsPlace,
	// and returns their entry, in the same transaction.
	AgreeToNorms(ctx context.Context, a bot.NormsAck, placeBy bot.Principal, jobs []bot.Job) (bool, bot.Member, error)
	LatestNormsAck(ctx context.Context, groupID int64, user bot.UserID) (bot.NormsAck, error)
	LatestNormsAcks(ctx context.Context, groupID int64) ([]bot.NormsAck, error)
}

// Newcomers keeps the people who arrived at a group that requires
// agreement.
type Newcomers interface {
	Applicant(ctx context.Context, groupID int64, user bot.UserID) (bot.Applicant, error)
	Applicants(ctx context.Context, groupID int64) ([]bot.Applicant, error)
	// WaitingApplicants returns every group's newcomers waiting for access.
	WaitingApplicants(ctx context.Context) ([]bot.Applicant, error)
	// UpdateApplicant changes (or creates) a record and enqueues the jobs
	// change returns, in one transaction.
	UpdateApplicant(ctx context.Context, groupID int64, user bot.UserID, change func(a *bot.Applicant, exists bool) ([]bot.Job, error)) (bot.Applicant, error)
	// UpdateApplicants changes (or creates) user's records in several
	// groups and enqueues the jobs then returns, in one transaction.
	UpdateApplicants(ctx context.Context, user bot.UserID, groupIDs []int64, change func(a *bot.Applicant, exists bool) error,
		then func([]bot.Applicant) []bot.Job) ([]bot.Applicant, error)
	// LeaveNormsLobby closes the record of a newcomer waiting in round
	// round who left the lobby, and gives up a waitlist place they held,
	// in one transaction; an active place on the roster is kept, with
	// the record. It reports whether the record was closed.
	LeaveNormsLobby(ctx context.Context, by bot.Principal, groupID int64, user bot.UserID, round int) (bool, error)
}

// Job kinds of this feature.
const (
	KindWelcome = "norms.welcome" // a newcomer's private welcome
	KindAdmit   = "norms.admit"   // access after agreeing: a role, an invitation
	KindAsk     = "norms.ask"     // asking members privately to agree to a new version
	KindPost    = "norms.post"    // posting (and pinning) the norms in the group's channel
	KindOffer   = "norms.offer"   // telling a waitlisted newcomer a place is theirs
)

// Actor is the principal that changes the feature makes by itself (a
// newcomer joining a closed group's roster) are audited as.
const Actor bot.Principal = "system:norms"

// ConfigActor is the principal that changes from the config file are
// audited as.
const ConfigActor bot.Principal = "system:config"

// Feature is the norms feature.
type Feature struct {
	st    Store
	send  bot.Deliverer
	clock bot.Clock
	log   *slog.Logger
	b     *bot.Bot
	r     *bot.Runner
	// configFile names the config file in refusals about what it declares.
	configFile string
	// admitLocks serialise the admit jobs of one member of one group, so
	// that two presses of I agree grant the role once.
	admitLocks stripes
}

// stripes are 64 locks, one of which a (group, user) pair takes.
type stripes [64]chan struct{}

func (s *stripes) init() {
	for i := range s {
		s[i] = make(chan struct{}, 1)
	}
}

// lock takes the lock of user in group groupID; it returns when ctx is
// done first.
func (s *stripes) lock(ctx context.Context, groupID int64, user bot.UserID) (func(), error) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", groupID, user)
	l := s[h.Sum64()%uint64(len(s))]
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var (
	_ bot.Feature       = (*Feature)(nil)
	_ bot.ConfigApplier = (*Feature)(nil)
)

// New returns the feature over its store. d.Sender is required: the core's
// *bot.Sender, whose outbox makes each keyed post and DM once.
func New(st Store, d bot.Deps) (*Feature, error) {
	if st == nil || d.Sender == nil {
		return nil, errors.New("norms: a Store and Deps.Sender are required")
	}
	d = d.WithDefaults()
	f := &Feature{st: st, send: d.Sender, clock: d.Clock, log: d.Logger, configFile: d.ConfigFile}
	f.admitLocks.init()
	if f.configFile == "" {
		f.configFile = "the config file"
	}
	return f, nil
}

// Register adds the feature's commands, buttons, job kinds and event
// subscribers, and the core's applicant and participation checks.
func (f *Feature) Register(b *bot.Bot, r *bot.Runner) error {
	if r == nil {
		return errors.New("norms: register: a Runner is required (welcomes and access are durable jobs)")
	}
	f.b, f.r = b, r
	for _, k := range []bot.JobKind{
		{Name: KindWelcome, Run: f.runWelcome, Label: func(bot.Job) string { return "norms: welcome a newcomer" }},
		{Name: KindAdmit, Run: f.runAdmit, Label: func(bot.Job) string { return "norms: access after agreeing" }},
		{Name: KindAsk, Run: f.runAsk, Label: askLabel},
		{Name: KindPost, Run: f.runPost, Label: func(bot.Job) string { return "norms: post and pin" }},
		{Name: KindOffer, Run: f.runOffer, Label: func(bot.Job) string { return "norms: offer a place from the waitlist" }},
	} {
		if err := r.Register(k); err != nil {
			return fmt.Errorf("norms: register: %w", err)
		}
	}
	if err := f.registerCommands(b); err != nil {
		return fmt.Errorf("norms: register: %w", err)
	}
	b.Subscribe("norms", f.inbound)
	if err := b.OnSession("norms", f.onSession, bot.PhaseStarted); err != nil {
		return fmt.Errorf("norms: register: %w", err)
	}
	if err := b.OnMemberGone("norms", f.onGone); err != nil {
		return fmt.Errorf("norms: register: %w", err)
	}
	if err := b.OnMemberAdded("norms", f.onAdded, f.addedNote); err != nil {
		return fmt.Errorf("norms: register: %w", err)
	}
	b.SetApplicantCheck(f.isApplicant)
	b.SetParticipationCheck(f.takesPart)
	return nil
}

// settings returns g's norms settings, or the defaults when none were
// saved.
func (f *Feature) settings(ctx context.Context, g bot.Group) (bot.NormsSettings, error) {
	s, err := f.st.NormsSettings(ctx, g.ID)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.NormsSettings{GroupID: g.ID, Repost: bot.RepostNever}, nil
	}
	return s, err
}

// current returns g's current norms; ok is false when it has none yet.
func (f *Feature) current(ctx context.Context, g bot.Group) (bot.NormsVersion, bool, error) {
	v, err := f.st.CurrentNorms(ctx, g.ID)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.NormsVersion{}, false, nil
	}
	if err != nil {
		return bot.NormsVersion{}, false, err
	}
	return v, true, nil
}

// latestAck returns user's latest agreement to g's norms; ok is false when
// they never agreed.
func (f *Feature) latestAck(ctx context.Context, groupID int64, user bot.UserID) (bot.NormsAck, bool, error) {
	a, err := f.st.LatestNormsAck(ctx, groupID, user)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.NormsAck{}, false, nil
	}
	if err != nil {
		return bot.NormsAck{}, false, err
	}
	return a, true, nil
}

// applicant returns user's newcomer record in g; ok is false when there is
// none.
func (f *Feature) applicant(ctx context.Context, groupID int64, user bot.UserID) (bot.Applicant, bool, error) {
	a, err := f.st.Applicant(ctx, groupID, user)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.Applicant{}, false, nil
	}
	if err != nil {
		return bot.Applicant{}, false, err
	}
	return a, true, nil
}

// isApplicant is the core's ApplicantCheck: user arrived at g, was
// welcomed and is not yet admitted. They may see the norms and the next
// session and agree.
func (f *Feature) isApplicant(ctx context.Context, g bot.Group, user bot.UserID) (bool, error) {
	a, ok, err := f.applicant(ctx, g.ID, user)
	if err != nil || !ok {
		return false, err
	}
	return a.State == bot.ApplicantWaiting, nil
}

// takesPart is the core's ParticipationCheck: in a group that requires
// agreement, a member takes part once they have agreed to its norms and
// hold the access the group gates. A member who agreed to an older version
// keeps taking part while being asked again (a course is never locked out
// mid-series); a newcomer tend welcomed takes part only once admitted — the
// Discord role granted, the invitation made — so that one who agreed while
// rules screening is pending, whose role Discord refused, who waits for a
// place or who agreed to an older version is neither asked to check in nor
// counted absent. Facilitators always take part.
func (f *Feature) takesPart(ctx context.Context, g bot.Group, user bot.UserID) (bool, string, error) {
	s, err := f.settings(ctx, g)
	if err != nil {
		return false, "", err
	}
	if !s.Require || f.isFacilitator(g, user) {
		return true, "", nil
	}
	ack, agreed, err := f.latestAck(ctx, g.ID, user)
	if err != nil {
		return false, "", err
	}
	if !agreed {
		return false, "has not agreed to the group's norms yet", nil
	}
	a, rec, err := f.applicant(ctx, g.ID, user)
	if err != nil {
		return false, "", err
	}
	if !rec || a.State != bot.ApplicantWaiting {
		return true, "", nil
	}
	v, _, err := f.current(ctx, g)
	if err != nil {
		return false, "", err
	}
	switch {
	case ack.Version < v.Version:
		return false, fmt.Sprintf("a newcomer who agreed to version %d of the norms; newcomers need version %d", ack.Version, v.Version), nil
	case a.Pending:
		return false, "a newcomer waiting for Discord's rules screening", nil
	case a.Waitlisted:
		return false, "a newcomer on the waitlist", nil
	default:
		return false, "a newcomer not given access yet", nil
	}
}

// isFacilitator reports whether user facilitates g by account, or is an
// owner. (Role-based facilitators are not told apart from an id alone.)
func (f *Feature) isFacilitator(g bot.Group, user bot.UserID) bool {
	u := bot.User{Platform: g.Address.Platform, ID: user}
	return g.IsFacilitator(u) || (f.b != nil && f.b.IsOwner(u))
}

// jobPayload is the data of the feature's jobs.
type jobPayload struct {
	User    bot.UserID `json:"user,omitempty"`
	Round   int        `json:"round,omitempty"`
	Version int        `json:"version,omitempty"`
	// Recheck: ask the platform rather than trust the last screening
	// flag tend saw (after a restart, events may have been missed).
	Recheck bool `json:"recheck,omitempty"`
	// Groups are the groups a welcome is for, each with its arrival
	// round; Via says how the person arrived.
	Groups []welcomeGroup `json:"groups,omitempty"`
	Via    string         `json:"via,omitempty"`
	// Ready: an offered place comes with access at once (they agreed to
	// the current version already).
	Ready bool `json:"ready,omitempty"`
}

func (p jobPayload) bytes() []byte {
	b, _ := json.Marshal(p) // strings and numbers
	return b
}

func readPayload(j bot.Job) (jobPayload, error) {
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return p, bot.Rejected("job %s has an unreadable payload", j.Key)
	}
	return p, nil
}

// key joins a job kind and its parts: "norms.admit/12/U1/2/agreed".
func key(kind string, groupID int64, parts ...string) string {
	k := kind + "/" + strconv.FormatInt(groupID, 10)
	for _, p := range parts {
		k += "/" + p
	}
	return k
}

// askJob is the job that asks g's members to agree to version v.
func askJob(groupID int64, v int) bot.Job {
	return bot.Job{Kind: KindAsk, Key: key(KindAsk, groupID, strconv.Itoa(v)), GroupID: groupID,
		Payload: jobPayload{Version: v}.bytes()}
}

func askLabel(j bot.Job) string {
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Version == 0 {
		return "norms: ask members to agree"
	}
	return fmt.Sprintf("norms: ask members to agree to version %d", p.Version)
}

// loadGroup reads a job's group; done is set when it no longer exists.
func (f *Feature) loadGroup(ctx context.Context, j bot.Job) (bot.Group, *bot.JobResult, error) {
	g, err := f.st.GroupByID(ctx, j.GroupID)
	if errors.Is(err, bot.ErrNotFound) {
		return g, &bot.JobResult{State: bot.JobSkipped, Note: "the group no longer exists"}, nil
	}
	return g, nil, err
}
