// Package fakeslack is a fake Slack for tests: the Web API methods tend's
// adapter uses, Socket Mode over a websocket, and signed HTTP delivery of
// slash commands, interactions and events to an adapter listening in http
// mode. It serves on 127.0.0.1 only.
//
// It is faithful where it matters for correctness: every Web API request is
// validated against Slack's published OpenAPI description (testdata), and a
// request that fails validation gets Slack's invalid_arguments error and is
// reported as a test failure; chat.postMessage is rate limited per channel
// and answers 429 with Retry-After; Socket Mode sends hello, envelopes with
// envelope ids, websocket pings and disconnect envelopes, records when each
// envelope was acknowledged, and resends unacknowledged envelopes after a
// reconnect, as Slack does. Fault switches inject 429s, 500s (before or
// after the call took effect), disconnects, dropped sockets, channels that
// refuse the bot and members whose direct messages are closed.
package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Options configures a Server. Zero values get working defaults.
type Options struct {
	BotToken      string // default "xoxb-fake-bot-token"
	AppToken      string // default "xapp-fake-app-token"
	SigningSecret string // default "fake-signing-secret"
	TeamID        string // default "T0FAKE"
	BotUserID     string // default "U0TENDBOT"
	BotID         string // default "B0TENDBOT"
	// ChannelRate and ChannelBurst limit chat.postMessage per channel;
	// default one per second with bursts of 4.
	ChannelRate  rate.Limit
	ChannelBurst int
	// WorkspaceRate and WorkspaceBurst limit chat.postMessage across the
	// workspace ("several hundred messages per minute" in Slack's docs);
	// default 600 a minute with bursts of 40.
	WorkspaceRate  rate.Limit
	WorkspaceBurst int
	// PingInterval is how often the Socket Mode websocket is pinged;
	// default 2 s.
	PingInterval time.Duration
}

// Server is a running fake Slack.
type Server struct {
	opts Options
	tb   testing.TB
	srv  *httptest.Server
	spec *specValidator

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every change
	channels   map[string]*Channel
	users      map[string]string // id → name
	bots       map[string]bool   // ids of bot users
	dmsClosed  map[string]bool
	messages   []*Message
	ephemerals []*Ephemeral
	views      []*View
	calls      []Call
	faults     []*fault
	limiters   map[string]*rate.Limiter
	workspace  *rate.Limiter
	responses  map[string]respondTo // response_url id → where it answers
	triggers   map[string]time.Time // trigger_id → issued
	seq        int64
	uploads    map[string]*upload // file id → an upload under way
	files      []File
	violations []string
	rateLimits int
	shown      []Shown

	sock sockState
	http httpTarget
}

// Channel is a conversation in the fake workspace.
type Channel struct {
	ID       string
	Name     string
	Private  bool
	Archived bool
	// BotMember says whether the bot is in the channel (default true).
	BotMember bool
	Members   map[string]bool
}

// Message is a message the bot posted (or a public response).
type Message struct {
	Channel  string
	TS       string
	BotID    string
	Text     string
	Blocks   json.RawMessage
	Metadata *Metadata
	Edits    int
	Pinned   bool
	// Via is how it was posted: chat.postMessage, response_url or ack.
	Via string
}

// Metadata is Slack message metadata.
type Metadata struct {
	EventType    string         `json:"event_type"`
	EventPayload map[string]any `json:"event_payload"`
}

// Ephemeral is a message only one person saw.
type Ephemeral struct {
	Channel string
	User    string
	Text    string
	Blocks  json.RawMessage
	// Via is chat.postEphemeral, response_url or ack.
	Via string
}

// View is a modal opened with views.open.
type View struct {
	ID              string
	User            string
	CallbackID      string
	PrivateMetadata string
	Raw             json.RawMessage
}

// Shown is one thing people saw, in the order the fake showed them: a new
// message, an edit, or an ephemeral message.
type Shown struct {
	// Kind is "post", "edit" or "ephemeral".
	Kind    string
	Channel string
	TS      string // for posts and edits
	// User is who alone saw an ephemeral message, or the other party of a
	// direct message channel.
	User   string
	Text   string
	Blocks json.RawMessage
	Via    string
}

