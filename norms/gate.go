package norms

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/tend-bot/tend/bot"
)

// checkGate reports, as a *bot.UserError that says why and what to do,
// what keeps the access s gates in g from working: on Discord a role that
// does not exist, that everyone has, that an integration manages, that sits
// above tend's own role or that tend lacks Manage Roles to give, or a
// group channel everyone in the server can see (the role would then gate
// nothing); on Slack a group channel anyone can join, a lobby newcomers
// cannot find (private) or one tend is not in (Slack tells an app about
// people joining only the channels it is in, so nobody would be
// welcomed). It is nil when the gate can work, or when the platform
// cannot tell (the console). A platform failure is returned as it is.
func (f *Feature) checkGate(ctx context.Context, g bot.Group, s bot.NormsSettings) error {
	switch {
	case s.Role != "" && g.Address.Platform == bot.PlatformDiscord:
		info, err := f.b.InspectRole(ctx, g.Address.Platform, g.Guild, s.Role)
		switch {
		case errors.Is(err, errors.ErrUnsupported):
		case errors.Is(err, bot.ErrUnreachable):
			return &bot.UserError{Msg: fmt.Sprintf("tend cannot see the server of group %s, so it cannot give the role %s there. Make sure tend is still in the server, then try again.", g.Name, roleRef(s.Role)), Err: err}
		case err != nil:
			return err
		case !info.Exists:
			return bot.Errorf("The server has no role %s. Mention the role (type @ and pick it) or copy its id (Server Settings → Roles → ⋯ → Copy Role ID).", s.Role)
		case info.Everyone:
			return bot.Errorf("That is the server's @everyone role: everybody has it, so it gates nothing. Make a role for the group (Server Settings → Roles), let only it see %s, and name it here.", channelRef(g.Address))
		case info.Managed:
			return bot.Errorf("The role %s belongs to a bot or an integration, and Discord lets nobody give it. Make a role for the group (Server Settings → Roles) and name it here.", roleRef(s.Role))
		case !info.CanManage:
			return bot.Errorf("tend lacks the Manage Roles permission, so it cannot give %s. In Server Settings → Roles, give tend's role Manage Roles, then try again.", roleRef(s.Role))
		case !info.BelowBot:
			return bot.Errorf("The role %s sits above tend's own role, and Discord lets a bot give only roles below its own. In Server Settings → Roles, drag tend's role above %s, then try again.", roleRef(s.Role), roleRef(s.Role))
		}
		return f.checkHidden(ctx, g, fmt.Sprintf(
			"Everyone in the server can see %s, so the role would gate nothing. In the channel's settings → Permissions, deny View Channel to @everyone and allow it to %s, then try again.",
			channelRef(g.Address), roleRef(s.Role)))
	case s.Lobby != "" && g.Address.Platform == bot.PlatformSlack:
		if err := f.checkHidden(ctx, g, fmt.Sprintf(
			"%s is a public channel: anyone can join it without agreeing, so the lobby would gate nothing. Make it private (channel details → Settings → Change to a private channel), then try again.",
			channelRef(g.Address))); err != nil {
			return err
		}
		return f.checkLobby(ctx, g, bot.Address{Platform: g.Address.Platform, Channel: s.Lobby})
	}
	return nil
}

// checkLobby refuses a lobby where newcomers would never be welcomed: one
// they cannot find and join by themselves (private), or one tend is not in
// (Slack sends member_joined_channel only for channels the app is in).
func (f *Feature) checkLobby(ctx context.Context, g bot.Group, lobby bot.Address) error {
	unreachable := func(err error) error {
		return &bot.UserError{Msg: fmt.Sprintf("tend cannot see %s, the lobby of group %s: it is a private channel tend is not in, or it was deleted. "+
			"Name a public channel where newcomers arrive, invite tend to it (type /invite @tend in the channel), then try again.", channelRef(lobby), g.Name), Err: err}
	}
	private, err := f.b.ChannelPrivate(ctx, lobby)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		return nil
	case errors.Is(err, bot.ErrUnreachable):
		return unreachable(err)
	case err != nil:
		return err
	case private:
		return bot.Errorf("%s is a private channel: newcomers cannot find or join it by themselves, so nobody would arrive there. "+
			"Name a public channel as the lobby, one anyone in the workspace can join, then try again.", channelRef(lobby))
	}
	in, err := f.b.BotInChannel(ctx, lobby)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		return nil
	case errors.Is(err, bot.ErrUnreachable):
		return unreachable(err)
	case err != nil:
		return err
	case !in:
		return bot.Errorf("tend is not in %s, and Slack tells an app about people joining only the channels it is in, so newcomers there would never be welcomed. "+
			"Invite tend to it (type /invite @tend in %s), then try again.", channelRef(lobby), channelRef(lobby))
	}
	return nil
}

// checkHidden refuses with public when g's channel is not private.
func (f *Feature) checkHidden(ctx context.Context, g bot.Group, public string) error {
	private, err := f.b.ChannelPrivate(ctx, g.Address)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		return nil
	case errors.Is(err, bot.ErrUnreachable):
		return &bot.UserError{Msg: fmt.Sprintf("tend cannot see %s, the channel of group %s: invite tend to it (or let its role view it), then try again.", channelRef(g.Address), g.Name), Err: err}
	case err != nil:
		return err
	case !private:
		return bot.Errorf("%s", public)
	}
	return nil
}

// CheckGates checks, at start, that the access each gated group gives on
// agreeing can work (checkGate): the config file may name a role that
// moved above tend's, or a channel made public, since it was set. The
// facilitators of a group whose gate cannot work are told privately, once
// per start; platform failures are logged. It returns how many gates
// cannot work.
func (f *Feature) CheckGates(ctx context.Context) (int, error) {
	gs, err := f.st.NormsGatedGroups(ctx)
	if err != nil {
		return 0, fmt.Errorf("norms: check gates: %w", err)
	}
	start := strconv.FormatInt(f.clock.Now().Unix(), 10)
	bad := 0
	for _, g := range gs {
		s, err := f.settings(ctx, g)
		if err != nil {
			return bad, fmt.Errorf("norms: check gates: %w", err)
		}
		err = f.checkGate(ctx, g, s)
		msg, refused := bot.UserMessage(err)
		switch {
		case err == nil:
			continue
		case !refused:
			f.log.Warn("could not check what agreeing gives in a group", bot.KeyGroup, g.Name, bot.KeyErr, err)
			continue
		}
		bad++
		f.log.Warn("a group's access on agreeing cannot work; its facilitators were told", bot.KeyGroup, g.Name)
		m := bot.Message{
			Title: "Newcomers to " + g.Name + " may not get access",
			Text: fmt.Sprintf("Group %s gives access to members who agree to its norms, but it cannot work as set up: %s "+
				"Until it is fixed, newcomers who agree are told that a facilitator will sort out their access.", g.Name, msg),
		}
		if _, err := f.b.TellFacilitators(ctx, g, key("norms.gate", g.ID, start), m); err != nil {
			return bad, fmt.Errorf("norms: check gates: %w", err)
		}
	}
	return bad, nil
}
