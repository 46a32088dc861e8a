package fakeslack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Paths the adapter serves in http mode (mirrors adapters/slack).
const (
	PathCommands    = "/slack/commands"
	PathInteractive = "/slack/interactive"
	PathEvents      = "/slack/events"
)

type httpTarget struct {
	base string
}

// SetHTTPTarget makes the fake deliver slash commands, interactions and
// events as signed HTTP requests to base (the adapter's http mode listen
// address, "http://127.0.0.1:port") instead of over Socket Mode.
func (s *Server) SetHTTPTarget(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.http.base = strings.TrimSuffix(base, "/")
}

// Response is how the app answered an inbound request: its Socket Mode
// acknowledgement or its HTTP response.
type Response struct {
	Status  int // HTTP status; 200 for a Socket Mode acknowledgement
	Body    json.RawMessage
	Latency time.Duration
	// Late is set when the answer came after Slack's 3-second deadline,
	// when Slack would have shown the person an error instead.
	Late bool
}

// AckDeadline is how long Slack waits for an acknowledgement.
const AckDeadline = 3 * time.Second

// SignOptions tampers with a signed request, for security tests.
type SignOptions struct {
	Unsigned bool          // no signature headers at all
	Forge    bool          // a signature made with the wrong secret
	Skew     time.Duration // added to the timestamp (negative: an old request)
}

// Sign returns Slack's v0 signature of body at ts with secret.
func Sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%s:", ts)
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// PostSigned posts body to the http target's path, signed as Slack signs
// requests unless opts say otherwise.
func (s *Server) PostSigned(ctx context.Context, path, contentType string, body []byte, opts SignOptions) (Response, error) {
	s.mu.Lock()
	base := s.http.base
	s.mu.Unlock()
	if base == "" {
		return Response{}, errors.New("fakeslack: no http target; call SetHTTPTarget")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	if !opts.Unsigned {
		ts := strconv.FormatInt(time.Now().Add(opts.Skew).Unix(), 10)
		secret := s.opts.SigningSecret
		if opts.Forge {
			secret = "not-" + secret
		}
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Response{}, err
	}
	return Response{Status: resp.StatusCode, Body: rb, Latency: time.Since(start)}, nil
}

func (s *Server) httpMode() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.http.base != ""
}

// deliver sends an inbound request over the current transport and records
// a response payload (a slash command's answer) as the person sees it.
func (s *Server) deliver(ctx context.Context, typ, path string, payload map[string]any, form url.Values, to respondTo) (Response, error) {
	var res Response
	if s.httpMode() {
		var body []byte
		ct := "application/x-www-form-urlencoded"
		switch {
		case form != nil:
			body = []byte(form.Encode())
		case typ == "interactive":
			raw, err := json.Marshal(payload)
			if err != nil {
				return Response{}, err
			}
			body = []byte(url.Values{"payload": {string(raw)}}.Encode())
		default:
			raw, err := json.Marshal(payload)
			if err != nil {
				return Response{}, err
			}
			body, ct = raw, "application/json"
		}
		var err error
		if res, err = s.PostSigned(ctx, path, ct, body, SignOptions{}); err != nil {
			return Response{}, err
		}
		if res.Status != http.StatusOK {
			return res, fmt.Errorf("fakeslack: the app answered %s with HTTP %d", path, res.Status)
		}
	} else {
		p := payload
		if form != nil {
			p = map[string]any{}
			for k, v := range form {
				p[k] = v[0]
			}
		}
		ack, err := s.SendEnvelope(ctx, typ, p)
		if err != nil {
			return Response{}, err
		}
		res = Response{Status: http.StatusOK, Body: ack.Payload, Latency: ack.Latency}
	}
	res.Late = res.Latency > AckDeadline
	if res.Late {
		// Slack shows the person a timeout and drops the answer.
		return res, nil
	}
	if typ == "slash_commands" && len(bytes.TrimSpace(res.Body)) > 0 && string(res.Body) != "null" {
		var body responseBody
		if err := json.Unmarshal(res.Body, &body); err != nil {
			s.violation("slash command response is not a message: %v", err)
		} else {
			s.record(to, body, "ack")
		}
	}
	return res, nil
}