// File is a file the bot uploaded and shared (files.completeUploadExternal).
type File struct {
	ID      string
	Name    string
	Title   string
	Channel string
	// User is the other party of the direct message channel it was
	// shared into, or "".
	User string
	Data []byte
}

// upload is a file between files.getUploadURLExternal and its completion.
type upload struct {
	name   string
	length int
	data   []byte
	done   bool // the bytes arrived
}

// Call is one Web API call as the fake answered it.
type Call struct {
	Method string
	Status int
	Error  string // Slack's error code when ok was false
	At     time.Time
}

type respondTo struct {
	channel, user string
}

type fault struct {
	method      string
	status      int // 429 or 5xx; 0 with code set
	code        string
	afterCommit bool
	left        int
}

// New starts a fake Slack on 127.0.0.1. It is closed, and any spec
// violation reported as a test failure, when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.BotToken == "" {
		opts.BotToken = "xoxb-fake-bot-token"
	}
	if opts.AppToken == "" {
		opts.AppToken = "xapp-fake-app-token"
	}
	if opts.SigningSecret == "" {
		opts.SigningSecret = "fake-signing-secret"
	}
	if opts.TeamID == "" {
		opts.TeamID = "T0FAKE"
	}
	if opts.BotUserID == "" {
		opts.BotUserID = "U0TENDBOT"
	}
	if opts.BotID == "" {
		opts.BotID = "B0TENDBOT"
	}
	if opts.ChannelRate <= 0 {
		opts.ChannelRate = 1
	}
	if opts.ChannelBurst <= 0 {
		opts.ChannelBurst = 4
	}
	if opts.WorkspaceRate <= 0 {
		opts.WorkspaceRate = 10
	}
	if opts.WorkspaceBurst <= 0 {
		opts.WorkspaceBurst = 40
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 2 * time.Second
	}
	spec, err := loadSpec()
	if err != nil {
		tb.Fatalf("fakeslack: load the Web API spec: %v", err)
	}
	s := &Server{
		opts: opts, tb: tb, spec: spec,
		changed:   make(chan struct{}),
		channels:  map[string]*Channel{},
		users:     map[string]string{},
		bots:      map[string]bool{},
		dmsClosed: map[string]bool{},
		limiters:  map[string]*rate.Limiter{},
		workspace: rate.NewLimiter(opts.WorkspaceRate, opts.WorkspaceBurst),
		responses: map[string]respondTo{},
		triggers:  map[string]time.Time{},
		uploads:   map[string]*upload{},
	}
	s.sock.init()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveSocket)
	mux.HandleFunc("/respond/", s.serveRespond)
	mux.HandleFunc("/upload/", s.serveUpload)
	s.srv = httptest.NewServer(mux) // httptest listens on 127.0.0.1
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server and reports spec violations to the test.
func (s *Server) Close() {
	s.srv.Close()
	s.sock.closeAll()
	s.mu.Lock()
	v := s.violations
	s.violations = nil
	s.mu.Unlock()
	for _, msg := range v {
		s.tb.Errorf("fakeslack: %s", msg)
	}
}

// APIURL is the Web API base URL, for the adapter's api_url.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Opts returns the options in effect (tokens, secret, ids).
func (s *Server) Opts() Options { return s.opts }

// AddChannel adds a channel the bot is a member of.
func (s *Server) AddChannel(id, name string, private bool, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Channel{ID: id, Name: name, Private: private, BotMember: true, Members: map[string]bool{}}
	for _, m := range members {
		c.Members[m] = true
	}
	s.channels[id] = c
}

// AddUser adds a person.
func (s *Server) AddUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = name
}

// AddBotUser adds another app's bot user: users.info says is_bot.
func (s *Server) AddBotUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = name
	s.bots[id] = true
}

