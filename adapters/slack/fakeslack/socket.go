package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Ack is a Socket Mode acknowledgement as the fake received it.
type Ack struct {
	EnvelopeID string
	Type       string
	Payload    json.RawMessage
	// Latency is from writing the envelope to reading its ack.
	Latency time.Duration
	// Attempt is 0 for the first delivery, then 1, 2… for redeliveries.
	Attempt int
}

type wsConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex // gorilla/websocket allows one writer at a time
	done chan struct{}
	acks map[string]chan Ack
}

func (c *wsConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

// sockState is the Socket Mode side of the fake; guarded by Server.mu.
type sockState struct {
	cur         *wsConn
	all         map[*wsConn]bool
	connections int
	acks        []Ack
	origins     []string
	wg          sync.WaitGroup
	// allMu guards all between handlers and Close, which runs without
	// Server.mu so that it never waits on handlers while holding it.
	allMu  sync.Mutex
	closed bool
	// refuse: RefuseSockets; new connections are answered 503.
	refuse bool
}

func (st *sockState) init() { st.all = map[*wsConn]bool{} }

func (st *sockState) closeAll() {
	// Closing the sockets ends each handler's read loop.
	var conns []*wsConn
	for c := range st.snapshot() {
		conns = append(conns, c)
	}
	for _, c := range conns {
		_ = c.ws.Close()
	}
	st.wg.Wait()
}

func (st *sockState) snapshot() map[*wsConn]bool {
	st.allMu.Lock()
	defer st.allMu.Unlock()
	st.closed = true
	out := make(map[*wsConn]bool, len(st.all))
	for c := range st.all {
		out[c] = true
	}
	return out
}

// maxAckBytes is Socket Mode's limit on a frame from the app.
const maxAckBytes = 20 << 10

var upgrader = websocket.Upgrader{
	// slack-go dials with Origin: https://api.slack.com, which is not this
	// host; Slack's own endpoint accepts it, and so does the fake.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	// Counted before the upgrade, while httptest.Server.Close still waits
	// for this request, so that closeAll's Wait covers it.
	s.sock.wg.Add(1)
	defer s.sock.wg.Done()
	s.sock.allMu.Lock()
	refuse := s.sock.refuse
	s.sock.allMu.Unlock()
	if refuse {
		http.Error(w, "socket mode unavailable", http.StatusServiceUnavailable)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{ws: ws, done: make(chan struct{}), acks: map[string]chan Ack{}}
	s.sock.allMu.Lock()
	if s.sock.closed {
		s.sock.allMu.Unlock()
		_ = ws.Close()
		return
	}
	s.sock.all[c] = true
	s.sock.allMu.Unlock()
	defer func() {
		s.sock.allMu.Lock()
		delete(s.sock.all, c)
		s.sock.allMu.Unlock()
	}()

	hello := map[string]any{
		"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "fakeslack", "approximate_connection_time": 3600},
		"connection_info": map[string]any{"app_id": "A0FAKE"},
	}
	if err := c.write(hello); err != nil {
		_ = ws.Close()
		return
	}
	s.mu.Lock()
	s.sock.cur = c
	s.sock.connections++
	s.sock.origins = append(s.sock.origins, r.Header.Get("Origin"))
	s.notify()
	s.mu.Unlock()

	var pingWG sync.WaitGroup
	pingWG.Go(func() {
		t := time.NewTicker(s.opts.PingInterval)
		defer t.Stop()
		for {
			select {
			case <-c.done:
				return
			case <-t.C:
				c.wmu.Lock()
				err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second))
				c.wmu.Unlock()
				if err != nil {
					return
				}
			}
		}
	})

	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			break
		}
		if len(data) >= maxAckBytes {
			// Slack silently drops such frames; the envelope stays
			// unacknowledged.
			s.violation("socket mode: a %d-byte frame from the app; Slack drops frames of %d bytes or more", len(data), maxAckBytes)
			continue
		}
		var resp struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(data, &resp); err != nil || resp.EnvelopeID == "" {
			s.violation("socket mode: a frame from the app is not an acknowledgement: %q", truncate(string(data), 200))
			continue
		}
		s.mu.Lock()
		ch := c.acks[resp.EnvelopeID]
		delete(c.acks, resp.EnvelopeID)
		s.mu.Unlock()
		if ch == nil {
			s.violation("socket mode: acknowledgement of unknown or already acknowledged envelope %s", resp.EnvelopeID)
			continue
		}
		ch <- Ack{EnvelopeID: resp.EnvelopeID, Payload: resp.Payload}
	}
	close(c.done)
	pingWG.Wait()
	_ = ws.Close()
	s.mu.Lock()
	if s.sock.cur == c {
		s.sock.cur = nil
	}
	s.notify()
	s.mu.Unlock()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Connected waits until an app holds a Socket Mode connection and returns
