package norms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tend-bot/tend/bot"
)

// How a newcomer arrived, for the words of their welcome.
const (
	viaServer  = "server"  // joined the Discord server the groups are in
	viaChannel = "channel" // joined a lobby channel, or the group's own
	viaInvited = "invited" // let into a gated group's private channel by hand
	viaRoster  = "roster"  // a facilitator put them on the roster
)

// welcomeGroup is one group of an arrival's welcome, with the arrival
// round it welcomes.
type welcomeGroup struct {
	ID    int64 `json:"id"`
	Round int   `json:"round"`
}

// inbound reacts to people arriving (bot.MemberJoined) and to Discord's
// rules screening clearing (bot.MemberUpdated). It only records and
// enqueues: the welcome and the access are durable jobs.
func (f *Feature) inbound(ctx context.Context, ev bot.Event) ([]bot.Outbound, error) {
	switch e := ev.(type) {
	case *bot.MemberJoined:
		return nil, f.joined(ctx, e)
	case *bot.MemberUpdated:
		return nil, f.updated(ctx, e)
	case *bot.MemberLeft:
		return nil, f.leftLobby(ctx, e)
	}
	return nil, nil
}

// leftLobby follows a newcomer out of the lobby of the groups that name
// the channel they left (Slack, the console). Leaving is giving up
// (PRODUCT.md: a member who leaves gives up a waitlist place): one still
// waiting to be let in gives up their newcomer record, so that coming back
// is a new arrival with a welcome of its own, and a waitlist place they
// held. One with an active place on the roster (a facilitator put them
// there), one in the group's own channel already, and one who agreed to
// the current version and waits only for the invitation tend is sending
// are not leaving the group, and keep what they have.
func (f *Feature) leftLobby(ctx context.Context, e *bot.MemberLeft) error {
	if e.DM || e.Channel == "" || e.User.ID == "" {
		return nil
	}
	gs, err := f.st.NormsLobbyGroups(ctx, e.Address())
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range gs {
		if err := f.leftLobbyOf(ctx, g, e.User.ID); err != nil {
			errs = append(errs, fmt.Errorf("group %s: %w", g.Name, err))
		}
	}
	return errors.Join(errs...)
}

// leftLobbyOf is leftLobby for one group.
func (f *Feature) leftLobbyOf(ctx context.Context, g bot.Group, user bot.UserID) error {
	a, rec, err := f.applicant(ctx, g.ID, user)
	if err != nil || !rec || a.State != bot.ApplicantWaiting {
		return err
	}
	if !a.Waitlisted {
		v, have, err := f.current(ctx, g)
		if err != nil {
			return err
		}
		ack, agreed, err := f.latestAck(ctx, g.ID, user)
		if err != nil {
			return err
		}
		if have && agreed && ack.Version >= v.Version {
			return nil // agreed: tend is letting them in
		}
	}
	if in, known, err := f.b.InChannel(ctx, g, user); err != nil {
		return fmt.Errorf("is the newcomer in the group's channel: %w", err)
	} else if known && in {
		return nil // let in by hand: still welcome to agree
	}
	closed, err := f.st.LeaveNormsLobby(ctx, Actor, g.ID, user, a.Round)
	if err != nil {
		return err
	}
	if closed {
		f.log.Debug("newcomer left the lobby", bot.KeyGroup, g.Name, bot.KeyUser, string(user), "waitlisted", a.Waitlisted)
	}
	return nil
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

// joined records a person's arrival at the groups that require agreement
// where they arrived — every such group of a Discord server, those whose
// lobby (or own channel) they joined — and welcomes them once for all of
// them. Arriving takes no place on a roster: agreeing to a group's norms
// does. Someone who enters a gated group's private channel (invited by
// tend, or by hand) is handled by enteredChannel.
func (f *Feature) joined(ctx context.Context, e *bot.MemberJoined) error {
	gs, err := f.arrivalGroups(ctx, &e.EventMeta)
	if err != nil {
		return err
	}
	var (
		arrive []bot.Group
		errs   []error
	)
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
			if err := f.enteredChannel(ctx, g, e); err != nil {
				errs = append(errs, fmt.Errorf("group %s: %w", g.Name, err))
			}
			continue
		}
		arrive = append(arrive, g)
	}
	via := viaChannel
	if e.Channel == "" {
		via = viaServer
	}
	if err := f.arrive(ctx, e.User.ID, arrive, e.Guild, &e.Pending, via, false); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// enteredChannel follows a person into a gated group's private channel
