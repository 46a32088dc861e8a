package slack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"

	slackgo "github.com/slack-go/slack"
)

// metadataEventType marks the bot's own posts; the event payload carries the
// outbox key so that FindDelivered can recognise a post after a crash.
const metadataEventType = "tend_post"

// channelRefusals are Web API errors meaning the bot cannot post in a
// channel until a person changes something (invites it back, unarchives).
// The channel is marked unreachable.
var channelRefusals = map[string]string{
	"channel_not_found":                        "the channel does not exist or the bot cannot see it",
	"not_in_channel":                           "the bot is not a member of the channel; invite it with /invite @tend",
	"is_archived":                              "the channel is archived",
	"channel_is_archived":                      "the channel is archived",
	"restricted_action":                        "the workspace does not allow the bot to post there",
	"restricted_action_read_only_channel":      "the channel is read-only",
	"restricted_action_thread_only_channel":    "the channel takes replies in threads only",
	"restricted_action_non_threadable_channel": "the channel does not allow the bot to post there",
	"team_access_not_granted":                  "the bot has not been granted access to the channel's workspace",
	"ekm_access_denied":                        "the workspace's key management denies access to the channel",
}

// dmRefusals are Web API errors meaning a person cannot be sent a direct
// message. The person is marked unreachable. (account_inactive is not one:
// Slack answers it when the bot's own token belongs to a deleted user or
// workspace; a deactivated member is user_disabled.)
var dmRefusals = map[string]string{
	"user_not_found":        "the member's account was not found",
	"user_not_visible":      "the member cannot be messaged by the bot",
	"user_disabled":         "the member's account is deactivated",
	"cannot_dm_bot":         "the member is a bot",
	"messages_tab_disabled": "the member has turned off messages from apps",
	"channel_not_found":     "the member's direct messages are closed to the bot",
	"not_in_channel":        "the member's direct messages are closed to the bot",
	"restricted_action":     "the workspace does not allow the bot to message the member",
}

// payloadRefusals are Web API errors meaning Slack refused this request's
// content or arguments (the methods' documented errors for a bad message:
// blocks, length, attachments, metadata, a malformed form): sending it again
// cannot help, but the channel is fine, so nothing is marked.
var payloadRefusals = map[string]string{
	"invalid_blocks":                        "the message's blocks are invalid",
	"invalid_blocks_format":                 "the message's blocks are malformed",
	"msg_too_long":                          "the message is too long",
	"no_text":                               "the message has no text",
	"invalid_arguments":                     "the request's arguments are invalid",
	"invalid_attachments":                   "the message's attachments are invalid",
	"too_many_attachments":                  "the message has too many attachments",
	"too_many_contact_cards":                "the message has too many contact cards",
	"invalid_metadata_format":               "the message's metadata is malformed",
	"invalid_metadata_schema":               "the message's metadata does not match its schema",
	"metadata_too_large":                    "the message's metadata is too large",
	"metadata_must_be_sent_from_app":        "the message's metadata was not sent by an app",
	"message_limit_exceeded":                "the channel's message limit is exceeded",
	"invalid_arg_name":                      "the request names an invalid argument",
	"invalid_array_arg":                     "the request has an invalid array argument",
	"invalid_charset":                       "the request's character set is invalid",
	"invalid_form_data":                     "the request's form data is invalid",
	"invalid_post_type":                     "the request's content type is invalid",
	"missing_post_type":                     "the request has no content type",
	"invalid_json":                          "the request's JSON is invalid",
	"json_not_object":                       "the request's JSON is not an object",
	"bad_timestamp":                         "the message timestamp is invalid",
	"cant_update_message":                   "Slack no longer allows the bot to edit that message",
	"edit_window_closed":                    "Slack no longer allows the bot to edit that message",
	"not_pinnable":                          "the message cannot be pinned",
	"user_is_bot":                           "a bot cannot be invited to the channel",
	"user_is_restricted":                    "a guest cannot be invited to the channel",
	"user_is_ultra_restricted":              "a single-channel guest cannot be invited to the channel",
	"cant_invite":                           "the member cannot be invited to the channel",
	"cant_invite_self":                      "the bot cannot invite itself",
	"method_not_supported_for_channel_type": "the channel's type does not allow it",
}

