package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Interaction types and callback types, as Discord numbers them.
const (
	InteractionCommand      = 2
	InteractionComponent    = 3
	InteractionAutocomplete = 4
	InteractionModalSubmit  = 5

	CallbackMessage        = 4
	CallbackDeferred       = 5
	CallbackDeferredUpdate = 6
	CallbackUpdateMessage  = 7
	CallbackAutocomplete   = 8
	CallbackModal          = 9
)

// Interaction is one interaction the fake dispatched and what came back.
type Interaction struct {
	ID        string
	Token     string
	Type      int
	UserID    string
	ChannelID string
	GuildID   string
	ArrivedAt time.Time // when INTERACTION_CREATE was dispatched

	// CallbackAt is when the callback arrived; zero until then.
	CallbackAt   time.Time
	CallbackType int
	// CallbackLate is set when the callback came after the deadline (it
	// was refused with 404 Unknown interaction, as Discord does).
	CallbackLate bool
	// FollowUpAt is when the last follow-up or @original edit arrived.
	FollowUpAt time.Time
	// Callback is the callback's data object.
	Callback json.RawMessage

	acked     bool
	ephemeral bool
	original  *Message
}

func (s *Server) interactionByTokenLocked(token string) *Interaction {
	for _, it := range s.interactions {
		if it.Token == token {
			return it
		}
	}
	return nil
}

// Interaction returns a copy of an interaction's record.
func (s *Server) Interaction(id string) (Interaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.interactions[id]
	if !ok {
		return Interaction{}, false
	}
	return *it, true
}

// Interactions returns copies of all interaction records.
func (s *Server) Interactions() []Interaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Interaction, 0, len(s.interactions))
	for _, it := range s.interactions {
		out = append(out, *it)
	}
	return out
}

// WaitAnswered waits until interaction id has its callback.
func (s *Server) WaitAnswered(ctx context.Context, id string) (Interaction, error) {
	var it Interaction
	err := s.WaitFor(ctx, "interaction "+id+" answered", func() bool {
		var ok bool
		it, ok = s.Interaction(id)
		return ok && !it.CallbackAt.IsZero()
	})
	return it, err
}