// AddMember puts user in channel without an event (see MemberJoined).
func (s *Server) AddMember(channel, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[channel].Members[user] = true
}

// InChannel reports whether user is a member of channel now (joined, or
// invited by the bot).
func (s *Server) InChannel(channel, user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	return c != nil && c.Members[user]
}

// SetDMsClosed makes conversations.open for user fail as it does for a
// person the bot cannot message.
func (s *Server) SetDMsClosed(user string, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dmsClosed[user] = closed
}

// RemoveBot takes the bot out of a channel (not_in_channel).
func (s *Server) RemoveBot(ch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[ch]; c != nil {
		c.BotMember = false
	}
}

// DeleteChannel removes a channel (channel_not_found).
func (s *Server) DeleteChannel(ch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.channels, ch)
}

// Fail makes the next n calls of method answer with HTTP status (429 with
// Retry-After: 1, or a 5xx) before doing anything.
func (s *Server) Fail(method string, status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, status: status, left: n})
}

// FailAfterCommit makes the next n calls of method take effect and then
// answer 500, so that the caller cannot know they succeeded.
func (s *Server) FailAfterCommit(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, status: http.StatusInternalServerError, afterCommit: true, left: n})
}

// FailWith makes the next n calls of method answer ok:false with code.
func (s *Server) FailWith(method, code string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, code: code, left: n})
}

// Messages returns copies of the messages in channel, oldest first; ""
// means every channel.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if channel == "" || m.Channel == channel {
			out = append(out, *m)
		}
	}
	return out
}

// Ephemerals returns copies of the ephemeral messages user saw.
func (s *Server) Ephemerals(user string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephemerals {
		if user == "" || e.User == user {
			out = append(out, *e)
		}
	}
	return out
}

// Files returns copies of the files shared so far.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]File(nil), s.files...)
}

// Views returns the modals opened so far.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, v := range s.views {
		out = append(out, *v)
	}
	return out
}

// Calls returns every Web API call answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// RateLimited returns how many 429s the fake's own limits answered
// (injected faults not counted).
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimits
}

// Violations returns the spec violations recorded so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Wait blocks until cond is true, or ctx is done. cond is evaluated after
// every change to the fake's state, without its lock held, so it may call
// the Server's methods.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fakeslack: waiting: %w", ctx.Err())
		}
	}
}

// WaitMessage waits for a message in channel that match accepts.
func (s *Server) WaitMessage(ctx context.Context, channel string, match func(Message) bool) (Message, error) {
	var got Message
	err := s.Wait(ctx, func() bool {
		for _, m := range s.Messages(channel) {
			if match(m) {
				got = m
				return true
			}
		}
		return false
	})
	return got, err
}

// WaitEphemeral waits for an ephemeral message to user that match
// accepts.
func (s *Server) WaitEphemeral(ctx context.Context, user string, match func(Ephemeral) bool) (Ephemeral, error) {
	var got Ephemeral
	err := s.Wait(ctx, func() bool {
		for _, e := range s.Ephemerals(user) {
			if match(e) {
				got = e
				return true
			}
		}
		return false
	})
	return got, err
}

// notify wakes waiters; callers hold s.mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// nextTS returns a new, strictly increasing message timestamp; callers
// hold s.mu.
func (s *Server) nextTS() string {
	s.seq++
	now := time.Now()
	return fmt.Sprintf("%d.%06d", now.Unix(), s.seq%1000000)
}

// nextID returns a new id with prefix; callers hold s.mu.
func (s *Server) nextID(prefix string) string {
	s.seq++
	return prefix + strconv.FormatInt(s.seq, 10)
}

// --- Web API ---

// apiResult is a Web API answer: status, headers and a JSON body.
type apiResult struct {
	status     int
	retryAfter int
	body       map[string]any
}

func ok(fields map[string]any) apiResult {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	return apiResult{status: http.StatusOK, body: fields}
}

