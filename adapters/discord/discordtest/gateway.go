package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway opcodes.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opReconnect      = 7
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatAck   = 11
)

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

// gwSession is one gateway session: it outlives connections, so that a
// resume replays what was dispatched while the socket was down.
type gwSession struct {
	id      string
	seq     int64
	buffer  []frame // every dispatch, for replay on resume
	conn    *gwConn
	intents int
}

type gwConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex
}

func (c *gwConn) write(f frame) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(f)
}

type gateway struct {
	mu          sync.Mutex
	sessions    map[string]*gwSession
	conns       map[*gwConn]bool
	identifies  int
	resumes     int
	connections int
	wg          sync.WaitGroup
	connected   chan struct{} // closed and replaced when a session becomes ready
	refuse      bool          // RefuseGateway: new sockets are answered 503
}

func (g *gateway) init() {
	g.sessions = map[string]*gwSession{}
	g.conns = map[*gwConn]bool{}
	g.connected = make(chan struct{})
}

func (g *gateway) counts() (identifies, resumes, connections int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.identifies, g.resumes, g.connections
}

func (g *gateway) closeAll() {
	g.mu.Lock()
	for c := range g.conns {
		c.ws.Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	if q := r.URL.Query(); q.Get("v") == "" || q.Get("encoding") != "json" {
		http.Error(w, "gateway needs ?v= and encoding=json", http.StatusBadRequest)
		return
	}
	s.gw.mu.Lock()
	refuse := s.gw.refuse
	s.gw.mu.Unlock()
	if refuse {
		http.Error(w, "gateway unavailable", http.StatusServiceUnavailable)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws}
	g := &s.gw
	g.mu.Lock()
	g.conns[c] = true
	g.connections++
	g.wg.Add(1)
	g.mu.Unlock()
	defer g.wg.Done()
	defer func() {
		g.mu.Lock()
		delete(g.conns, c)
		for _, ss := range g.sessions {
			if ss.conn == c {
				ss.conn = nil
			}
		}
		g.mu.Unlock()
		ws.Close()
	}()
	hello, _ := json.Marshal(map[string]any{"heartbeat_interval": s.cfg.HeartbeatInterval.Milliseconds()})
	if c.write(frame{Op: opHello, D: hello}) != nil {
		return
	}
	for {
		_ = ws.SetReadDeadline(time.Now().Add(s.cfg.HeartbeatInterval*2 + 10*time.Second))
		var f frame
		if err := ws.ReadJSON(&f); err != nil {
			return
		}
		switch f.Op {
		case opHeartbeat:
			if c.write(frame{Op: opHeartbeatAck}) != nil {
				return
			}
		case opIdentify:
			if !s.identify(c, f.D) {
				return
			}
		case opResume:
			if !s.resume(c, f.D) {
				return
			}
		}
	}
}

func (s *Server) tokenOK(tok string) bool {
	return strings.TrimPrefix(tok, "Bot ") == s.cfg.Token
}

func (s *Server) identify(c *gwConn, d json.RawMessage) bool {
	var id struct {
		Token   string `json:"token"`
		Intents *int   `json:"intents"`
	}
	if err := json.Unmarshal(d, &id); err != nil || !s.tokenOK(id.Token) {
		c.wmu.Lock()
		_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
		c.wmu.Unlock()
		return false
	}
	if id.Intents == nil {
		c.wmu.Lock()
		_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4013, "Invalid intent(s)."))
		c.wmu.Unlock()
		return false
	}
	s.mu.Lock()
	sid := "sess-" + s.NewID()
	guildIDs := s.sortedGuildsLocked()
	var unavailable []any
	for _, gid := range guildIDs {
		unavailable = append(unavailable, map[string]any{"id": gid, "unavailable": true})
	}
	ready := map[string]any{
		"v": 9, "user": s.userJSONLocked(s.cfg.BotUserID), "guilds": unavailable, "session_id": sid,
		"resume_gateway_url": s.gatewayURL(), "application": map[string]any{"id": s.cfg.AppID, "flags": 0},
		"private_channels": []any{}, "relationships": []any{},
	}
	var creates []map[string]any
	for _, gid := range guildIDs {
		creates = append(creates, s.guildCreateLocked(gid))
	}
	s.mu.Unlock()

	g := &s.gw
	g.mu.Lock()
	ss := &gwSession{id: sid, conn: c, intents: *id.Intents}
	g.sessions[sid] = ss
	g.identifies++
	g.mu.Unlock()
	if err := s.dispatchTo(ss, "READY", ready); err != nil {
		return false
	}
	for _, gc := range creates {
		if err := s.dispatchTo(ss, "GUILD_CREATE", gc); err != nil {
			return false
		}
	}
	g.mu.Lock()
	close(g.connected)
	g.connected = make(chan struct{})
	g.mu.Unlock()
	return true
}

