// Package discord connects tend to Discord through github.com/bwmarrin/discordgo.
//
// It translates Discord's gateway events and interactions into the core's
// neutral events (bot.Command, bot.ButtonPress, bot.ModalSubmit,
// bot.MemberJoined/Left/Updated, bot.VoiceJoined/Left, bot.DirectMessage)
// and renders the core's outbound values natively: embeds with fields,
// buttons whose custom_id is the core's signed action id, <t:UNIX:F>
// timestamps that each reader sees in their own zone, ephemeral replies,
// DMs through a created DM channel, pins and role grants.
//
// It sends like a good citizen: a proactive global limiter below Discord's
// 50 requests/s (interaction callbacks are exempt, as on Discord), per-channel
// pacing of message creates, 429s honoured from retry_after, 5xx retried
// with bot.Backoff and a bound, and channels answering 403/404 marked
// unreachable (bot.Unreachable) so that they fail fast. A payload Discord
// refuses (400, code 50035) is bot.Rejected and leaves the channel alone.
// Per-channel state is bounded (Config.MaxChannels). Message creates carry
// a nonce derived from the outbox key with enforce_nonce, so Discord itself
// drops a repeat.
//
// Every REST call and the gateway lookup go to Config.APIURL through the
// session's http.Client transport; discordgo's Endpoint globals are never
// touched.
package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/tend-bot/tend/bot"
)

// DefaultAPIURL is Discord's API base; Config.APIURL replaces it.
const DefaultAPIURL = "https://discord.com/api"

// Intents are the gateway intents the adapter asks for: the fewest that do
// the job. GUILD_MEMBERS is privileged (enable "Server Members Intent" in
// the developer portal): without it there are no member join, leave and
// rules-screening (pending) events.
const Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMembers |
	discordgo.IntentsGuildVoiceStates | discordgo.IntentsDirectMessages

// Config configures an Adapter.
type Config struct {
	// Token is the bot token, without the "Bot " prefix. Never logged.
	Token string
	// ApplicationID is the application's id; when empty it is taken from
	// the gateway's READY.
	ApplicationID string
	// GuildIDs: register /tend in these guilds (instant); when empty it is
	// registered globally.
	GuildIDs []string
	// APIURL replaces https://discord.com/api for every REST call and the
	// gateway lookup (a proxy or a test server). Default DefaultAPIURL.
	APIURL string
	// GlobalLimit requests may go out in any GlobalWindow: the proactive
	// global limit (default 50 in 1.04 s: Discord's 50 a second, which it
	// counts in any one-second window, with 40 ms of room for a request
	// that reaches Discord later or sooner after it left than the one 50
	// before it; 5,000 posts take about 104 s against the 100 s of the
	// bound). A sliding window rather than a token bucket: its pace does
	// not slow when a request's turn comes late on a busy machine. Each
	// request is counted from when it leaves (bot.Pacer.Hold), after the
	// hand-off of a post is recorded, not from when its turn came.
	GlobalLimit  int
	GlobalWindow time.Duration
	// ChannelBurst messages may go to one channel at once, then one per
	// ChannelEvery (default 5 and 1 s: Discord's 5 per 5 s).
	ChannelBurst int
	ChannelEvery time.Duration
	// DeferAfter is how long an interaction's handler may run before the
	// adapter defers the response (default 2 s; Discord allows 3).
	DeferAfter time.Duration
	// HandlerTimeout bounds the handling of one event (default 60 s;
	// follow-ups to an interaction are accepted for 15 minutes).
	HandlerTimeout time.Duration
	// UnreachableFor is how long a channel that answered 403/404 fails
	// fast before it is tried again (default 15 minutes).
	UnreachableFor time.Duration
	// MaxServerRetries bounds retries of 5xx answers and network errors
	// for one call (default 4).
	MaxServerRetries int
	// ServerBackoff spaces those retries (default 250 ms doubling to 5 s,
	// with equal jitter so that many posts failing together do not retry
	// in step).
	ServerBackoff bot.Backoff
	// OpenBackoff spaces attempts to open the gateway (default 500 ms
	// doubling to a minute).
	OpenBackoff bot.Backoff
	// MaxChannels bounds each per-channel and per-person table the adapter
	// keeps (pacing, unreachable marks, DM channels, channel answers):
	// beyond it the least recently used entry is forgotten (default
	// 10,000). Voice presence keeps ten times as many.
	MaxChannels int
	// InspectTTL is how long ChannelInspector answers (a channel's
	// permission overwrites, a guild's roles, its member list) are reused
	// (default 30 s).
	InspectTTL time.Duration
	// MaxMembers caps ChannelMembers: at most this many guild members are
	// read, in the order Discord lists them (default 10,000).
	MaxMembers int
	Clock      bot.Clock
	Logger     *slog.Logger
	// Observer is told of 429s, retries and interaction answer times
	// (NopObserver when nil).
	Observer bot.Observer
}