// goneRefusals are Web API errors meaning what the request names no longer
// exists or the app lacks a permission: retrying cannot help, and no channel
// is marked.
var goneRefusals = map[string]string{
	"message_not_found": "the message was deleted",
	"user_not_found":    "the member's account was not found",
	"missing_scope":     "the app lacks a permission (scope) this needs: reinstall it from the current manifest",
}

// Deliver implements bot.Platform. An Urgent outbound (a safety alert)
// goes ahead of every bulk call waiting for the channel's and the method's
// pace.
func (a *Adapter) Deliver(ctx context.Context, out bot.Outbound) (bot.Delivered, error) {
	ctx = bot.WithUrgent(ctx, out.Urgent)
	if out.File != nil {
		return bot.Delivered{}, bot.Rejected("slack: a file goes only with a private reply, not with a %s", out.Kind)
	}
	switch out.Kind {
	case bot.OutPost:
		ch := string(out.To.Channel)
		if ch == "" {
			return bot.Delivered{}, bot.Rejected("slack: a post needs a channel")
		}
		return a.post(ctx, ch, out, false)
	case bot.OutDM:
		ch, err := a.openDM(ctx, out.User)
		if err != nil {
			return bot.Delivered{}, err
		}
		return a.post(ctx, ch, out, true)
	case bot.OutEdit:
		return a.edit(ctx, out)
	case bot.OutPin:
		return a.pin(ctx, out)
	case bot.OutUnpin:
		return a.unpin(ctx, out)
	case bot.OutInvite:
		return a.invite(ctx, out)
	case bot.OutGrantRole, bot.OutRevokeRole:
		return bot.Delivered{}, fmt.Errorf("slack: %s: Slack has no roles; gate with an invitation to a private channel instead: %w", out.Kind, errors.ErrUnsupported)
	default:
		return bot.Delivered{}, fmt.Errorf("slack: deliver %s: replies and modals answer an event and are not delivered on their own", out.Kind)
	}
}

// FindDelivered implements bot.Finder: it looks through the channel's
// recent history for a post of the bot whose metadata carries out.Key. One
// read of a channel answers the looks for all of its keys for historyTTL,
// unless this process posted the key since (see bot.ChannelHistory).
func (a *Adapter) FindDelivered(ctx context.Context, out bot.Outbound) (bot.Delivered, bool, error) {
	if out.Key == "" {
		return bot.Delivered{}, false, nil
	}
	var ch string
	switch out.Kind {
	case bot.OutPost:
		ch = string(out.To.Channel)
	case bot.OutDM:
		var err error
		if ch, err = a.openDM(ctx, out.User); err != nil {
			return bot.Delivered{}, false, err
		}
	default:
		return bot.Delivered{}, false, nil
	}
	return a.find(ctx, ch, out.Key)
}

// historyDepth is how many recent messages FindDelivered looks through: a
// retry after a crash comes minutes later, not hundreds of posts later.
const historyDepth = 200

// historyTTL is how long a channel's history read by FindDelivered answers
// later looks in the same channel: a restart's backlog is looked for within
// it.
const historyTTL = time.Minute

// find looks for the bot's post of key in ch's recent history.
func (a *Adapter) find(ctx context.Context, ch, key string) (bot.Delivered, bool, error) {
	posts, err := a.history.Read(ctx, ch, key, func(ctx context.Context) (map[string]string, error) {
		return a.readPosts(ctx, ch)
	})
	if err != nil {
		return bot.Delivered{}, false, err
	}
	ts, ok := posts[key]
	if !ok {
		return bot.Delivered{}, false, nil
	}
	return bot.Delivered{Ref: bot.MessageRef{Platform: bot.PlatformSlack, Channel: bot.ChannelID(ch), ID: bot.MessageID(ts)}, At: a.tsTime(ts)}, true, nil
}

// readPosts reads ch's recent history (historyDepth messages) and returns
// the bot's keyed posts in it: outbox key → message ts.
func (a *Adapter) readPosts(ctx context.Context, ch string) (map[string]string, error) {
	self := a.self.Load()
	posts := map[string]string{}
	var cursor string
	seen := 0
	for seen < historyDepth {
		var resp *slackgo.GetConversationHistoryResponse
		err := a.call(ctx, "", "conversations.history", nil, func() error {
			var err error
			resp, err = a.api.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{
				ChannelID: ch, Limit: 100, Cursor: cursor, IncludeAllMetadata: true,
			})
			return err
		})
		if err != nil {
			return nil, a.refusal(ch, "", "conversations.history", err)
		}
		for _, m := range resp.Messages {
			if m.Metadata.EventType != metadataEventType {
				continue
			}
			if self != nil && self.BotID != "" && m.BotID != "" && m.BotID != self.BotID {
				continue
			}
			if k, _ := m.Metadata.EventPayload["key"].(string); k != "" {
				if _, newer := posts[k]; !newer { // history is newest first
					posts[k] = m.Timestamp
				}
			}
		}
		seen += len(resp.Messages)
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" || len(resp.Messages) == 0 {
			break
		}
		cursor = resp.ResponseMetaData.NextCursor
	}
	return posts, nil
}

