package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tend-bot/tend/bot"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// reqKind is the kind of an inbound request, which decides how it is
// acknowledged and answered.
type reqKind int

const (
	kindCommand reqKind = iota + 1
	kindAction
	kindSubmit
	kindEvent
)

// request is one inbound event with what is needed to answer it.
type request struct {
	kind        reqKind
	ev          bot.Event
	responseURL string
	triggerID   string
	channel     string
	user        string
	dm          bool
	// refusal, when set, is answered without reaching the core (a command
	// that does not parse).
	refusal string
}

// ackFunc acknowledges a request to Slack, optionally with a response
// payload (a slash command's message). It is called exactly once.
type ackFunc func(payload any)

// maxAckPayload is the largest answer sent inside an acknowledgement,
// safely under Socket Mode's 20 KB limit.
const maxAckPayload = 16 << 10

var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// commandRequest converts a slash command.
func (a *Adapter) commandRequest(c slackgo.SlashCommand) request {
	r := request{
		kind: kindCommand, responseURL: c.ResponseURL, triggerID: c.TriggerID,
		channel: c.ChannelID, user: c.UserID,
		dm: c.ChannelName == "directmessage" || strings.HasPrefix(c.ChannelID, "D"),
	}
	words, args, err := bot.ParseCommandText(c.Text)
	if err != nil {
		if msg, ok := bot.UserMessage(err); ok {
			r.refusal = msg
		} else {
			r.refusal = "I could not read that command. Try /tend help."
		}
		return r
	}
	// Slack sends &, < and > typed by a person as HTML entities; mentions
	// arrive as <@U…|name> and <#C…|name> and pass through for the core.
	for i, w := range words {
		words[i] = unescaper.Replace(w)
	}
	for k, v := range args {
		args[k] = unescaper.Replace(v)
	}
	r.ev = &bot.Command{EventMeta: a.meta(c.TeamID, c.ChannelID, r.dm, c.UserID, c.UserName), Words: words, Args: args}
	return r
}

// interactionRequest converts a block action or a view submission; ok is
// false for interactions the bot does not handle.
func (a *Adapter) interactionRequest(cb slackgo.InteractionCallback) (request, bool) {
	switch cb.Type {
	case slackgo.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) == 0 {
			return request{}, false
		}
		act := cb.ActionCallback.BlockActions[0]
		ch := cb.Channel.ID
		if ch == "" {
			ch = cb.Container.ChannelID
		}
		ts := cb.Container.MessageTs
		if ts == "" {
			ts = cb.Message.Timestamp
		}
		dm := strings.HasPrefix(ch, "D")
		return request{
			kind: kindAction, responseURL: cb.ResponseURL, triggerID: cb.TriggerID,
			channel: ch, user: cb.User.ID, dm: dm,
			ev: &bot.ButtonPress{
				EventMeta: a.meta(cb.Team.ID, ch, dm, cb.User.ID, cb.User.Name),
				ID:        act.ActionID,
				Message:   bot.MessageRef{Platform: bot.PlatformSlack, Channel: bot.ChannelID(ch), ID: bot.MessageID(ts)},
			},
		}, true
	case slackgo.InteractionTypeViewSubmission:
		ch := cb.View.PrivateMetadata
		dm := strings.HasPrefix(ch, "D")
		return request{
			kind: kindSubmit, triggerID: cb.TriggerID, channel: ch, user: cb.User.ID, dm: dm,
			ev: &bot.ModalSubmit{
				EventMeta: a.meta(cb.Team.ID, ch, dm, cb.User.ID, cb.User.Name),
				ID:        cb.View.CallbackID,
				Values:    modalValues(cb.View.State),
			},
		}, true
	}
	return request{}, false
}

// eventRequest converts an Events API callback; ok is false for events the
// bot ignores (its own messages, other bots, edits, unknown kinds).
func (a *Adapter) eventRequest(e slackevents.EventsAPIEvent) (request, bool) {
	if e.Type != slackevents.CallbackEvent {
		return request{}, false
	}
	team := e.TeamID
	switch ev := e.InnerEvent.Data.(type) {
	case *slackevents.MemberJoinedChannelEvent:
		if ev.Team != "" {
			team = ev.Team
		}
		a.forgetMembers(ev.Channel)
		if a.isSelf(ev.User) {
			return request{}, false // tend was invited: nobody arrived
		}
		return request{
			kind: kindEvent, channel: ev.Channel, user: ev.User,
			ev: &bot.MemberJoined{EventMeta: a.meta(team, ev.Channel, false, ev.User, "")},
		}, true
	case *slackevents.MemberLeftChannelEvent:
		if ev.Team != "" {
			team = ev.Team
		}
		a.forgetMembers(ev.Channel)
		if a.isSelf(ev.User) {
			return request{}, false
		}
		return request{
			kind: kindEvent, channel: ev.Channel, user: ev.User,
			ev: &bot.MemberLeft{EventMeta: a.meta(team, ev.Channel, false, ev.User, "")},
		}, true
	case *slackevents.MessageEvent:
		user, text, botID, edited, ok := dmText(ev)
		if !ok || botID != "" || user == "" {
			return request{}, false
		}
		if a.isSelf(user) {
			return request{}, false
		}
		return request{
			kind: kindEvent, channel: ev.Channel, user: user, dm: true,
			ev: &bot.DirectMessage{EventMeta: a.meta(team, ev.Channel, true, user, ""), Text: text, Edited: edited},
		}, true
	}
	return request{}, false
}

