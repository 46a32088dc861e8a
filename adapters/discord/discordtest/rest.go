package discordtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written.
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) serveREST(w0 http.ResponseWriter, r *http.Request) {
	// Limits count requests when they arrive, as Discord's edge does, not
	// after the fake's own (costly) validation.
	arrived := time.Now()
	w := &statusRecorder{ResponseWriter: w0}
	defer func() {
		s.mu.Lock()
		s.stats.Requests++
		s.reqLog = append(s.reqLog, RequestRecord{Method: r.Method, Path: r.URL.Path, Status: w.status, At: time.Now()})
		s.mu.Unlock()
	}()
	body, err := io.ReadAll(io.LimitReader(r.Body, 12<<20))
	if err != nil {
		apiError(w, http.StatusBadRequest, 0, "could not read body")
		return
	}
	// An upload is multipart/form-data: the JSON body in payload_json and
	// the files as files[n], as Discord documents it ("Uploading Files").
	// The spec describes the multipart body of some routes as the JSON
	// schema itself, which payload_json then is: it is validated as the
	// JSON body, and the file parts here.
	var files []Attachment
	if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		js, fs, err := splitUpload(body, params["boundary"])
		if err != nil {
			s.mu.Lock()
			s.stats.Invalid++
			s.invalid = append(s.invalid, err.Error())
			s.mu.Unlock()
			s.tb.Errorf("discordtest: %s %s: %v", r.Method, r.URL.Path, err)
			apiError(w, http.StatusBadRequest, 50035, "Invalid Form Body")
			return
		}
		body, files = js, fs
		r = r.Clone(r.Context())
		r.Header.Set("Content-Type", "application/json")
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v9")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	interaction := len(parts) >= 1 && parts[0] == "interactions" ||
		len(parts) >= 3 && parts[0] == "webhooks" && parts[1] == s.cfg.AppID

	// Authentication: interaction callbacks and follow-ups are
	// authenticated by their token; everything else needs the bot token.
	if !interaction && r.Header.Get("Authorization") != "Bot "+s.cfg.Token {
		apiError(w, http.StatusUnauthorized, 0, "401: Unauthorized")
		return
	}
	if !s.cfg.SkipValidation {
		if err := validateRequest(r.Context(), r, body); err != nil {
			s.mu.Lock()
			s.stats.Invalid++
			s.invalid = append(s.invalid, err.Error())
			s.mu.Unlock()
			s.tb.Errorf("discordtest: request fails Discord's OpenAPI spec: %v", err)
			apiError(w, http.StatusBadRequest, 50035, "Invalid Form Body")
			return
		}
	}
	if !interaction && !s.admit(w, r.Method, parts, arrived) {
		return
	}
	if len(files) > 0 && !(len(parts) >= 1 && parts[0] == "interactions" || len(parts) >= 3 && parts[0] == "webhooks") {
		s.tb.Errorf("discordtest: %s %s: files uploaded where the fake does not take them", r.Method, r.URL.Path)
		apiError(w, http.StatusBadRequest, 50035, "Invalid Form Body")
		return
	}
	s.route(w, r, parts, body, files)
}

// maxUpload is what a bot may upload in one message to a server without
// boosts (10 MiB).
const maxUpload = 10 << 20