// (Slack, the console): one tend invited, or one who agreed and was let in
// by hand after tend could not invite them, now holds the access; anyone
// else was let in by hand and is welcomed with the norms like a newcomer.
func (f *Feature) enteredChannel(ctx context.Context, g bot.Group, e *bot.MemberJoined) error {
	a, rec, err := f.applicant(ctx, g.ID, e.User.ID)
	if err != nil {
		return err
	}
	switch {
	case rec && a.State == bot.ApplicantAdmitted:
		return nil
	case rec && a.State == bot.ApplicantWaiting:
		ack, agreed, err := f.latestAck(ctx, g.ID, e.User.ID)
		if err != nil {
			return err
		}
		v, _, err := f.current(ctx, g)
		if err != nil || !agreed || ack.Version < v.Version {
			return err // in by hand before agreeing: their welcome stands
		}
		now := f.clock.Now()
		_, err = f.st.UpdateApplicant(ctx, g.ID, e.User.ID, func(r *bot.Applicant, exists bool) ([]bot.Job, error) {
			if exists && r.Round == a.Round && r.State == bot.ApplicantWaiting {
				r.State, r.AdmittedAt = bot.ApplicantAdmitted, now
			}
			return nil, nil
		})
		return err
	}
	return f.arrive(ctx, e.User.ID, []bot.Group{g}, e.Guild, nil, viaInvited, false)
}