func fail(code string) apiResult {
	return apiResult{status: http.StatusOK, body: map[string]any{"ok": false, "error": code}}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	params, token, perr := collectParams(r, body)
	var res apiResult
	switch {
	case perr != nil:
		s.violation("%s: %v", method, perr)
		res = fail("invalid_arguments")
	default:
		if verr := s.spec.validate(method, params, token); verr != nil {
			s.violation("%s: request does not match Slack's Web API spec: %v", method, verr)
			res = fail("invalid_arguments")
		} else {
			res = s.call(method, params, token)
		}
	}
	s.mu.Lock()
	code, _ := res.body["error"].(string)
	s.calls = append(s.calls, Call{Method: method, Status: res.status, Error: code, At: time.Now()})
	s.notify()
	s.mu.Unlock()
	if res.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(res.retryAfter))
	}
	if res.status != http.StatusOK {
		w.WriteHeader(res.status)
		if res.status == http.StatusTooManyRequests {
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "ratelimited"})
		}
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(res.body)
}

func (s *Server) violation(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// collectParams gathers a request's arguments wherever Slack accepts them:
// the query string, a form body or a JSON body. Non-string JSON values are
// kept as their JSON text, as Slack reads them.
func collectParams(r *http.Request, body []byte) (map[string]string, string, error) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		if len(strings.TrimSpace(string(body))) > 0 {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, "", fmt.Errorf("JSON body is not an object: %w", err)
			}
			for k, raw := range m {
				var str string
				if json.Unmarshal(raw, &str) == nil {
					params[k] = str
				} else {
					params[k] = string(raw)
				}
			}
		}
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"), ct == "":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, "", fmt.Errorf("form body: %w", err)
		}
		for k, v := range form {
			params[k] = v[0]
		}
	default:
		return nil, "", fmt.Errorf("unexpected Content-Type %q", ct)
	}
	token := params["token"]
	delete(params, "token")
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		token = strings.TrimPrefix(auth, "Bearer ")
	}
	return params, token, nil
}

// takeFault returns the fault to inject for method, if any; callers hold
// s.mu.
func (s *Server) takeFault(method string) *fault {
	for i, f := range s.faults {
		if f.method == method && f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f
		}
	}
	return nil
}

func (s *Server) call(method string, p map[string]string, token string) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if method == "apps.connections.open" {
		if token != s.opts.AppToken {
			return fail("invalid_auth")
		}
	} else if token != s.opts.BotToken {
		if token == "" {
			return fail("not_authed")
		}
		return fail("invalid_auth")
	}
	f := s.takeFault(method)
	if f != nil && !f.afterCommit {
		if f.code != "" {
			return fail(f.code)
		}
		res := apiResult{status: f.status}
		if f.status == http.StatusTooManyRequests {
			res.retryAfter = 1
		}
		return res
	}
	if n := blockCount(p["blocks"]); n > maxBlocks {
		// Slack refuses a message of more than 50 blocks.
		s.violations = append(s.violations, fmt.Sprintf("%s: %d blocks; Slack takes %d in a message", method, n, maxBlocks))
		return fail("invalid_blocks")
	}
	res := s.do(method, p)
	if f != nil && f.afterCommit {
		return apiResult{status: f.status}
	}
	return res
}

