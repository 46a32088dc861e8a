// Package discordtest is a fake Discord for tests: a REST API under /api/v9
// and a gateway websocket, on 127.0.0.1 only, that the real discordgo client
// connects to. It follows Discord's documented wire formats: the gateway's
// hello, identify, ready, guild create, heartbeats, resume and op 7; the REST
// routes tend uses with Discord's status codes, error codes, rate-limit
// headers and 429 bodies (per-route buckets and a global 50 requests/s);
// interaction callbacks and their 3-second deadline; follow-up webhooks; and
// message nonce de-duplication with enforce_nonce. Every request is validated
// against Discord's published OpenAPI description (testdata/), and one that
// fails is answered 400 like Discord and reported as a test failure.
//
// Fault switches make it misbehave on purpose: a storm of 429s, a run of
// 500s, a dropped gateway socket, an op 7 reconnect, a channel answering 403,
// a member with closed DMs.
package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Channel types, as Discord numbers them.
const (
	ChannelText  = 0
	ChannelDM    = 1
	ChannelVoice = 2
	ChannelStage = 13
)

// Message flags.
const flagEphemeral = 64

// Config configures a fake.
type Config struct {
	// Token is the bot token the fake accepts ("Bot " + Token on REST).
	Token string
	// AppID is the application id; BotUserID the bot's user id.
	AppID     string
	BotUserID string
	// GlobalLimit is requests per second across routes that count toward
	// Discord's global limit (default 50).
	GlobalLimit int
	// ChannelLimit and ChannelWindow are the per-channel message-create
	// bucket (default 5 per 5 s).
	ChannelLimit  int
	ChannelWindow time.Duration
	// HeartbeatInterval sent in Hello (default 41.25 s, Discord's).
	HeartbeatInterval time.Duration
	// CallbackDeadline is how long an interaction may go unanswered
	// (default 3 s, Discord's).
	CallbackDeadline time.Duration
	// NonceWindow is how long a nonce de-duplicates (default a few minutes,
	// as Discord's).
	NonceWindow time.Duration
	// IgnoreNonces switches the nonce de-duplication off: every create
	// posts a message, enforce_nonce or not, as a retry does on Discord
	// once the nonce window has passed. Soak tests use it so that only
	// tend's own outbox keeps a post from being made twice.
	IgnoreNonces bool
	// SkipValidation turns off OpenAPI validation (benchmarks only: it is
	// costly, and the tests validate the same requests).
	SkipValidation bool
}

// User is a Discord account known to the fake.
type User struct {
	ID       string
	Username string
	Bot      bool
}

// Member is a user in a guild.
type Member struct {
	UserID  string
	Roles   []string
	Pending bool
	Nick    string
}

// Shown is one thing people saw, recorded as the fake received it.
type Shown struct {
	Kind      string // "post", "dm", "edit", "reply", "pin", "unpin", "role"
	Channel   string
	MessageID string
	Ephemeral bool
	OnlyFor   string // user id for ephemeral replies and DMs
	Message   Message
	At        time.Time
}

// Message is a message the fake holds.
type Message struct {
	ID            string
	ChannelID     string
	AuthorID      string
	Content       string
	Embeds        []Embed
	Components    []Row
	Flags         int
	Nonce         string
	Pinned        bool
	Edits         int
	InteractionID string
	CreatedAt     time.Time
	// Attachments are the files uploaded with the message.
	Attachments []Attachment
}

// Attachment is a file uploaded with a message (multipart files[n]).
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// Embed is a rich embed.
type Embed struct {
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description,omitempty"`
	Fields      []EmbedField `json:"fields,omitempty"`
	Footer      *struct {
		Text string `json:"text"`
	} `json:"footer,omitempty"`
	Color int `json:"color,omitempty"`
}

// EmbedField is a field of an embed.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// Row is an action row of components.
type Row struct {
	Type       int         `json:"type"`
	Components []Component `json:"components"`
}

// Component is a button or text input.
type Component struct {
	Type     int    `json:"type"`
	Style    int    `json:"style,omitempty"`
	Label    string `json:"label,omitempty"`
	CustomID string `json:"custom_id,omitempty"`
	URL      string `json:"url,omitempty"`
	Value    string `json:"value,omitempty"`
}