// arrive records user's arrival at gs, each group's record in the same
// transaction as the one welcome it leads to. An arrival reported again
// while they wait changes nothing but the screening flag (pending; nil
// when the event does not say); an arrival after leaving, or after being
// admitted (so they must have left unseen), starts a new round with a
// welcome of its own. waitlisted notes that they hold a place on the
// waitlist already (a facilitator added them to a full group), so that a
// place freeing up is offered to them.
func (f *Feature) arrive(ctx context.Context, user bot.UserID, gs []bot.Group, guild string, pending *bool, via string, waitlisted bool) error {
	// Someone who asked tend to forget them is not welcomed (no record,
	// no DM) until they opt back in: the core's tracking filter.
	gs, err := f.tracked(ctx, user, gs)
	if err != nil || len(gs) == 0 {
		return err
	}
	ids := make([]int64, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	now := f.clock.Now()
	var welcome []welcomeGroup
	_, err = f.st.UpdateApplicants(ctx, user, ids, func(a *bot.Applicant, exists bool) error {
		if exists && a.State == bot.ApplicantWaiting {
			if pending != nil {
				a.Pending = *pending
			}
			return nil
		}
		a.Round++
		a.State, a.DMClosed, a.Waitlisted = bot.ApplicantWaiting, false, waitlisted
		a.Pending = pending != nil && *pending
		if guild != "" {
			a.Guild = guild
		}
		a.JoinedAt, a.AdmittedAt = now, time.Time{}
		welcome = append(welcome, welcomeGroup{ID: a.GroupID, Round: a.Round})
		return nil
	}, func([]bot.Applicant) []bot.Job {
		if len(welcome) == 0 {
			return nil
		}
		first := welcome[0]
		return []bot.Job{{Kind: KindWelcome, Key: key(KindWelcome, first.ID, string(user), strconv.Itoa(first.Round)), GroupID: first.ID, DueAt: now,
			Payload: jobPayload{User: user, Round: first.Round, Groups: welcome, Via: via}.bytes()}}
	})
	if err != nil {
		return fmt.Errorf("record a newcomer: %w", err)
	}
	if len(welcome) > 0 {
		f.log.Debug("newcomer recorded", "groups", len(welcome), "via", via)
		f.r.Notify()
	}
	return nil
}

// What norms does for a person a facilitator put on a gated group's
// roster.
type addedAction int

const (
	// addedNothing: a facilitator, someone let in already, or someone who
	// agreed to the current version without being welcomed (there before
	// agreement was required).
	addedNothing addedAction = iota
	// addedWaiting: welcomed already, and not agreed or admitted yet.
	addedWaiting
	// addedWelcome: welcomed with the norms, as an arrival.
	addedWelcome
	// addedAsk: someone who agreed to an older version without being
	// welcomed (there before agreement was required) holds the access
	// already: they keep it and are asked privately to agree to the
	// current version, as every member was when it changed.
	addedAsk
)

// added is what norms does for a person added to g's roster, with what it
// read to decide.
type added struct {
	do     addedAction
	s      bot.NormsSettings
	v      bot.NormsVersion
	ack    bot.NormsAck // their latest agreement; zero when none
	agreed bool
}

// tracked returns those of gs in which tend may track user (bot.Tracked):
// not the groups where they asked tend to forget them.
func (f *Feature) tracked(ctx context.Context, user bot.UserID, gs []bot.Group) ([]bot.Group, error) {
	out := make([]bot.Group, 0, len(gs))
	for _, g := range gs {
		ok, err := f.b.Tracked(ctx, g)
		if err != nil {
			return nil, fmt.Errorf("who asked to be forgotten: %w", err)
		}
		if ok(user) {
			out = append(out, g)
		}
	}
	return out, nil
}

// forgotten reports whether user asked tend to forget them in g.
func (f *Feature) forgotten(ctx context.Context, g bot.Group, user bot.UserID) (bool, error) {
	ts, err := f.tracked(ctx, user, []bot.Group{g})
	return len(ts) == 0 && err == nil, err
}

// onAdded welcomes a person a facilitator put on the roster of a group
// that requires agreement, as an arrival: the norms with I agree, privately,
// and the access agreeing gives (the role, the invitation) once they agree.
// A member who had access before (they agreed, without a welcome, to an
// older version) keeps it and is only asked to agree to the current one.
//
// Someone a larger capacity let in from the waitlist is offered the place,
// as when a place frees up.
func (f *Feature) onAdded(ctx context.Context, ev *bot.MemberAdded) ([]bot.Outbound, error) {
	if ev.FromWaitlist {
		return nil, f.offerPlaces(ctx, ev.Group)
	}
	// Someone who asked tend to forget them gets nothing (no welcome, no
	// request to agree) until they opt back in.
	if gone, err := f.forgotten(ctx, ev.Group, ev.User); err != nil || gone {
		return nil, err
	}
	ad, err := f.whenAdded(ctx, ev.Group, ev.User)
	if err != nil {
		return nil, err
	}
	switch ad.do {
	case addedWelcome:
		m, err := f.st.MemberByUser(ctx, ev.Group.ID, ev.User)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return nil, err
		}
		waitlisted := err == nil && m.Status == bot.MemberWaitlisted
		return nil, f.arrive(ctx, ev.User, []bot.Group{ev.Group}, ev.Group.Guild, nil, viaRoster, waitlisted)
	case addedAsk:
		return nil, f.askOne(ctx, ev.Group, ad.v, ad.ack, true)
	}
	return nil, nil
}

