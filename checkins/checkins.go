package checkins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/checkins/safety"
)

// Store is what the feature keeps in the database; *store.DB satisfies it.
// Missing rows wrap bot.ErrNotFound. Methods are safe for concurrent use.
type Store interface {
	bot.GroupStore
	bot.SessionFinder
	MemberByUser(ctx context.Context, groupID int64, user bot.UserID) (bot.Member, error)
	SettingsStore
	CheckInStore
	AlertStore
	// SentMessages returns the sent outbox entries whose key starts with
	// prefix: the messages of an alert, to edit them.
	SentMessages(ctx context.Context, prefix string) ([]bot.OutboxEntry, error)
	// GroupsOfUser returns the groups on platform whose roster has user
	// active; GroupsOnPlatform every group on platform.
	GroupsOfUser(ctx context.Context, platform string, user bot.UserID) ([]bot.Group, error)
	GroupsOnPlatform(ctx context.Context, platform string) ([]bot.Group, error)
}

// SettingsStore keeps each group's check-in settings.
type SettingsStore interface {
	CheckInSettings(ctx context.Context, groupID int64) (bot.CheckInSettings, error)
	// SaveCheckInSettings stores settings (unchanged ones write nothing),
	// enqueueing what jobs returns for them in the same transaction.
	SaveCheckInSettings(ctx context.Context, by bot.Principal, s bot.CheckInSettings, jobs func(bot.CheckInSettings) []bot.Job) (bot.CheckInSettings, bool, error)
}

// CheckInStore keeps check-ins, who was asked and the answers.
type CheckInStore interface {
	// OpenCheckIn stores a check-in with who is asked and its jobs, in one
	// transaction, idempotent by its key.
	OpenCheckIn(ctx context.Context, c bot.CheckIn, asked []bot.UserID, jobs func(bot.CheckIn) []bot.Job) (bot.CheckIn, bool, error)
	CheckIn(ctx context.Context, id int64) (bot.CheckIn, error)
	RecentCheckIns(ctx context.Context, groupID int64, limit int) ([]bot.CheckIn, error)
	PreviousCheckIn(ctx context.Context, c bot.CheckIn) (bot.CheckIn, bool, error)
	CheckInAsked(ctx context.Context, id int64) ([]bot.CheckInAsked, error)
	SetAsked(ctx context.Context, id int64, user bot.UserID, state string) error
	MarkNudged(ctx context.Context, id int64, user bot.UserID) error
	MemberGoneFromCheckIns(ctx context.Context, groupID int64, user bot.UserID, now time.Time) error
	// RecordAnswers stores answers in one transaction, each while its
	// check-in is open; see bot.AnswerOutcome.
	RecordAnswers(ctx context.Context, answers []bot.CheckInAnswer) ([]bot.AnswerOutcome, error)
	CheckInAnswers(ctx context.Context, id int64) ([]bot.CheckInAnswer, error)
	CloseCheckIn(ctx context.Context, id int64, at time.Time, key func(level int) string) (bot.CheckIn, bool, error)
	Informed(ctx context.Context, groupID int64, user bot.UserID) (bool, error)
	MarkInformed(ctx context.Context, groupID int64, user bot.UserID, at time.Time) error
	// PurgeExpired deletes answers, lists and alerts past their group's
	// retention, with the outbox entries and finished jobs named by the
	// key prefixes (ending in "/") or exact keys the functions return.
	PurgeExpired(ctx context.Context, now time.Time, checkInKeys, alertKeys func(id int64) []string) (bot.Purged, error)
}

// AlertStore keeps safety alerts.
type AlertStore interface {
	RecordSignal(ctx context.Context, sig bot.SafetySignal, window time.Duration, jobs func(a bot.SafetyAlert, opened bool) []bot.Job) (bot.SafetyAlert, bool, error)
	SafetyAlert(ctx context.Context, id int64) (bot.SafetyAlert, error)
	TakeSafetyAlert(ctx context.Context, id int64, by bot.Principal, at time.Time) (bot.SafetyAlert, bool, error)
	SetSafetyAlertStage(ctx context.Context, id int64, stage int) error
}

