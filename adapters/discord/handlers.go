package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/tend-bot/tend/bot"
)

// goHandle runs one gateway event in a goroutine the adapter owns (Run waits
// for it), with a context derived from Run's: discordgo handlers get none.
func (a *Adapter) goHandle(runCtx context.Context, h bot.Handler, ev any) {
	if runCtx.Err() != nil {
		return
	}
	a.handlers.Add(1)
	go func() {
		defer a.handlers.Done()
		ctx, cancel := context.WithTimeout(runCtx, a.cfg.HandlerTimeout)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				a.log.Error("handling a Discord event panicked", bot.KeyErr, fmt.Sprint(r))
			}
		}()
		switch e := ev.(type) {
		case *discordgo.InteractionCreate:
			a.onInteraction(ctx, h, e.Interaction)
		case *discordgo.GuildMemberAdd:
			if e.Member == nil || e.User == nil {
				return
			}
			a.forgetMember(e.GuildID, e.User.ID)
			a.deliverEventReplies(ctx, h, &bot.MemberJoined{EventMeta: a.memberMeta(e.GuildID, e.Member), Pending: e.Pending})
		case *discordgo.GuildMemberRemove:
			if e.Member == nil || e.User == nil {
				return
			}
			a.forgetMember(e.GuildID, e.User.ID)
			a.deliverEventReplies(ctx, h, &bot.MemberLeft{EventMeta: a.memberMeta(e.GuildID, e.Member)})
		case *discordgo.GuildMemberUpdate:
			if e.Member == nil || e.User == nil {
				return
			}
			a.forgetMember(e.GuildID, e.User.ID)
			a.deliverEventReplies(ctx, h, &bot.MemberUpdated{EventMeta: a.memberMeta(e.GuildID, e.Member), Pending: e.Pending})
		case *discordgo.VoiceStateUpdate:
			a.onVoice(ctx, h, e)
		case *discordgo.MessageCreate:
			a.onMessage(ctx, h, e.Message, false)
		case *discordgo.MessageUpdate:
			a.onMessage(ctx, h, e.Message, true)
		}
	}()
}

func (a *Adapter) user(u *discordgo.User, m *discordgo.Member) bot.User {
	out := bot.User{Platform: bot.PlatformDiscord}
	if u == nil && m != nil {
		u = m.User
	}
	if u != nil {
		out.ID = bot.UserID(u.ID)
		out.Name = u.GlobalName
		if out.Name == "" {
			out.Name = u.Username
		}
		a.mu.Lock()
		self := a.botUserID
		a.mu.Unlock()
		out.Bot = u.Bot || u.System || (self != "" && u.ID == self)
	}
	if m != nil {
		if m.Nick != "" {
			out.Name = m.Nick
		}
		for _, r := range m.Roles {
			out.Roles = append(out.Roles, bot.RoleID(r))
		}
	}
	return out
}

func (a *Adapter) memberMeta(guild string, m *discordgo.Member) bot.EventMeta {
	at := a.clock.Now()
	if !m.JoinedAt.IsZero() {
		at = m.JoinedAt
	}
	return bot.EventMeta{Platform: bot.PlatformDiscord, Guild: guild, User: a.user(m.User, m), At: at}
}

func (a *Adapter) onVoice(ctx context.Context, h bot.Handler, e *discordgo.VoiceStateUpdate) {
	if e.VoiceState == nil {
		return
	}
	key := e.GuildID + "/" + e.UserID
	a.mu.Lock() // one read-modify-write per person
	before, _ := a.voice.Get(key)
	if e.ChannelID == "" {
		a.voice.Delete(key)
	} else {
		a.voice.Put(key, e.ChannelID)
	}
	a.mu.Unlock()
	if before == e.ChannelID {
		return // mute, deafen, video: not presence
	}
	u := a.user(&discordgo.User{ID: e.UserID}, e.Member)
	to := e.ChannelID
	if u.Bot || (e.Member != nil && e.Member.User != nil && e.Member.User.Bot) {
		to = "" // bots are never listed as in a channel
	}
	a.voiceIn.move(e.GuildID, e.UserID, before, to)
	now := a.clock.Now()
	meta := func(ch string) bot.EventMeta {
		return bot.EventMeta{Platform: bot.PlatformDiscord, Guild: e.GuildID, Channel: bot.ChannelID(ch), User: u, At: now}
	}
	if before != "" {
		a.deliverEventReplies(ctx, h, &bot.VoiceLeft{EventMeta: meta(before)})
	}
	if e.ChannelID != "" {
		a.deliverEventReplies(ctx, h, &bot.VoiceJoined{EventMeta: meta(e.ChannelID)})
	}
}