// addedNote tells the facilitator who added someone to the roster what
// norms does about it, in the words their welcome or request uses.
func (f *Feature) addedNote(ctx context.Context, ev *bot.MemberAdded) (string, error) {
	g := ev.Group
	if ev.FromWaitlist {
		a, rec, err := f.applicant(ctx, g.ID, ev.User)
		if err != nil || !rec || a.State != bot.ApplicantWaiting || !a.Waitlisted {
			return "", err
		}
		return "tend tells the newcomers among them privately that the place is theirs, and gives access at once to those who agreed to the norms.", nil
	}
	if gone, err := f.forgotten(ctx, g, ev.User); err != nil {
		return "", err
	} else if gone {
		return forgottenNote(g, f.requires(ctx, g)), nil
	}
	ad, err := f.whenAdded(ctx, g, ev.User)
	if err != nil {
		return "", err
	}
	switch ad.do {
	case addedWaiting:
		return "They were sent the group's norms privately already, and take part (check-ins, attendance) once they agree.", nil
	case addedAsk:
		return fmt.Sprintf("They agreed to version %d of the norms before and keep their access; tend asks them privately to agree to version %d, as it asked every member.",
			ad.ack.Version, ad.v.Version), nil
	case addedNothing:
		return "", nil
	}
	access := ""
	switch {
	case ad.s.Role != "" && g.Address.Platform == bot.PlatformDiscord:
		access = "the role " + roleRef(ad.s.Role)
	case ad.s.Lobby != "":
		access = "an invitation to " + channelRef(g.Address)
	}
	if ad.agreed && ad.ack.Version == ad.v.Version {
		switch {
		case ev.Waitlisted && access != "":
			return fmt.Sprintf("They agreed to the current norms before: tend welcomes them back privately, tells them they are on the waitlist, and gives them %s again when a place frees up.", access), nil
		case ev.Waitlisted:
			return "They agreed to the current norms before: tend welcomes them back privately and tells them they are on the waitlist; they take part (check-ins, attendance) again when a place frees up.", nil
		case access != "":
			return fmt.Sprintf("They agreed to the current norms before: tend welcomes them back privately and gives them %s again, and they take part (check-ins, attendance) again.", access), nil
		}
		return "They agreed to the current norms before: tend welcomes them back privately, and they take part (check-ins, attendance) again.", nil
	}
	if ev.Waitlisted {
		return "The group requires agreement to its norms: tend sends them the norms privately, with an I agree button, and tells them they are on the waitlist; they take part (check-ins, attendance) once they have agreed and a place frees up, when tend offers it to them.", nil
	}
	then := ""
	if access != "" {
		then = ", and get " + access + " then"
	}
	return fmt.Sprintf("The group requires agreement to its norms: tend sends them the norms privately, with an I agree button; they take part (check-ins, attendance) once they agree%s.", then), nil
}

// requires reports whether g requires agreement to its norms (false when
// its settings cannot be read: the note that uses it only words a hint).
func (f *Feature) requires(ctx context.Context, g bot.Group) bool {
	s, err := f.settings(ctx, g)
	return err == nil && s.Require
}

// forgottenNote tells the facilitator who added someone who asked tend to
// forget them why tend does nothing for them, and how they can opt back
// in.
func forgottenNote(g bot.Group, requires bool) string {
	note := "This person asked tend to forget them, so tend does not message them on its own, count their attendance or ask them to check in"
	if requires {
		note += ", and it has not sent them the group's norms"
	}
	note += ". If they want to take part with tend again, they can run /tend optin themselves"
	if requires {
		note += "; then /tend norms show group:" + g.Name + " lets them read and agree to the norms"
	}
	return note + "."
}

// whenAdded decides what norms does for user, added to g's roster.
func (f *Feature) whenAdded(ctx context.Context, g bot.Group, user bot.UserID) (added, error) {
	var ad added
	s, err := f.settings(ctx, g)
	if err != nil || !s.Require || f.isFacilitator(g, user) {
		return ad, err
	}
	v, have, err := f.current(ctx, g)
	if err != nil || !have {
		return ad, err
	}
	ad.s, ad.v = s, v
	a, rec, err := f.applicant(ctx, g.ID, user)
	switch {
	case err != nil:
		return ad, err
	case rec && a.State == bot.ApplicantWaiting:
		ad.do = addedWaiting
		return ad, nil
	case rec && a.State == bot.ApplicantAdmitted:
		return ad, nil
	}
	if ad.ack, ad.agreed, err = f.latestAck(ctx, g.ID, user); err != nil {
		return ad, err
	}
	switch {
	case rec || !ad.agreed:
		// Never agreed, or left (their access was taken back): an arrival.
		ad.do = addedWelcome
	case ad.ack.Version < v.Version:
		ad.do = addedAsk
	}
	return ad, nil
}

