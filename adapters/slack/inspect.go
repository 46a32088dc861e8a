package slack

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tend-bot/tend/bot"

	slackgo "github.com/slack-go/slack"
)

// membersPage is how many members conversations.members is asked for at
// once (Slack recommends no more than 200).
const membersPage = 200

// maxMemberLists bounds how many channels' member lists are kept at once:
// each holds up to MaxMembers ids.
const maxMemberLists = 64

// personTTL is how long who a person is (a bot or not, their name) is
// kept: it rarely changes, and looking it up costs a users.info call.
const personTTL = time.Hour

// person is what users.info told about someone.
type person struct {
	name string
	bot  bool // a bot, or an account that is deleted or not found
}

// inspectCaches keep ChannelInspector answers, each bounded.
type inspectCaches struct {
	kinds   *bot.Cache[string, channelKind] // channel → private, direct; for InspectTTL
	members *bot.Cache[string, []string]    // channel → member ids, for InspectTTL
	people  *bot.Cache[string, person]      // user → who they are, for personTTL
}

func newInspectCaches(cfg Config) inspectCaches {
	return inspectCaches{
		kinds:   bot.NewCache[string, channelKind](cfg.MaxChannels, cfg.InspectTTL, cfg.Clock),
		members: bot.NewCache[string, []string](maxMemberLists, cfg.InspectTTL, cfg.Clock),
		people:  bot.NewCache[string, person](cfg.MaxChannels, personTTL, cfg.Clock),
	}
}

// ChannelPrivate implements bot.ChannelInspector: a private channel, a DM
// or a group DM is private (conversations.info). An error wrapping
// bot.ErrUnreachable means the bot cannot see the channel (Slack hides
// private channels from apps that are not in them).
func (a *Adapter) ChannelPrivate(ctx context.Context, addr bot.Address) (bool, error) {
	k, err := a.channelKind(ctx, addr)
	return k.private, err
}

var _ bot.ChannelHomer = (*Adapter)(nil)

// BotInChannel implements bot.BotPresence: whether the bot is a member of
// the channel (conversations.info's is_member). Slack sends
// member_joined_channel only for channels the app is in. An error
// wrapping bot.ErrUnreachable means the bot cannot see the channel (a
// private channel it is not in).
func (a *Adapter) BotInChannel(ctx context.Context, addr bot.Address) (bool, error) {
	k, err := a.channelKind(ctx, addr)
	return k.member, err
}

// ChannelHome implements bot.ChannelHomer: a workspace is one community,
// so only whether the conversation is a DM or a group DM tells.
func (a *Adapter) ChannelHome(ctx context.Context, addr bot.Address) (string, bool, error) {
	k, err := a.channelKind(ctx, addr)
	return "", k.direct, err
}

// channelKind is what conversations.info says of a conversation, cached.
type channelKind struct {
	private bool // a private channel, a DM or a group DM
	direct  bool // a DM or a group DM
	member  bool // the bot is in it
}

func (a *Adapter) channelKind(ctx context.Context, addr bot.Address) (channelKind, error) {
	ch := string(addr.Channel)
	if ch == "" {
		return channelKind{}, bot.Rejected("slack: inspect a channel: no channel given")
	}
	if k, ok := a.inspect.kinds.Get(ch); ok {
		return k, nil
	}
	var c *slackgo.Channel
	err := a.call(ctx, "", "conversations.info", nil, func() error {
		var err error
		c, err = a.api.GetConversationInfoContext(ctx, &slackgo.GetConversationInfoInput{ChannelID: ch})
		return err
	})
	if err != nil {
		return channelKind{}, a.refusal(ch, "", "conversations.info", err)
	}
	k := channelKind{private: c.IsPrivate || c.IsIM || c.IsMpIM, direct: c.IsIM || c.IsMpIM, member: c.IsMember || c.IsIM}
	a.inspect.kinds.Put(ch, k)
	return k, nil
}

