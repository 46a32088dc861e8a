package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tend-bot/tend/bot"
)

// Discord JSON error codes the adapter acts on.
const (
	codeUnknownChannel     = 10003
	codeUnknownMember      = 10007
	codeUnknownMessage     = 10008
	codeUnknownRole        = 10011
	codeMissingAccess      = 50001
	codeCannotDMUser       = 50007
	codeMissingPermissions = 50013
)

// max429 bounds consecutive 429 answers for one call before it gives up
// with a transient error (the job runner then retries later).
const max429 = 100

// Deliver implements bot.Platform. An Urgent outbound (a safety alert)
// goes ahead of every bulk call waiting for the channel's and the global
// pace.
func (a *Adapter) Deliver(ctx context.Context, out bot.Outbound) (bot.Delivered, error) {
	ctx = bot.WithUrgent(ctx, out.Urgent)
	if out.File != nil {
		return bot.Delivered{}, bot.Rejected("discord: a file goes only with a private reply, not with a %s", out.Kind)
	}
	switch out.Kind {
	case bot.OutPost:
		ch := string(out.To.Channel)
		if ch == "" {
			return bot.Delivered{}, bot.Rejected("discord: a post needs a channel")
		}
		return a.post(ctx, ch, render(out.Message), out.Key, false)
	case bot.OutDM:
		if out.User == "" {
			return bot.Delivered{}, bot.Rejected("discord: a DM needs a user")
		}
		ch, err := a.dmChannel(ctx, out.User)
		if err != nil {
			return bot.Delivered{}, err
		}
		return a.post(ctx, ch, render(out.Message), out.Key, true)
	case bot.OutEdit:
		return a.edit(ctx, out.Ref, render(out.Message))
	case bot.OutPin, bot.OutUnpin:
		ch := string(out.Ref.Channel)
		if ch == "" || out.Ref.ID == "" {
			return bot.Delivered{}, bot.Rejected("discord: a %s needs a message reference", out.Kind)
		}
		if err := a.checkReachable(ch); err != nil {
			return bot.Delivered{}, err
		}
		method, op := "PUT", "pin message"
		if out.Kind == bot.OutUnpin {
			method, op = "DELETE", "unpin message"
		}
		u := discordgo.EndpointChannelMessagePin(ch, string(out.Ref.ID))
		err := a.rest(ctx, op, ch, func(opts ...discordgo.RequestOption) error {
			_, err := a.s.RequestWithBucketID(method, u, nil, discordgo.EndpointChannelMessagePin(ch, ""), opts...)
			return err
		})
		if err != nil {
			return bot.Delivered{}, fmt.Errorf("discord: %s in %s: %w", op, ch, err)
		}
		return bot.Delivered{Ref: out.Ref, At: a.clock.Now()}, nil
	case bot.OutGrantRole:
		return a.grant(ctx, out)
	case bot.OutRevokeRole:
		if out.Guild == "" || out.User == "" || out.Role == "" {
			return bot.Delivered{}, bot.Rejected("discord: revoking a role needs a guild, a user and a role")
		}
		err := a.rest(ctx, "revoke role", "", func(opts ...discordgo.RequestOption) error {
			return a.s.GuildMemberRoleRemove(out.Guild, string(out.User), string(out.Role), opts...)
		})
		if err != nil {
			return bot.Delivered{}, fmt.Errorf("discord: revoke role %s from %s: %w", out.Role, out.User, err)
		}
		a.forgetMember(out.Guild, string(out.User))
		return bot.Delivered{At: a.clock.Now()}, nil
	case bot.OutInvite:
		// Discord has no channel invitations for a member: the access
		// role does that job.
		return bot.Delivered{}, fmt.Errorf("discord: invite: use a role to give access on Discord: %w", errors.ErrUnsupported)
	default:
		return bot.Delivered{}, fmt.Errorf("discord: deliver %s: only replies to an event can be %s", out.Kind, out.Kind)
	}
}