// askOne asks one member privately to agree to version v, as runAsk asks
// every member (the same key: asked once whichever asks first); prev is
// their latest agreement, access whether they hold the access the group
// gates. A member whose DMs are closed is named to the facilitators
// privately.
func (f *Feature) askOne(ctx context.Context, g bot.Group, v bot.NormsVersion, prev bot.NormsAck, access bool) error {
	dm := bot.DM(askKey(g.ID, v.Version, prev.User), g.Address.Platform, prev.User, f.askMessage(ctx, g, v, prev, access))
	_, err := f.send.Send(ctx, dm)
	switch {
	case err == nil:
		return nil
	case !bot.IsPermanent(err):
		return fmt.Errorf("ask a member: %w", err)
	}
	msg := bot.Message{
		Title: "A member could not be asked about the new norms",
		Text: fmt.Sprintf("tend could not ask %s privately to agree to version %d of the norms of %s: their direct messages are closed to the bot. "+
			"You may want to let them know; /tend norms show shows the norms and the button to anyone in the group.",
			label(g, bot.Member{User: prev.User}), v.Version, g.Name),
	}
	_, err = f.b.TellFacilitators(ctx, g, key("norms.ask-closed", g.ID, strconv.Itoa(v.Version), string(prev.User)), msg)
	return err
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

// welcomeEntry is one group of a welcome as it stands when the welcome is
// sent.
type welcomeEntry struct {
	g     bot.Group
	a     bot.Applicant
	s     bot.NormsSettings
	v     bot.NormsVersion
	ack   bot.NormsAck
	again bool // agreed to the current version before: nothing to do
	next  string
	full  bool // a closed group with no place free just now
	// waitlisted: they hold a place on the waitlist already (a
	// facilitator added them to the full group).
	waitlisted bool
}

// runWelcome welcomes a newcomer privately, once for their arrival: each
// group they arrived at that still waits for them, its next session in
// their time, its norms with an I agree button of its own, and what its
// privacy is. Arriving takes no place: agreeing does. When the DM cannot
// be delivered each group's facilitators are told privately; nothing is
// said in a group's channel.
func (f *Feature) runWelcome(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	wgs := p.Groups
	if len(wgs) == 0 {
		wgs = []welcomeGroup{{ID: j.GroupID, Round: p.Round}} // a job from before arrivals were welcomed whole
	}
	var es []welcomeEntry
	platform := ""
	for _, wg := range wgs {
		e, ok, err := f.welcomeEntry(ctx, p.User, wg)
		if err != nil {
			return bot.JobResult{}, err
		}
		if ok {
			es = append(es, e)
			platform = e.g.Address.Platform
		}
	}
	if len(es) == 0 {
		return bot.JobResult{State: bot.JobSkipped, Note: "nothing to welcome them to: they left or were let in, or agreement is no longer required"}, nil
	}
	msg := f.welcomeMessage(ctx, es, p.Via)
	dmKey := "norms/welcome/" + strings.TrimPrefix(j.Key, KindWelcome+"/")
	note := "welcomed to " + bot.Plural(len(es), "group", "groups")
	if _, err := f.send.Send(ctx, bot.DM(dmKey, platform, p.User, msg)); err != nil {
		if !bot.IsPermanent(err) {
			return bot.JobResult{}, fmt.Errorf("welcome DM: %w", err)
		}
		for _, e := range es {
			if err := f.dmClosed(ctx, e.g, e.a, e.s); err != nil {
				return bot.JobResult{}, err
			}
		}
		note = "welcome not delivered: DMs closed; the facilitators were told privately"
	}
	again := 0
	for _, e := range es {
		if !e.again {
			continue
		}
		if _, err := f.r.Enqueue(ctx, admitJob(e.g.ID, p.User, e.a.Round, "rejoined")); err != nil {
			return bot.JobResult{}, err
		}
		again++
	}
	if again > 0 {
		note += "; agreed before, access given again"
	}
	return bot.JobResult{State: bot.JobDone, Note: note}, nil
}

// welcomeEntry reads one group of a welcome; ok is false when it has
// nothing to welcome the person to any more.
func (f *Feature) welcomeEntry(ctx context.Context, user bot.UserID, wg welcomeGroup) (welcomeEntry, bool, error) {
	var e welcomeEntry
	g, err := f.st.GroupByID(ctx, wg.ID)
	if errors.Is(err, bot.ErrNotFound) {
		return e, false, nil
	}
	if err != nil {
		return e, false, err
	}
	a, ok, err := f.applicant(ctx, g.ID, user)
	if err != nil || !ok || a.Round != wg.Round || a.State != bot.ApplicantWaiting {
		return e, false, err
	}
	s, err := f.settings(ctx, g)
	if err != nil {
		return e, false, err
	}
	v, have, err := f.current(ctx, g)
	if err != nil || !s.Require || !have {
		return e, false, err
	}
	ack, agreed, err := f.latestAck(ctx, g.ID, user)
	if err != nil {
		return e, false, err
	}
	next, err := f.nextSession(ctx, g)
	if err != nil {
		return e, false, err
	}
	e = welcomeEntry{g: g, a: a, s: s, v: v, ack: ack, again: agreed && ack.Version == v.Version, next: next}
	if g.Capacity > 0 {
		m, err := f.st.MemberByUser(ctx, g.ID, user)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return e, false, err
		}
		e.waitlisted = err == nil && m.Status == bot.MemberWaitlisted
		if g.Admission == bot.AdmissionClosed && (err != nil || m.Status == bot.MemberRemoved) {
			ms, err := f.st.ListMembers(ctx, g.ID)
			if err != nil {
				return e, false, err
			}
			active := 0
			for _, m := range ms {
				if m.Status == bot.MemberActive {
					active++
				}
			}
			e.full = active >= g.Capacity
		}
	}
	return e, true, nil
}