// Job kinds.
const (
	KindDeliver   = "checkins.deliver"   // ask the members of a check-in
	KindClose     = "checkins.close"     // close a check-in: summary, tally
	KindNudge     = "checkins.nudge"     // one gentle reminder to those who have not answered
	KindBetween   = "checkins.between"   // open a between-session check-in and schedule the next
	KindAlert     = "checkins.alert"     // make sure an alert (or its update) reached the facilitators
	KindEscalate  = "checkins.escalate"  // an alert nobody took: the other facilitators, then the owners
	KindPing      = "checkins.ping"      // a later signal on an alert nobody took, held back to coalesce: a short new post
	KindRetention = "checkins.retention" // delete what is past its group's retention, daily
)

// Action names of the buttons and forms.
const (
	ActionAnswer = "checkin.answer" // Ref: "<check-in>.<level>", ".p" pass, ".t" the form
	ActionText   = "checkin.text"   // form submit; Ref: the check-in
	ActionTake   = "safety.take"    // "I'm on it"; Ref: the alert
)

// Defaults and bounds.
const (
	DefaultEscalateAfter = 10 * time.Minute
	// SignalWindow is how close together one member's signals must be to
	// update one alert rather than raise another.
	SignalWindow = 15 * time.Minute
	// DefaultStartWindow and DefaultBetweenWindow are how long a check-in
	// stays open unless its window says otherwise.
	DefaultStartWindow   = 15 * time.Minute
	DefaultBetweenWindow = 24 * time.Hour
	// alertBackup is how long after a signal its durable job runs, to
	// deliver the alert if the direct delivery did not (a crash).
	alertBackup = 20 * time.Second
	// askBackup is how long after checkin start its durable job asks
	// whoever the command could not.
	askBackup = 30 * time.Second
	// maxChoices bounds a choice check-in's choices (buttons per message).
	maxChoices = 10
	// maxAnswerLen bounds a text answer; maxWordLen a word answer.
	maxAnswerLen = 1000
	maxWordLen   = 40
)

// Feature is the check-ins feature.
type Feature struct {
	st    Store
	send  bot.Deliverer
	clock bot.Clock
	log   *slog.Logger
	obs   bot.Observer
	b     *bot.Bot
	r     *bot.Runner

	// lexicon is replaced when the operator's crisis phrases are applied.
	lexicon atomic.Pointer[safety.Lexicon]
	// watched: the operator says alerts are watched around the clock.
	watched atomic.Bool
	// alertLocks serialise the delivery and edits of one alert;
	// checkInLocks the asking of one check-in.
	alertLocks   stripes
	checkInLocks stripes
	writer       answerWriter
	configFile   string

	// shown is what the messages of each recent alert show; see refresh.
	shownMu sync.Mutex
	shown   map[int64]*shownAlert

	// found remembers, for a few minutes, in which groups' channels a
	// sender on no roster was found (see onEvent), by platform and user.
	found *bot.Cache[string, []int64]
}

// stripes are a fixed set of locks shared by ids, each a one-slot channel
// so that a waiter can give up with its ctx.
type stripes [64]chan struct{}

func (s *stripes) init() {
	for i := range s {
		s[i] = make(chan struct{}, 1)
	}
}