// Adapter is the Discord platform. Its methods are safe for concurrent use.
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	clock  bot.Clock
	s      *discordgo.Session
	api    *url.URL // the base that replaces https://discord.com/api
	global *bot.Pacer

	// Bounded per-channel and per-person state; each is safe for
	// concurrent use on its own.
	chanLimits  *bot.Cache[string, *bot.Pacer]
	unreachable *bot.Cache[string, struct{}] // channels that refused the bot, for UnreachableFor
	dmChannels  *bot.Cache[bot.UserID, string]
	// dmIDs are the DM channels known (dmChannels' values): a person's,
	// never named in an error or a log line (see where).
	dmIDs   *bot.Cache[string, struct{}]
	voice   *bot.Cache[string, string] // guild/user → voice channel
	voiceIn voiceIndex                 // who is in each voice channel (VoiceMembers)
	inspect inspectCaches
	// history keeps channels' recent messages read by FindDelivered, so
	// that a backlog of many keys in one channel reads it once.
	history *bot.ChannelHistory[[]json.RawMessage]

	mu        sync.Mutex
	appID     string
	botUserID string
	handlers  sync.WaitGroup
	// aliases maps a Discord subcommand path to the core's words when a
	// one-word command shares its name with a subcommand group.
	aliases map[string][]string
	stats   Stats
	// gateway is whether the gateway is connected now (a READY or RESUMED
	// since the last disconnect), and since when it has been in that state.
	gateway      bool
	gatewaySince time.Time
}

// Stats counts what the adapter met, for tests and benchmarks.
type Stats struct {
	RateLimited int // 429 answers received
	Retried5xx  int // 5xx answers or network errors retried
	Deferred    int // interactions answered with a deferred response
}

var (
	_ bot.Platform         = (*Adapter)(nil)
	_ bot.Finder           = (*Adapter)(nil)
	_ bot.ChannelInspector = (*Adapter)(nil)
	_ bot.Health           = (*Adapter)(nil)
	_ bot.RoleInspector    = (*Adapter)(nil)
)