// access says what agreeing gives in e's group, for its welcome.
func (e welcomeEntry) access() string {
	switch {
	case e.waitlisted && e.again:
		return "The group is full just now, so you are on its waitlist: tend tells you privately when a place frees up, and gives you access then."
	case e.waitlisted:
		return "The group is full just now, so you are on its waitlist: tend tells you privately when a place frees up. Agree now, and you get access as soon as it does."
	case e.full:
		return "The group is full just now: agreeing puts you on its waitlist, and tend tells you privately when a place frees up."
	case e.s.Role != "" && e.a.Pending:
		return "You get access to the group once you have agreed and completed the server's rules screening (Discord shows it at the top of the server)."
	case e.s.Role != "":
		return "You get access to the group as soon as you agree."
	case e.s.Lobby != "":
		return "tend invites you to " + channelRef(e.g.Address) + " as soon as you agree."
	}
	return ""
}

// arrivedAt says where a newcomer arrived at g, for the first words of
// their welcome.
func arrivedAt(g bot.Group, via string) string {
	switch via {
	case viaServer:
		return fmt.Sprintf("you joined the server, where group %s meets", g.Name)
	case viaRoster:
		return fmt.Sprintf("a facilitator added you to group %s, which meets in %s", g.Name, channelRef(g.Address))
	case viaInvited:
		return fmt.Sprintf("you were added to %s, where group %s meets", channelRef(g.Address), g.Name)
	}
	return fmt.Sprintf("group %s meets in %s", g.Name, channelRef(g.Address))
}

