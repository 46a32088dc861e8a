package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/tend-bot/tend/bot"

	slackgo "github.com/slack-go/slack"
)

// Modes.
const (
	ModeSocket = "socket" // Socket Mode websocket: no public URL needed
	ModeHTTP   = "http"   // signed HTTP requests on Listen
)

// Config configures an Adapter. Tokens and the signing secret are values
// here: the caller reads them from the environment or a file, never from
// the YAML.
type Config struct {
	// Mode is ModeSocket (the default) or ModeHTTP.
	Mode string
	// BotToken (xoxb-…) authorises every Web API call.
	BotToken string
	// AppToken (xapp-…) opens Socket Mode connections; socket mode only.
	AppToken string
	// SigningSecret verifies Slack's requests; http mode only.
	SigningSecret string
	// Listen is the address for Slack's requests in http mode, such as
	// 127.0.0.1:3000. Listener, when set, is used instead.
	Listen   string
	Listener net.Listener
	// APIURL sends every Web API call (including apps.connections.open) to
	// another base URL; empty means Slack's.
	APIURL string
	// HTTPClient makes Web API and response_url calls; nil means a client
	// with a 30 s timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger

	// AckWait is how long a slash command waits for the core's answer so
	// that it can go in the acknowledgement itself; after it, the command is
	// acknowledged empty and answered through its response_url. Slack's
	// deadline is 3 s; default 2 s.
	AckWait time.Duration
	// HandlerTimeout bounds the core's work on one event; default 30 s.
	HandlerTimeout time.Duration
	// ChannelRate and ChannelBurst pace messages per channel; default one
	// per second with bursts of 3 (Slack allows about one per second per
	// channel with short bursts).
	ChannelRate  rate.Limit
	ChannelBurst int
	// MaxRetries bounds retries of one call after a 5xx, a network error or
	// a 429; default 5.
	MaxRetries int
	// RetryBase is the first 5xx backoff, doubled per retry up to 30 s,
	// with equal jitter; default 500 ms.
	RetryBase time.Duration
	// UnreachableFor is how long a channel that refused the bot is failed
	// fast before it is tried again; default 10 minutes.
	UnreachableFor time.Duration
	// MaxBodyBytes limits a signed request's body in http mode; default
	// 64 KiB.
	MaxBodyBytes int64
	// PingInterval is the longest the Socket Mode client waits for Slack's
	// websocket ping before it reconnects; default 30 s.
	PingInterval time.Duration
	// MaxChannels bounds each per-channel and per-person table the adapter
	// keeps (pacing, unreachable marks, DM channels, channel answers):
	// beyond it the least recently used entry is forgotten; default
	// 10,000.
	MaxChannels int
	// InspectTTL is how long ChannelInspector answers (a channel's
	// privacy, its member list) are reused; default 30 s. Whether a person
	// is a bot is kept for an hour.
	InspectTTL time.Duration
	// MaxMembers caps ChannelMembers: at most this many members of one
	// channel are read, in the order Slack lists them; default 10,000.
	MaxMembers int
	// Clock tells the time for pacing, retries, acknowledgement waits and
	// timestamps; default the system clock.
	Clock bot.Clock
	// Observer is told of 429s, retries and interaction answer times
	// (NopObserver when nil).
	Observer bot.Observer
}

// Adapter is the Slack platform.
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	clock  bot.Clock
	api    *slackgo.Client
	httpc  *http.Client
	apiURL string
	retry  bot.Backoff

	self atomic.Pointer[identity]

	// methodLimiters pace tiered methods workspace-wide; read-only after
	// New.
	methodLimiters map[string]*bot.Pacer

	// Bounded per-channel and per-person state; each is safe for
	// concurrent use on its own.
	limiters    *bot.Cache[string, *bot.Pacer]
	unreachable *bot.Cache[string, struct{}] // channel or "user:ID", for UnreachableFor
	dmChannels  *bot.Cache[bot.UserID, string]
	// history keeps channels' keyed posts read by FindDelivered (key →
	// ts), so that a backlog of many keys in one channel reads it once.
	history *bot.ChannelHistory[map[string]string]
	inspect inspectCaches
	seen    *recentSet

	mu    sync.Mutex
	edits map[string]*editQueue // channel/ts → its edits in flight; removed when done

	addr atomic.Pointer[net.Addr]

	// conn is whether tend can take Slack's events now (see Connected).
	conn atomic.Pointer[connState]
}

// connState is the adapter's connection as Connected reports it.
type connState struct {
	up    bool
	why   string
	since time.Time
}

// identity is who the bot is, from auth.test.
type identity struct {
	UserID string
	BotID  string
	TeamID string
}

var (
	_ bot.Platform         = (*Adapter)(nil)
	_ bot.Finder           = (*Adapter)(nil)
	_ bot.ChannelInspector = (*Adapter)(nil)
	_ bot.BotPresence      = (*Adapter)(nil)
	_ bot.Health           = (*Adapter)(nil)
)

// Connected implements bot.Health: in socket mode, true while the Socket
// Mode connection is open; in http mode, true while the listener serves,
// after auth.test accepted the bot token.
func (a *Adapter) Connected() (bool, string) {
	c := a.conn.Load()
	if c == nil {
		return false, "not connected yet"
	}
	if c.up {
		return true, ""
	}
	return false, c.why + " since " + c.since.UTC().Format("2006-01-02 15:04:05 MST")
}

// setConn records whether the adapter is connected, and why not.
func (a *Adapter) setConn(up bool, why string) {
	if c := a.conn.Load(); c != nil && c.up == up && (up || c.why == why) {
		return
	}
	a.conn.Store(&connState{up: up, why: why, since: a.clock.Now()})
}