// newResponse registers a response_url and a trigger_id for an
// interaction by user in channel.
func (s *Server) newResponse(user, channel string) (responseURL, triggerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID("r")
	s.responses[id] = respondTo{channel: channel, user: user}
	trig := s.nextID("trig.")
	s.triggers[trig] = time.Now()
	return s.srv.URL + "/respond/" + id, trig
}

func (s *Server) channelName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.HasPrefix(id, "D") {
		return "directmessage"
	}
	if c := s.channels[id]; c != nil && c.Name != "" {
		return c.Name
	}
	return "unknown"
}

func (s *Server) userName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[id]
}

// SlashCommand sends "/tend text" typed by user in channel and returns the
// app's acknowledgement. An answer in the acknowledgement, on the
// response_url or through chat.postEphemeral shows up in Ephemerals (or
// Messages, for in_channel answers).
func (s *Server) SlashCommand(ctx context.Context, user, channel, text string) (Response, error) {
	respURL, trig := s.newResponse(user, channel)
	form := url.Values{
		"token": {"deprecated-verification-token"}, "team_id": {s.opts.TeamID}, "team_domain": {"fake"},
		"channel_id": {channel}, "channel_name": {s.channelName(channel)},
		"user_id": {user}, "user_name": {s.userName(user)}, "command": {"/tend"}, "text": {text},
		"api_app_id": {"A0FAKE"}, "response_url": {respURL}, "trigger_id": {trig},
	}
	return s.deliver(ctx, "slash_commands", PathCommands, nil, form, respondTo{channel: channel, user: user})
}

// ButtonID returns the action_id of the button labelled label in m.
func ButtonID(m Message, label string) (string, bool) {
	for _, b := range buttons(m.Blocks) {
		if b.Text.Text == label {
			return b.ActionID, true
		}
	}
	return "", false
}

type buttonElem struct {
	Type     string `json:"type"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	Text     struct {
		Text string `json:"text"`
	} `json:"text"`
	blockID string
}

func buttons(blocks json.RawMessage) []buttonElem {
	var bs []struct {
		Type     string       `json:"type"`
		BlockID  string       `json:"block_id"`
		Elements []buttonElem `json:"elements"`
	}
	_ = json.Unmarshal(blocks, &bs)
	var out []buttonElem
	for _, b := range bs {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type == "button" {
				e.blockID = b.BlockID
				out = append(out, e)
			}
		}
	}
	return out
}

// Click presses the button with actionID on message m as user. An
// actionID that is not on the message is sent anyway, as a forged request
// would be, with the block_id "forged".
func (s *Server) Click(ctx context.Context, user string, m Message, actionID string) (Response, error) {
	blockID, value, label := "forged", actionID, "?"
	for _, b := range buttons(m.Blocks) {
		if b.ActionID == actionID {
			blockID, value, label = b.blockID, b.Value, b.Text.Text
		}
	}
	respURL, trig := s.newResponse(user, m.Channel)
	payload := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": user, "username": s.userName(user), "name": s.userName(user), "team_id": s.opts.TeamID},
		"api_app_id": "A0FAKE", "token": "deprecated-verification-token",
		"container":    map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": false},
		"trigger_id":   trig,
		"team":         map[string]any{"id": s.opts.TeamID, "domain": "fake"},
		"channel":      map[string]any{"id": m.Channel, "name": s.channelName(m.Channel)},
		"message":      map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "bot_id": m.BotID, "blocks": m.Blocks},
		"response_url": respURL,
		"actions": []map[string]any{{
			"type": "button", "action_id": actionID, "block_id": blockID, "value": value,
			"text": map[string]any{"type": "plain_text", "text": label}, "action_ts": fmt.Sprintf("%d.000001", time.Now().Unix()),
		}},
	}
	return s.deliver(ctx, "interactive", PathInteractive, payload, nil, respondTo{channel: m.Channel, user: user})
}

// Submit submits view v as user with values by input action_id.
func (s *Server) Submit(ctx context.Context, user string, v View, values map[string]string) (Response, error) {
	var view struct {
		Blocks []struct {
			Type    string `json:"type"`
			BlockID string `json:"block_id"`
			Element struct {
				Type     string `json:"type"`
				ActionID string `json:"action_id"`
			} `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(v.Raw, &view); err != nil {
		return Response{}, fmt.Errorf("fakeslack: view: %w", err)
	}
	state := map[string]any{}
	for _, b := range view.Blocks {
		if b.Type != "input" {
			continue
		}
		state[b.BlockID] = map[string]any{b.Element.ActionID: map[string]any{"type": b.Element.Type, "value": values[b.Element.ActionID]}}
	}
	_, trig := s.newResponse(user, v.PrivateMetadata)
	payload := map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": s.opts.TeamID, "domain": "fake"},
		"user":       map[string]any{"id": user, "username": s.userName(user), "name": s.userName(user), "team_id": s.opts.TeamID},
		"api_app_id": "A0FAKE", "token": "deprecated-verification-token", "trigger_id": trig,
		"view": map[string]any{
			"id": v.ID, "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
			"state": map[string]any{"values": state}, "team_id": s.opts.TeamID, "app_id": "A0FAKE",
		},
	}
	return s.deliver(ctx, "interactive", PathInteractive, payload, nil, respondTo{channel: v.PrivateMetadata, user: user})
}