// onMessage turns a person's DM to the bot into a DirectMessage; edited
// marks an edit of one (MESSAGE_UPDATE), whose new text is examined too.
// Messages in guild channels are not read (the bot does not watch
// conversations), and messages from the bot itself or other bots are
// dropped. An update that is not a person's edit (Discord adds a link's
// preview; a partial update without the text) is not examined again.
func (a *Adapter) onMessage(ctx context.Context, h bot.Handler, m *discordgo.Message, edited bool) {
	if m == nil || m.Author == nil || m.GuildID != "" {
		return
	}
	if edited && (m.EditedTimestamp == nil || m.Content == "") {
		return
	}
	u := a.user(m.Author, nil)
	if u.Bot {
		// Not the channel: a DM channel names the person in it.
		a.log.Debug("dropped a message from a bot")
		return
	}
	a.rememberDM(u.ID, m.ChannelID)
	at := m.Timestamp
	if edited {
		at = *m.EditedTimestamp
	}
	if at.IsZero() {
		at = a.clock.Now()
	}
	ev := &bot.DirectMessage{
		EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(m.ChannelID), DM: true, User: u, At: at},
		Text:      m.Content,
		Edited:    edited,
	}
	a.deliverEventReplies(ctx, h, ev)
}

// deliverEventReplies hands a non-interaction event to the core. Replies to
// it have no interaction to answer: they go privately to the person, in
// their DM channel.
func (a *Adapter) deliverEventReplies(ctx context.Context, h bot.Handler, ev bot.Event) {
	replies := h.Handle(ctx, ev)
	m := ev.Meta()
	for _, r := range replies {
		if r.Kind != bot.OutReply {
			continue
		}
		var err error
		if m.DM && m.Channel != "" {
			// An urgent reply (the careful answer to a member in distress)
			// goes ahead of bulk work.
			_, err = a.post(bot.WithUrgent(ctx, r.Urgent), string(m.Channel), render(r.Message), "", true)
		} else {
			_, err = a.Deliver(ctx, bot.Outbound{Kind: bot.OutDM, User: m.User.ID, Message: r.Message, Urgent: r.Urgent})
		}
		if err != nil {
			// Neither who it was for nor their DM channel: a private
			// reply may answer someone in distress.
			a.log.Warn("replying privately to an event failed", bot.KeyErr, scrub(err, a.privateIDs(m)...))
		}
	}
}

// privateIDs are the ids a log line about a private reply to the person
// of m must not show: theirs and their DM channel's.
func (a *Adapter) privateIDs(m *bot.EventMeta) []string {
	ids := []string{string(m.User.ID)}
	if m.DM {
		ids = append(ids, string(m.Channel))
	}
	if ch, ok := a.dmChannels.Get(m.User.ID); ok {
		ids = append(ids, ch)
	}
	return ids
}

// scrub is err's text with each of ids (a person's user id, their DM
// channel) replaced, for a log line that must not name them.
func scrub(err error, ids ...string) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	for _, id := range ids {
		if id != "" {
			s = strings.ReplaceAll(s, id, "…")
		}
	}
	return s
}