// how many connections have been made so far.
func (s *Server) Connected(ctx context.Context) (int, error) {
	var n int
	err := s.Wait(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		n = s.sock.connections
		return s.sock.cur != nil
	})
	return n, err
}

// WaitConnections waits until at least n Socket Mode connections have been
// made and one is open.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	return s.Wait(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.sock.connections >= n && s.sock.cur != nil
	})
}

// Origins returns the Origin header of every Socket Mode connection.
func (s *Server) Origins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sock.origins...)
}

// Acks returns every acknowledgement received so far.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.sock.acks...)
}

// ErrNotAcked means the connection closed before the app acknowledged an
// envelope that Slack does not redeliver (slash commands, interactions).
var ErrNotAcked = errors.New("fakeslack: the connection closed before the envelope was acknowledged")

// SendEnvelope sends a Socket Mode envelope and waits for its
// acknowledgement. Events API envelopes that are not acknowledged before
// the connection closes are sent again on the next connection with
// retry_attempt increased, as Slack does; other kinds fail with
// ErrNotAcked.
func (s *Server) SendEnvelope(ctx context.Context, typ string, payload any) (Ack, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return Ack{}, err
	}
	s.mu.Lock()
	id := s.nextID("env-")
	s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		var c *wsConn
		if err := s.Wait(ctx, func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			c = s.sock.cur
			return c != nil
		}); err != nil {
			return Ack{}, err
		}
		ch := make(chan Ack, 1)
		s.mu.Lock()
		c.acks[id] = ch
		s.mu.Unlock()
		env := map[string]any{
			"envelope_id": id, "type": typ, "payload": json.RawMessage(raw),
			"accepts_response_payload": typ != "events_api",
			"retry_attempt":            attempt, "retry_reason": "",
		}
		if attempt > 0 {
			env["retry_reason"] = "timeout"
		}
		sent := time.Now()
		if err := c.write(env); err != nil {
			if typ != "events_api" {
				return Ack{}, fmt.Errorf("%w: %v", ErrNotAcked, err)
			}
			continue
		}
		select {
		case a := <-ch:
			a.Type, a.Latency, a.Attempt = typ, time.Since(sent), attempt
			s.mu.Lock()
			s.sock.acks = append(s.sock.acks, a)
			s.notify()
			s.mu.Unlock()
			return a, nil
		case <-c.done:
			if typ != "events_api" {
				return Ack{}, ErrNotAcked
			}
		case <-ctx.Done():
			return Ack{}, ctx.Err()
		}
	}
}

// Disconnect sends a disconnect envelope on the open connection, as Slack
// does before it rotates a connection; the app should reconnect.
func (s *Server) Disconnect() error {
	s.mu.Lock()
	c := s.sock.cur
	s.mu.Unlock()
	if c == nil {
		return errors.New("fakeslack: no socket mode connection")
	}
	return c.write(map[string]any{"type": "disconnect", "reason": "refresh_requested", "debug_info": map[string]any{"host": "fakeslack"}})
}

// RefuseSockets makes new Socket Mode connections fail (503 on the
// websocket URL) while on is true, as during an outage; the open one stays
// open (Drop closes it).
func (s *Server) RefuseSockets(on bool) {
	s.sock.allMu.Lock()
	defer s.sock.allMu.Unlock()
	s.sock.refuse = on
}

// Drop closes the open Socket Mode connection's TCP socket abruptly.
func (s *Server) Drop() error {
	s.mu.Lock()
	c := s.sock.cur
	s.mu.Unlock()
	if c == nil {
		return errors.New("fakeslack: no socket mode connection")
	}
	return c.ws.UnderlyingConn().Close()
}
