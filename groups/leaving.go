package groups

import (
	"context"
	"errors"
	"fmt"

	"github.com/tend-bot/tend/bot"
)

// PlatformActor is the principal that changes made because of what a
// platform reported (a member leaving a channel or a server) are audited
// as.
const PlatformActor bot.Principal = "system:platform"

// memberLeft turns a platform's "member left" into the core's MemberGone
// event for every group the person was in: the group bound to the channel
// they left (Slack, console), or every group in the server they left
// (Discord). Their roster entry, if any, is taken off the roster, which
// gives up a waitlist place or lets the first on the waitlist in; then
// every feature hears of it, durably.
func (f *Feature) memberLeft(ctx context.Context, ev bot.Event) ([]bot.Outbound, error) {
	e, ok := ev.(*bot.MemberLeft)
	if !ok || e.User.ID == "" {
		return nil, nil
	}
	var (
		gs  []bot.Group
		why string
	)
	switch {
	case e.Channel != "" && !e.DM:
		g, err := f.st.GroupByAddress(ctx, e.Address())
		if errors.Is(err, bot.ErrNotFound) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		gs, why = []bot.Group{g}, "left the channel"
	case e.Guild != "":
		all, err := f.st.GroupsInGuild(ctx, e.Platform, e.Guild)
		if err != nil {
			return nil, err
		}
		gs, why = all, "left the server"
	}
	var errs []error
	for _, g := range gs {
		if err := f.memberGone(ctx, g, e.User.ID, PlatformActor, why); err != nil {
			errs = append(errs, fmt.Errorf("group %s: %w", g.Name, err))
		}
	}
	return nil, errors.Join(errs...)
}

// memberGone takes user off g's roster when they are on it, tells the
// facilitators about anyone the freed place let in, and publishes
// MemberGone for the features.
func (f *Feature) memberGone(ctx context.Context, g bot.Group, user bot.UserID, by bot.Principal, why string) error {
	m, err := f.st.MemberByUser(ctx, g.ID, user)
	switch {
	case err == nil && m.Status != bot.MemberRemoved:
		promoted, err := f.st.RemoveMember(ctx, by, g.ID, m.ID)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		if err := f.tellPromoted(ctx, g, promoted, m); err != nil {
			return err
		}
	case err != nil && !errors.Is(err, bot.ErrNotFound):
		return err
	}
	return f.b.PublishMemberGone(ctx, &bot.MemberGone{Group: g, User: user, Why: why})
}

// tellPromoted tells g's facilitators privately who moved from the
// waitlist onto the roster when gone left.
func (f *Feature) tellPromoted(ctx context.Context, g bot.Group, promoted []bot.Member, gone bot.Member) error {
	if len(promoted) == 0 {
		return nil
	}
	platform := g.Address.Platform
	msg := bot.Message{
		Title: "A place freed up in " + g.Name,
		Text: fmt.Sprintf("%s is no longer in the group, so %s moved from the waitlist onto the roster. You may want to welcome them.",
			gone.Label(platform, g.Privacy), labels(platform, g.Privacy, promoted)),
	}
	_, err := f.b.TellFacilitators(ctx, g, fmt.Sprintf("groups.promoted/%d/%d", g.ID, gone.ID), msg)
	return err
}

// CheckFacilitatorsChannels checks, at start, that every group's
// facilitators' channel is still private. For one that is not, the owners
// are told once and tend reaches that group's facilitators by DM (which
// TellFacilitators does by itself at each message). It returns how many
// channels failed the check; platform errors are logged and skipped.
func (f *Feature) CheckFacilitatorsChannels(ctx context.Context) int {
	gs, err := f.st.ListGroups(ctx)
	if err != nil {
		f.log.Error("checking the facilitators' channels failed", bot.KeyErr, err)
		return 0
	}
	bad := 0
	for _, g := range gs {
		if g.FacilitatorsChannel == "" {
			continue
		}
		err := f.b.CheckFacilitatorsChannel(ctx, g, g.FacilitatorsChannel)
		msg, refused := bot.UserMessage(err)
		switch {
		case err == nil:
		case !refused:
			f.log.Warn("could not check a facilitators' channel", bot.KeyGroup, g.Name, bot.KeyErr, err)
		default:
			bad++
			f.log.Warn("a facilitators' channel is not usable; its facilitators are reached by DM", bot.KeyGroup, g.Name, bot.KeyChannel, string(g.FacilitatorsChannel))
			f.b.TellOwners(ctx, g, "facilitators-channel/"+string(g.FacilitatorsChannel), bot.Message{
				Title: "A facilitators' channel is not usable",
				Text:  fmt.Sprintf("Group %s: %s Until then tend tells its facilitators by DM.", g.Name, msg),
			})
		}
	}
	return bad
}