// New returns an adapter; it does not connect until Run.
func New(cfg Config) (*Adapter, error) {
	if cfg.Token == "" {
		return nil, errors.New("discord: no bot token: set discord.token_env or discord.token_file")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	api, err := url.Parse(apiBase(cfg.APIURL))
	if err != nil || api.Scheme == "" || api.Host == "" {
		return nil, fmt.Errorf("discord: api_url %q is not an absolute URL such as https://discord.com/api", cfg.APIURL)
	}
	if cfg.GlobalLimit <= 0 {
		cfg.GlobalLimit = 50
	}
	if cfg.GlobalWindow <= 0 {
		cfg.GlobalWindow = 1040 * time.Millisecond
	}
	if cfg.ChannelBurst <= 0 {
		cfg.ChannelBurst = 5
	}
	if cfg.ChannelEvery <= 0 {
		cfg.ChannelEvery = time.Second
	}
	if cfg.DeferAfter <= 0 {
		cfg.DeferAfter = 2 * time.Second
	}
	if cfg.HandlerTimeout <= 0 {
		cfg.HandlerTimeout = 60 * time.Second
	}
	if cfg.UnreachableFor <= 0 {
		cfg.UnreachableFor = 15 * time.Minute
	}
	if cfg.MaxServerRetries <= 0 {
		cfg.MaxServerRetries = 4
	}
	if cfg.ServerBackoff.Base <= 0 {
		cfg.ServerBackoff = bot.Backoff{Base: 250 * time.Millisecond, Max: 5 * time.Second, Jitter: true}
	}
	if cfg.OpenBackoff.Base <= 0 {
		cfg.OpenBackoff = bot.Backoff{Base: 500 * time.Millisecond, Max: time.Minute}
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
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Observer = bot.ObserverOr(cfg.Observer)
	s, err := discordgo.New("Bot " + cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	a := &Adapter{
		cfg:         cfg,
		log:         cfg.Logger.With(bot.KeyPlatform, bot.PlatformDiscord),
		clock:       cfg.Clock,
		s:           s,
		api:         api,
		global:      rampedWindow(cfg.Clock, cfg.GlobalLimit, cfg.GlobalWindow),
		appID:       cfg.ApplicationID,
		chanLimits:  bot.NewCache[string, *bot.Pacer](cfg.MaxChannels, 0, cfg.Clock),
		unreachable: bot.NewCache[string, struct{}](cfg.MaxChannels, cfg.UnreachableFor, cfg.Clock),
		dmChannels:  bot.NewCache[bot.UserID, string](cfg.MaxChannels, 0, cfg.Clock),
		dmIDs:       bot.NewCache[string, struct{}](cfg.MaxChannels, 0, cfg.Clock),
		voice:       bot.NewCache[string, string](10*cfg.MaxChannels, 0, cfg.Clock),
		inspect:     newInspectCaches(cfg),
		history:     bot.NewChannelHistory[[]json.RawMessage](cfg.MaxChannels, historyTTL, cfg.Clock),
		aliases:     map[string][]string{},
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64
	s.Client = &http.Client{
		Timeout:   30 * time.Second,
		Transport: &transport{base: base, api: api, global: a.global, clock: cfg.Clock, appID: a.applicationID},
	}
	s.Identify.Intents = Intents
	// Handlers run on discordgo's read loop; the adapter starts and owns
	// its own goroutines for work that takes time.
	s.SyncEvents = true
	s.StateEnabled = false
	// The adapter retries itself, with ctx, backoff and bounds.
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	// discordgo's own reconnect races with its heartbeat goroutine: a
	// heartbeat that was blocked while the old socket closed fails on it
	// afterwards and closes the new socket, again and again (seen with op 7
	// right after a resume). The adapter reconnects itself instead, a
	// moment after the socket is gone, when no stale heartbeat is left.
	s.ShouldReconnectOnError = false
	s.LogLevel = discordgo.LogError
	return a, nil
}

// Name implements bot.Platform.
func (a *Adapter) Name() string { return bot.PlatformDiscord }

// Connected implements bot.Health: true while the gateway is connected
// (REST deliveries do not need it, but commands, buttons and member events
// arrive only through it).
func (a *Adapter) Connected() (bool, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gateway {
		return true, ""
	}
	if a.gatewaySince.IsZero() {
		return false, "gateway not connected yet"
	}
	return false, "gateway disconnected since " + a.gatewaySince.UTC().Format("2006-01-02 15:04:05 MST")
}

// setGateway records whether the gateway is connected.
func (a *Adapter) setGateway(up bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gateway != up || a.gatewaySince.IsZero() {
		a.gateway, a.gatewaySince = up, a.clock.Now()
	}
}

// Stats returns the adapter's counters.
func (a *Adapter) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

func (a *Adapter) applicationID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.appID
}

// Run connects to the gateway, registers /tend, hands every event to h and
// blocks until ctx is done. It returns an error only for bad credentials.
// discordgo reconnects and resumes by itself after a dropped socket or an
// op 7; Deliver does not depend on the gateway.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	lost := make(chan struct{}, 1)
	removers := []func(){
		a.s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) { a.setGateway(true); a.onReady(r) }),
		a.s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) { a.onGuildCreate(g) }),
		a.s.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) { a.goHandle(ctx, h, i) }),
		a.s.AddHandler(func(_ *discordgo.Session, e *discordgo.GuildMemberAdd) { a.goHandle(ctx, h, e) }),
		a.s.AddHandler(func(_ *discordgo.Session, e *discordgo.GuildMemberRemove) { a.goHandle(ctx, h, e) }),
		a.s.AddHandler(func(_ *discordgo.Session, e *discordgo.GuildMemberUpdate) { a.goHandle(ctx, h, e) }),
		a.s.AddHandler(func(_ *discordgo.Session, e *discordgo.VoiceStateUpdate) { a.goHandle(ctx, h, e) }),
		a.s.AddHandler(func(_ *discordgo.Session, e *discordgo.MessageCreate) { a.goHandle(ctx, h, e) }),
		a.s.AddHandler(func(_ *discordgo.Session, e *discordgo.MessageUpdate) { a.goHandle(ctx, h, e) }),
		a.s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) {
			a.setGateway(true)
			a.log.Info("gateway session resumed")
		}),
		a.s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
			a.setGateway(false)
			select {
			case lost <- struct{}{}:
			default:
			}
		}),
	}
	defer func() {
		for _, rm := range removers {
			rm()
		}
		a.setGateway(false)
	}()
	if err := a.open(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	a.log.Info("connected to the gateway")
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.keepConnected(ctx, lost)
	}()
	if err := a.registerCommands(ctx, h.Commands()); err != nil && ctx.Err() == nil {
		if isAuthError(err) {
			a.s.Close()
			a.handlers.Wait()
			return err
		}
		// Posts, reminders and DMs still work; only slash commands are
		// missing until the next start.
		a.log.Error("registering /tend failed; slash commands will not work until tend is restarted", bot.KeyErr, err)
	}
	<-ctx.Done()
	if err := a.s.Close(); err != nil {
		a.log.Debug("closing the gateway", bot.KeyErr, err)
	}
	a.handlers.Wait()
	a.log.Info("disconnected")
	return nil
}