// splitUpload reads a multipart upload into its JSON body (payload_json)
// and its files (files[n], each with a filename), refusing what Discord
// refuses: no payload_json, a part of another name, a file without a name,
// more than 10 files, or more than 10 MiB in all.
func splitUpload(body []byte, boundary string) ([]byte, []Attachment, error) {
	if boundary == "" {
		return nil, nil, fmt.Errorf("multipart body without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var (
		js    []byte
		files []Attachment
		total int
	)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("multipart body: %w", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, fmt.Errorf("multipart part %q: %w", part.FormName(), err)
		}
		name := part.FormName()
		switch {
		case name == "payload_json":
			js = data
		case strings.HasPrefix(name, "files[") && strings.HasSuffix(name, "]"):
			if part.FileName() == "" {
				return nil, nil, fmt.Errorf("file part %s has no filename", name)
			}
			total += len(data)
			files = append(files, Attachment{Filename: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		default:
			return nil, nil, fmt.Errorf("multipart part %q is neither payload_json nor files[n]", name)
		}
	}
	switch {
	case js == nil:
		return nil, nil, fmt.Errorf("multipart body without payload_json")
	case len(files) > 10:
		return nil, nil, fmt.Errorf("%d files; Discord takes 10 per message", len(files))
	case total > maxUpload:
		return nil, nil, fmt.Errorf("%d bytes of files; a bot may upload %d", total, maxUpload)
	}
	return js, files, nil
}

// admit applies the fault switches, the global limit and the route's
// bucket. It writes a 429 or 5xx and returns false when the request is
// refused.
func (s *Server) admit(w http.ResponseWriter, method string, parts []string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail5xx > 0 {
		s.fail5xx--
		s.stats.Injected5xx++
		code := s.fail5xxCode
		if code == 0 {
			code = http.StatusInternalServerError
		}
		apiError(w, code, 0, http.StatusText(code))
		return false
	}
	if s.storm429 > 0 {
		s.storm429--
		s.stats.Injected429++
		s.stats.TooMany++
		retry := 0.05 + float64(s.storm429%3)*0.05
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry))))
		w.Header().Set("X-RateLimit-Scope", "shared")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": retry, "global": false})
		return false
	}
	// Global limit: a sliding one-second window.
	cut := now.Add(-time.Second)
	i := 0
	for i < len(s.global) && !s.global[i].After(cut) {
		i++
	}
	s.global = s.global[i:]
	if len(s.global) >= s.cfg.GlobalLimit {
		retry := s.global[0].Add(time.Second).Sub(now).Seconds()
		s.stats.TooMany++
		s.stats.GlobalTooMany++
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry))))
		w.Header().Set("X-RateLimit-Global", "true")
		w.Header().Set("X-RateLimit-Scope", "global")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": round3(retry), "global": true})
		return false
	}
	// Keep the window sorted: requests may reach this point out of their
	// arrival order.
	at := len(s.global)
	for at > 0 && s.global[at-1].After(now) {
		at--
	}
	s.global = append(s.global, time.Time{})
	copy(s.global[at+1:], s.global[at:])
	s.global[at] = now
	// Per-route bucket: message creates are 5 per 5 s per channel; other
	// routes get a roomy bucket so that their headers are still real.
	key, limit, window := routeBucket(method, parts, s.cfg)
	b := s.buckets[key]
	if b == nil {
		sum := sha256.Sum256([]byte(key))
		b = &bucket{hash: hex.EncodeToString(sum[:8]), limit: limit, window: window, remaining: limit}
		s.buckets[key] = b
	}
	if !now.Before(b.reset) {
		b.remaining = b.limit
		b.reset = now.Add(b.window)
	}
	after := b.reset.Sub(now).Seconds()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Bucket", b.hash)
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(b.reset.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(round3(after), 'f', 3, 64))
	if b.remaining <= 0 {
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Scope", "user")
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(after))))
		s.stats.TooMany++
		s.stats.RouteTooMany++
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": round3(after), "global": false})
		return false
	}
	b.remaining--
	h.Set("X-RateLimit-Remaining", strconv.Itoa(b.remaining))
	return true
}

func round3(f float64) float64 { return math.Ceil(f*1000) / 1000 }

func routeBucket(method string, parts []string, cfg Config) (string, int, time.Duration) {
	if method == http.MethodPost && len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages" {
		return "create:" + parts[1], cfg.ChannelLimit, cfg.ChannelWindow
	}
	if len(parts) >= 2 && (parts[0] == "channels" || parts[0] == "guilds") {
		return method + ":" + parts[0] + ":" + parts[1] + ":" + strings.Join(parts[2:min(3, len(parts))], "/"), 10, 10 * time.Second
	}
	return method + ":" + strings.Join(parts, "/"), 50, time.Second
}