// post sends a message with chat.postMessage, paced per channel. After an
// answer that leaves it unknown whether Slack posted (a 5xx, a lost
// connection), it looks for the post by its key before trying again, so
// that a retry never doubles a reminder.
func (a *Adapter) post(ctx context.Context, ch string, out bot.Outbound, dm bool) (bot.Delivered, error) {
	if err := a.checkReachable(ch, out.User, dm); err != nil {
		return bot.Delivered{}, err
	}
	opts, err := messageOptions(out.Message)
	if err != nil {
		return bot.Delivered{}, fmt.Errorf("slack: render: %w", err)
	}
	if out.Key != "" {
		opts = append(opts, slackgo.MsgOptionMetadata(slackgo.SlackMetadata{
			EventType: metadataEventType, EventPayload: map[string]any{"key": out.Key},
		}))
	}
	var d bot.Delivered
	var ambiguous func() (bool, error)
	if out.Key != "" {
		// From here until it is answered, the post may land in the channel
		// after a read of its history began.
		defer a.history.Posting(ch, out.Key)()
		ambiguous = func() (bool, error) {
			found, ok, err := a.find(ctx, ch, out.Key)
			if ok {
				d = found
			}
			return ok, err
		}
	}
	err = a.call(ctx, ch, "chat.postMessage", ambiguous, func() error {
		rch, ts, err := a.api.PostMessageContext(ctx, ch, opts...)
		if err == nil {
			d = bot.Delivered{Ref: bot.MessageRef{Platform: bot.PlatformSlack, Channel: bot.ChannelID(rch), ID: bot.MessageID(ts)}, At: a.tsTime(ts)}
		}
		return err
	})
	if err != nil {
		var user bot.UserID
		if dm {
			user = out.User
		}
		return bot.Delivered{}, a.refusal(ch, user, "chat.postMessage", err)
	}
	return d, nil
}

func (a *Adapter) openDM(ctx context.Context, user bot.UserID) (string, error) {
	if user == "" {
		return "", bot.Rejected("slack: a DM needs a user")
	}
	if err := a.checkReachable("", user, true); err != nil {
		return "", err
	}
	if ch, ok := a.dmChannels.Get(user); ok {
		return ch, nil
	}
	var ch string
	err := a.call(ctx, "", "conversations.open", nil, func() error {
		c, _, _, err := a.api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{string(user)}, ReturnIM: true})
		if err == nil {
			ch = c.ID
		}
		return err
	})
	if err != nil {
		return "", a.refusal("", user, "conversations.open", err)
	}
	a.dmChannels.Put(user, ch)
	return ch, nil
}

// editQueue orders the edits of one message: one chat.update at a time,
// and an edit still waiting for its turn is replaced by a newer one, so
// that a burst of RSVPs on a reminder makes few calls and the message ends
// with the content of the last edit asked for.
type editQueue struct {
	busy    bool
	waiting *editTurn
}

// editTurn is an edit waiting for the message's previous edit to finish.
type editTurn struct {
	turn       chan struct{} // closed when this edit may run
	superseded chan struct{} // closed when a newer edit took its place
}

