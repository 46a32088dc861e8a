package bot

import "time"

// CheckInKind is what a check-in asks for.
type CheckInKind string

// Check-in kinds.
const (
	CheckInScale   CheckInKind = "scale"   // 1 (lowest) to 5, with labels
	CheckInTraffic CheckInKind = "traffic" // green, yellow, red
	CheckInChoice  CheckInKind = "choice"  // one of the configured choices
	CheckInWord    CheckInKind = "word"    // one word, typed in a form
	CheckInText    CheckInKind = "text"    // a short text, typed in a form
)

// CheckInKinds lists every kind, in the order help shows them.
var CheckInKinds = []CheckInKind{CheckInScale, CheckInTraffic, CheckInChoice, CheckInWord, CheckInText}

// FreeText reports whether answers of kind k are typed by the member:
// such kinds are off in a privacy: minimal group.
func (k CheckInKind) FreeText() bool { return k == CheckInWord || k == CheckInText }

// Check-in deliveries: where a check-in is asked.
const (
	// DeliverChannel posts the check-in in the group's channel with
	// buttons; each answer is confirmed privately to the one who gave it.
	DeliverChannel = "channel"
	// DeliverDM asks each member in a direct message.
	DeliverDM = "dm"
)

// Check-in origins: why a check-in was asked.
const (
	OriginStart   = "start"   // at the start of a session
	OriginBetween = "between" // on the check-in's own schedule
	OriginDemand  = "demand"  // a facilitator asked with checkin start
)

// CheckInSpec is what one configured check-in asks, and how.
type CheckInSpec struct {
	Kind     CheckInKind
	Prompt   string
	Choices  []string // for CheckInChoice
	Delivery string   // DeliverChannel or DeliverDM
	// Cron is the schedule of a between-session check-in, in the group's
	// zone; empty for the others.
	Cron string
	// Window is how long the check-in stays open for answers.
	Window time.Duration
	// Nudge sends one gentle private reminder to members who have not
	// answered, halfway through the window (between-session check-ins).
	Nudge bool
}

// CheckInSettings are a group's check-in choices. A zero Spec pointer
// means that check-in is off.
type CheckInSettings struct {
	GroupID int64
	AtStart *CheckInSpec
	Between *CheckInSpec
	// ShareTally posts the anonymous tally in the group's channel after a
	// check-in closes, when at least three members answered.
	ShareTally bool
	// EscalateAfter is how long a safety alert may stay untaken before it
	// goes to the other facilitators, and as long again before the owners.
	EscalateAfter time.Duration
	// RetentionDays is how long answers and alerts are kept; then only
	// counts without member ids remain.
	RetentionDays int
	// Source is SourceConfig or SourceChat.
	Source string
	// Generation changes whenever Between changes, so that the jobs of an
	// earlier schedule stop.
	Generation int64
	UpdatedAt  time.Time
}

// CheckIn is one asking of a check-in: a prompt sent to a group, open for
// answers until ClosesAt.
type CheckIn struct {
	ID        int64
	GroupID   int64
	SessionID int64 // 0 when not asked for a session
	Origin    string
	// Key makes asking idempotent: the same check-in (a session's start, a
	// scheduled time, a facilitator's command) is one row.
	Key      string
	Spec     CheckInSpec
	OpenedAt time.Time
	ClosesAt time.Time
	ClosedAt time.Time // zero while open
	// Counts, kept when the answers are deleted after the retention
	// period: how many were asked, answered with a level, choice or text,
	// passed; and Tally, the answers per level or choice.
	Asked    int
	Answered int
	Passed   int
	Tally    map[string]int
	PurgedAt time.Time
}

// Open reports whether the check-in takes answers at t.
func (c CheckIn) Open(t time.Time) bool {
	return c.ClosedAt.IsZero() && t.Before(c.ClosesAt)
}

// CheckInAnswer is one member's answer to one check-in. It is sensitive:
// never log it, never show it to another member.
type CheckInAnswer struct {
	CheckInID int64
	User      UserID
	// Level is the answer on the kind's scale: 1 (lowest) to 5 for scale,
	// 1 red, 2 yellow, 3 green for traffic; the choice's 1-based number for
	// choice; 0 for text, word and passes.
	Level int
	Text  string // word and text answers
	Pass  bool
	At    time.Time
}

// Asked states: what became of asking one member.
const (
	AskedSent          = "sent"          // asked (a DM delivered, or the channel post)
	AskedUndeliverable = "undeliverable" // their DMs are closed; never asked elsewhere
	AskedGone          = "gone"          // left the group while the check-in was open
)

// CheckInAsked is one member asked in a check-in.
type CheckInAsked struct {
	CheckInID int64
	User      UserID
	State     string
	Nudged    bool
}

// SafetySignal is one thing a member sent tend that may mean they are at
// risk: a check-in answer at the lowest level, or words of risk in a
// check-in answer or a direct message.
type SafetySignal struct {
	GroupID  int64 // 0: the sender is in no group tend serves
	Platform string
	User     UserID
	At       time.Time
	// Source is "checkin" or "dm".
	Source string
	// Families names the kinds of warning sign found ("a plan or a time"),
	// and "lowest level" for a level answer. Never the words themselves.
	Families []string
	// Words are what the member wrote, for the facilitators' alert. They
	// are sensitive: never logged, never in an audit record.
	Words string
	// Level describes a level answer ("red", "1 of 5"); empty for text.
	Level     string
	CheckInID int64 // the check-in answered, when Source is "checkin"
}

// SafetyAlert is the facilitators' alert about one member's situation:
// every signal from the member within a short window updates it rather
// than raising another.
type SafetyAlert struct {
	ID       int64
	GroupID  int64 // 0: the sender is in no group; the owners are told
	Platform string
	User     UserID
	OpenedAt time.Time
	LastAt   time.Time
	Signals  int
	// Families are the kinds of sign across its signals, each once.
	Families []string
	// Latest is the latest signal: its source, words (sensitive) and level.
	LatestSource string
	LatestWords  string
	LatestLevel  string
	TakenBy      Principal
	TakenAt      time.Time
	// Stage is how far it has gone: 1 the facilitators, 2 the other
	// facilitators, 3 the owners.
	Stage int
}

// Taken reports whether a facilitator has said they are on it.
func (a SafetyAlert) Taken() bool { return a.TakenBy != "" }

// AnswerOutcome is what became of one answer a store was asked to record.
type AnswerOutcome struct {
	// Prev is the member's answer it replaced, when they had answered.
	Prev *CheckInAnswer
	// Err is why the answer was not stored: an error wrapping ErrNotFound
	// for an unknown check-in, ErrConflict for one that is closed.
	Err error
}

// Purged counts what deleting expired check-in data removed.
type Purged struct {
	CheckIns int // check-ins whose answers and lists were deleted
	Answers  int
	Alerts   int
	Outbox   int // outbox entries of those check-ins and alerts
	Jobs     int // finished jobs of those check-ins and alerts
}