// Text returns everything a person reads in m: content, embed title,
// description, fields, footer and button labels, one per line.
func (m Message) Text() string {
	var parts []string
	if m.Content != "" {
		parts = append(parts, m.Content)
	}
	for _, e := range m.Embeds {
		for _, s := range []string{e.Title, e.Description} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		for _, f := range e.Fields {
			parts = append(parts, f.Name, f.Value)
		}
		if e.Footer != nil && e.Footer.Text != "" {
			parts = append(parts, e.Footer.Text)
		}
	}
	for _, r := range m.Components {
		for _, c := range r.Components {
			if c.Label != "" {
				parts = append(parts, c.Label)
			}
		}
	}
	return strings.Join(parts, "\n")
}

// Buttons returns the message's buttons in order.
func (m Message) Buttons() []Component {
	var out []Component
	for _, r := range m.Components {
		for _, c := range r.Components {
			if c.Type == 2 {
				out = append(out, c)
			}
		}
	}
	return out
}

type channel struct {
	ID         string
	GuildID    string
	Type       int
	Name       string
	Recipient  string // DM channels
	Overwrites []Overwrite
}

type guild struct {
	ID       string
	Name     string
	OwnerID  string
	Roles    []string
	Perms    map[string]int64 // role id → permissions; the guild id is @everyone
	Channels []string
	Members  map[string]*Member
	Voice    map[string]string // user → voice channel
	// AboveBot holds roles placed above the bot's own highest role, which
	// Discord does not let the bot grant or take (403, code 50013).
	AboveBot map[string]bool
	// BotRole is the bot's own role, which its integration manages: the
	// highest role but those placed above it.
	BotRole string
}

// Stats counts what the fake saw.
type Stats struct {
	Requests       int // REST requests answered
	TooMany        int // 429s sent (all causes)
	GlobalTooMany  int // 429s for the global limit
	RouteTooMany   int // 429s for a per-route bucket
	Injected429    int // 429s from the storm switch
	Injected5xx    int // 5xx from the fault switch
	Invalid        int // requests that failed spec validation
	Identifies     int
	Resumes        int
	Connections    int
	NonceDuplicate int // creates answered from the nonce cache
	Created        int // channel and DM messages created by the bot
}

// Server is the fake Discord.
type Server struct {
	cfg Config
	tb  testing.TB
	srv *httptest.Server

	mu           sync.Mutex
	users        map[string]*User
	guilds       map[string]*guild
	guildOrder   []string
	channels     map[string]*channel
	messages     map[string][]*Message // channel → messages, oldest first
	byID         map[string]*Message
	nonces       map[string]nonceEntry
	commands     map[string][]map[string]any // "" for global, else guild id
	interactions map[string]*Interaction
	forbidden    map[string]bool
	dmsClosed    map[string]bool
	shown        []Shown
	shownCh      chan struct{} // closed and replaced on each append
	stats        Stats
	storm429     int
	rejects      map[string]int // channel → message creates left to answer 400
	fail5xx      int
	fail5xxCode  int
	lostCreates  int
	global       []time.Time // request times in the last second
	buckets      map[string]*bucket
	invalid      []string
	reqLog       []RequestRecord
	// roleHold, when set, holds role grants and removals until closed
	// (HoldRoleChanges); roleHeld counts those waiting.
	roleHold  chan struct{}
	roleApply bool
	roleHeld  int

	ids atomic.Int64
	gw  gateway
}

// RequestRecord is one REST request the fake answered.
type RequestRecord struct {
	Method string
	Path   string
	Status int
	At     time.Time
}

type nonceEntry struct {
	msgID string
	at    time.Time
}

type bucket struct {
	hash      string
	limit     int
	window    time.Duration
	remaining int
	reset     time.Time
}