func (a *Adapter) edit(ctx context.Context, out bot.Outbound) (bot.Delivered, error) {
	ch, ts := string(out.Ref.Channel), string(out.Ref.ID)
	if ch == "" || ts == "" {
		return bot.Delivered{}, bot.Rejected("slack: an edit needs a message reference with a channel and a timestamp")
	}
	if err := a.checkReachable(ch, "", false); err != nil {
		return bot.Delivered{}, err
	}
	opts, err := messageOptions(out.Message)
	if err != nil {
		return bot.Delivered{}, fmt.Errorf("slack: render: %w", err)
	}
	key := ch + "/" + ts
	a.mu.Lock()
	q := a.edits[key]
	if q == nil {
		q = &editQueue{}
		a.edits[key] = q
	}
	if !q.busy {
		q.busy = true
		a.mu.Unlock()
		return a.runEdit(ctx, key, q, out.Ref, opts)
	}
	if q.waiting != nil {
		close(q.waiting.superseded)
	}
	me := &editTurn{turn: make(chan struct{}), superseded: make(chan struct{})}
	q.waiting = me
	a.mu.Unlock()

	select {
	case <-me.turn:
		return a.runEdit(ctx, key, q, out.Ref, opts)
	case <-me.superseded:
		// A newer edit of the same message carries on: this content would
		// be replaced at once anyway.
		return bot.Delivered{Ref: out.Ref, At: a.clock.Now()}, nil
	case <-ctx.Done():
		a.mu.Lock()
		if q.waiting == me {
			q.waiting = nil
			a.mu.Unlock()
			return bot.Delivered{}, fmt.Errorf("slack: chat.update: %w", ctx.Err())
		}
		a.mu.Unlock()
		// The turn was given (or the edit superseded) at the same moment:
		// pass the turn on rather than hold the queue.
		select {
		case <-me.turn:
			a.finishEdit(key, q)
		case <-me.superseded:
		}
		return bot.Delivered{}, fmt.Errorf("slack: chat.update: %w", ctx.Err())
	}
}

// runEdit makes one chat.update, then gives the message's turn to the
// edit waiting for it, if any.
func (a *Adapter) runEdit(ctx context.Context, key string, q *editQueue, ref bot.MessageRef, opts []slackgo.MsgOption) (bot.Delivered, error) {
	defer a.finishEdit(key, q)
	ch, ts := string(ref.Channel), string(ref.ID)
	err := a.call(ctx, "", "chat.update", nil, func() error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, ch, ts, opts...)
		return err
	})
	if err != nil {
		return bot.Delivered{}, a.refusal(ch, "", "chat.update", err)
	}
	return bot.Delivered{Ref: ref, At: a.clock.Now()}, nil
}

func (a *Adapter) finishEdit(key string, q *editQueue) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if next := q.waiting; next != nil {
		q.waiting = nil
		close(next.turn)
		return
	}
	q.busy = false
	delete(a.edits, key)
}

func (a *Adapter) pin(ctx context.Context, out bot.Outbound) (bot.Delivered, error) {
	ch, ts := string(out.Ref.Channel), string(out.Ref.ID)
	if ch == "" || ts == "" {
		return bot.Delivered{}, bot.Rejected("slack: a pin needs a message reference with a channel and a timestamp")
	}
	if err := a.checkReachable(ch, "", false); err != nil {
		return bot.Delivered{}, err
	}
	err := a.call(ctx, "", "pins.add", nil, func() error {
		return a.api.AddPinContext(ctx, ch, slackgo.NewRefToMessage(ch, ts))
	})
	if err != nil && errCode(err) != "already_pinned" {
		return bot.Delivered{}, a.refusal(ch, "", "pins.add", err)
	}
	return bot.Delivered{Ref: out.Ref, At: a.clock.Now()}, nil
}

func (a *Adapter) unpin(ctx context.Context, out bot.Outbound) (bot.Delivered, error) {
	ch, ts := string(out.Ref.Channel), string(out.Ref.ID)
	if ch == "" || ts == "" {
		return bot.Delivered{}, bot.Rejected("slack: an unpin needs a message reference with a channel and a timestamp")
	}
	if err := a.checkReachable(ch, "", false); err != nil {
		return bot.Delivered{}, err
	}
	err := a.call(ctx, "", "pins.remove", nil, func() error {
		return a.api.RemovePinContext(ctx, ch, slackgo.NewRefToMessage(ch, ts))
	})
	if err != nil && errCode(err) != "not_pinned" {
		return bot.Delivered{}, a.refusal(ch, "", "pins.remove", err)
	}
	return bot.Delivered{Ref: out.Ref, At: a.clock.Now()}, nil
}