func (s *Server) callback(w http.ResponseWriter, id, token string, body []byte, files []Attachment) {
	var req struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		apiError(w, 400, 50109, "The request body contains invalid JSON.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.interactions[id]
	if it == nil || it.Token != token {
		apiError(w, 404, 10062, "Unknown interaction")
		return
	}
	now := time.Now()
	if it.acked {
		apiError(w, 400, 40060, "Interaction has already been acknowledged.")
		return
	}
	if now.Sub(it.ArrivedAt) > s.cfg.CallbackDeadline {
		it.CallbackLate = true
		it.CallbackAt = now
		s.notifyLocked()
		apiError(w, 404, 10062, "Unknown interaction")
		return
	}
	var mb messageBody
	if len(req.Data) > 0 {
		if err := json.Unmarshal(req.Data, &mb); err != nil {
			apiError(w, 400, 50035, "Invalid Form Body")
			return
		}
	}
	if n := embedChars(mb.Embeds); n > maxEmbedTotal {
		invalidFormBody(w, "data.embeds", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Embed size exceeds maximum size of %d", maxEmbedTotal))
		return
	}
	it.acked = true
	it.CallbackAt = now
	it.CallbackType = req.Type
	it.Callback = req.Data
	eph := mb.Flags != nil && *mb.Flags&flagEphemeral != 0
	switch req.Type {
	case CallbackMessage:
		msg := &Message{ID: s.NewID(), ChannelID: it.ChannelID, AuthorID: s.cfg.BotUserID, CreatedAt: now, InteractionID: it.ID, Attachments: files}
		mb.apply(msg)
		it.original, it.ephemeral = msg, eph
		s.byID[msg.ID] = msg
		if !eph {
			s.messages[it.ChannelID] = append(s.messages[it.ChannelID], msg)
		}
		s.showLocked(Shown{Kind: "reply", Channel: it.ChannelID, MessageID: msg.ID, Ephemeral: eph, OnlyFor: onlyIf(eph, it.UserID), Message: *msg})
	case CallbackDeferred:
		// "Bot is thinking…": the original message exists, empty, until
		// it is edited through the webhook.
		msg := &Message{ID: s.NewID(), ChannelID: it.ChannelID, AuthorID: s.cfg.BotUserID, CreatedAt: now, InteractionID: it.ID, Flags: flagIf(eph)}
		it.original, it.ephemeral = msg, eph
		s.byID[msg.ID] = msg
		if !eph {
			s.messages[it.ChannelID] = append(s.messages[it.ChannelID], msg)
		}
		s.notifyLocked()
	case CallbackModal:
		s.showLocked(Shown{Kind: "modal", Channel: it.ChannelID, OnlyFor: it.UserID, Ephemeral: true, Message: Message{Content: string(req.Data)}})
	case CallbackAutocomplete, CallbackDeferredUpdate:
		s.notifyLocked()
	case CallbackUpdateMessage:
		s.notifyLocked()
	default:
		apiError(w, 400, 50035, "Invalid Form Body")
		return
	}
	w.WriteHeader(204)
}

func flagIf(eph bool) int {
	if eph {
		return flagEphemeral
	}
	return 0
}

// memberOrUserLocked fills the interaction's member (in a guild) or user (in
// a DM), as Discord does.
func (s *Server) invokerLocked(it map[string]any, guildID, userID string) error {
	if guildID == "" {
		it["user"] = s.userJSONLocked(userID)
		return nil
	}
	g := s.guilds[guildID]
	if g == nil {
		return fmt.Errorf("discordtest: no guild %s", guildID)
	}
	m := g.Members[userID]
	if m == nil {
		return fmt.Errorf("discordtest: user %s is not a member of guild %s", userID, guildID)
	}
	mj := s.memberJSONLocked(guildID, m)
	mj["permissions"] = "0"
	delete(mj, "guild_id")
	it["member"] = mj
	it["guild_id"] = guildID
	it["guild_locale"] = "en-US"
	return nil
}

// newInteractionLocked records an interaction and returns its payload.
func (s *Server) newInteractionLocked(typ int, userID, channelID string, data any) (*Interaction, map[string]any, error) {
	ch := s.channels[channelID]
	if ch == nil {
		return nil, nil, fmt.Errorf("discordtest: no channel %s", channelID)
	}
	it := &Interaction{ID: s.NewID(), Token: "itok-" + s.NewID(), Type: typ, UserID: userID, ChannelID: channelID, GuildID: ch.GuildID}
	payload := map[string]any{
		"id": it.ID, "application_id": s.cfg.AppID, "type": typ, "data": data, "channel_id": channelID,
		"channel": s.channelJSONLocked(ch), "token": it.Token, "version": 1, "locale": "en-GB",
		"app_permissions": "2248473465835073", "entitlements": []any{}, "context": 0,
	}
	if ch.GuildID == "" {
		payload["context"] = 1
	}
	if err := s.invokerLocked(payload, ch.GuildID, userID); err != nil {
		return nil, nil, err
	}
	s.interactions[it.ID] = it
	return it, payload, nil
}

// dispatchInteraction records the arrival time and sends INTERACTION_CREATE.
func (s *Server) dispatchInteraction(it *Interaction, payload map[string]any) {
	s.mu.Lock()
	it.ArrivedAt = time.Now()
	s.mu.Unlock()
	s.Dispatch("INTERACTION_CREATE", payload)
}

// Command makes user run "/<name> words… name:value…" in channel, typed as
// Discord would from the command registered for that guild (or globally):
// words walk the subcommand group and subcommand, and each argument is sent
// with the option type the registration declared (users as ids). It returns
// the interaction id.
func (s *Server) Command(userID, channelID, name string, words []string, args map[string]string) (string, error) {
	s.mu.Lock()
	ch := s.channels[channelID]
	if ch == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("discordtest: no channel %s", channelID)
	}
	cmd := s.findCommandLocked(ch.GuildID, name)
	if cmd == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("discordtest: /%s is not registered for guild %q or globally", name, ch.GuildID)
	}
	opts, err := buildOptions(cmd, words, args)
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	data := map[string]any{"id": cmd["id"], "name": name, "type": 1, "options": opts}
	if ch.GuildID != "" {
		data["guild_id"] = ch.GuildID
	}
	it, payload, err := s.newInteractionLocked(InteractionCommand, userID, channelID, data)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	s.dispatchInteraction(it, payload)
	return it.ID, nil
}