// InChannel implements bot.ChannelInspector: whether u is a member of the
// conversation (conversations.members).
func (a *Adapter) InChannel(ctx context.Context, addr bot.Address, u bot.UserID) (bool, error) {
	ids, err := a.memberIDs(ctx, string(addr.Channel))
	if err != nil {
		return false, err
	}
	return slices.Contains(ids, string(u)), nil
}

// ChannelMembers implements bot.ChannelInspector: the conversation's
// members (conversations.members) without the bot itself and without other
// bots and deleted accounts, which users.info tells; each person's answer
// is kept for an hour, so a channel's first answer costs one users.info
// call per member (Slack allows about 100 a minute; a burst of 20 goes at
// once). At most Config.MaxMembers members are read.
func (a *Adapter) ChannelMembers(ctx context.Context, addr bot.Address) ([]bot.User, error) {
	ids, err := a.memberIDs(ctx, string(addr.Channel))
	if err != nil {
		return nil, err
	}
	self := a.self.Load()
	var out []bot.User
	for _, id := range ids {
		if self != nil && id == self.UserID {
			continue
		}
		p, err := a.person(ctx, id)
		if err != nil {
			return nil, err
		}
		if !p.bot {
			out = append(out, bot.User{Platform: bot.PlatformSlack, ID: bot.UserID(id), Name: p.name})
		}
	}
	return out, nil
}

// memberIDs lists a conversation's members, page by page, up to
// MaxMembers.
func (a *Adapter) memberIDs(ctx context.Context, ch string) ([]string, error) {
	if ch == "" {
		return nil, bot.Rejected("slack: inspect a channel: no channel given")
	}
	if ids, ok := a.inspect.members.Get(ch); ok {
		return ids, nil
	}
	var all []string
	cursor := ""
	for len(all) < a.cfg.MaxMembers {
		var page []string
		var next string
		err := a.call(ctx, "", "conversations.members", nil, func() error {
			var err error
			page, next, err = a.api.GetUsersInConversationContext(ctx, &slackgo.GetUsersInConversationParameters{
				ChannelID: ch, Cursor: cursor, Limit: min(membersPage, a.cfg.MaxMembers-len(all)),
			})
			return err
		})
		if err != nil {
			return nil, a.refusal(ch, "", "conversations.members", err)
		}
		all = append(all, page...)
		if next == "" || len(page) == 0 {
			break
		}
		cursor = next
		if len(all) >= a.cfg.MaxMembers {
			a.log.Warn("a channel has more members than slack's max_members; its member list is partial", bot.KeyChannel, ch, "max", a.cfg.MaxMembers)
		}
	}
	all = all[:min(len(all), a.cfg.MaxMembers)]
	a.inspect.members.Put(ch, all)
	return all, nil
}

// person tells who id is, with users.info.
func (a *Adapter) person(ctx context.Context, id string) (person, error) {
	if p, ok := a.inspect.people.Get(id); ok {
		return p, nil
	}
	var u *slackgo.User
	err := a.call(ctx, "", "users.info", nil, func() error {
		var err error
		u, err = a.api.GetUserInfoContext(ctx, id)
		return err
	})
	var p person
	switch {
	case err == nil:
		p = person{name: u.Profile.DisplayName, bot: u.IsBot || u.Deleted}
		if p.name == "" {
			p.name = u.Name
		}
	case errCode(err) == "user_not_found":
		p = person{bot: true} // no one to reach
	default:
		return person{}, fmt.Errorf("slack: users.info %s: %w", id, err)
	}
	a.inspect.people.Put(id, p)
	return p, nil
}

// forgetMembers drops ch's cached member list and what tend knows about
// the channel (whether the bot is in it), after someone joined or left it.
func (a *Adapter) forgetMembers(ch string) {
	if ch != "" {
		a.inspect.members.Delete(ch)
		a.inspect.kinds.Delete(ch)
	}
}