// dmText is what a message event in a direct message says, when it says
// something a person wrote: a plain message; a file shared with words
// (subtype file_share, whose text is the words); an edit (message_changed,
// whose message holds the new text — an edit that leaves the text as it
// was, such as a link preview, is not examined again). Every other
// subtype (deletions, joins, bots) is not.
func dmText(ev *slackevents.MessageEvent) (user, text, botID string, edited, ok bool) {
	if ev.ChannelType != "im" {
		return "", "", "", false, false
	}
	switch ev.SubType {
	case "":
		return ev.User, ev.Text, ev.BotID, false, true
	case "file_share":
		if strings.TrimSpace(ev.Text) == "" {
			return "", "", "", false, false // a file alone: no words to examine
		}
		return ev.User, ev.Text, ev.BotID, false, true
	case "message_changed":
		m := ev.Message
		if m == nil || m.SubType != "" && m.SubType != "file_share" {
			return "", "", "", false, false
		}
		if p := ev.PreviousMessage; p != nil && p.Text == m.Text {
			return "", "", "", false, false
		}
		return m.User, m.Text, m.BotID, true, true
	}
	return "", "", "", false, false
}

func (a *Adapter) meta(team, ch string, dm bool, user, name string) bot.EventMeta {
	isSelf := false
	if self := a.self.Load(); self != nil && user == self.UserID {
		isSelf = true
	}
	return bot.EventMeta{
		Platform: bot.PlatformSlack,
		Guild:    team,
		Channel:  bot.ChannelID(ch),
		DM:       dm,
		User:     bot.User{Platform: bot.PlatformSlack, ID: bot.UserID(user), Name: name, Bot: isSelf},
		At:       a.clock.Now(),
	}
}

// dispatch hands r to the core and acknowledges it within Slack's
// deadline. A slash command waits up to AckWait for the core so that its
// first reply travels in the acknowledgement; otherwise the request is
// acknowledged at once (or after AckWait) and answered through its
// response_url, chat.postEphemeral or views.open. dispatch returns when
// every answer has been sent.
func (a *Adapter) dispatch(ctx context.Context, h bot.Handler, r request, ack ackFunc) {
	if r.refusal != "" {
		ack(responseMessage{ResponseType: "ephemeral", Text: escape(r.refusal)})
		return
	}
	hctx, cancel := context.WithTimeout(ctx, a.cfg.HandlerTimeout)
	defer cancel()
	arrived := a.clock.Now()
	results := make(chan []bot.Outbound, 1)
	// The handler goroutine is owned by dispatch, which always receives
	// its result below.
	go func() { results <- h.Handle(hctx, r.ev) }()

	var outs []bot.Outbound
	if r.kind == kindCommand {
		t := a.clock.NewTimer(a.cfg.AckWait)
		select {
		case outs = <-results:
			t.Stop()
			var (
				payload any
				acked   bot.Outbound
			)
			for i, o := range outs {
				if o.Kind != bot.OutReply {
					continue
				}
				msg, err := renderResponse(o)
				if err != nil {
					a.log.Error("rendering a reply failed", bot.KeyErr, err)
					continue
				}
				// Slack drops Socket Mode acknowledgements of 20 KB or
				// more; a long answer goes through the response_url.
				if raw, err := json.Marshal(msg); err != nil || len(raw) > maxAckPayload {
					break
				}
				payload, acked = msg, o
				outs = append(outs[:i:i], outs[i+1:]...)
				break
			}
			ack(payload)
			if payload != nil {
				// The acknowledgement is the answer the person sees; its
				// file, if any, still goes to their direct messages.
				a.cfg.Observer.InteractionAnswered(bot.PlatformSlack, a.clock.Now().Sub(arrived))
				if err := a.replyFile(bot.WithUrgent(ctx, true), r, acked); err != nil {
					a.log.Error("sending a file failed", r.logAttrs(err)...)
				}
				a.answer(ctx, r, outs)
				return
			}
		case <-t.C():
			ack(nil)
			a.log.Debug("the core took longer than the acknowledgement wait; answering through response_url", bot.KeyChannel, r.channel)
			outs = <-results
		}
	} else {
		ack(nil)
		outs = <-results
	}
	a.answer(ctx, r, outs)
	if r.kind != kindEvent {
		// An empty acknowledgement shows nothing: the answer is what came
		// through the response_url or the modal.
		a.cfg.Observer.InteractionAnswered(bot.PlatformSlack, a.clock.Now().Sub(arrived))
	}
}