// do performs a Web API method; callers hold s.mu.
func (s *Server) do(method string, p map[string]string) apiResult {
	switch method {
	case "auth.test":
		return ok(map[string]any{"url": "https://fake.slack.com/", "team": "Fake Clinic", "user": "tend",
			"team_id": s.opts.TeamID, "user_id": s.opts.BotUserID, "bot_id": s.opts.BotID})
	case "apps.connections.open":
		u := strings.Replace(s.srv.URL, "http://", "ws://", 1) + "/link/?ticket=" + s.nextID("t")
		return ok(map[string]any{"url": u})
	case "chat.postMessage":
		return s.postMessage(p)
	case "chat.postEphemeral":
		c, res, good := s.writableChannel(p["channel"])
		if !good {
			return res
		}
		if !c.Members[p["user"]] && !strings.HasPrefix(c.ID, "D") {
			return fail("user_not_in_channel")
		}
		s.ephemerals = append(s.ephemerals, &Ephemeral{Channel: c.ID, User: p["user"], Text: p["text"], Blocks: rawOrNil(p["blocks"]), Via: "chat.postEphemeral"})
		s.show("ephemeral", c.ID, "", p["user"], p["text"], rawOrNil(p["blocks"]), "chat.postEphemeral")
		s.notify()
		return ok(map[string]any{"message_ts": s.nextTS()})
	case "chat.update":
		if _, res, good := s.writableChannel(p["channel"]); !good {
			return res
		}
		m := s.findMessage(p["channel"], p["ts"])
		if m == nil {
			return fail("message_not_found")
		}
		m.Text, m.Blocks = p["text"], rawOrNil(p["blocks"])
		m.Edits++
		s.show("edit", m.Channel, m.TS, "", m.Text, m.Blocks, "chat.update")
		s.notify()
		return ok(map[string]any{"channel": m.Channel, "ts": m.TS, "text": m.Text})
	case "conversations.open":
		user := p["users"]
		if user == "" || strings.Contains(user, ",") {
			return fail("users_list_not_supplied")
		}
		if _, known := s.users[user]; !known {
			return fail("user_not_found")
		}
		if s.dmsClosed[user] {
			return fail("user_not_visible")
		}
		id := "D" + strings.TrimPrefix(user, "U")
		if s.channels[id] == nil {
			s.channels[id] = &Channel{ID: id, BotMember: true, Members: map[string]bool{user: true}}
		}
		return ok(map[string]any{"channel": map[string]any{"id": id}})
	case "conversations.invite":
		c, res, good := s.writableChannel(p["channel"])
		if !good {
			return res
		}
		for _, u := range strings.Split(p["users"], ",") {
			if _, known := s.users[u]; !known {
				return fail("user_not_found")
			}
			if c.Members[u] {
				return fail("already_in_channel")
			}
			c.Members[u] = true
		}
		s.notify()
		return ok(map[string]any{"channel": map[string]any{"id": c.ID, "name": c.Name, "is_private": c.Private}})
	case "conversations.history":
		return s.history(p)
	case "conversations.info":
		return s.conversationInfo(p)
	case "conversations.members":
		return s.conversationMembers(p)
	case "users.info":
		name, known := s.users[p["user"]]
		if !known && p["user"] != s.opts.BotUserID {
			return fail("user_not_found")
		}
		if p["user"] == s.opts.BotUserID {
			name = "tend"
		}
		return ok(map[string]any{"user": map[string]any{
			"id": p["user"], "team_id": s.opts.TeamID, "name": name, "real_name": name, "deleted": false,
			"is_bot": s.bots[p["user"]] || p["user"] == s.opts.BotUserID, "is_app_user": false,
			"profile": map[string]any{"display_name": name, "real_name": name},
		}})
	case "pins.add":
		if _, res, good := s.writableChannel(p["channel"]); !good {
			return res
		}
		m := s.findMessage(p["channel"], p["timestamp"])
		if m == nil {
			return fail("message_not_found")
		}
		if m.Pinned {
			return fail("already_pinned")
		}
		m.Pinned = true
		s.notify()
		return ok(nil)
	case "pins.remove":
		if _, res, good := s.writableChannel(p["channel"]); !good {
			return res
		}
		m := s.findMessage(p["channel"], p["timestamp"])
		if m == nil {
			return fail("message_not_found")
		}
		if !m.Pinned {
			return fail("not_pinned")
		}
		m.Pinned = false
		s.notify()
		return ok(nil)
	case "files.getUploadURLExternal":
		n, err := strconv.Atoi(p["length"])
		if err != nil || n <= 0 {
			return fail("invalid_arguments")
		}
		id := s.nextID("F")
		s.uploads[id] = &upload{name: p["filename"], length: n}
		return ok(map[string]any{"upload_url": s.srv.URL + "/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		return s.completeUpload(p)
	case "views.open":
		issued, known := s.triggers[p["trigger_id"]]
		if !known {
			return fail("invalid_trigger_id")
		}
		if time.Since(issued) > 3*time.Second {
			return fail("expired_trigger_id")
		}
		delete(s.triggers, p["trigger_id"])
		var v struct {
			CallbackID      string `json:"callback_id"`
			PrivateMetadata string `json:"private_metadata"`
		}
		if err := json.Unmarshal([]byte(p["view"]), &v); err != nil {
			return fail("invalid_arguments")
		}
		view := &View{ID: s.nextID("V"), CallbackID: v.CallbackID, PrivateMetadata: v.PrivateMetadata, Raw: json.RawMessage(p["view"])}
		s.views = append(s.views, view)
		s.notify()
		return ok(map[string]any{"view": map[string]any{"id": view.ID, "callback_id": v.CallbackID}})
	}
	s.violations = append(s.violations, fmt.Sprintf("%s: the fake does not implement this method", method))
	return fail("unknown_method")
}

// completeUpload shares uploaded files into a channel; callers hold s.mu.
func (s *Server) completeUpload(p map[string]string) apiResult {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(p["files"]), &files); err != nil || len(files) == 0 {
		return fail("invalid_arguments")
	}
	ch := p["channel_id"]
	if ch == "" {
		// Uploaded but shared nowhere: private to the bot. tend always
		// names the channel.
		s.violations = append(s.violations, "files.completeUploadExternal: no channel_id; the file would be shared nowhere")
		return fail("invalid_arguments")
	}
	c, res, good := s.writableChannel(ch)
	if !good {
		return res
	}
	var out []any
	for _, f := range files {
		u := s.uploads[f.ID]
		if u == nil || !u.done {
			return fail("file_not_found")
		}
		delete(s.uploads, f.ID)
		title := f.Title
		if title == "" {
			title = u.name
		}
		file := File{ID: f.ID, Name: u.name, Title: title, Channel: c.ID, User: dmUser(c), Data: u.data}
		s.files = append(s.files, file)
		s.show("file", c.ID, s.nextTS(), file.User, title, nil, "files.completeUploadExternal")
		out = append(out, map[string]any{"id": f.ID, "title": title})
	}
	s.notify()
	return ok(map[string]any{"files": out})
}

// serveUpload takes the bytes of a file at the URL files.getUploadURLExternal
// gave: a multipart form with the file, its length as announced.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+s.opts.BotToken {
		s.violation("upload %s: %s without the bot token", id, r.Method)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		s.violation("upload %s: no file part: %v", id, err)
		http.Error(w, "no file", http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	f.Close()
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.uploads[id]
	switch {
	case u == nil:
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	case len(data) != u.length:
		s.violations = append(s.violations, fmt.Sprintf("upload %s: %d bytes; files.getUploadURLExternal announced %d", id, len(data), u.length))
		http.Error(w, "length", http.StatusBadRequest)
		return
	}
	u.data, u.done = data, true
	s.notify()
	fmt.Fprintf(w, "OK - %d", len(data))
}

// writableChannel finds a channel the bot may write to; callers hold s.mu.
func (s *Server) writableChannel(id string) (*Channel, apiResult, bool) {
	c := s.channels[id]
	switch {
	case c == nil:
		return nil, fail("channel_not_found"), false
	case c.Archived:
		return nil, fail("is_archived"), false
	case !c.BotMember:
		return nil, fail("not_in_channel"), false
	}
	return c, apiResult{}, true
}

func (s *Server) postMessage(p map[string]string) apiResult {
	c, res, good := s.writableChannel(p["channel"])
	if !good {
		return res
	}
	if p["text"] == "" && p["blocks"] == "" {
		return fail("no_text")
	}
	l := s.limiters[c.ID]
	if l == nil {
		l = rate.NewLimiter(s.opts.ChannelRate, s.opts.ChannelBurst)
		s.limiters[c.ID] = l
	}
	// Both limits must allow the post; a refused post spends no token of
	// the other limit.
	now := time.Now()
	rc, rw := l.ReserveN(now, 1), s.workspace.ReserveN(now, 1)
	if !rc.OK() || !rw.OK() || rc.DelayFrom(now) > 0 || rw.DelayFrom(now) > 0 {
		rc.CancelAt(now)
		rw.CancelAt(now)
		s.rateLimits++
		return apiResult{status: http.StatusTooManyRequests, retryAfter: 1}
	}
	m := &Message{Channel: c.ID, TS: s.nextTS(), BotID: s.opts.BotID, Text: p["text"], Blocks: rawOrNil(p["blocks"]), Via: "chat.postMessage"}
	if md := p["metadata"]; md != "" {
		var meta Metadata
		if err := json.Unmarshal([]byte(md), &meta); err != nil || meta.EventType == "" {
			return fail("invalid_metadata_format")
		}
		m.Metadata = &meta
	}
	s.messages = append(s.messages, m)
	s.show("post", m.Channel, m.TS, dmUser(c), m.Text, m.Blocks, m.Via)
	s.notify()
	return ok(map[string]any{"channel": c.ID, "ts": m.TS, "message": map[string]any{"ts": m.TS, "text": m.Text, "bot_id": m.BotID, "type": "message"}})
}

func (s *Server) history(p map[string]string) apiResult {
	c := s.channels[p["channel"]]
	if c == nil {
		return fail("channel_not_found")
	}
	if !c.BotMember {
		return fail("not_in_channel")
	}
	limit := 100
	if n, err := strconv.Atoi(p["limit"]); err == nil && n > 0 && n < 1000 {
		limit = n
	}
	var msgs []*Message
	for _, m := range s.messages {
		if m.Channel == c.ID {
			msgs = append(msgs, m)
		}
	}
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].TS > msgs[j].TS }) // newest first
	start := 0
	if cur := p["cursor"]; cur != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(cur, "c"))
	}
	withMeta := p["include_all_metadata"] == "1" || p["include_all_metadata"] == "true"
	var out []map[string]any
	end := min(start+limit, len(msgs))
	for _, m := range msgs[min(start, len(msgs)):end] {
		o := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "bot_id": m.BotID}
		if withMeta && m.Metadata != nil {
			o["metadata"] = m.Metadata
		}
		out = append(out, o)
	}
	res := map[string]any{"messages": out, "has_more": end < len(msgs)}
	if end < len(msgs) {
		res["response_metadata"] = map[string]any{"next_cursor": "c" + strconv.Itoa(end)}
	}
	return ok(res)
}