// New starts a fake Discord on 127.0.0.1 and stops it when tb ends.
func New(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.Token == "" {
		cfg.Token = "test-token"
	}
	if cfg.AppID == "" {
		cfg.AppID = "900000000000000001"
	}
	if cfg.BotUserID == "" {
		cfg.BotUserID = "900000000000000002"
	}
	if cfg.GlobalLimit <= 0 {
		cfg.GlobalLimit = 50
	}
	if cfg.ChannelLimit <= 0 {
		cfg.ChannelLimit = 5
	}
	if cfg.ChannelWindow <= 0 {
		cfg.ChannelWindow = 5 * time.Second
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 41250 * time.Millisecond
	}
	if cfg.CallbackDeadline <= 0 {
		cfg.CallbackDeadline = 3 * time.Second
	}
	if cfg.NonceWindow <= 0 {
		cfg.NonceWindow = 5 * time.Minute
	}
	if !cfg.SkipValidation {
		if _, err := loadSpec(); err != nil {
			tb.Fatalf("discordtest: %v", err)
		}
	}
	s := &Server{
		cfg:          cfg,
		tb:           tb,
		users:        map[string]*User{},
		guilds:       map[string]*guild{},
		channels:     map[string]*channel{},
		messages:     map[string][]*Message{},
		byID:         map[string]*Message{},
		nonces:       map[string]nonceEntry{},
		commands:     map[string][]map[string]any{},
		interactions: map[string]*Interaction{},
		forbidden:    map[string]bool{},
		dmsClosed:    map[string]bool{},
		rejects:      map[string]int{},
		shownCh:      make(chan struct{}),
		buckets:      map[string]*bucket{},
	}
	s.users[cfg.BotUserID] = &User{ID: cfg.BotUserID, Username: "tend", Bot: true}
	s.gw.init()
	mux := http.NewServeMux()
	mux.HandleFunc("/gw/", s.serveGateway)
	mux.HandleFunc("/api/v9/", s.serveREST)
	s.srv = httptest.NewUnstartedServer(mux)
	s.srv.Start()
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server and drops gateway connections.
func (s *Server) Close() {
	s.gw.closeAll()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// APIURL is the value for discord.api_url: the base that replaces
// https://discord.com/api.
func (s *Server) APIURL() string { return s.srv.URL + "/api" }

// Token is the bot token the fake accepts.
func (s *Server) Token() string { return s.cfg.Token }

// AppID is the application id.
func (s *Server) AppID() string { return s.cfg.AppID }

// BotUserID is the bot's user id.
func (s *Server) BotUserID() string { return s.cfg.BotUserID }

// NewID returns a fresh snowflake: 19 digits, increasing, as Discord's are.
func (s *Server) NewID() string {
	return strconv.FormatInt(1_100_000_000_000_000_000+s.ids.Add(1)<<12, 10)
}

// AddGuild creates a guild, with the bot as a member that has a role of
// its own, and returns its id.
func (s *Server) AddGuild(name string) (guildID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.NewID()
	// As when a bot is invited to a server: someone else owns it, and the
	// bot gets a role of its own, managed by its integration, with the
	// permissions it asked for (here Manage Roles among them).
	owner, botRole := s.NewID(), s.NewID()
	s.guilds[id] = &guild{ID: id, Name: name, OwnerID: owner, Members: map[string]*Member{}, Voice: map[string]string{},
		Perms: map[string]int64{id: DefaultEveryone, botRole: DefaultEveryone | PermManageRoles}, Roles: []string{botRole}, BotRole: botRole}
	s.guildOrder = append(s.guildOrder, id)
	s.guilds[id].Members[s.cfg.BotUserID] = &Member{UserID: s.cfg.BotUserID, Roles: []string{botRole}}
	return id
}

// AddChannel adds a channel of type typ to a guild.
func (s *Server) AddChannel(guildID, name string, typ int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.NewID()
	s.channels[id] = &channel{ID: id, GuildID: guildID, Type: typ, Name: name}
	if g := s.guilds[guildID]; g != nil {
		g.Channels = append(g.Channels, id)
	}
	return id
}

// AddRole adds a role to a guild.
func (s *Server) AddRole(guildID, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.NewID()
	s.guilds[guildID].Roles = append(s.guilds[guildID].Roles, id)
	s.guilds[guildID].Perms[id] = 0
	return id
}

// AddUser creates a person (or bot) account and returns its id.
func (s *Server) AddUser(username string, isBot bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.NewID()
	s.users[id] = &User{ID: id, Username: username, Bot: isBot}
	return id
}

// AddMember puts a user in a guild without announcing it (for the initial
// GUILD_CREATE). Use Join to announce a join.
func (s *Server) AddMember(guildID string, m Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mm := m
	s.guilds[guildID].Members[m.UserID] = &mm
}

// Member returns a copy of a guild member.
func (s *Server) Member(guildID, userID string) (Member, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil || g.Members[userID] == nil {
		return Member{}, false
	}
	m := *g.Members[userID]
	m.Roles = append([]string(nil), m.Roles...)
	return m, true
}

// Forbid makes a channel answer 403 Missing Access from now on.
func (s *Server) Forbid(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbidden[channelID] = true
}

// CloseDMs makes DMs to user fail with 50007, as when a person does not
// accept DMs from server members.
func (s *Server) CloseDMs(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dmsClosed[userID] = true
}

// RejectCreates makes the next n message creates in channelID answer 400
// with code 50035 Invalid Form Body, as Discord refuses a payload it will
// never accept (one over a limit the fake does not model, say). The
// channel stays as it is.
func (s *Server) RejectCreates(channelID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejects[channelID] = n
}

// Storm429 answers the next n rate-limited REST requests (not interaction
// callbacks) with 429 and a retry_after of 50–150 ms.
func (s *Server) Storm429(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storm429 = n
}

// Fail5xx answers the next n REST requests (not interaction callbacks) with
// code (500, 502, 503).
func (s *Server) Fail5xx(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail5xx, s.fail5xxCode = n, code
}

// LoseCreateResponses makes the next n message creates succeed but be
// answered 500, as when Discord stores a message and the response is lost:
// only the nonce keeps a retry from posting twice.
func (s *Server) LoseCreateResponses(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lostCreates = n
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Identifies, st.Resumes, st.Connections = s.gw.counts()
	return st
}

// HoldRoleChanges makes role grants and removals wait, unanswered and not
// applied, until ReleaseRoleChanges: requests that left the bot's process
// and that Discord has not acted on yet, so that a test can kill the bot
// mid-grant.
func (s *Server) HoldRoleChanges() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.roleHold == nil {
		s.roleHold = make(chan struct{})
	}
}

// HeldRoleChanges returns how many role requests wait.
func (s *Server) HeldRoleChanges() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.roleHeld
}