// Autocomplete makes user type partial into option focus of a command.
func (s *Server) Autocomplete(userID, channelID, name string, words []string, focus, partial string) (string, error) {
	s.mu.Lock()
	ch := s.channels[channelID]
	if ch == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("discordtest: no channel %s", channelID)
	}
	cmd := s.findCommandLocked(ch.GuildID, name)
	if cmd == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("discordtest: /%s is not registered", name)
	}
	opts, err := buildOptions(cmd, words, map[string]string{focus: partial})
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	markFocused(opts, focus)
	data := map[string]any{"id": cmd["id"], "name": name, "type": 1, "options": opts}
	it, payload, err := s.newInteractionLocked(InteractionAutocomplete, userID, channelID, data)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	s.dispatchInteraction(it, payload)
	return it.ID, nil
}

func markFocused(opts []any, focus string) {
	for _, o := range opts {
		m := o.(map[string]any)
		if m["name"] == focus && m["value"] != nil {
			m["focused"] = true
			m["value"] = fmt.Sprint(m["value"])
		}
		if sub, ok := m["options"].([]any); ok {
			markFocused(sub, focus)
		}
	}
}

func (s *Server) findCommandLocked(guildID, name string) map[string]any {
	for _, scope := range []string{guildID, ""} {
		for _, c := range s.commands[scope] {
			if c["name"] == name {
				return c
			}
		}
	}
	return nil
}

// buildOptions walks words through the command's subcommand groups and
// subcommands and types args from the declared options.
func buildOptions(cmd map[string]any, words []string, args map[string]string) ([]any, error) {
	decl := optionList(cmd["options"])
	for i, w := range words {
		var next map[string]any
		for _, o := range decl {
			if o["name"] == w {
				next = o
			}
		}
		if next == nil {
			return nil, fmt.Errorf("discordtest: %q is not a subcommand here (%s)", w, strings.Join(words[:i], " "))
		}
		t := toInt(next["type"])
		if t != 1 && t != 2 {
			return nil, fmt.Errorf("discordtest: %q is an option, not a subcommand", w)
		}
		inner, err := buildOptions(next, words[i+1:], args)
		if err != nil {
			return nil, err
		}
		return []any{map[string]any{"name": w, "type": t, "options": inner}}, nil
	}
	out := []any{}
	for _, o := range decl {
		name, _ := o["name"].(string)
		v, ok := args[name]
		if !ok {
			if b, _ := o["required"].(bool); b {
				return nil, fmt.Errorf("discordtest: required option %q missing (Discord's client would not send this)", name)
			}
			continue
		}
		var val any = v
		switch toInt(o["type"]) {
		case 4:
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("discordtest: option %q is an integer; %q is not", name, v)
			}
			val = n
		case 5:
			val = v == "true" || v == "yes"
		case 10:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, err
			}
			val = f
		}
		if ch := optionList(o["choices"]); len(ch) > 0 {
			found := false
			for _, c := range ch {
				found = found || fmt.Sprint(c["value"]) == v
			}
			if !found {
				return nil, fmt.Errorf("discordtest: %q is not a choice of option %q", v, name)
			}
		}
		out = append(out, map[string]any{"name": name, "type": toInt(o["type"]), "value": val})
	}
	for k := range args {
		found := false
		for _, o := range decl {
			found = found || o["name"] == k
		}
		if !found {
			return nil, fmt.Errorf("discordtest: the command has no option %q", k)
		}
	}
	return out, nil
}

func optionList(v any) []map[string]any {
	list, _ := v.([]any)
	var out []map[string]any
	for _, o := range list {
		if m, ok := o.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func toInt(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

// Press makes user click the button customID on message messageID (a
// component interaction carrying the message, as Discord sends it). It
// does not check that the message has that button: a crafted id is exactly
// what a test may want to send.
func (s *Server) Press(userID, messageID, customID string) (string, error) {
	s.mu.Lock()
	msg := s.byID[messageID]
	if msg == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("discordtest: no message %s", messageID)
	}
	data := map[string]any{"custom_id": customID, "component_type": 2}
	it, payload, err := s.newInteractionLocked(InteractionComponent, userID, msg.ChannelID, data)
	if err == nil {
		payload["message"] = s.messageJSONLocked(msg, false)
	}
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	s.dispatchInteraction(it, payload)
	return it.ID, nil
}

// SubmitModal makes user submit the modal customID with values (input
// custom_id → value) in channel.
func (s *Server) SubmitModal(userID, channelID, customID string, values map[string]string) (string, error) {
	rows := []any{}
	for k, v := range values {
		rows = append(rows, map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": k, "value": v}}})
	}
	s.mu.Lock()
	it, payload, err := s.newInteractionLocked(InteractionModalSubmit, userID, channelID, map[string]any{"custom_id": customID, "components": rows})
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	s.dispatchInteraction(it, payload)
	return it.ID, nil
}