// open connects the gateway, retrying until ctx is done: a 429 waits for
// its retry_after, other failures back off from 500 ms to a minute. Bad
// credentials end it at once.
func (a *Adapter) open(ctx context.Context) error {
	failures := 0
	for {
		err := a.s.Open()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			return nil
		}
		if isAuthError(err) {
			return fmt.Errorf("discord: the bot token was refused (check discord.token_env): %w", err)
		}
		if isGatewayNotFound(err) {
			// No retry fixes a wrong base URL: say which setting to fix.
			return fmt.Errorf("%w: discord.api_url %q is not Discord's API base: the gateway lookup (GET %s/v%s/gateway) answered 404 Not Found; "+
				"set api_url to %s (the default, which leaving it out gives) or the same path on a proxy, with or without a version such as /v10",
				ErrConfig, a.cfg.APIURL, a.api, discordgo.APIVersion, DefaultAPIURL)
		}
		var wait time.Duration
		var rl *discordgo.RateLimitError
		if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
			wait = min(max(rl.RetryAfter, 10*time.Millisecond), time.Minute)
		} else {
			failures++
			wait = a.cfg.OpenBackoff.Delay(failures)
		}
		a.log.Warn("connecting to the gateway failed; retrying", "in", wait.String(), bot.KeyErr, err)
		if !bot.Sleep(ctx, a.clock, wait) {
			return ctx.Err()
		}
	}
}

// ErrConfig marks an error from Run that only a change to the
// configuration fixes, such as an api_url that is not Discord's API base.
var ErrConfig = errors.New("configuration error")

// isGatewayNotFound reports whether err is a 404 from GET /gateway, the
// first REST call Open makes: the API base is wrong. Any other REST error
// from Open is also from that lookup (the websocket dial fails otherwise).
func isGatewayNotFound(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound
}

// apiBase turns a configured api_url into the base that replaces
// https://discord.com/api: a trailing slash and a trailing version
// ("/v10", as in https://discord.com/api/v10) are dropped, since the
// adapter speaks the version discordgo was written for.
func apiBase(raw string) string {
	s := strings.TrimRight(raw, "/")
	if i := strings.LastIndex(s, "/"); i >= 0 {
		last := s[i+1:]
		if len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
			s = s[:i]
		}
	}
	return s
}

// reconnectDelay is how long the adapter waits after the socket is gone
// before opening it again: long enough for discordgo's goroutines of the old
// socket to finish, short enough that events are not held back for long
// (Discord replays them on resume anyway).
const reconnectDelay = time.Second

