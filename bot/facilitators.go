package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Reach says how TellFacilitators reached a group's facilitators.
type Reach struct {
	// Channel: posted in the group's private facilitators' channel.
	Channel bool
	// DMs is how many facilitators were sent a DM (including ones sent
	// by an earlier attempt of the same key).
	DMs int
	// Unreachable lists facilitators whose DMs are closed; the owners
	// were told.
	Unreachable []Principal
	// Owners: no facilitator could be reached, so the owners were told
	// instead.
	Owners bool
	// Sent counts the posts and DMs to facilitators delivered by this call
	// (not by an earlier attempt of the same key): a caller timing the
	// first delivery times it once.
	Sent int
}

// Reached reports whether anyone was told.
func (r Reach) Reached() bool { return r.Channel || r.DMs > 0 || r.Owners }

// inspector is what TellFacilitators needs of the Deliverer to check that
// a facilitators' channel is private; *Sender implements it.
type inspector interface {
	Inspector(platform string) (ChannelInspector, bool)
}

// CheckFacilitatorsChannel reports nil when ch may serve as g's
// facilitators' channel: a private channel on g's platform that is not
// g's own channel. It answers with a *UserError that says why not and what
// to do instead. A platform that cannot tell (the console) counts as
// private.
func (b *Bot) CheckFacilitatorsChannel(ctx context.Context, g Group, ch ChannelID) error {
	if ch == "" {
		return nil
	}
	if ch == g.Address.Channel {
		return Errorf("The group's own channel cannot be its facilitators' channel: members read it, and alerts there name members. Name a private channel that only the facilitators are in, or leave it out to reach them by DM.")
	}
	ins, ok := b.inspector(g.Address.Platform)
	if !ok {
		return nil
	}
	if err := b.checkChannelHome(ctx, g, ch); err != nil {
		return err
	}
	private, err := ins.ChannelPrivate(ctx, Address{Platform: g.Address.Platform, Channel: ch})
	if errors.Is(err, ErrUnreachable) {
		return &UserError{Msg: fmt.Sprintf("tend cannot see channel %s. Invite tend to that private channel first, then run this again.", ch), Err: err}
	}
	if err != nil {
		return err
	}
	if !private {
		return Errorf("Channel %s is not private: people other than the facilitators can read it, and alerts there name members. Make it private (Slack: a private channel; Discord: deny View Channel to @everyone), or name another one, or leave it out to reach the facilitators by DM.", ch)
	}
	return nil
}

// sendPlainOnReject sends out; when the platform refuses its payload
// (ErrRejected: too long, a field it does not take), it sends once more a
// plain version under its own key — the title and the text, cut to fit,
// with the buttons — so that what the facilitators must know still
// reaches them.
func (b *Bot) sendPlainOnReject(ctx context.Context, out Outbound) (SendResult, error) {
	res, err := b.cfg.Sender.Send(ctx, out)
	if !errors.Is(err, ErrRejected) {
		return res, err
	}
	plain := out
	plain.Key = out.Key + "/plain"
	plain.Message = plainMessage(out.Message)
	b.log.Warn("the platform refused a message to the facilitators; sending a plain version", KeyKey, out.Key)
	return b.cfg.Sender.Send(ctx, plain)
}

// plainMessage is m as one short text: title, text and fields, cut to
// 1,500 characters, and its buttons.
func plainMessage(m Message) Message {
	var sb strings.Builder
	sb.WriteString(m.Text)
	for _, f := range m.Fields {
		sb.WriteString("\n" + f.Name + ": " + f.Value)
	}
	text := sb.String()
	if r := []rune(text); len(r) > 1500 {
		text = string(r[:1500]) + "…"
	}
	title := m.Title
	if r := []rune(title); len(r) > 200 {
		title = string(r[:200]) + "…"
	}
	return Message{Title: title, Text: text, Buttons: m.Buttons}
}

// checkChannelHome refuses a facilitators' channel that is a direct
// conversation, or that lives in another community (a Discord server) than
// the group's own channel, where the platform can tell.
func (b *Bot) checkChannelHome(ctx context.Context, g Group, ch ChannelID) error {
	hi, ok := b.cfg.Sender.(interface {
		Homer(platform string) (ChannelHomer, bool)
	})
	if !ok {
		return nil
	}
	h, ok := hi.Homer(g.Address.Platform)
	if !ok {
		return nil
	}
	home, direct, err := h.ChannelHome(ctx, Address{Platform: g.Address.Platform, Channel: ch})
	if errors.Is(err, ErrUnreachable) {
		return &UserError{Msg: fmt.Sprintf("tend cannot see channel %s. Invite tend to that private channel first, then run this again.", ch), Err: err}
	}
	if err != nil {
		return err
	}
	if direct {
		return Errorf("Channel %s is a direct conversation, not a channel: alerts there would reach whoever is in it. Name a private channel of this group's server that only the facilitators are in, or leave it out to reach them by DM.", ch)
	}
	groupHome, _, err := h.ChannelHome(ctx, g.Address)
	if err != nil {
		return err
	}
	if home != groupHome {
		return Errorf("Channel %s belongs to another server than the group's channel, so other people may read it. Name a private channel of this group's own server, or leave it out to reach the facilitators by DM.", ch)
	}
	return nil
}

func (b *Bot) inspector(platform string) (ChannelInspector, bool) {
	if i, ok := b.cfg.Sender.(inspector); ok {
		return i.Inspector(platform)
	}
	return nil, false
}