// welcomeMessage is the one welcome of an arrival. For one group: the
// group, its next session, its norms with I agree, and its privacy. For
// several (a Discord server with several gated groups): each group with
// its next session and what agreeing gives, each distinct list of norms
// once, naming its groups, and an I agree button per group — a list that
// would not fit Discord's limits has a button that shows it instead.
func (f *Feature) welcomeMessage(ctx context.Context, es []welcomeEntry, via string) bot.Message {
	if len(es) == 1 {
		e := es[0]
		l := layout{
			title:   "Welcome to " + e.g.Name,
			privacy: true,
			button:  !e.again,
			fields:  []bot.Field{{Name: "Next session", Value: e.next}},
			intro:   fmt.Sprintf("Hello, and welcome: %s. Before taking part, the group asks everyone to read its agreements and press I agree.", arrivedAt(e.g, via)),
		}
		if e.again {
			l.intro = fmt.Sprintf("Welcome back to %s. You agreed to these norms on %s, so there is nothing to do.", e.g.Name, bot.Time(e.ack.At, bot.TimeShort))
		}
		if acc := e.access(); acc != "" && (!e.again || e.waitlisted) {
			l.fields = append(l.fields, bot.Field{Name: "Access", Value: acc})
		}
		return f.normsMessage(ctx, e.g, e.v, l)
	}
	names := make([]string, len(es))
	gs := make([]bot.Group, len(es))
	for i, e := range es {
		names[i], gs[i] = e.g.Name, e.g
	}
	m := bot.Message{Title: "Welcome: " + strings.Join(names, ", ")}
	where := "you joined the server, where these groups meet"
	if via != viaServer {
		where = "these groups meet where you arrived"
	}
	intro := fmt.Sprintf("Hello, and welcome: %s: %s. Each asks its members to agree to its norms before taking part, and agreeing is how you join a group: "+
		"read the agreements of the group you mean to take part in (or of each) and press its I agree.", where, strings.Join(names, ", "))
	for _, e := range es {
		v := "Next session: " + e.next
		if e.again {
			v += fmt.Sprintf(" You agreed to its norms on %s, so there is nothing to do.", bot.Time(e.ack.At, bot.TimeShort))
		}
		if acc := e.access(); acc != "" && (!e.again || e.waitlisted) {
			v += " " + acc
		}
		m.Fields = append(m.Fields, chunkField(e.g.Name, v)...)
	}
	m.Fields = append(m.Fields, chunkField("In a crisis", f.resources())...)
	m.Fields = append(m.Fields, chunkField("Privacy in these groups", f.privacyText(ctx, gs...))...)

	// The distinct lists, while they fit.
	type list struct {
		items  []string
		groups []string
	}
	var lists []*list
	for _, e := range es {
		i := slices.IndexFunc(lists, func(l *list) bool { return sameItems(l.items, e.v.Items) })
		if i < 0 {
			lists = append(lists, &list{items: e.v.Items})
			i = len(lists) - 1
		}
		lists[i].groups = append(lists[i].groups, e.g.Name)
	}
	// A list that several groups share first: it covers the most.
	slices.SortStableFunc(lists, func(a, b *list) int { return len(b.groups) - len(a.groups) })
	budget := min(maxDescription-utf8.RuneCountInString(intro), maxMessage-messageRunes(m)-utf8.RuneCountInString(intro)) - 100
	text := intro
	shown := map[string]bool{}
	for _, l := range lists {
		part := "\n\nNorms of " + strings.Join(l.groups, " and ") + ":\n" + listText(l.items)
		if n := utf8.RuneCountInString(part); n <= budget {
			budget -= n
			text += part
			for _, g := range l.groups {
				shown[g] = true
			}
		}
	}
	m.Text = text
	for _, e := range es {
		switch {
		case e.again:
		case shown[e.g.Name]:
			b := agreeButton(e.g, e.v)
			b.Label = "I agree: " + e.g.Name
			m.Buttons = append(m.Buttons, b)
		default:
			m.Buttons = append(m.Buttons, bot.Button{Label: "Read the norms of " + e.g.Name, Action: bot.Action{Name: ActionRead, Group: e.g.ID}})
		}
	}
	return m
}

// Discord's limits on one message, which are the tightest: its text (an
// embed's description) and all of its text together.
const (
	maxDescription = 4096
	maxMessage     = 6000
)

// messageRunes counts the characters of m's title, fields and footer.
func messageRunes(m bot.Message) int {
	n := utf8.RuneCountInString(m.Title) + utf8.RuneCountInString(m.Footer)
	for _, f := range m.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	return n
}

// dmClosed records that a newcomer's welcome could not be delivered and
// tells the facilitators privately. Nothing is said in the group's
// channel: a mention there could tell others the person is in a support
// group.
func (f *Feature) dmClosed(ctx context.Context, g bot.Group, a bot.Applicant, s bot.NormsSettings) error {
	if _, err := f.st.UpdateApplicant(ctx, g.ID, a.User, func(r *bot.Applicant, exists bool) ([]bot.Job, error) {
		if exists && r.Round == a.Round {
			r.DMClosed = true
		}
		return nil, nil
	}); err != nil {
		return err
	}
	how := fmt.Sprintf("They can read and agree to the norms with /tend norms show group:%s in any channel of the server where tend is.", g.Name)
	if s.Lobby != "" {
		how = fmt.Sprintf("They can read and agree to the norms with /tend norms show group:%s in %s.", g.Name, channelRef(bot.Address{Platform: g.Address.Platform, Channel: s.Lobby}))
	}
	msg := bot.Message{
		Title: "A newcomer could not be welcomed privately",
		Text: fmt.Sprintf("%s arrived at %s, but tend could not send them the welcome with the norms: their direct messages are closed to the bot. "+
			"tend has not mentioned them anywhere public. You may want to reach out, and ask them to allow direct messages from the server's members. %s",
			bot.Mention(g.Address.Platform, a.User), g.Name, how),
	}
	_, err := f.b.TellFacilitators(ctx, g, key("norms.dm-closed", g.ID, string(a.User), strconv.Itoa(a.Round)), msg)
	return err
}