// ReleaseRoleChanges lets the waiting role requests and later ones go: they
// are applied when apply is set, and otherwise answered 500 without being
// applied. A held request whose sender went away (the bot was killed) is
// never applied.
func (s *Server) ReleaseRoleChanges(apply bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.roleHold != nil {
		s.roleApply = apply
		close(s.roleHold)
		s.roleHold = nil
	}
}

// waitRoleChange holds a role request while HoldRoleChanges is on; it
// reports whether to apply it.
func (s *Server) waitRoleChange(ctx context.Context) bool {
	s.mu.Lock()
	hold := s.roleHold
	if hold == nil {
		s.mu.Unlock()
		return true
	}
	s.roleHeld++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.roleHeld--
		s.mu.Unlock()
	}()
	select {
	case <-hold:
	case <-ctx.Done():
		return false // the sender is gone before Discord acted
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.roleApply
}

// Invalid returns the requests that failed spec validation.
func (s *Server) Invalid() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.invalid...)
}

// Requests returns every REST request answered, in order.
func (s *Server) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RequestRecord(nil), s.reqLog...)
}

// Messages returns the messages in a channel, oldest first.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages[channelID] {
		out = append(out, *m)
	}
	return out
}

// Message returns one message by id.
func (s *Server) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byID[id]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// Shown returns everything shown so far.
func (s *Server) Shown() []Shown {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Shown(nil), s.shown...)
}

// WaitShown waits until more than n things have been shown and returns the
// (n+1)th.
func (s *Server) WaitShown(ctx context.Context, n int) (Shown, error) {
	for {
		s.mu.Lock()
		if len(s.shown) > n {
			sh := s.shown[n]
			s.mu.Unlock()
			return sh, nil
		}
		ch := s.shownCh
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Shown{}, fmt.Errorf("discordtest: waiting for item %d shown: %w", n+1, ctx.Err())
		case <-ch:
		}
	}
}