// post creates a message in ch, paced per channel, with the key's nonce and
// enforce_nonce so that a repeat within Discord's nonce window returns the
// first message instead of posting twice.
func (a *Adapter) post(ctx context.Context, ch string, p payload, key string, dm bool) (bot.Delivered, error) {
	// A DM channel is a person's: it is never named in an error or a log
	// line, nor marked unreachable (a person who refuses DMs says so with
	// its own code).
	where, mark := a.where(ch), ch
	if dm {
		where, mark = dmWhere, ""
	}
	if err := a.checkReachable(mark); err != nil {
		return bot.Delivered{}, err
	}
	if err := a.channelPacer(ch).Wait(ctx, bot.IsUrgent(ctx)); err != nil {
		return bot.Delivered{}, fmt.Errorf("discord: pace posts to %s: %w", where, err)
	}
	if n := nonce(key); n != "" {
		p.Nonce, p.EnforceNonce = n, true
	}
	// From here until it is answered, the post may land in the channel
	// after a read of its history began.
	defer a.history.Posting(ch, key)()
	var msg discordgo.Message
	u := discordgo.EndpointChannelMessages(ch)
	err := a.rest(ctx, "post", mark, func(opts ...discordgo.RequestOption) error {
		body, err := a.s.RequestWithBucketID("POST", u, p, u, opts...)
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &msg)
	})
	if err != nil {
		if dm && restCode(err) == codeCannotDMUser {
			// Never fall back to a mention in a shared channel: that could
			// tell others the person is in a support group.
			return bot.Delivered{}, bot.Unreachable("discord: this person does not accept direct messages from the server's members")
		}
		return bot.Delivered{}, fmt.Errorf("discord: post to %s: %w", where, err)
	}
	at := msg.Timestamp
	if at.IsZero() {
		at = a.clock.Now()
	}
	return bot.Delivered{Ref: bot.MessageRef{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(ch), ID: bot.MessageID(msg.ID)}, At: at}, nil
}

func (a *Adapter) edit(ctx context.Context, ref bot.MessageRef, p payload) (bot.Delivered, error) {
	ch := string(ref.Channel)
	if ch == "" || ref.ID == "" {
		return bot.Delivered{}, bot.Rejected("discord: an edit needs a message reference")
	}
	if err := a.checkReachable(ch); err != nil {
		return bot.Delivered{}, err
	}
	u := discordgo.EndpointChannelMessage(ch, string(ref.ID))
	err := a.rest(ctx, "edit", ch, func(opts ...discordgo.RequestOption) error {
		_, err := a.s.RequestWithBucketID("PATCH", u, p, discordgo.EndpointChannelMessage(ch, ""), opts...)
		return err
	})
	if err != nil {
		return bot.Delivered{}, fmt.Errorf("discord: edit a message in %s: %w", a.where(ch), err)
	}
	return bot.Delivered{Ref: ref, At: a.clock.Now()}, nil
}

// grant gives a role, after checking that the member has passed the
// server's rules screening: a pending member is never granted a role.
func (a *Adapter) grant(ctx context.Context, out bot.Outbound) (bot.Delivered, error) {
	if out.Guild == "" || out.User == "" || out.Role == "" {
		return bot.Delivered{}, bot.Rejected("discord: granting a role needs a guild, a user and a role")
	}
	var m *discordgo.Member
	err := a.rest(ctx, "fetch member", "", func(opts ...discordgo.RequestOption) error {
		var err error
		m, err = a.s.GuildMember(out.Guild, string(out.User), opts...)
		return err
	})
	if err != nil {
		return bot.Delivered{}, fmt.Errorf("discord: grant role %s to %s: %w", out.Role, out.User, err)
	}
	if m.Pending {
		// The member cannot have the role yet; the request itself is fine
		// and the core grants it again once they pass.
		return bot.Delivered{}, fmt.Errorf("discord: grant role %s to %s: %w (%w)", out.Role, out.User, bot.ErrScreening,
			bot.Unreachable("grant the role after they pass it"))
	}
	err = a.rest(ctx, "grant role", "", func(opts ...discordgo.RequestOption) error {
		return a.s.GuildMemberRoleAdd(out.Guild, string(out.User), string(out.Role), opts...)
	})
	if err != nil {
		return bot.Delivered{}, fmt.Errorf("discord: grant role %s to %s: %w", out.Role, out.User, err)
	}
	// The role may open channels: what the inspector knew of the member
	// is out of date, before the gateway's update arrives.
	a.forgetMember(out.Guild, string(out.User))
	return bot.Delivered{At: a.clock.Now()}, nil
}