func (s *Server) eventCallback(ev map[string]any) map[string]any {
	s.mu.Lock()
	id := s.nextID("Ev")
	s.mu.Unlock()
	return map[string]any{
		"token": "deprecated-verification-token", "team_id": s.opts.TeamID, "api_app_id": "A0FAKE",
		"event": ev, "type": "event_callback", "event_id": id, "event_time": time.Now().Unix(),
		"authorizations": []map[string]any{{"team_id": s.opts.TeamID, "user_id": s.opts.BotUserID, "is_bot": true}},
	}
}

// MemberJoined puts user in channel and reports member_joined_channel, as
// Slack does, only when the bot is a member of the channel: Slack sends an
// app these events only for channels it is in. For another channel the
// person joins and nothing is delivered: the Response is zero (Status 0).
func (s *Server) MemberJoined(ctx context.Context, user, channel string) (Response, error) {
	s.mu.Lock()
	c := s.channels[channel]
	if c != nil {
		c.Members[user] = true
	}
	botIn := c != nil && c.BotMember
	s.mu.Unlock()
	if !botIn {
		return Response{}, nil
	}
	ev := map[string]any{"type": "member_joined_channel", "user": user, "channel": channel, "channel_type": channelType(c),
		"team": s.opts.TeamID, "event_ts": fmt.Sprintf("%d.000100", time.Now().Unix())}
	return s.deliver(ctx, "events_api", PathEvents, s.eventCallback(ev), nil, respondTo{})
}

// MemberLeft takes user out of channel and reports member_left_channel,
// only when the bot is a member of the channel (see MemberJoined).
func (s *Server) MemberLeft(ctx context.Context, user, channel string) (Response, error) {
	s.mu.Lock()
	c := s.channels[channel]
	if c != nil {
		delete(c.Members, user)
	}
	botIn := c != nil && c.BotMember
	s.mu.Unlock()
	if !botIn {
		return Response{}, nil
	}
	ev := map[string]any{"type": "member_left_channel", "user": user, "channel": channel, "channel_type": channelType(c),
		"team": s.opts.TeamID, "event_ts": fmt.Sprintf("%d.000200", time.Now().Unix())}
	return s.deliver(ctx, "events_api", PathEvents, s.eventCallback(ev), nil, respondTo{})
}

// InviteBot puts the bot in channel, as /invite @tend does, and reports
// the bot's own member_joined_channel, as Slack does.
func (s *Server) InviteBot(ctx context.Context, channel string) (Response, error) {
	s.mu.Lock()
	c := s.channels[channel]
	if c == nil {
		s.mu.Unlock()
		return Response{}, fmt.Errorf("fakeslack: invite the bot: no channel %s", channel)
	}
	c.BotMember = true
	s.mu.Unlock()
	ev := map[string]any{"type": "member_joined_channel", "user": s.opts.BotUserID, "channel": channel, "channel_type": channelType(c),
		"team": s.opts.TeamID, "event_ts": fmt.Sprintf("%d.000300", time.Now().Unix())}
	return s.deliver(ctx, "events_api", PathEvents, s.eventCallback(ev), nil, respondTo{})
}

// channelType is member_joined_channel's channel_type: C for a public
// channel, G for a private one.
func channelType(c *Channel) string {
	if c.Private {
		return "G"
	}
	return "C"
}