func (s *Server) guildCreateLocked(gid string) map[string]any {
	gd := s.guilds[gid]
	var chans, members, roles, voice []any
	roles = s.rolesJSONLocked(gd)
	for _, cid := range gd.Channels {
		chans = append(chans, s.channelJSONLocked(s.channels[cid]))
	}
	for _, m := range gd.Members {
		mj := s.memberJSONLocked(gid, m)
		delete(mj, "guild_id")
		members = append(members, mj)
	}
	for u, ch := range gd.Voice {
		voice = append(voice, map[string]any{"user_id": u, "channel_id": ch, "session_id": "v" + u, "deaf": false, "mute": false, "self_deaf": false, "self_mute": false, "self_video": false, "suppress": false})
	}
	return map[string]any{
		"id": gid, "name": gd.Name, "owner_id": gd.OwnerID, "unavailable": false, "member_count": len(gd.Members),
		"channels": nonNil(chans), "members": nonNil(members), "roles": nonNil(roles), "voice_states": nonNil(voice),
		"threads": []any{}, "presences": []any{}, "emojis": []any{}, "stickers": []any{}, "features": []any{},
		"joined_at": time.Now().UTC().Format(time.RFC3339), "large": false,
	}
}

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func (s *Server) resume(c *gwConn, d json.RawMessage) bool {
	var rs struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(d, &rs); err != nil || !s.tokenOK(rs.Token) {
		return false
	}
	g := &s.gw
	g.mu.Lock()
	ss := g.sessions[rs.SessionID]
	if ss == nil {
		g.mu.Unlock()
		f, _ := json.Marshal(false)
		return c.write(frame{Op: opInvalidSession, D: f}) == nil
	}
	ss.conn = c
	g.resumes++
	// RESUMED comes first so that discordgo's Open, which reads one frame
	// after sending resume, sees it; the missed events follow in order.
	// Writing under g.mu keeps new dispatches behind the replay.
	ss.seq++
	seq := ss.seq
	frames := []frame{{Op: opDispatch, T: "RESUMED", D: json.RawMessage(`{}`), S: &seq}}
	for _, f := range ss.buffer {
		if *f.S > rs.Seq {
			frames = append(frames, f)
		}
	}
	for _, f := range frames {
		if c.write(f) != nil {
			ss.conn = nil
			g.mu.Unlock()
			return false
		}
	}
	g.mu.Unlock()
	g.mu.Lock()
	close(g.connected)
	g.connected = make(chan struct{})
	g.mu.Unlock()
	return true
}

// intentFor is the gateway intent an event needs, as Discord documents it;
// 0 for events every session gets.
func intentFor(typ string, data any) int {
	switch typ {
	case "GUILD_CREATE":
		return 1 << 0 // GUILDS
	case "GUILD_MEMBER_ADD", "GUILD_MEMBER_REMOVE", "GUILD_MEMBER_UPDATE":
		return 1 << 1 // GUILD_MEMBERS (privileged)
	case "VOICE_STATE_UPDATE":
		return 1 << 7 // GUILD_VOICE_STATES
	case "MESSAGE_CREATE", "MESSAGE_UPDATE":
		if m, ok := data.(map[string]any); ok && m["guild_id"] != nil {
			return 1 << 9 // GUILD_MESSAGES
		}
		return 1 << 12 // DIRECT_MESSAGES
	}
	return 0
}

// dispatchTo sends one event to a session (buffering it for resume),
// unless the session did not ask for the intent the event needs.
func (s *Server) dispatchTo(ss *gwSession, typ string, data any) error {
	if need := intentFor(typ, data); need != 0 && ss.intents&need == 0 {
		return nil
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	g := &s.gw
	g.mu.Lock()
	ss.seq++
	seq := ss.seq
	f := frame{Op: opDispatch, D: b, S: &seq, T: typ}
	ss.buffer = append(ss.buffer, f)
	defer g.mu.Unlock()
	if ss.conn == nil {
		return nil // delivered on resume
	}
	return ss.conn.write(f)
}

// Dispatch sends a gateway event to every session; a session whose socket
// is down gets it when it resumes, as with Discord.
func (s *Server) Dispatch(typ string, data any) {
	g := &s.gw
	g.mu.Lock()
	var sess []*gwSession
	for _, ss := range g.sessions {
		sess = append(sess, ss)
	}
	g.mu.Unlock()
	for _, ss := range sess {
		_ = s.dispatchTo(ss, typ, data)
	}
}

// WaitConnected waits until a gateway session has been identified or
// resumed at least n times in total.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	g := &s.gw
	for {
		g.mu.Lock()
		done := g.identifies+g.resumes >= n
		ch := g.connected
		g.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("discordtest: waiting for %d gateway connections: %w", n, ctx.Err())
		case <-ch:
		}
	}
}

// Connected reports whether a session has a live socket.
func (s *Server) Connected() bool {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ss := range g.sessions {
		if ss.conn != nil {
			return true
		}
	}
	return false
}