// New returns an Adapter. It checks the configuration but does not connect;
// Run connects.
func New(cfg Config) (*Adapter, error) {
	if cfg.Mode == "" {
		cfg.Mode = ModeSocket
	}
	switch cfg.Mode {
	case ModeSocket:
		if cfg.AppToken == "" {
			return nil, errors.New("slack: socket mode needs an app-level token (xapp-…) with the connections:write scope")
		}
	case ModeHTTP:
		if cfg.SigningSecret == "" {
			return nil, errors.New("slack: http mode needs the app's signing secret")
		}
		if cfg.Listen == "" && cfg.Listener == nil {
			return nil, errors.New("slack: http mode needs a listen address, such as 127.0.0.1:3000")
		}
	default:
		return nil, fmt.Errorf("slack: mode %q is not socket or http", cfg.Mode)
	}
	if cfg.BotToken == "" {
		return nil, errors.New("slack: a bot token (xoxb-…) is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 2 * time.Second
	}
	if cfg.HandlerTimeout <= 0 {
		cfg.HandlerTimeout = 30 * time.Second
	}
	if cfg.ChannelRate <= 0 {
		cfg.ChannelRate = 1
	}
	if cfg.ChannelBurst <= 0 {
		cfg.ChannelBurst = 3
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 5
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 500 * time.Millisecond
	}
	if cfg.UnreachableFor <= 0 {
		cfg.UnreachableFor = 10 * time.Minute
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 30 * time.Second
	}
	if cfg.MaxChannels <= 0 {
		cfg.MaxChannels = 10000
	}
	if cfg.InspectTTL <= 0 {
		cfg.InspectTTL = 30 * time.Second
	}
	if cfg.MaxMembers <= 0 {
		cfg.MaxMembers = 10000
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	cfg.Observer = bot.ObserverOr(cfg.Observer)
	a := &Adapter{
		cfg:            cfg,
		log:            cfg.Logger.With(bot.KeyPlatform, bot.PlatformSlack),
		clock:          cfg.Clock,
		httpc:          cfg.HTTPClient,
		retry:          bot.Backoff{Base: cfg.RetryBase, Max: 30 * time.Second, Jitter: true},
		limiters:       bot.NewCache[string, *bot.Pacer](cfg.MaxChannels, 0, cfg.Clock),
		methodLimiters: newMethodPacers(cfg.Clock),
		unreachable:    bot.NewCache[string, struct{}](cfg.MaxChannels, cfg.UnreachableFor, cfg.Clock),
		dmChannels:     bot.NewCache[bot.UserID, string](cfg.MaxChannels, 0, cfg.Clock),
		history:        bot.NewChannelHistory[map[string]string](cfg.MaxChannels, historyTTL, cfg.Clock),
		inspect:        newInspectCaches(cfg),
		edits:          map[string]*editQueue{},
		seen:           newRecentSet(2048),
	}
	opts := []slackgo.Option{slackgo.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.APIURL != "" {
		a.apiURL = strings.TrimSuffix(cfg.APIURL, "/") + "/"
		opts = append(opts, slackgo.OptionAPIURL(a.apiURL))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackgo.OptionAppLevelToken(cfg.AppToken))
	}
	a.api = slackgo.New(cfg.BotToken, opts...)
	return a, nil
}

// Name implements bot.Platform.
func (a *Adapter) Name() string { return bot.PlatformSlack }

// Addr returns the address the adapter listens on in http mode once Run has
// started listening, or nil.
func (a *Adapter) Addr() net.Addr {
	if p := a.addr.Load(); p != nil {
		return *p
	}
	return nil
}

// Run implements bot.Platform: it checks the bot token with auth.test, then
// serves Socket Mode or signed HTTP requests until ctx is done.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	id, err := a.authenticate(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	a.self.Store(id)
	a.log.Info("connected to the Web API", "team", id.TeamID, "bot_user", id.UserID, "mode", a.cfg.Mode)
	switch a.cfg.Mode {
	case ModeHTTP:
		return a.runHTTP(ctx, h)
	default:
		return a.runSocket(ctx, h)
	}
}

// fatalAuth lists auth.test errors that no retry fixes.
var fatalAuth = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true,
	"token_revoked": true, "token_expired": true, "no_permission": true,
}

// authenticate calls auth.test, retrying transient failures until ctx is
// done and refusing bad credentials at once.
func (a *Adapter) authenticate(ctx context.Context) (*identity, error) {
	for attempt := 1; ; attempt++ {
		resp, err := a.api.AuthTestContext(ctx)
		if err == nil {
			return &identity{UserID: resp.UserID, BotID: resp.BotID, TeamID: resp.TeamID}, nil
		}
		var se slackgo.SlackErrorResponse
		if errors.As(err, &se) && fatalAuth[se.Err] {
			return nil, fmt.Errorf("slack: auth.test: the bot token was refused (%s): check SLACK_BOT_TOKEN or the variable named by bot_token_env", se.Err)
		}
		wait := a.retry.Delay(attempt)
		a.log.Warn("auth.test failed; retrying", bot.KeyErr, err, "in", wait)
		if !bot.Sleep(ctx, a.clock, wait) {
			return nil, ctx.Err()
		}
	}
}

// recentSet remembers the last n ids (event ids), to drop Slack's
// redeliveries of an event that was already handled.
type recentSet struct {
	mu   sync.Mutex
	ids  map[string]bool
	ring []string
	next int
}

func newRecentSet(n int) *recentSet {
	return &recentSet{ids: map[string]bool{}, ring: make([]string, n)}
}

// add records id and reports whether it was new.
func (s *recentSet) add(id string) bool {
	if id == "" {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id] {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.next = (s.next + 1) % len(s.ring)
	s.ids[id] = true
	return true
}