// visibleChannel finds a channel the bot can read about: a private
// channel the bot is not in is invisible, as on Slack; callers hold s.mu.
func (s *Server) visibleChannel(id string) (*Channel, apiResult, bool) {
	c := s.channels[id]
	if c == nil || (c.Private || strings.HasPrefix(id, "D")) && !c.BotMember {
		return nil, fail("channel_not_found"), false
	}
	return c, apiResult{}, true
}

func (s *Server) conversationInfo(p map[string]string) apiResult {
	c, res, good := s.visibleChannel(p["channel"])
	if !good {
		return res
	}
	im := strings.HasPrefix(c.ID, "D")
	info := map[string]any{
		"id": c.ID, "name": c.Name, "is_channel": !c.Private && !im, "is_group": c.Private, "is_im": im, "is_mpim": false,
		"is_private": c.Private || im, "is_archived": c.Archived, "is_member": c.BotMember, "created": 1700000000,
	}
	if im {
		info["user"] = dmUser(c)
	}
	return ok(map[string]any{"channel": info})
}

// conversationMembers lists a channel's members by user id, the bot
// included when it is in the channel, paginated by cursor.
func (s *Server) conversationMembers(p map[string]string) apiResult {
	c, res, good := s.visibleChannel(p["channel"])
	if !good {
		return res
	}
	ids := make([]string, 0, len(c.Members)+1)
	for u := range c.Members {
		ids = append(ids, u)
	}
	if c.BotMember && !c.Members[s.opts.BotUserID] {
		ids = append(ids, s.opts.BotUserID)
	}
	sort.Strings(ids)
	limit := 100
	if n, err := strconv.Atoi(p["limit"]); err == nil && n > 0 {
		limit = min(n, 1000)
	}
	start := 0
	if cur := p["cursor"]; cur != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(cur, "m"))
		if err != nil || !strings.HasPrefix(cur, "m") {
			return fail("invalid_cursor")
		}
		start = n
	}
	end := min(start+limit, len(ids))
	next := ""
	if end < len(ids) {
		next = "m" + strconv.Itoa(end)
	}
	return ok(map[string]any{"members": ids[min(start, len(ids)):end], "response_metadata": map[string]any{"next_cursor": next}})
}