// dmChannel opens (or reuses) the DM channel with user.
func (a *Adapter) dmChannel(ctx context.Context, user bot.UserID) (string, error) {
	if ch, ok := a.dmChannels.Get(user); ok {
		return ch, nil
	}
	var c *discordgo.Channel
	err := a.rest(ctx, "open DM", "", func(opts ...discordgo.RequestOption) error {
		var err error
		c, err = a.s.UserChannelCreate(string(user), opts...)
		return err
	})
	if err != nil {
		if errors.Is(err, bot.ErrRejected) {
			// 400 50033 Invalid Recipient: no such person, or one the bot
			// shares no server with. It is the person who cannot be
			// reached, not a payload to fix.
			return "", bot.Unreachable("discord: cannot open a DM with this person (code %d)", restCode(err))
		}
		return "", fmt.Errorf("discord: open a DM: %w", err)
	}
	a.rememberDM(user, c.ID)
	return c.ID, nil
}

// dmWhere names a DM channel in errors and logs.
const dmWhere = "a direct message channel"

// rememberDM records user's DM channel.
func (a *Adapter) rememberDM(user bot.UserID, ch string) {
	a.dmChannels.Put(user, ch)
	a.dmIDs.Put(ch, struct{}{})
}

// where names channel ch in an error or a log line: a DM channel, which
// is a person's, by what it is, never by its id.
func (a *Adapter) where(ch string) string {
	if _, ok := a.dmIDs.Get(ch); ok {
		return dmWhere
	}
	return ch
}

func (a *Adapter) channelPacer(ch string) *bot.Pacer {
	// An evicted pacer is the least recently used of MaxChannels: idle for
	// far longer than it takes to fill up again, so nothing is lost.
	l, _ := a.chanLimits.GetOrPut(ch, func() *bot.Pacer {
		return bot.NewPacer(a.clock, a.cfg.ChannelEvery, a.cfg.ChannelBurst)
	})
	return l
}

// checkReachable fails fast for a channel that answered 403/404 lately.
func (a *Adapter) checkReachable(ch string) error {
	if ch == "" {
		return nil
	}
	if _, ok := a.unreachable.Get(ch); !ok {
		return nil
	}
	return bot.Unreachable("discord: channel %s is unreachable (the bot lacks access or it was deleted); give the bot access or bind the group to another channel", ch)
}

// markUnreachable records that ch refused the bot, logging once.
func (a *Adapter) markUnreachable(ch string, status, code int) {
	_, already := a.unreachable.Get(ch)
	a.unreachable.Put(ch, struct{}{})
	if !already {
		a.log.Error("channel is unreachable; posts to it fail until access is restored", bot.KeyChannel, ch, "status", status, "code", code)
	}
}

// refusal is a permanent refusal that keeps Discord's answer, so that a
// caller can still read its code (restCode). Its message is the
// PermanentError's: Discord's body is never in it.
type refusal struct {
	perm error
	re   *discordgo.RESTError
}

func (r *refusal) Error() string   { return r.perm.Error() }
func (r *refusal) Unwrap() []error { return []error{r.perm, r.re} }

// restCode returns Discord's JSON error code in err, or 0.
func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return 0
}

// classify turns Discord's refusal of one call into the error rest
// returns: a refused payload is bot.Rejected and leaves the channel alone;
// a channel the bot cannot reach is bot.Unreachable and is marked, so that
// later posts fail fast; a person, message or role that no longer exists is
// bot.Unreachable without marking the channel. 401 is left transient: it
// is the token, not the request.
func (a *Adapter) classify(op, ch string, re *discordgo.RESTError) error {
	if a.where(ch) == dmWhere {
		ch = "" // a person's: neither named nor marked
	}
	status, code := re.Response.StatusCode, 0
	if re.Message != nil {
		code = re.Message.Code
	}
	var perm error
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%s: the bot token was refused: %w", op, re)
	case code == codeUnknownChannel || code == codeMissingAccess || code == codeMissingPermissions:
		if ch != "" {
			a.markUnreachable(ch, status, code)
			perm = bot.Unreachable("discord: %s: channel %s refused the bot (HTTP %d, code %d): give the bot access to it or bind the group to another channel", op, ch, status, code)
		} else {
			perm = bot.Unreachable("discord: %s: the bot lacks access (HTTP %d, code %d): check its role and permissions", op, status, code)
		}
	case code == codeCannotDMUser:
		perm = bot.Unreachable("discord: %s: the person does not accept direct messages from the bot (code %d)", op, code)
	case code == codeUnknownMessage || code == codeUnknownMember || code == codeUnknownRole:
		perm = bot.Unreachable("discord: %s: %s (code %d)", op, discordMessage(re), code)
	case status == http.StatusNotFound:
		perm = bot.Unreachable("discord: %s: not found (HTTP 404, code %d)", op, code)
	default:
		// 400 (50035 Invalid Form Body and the like), 403 for this action
		// (editing another's message), 413: the request itself is refused;
		// the same request again cannot succeed, but the channel is fine.
		perm = bot.Rejected("discord: %s: refused as invalid (HTTP %d, code %d); the channel is fine", op, status, code)
	}
	return &refusal{perm: perm, re: re}
}

