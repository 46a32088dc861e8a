package bot

import (
	"fmt"
	"strings"
	"time"
)

// GroupKind is what sort of group meets.
type GroupKind string

// Group kinds.
const (
	KindSupport         GroupKind = "support"
	KindPsychoeducation GroupKind = "psychoeducation"
	KindTherapy         GroupKind = "therapy"
	KindSkills          GroupKind = "skills"
	KindTeam            GroupKind = "team"
)

// GroupKinds lists every valid kind, in the order help shows them.
var GroupKinds = []GroupKind{KindSupport, KindPsychoeducation, KindTherapy, KindSkills, KindTeam}

// Admission says whether a group takes new members after it starts.
type Admission string

// Admission values.
const (
	AdmissionOpen   Admission = "open"   // rolling admission
	AdmissionClosed Admission = "closed" // fixed roster after the first session
)

// Privacy selects how much personal information tend keeps and shows.
type Privacy string

// Privacy values.
const (
	PrivacyStandard Privacy = "standard"
	// PrivacyMinimal identifies roster members by code only, disables
	// free-text check-ins and keeps names out of summaries (clinics).
	PrivacyMinimal Privacy = "minimal"
)

// Group sources: where a group's settings come from.
const (
	SourceConfig = "config" // declared in the YAML file, which wins at start
	SourceChat   = "chat"   // created by "group setup"
)

// Group is a standing group bound to one channel on one platform.
type Group struct {
	ID        int64
	Name      string
	Address   Address // the group's channel
	Guild     string  // Discord guild or Slack team, when known
	Kind      GroupKind
	Admission Admission
	Capacity  int    // 0 means no limit
	TimeZone  string // IANA name
	Privacy   Privacy
	// Facilitators may run facilitator commands for this group.
	Facilitators []Principal
	// FacilitatorsChannel, when set, is a private channel on the group's
	// platform where the facilitators are told things privately (alerts,
	// summaries); empty means a DM to each facilitator.
	FacilitatorsChannel ChannelID
	Source              string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Location loads the group's time zone.
func (g Group) Location() (*time.Location, error) {
	return LoadLocation(g.TimeZone)
}

// LoadLocation loads an IANA zone and explains a failure in words a
// facilitator can act on, suggesting the right spelling of a name written
// in the wrong case ("europe/london": did you mean Europe/London?).
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("no time zone: write an IANA name such as Europe/London or America/New_York")
	}
	if strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("time zone %q depends on the server: write an IANA name such as Europe/London", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		if right, ok := zoneSpelling(name); ok {
			return nil, fmt.Errorf("unknown time zone %q: did you mean %s? Zone names are case-sensitive", name, right)
		}
		return nil, fmt.Errorf("unknown time zone %q: write an IANA name such as Europe/London, America/New_York or Australia/Sydney", name)
	}
	return loc, nil
}

// ValidName reports whether s can name a group: 1–40 characters of
// lowercase letters, digits and dashes, starting with a letter or digit.
func ValidName(s string) error {
	if s == "" || len(s) > 40 {
		return fmt.Errorf("a group name is 1 to 40 characters, such as tuesday-support")
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (r == '-' && i > 0)
		if !ok {
			return fmt.Errorf("group name %q may use only lowercase letters, digits and dashes, such as tuesday-support", s)
		}
	}
	return nil
}

// Validate checks the group's settings and returns the first problem in
// words a facilitator can act on.
func (g Group) Validate() error {
	if err := ValidName(g.Name); err != nil {
		return err
	}
	if g.Address.Platform == "" || g.Address.Channel == "" {
		return fmt.Errorf("group %s is bound to no channel", g.Name)
	}
	switch g.Kind {
	case KindSupport, KindPsychoeducation, KindTherapy, KindSkills, KindTeam:
	default:
		return fmt.Errorf("kind %q is not one of support, psychoeducation, therapy, skills, team", g.Kind)
	}
	switch g.Admission {
	case AdmissionOpen, AdmissionClosed:
	default:
		return fmt.Errorf("admission %q is not open or closed", g.Admission)
	}
	switch g.Privacy {
	case PrivacyStandard, PrivacyMinimal:
	default:
		return fmt.Errorf("privacy %q is not standard or minimal", g.Privacy)
	}
	if g.Capacity < 0 || g.Capacity > 10000 {
		return fmt.Errorf("capacity %d is out of range: write a number from 1 to 10000, or 0 for no limit", g.Capacity)
	}
	if _, err := g.Location(); err != nil {
		return err
	}
	return nil
}

// IsFacilitator reports whether u may run facilitator commands for g. Owners
// are checked by the Bot, not here.
func (g Group) IsFacilitator(u User) bool {
	for _, p := range g.Facilitators {
		if p.IsRole() && u.Platform != g.Address.Platform {
			continue
		}
		if p.Matches(u) {
			return true
		}
	}
	return false
}

// MemberStatus is where a member stands in a group.
type MemberStatus string

// Member statuses.
const (
	MemberActive     MemberStatus = "active"
	MemberWaitlisted MemberStatus = "waitlisted"
	MemberRemoved    MemberStatus = "removed"
)

// Member is a person in a group: a platform account, or a roster entry
// identified by a code only (a client who is not on the platform).
type Member struct {
	ID      int64
	GroupID int64
	User    UserID // empty for a code-only roster entry
	Code    string // roster code; required when User is empty
	Name    string // display name; empty under minimal privacy
	Status  MemberStatus
	AddedAt time.Time
	// AwayUntil, when set, means no nudges and excused absences until then.
	AwayUntil time.Time
}

// CodeOnly reports whether m is a roster entry without a platform account.
func (m Member) CodeOnly() bool { return m.User == "" }

// Label is how a member is shown to facilitators: the code under minimal
// privacy or for code-only entries, else the name or mention.
func (m Member) Label(platform string, p Privacy) string {
	switch {
	case m.CodeOnly():
		return m.Code
	case p == PrivacyMinimal && m.Code != "":
		return m.Code
	case m.Name != "":
		return m.Name
	default:
		return Mention(platform, m.User)
	}
}

// AuditEntry records a facilitator action without its content.
type AuditEntry struct {
	ID      int64
	At      time.Time
	GroupID int64 // 0 when not about one group
	Actor   Principal
	Action  string // e.g. "group.setup", "roster.add", "norms.edit"
	Detail  string // what changed, never message bodies or check-in answers
}