func (a *Adapter) invite(ctx context.Context, out bot.Outbound) (bot.Delivered, error) {
	ch := string(out.To.Channel)
	if ch == "" || out.User == "" {
		return bot.Delivered{}, bot.Rejected("slack: an invitation needs a channel and a user")
	}
	if err := a.checkReachable(ch, "", false); err != nil {
		return bot.Delivered{}, err
	}
	err := a.call(ctx, "", "conversations.invite", nil, func() error {
		_, err := a.api.InviteUsersToConversationContext(ctx, ch, string(out.User))
		return err
	})
	switch errCode(err) {
	case "", "already_in_channel":
		// Who is in the channel changed: the next question about its
		// members must not get the list from before the invitation.
		a.forgetMembers(ch)
		return bot.Delivered{At: a.clock.Now()}, nil
	}
	return bot.Delivered{}, a.refusal(ch, "", "conversations.invite", err)
}

// call runs fn, the one Web API call of op, with pacing and bounded
// retries: when channel is set it first waits for the channel's pacing
// token; a 429 waits Retry-After; a 5xx or a network error backs off
// exponentially. Before retrying after an answer that leaves the outcome
// unknown it asks ambiguous, when set, whether the call took effect after
// all; true ends the call successfully.
func (a *Adapter) call(ctx context.Context, channel, op string, ambiguous func() (bool, error), fn func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		urgent := bot.IsUrgent(ctx)
		if channel != "" {
			if werr := a.limiter(channel).Wait(ctx, urgent); werr != nil {
				return fmt.Errorf("%s: waiting for the channel's pace: %w", op, werr)
			}
		}
		if l := a.methodLimiters[op]; l != nil {
			if werr := l.Wait(ctx, urgent); werr != nil {
				return fmt.Errorf("%s: waiting for the method's pace: %w", op, werr)
			}
		}
		if op == "chat.postMessage" {
			// The post may reach Slack from here on (bot.HandOff).
			if herr := bot.HandOff(ctx); herr != nil {
				return fmt.Errorf("%s: not sent: %w", op, herr)
			}
		}
		err = fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
		if attempt > a.cfg.MaxRetries {
			return fmt.Errorf("%s: giving up after %d attempts: %w", op, attempt, err)
		}
		var wait time.Duration
		var rl *slackgo.RateLimitedError
		var sc slackgo.StatusCodeError
		switch {
		case errors.As(err, &rl):
			wait = max(rl.RetryAfter, time.Second)
			a.log.Warn("rate limited by Slack; waiting", "op", op, bot.KeyChannel, logChannel(channel), "retry_after", wait)
			a.cfg.Observer.RateLimited(bot.PlatformSlack)
		case errors.As(err, &sc) && sc.Code >= 500, isNetErr(err):
			wait = a.retry.Delay(attempt)
			a.log.Warn("Slack call failed; retrying", "op", op, bot.KeyChannel, logChannel(channel), "attempt", attempt, "in", wait, bot.KeyErr, err)
			a.cfg.Observer.Retried(bot.PlatformSlack)
			if ambiguous != nil {
				if !bot.Sleep(ctx, a.clock, wait) {
					return fmt.Errorf("%s: %w", op, ctx.Err())
				}
				wait = 0
				done, ferr := ambiguous()
				if ferr != nil {
					a.log.Warn("could not check whether a failed post went through; retrying", "op", op, bot.KeyChannel, logChannel(channel), bot.KeyErr, ferr)
				} else if done {
					a.log.Info("a post whose answer was lost had gone through; not posting again", "op", op, bot.KeyChannel, logChannel(channel))
					return nil
				}
			}
		default:
			return fmt.Errorf("%s: %w", op, err)
		}
		if !bot.Sleep(ctx, a.clock, wait) {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
	}
}

func isNetErr(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne)
}