// TellFacilitators tells g's facilitators m privately, exactly once per
// key: in the group's facilitators' channel when it has one and it is
// really private, else by a DM to each facilitator who is an account on
// g's platform. It never posts in the group's own channel. A facilitators'
// channel that is no longer private is not used: the facilitators get DMs
// and the owners are told, once. A facilitator whose DMs are closed is
// recorded and reported to the owners, never mentioned anywhere public;
// when nobody can be reached (no facilitator account, all DMs closed) the
// owners get m instead. The error is for failures worth retrying (the job
// that calls it retries; keys keep it once).
func (b *Bot) TellFacilitators(ctx context.Context, g Group, key string, m Message) (Reach, error) {
	return b.tell(ctx, g, key, m, false)
}

// AlertFacilitators is TellFacilitators for a safety alert: every message
// it sends (the post, the DMs, the owners' stand-in DMs) is Urgent, so that
// each adapter sends it ahead of bulk work such as a burst of reminders.
func (b *Bot) AlertFacilitators(ctx context.Context, g Group, key string, m Message) (Reach, error) {
	return b.tell(ctx, g, key, m, true)
}

func (b *Bot) tell(ctx context.Context, g Group, key string, m Message, urgent bool) (Reach, error) {
	var r Reach
	platform := g.Address.Platform
	if ch := g.FacilitatorsChannel; ch != "" {
		err := b.CheckFacilitatorsChannel(ctx, g, ch)
		if _, user := UserMessage(err); err != nil && !user {
			return r, fmt.Errorf("check the facilitators' channel of %s: %w", g.Name, err)
		}
		if err == nil {
			post := Post(key, Address{Platform: platform, Channel: ch}, m)
			post.Urgent = urgent
			res, err := b.sendPlainOnReject(ctx, post)
			if err == nil {
				r.Channel = true
				if !res.Duplicate && !res.Recovered {
					r.Sent++
				}
				return r, nil
			}
			if errors.Is(err, ErrRejected) || !IsPermanent(err) {
				// A refused payload says nothing about the channel: the
				// Sender told the owners what the platform refused.
				return r, err
			}
			// The channel refused (gone, or tend removed): DMs instead.
		}
		b.tellOwners(ctx, g, "facilitators-channel/"+string(ch), Message{
			Title: "A facilitators' channel is not usable",
			Text: fmt.Sprintf("Group %s names channel %s for its facilitators, but that channel is not private or tend cannot post there. "+
				"tend tells the facilitators by DM instead until it is fixed: make the channel private and invite tend, or change it with /tend group setup facilitators_channel: in the group's channel.", g.Name, ch),
		})
	}
	var users []Principal
	for _, p := range g.Facilitators {
		if !p.IsRole() && p.Kind() == platform {
			users = append(users, p)
		}
	}
	var errs []error
	for _, p := range users {
		dm := DM(key+"/"+p.ID(), platform, UserID(p.ID()), m)
		dm.Urgent = urgent
		res, err := b.sendPlainOnReject(ctx, dm)
		switch {
		case err == nil:
			r.DMs++
			if !res.Duplicate && !res.Recovered {
				r.Sent++
			}
		case errors.Is(err, ErrRejected):
			// The message, not the facilitator's DMs: the Sender told the
			// owners what the platform refused.
			errs = append(errs, err)
		case IsPermanent(err):
			r.Unreachable = append(r.Unreachable, p)
			b.tellOwners(ctx, g, "facilitator-dm/"+p.ID(), Message{
				Title: "A facilitator cannot be reached privately",
				Text: fmt.Sprintf("tend could not send a direct message to %s, a facilitator of group %s (their DMs may be closed to the bot). "+
					"They will miss private alerts and summaries: ask them to allow DMs from the server's members, or give the group a private facilitators' channel.", Mention(platform, UserID(p.ID())), g.Name),
			})
		default:
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return r, err
	}
	if r.DMs == 0 {
		// Nobody could be told: the owners stand in.
		why := "it has no facilitator tend can message (roles cannot be messaged: name facilitators by account, or give the group a private facilitators' channel)"
		if len(users) > 0 {
			why = "no facilitator could be reached by direct message"
		}
		out := m
		out.Title = strings.TrimSpace("For group " + g.Name + ": " + m.Title)
		out.Footer = "You get this because " + why + "."
		n, err := b.sendOwners(ctx, platform, key+"/owner", out, urgent)
		if err != nil {
			return r, err
		}
		r.Owners = n > 0
		if n == 0 {
			b.log.Error("nobody could be told privately: the group has no reachable facilitator and no owner on its platform", KeyGroup, g.Name, KeyKey, key)
		}
	}
	return r, nil
}

// TellOwners DMs the owners on g's platform about g, once per topic (the
// outbox key holds the group and topic); a failure is logged, since this
// is itself a report about a failure.
func (b *Bot) TellOwners(ctx context.Context, g Group, topic string, m Message) {
	b.tellOwners(ctx, g, topic, m)
}

func (b *Bot) tellOwners(ctx context.Context, g Group, topic string, m Message) {
	key := "owners/" + g.Address.Platform + "/" + fmt.Sprint(g.ID) + "/" + topic
	if _, err := b.sendOwners(ctx, g.Address.Platform, key, m, false); err != nil {
		b.log.Error("telling the owners failed", KeyGroup, g.Name, KeyErr, err)
	}
}

// sendOwners DMs m to each owner on platform with key + "/" + owner id and
// returns how many were sent.
func (b *Bot) sendOwners(ctx context.Context, platform, key string, m Message, urgent bool) (int, error) {
	n := 0
	var errs []error
	for _, o := range b.cfg.Owners {
		if o.IsRole() || o.Kind() != platform {
			continue
		}
		dm := DM(key+"/"+o.ID(), platform, UserID(o.ID()), m)
		dm.Urgent = urgent
		if _, err := b.cfg.Sender.Send(ctx, dm); err != nil {
			if !IsPermanent(err) {
				errs = append(errs, err)
			}
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