// route dispatches an admitted request; files were uploaded with it.
func (s *Server) route(w http.ResponseWriter, r *http.Request, p []string, body []byte, files []Attachment) {
	m := r.Method
	switch {
	case m == "GET" && len(p) == 1 && p[0] == "gateway":
		writeJSON(w, 200, map[string]any{"url": s.gatewayURL()})
	case m == "GET" && len(p) == 2 && p[0] == "gateway" && p[1] == "bot":
		writeJSON(w, 200, map[string]any{"url": s.gatewayURL(), "shards": 1, "session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}})
	case p[0] == "channels" && len(p) >= 2:
		s.routeChannel(w, r, p, body)
	case m == "POST" && len(p) == 3 && p[0] == "users" && p[1] == "@me" && p[2] == "channels":
		s.createDM(w, body)
	case m == "GET" && len(p) == 2 && p[0] == "users" && p[1] == "@me":
		s.mu.Lock()
		u := s.userJSONLocked(s.cfg.BotUserID)
		s.mu.Unlock()
		writeJSON(w, 200, u)
	case p[0] == "guilds" && (len(p) == 2 || len(p) == 3):
		s.routeGuild(w, r, p)
	case p[0] == "guilds" && len(p) >= 4 && p[2] == "members":
		if len(p) == 6 && p[4] == "roles" && (m == "PUT" || m == "DELETE") && !s.waitRoleChange(r.Context()) {
			apiError(w, 500, 0, "500: Internal Server Error")
			return
		}
		s.routeMember(w, m, p)
	case m == "PUT" && p[0] == "applications" && (len(p) == 3 || len(p) == 5) && p[len(p)-1] == "commands":
		s.overwriteCommands(w, p, body)
	case m == "POST" && len(p) == 4 && p[0] == "interactions" && p[3] == "callback":
		s.callback(w, p[1], p[2], body, files)
	case p[0] == "webhooks" && len(p) >= 3:
		s.routeWebhook(w, m, p, body, files)
	default:
		apiError(w, 404, 0, "404: Not Found")
	}
}

func (s *Server) gatewayURL() string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gw"
}

// messageBody is what the fake reads from create and edit payloads.
type messageBody struct {
	Content      *string         `json:"content"`
	Embeds       *[]Embed        `json:"embeds"`
	Components   *[]Row          `json:"components"`
	Flags        *int            `json:"flags"`
	Nonce        json.RawMessage `json:"nonce"`
	EnforceNonce bool            `json:"enforce_nonce"`
}

func (mb messageBody) apply(m *Message) {
	if mb.Content != nil {
		m.Content = *mb.Content
	}
	if mb.Embeds != nil {
		m.Embeds = *mb.Embeds
	}
	if mb.Components != nil {
		m.Components = *mb.Components
	}
	if mb.Flags != nil {
		m.Flags = *mb.Flags
	}
}

func (s *Server) routeChannel(w http.ResponseWriter, r *http.Request, p []string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[p[1]]
	if ch == nil {
		apiError(w, 404, 10003, "Unknown Channel")
		return
	}
	if s.forbidden[ch.ID] {
		apiError(w, 403, 50001, "Missing Access")
		return
	}
	switch {
	case r.Method == "GET" && len(p) == 2:
		writeJSON(w, 200, s.channelJSONLocked(ch))
	case r.Method == "POST" && len(p) == 3 && p[2] == "messages":
		var mb messageBody
		if err := json.Unmarshal(body, &mb); err != nil {
			apiError(w, 400, 50109, "The request body contains invalid JSON.")
			return
		}
		if ch.Type == ChannelDM && s.dmsClosed[ch.Recipient] {
			apiError(w, 403, 50007, "Cannot send messages to this user")
			return
		}
		if s.rejects[ch.ID] > 0 {
			s.rejects[ch.ID]--
			invalidFormBody(w, "content", "BASE_TYPE_BAD_REQUEST", "This request was refused.")
			return
		}
		if n := embedChars(mb.Embeds); n > maxEmbedTotal {
			invalidFormBody(w, "embeds", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Embed size exceeds maximum size of %d", maxEmbedTotal))
			return
		}
		nonce := ""
		if len(mb.Nonce) > 0 && string(mb.Nonce) != "null" {
			if err := json.Unmarshal(mb.Nonce, &nonce); err != nil {
				nonce = string(mb.Nonce)
			}
		}
		if nonce != "" && mb.EnforceNonce && !s.cfg.IgnoreNonces {
			k := ch.ID + "/" + nonce
			if e, ok := s.nonces[k]; ok && time.Since(e.at) < s.cfg.NonceWindow {
				s.stats.NonceDuplicate++
				writeJSON(w, 200, s.messageJSONLocked(s.byID[e.msgID], true))
				return
			}
		}
		msg := &Message{ID: s.NewID(), ChannelID: ch.ID, AuthorID: s.cfg.BotUserID, Nonce: nonce, CreatedAt: time.Now()}
		mb.apply(msg)
		if msg.Content == "" && len(msg.Embeds) == 0 {
			apiError(w, 400, 50006, "Cannot send an empty message")
			return
		}
		s.messages[ch.ID] = append(s.messages[ch.ID], msg)
		s.byID[msg.ID] = msg
		s.stats.Created++
		if nonce != "" && mb.EnforceNonce {
			s.nonces[ch.ID+"/"+nonce] = nonceEntry{msgID: msg.ID, at: time.Now()}
		}
		kind, only := "post", ""
		if ch.Type == ChannelDM {
			kind, only = "dm", ch.Recipient
		}
		s.showLocked(Shown{Kind: kind, Channel: ch.ID, MessageID: msg.ID, OnlyFor: only, Message: *msg})
		if s.lostCreates > 0 {
			s.lostCreates--
			s.stats.Injected5xx++
			apiError(w, 500, 0, "500: Internal Server Error")
			return
		}
		writeJSON(w, 200, s.messageJSONLocked(msg, true))
	case r.Method == "GET" && len(p) == 3 && p[2] == "messages":
		limit := 50
		if v := r.URL.Query().Get("limit"); v != "" {
			if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 100 {
				limit = n
			}
		}
		msgs := s.messages[ch.ID]
		out := []any{}
		for i := len(msgs) - 1; i >= 0 && len(out) < limit; i-- {
			// Discord does not return the nonce in message history.
			out = append(out, s.messageJSONLocked(msgs[i], false))
		}
		writeJSON(w, 200, out)
	case len(p) == 4 && p[2] == "messages":
		msg := s.byID[p[3]]
		if msg == nil || msg.ChannelID != ch.ID {
			apiError(w, 404, 10008, "Unknown Message")
			return
		}
		switch r.Method {
		case "GET":
			writeJSON(w, 200, s.messageJSONLocked(msg, false))
		case "PATCH":
			if msg.AuthorID != s.cfg.BotUserID {
				apiError(w, 403, 50005, "Cannot edit a message authored by another user")
				return
			}
			var mb messageBody
			if err := json.Unmarshal(body, &mb); err != nil {
				apiError(w, 400, 50109, "The request body contains invalid JSON.")
				return
			}
			if n := embedChars(mb.Embeds); n > maxEmbedTotal {
				invalidFormBody(w, "embeds", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Embed size exceeds maximum size of %d", maxEmbedTotal))
				return
			}
			mb.apply(msg)
			msg.Edits++
			s.showLocked(Shown{Kind: "edit", Channel: ch.ID, MessageID: msg.ID, Message: *msg})
			writeJSON(w, 200, s.messageJSONLocked(msg, false))
		default:
			apiError(w, 405, 0, "405: Method Not Allowed")
		}
	case (r.Method == "PUT" || r.Method == "DELETE") && len(p) == 4 && p[2] == "pins":
		msg := s.byID[p[3]]
		if msg == nil || msg.ChannelID != ch.ID {
			apiError(w, 404, 10008, "Unknown Message")
			return
		}
		pin := r.Method == "PUT"
		if msg.Pinned != pin {
			msg.Pinned = pin
			kind := "pin"
			if !pin {
				kind = "unpin"
			}
			s.showLocked(Shown{Kind: kind, Channel: ch.ID, MessageID: msg.ID, Message: *msg})
		}
		w.WriteHeader(204)
	default:
		apiError(w, 404, 0, "404: Not Found")
	}
}

func (s *Server) createDM(w http.ResponseWriter, body []byte) {
	var req struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.RecipientID == "" {
		apiError(w, 400, 50035, "Invalid Form Body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[req.RecipientID] == nil {
		apiError(w, 400, 50033, "Invalid Recipient(s)")
		return
	}
	for _, c := range s.channels {
		if c.Type == ChannelDM && c.Recipient == req.RecipientID {
			writeJSON(w, 200, s.channelJSONLocked(c))
			return
		}
	}
	c := &channel{ID: s.NewID(), Type: ChannelDM, Recipient: req.RecipientID}
	s.channels[c.ID] = c
	writeJSON(w, 200, s.channelJSONLocked(c))
}

func (s *Server) routeMember(w http.ResponseWriter, method string, p []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[p[1]]
	if g == nil {
		apiError(w, 404, 10004, "Unknown Guild")
		return
	}
	mem := g.Members[p[3]]
	if mem == nil {
		apiError(w, 404, 10007, "Unknown Member")
		return
	}
	switch {
	case method == "GET" && len(p) == 4:
		writeJSON(w, 200, s.memberJSONLocked(g.ID, mem))
	case len(p) == 6 && p[4] == "roles" && (method == "PUT" || method == "DELETE"):
		known := false
		for _, r := range g.Roles {
			known = known || r == p[5]
		}
		if !known {
			apiError(w, 404, 10011, "Unknown Role")
			return
		}
		if !s.botMayGrantLocked(g, p[5]) {
			apiError(w, 403, 50013, "Missing Permissions")
			return
		}
		has := -1
		for i, r := range mem.Roles {
			if r == p[5] {
				has = i
			}
		}
		if method == "PUT" && has < 0 {
			mem.Roles = append(mem.Roles, p[5])
			s.showLocked(Shown{Kind: "role", OnlyFor: mem.UserID, Message: Message{Content: "+" + p[5]}})
		}
		if method == "DELETE" && has >= 0 {
			mem.Roles = append(mem.Roles[:has], mem.Roles[has+1:]...)
			s.showLocked(Shown{Kind: "role", OnlyFor: mem.UserID, Message: Message{Content: "-" + p[5]}})
		}
		w.WriteHeader(204)
	default:
		apiError(w, 405, 0, "405: Method Not Allowed")
	}
}

func (s *Server) overwriteCommands(w http.ResponseWriter, p []string, body []byte) {
	if p[1] != s.cfg.AppID {
		apiError(w, 403, 50001, "Missing Access")
		return
	}
	var cmds []map[string]any
	if err := json.Unmarshal(body, &cmds); err != nil {
		apiError(w, 400, 50035, "Invalid Form Body")
		return
	}
	for _, c := range cmds {
		// Discord: the names, descriptions and choice names and values of
		// one command together are at most 8000 characters.
		if n := commandChars(c); n > 8000 {
			s.mu.Lock()
			s.invalid = append(s.invalid, fmt.Sprintf("command %v is %d characters; Discord allows 8000", c["name"], n))
			s.mu.Unlock()
			s.tb.Errorf("discordtest: command %v is %d characters; Discord allows 8000", c["name"], n)
			apiError(w, 400, 50035, "Invalid Form Body")
			return
		}
	}
	guildID := ""
	if len(p) == 5 {
		guildID = p[3]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if guildID != "" && s.guilds[guildID] == nil {
		apiError(w, 404, 10004, "Unknown Guild")
		return
	}
	out := make([]any, 0, len(cmds))
	for _, c := range cmds {
		c["id"] = s.NewID()
		c["application_id"] = s.cfg.AppID
		c["version"] = s.NewID()
		if guildID != "" {
			c["guild_id"] = guildID
		}
		if _, ok := c["type"]; !ok {
			c["type"] = 1
		}
		out = append(out, c)
	}
	s.commands[guildID] = cmds
	s.notifyLocked()
	writeJSON(w, 200, out)
}

func (s *Server) routeWebhook(w http.ResponseWriter, method string, p []string, body []byte, files []Attachment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.interactionByTokenLocked(p[2])
	if p[1] != s.cfg.AppID || it == nil {
		apiError(w, 401, 50027, "Invalid Webhook Token")
		return
	}
	if time.Since(it.ArrivedAt) > 15*time.Minute {
		apiError(w, 401, 50027, "Invalid Webhook Token")
		return
	}
	if !it.acked {
		apiError(w, 404, 10015, "Unknown Webhook")
		return
	}
	var mb messageBody
	if err := json.Unmarshal(body, &mb); err != nil {
		apiError(w, 400, 50109, "The request body contains invalid JSON.")
		return
	}
	if n := embedChars(mb.Embeds); n > maxEmbedTotal {
		invalidFormBody(w, "embeds", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Embed size exceeds maximum size of %d", maxEmbedTotal))
		return
	}
	switch {
	case method == "PATCH" && len(p) == 5 && p[3] == "messages" && p[4] == "@original":
		msg := it.original
		if msg == nil {
			apiError(w, 404, 10008, "Unknown Message")
			return
		}
		mb.apply(msg)
		if files != nil {
			msg.Attachments = files
		}
		it.FollowUpAt = time.Now()
		s.showLocked(Shown{Kind: "reply", Channel: it.ChannelID, MessageID: msg.ID, Ephemeral: it.ephemeral, OnlyFor: onlyIf(it.ephemeral, it.UserID), Message: *msg})
		writeJSON(w, 200, s.messageJSONLocked(msg, false))
	case method == "POST" && len(p) == 3:
		msg := &Message{ID: s.NewID(), ChannelID: it.ChannelID, AuthorID: s.cfg.BotUserID, CreatedAt: time.Now(), InteractionID: it.ID, Attachments: files}
		mb.apply(msg)
		eph := msg.Flags&flagEphemeral != 0
		if !eph {
			s.messages[it.ChannelID] = append(s.messages[it.ChannelID], msg)
		}
		s.byID[msg.ID] = msg
		it.FollowUpAt = time.Now()
		s.showLocked(Shown{Kind: "reply", Channel: it.ChannelID, MessageID: msg.ID, Ephemeral: eph, OnlyFor: onlyIf(eph, it.UserID), Message: *msg})
		writeJSON(w, 200, s.messageJSONLocked(msg, false))
	default:
		apiError(w, 405, 0, "405: Method Not Allowed")
	}
}

// commandChars counts what Discord's 8000-character command limit counts.
func commandChars(c map[string]any) int {
	n := len([]rune(fmt.Sprint(c["name"]))) + len([]rune(fmt.Sprint(c["description"])))
	for _, o := range optionList(c["options"]) {
		n += commandChars(o)
	}
	for _, ch := range optionList(c["choices"]) {
		n += len([]rune(fmt.Sprint(ch["name"]))) + len([]rune(fmt.Sprint(ch["value"])))
	}
	return n
}

func onlyIf(b bool, user string) string {
	if b {
		return user
	}
	return ""
}

// CommandChars is the size of a registered command as Discord's
// 8000-character limit counts it.
func CommandChars(c map[string]any) int { return commandChars(c) }

// maxEmbedTotal is Discord's limit on the characters of all of a message's
// embeds together (titles, descriptions, field names and values, footers),
// which no per-field schema in the spec expresses.
const maxEmbedTotal = 6000

// embedChars counts what the 6000-character embed limit counts.
func embedChars(es *[]Embed) int {
	if es == nil {
		return 0
	}
	n := 0
	for _, e := range *es {
		n += utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
		for _, f := range e.Fields {
			n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
		}
		if e.Footer != nil {
			n += utf8.RuneCountInString(e.Footer.Text)
		}
	}
	return n
}

// invalidFormBody writes Discord's 400 for a refused payload: code 50035
// with the offending field in "errors".
func invalidFormBody(w http.ResponseWriter, field, code, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"code": 50035, "message": "Invalid Form Body",
		"errors": map[string]any{field: map[string]any{"_errors": []any{map[string]any{"code": code, "message": msg}}}},
	})
}
