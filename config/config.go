// Package config reads tend's YAML configuration file.
//
// Parse decodes the file through yaml.Node so that every problem it reports
// names the file, line, column and dotted field (groups[0].schedule.weekly),
// says what is wrong and what to write instead, and reports all problems at
// once (Errors). Unknown keys are errors, with the nearest known key
// suggested. Secrets are never read from the file itself: a platform names an
// environment variable (token_env) or a file (token_file), and the resolved
// value is held in a Secret, which never prints. Environment lookups, file
// reads and schedule validation are injected through Options so that tests
// never touch the process environment and config does not parse cron itself.
package config

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Secret is a resolved token or signing secret. It never prints: String,
// GoString, Format (every verb), MarshalText and LogValue all say
// "[redacted]". Reveal returns the value for the one place that needs it.
type Secret struct {
	v string
}

const redacted = "[redacted]"

// NewSecret wraps v.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal returns the secret's value. Pass it to the SDK that needs it and
// nowhere else.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether no secret is set.
func (s Secret) IsZero() bool { return s.v == "" }

// String implements fmt.Stringer without revealing the value.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer without revealing the value.
func (Secret) GoString() string { return redacted }

// MarshalText implements encoding.TextMarshaler without revealing the value,
// so that JSON and YAML encodings of a Config hold no secrets.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Format implements fmt.Formatter so that no verb (%d, %x, %+v …) can print
// the value.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer without revealing the value.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Config is a parsed, validated configuration.
type Config struct {
	// File is where the config was read from; empty for built-in defaults.
	File string
	// TimeZone is the IANA zone for groups that set none.
	TimeZone string
	Storage  Storage
	Log      Log
	// Owners hold every facilitator right in every group.
	Owners []bot.Principal
	// Discord is nil when the file has no discord: section.
	Discord *Discord
	// Slack is nil when the file has no slack: section.
	Slack   *Slack
	Console Console
	Safety  Safety
	// HTTP is the operator's endpoint; nil (off) when the file has no
	// http: section.
	HTTP *HTTP
	// Calendar is the calendar feed's listener; nil (off) when the file
	// has no calendar: section.
	Calendar *Calendar
	Groups   []Group
	// Sections holds the global feature sections by key
	// ("safety.crisis_phrases"), as the file wrote them.
	Sections map[string]*bot.Node
	// Warnings are what tend accepts but the operator should look at (a
	// zone without daylight saving such as EST, a secret file others can
	// read), each located like an Error. tend check prints them and tend
	// run logs them.
	Warnings Errors
}

// Storage says where the database lives.
type Storage struct {
	// Path of the SQLite file, relative to the working directory unless
	// absolute.
	Path string
}

// Log configures logging to standard error.
type Log struct {
	Level  slog.Level
	Format string // "text" or "json"
}

// Log formats.
const (
	LogText = "text"
	LogJSON = "json"
)

// Discord configures the Discord adapter.
type Discord struct {
	Token         Secret
	ApplicationID string
	// GuildIDs, when set, register commands per guild (instant) instead of
	// globally.
	GuildIDs []string
	// APIURL replaces Discord's API base URL (a proxy or a test server);
	// empty means Discord's own.
	APIURL string
}

// Slack modes.
const (
	SlackSocket = "socket" // Socket Mode: no public URL needed
	SlackHTTP   = "http"   // signed HTTP requests to Listen
)

// Slack configures the Slack adapter.
type Slack struct {
	Mode          string // SlackSocket or SlackHTTP
	BotToken      Secret
	AppToken      Secret // socket mode
	SigningSecret Secret // http mode
	Listen        string // http mode: host:port
	// APIURL replaces Slack's Web API base URL; empty means Slack's own.
	APIURL string
}

// Console settings.
const (
	ConsoleAuto = "auto" // on when no other platform is configured
	ConsoleOn   = "on"
	ConsoleOff  = "off"
)

// Console configures the terminal adapter.
type Console struct {
	Enabled string // ConsoleAuto, ConsoleOn or ConsoleOff
}

// Safety is the core's part of the safety: section: the crisis resources
// that norms, check-ins and any reply to a member in distress show. The
// crisis phrases are the check-ins feature's section.
type Safety struct {
	// Resources is shown privately to a member who may be in crisis.
	Resources string
}

// Group is a group declared in the file: its settings as a bot.Group
// (Source bot.SourceConfig), its series, and the feature sections it has.
type Group struct {
	bot.Group
	// Schedule is nil when the group declares no series.
	Schedule  *bot.Schedule
	Reminders Reminders
	// Sections holds the group's feature sections by key ("norms"), as
	// the file wrote them, already checked by their features.
	Sections map[string]*bot.Node
	// Line is where the group is declared, for messages.
	Line int
}

// Reminders are a group's reminder settings: Leads (default 24h and 1h; an
// empty list sends none), RSVP (default true), DM and StartingNow.
type Reminders = bot.ReminderSettings

// PlannedSections returns the config keys of features that are designed
// but not in this version: a file that uses one is refused with a clear
// error, so that an operator never believes a gate or an escalation is on
// when nothing enforces it. Each feature's release removes its key from
// here and registers its ConfigSection. Global keys are dotted from the
// top. Every feature designed so far has shipped.
func PlannedSections() []string { return nil }

// Defaults.
const (
	DefaultStoragePath = "tend.db"
	DefaultTimeZone    = "UTC"
	DefaultSlackListen = "127.0.0.1:3000"
	// DefaultCrisisResources is shown when the operator sets none. The
	// operator must replace the placeholder with a real line for their
	// members' region. Like the operator's, it says nothing about who was
	// told or who watches: tend says that itself, truthfully.
	DefaultCrisisResources = "If you are in danger or might act on thoughts of harming yourself, call your local emergency number now. " +
		"You can also reach a crisis line (the operator of this bot has not set one yet: ask a facilitator)."
)

// DefaultLead is the reminder lead list when a group sets none.
func DefaultLead() []time.Duration { return []time.Duration{24 * time.Hour, time.Hour} }

// Default returns the built-in configuration: the console adapter and
// tend.db in the working directory.
func Default() *Config {
	return &Config{
		TimeZone: DefaultTimeZone,
		Storage:  Storage{Path: DefaultStoragePath},
		Log:      Log{Level: slog.LevelInfo, Format: LogText},
		Console:  Console{Enabled: ConsoleAuto},
		Safety:   Safety{Resources: DefaultCrisisResources},
	}
}

// ConsoleEnabled reports whether the console adapter runs: on, or auto with
// no other platform configured.
func (c *Config) ConsoleEnabled() bool {
	switch c.Console.Enabled {
	case ConsoleOn:
		return true
	case ConsoleOff:
		return false
	}
	return c.Discord == nil && c.Slack == nil
}

// BotGroups returns the declared groups as bot.Groups, for applying at start.
func (c *Config) BotGroups() []bot.Group {
	out := make([]bot.Group, len(c.Groups))
	for i, g := range c.Groups {
		out[i] = g.Group
	}
	return out
}