// rest runs one discordgo call with the adapter's policy: ctx on the
// request; 429 waits for retry_after and tries again (bounded, and never
// losing the request); 5xx and network errors retry with ServerBackoff up
// to MaxServerRetries; other refusals return at once, classified (see
// classify).
func (a *Adapter) rest(ctx context.Context, op, ch string, call func(opts ...discordgo.RequestOption) error) error {
	serverTries, limited := 0, 0
	for {
		err := call(discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0))
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
		if errors.Is(err, errNotHandedOff) {
			return fmt.Errorf("%s: %w", op, err)
		}
		var rl *discordgo.RateLimitError
		if errors.As(err, &rl) {
			limited++
			a.mu.Lock()
			a.stats.RateLimited++
			a.mu.Unlock()
			a.cfg.Observer.RateLimited(bot.PlatformDiscord)
			if limited > max429 {
				return fmt.Errorf("%s: still rate limited after %d tries: %w", op, limited, err)
			}
			wait := time.Duration(0)
			if rl.RateLimit != nil && rl.TooManyRequests != nil {
				wait = rl.RetryAfter
			}
			wait = min(max(wait, 10*time.Millisecond), time.Minute)
			a.log.Warn("rate limited by Discord; waiting", "op", op, "retry_after", wait.String())
			if !bot.Sleep(ctx, a.clock, wait) {
				return fmt.Errorf("%s: %w", op, ctx.Err())
			}
			continue
		}
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			return a.classify(op, ch, re)
		}
		serverTries++
		if serverTries > a.cfg.MaxServerRetries {
			return fmt.Errorf("%s: gave up after %d tries: %w", op, serverTries, err)
		}
		a.mu.Lock()
		a.stats.Retried5xx++
		a.mu.Unlock()
		a.cfg.Observer.Retried(bot.PlatformDiscord)
		wait := a.cfg.ServerBackoff.Delay(serverTries)
		a.log.Warn("Discord call failed; retrying", "op", op, "in", wait.String(), bot.KeyErr, err)
		if !bot.Sleep(ctx, a.clock, wait) {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
	}
}

func discordMessage(re *discordgo.RESTError) string {
	if re.Message != nil && re.Message.Message != "" {
		return re.Message.Message
	}
	return "refused"
}

// registerCommands bulk-overwrites /tend in each configured guild (instant)
// or globally (Discord may take up to an hour to show global changes).
func (a *Adapter) registerCommands(ctx context.Context, specs []bot.CommandSpec) error {
	cmd, aliases := buildCommand(specs)
	a.mu.Lock()
	a.aliases = aliases
	app := a.appID
	a.mu.Unlock()
	if app == "" {
		return errors.New("discord: no application id: set discord.application_id")
	}
	targets := a.cfg.GuildIDs
	if len(targets) == 0 {
		targets = []string{""}
	}
	for _, g := range targets {
		u := discordgo.EndpointApplicationGlobalCommands(app)
		if g != "" {
			u = discordgo.EndpointApplicationGuildCommands(app, g)
		}
		err := a.rest(ctx, "register commands", "", func(opts ...discordgo.RequestOption) error {
			_, err := a.s.RequestWithBucketID("PUT", u, []appCommand{cmd}, u, opts...)
			return err
		})
		if err != nil {
			return fmt.Errorf("discord: register /tend (guild %q): %w", g, err)
		}
	}
	if n := len(buildTopNames(specs)); n > len(cmd.Options) {
		a.log.Warn("Discord allows 25 subcommands and groups under /tend; some commands are not registered", "commands", n, "registered", len(cmd.Options))
	}
	if cmd.chars() > maxCommandChars {
		a.log.Warn("the /tend registration is over Discord's 8000 characters even with short descriptions", "chars", cmd.chars())
	}
	a.log.Info("registered /tend", "subcommands", len(cmd.Options), "chars", cmd.chars(), "guilds", len(a.cfg.GuildIDs))
	return nil
}