// answer sends the replies and modals the core returned for r.
func (a *Adapter) answer(ctx context.Context, r request, outs []bot.Outbound) {
	// An answer to a person (a command, a button, a form, a DM) is always
	// urgent: it goes ahead of bulk work in the pacing.
	ctx = bot.WithUrgent(ctx, true)
	for _, o := range outs {
		var err error
		switch o.Kind {
		case bot.OutModal:
			err = a.openModal(ctx, r, o.Modal)
		case bot.OutReply:
			err = errors.Join(a.reply(ctx, r, o), a.replyFile(ctx, r, o))
		default:
			err = fmt.Errorf("unexpected %s in a reply", o.Kind)
		}
		if err != nil && ctx.Err() != nil {
			a.log.Debug("answering an event stopped at shutdown", "kind", o.Kind.String(), bot.KeyErr, err)
		} else if err != nil {
			a.log.Error("answering an event failed", append([]any{"kind", o.Kind.String()}, r.logAttrs(err)...)...)
		}
	}
}

// logAttrs are what a log line about answering r may say: never who
// acted (an answer goes to a person, maybe one in distress) nor a direct
// message channel, which names them as well; the error with both taken
// out of its text; the channel when it is a shared one.
func (r request) logAttrs(err error) []any {
	var attrs []any
	if !r.dm && !isDMChannel(r.channel) && r.channel != "" {
		attrs = append(attrs, bot.KeyChannel, r.channel)
	}
	return append(attrs, bot.KeyErr, scrub(err, r.user, dmOnly(r.channel)))
}

// isDMChannel reports whether ch is a direct message's conversation
// (Slack's ids for them begin with D).
func isDMChannel(ch string) bool { return strings.HasPrefix(ch, "D") }

// dmOnly is ch when it is a direct message's conversation, else "".
func dmOnly(ch string) string {
	if isDMChannel(ch) {
		return ch
	}
	return ""
}

// logChannel is ch as a log line may show it: a direct message's
// conversation names a person, so it is shown as "dm".
func logChannel(ch string) string {
	if isDMChannel(ch) {
		return "dm"
	}
	return ch
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

// replyFile hands the file of reply o, if any, to the person who acted
// (see uploadPrivate). A file goes with a private reply only: one with a
// public reply is not shared (and logged).
func (a *Adapter) replyFile(ctx context.Context, r request, o bot.Outbound) error {
	switch {
	case o.File == nil:
		return nil
	case !o.Ephemeral:
		a.log.Error("a file in a public reply was not sent: files go to one person only")
		return nil
	case r.user == "":
		return fmt.Errorf("a file in a reply has nobody to go to")
	}
	return a.uploadPrivate(ctx, bot.UserID(r.user), *o.File)
}

func (a *Adapter) openModal(ctx context.Context, r request, m *bot.Modal) error {
	if m == nil || r.triggerID == "" {
		return fmt.Errorf("views.open: no modal or no trigger_id for it")
	}
	view, err := renderModal(m, r.channel)
	if err != nil {
		return err
	}
	return a.call(ctx, "", "views.open", nil, func() error {
		_, err := a.api.OpenViewContext(ctx, r.triggerID, view)
		return err
	})
}

// reply answers r with o: through the response_url when Slack gave one,
// else as an ephemeral message (chat.postEphemeral) or a post in the
// conversation (direct messages, public replies).
func (a *Adapter) reply(ctx context.Context, r request, o bot.Outbound) error {
	if r.responseURL != "" {
		msg, err := renderResponse(o)
		if err != nil {
			return err
		}
		return a.postResponseURL(ctx, r.responseURL, msg)
	}
	switch {
	case r.channel == "" && r.user != "":
		_, err := a.Deliver(ctx, bot.Outbound{Kind: bot.OutDM, User: bot.UserID(r.user), Message: o.Message})
		return err
	case r.dm || !o.Ephemeral:
		_, err := a.post(ctx, r.channel, bot.Outbound{Kind: bot.OutPost, Message: o.Message}, false)
		return err
	default:
		opts, err := messageOptions(o.Message)
		if err != nil {
			return err
		}
		// Ephemeral messages are not channel posts: they have a method
		// limit of their own, not the channel's pace.
		return a.call(ctx, "", "chat.postEphemeral", nil, func() error {
			_, err := a.api.PostEphemeralContext(ctx, r.channel, r.user, opts...)
			return err
		})
	}
}

// postResponseURL posts msg to a response_url, retrying 5xx and network
// errors a bounded number of times.
func (a *Adapter) postResponseURL(ctx context.Context, u string, msg responseMessage) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	return a.call(ctx, "", "response_url", nil, func() error {
		return postJSON(ctx, a.httpc, u, body)
	})
}

// isSelf reports whether user is the bot itself.
func (a *Adapter) isSelf(user string) bool {
	self := a.self.Load()
	return self != nil && user == self.UserID
}