// show records something people saw; callers hold s.mu.
func (s *Server) show(kind, ch, ts, user, text string, blocks json.RawMessage, via string) {
	s.shown = append(s.shown, Shown{Kind: kind, Channel: ch, TS: ts, User: user, Text: text, Blocks: blocks, Via: via})
}

// dmUser returns the person a direct message channel is with, or "".
func dmUser(c *Channel) string {
	if !strings.HasPrefix(c.ID, "D") {
		return ""
	}
	for u := range c.Members {
		return u
	}
	return ""
}

// Shown returns everything people saw so far, in order.
func (s *Server) Shown() []Shown {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Shown(nil), s.shown...)
}

func (s *Server) findMessage(ch, ts string) *Message {
	for _, m := range s.messages {
		if m.Channel == ch && m.TS == ts {
			return m
		}
	}
	return nil
}

// maxBlocks is what one message may hold (Block Kit).
const maxBlocks = 50

// blockCount counts the blocks of a message's blocks argument; 0 when
// there are none or they do not parse (validated elsewhere).
func blockCount(raw string) int {
	var blocks []json.RawMessage
	if raw == "" || json.Unmarshal([]byte(raw), &blocks) != nil {
		return 0
	}
	return len(blocks)
}

func rawOrNil(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// --- response_url ---

// responseBody is what a response_url, an ack payload or a slash command's
// HTTP response may carry.
type responseBody struct {
	ResponseType    string          `json:"response_type"`
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ReplaceOriginal bool            `json:"replace_original"`
}

func (s *Server) serveRespond(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/respond/")
	s.mu.Lock()
	to, known := s.responses[id]
	s.mu.Unlock()
	if !known || r.Method != http.MethodPost {
		http.Error(w, "unknown response_url", http.StatusNotFound)
		return
	}
	var body responseBody
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		s.violation("response_url: body is not JSON: %v", err)
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	s.record(to, body, "response_url")
	w.WriteHeader(http.StatusOK)
}

// record stores a response (ack payload, HTTP response or response_url
// post) as the person would see it.
func (s *Server) record(to respondTo, body responseBody, via string) {
	if body.Text == "" && len(body.Blocks) == 0 {
		return
	}
	if n := blockCount(string(body.Blocks)); n > maxBlocks {
		s.violation("%s: %d blocks; Slack takes %d in a message", via, n, maxBlocks)
	}
	if len(body.Blocks) > 0 && !json.Valid(body.Blocks) {
		s.violation("%s: blocks are not valid JSON", via)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if body.ResponseType == "in_channel" {
		m := &Message{Channel: to.channel, TS: s.nextTS(), BotID: s.opts.BotID, Text: body.Text, Blocks: body.Blocks, Via: via}
		s.messages = append(s.messages, m)
		s.show("post", m.Channel, m.TS, "", m.Text, m.Blocks, via)
	} else {
		s.ephemerals = append(s.ephemerals, &Ephemeral{Channel: to.channel, User: to.user, Text: body.Text, Blocks: body.Blocks, Via: via})
		s.show("ephemeral", to.channel, "", to.user, body.Text, body.Blocks, via)
	}
	s.notify()
}