// WaitFor waits until cond holds over the fake's state, re-checking each
// time something is shown or an interaction is answered.
func (s *Server) WaitFor(ctx context.Context, what string, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.shownCh
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("discordtest: waiting for %s: %w", what, ctx.Err())
		case <-ch:
		case <-time.After(20 * time.Millisecond):
			// State that is not "shown" (members, commands) changes
			// without a signal; poll it gently.
		}
	}
}

// Commands returns the registered application commands: global for
// guildID "", else the guild's.
func (s *Server) Commands(guildID string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[guildID]
}

// showLocked records sh and wakes waiters. s.mu must be held.
func (s *Server) showLocked(sh Shown) {
	sh.At = time.Now()
	s.shown = append(s.shown, sh)
	close(s.shownCh)
	s.shownCh = make(chan struct{})
}

func (s *Server) notifyLocked() {
	close(s.shownCh)
	s.shownCh = make(chan struct{})
}

// userJSON renders a user object.
func (s *Server) userJSONLocked(id string) map[string]any {
	u := s.users[id]
	if u == nil {
		u = &User{ID: id, Username: "user" + id}
	}
	return map[string]any{"id": u.ID, "username": u.Username, "discriminator": "0", "global_name": u.Username, "avatar": nil, "bot": u.Bot}
}

func (s *Server) memberJSONLocked(guildID string, m *Member) map[string]any {
	roles := m.Roles
	if roles == nil {
		roles = []string{}
	}
	return map[string]any{
		"user": s.userJSONLocked(m.UserID), "roles": roles, "pending": m.Pending, "nick": nilIfEmpty(m.Nick),
		"joined_at": time.Now().UTC().Format(time.RFC3339), "deaf": false, "mute": false, "flags": 0,
		"guild_id": guildID,
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) messageJSONLocked(m *Message, withNonce bool) map[string]any {
	embeds := make([]any, 0, len(m.Embeds))
	for _, e := range m.Embeds {
		embeds = append(embeds, e)
	}
	comps := make([]any, 0, len(m.Components))
	for _, r := range m.Components {
		comps = append(comps, r)
	}
	out := map[string]any{
		"id": m.ID, "channel_id": m.ChannelID, "author": s.userJSONLocked(m.AuthorID), "content": m.Content,
		"timestamp": m.CreatedAt.UTC().Format(time.RFC3339Nano), "edited_timestamp": nil, "tts": false,
		"mention_everyone": false, "mentions": []any{}, "mention_roles": []any{}, "attachments": []any{},
		"embeds": embeds, "components": comps, "pinned": m.Pinned, "type": 0, "flags": m.Flags,
	}
	if withNonce && m.Nonce != "" {
		out["nonce"] = m.Nonce
	}
	if ch := s.channels[m.ChannelID]; ch != nil && ch.GuildID != "" {
		out["guild_id"] = ch.GuildID
	}
	return out
}

// channelJSONLocked renders a channel object.
func (s *Server) channelJSONLocked(c *channel) map[string]any {
	out := map[string]any{"id": c.ID, "type": c.Type}
	if c.GuildID != "" {
		out["guild_id"] = c.GuildID
		out["name"] = c.Name
		out["position"] = 0
		ows := []any{}
		for _, o := range c.Overwrites {
			ows = append(ows, map[string]any{"id": o.ID, "type": o.Type,
				"allow": strconv.FormatInt(o.Allow, 10), "deny": strconv.FormatInt(o.Deny, 10)})
		}
		out["permission_overwrites"] = ows
	}
	if c.Type == ChannelDM {
		out["recipients"] = []any{s.userJSONLocked(c.Recipient)}
		out["last_message_id"] = nil
	}
	return out
}

// sortedGuilds returns guild ids in creation order.
func (s *Server) sortedGuildsLocked() []string {
	return append([]string(nil), s.guildOrder...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// apiError writes Discord's error body {"code", "message"}.
func apiError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}