// keepConnected reopens the gateway after each disconnect until ctx is done.
// Open resumes the session, so Discord replays the events missed meanwhile.
func (a *Adapter) keepConnected(ctx context.Context, lost <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-lost:
		}
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("gateway connection lost; resuming")
		if !bot.Sleep(ctx, a.clock, reconnectDelay) {
			return
		}
		select {
		case <-lost: // the old socket's goroutines reporting the same loss
		default:
		}
		if err := a.open(ctx); err != nil && !errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			if ctx.Err() == nil {
				a.log.Error("reconnecting to the gateway failed for good; inbound events stop until restart", bot.KeyErr, err)
			}
			return
		}
		a.log.Info("gateway reconnected")
	}
}

func isAuthError(err error) bool {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
		return true
	}
	return websocket.IsCloseError(err, 4004)
}

func (a *Adapter) onReady(r *discordgo.Ready) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.User != nil {
		a.botUserID = r.User.ID
	}
	if a.appID == "" && r.Application != nil {
		a.appID = r.Application.ID
	}
}

func (a *Adapter) onGuildCreate(g *discordgo.GuildCreate) {
	if g.Guild == nil {
		return
	}
	a.mu.Lock()
	self := a.botUserID
	a.mu.Unlock()
	states := map[string]string{}
	for _, vs := range g.VoiceStates {
		if vs.ChannelID != "" {
			a.voice.Put(g.ID+"/"+vs.UserID, vs.ChannelID)
			if vs.UserID != self && (vs.Member == nil || vs.Member.User == nil || !vs.Member.User.Bot) {
				states[vs.UserID] = vs.ChannelID
			}
		}
	}
	a.voiceIn.reset(g.ID, states)
}

// rampedWindow is the global limiter: a window pacer started as if tend
// had been sending at the limit until now (bot.Pacer.Ramp), since the
// process before this one may have been killed in the middle of a burst
// with its last requests still in Discord's second.
func rampedWindow(clock bot.Clock, n int, window time.Duration) *bot.Pacer {
	p := bot.NewWindowPacer(clock, n, window)
	p.Ramp()
	return p
}

// transport sends discordgo's requests for https://discord.com/api/… to the
// configured API base and applies the global limiter. Interaction callbacks
// and interaction follow-ups are exempt, as they are on Discord.
type transport struct {
	base   http.RoundTripper
	api    *url.URL
	global *bot.Pacer
	clock  bot.Clock
	appID  func() string
}

const discordAPIPrefix = "https://discord.com/api/"

// errNotHandedOff means a message create was not sent because its hand-off
// to Discord could not be recorded (bot.HandOff); it is not retried here.
var errNotHandedOff = errors.New("discord: the message was not sent")

// RoundTrip rewrites the URL, waits for the global limiter unless exempt,
// records the hand-off of a message create (bot.HandOff: from here on it
// may reach Discord), and sends the request.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	if rest, ok := strings.CutPrefix(u, discordAPIPrefix); ok {
		nu, err := url.Parse(t.api.String() + "/" + rest)
		if err != nil {
			return nil, fmt.Errorf("rewrite %s: %w", req.URL.Path, err)
		}
		req = req.Clone(req.Context())
		req.URL = nu
		req.Host = nu.Host
	}
	made := func() {}
	if !t.exempt(req.URL.Path) {
		// The request counts against the global limit from when it leaves,
		// after the hand-off's database write, however long that took.
		var err error
		if made, err = t.global.Hold(req.Context(), bot.IsUrgent(req.Context())); err != nil {
			return nil, fmt.Errorf("global rate limit: %w", err)
		}
	}
	if req.Method == http.MethodPost && isMessageCreate(req.URL.Path) {
		if err := bot.HandOff(req.Context()); err != nil {
			made()
			return nil, fmt.Errorf("%w: %w", errNotHandedOff, err)
		}
	}
	made()
	return t.base.RoundTrip(req)
}

// isMessageCreate reports whether path is …/channels/{id}/messages, the
// route that creates a message (a post or a DM).
func isMessageCreate(path string) bool {
	rest, ok := strings.CutSuffix(path, "/messages")
	if !ok {
		return false
	}
	i := strings.LastIndexByte(rest, '/')
	return i >= 0 && strings.HasSuffix(rest[:i], "/channels")
}

func (t *transport) exempt(path string) bool {
	if strings.Contains(path, "/interactions/") {
		return true
	}
	if app := t.appID(); app != "" && strings.Contains(path, "/webhooks/"+app+"/") {
		return true
	}
	return false
}