// buildTopNames lists the distinct first words of the core's commands.
func buildTopNames(specs []bot.CommandSpec) map[string]bool {
	out := map[string]bool{}
	for _, sp := range specs {
		if w := strings.Fields(sp.Path); len(w) > 0 {
			out[w[0]] = true
		}
	}
	return out
}

// historyTTL is how long a channel's messages read by FindDelivered answer
// later looks in the same channel: a restart's backlog is looked for within
// it.
const historyTTL = time.Minute

// FindDelivered implements bot.Finder. After a crash between sending and
// recording, it reads the channel's 50 most recent messages and looks for
// the bot's own message with the key's nonce; Discord does not return a
// nonce in message history, so it also accepts the bot's message whose
// rendered content is identical to what would be sent now. Keys name one
// occurrence (a session and a lead time), and rendering is deterministic, so
// identical content among the 50 latest means this delivery already
// happened; a false match can only be an identical message that people
// already see. One read of a channel answers the looks for all of its keys
// for historyTTL, unless this process posted the key since (see
// bot.ChannelHistory).
func (a *Adapter) FindDelivered(ctx context.Context, out bot.Outbound) (bot.Delivered, bool, error) {
	var ch string
	switch out.Kind {
	case bot.OutPost:
		ch = string(out.To.Channel)
	case bot.OutDM:
		c, err := a.dmChannel(ctx, out.User)
		if err != nil {
			return bot.Delivered{}, false, err
		}
		ch = c
	default:
		return bot.Delivered{}, false, nil
	}
	if err := a.checkReachable(ch); err != nil {
		return bot.Delivered{}, false, err
	}
	raw, err := a.history.Read(ctx, ch, out.Key, func(ctx context.Context) ([]json.RawMessage, error) {
		var raw []json.RawMessage
		u := discordgo.EndpointChannelMessages(ch)
		err := a.rest(ctx, "read recent messages", ch, func(opts ...discordgo.RequestOption) error {
			body, err := a.s.RequestWithBucketID("GET", u+"?limit=50", nil, u, opts...)
			if err != nil {
				return err
			}
			return json.Unmarshal(body, &raw)
		})
		return raw, err
	})
	if err != nil {
		return bot.Delivered{}, false, fmt.Errorf("discord: look for %s in %s: %w", out.Key, ch, err)
	}
	a.mu.Lock()
	self := a.botUserID
	a.mu.Unlock()
	want := render(out.Message)
	n := nonce(out.Key)
	for _, r := range raw {
		var m *discordgo.Message
		var extra struct {
			Nonce any `json:"nonce"`
		}
		if json.Unmarshal(r, &m) != nil || json.Unmarshal(r, &extra) != nil || m == nil {
			continue
		}
		if m.Author == nil || (self != "" && m.Author.ID != self) || (self == "" && !m.Author.Bot) {
			continue
		}
		if (n != "" && extra.Nonce == n) || sameContent(m, want) {
			at := m.Timestamp
			if at.IsZero() {
				at = a.clock.Now()
			}
			return bot.Delivered{Ref: bot.MessageRef{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(ch), ID: bot.MessageID(m.ID)}, At: at}, true, nil
		}
	}
	return bot.Delivered{}, false, nil
}

// sameContent compares a message from Discord with a rendered payload.
func sameContent(m *discordgo.Message, p payload) bool {
	if p.Content != nil && *p.Content != m.Content {
		return false
	}
	var want []embed
	if p.Embeds != nil {
		want = *p.Embeds
	}
	if len(want) != len(m.Embeds) {
		return false
	}
	for i, e := range want {
		got := m.Embeds[i]
		if got.Title != e.Title || got.Description != e.Description || len(got.Fields) != len(e.Fields) {
			return false
		}
		for j, f := range e.Fields {
			if got.Fields[j].Name != f.Name || got.Fields[j].Value != f.Value {
				return false
			}
		}
	}
	var wantIDs []string
	if p.Components != nil {
		for _, r := range *p.Components {
			for _, c := range r.Components {
				wantIDs = append(wantIDs, c.CustomID)
			}
		}
	}
	var gotIDs []string
	for _, c := range m.Components {
		if r, ok := c.(*discordgo.ActionsRow); ok {
			for _, cc := range r.Components {
				if b, ok := cc.(*discordgo.Button); ok {
					gotIDs = append(gotIDs, b.CustomID)
				}
			}
		}
	}
	if len(wantIDs) != len(gotIDs) {
		return false
	}
	for i := range wantIDs {
		if wantIDs[i] != gotIDs[i] {
			return false
		}
	}
	return true
}