// interactionEvent converts an interaction into the core's event.
func (a *Adapter) interactionEvent(i *discordgo.Interaction) (bot.Event, error) {
	meta := bot.EventMeta{
		Platform: bot.PlatformDiscord,
		Guild:    i.GuildID,
		Channel:  bot.ChannelID(i.ChannelID),
		DM:       i.GuildID == "",
		User:     a.user(i.User, i.Member),
		At:       a.clock.Now(),
	}
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		d := i.ApplicationCommandData()
		words, args := a.commandWords(d.Options)
		return &bot.Command{EventMeta: meta, Words: words, Args: args}, nil
	case discordgo.InteractionMessageComponent:
		d := i.MessageComponentData()
		ev := &bot.ButtonPress{EventMeta: meta, ID: d.CustomID}
		if i.Message != nil {
			ev.Message = bot.MessageRef{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(i.Message.ChannelID), ID: bot.MessageID(i.Message.ID)}
			if ev.Message.Channel == "" {
				ev.Message.Channel = meta.Channel
			}
		}
		return ev, nil
	case discordgo.InteractionModalSubmit:
		d := i.ModalSubmitData()
		values := map[string]string{}
		for _, c := range d.Components {
			r, ok := c.(*discordgo.ActionsRow)
			if !ok {
				continue
			}
			for _, cc := range r.Components {
				if ti, ok := cc.(*discordgo.TextInput); ok {
					values[ti.CustomID] = ti.Value
				}
			}
		}
		return &bot.ModalSubmit{EventMeta: meta, ID: d.CustomID, Values: values}, nil
	}
	return nil, fmt.Errorf("interaction type %d is not handled", i.Type)
}

// commandWords walks subcommand groups and subcommands into the core's
// words, and turns the leaf's typed options into name:value arguments
// (users and channels as ids).
func (a *Adapter) commandWords(opts []*discordgo.ApplicationCommandInteractionDataOption) ([]string, map[string]string) {
	var words []string
	args := map[string]string{}
	// A null option (which Discord does not send, but a payload may hold)
	// is skipped rather than dereferenced.
	opts = slices.DeleteFunc(slices.Clone(opts), func(o *discordgo.ApplicationCommandInteractionDataOption) bool { return o == nil })
	for len(opts) > 0 {
		o := opts[0]
		if o.Type == discordgo.ApplicationCommandOptionSubCommandGroup || o.Type == discordgo.ApplicationCommandOptionSubCommand {
			words = append(words, o.Name)
			opts = slices.DeleteFunc(slices.Clone(o.Options), func(o *discordgo.ApplicationCommandInteractionDataOption) bool { return o == nil })
			continue
		}
		for _, o := range opts {
			args[o.Name] = optionValue(o)
		}
		break
	}
	a.mu.Lock()
	if alias, ok := a.aliases[strings.Join(words, " ")]; ok {
		words = append([]string(nil), alias...)
	}
	a.mu.Unlock()
	return words, args
}

func optionValue(o *discordgo.ApplicationCommandInteractionDataOption) string {
	switch v := o.Value.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// interactionResponse is Discord's interaction callback body.
type interactionResponse struct {
	Type int `json:"type"`
	Data any `json:"data,omitempty"`
}

type modalData struct {
	CustomID   string `json:"custom_id"`
	Title      string `json:"title"`
	Components []row  `json:"components"`
}

type autocompleteData struct {
	Choices []appChoice `json:"choices"`
}

// onInteraction answers within Discord's 3 s: the core's Handle runs in a
// goroutine; if it has not returned within DeferAfter, a deferred response
// goes out and the replies follow through the interaction's webhook.
func (a *Adapter) onInteraction(ctx context.Context, h bot.Handler, i *discordgo.Interaction) {
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		a.autocomplete(ctx, i)
		return
	}
	ev, err := a.interactionEvent(i)
	if err != nil {
		a.log.Debug("ignored an interaction", bot.KeyErr, err)
		return
	}
	arrived := a.clock.Now()
	done := make(chan []bot.Outbound, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				a.log.Error("handler panicked", bot.KeyErr, fmt.Sprint(r))
				done <- []bot.Outbound{bot.Reply("Sorry, something went wrong on our side. Please try again in a moment.")}
			}
		}()
		done <- h.Handle(ctx, ev)
	}()
	// The handler goroutine is always waited for: on every path below,
	// done is received before returning.
	t := a.clock.NewTimer(a.cfg.DeferAfter)
	defer t.Stop()
	_, isCommand := ev.(*bot.Command)
	select {
	case replies := <-done:
		a.respond(ctx, i, isCommand, replies)
		a.cfg.Observer.InteractionAnswered(bot.PlatformDiscord, a.clock.Now().Sub(arrived))
		return
	case <-t.C():
	case <-ctx.Done():
		<-done
		return
	}
	// Most replies are private; a public one is posted as a follow-up.
	typ := 6 // deferred update: a button press changes nothing visible yet
	var data any
	if isCommand {
		typ, data = 5, map[string]any{"flags": flagEphemeral}
	}
	if err := a.callback(ctx, i, interactionResponse{Type: typ, Data: data}); err != nil {
		a.log.Warn("deferring an interaction failed", bot.KeyErr, err)
	} else {
		a.cfg.Observer.InteractionAnswered(bot.PlatformDiscord, a.clock.Now().Sub(arrived))
	}
	a.mu.Lock()
	a.stats.Deferred++
	a.mu.Unlock()
	replies := <-done
	if ctx.Err() != nil {
		a.log.Error("an interaction's handler did not finish in time; its reply is lost", bot.KeyErr, ctx.Err())
		return
	}
	a.followUp(ctx, i, isCommand, replies)
}

