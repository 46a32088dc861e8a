package norms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tend-bot/tend/bot"
)

// inbound reacts to people arriving (bot.MemberJoined) and to Discord's
// rules screening clearing (bot.MemberUpdated). It only records and
// enqueues: the welcome and the access are durable jobs.
func (f *Feature) inbound(ctx context.Context, ev bot.Event) ([]bot.Outbound, error) {
	switch e := ev.(type) {
	case *bot.MemberJoined:
		return nil, f.joined(ctx, e)
	case *bot.MemberUpdated:
		return nil, f.updated(ctx, e)
	}
	return nil, nil
}

// arrivalGroups returns the groups someone arrives at with ev: on Discord,
// joining the server is arriving at every group in it; elsewhere, joining a
// group's lobby channel, or the group's own channel.
func (f *Feature) arrivalGroups(ctx context.Context, m *bot.EventMeta) ([]bot.Group, error) {
	if m.DM {
		return nil, nil
	}
	if m.Channel == "" {
		if m.Guild == "" {
			return nil, nil
		}
		return f.st.GroupsInGuild(ctx, m.Platform, m.Guild)
	}
	gs, err := f.st.NormsLobbyGroups(ctx, m.Address())
	if err != nil {
		return nil, err
	}
	g, err := f.st.GroupByAddress(ctx, m.Address())
	switch {
	case err == nil:
		gs = append(gs, g)
	case !errors.Is(err, bot.ErrNotFound):
		return nil, err
	}
	return gs, nil
}

// joined welcomes a newcomer to each group that requires agreement: their
// arrival is recorded and the welcome enqueued in one transaction. A join
// reported again while they wait changes nothing but the screening flag;
// a join after leaving, or after being admitted (so they must have left
// unseen), starts a new round with a welcome of its own.
func (f *Feature) joined(ctx context.Context, e *bot.MemberJoined) error {
	gs, err := f.arrivalGroups(ctx, &e.EventMeta)
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range gs {
		s, err := f.settings(ctx, g)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !s.Require || f.isFacilitator(g, e.User.ID) {
			continue
		}
		if e.Channel != "" && e.Channel == g.Address.Channel && s.Lobby != "" {
			// Invited from the lobby (or let in by hand): nothing to
			// welcome them to.
			continue
		}
		now := f.clock.Now()
		_, err = f.st.UpdateApplicant(ctx, g.ID, e.User.ID, func(a *bot.Applicant, exists bool) ([]bot.Job, error) {
			if exists && a.State == bot.ApplicantWaiting {
				a.Pending = e.Pending
				return nil, nil
			}
			a.Round++
			a.State, a.Pending, a.DMClosed, a.Waitlisted = bot.ApplicantWaiting, e.Pending, false, false
			a.Guild, a.JoinedAt, a.AdmittedAt = e.Guild, now, time.Time{}
			return []bot.Job{{Kind: KindWelcome, Key: key(KindWelcome, g.ID, string(e.User.ID), strconv.Itoa(a.Round)), GroupID: g.ID, DueAt: now,
				Payload: jobPayload{User: e.User.ID, Round: a.Round}.bytes()}}, nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("group %s: %w", g.Name, err))
			continue
		}
		f.log.Debug("newcomer recorded", bot.KeyGroup, g.Name, bot.KeyUser, string(e.User.ID), "pending", e.Pending)
	}
	f.r.Notify()
	return errors.Join(errs...)
}

// updated follows Discord's rules screening: when it clears for a newcomer
// who agreed meanwhile, their access is given.
func (f *Feature) updated(ctx context.Context, e *bot.MemberUpdated) error {
	if e.Guild == "" || e.Channel != "" {
		return nil
	}
	gs, err := f.st.GroupsInGuild(ctx, e.Platform, e.Guild)
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range gs {
		_, err := f.st.UpdateApplicant(ctx, g.ID, e.User.ID, func(a *bot.Applicant, exists bool) ([]bot.Job, error) {
			if !exists {
				return nil, nil // State stays empty: nothing is written
			}
			was := a.Pending
			a.Pending = e.Pending
			if !was || e.Pending || a.State != bot.ApplicantWaiting {
				return nil, nil
			}
			// Screening cleared: give access if they agreed meanwhile (the
			// job checks, so that an agreement racing this event is seen).
			return []bot.Job{admitJob(g.ID, e.User.ID, a.Round, "screened")}, nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("group %s: %w", g.Name, err))
		}
	}
	f.r.Notify()
	return errors.Join(errs...)
}