// lock takes the lock of id.
func (s *stripes) lock(ctx context.Context, id int64) (func(), error) {
	l := s[uint64(id)%uint64(len(s))]
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var (
	_ bot.Feature        = (*Feature)(nil)
	_ bot.SectionApplier = (*Feature)(nil)
)

// New returns the feature over its store. d.Sender is required: the core's
// *bot.Sender, whose outbox makes each keyed post and DM once.
func New(st Store, d bot.Deps) (*Feature, error) {
	if st == nil || d.Sender == nil {
		return nil, errors.New("checkins: a Store and Deps.Sender are required")
	}
	d = d.WithDefaults()
	f := &Feature{st: st, send: d.Sender, clock: d.Clock, log: d.Logger, obs: d.Observer, configFile: d.ConfigFile}
	if f.configFile == "" {
		f.configFile = "the config file"
	}
	lex, err := safety.New(nil)
	if err != nil {
		return nil, fmt.Errorf("checkins: %w", err)
	}
	f.lexicon.Store(lex)
	f.shown = map[int64]*shownAlert{}
	f.found = bot.NewCache[string, []int64](foundSenders, foundFor, f.clock)
	f.alertLocks.init()
	f.checkInLocks.init()
	f.writer.st = st
	return f, nil
}

// Register adds the feature's commands, buttons, job kinds and
// subscribers, and makes sure the daily retention job is waiting.
func (f *Feature) Register(b *bot.Bot, r *bot.Runner) error {
	f.b, f.r = b, r
	for _, k := range []bot.JobKind{
		{Name: KindDeliver, Run: f.runDeliver, Label: func(bot.Job) string { return "check-in asked" }},
		{Name: KindClose, Run: f.runClose, Label: func(bot.Job) string { return "check-in closes (summary)" }},
		{Name: KindNudge, Run: f.runNudge, Label: func(bot.Job) string { return "check-in nudge" }},
		{Name: KindBetween, Run: f.runBetween, Label: func(bot.Job) string { return "between-session check-in" }},
		{Name: KindAlert, Run: f.runAlert, Label: func(bot.Job) string { return "safety alert" }},
		{Name: KindEscalate, Run: f.runEscalate, Label: func(bot.Job) string { return "safety alert escalation" }},
		{Name: KindPing, Run: f.runPing, Label: func(bot.Job) string { return "safety alert, new message" }},
		{Name: KindRetention, Run: f.runRetention, Label: func(bot.Job) string { return "delete expired check-in answers" }},
	} {
		if err := r.Register(k); err != nil {
			return fmt.Errorf("checkins: register: %w", err)
		}
	}
	if err := b.OnSession("checkins", f.onSession, bot.PhaseStarted); err != nil {
		return fmt.Errorf("checkins: register: %w", err)
	}
	if err := b.OnMemberGone("checkins", f.onMemberGone); err != nil {
		return fmt.Errorf("checkins: register: %w", err)
	}
	b.Subscribe("checkins", f.onEvent)
	if err := f.registerCommands(); err != nil {
		return fmt.Errorf("checkins: register: %w", err)
	}
	return nil
}

// lockAlert serialises work on one alert: its first delivery and its
// escalation. Edits are serialised by refresh.
func (f *Feature) lockAlert(ctx context.Context, id int64) (func(), error) {
	return f.alertLocks.lock(ctx, id)
}

// settings returns a group's check-in settings, or the defaults when it
// has none stored.
func (f *Feature) settings(ctx context.Context, groupID int64) (bot.CheckInSettings, error) {
	s, err := f.st.CheckInSettings(ctx, groupID)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.CheckInSettings{GroupID: groupID, EscalateAfter: DefaultEscalateAfter, RetentionDays: DefaultRetentionDays, Source: bot.SourceChat}, nil
	}
	return s, err
}

// DefaultRetentionDays is how long answers and alerts are kept unless a
// group says otherwise.
const DefaultRetentionDays = 90

// Key helpers. Outbox keys of a check-in start with "checkins/c/<id>/" and
// of an alert with "safety/alert/<id>/", so that retention finds them all.

func checkInPrefix(id int64) string { return "checkins/c/" + strconv.FormatInt(id, 10) + "/" }
func alertPrefix(id int64) string   { return "safety/alert/" + strconv.FormatInt(id, 10) + "/" }

func jobKey(kind string, parts ...any) string {
	var b strings.Builder
	b.WriteString(kind)
	for _, p := range parts {
		b.WriteByte('/')
		fmt.Fprint(&b, p)
	}
	return b.String()
}

// purgeCheckInKeys and purgeAlertKeys name what retention deletes with a
// check-in or an alert: outbox entries (prefixes ending in "/") and jobs.
func purgeCheckInKeys(id int64) []string {
	return []string{checkInPrefix(id), jobKey(KindDeliver, id), jobKey(KindClose, id), jobKey(KindNudge, id)}
}

func purgeAlertKeys(id int64) []string {
	return []string{alertPrefix(id), jobKey(KindAlert, id) + "/", jobKey(KindEscalate, id) + "/", jobKey(KindPing, id) + "/"}
}