func (a *Adapter) callback(ctx context.Context, i *discordgo.Interaction, resp interactionResponse) error {
	return a.callbackFile(ctx, i, resp, nil)
}

// callbackFile answers an interaction with file f attached (nil: none).
func (a *Adapter) callbackFile(ctx context.Context, i *discordgo.Interaction, resp interactionResponse, f *bot.File) error {
	u := discordgo.EndpointInteractionResponse(i.ID, i.Token)
	return a.rest(ctx, "answer interaction", "", func(opts ...discordgo.RequestOption) error {
		_, err := a.directFile(opts, "POST", u, resp, f)
		return err
	})
}

// replyPayload renders a reply, describing file f (nil: none) as its
// attachment.
func replyPayload(r bot.Outbound, f *bot.File) payload {
	p := render(r.Message)
	if r.Ephemeral {
		p.Flags = flagEphemeral
	}
	if f != nil {
		p.Attachments = []attachment{{ID: "0", Filename: f.Name}}
	}
	return p
}

// replyFile is the file a reply carries, or nil. A file goes only with a
// private reply: Discord shows an ephemeral message, attachment included,
// to the person who acted alone; a file in a public reply is not sent
// (and logged) rather than shown to the channel.
func (a *Adapter) replyFile(r bot.Outbound) *bot.File {
	if r.File == nil {
		return nil
	}
	if !r.Ephemeral {
		a.log.Error("a file in a public reply was not sent: files go to one person only")
		return nil
	}
	return r.File
}

// respond answers an interaction in time with the handler's replies: the
// first as the callback (or a modal), the rest as follow-ups.
func (a *Adapter) respond(ctx context.Context, i *discordgo.Interaction, isCommand bool, replies []bot.Outbound) {
	var (
		first *interactionResponse
		file  *bot.File
	)
	rest := replies
	if len(replies) > 0 {
		r := replies[0]
		switch r.Kind {
		case bot.OutModal:
			if r.Modal != nil {
				first = &interactionResponse{Type: 9, Data: renderModal(*r.Modal)}
				rest = replies[1:]
			}
		case bot.OutReply:
			file = a.replyFile(r)
			first = &interactionResponse{Type: 4, Data: replyPayload(r, file)}
			rest = replies[1:]
		}
	}
	if first == nil {
		if isCommand {
			done := "Done."
			first = &interactionResponse{Type: 4, Data: payload{Content: &done, Flags: flagEphemeral}}
		} else {
			first = &interactionResponse{Type: 6}
		}
	}
	if err := a.callbackFile(ctx, i, *first, file); err != nil {
		a.log.Error("answering an interaction failed", bot.KeyErr, err)
		return
	}
	for _, r := range rest {
		a.sendFollowUp(ctx, i, r)
	}
}