// Intents returns the intents the last identify asked for.
func (s *Server) Intents() int {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	best := -1
	for _, ss := range g.sessions {
		best = ss.intents
	}
	return best
}

// DropSocket closes every gateway socket abruptly, without a close frame,
// as a network failure would.
func (s *Server) DropSocket() {
	g := &s.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		c.ws.UnderlyingConn().Close()
	}
}

// RefuseGateway makes the gateway answer new connections 503 Service
// Unavailable while on is true, as during an outage of Discord's gateway;
// sockets already open stay open (DropSocket closes them).
func (s *Server) RefuseGateway(on bool) {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	s.gw.refuse = on
}

// Reconnect sends op 7 Reconnect on every socket.
func (s *Server) Reconnect() {
	g := &s.gw
	g.mu.Lock()
	var cs []*gwConn
	for c := range g.conns {
		cs = append(cs, c)
	}
	g.mu.Unlock()
	for _, c := range cs {
		_ = c.write(frame{Op: opReconnect, D: json.RawMessage("null")})
	}
}

// Join adds a member to a guild and dispatches GUILD_MEMBER_ADD.
func (s *Server) Join(guildID, userID string, pending bool) {
	s.mu.Lock()
	m := &Member{UserID: userID, Pending: pending}
	s.guilds[guildID].Members[userID] = m
	mj := s.memberJSONLocked(guildID, m)
	s.mu.Unlock()
	s.Dispatch("GUILD_MEMBER_ADD", mj)
}

// Leave removes a member and dispatches GUILD_MEMBER_REMOVE.
func (s *Server) Leave(guildID, userID string) {
	s.mu.Lock()
	delete(s.guilds[guildID].Members, userID)
	u := s.userJSONLocked(userID)
	s.mu.Unlock()
	s.Dispatch("GUILD_MEMBER_REMOVE", map[string]any{"guild_id": guildID, "user": u})
}

// PassScreening clears a member's pending flag and dispatches
// GUILD_MEMBER_UPDATE.
func (s *Server) PassScreening(guildID, userID string) {
	s.mu.Lock()
	m := s.guilds[guildID].Members[userID]
	m.Pending = false
	mj := s.memberJSONLocked(guildID, m)
	s.mu.Unlock()
	s.Dispatch("GUILD_MEMBER_UPDATE", mj)
}

// Voice moves a member into voice channel channelID ("" to leave) and
// dispatches VOICE_STATE_UPDATE.
func (s *Server) Voice(guildID, userID, channelID string) {
	s.mu.Lock()
	g := s.guilds[guildID]
	if channelID == "" {
		delete(g.Voice, userID)
	} else {
		g.Voice[userID] = channelID
	}
	mj := s.memberJSONLocked(guildID, g.Members[userID])
	delete(mj, "guild_id")
	s.mu.Unlock()
	var ch any
	if channelID != "" {
		ch = channelID
	}
	s.Dispatch("VOICE_STATE_UPDATE", map[string]any{"guild_id": guildID, "channel_id": ch, "user_id": userID, "member": mj,
		"session_id": "v" + userID, "deaf": false, "mute": false, "self_deaf": false, "self_mute": false, "self_video": false, "suppress": false})
}

// UserMessage dispatches MESSAGE_CREATE for a message authored by userID in
// channelID (a DM channel for direct messages). For a DM to the bot, use
// DMChannel first. It returns the message's id.
func (s *Server) UserMessage(userID, channelID, content string) string {
	s.mu.Lock()
	msg := &Message{ID: s.NewID(), ChannelID: channelID, AuthorID: userID, Content: content, CreatedAt: time.Now()}
	s.messages[channelID] = append(s.messages[channelID], msg)
	s.byID[msg.ID] = msg
	mj := s.messageJSONLocked(msg, false)
	s.mu.Unlock()
	s.Dispatch("MESSAGE_CREATE", mj)
	return msg.ID
}

// EditMessage changes the content of message id, as its author editing
// it, and dispatches MESSAGE_UPDATE with the whole message.
func (s *Server) EditMessage(id, content string) {
	s.mu.Lock()
	msg := s.byID[id]
	if msg == nil {
		s.mu.Unlock()
		return
	}
	msg.Content = content
	mj := s.messageJSONLocked(msg, false)
	mj["edited_timestamp"] = time.Now().UTC().Format(time.RFC3339Nano)
	s.mu.Unlock()
	s.Dispatch("MESSAGE_UPDATE", mj)
}

// DMChannel returns the DM channel between the bot and userID, creating it.
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.channels {
		if c.Type == ChannelDM && c.Recipient == userID {
			return c.ID
		}
	}
	c := &channel{ID: s.NewID(), Type: ChannelDM, Recipient: userID}
	s.channels[c.ID] = c
	return c.ID
}