// errCode returns Slack's error code ("channel_not_found"), or "".
func errCode(err error) string {
	var se slackgo.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// methodTiers paces the workspace-wide, per-method limits of the Web API
// methods the adapter calls (Slack's rate limit tiers: Tier 2 about 20 a
// minute, Tier 3 about 50, Tier 4 about 100), a little under each so that a
// burst of RSVP edits or invitations waits instead of meeting 429s.
// chat.postMessage has, besides its per-channel limit, a workspace-wide
// one that Slack describes only as "several hundred messages per minute":
// the adapter keeps to 480 a minute, so that 500 reminders due in the same
// minute go out within about a minute without meeting 429s.
//
// A process cannot know how much of a limit the process before it spent
// just before it stopped (a crash, a restart), and a restart is when a
// backlog of posts goes out at once: chat.postMessage starts with its
// burst spent, at its steady pace, so that a process restarted during a
// burst does not meet 429s. The others start full: they answer people,
// who should not wait after a start.
var methodTiers = map[string]struct {
	perMinute  float64
	burst      int
	startEmpty bool
}{
	"chat.postMessage":      {480, 20, true},
	"chat.update":           {45, 10, false},
	"conversations.open":    {45, 10, false},
	"conversations.invite":  {45, 10, false},
	"conversations.history": {45, 5, false},
	"pins.add":              {18, 3, false},
	"pins.remove":           {18, 3, false},
	"conversations.info":    {45, 10, false},
	"conversations.members": {90, 20, false},
	"users.info":            {90, 20, false},
	"views.open":            {90, 20, false},
	"chat.postEphemeral":    {90, 20, false},
	// A private file: both steps are Tier 4.
	"files.getUploadURLExternal":   {90, 20, false},
	"files.completeUploadExternal": {90, 20, false},
}

// newMethodPacers returns a pacer per tiered method, each with an urgent
// lane (safety alerts, answers to people) ahead of bulk work; those whose
// tier says so start with their burst spent.
func newMethodPacers(clock bot.Clock) map[string]*bot.Pacer {
	m := make(map[string]*bot.Pacer, len(methodTiers))
	for op, t := range methodTiers {
		p := bot.NewPacer(clock, bot.PerSecond(t.perMinute/60), t.burst)
		if t.startEmpty {
			p.Drain()
		}
		m[op] = p
	}
	return m
}

func (a *Adapter) limiter(ch string) *bot.Pacer {
	// An evicted pacer is the least recently used of MaxChannels: idle for
	// far longer than it takes to fill up again, so nothing is lost.
	l, _ := a.limiters.GetOrPut(ch, func() *bot.Pacer {
		return bot.NewPacer(a.clock, bot.PerSecond(float64(a.cfg.ChannelRate)), a.cfg.ChannelBurst)
	})
	return l
}

// checkReachable fails fast for a channel or user that refused the bot
// recently.
func (a *Adapter) checkReachable(ch string, user bot.UserID, dm bool) error {
	if dm && user != "" {
		if _, ok := a.unreachable.Get("user:" + string(user)); ok {
			return bot.Unreachable("slack: the member cannot be sent direct messages")
		}
	}
	if ch != "" && !dm {
		if _, ok := a.unreachable.Get(ch); ok {
			return bot.Unreachable("slack: channel %s refused the bot earlier; invite the bot back or bind the group to another channel", ch)
		}
	}
	return nil
}

// refusal turns a Web API error into a bot.PermanentError when retrying
// cannot help: bot.Unreachable when the channel or person refused the bot
// (marking it, so that later sends fail fast, and logging it once) or what
// the request names is gone; bot.Rejected when Slack refused the request's
// content, which leaves the channel alone. Other errors (rate limits,
// server errors, the token) are wrapped as they are.
func (a *Adapter) refusal(ch string, user bot.UserID, op string, err error) error {
	code := errCode(err)
	if user != "" {
		if why, ok := dmRefusals[code]; ok {
			a.mark("user:"+string(user), "direct message refused", "to", "dm", code)
			return bot.Unreachable("slack: %s: cannot send a direct message: %s (%s)", op, why, code)
		}
	} else if why, ok := channelRefusals[code]; ok && ch != "" {
		a.mark(ch, "channel refused the bot", bot.KeyChannel, logChannel(ch), code)
		return bot.Unreachable("slack: %s: channel %s: %s (%s)", op, logChannel(ch), why, code)
	}
	if why, ok := payloadRefusals[code]; ok {
		return bot.Rejected("slack: %s: refused as invalid: %s (%s); the channel is fine", op, why, code)
	}
	if why, ok := goneRefusals[code]; ok {
		return bot.Unreachable("slack: %s: %s (%s)", op, why, code)
	}
	return fmt.Errorf("slack: %w", err)
}

func (a *Adapter) mark(key, msg, logKey, logVal, code string) {
	_, was := a.unreachable.Get(key)
	a.unreachable.Put(key, struct{}{})
	if !was {
		a.log.Error(msg+"; failing fast for a while", logKey, logVal, "slack_error", code, "for", a.cfg.UnreachableFor)
	}
}

// tsTime reads a Slack message timestamp ("1700000000.000100"); an
// unreadable one reads as now.
func (a *Adapter) tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return a.clock.Now()
	}
	var ns int64
	if frac != "" {
		f, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		ns = f
	}
	return time.Unix(s, ns)
}