// DirectMessage reports that user wrote text to the bot privately.
func (s *Server) DirectMessage(ctx context.Context, user, text string) (Response, error) {
	ch := "D" + strings.TrimPrefix(user, "U")
	s.mu.Lock()
	if s.channels[ch] == nil {
		s.channels[ch] = &Channel{ID: ch, BotMember: true, Members: map[string]bool{user: true}}
	}
	ts := s.nextTS()
	s.mu.Unlock()
	ev := map[string]any{"type": "message", "channel": ch, "channel_type": "im", "user": user, "text": text,
		"ts": ts, "event_ts": ts, "client_msg_id": "m" + ts}
	return s.deliver(ctx, "events_api", PathEvents, s.eventCallback(ev), nil, respondTo{channel: ch, user: user})
}

// DirectMessageFile reports that user shared a file with the bot
// privately, with text as its words (subtype file_share).
func (s *Server) DirectMessageFile(ctx context.Context, user, text string) (Response, error) {
	ch := "D" + strings.TrimPrefix(user, "U")
	s.mu.Lock()
	if s.channels[ch] == nil {
		s.channels[ch] = &Channel{ID: ch, BotMember: true, Members: map[string]bool{user: true}}
	}
	ts := s.nextTS()
	fid := s.nextID("F")
	s.mu.Unlock()
	ev := map[string]any{"type": "message", "subtype": "file_share", "channel": ch, "channel_type": "im", "user": user, "text": text,
		"ts": ts, "event_ts": ts, "upload": false, "display_as_bot": false,
		"files": []map[string]any{{"id": fid, "name": "note.png", "mimetype": "image/png", "filetype": "png", "user": user}}}
	return s.deliver(ctx, "events_api", PathEvents, s.eventCallback(ev), nil, respondTo{channel: ch, user: user})
}

// EditDirectMessage reports that user edited a message they sent the bot
// privately from was to text (subtype message_changed, hidden, with the
// new message inside).
func (s *Server) EditDirectMessage(ctx context.Context, user, was, text string) (Response, error) {
	ch := "D" + strings.TrimPrefix(user, "U")
	s.mu.Lock()
	ts := s.nextTS()
	s.mu.Unlock()
	orig := "1700000000.000001"
	ev := map[string]any{"type": "message", "subtype": "message_changed", "hidden": true, "channel": ch, "channel_type": "im",
		"ts": ts, "event_ts": ts,
		"message": map[string]any{"type": "message", "user": user, "text": text, "ts": orig,
			"edited": map[string]any{"user": user, "ts": ts}},
		"previous_message": map[string]any{"type": "message", "user": user, "text": was, "ts": orig}}
	return s.deliver(ctx, "events_api", PathEvents, s.eventCallback(ev), nil, respondTo{channel: ch, user: user})
}

// BotMessage reports a message the bot itself posted in a DM, which the
// app must ignore.
func (s *Server) BotMessage(ctx context.Context, user, text string) (Response, error) {
	ch := "D" + strings.TrimPrefix(user, "U")
	s.mu.Lock()
	ts := s.nextTS()
	s.mu.Unlock()
	ev := map[string]any{"type": "message", "subtype": "bot_message", "channel": ch, "channel_type": "im",
		"bot_id": s.opts.BotID, "user": s.opts.BotUserID, "text": text, "ts": ts, "event_ts": ts}
	return s.deliver(ctx, "events_api", PathEvents, s.eventCallback(ev), nil, respondTo{})
}

// Button is a button as shown in Block Kit.
type Button struct {
	Label    string
	ActionID string
	BlockID  string
}

// Buttons returns the buttons in blocks, in order.
func Buttons(blocks json.RawMessage) []Button {
	var out []Button
	for _, b := range buttons(blocks) {
		out = append(out, Button{Label: b.Text.Text, ActionID: b.ActionID, BlockID: b.blockID})
	}
	return out
}

// BlockText returns every text a person reads in blocks (headers,
// sections, fields, button labels, context), decoded, one per line.
func BlockText(blocks json.RawMessage) string {
	var v any
	if err := json.Unmarshal(blocks, &v); err != nil {
		return ""
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch o := v.(type) {
		case map[string]any:
			if s, ok := o["text"].(string); ok {
				out = append(out, s)
			}
			for _, k := range []string{"text", "fields", "elements", "accessory"} {
				if c, ok := o[k]; ok {
					if _, isStr := c.(string); !isStr {
						walk(c)
					}
				}
			}
		case []any:
			for _, c := range o {
				walk(c)
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}