// followUp completes a deferred interaction.
func (a *Adapter) followUp(ctx context.Context, i *discordgo.Interaction, isCommand bool, replies []bot.Outbound) {
	edited := !isCommand // a deferred update has no "thinking" message to replace
	for _, r := range replies {
		switch {
		case r.Kind == bot.OutModal:
			r = bot.Reply("Opening the form took too long. Please try again.")
		case r.Kind != bot.OutReply:
			continue
		}
		if !edited && r.Ephemeral {
			edited = true
			u := discordgo.EndpointInteractionResponseActions(a.applicationID(), i.Token)
			f := a.replyFile(r)
			p := replyPayload(bot.Outbound{Message: r.Message}, f)
			if err := a.rest(ctx, "edit deferred reply", "", func(opts ...discordgo.RequestOption) error {
				_, err := a.directFile(opts, "PATCH", u, p, f)
				return err
			}); err != nil {
				a.log.Error("completing a deferred interaction failed", bot.KeyErr, err)
			}
			continue
		}
		a.sendFollowUp(ctx, i, r)
	}
	if !edited {
		// The private "thinking…" message must not stay forever.
		u := discordgo.EndpointInteractionResponseActions(a.applicationID(), i.Token)
		msg := "Done."
		p := payload{Content: &msg}
		if err := a.rest(ctx, "edit deferred reply", "", func(opts ...discordgo.RequestOption) error {
			_, err := a.direct(opts, "PATCH", u, p)
			return err
		}); err != nil {
			a.log.Error("completing a deferred interaction failed", bot.KeyErr, err)
		}
	}
}

func (a *Adapter) sendFollowUp(ctx context.Context, i *discordgo.Interaction, r bot.Outbound) {
	if r.Kind != bot.OutReply {
		return
	}
	u := discordgo.EndpointFollowupMessage(a.applicationID(), i.Token)
	f := a.replyFile(r)
	p := replyPayload(r, f)
	if err := a.rest(ctx, "follow up interaction", "", func(opts ...discordgo.RequestOption) error {
		_, err := a.directFile(opts, "POST", u, p, f)
		return err
	}); err != nil {
		a.log.Error("sending a follow-up failed", bot.KeyErr, err)
	}
}

func renderModal(m bot.Modal) modalData {
	md := modalData{CustomID: m.ID, Title: truncate(m.Title, 45)}
	for i, in := range m.Inputs {
		if i == 5 {
			break
		}
		style := 1
		if in.Long {
			style = 2
		}
		req := in.Required
		c := component{Type: 4, Style: style, Label: truncate(in.Label, 45), CustomID: in.ID, Placeholder: truncate(in.Placeholder, 100), Value: in.Value, Required: &req}
		if in.MaxLen > 0 {
			c.MaxLength = min(in.MaxLen, 4000)
		}
		md.Components = append(md.Components, row{Type: 1, Components: []component{c}})
	}
	return md
}

// autocomplete answers the group option with what the person typed: the
// core's Handler does not list groups, so the adapter offers the typed name
// (a known limitation; the core checks the name when the command runs).
func (a *Adapter) autocomplete(ctx context.Context, i *discordgo.Interaction) {
	d := i.ApplicationCommandData()
	var typed string
	var walk func([]*discordgo.ApplicationCommandInteractionDataOption)
	walk = func(opts []*discordgo.ApplicationCommandInteractionDataOption) {
		for _, o := range opts {
			if o == nil {
				continue
			}
			if o.Focused {
				typed = optionValue(o)
			}
			walk(o.Options)
		}
	}
	walk(d.Options)
	choices := []appChoice{}
	if typed = strings.ToLower(strings.TrimSpace(typed)); typed != "" && bot.ValidName(typed) == nil {
		choices = append(choices, appChoice{Name: typed, Value: typed})
	}
	if err := a.callback(ctx, i, interactionResponse{Type: 8, Data: autocompleteData{Choices: choices}}); err != nil {
		a.log.Debug("answering autocomplete failed", bot.KeyErr, err)
	}
}
