package norms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tend-bot/tend/bot"
)

// arrival reads a job's newcomer; done is set when the job has nothing to
// do because they left (or came back, which is a new round).
func (f *Feature) arrival(ctx context.Context, g bot.Group, p jobPayload) (bot.Applicant, *bot.JobResult, error) {
	a, ok, err := f.applicant(ctx, g.ID, p.User)
	if err != nil {
		return a, nil, err
	}
	if !ok || a.Round != p.Round || a.State == bot.ApplicantGone {
		return a, &bot.JobResult{State: bot.JobSkipped, Note: "the newcomer left before this ran"}, nil
	}
	return a, nil, nil
}

// runAdmit gives access after agreeing: on Discord the group's role (never
// while the member's rules screening is pending), on Slack and the console
// an invitation from the lobby to the group's channel. In a closed group a
// newcomer needs a place first, which agreeing took: one on the waitlist
// waits for a place to free up, and the facilitators are told. A refusal
// that retrying cannot fix is explained to the facilitators privately, and
// the member is told a facilitator will sort it out. Admit jobs of one
// member run one at a time.
func (f *Feature) runAdmit(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	g, done, err := f.loadGroup(ctx, j)
	if err != nil || done != nil {
		return deref(done), err
	}
	s, err := f.settings(ctx, g)
	if err != nil {
		return bot.JobResult{}, err
	}
	if !s.Require {
		return bot.JobResult{State: bot.JobSkipped, Note: "the group no longer requires agreement"}, nil
	}
	unlock, err := f.admitLocks.lock(ctx, g.ID, p.User)
	if err != nil {
		return bot.JobResult{}, err
	}
	defer unlock()
	var a bot.Applicant
	newcomer := p.Round > 0
	if newcomer {
		if a, done, err = f.arrival(ctx, g, p); err != nil || done != nil {
			return deref(done), err
		}
		if a.State == bot.ApplicantAdmitted {
			return bot.JobResult{State: bot.JobSkipped, Note: "already admitted"}, nil
		}
	}
	ack, agreed, err := f.latestAck(ctx, g.ID, p.User)
	if err != nil {
		return bot.JobResult{}, err
	}
	if !agreed {
		return bot.JobResult{State: bot.JobSkipped, Note: "not agreed yet"}, nil
	}
	if newcomer {
		v, _, err := f.current(ctx, g)
		if err != nil {
			return bot.JobResult{}, err
		}
		if ack.Version < v.Version {
			// Newcomers need the current version; they were asked.
			return bot.JobResult{State: bot.JobSkipped, Note: fmt.Sprintf("agreed to version %d; newcomers need version %d", ack.Version, v.Version)}, nil
		}
		var m bot.Member
		if g.Admission == bot.AdmissionClosed {
			// Agreeing took the place; one who agreed before and came back
			// takes it now.
			if m, err = f.st.TakeNormsPlace(ctx, memberPrincipal(g, p.User), g.ID, p.User); err != nil {
				return bot.JobResult{}, fmt.Errorf("take a place: %w", err)
			}
		} else if m, err = f.st.MemberByUser(ctx, g.ID, p.User); err != nil && !errors.Is(err, bot.ErrNotFound) {
			// An open group with a capacity: a facilitator may have put
			// them on its waitlist.
			return bot.JobResult{}, err
		}
		if m.Status == bot.MemberWaitlisted {
			place, err := f.waitlisted(ctx, g, a)
			if err != nil {
				return bot.JobResult{}, err
			}
			if strings.HasSuffix(j.Key, "/rejoined") {
				// Welcomed back with nothing to agree to: they learn here
				// that the group is full (agreeing tells the others).
				msg := bot.Message{Title: "The waitlist of " + g.Name, Text: fmt.Sprintf(
					"Group %s is full just now, so you are number %d on its waitlist: tend gives you access and tells you privately when a place frees up.", g.Name, place)}
				if _, err := f.send.Send(ctx, bot.DM("norms/waitlisted/"+strings.TrimPrefix(j.Key, KindAdmit+"/"), g.Address.Platform, p.User, msg)); err != nil && !bot.IsPermanent(err) {
					return bot.JobResult{}, fmt.Errorf("tell a newcomer they are on the waitlist: %w", err)
				}
			}
			return bot.JobResult{State: bot.JobDone, Note: fmt.Sprintf("waitlisted at place %d: access follows when a place frees up; the facilitators were told", place)}, nil
		}
	}
	var note string
	switch {
	case s.Role != "" && g.Address.Platform == bot.PlatformDiscord:
		if newcomer && a.Pending && !p.Recheck {
			f.log.Info("a newcomer's role waits for Discord's rules screening", bot.KeyGroup, g.Name)
			return bot.JobResult{State: bot.JobDone, Note: "waiting for Discord's rules screening: the role follows when it clears"}, nil
		}
		guild := g.Guild
		if guild == "" {
			guild = a.Guild
		}
		_, err := f.send.Send(ctx, bot.Outbound{Kind: bot.OutGrantRole, Guild: guild, User: p.User, Role: s.Role, To: g.Address})
		switch {
		case err == nil:
			note = "role granted"
		case errors.Is(err, bot.ErrScreening):
			// Screening is pending after all (tend missed the event):
			// the role follows when it clears.
			if newcomer {
				if _, err := f.st.UpdateApplicant(ctx, g.ID, p.User, func(r *bot.Applicant, exists bool) ([]bot.Job, error) {
					if exists && r.Round == a.Round {
						r.Pending = true
					}
					return nil, nil
				}); err != nil {
					return bot.JobResult{}, err
				}
			}
			f.log.Info("a newcomer's role waits for Discord's rules screening", bot.KeyGroup, g.Name)
			return bot.JobResult{State: bot.JobDone, Note: "waiting for Discord's rules screening: the role follows when it clears"}, nil
		case bot.IsPermanent(err):
			if err := f.roleRefused(ctx, g, s, p, err); err != nil {
				return bot.JobResult{}, err
			}
			return bot.JobResult{State: bot.JobDone, Note: "role not granted: Discord refused; the facilitators and the member were told privately"}, nil
		default:
			return bot.JobResult{}, fmt.Errorf("grant role: %w", err)
		}
	case s.Lobby != "":
		_, err := f.send.Send(ctx, bot.Outbound{Kind: bot.OutInvite, To: g.Address, User: p.User})
		switch {
		case err == nil:
			note = "invited to the group's channel"
		case bot.IsPermanent(err) || errors.Is(err, errors.ErrUnsupported):
			if err := f.inviteRefused(ctx, g, p); err != nil {
				return bot.JobResult{}, err
			}
			return bot.JobResult{State: bot.JobDone, Note: "not invited: the platform refused; the facilitators and the member were told privately"}, nil
		default:
			return bot.JobResult{}, fmt.Errorf("invite: %w", err)
		}
	default:
		note = "admitted"
	}
	if !newcomer {
		return bot.JobResult{State: bot.JobDone, Note: note}, nil
	}
	now := f.clock.Now()
	if _, err := f.st.UpdateApplicant(ctx, g.ID, p.User, func(r *bot.Applicant, exists bool) ([]bot.Job, error) {
		if exists && r.Round == a.Round && r.State == bot.ApplicantWaiting {
			r.State, r.AdmittedAt, r.Pending = bot.ApplicantAdmitted, now, false
		}
		return nil, nil
	}); err != nil {
		return bot.JobResult{}, err
	}
	if s.Role != "" || s.Lobby != "" {
		msg := bot.Message{Title: "You're in: " + g.Name, Text: fmt.Sprintf("Thank you for agreeing to the norms. You now have access to %s. See you at the next session!", channelRef(g.Address))}
		dm := bot.DM(key("norms/admitted", g.ID, string(p.User), strconv.Itoa(a.Round)), g.Address.Platform, p.User, msg)
		if _, err := f.send.Send(ctx, dm); err != nil && !bot.IsPermanent(err) {
			return bot.JobResult{}, fmt.Errorf("tell the member: %w", err)
		}
	}
	f.log.Info("newcomer admitted", bot.KeyGroup, g.Name, "how", note)
	return bot.JobResult{State: bot.JobDone, Note: note}, nil
}

// memberPrincipal is user of g's platform as the audit log names them.
func memberPrincipal(g bot.Group, user bot.UserID) bot.Principal {
	return bot.User{Platform: g.Address.Platform, ID: user}.Principal()
}

// waitlistPlace returns user's place on g's waitlist, from 1; 0 when they
// are not on it.
func (f *Feature) waitlistPlace(ctx context.Context, g bot.Group, user bot.UserID) (int, error) {
	ms, err := f.st.ListMembers(ctx, g.ID)
	if err != nil {
		return 0, err
	}
	place := 0
	for _, m := range ms {
		if m.Status == bot.MemberWaitlisted {
			place++
			if m.User == user {
				return place, nil
			}
		}
	}
	return 0, nil
}

// waitlisted tells g's facilitators, privately and once per arrival, that
// newcomer a agreed and is on the waitlist; it returns their place.
func (f *Feature) waitlisted(ctx context.Context, g bot.Group, a bot.Applicant) (int, error) {
	place, err := f.waitlistPlace(ctx, g, a.User)
	if err != nil {
		return 0, err
	}
	msg := bot.Message{
		Title: "A newcomer is on the waitlist of " + g.Name,
		Text: fmt.Sprintf("%s agreed to the norms of %s and is number %d on its waitlist: the group is full (%s). "+
			"When a place frees up, tend offers it to the first on the waitlist; /tend roster list shows the waitlist.",
			bot.Mention(g.Address.Platform, a.User), g.Name, place, bot.Plural(g.Capacity, "place", "places")),
	}
	if _, err := f.b.TellFacilitators(ctx, g, key("norms.waitlist", g.ID, string(a.User), strconv.Itoa(a.Round)), msg); err != nil {
		return 0, fmt.Errorf("tell the facilitators about the waitlist: %w", err)
	}
	return place, nil
}

// roleRefused explains to the facilitators, privately and once per
// member, arrival and role, why Discord refused the role, and tells the
// member privately that a facilitator will sort it out.
func (f *Feature) roleRefused(ctx context.Context, g bot.Group, s bot.NormsSettings, p jobPayload, cause error) error {
	f.log.Warn("granting a role was refused", bot.KeyGroup, g.Name, "role", string(s.Role), bot.KeyErr, cause)
	msg := bot.Message{
		Title: "tend could not give a member the group's role",
		Text: fmt.Sprintf("%s agreed to the norms of %s, but Discord refused to give them the role %s. "+
			"Usually the role sits above tend's own role, or tend lacks the Manage Roles permission. "+
			"In Server Settings → Roles, drag tend's role above %s and make sure it has Manage Roles; then ask them to press I agree again, and tend gives them the role.",
			bot.Mention(g.Address.Platform, p.User), g.Name, roleRef(s.Role), roleRef(s.Role)),
	}
	k := key("norms.role-refused", g.ID, string(p.User), strconv.Itoa(p.Round), string(s.Role))
	if _, err := f.b.TellFacilitators(ctx, g, k, msg); err != nil {
		return err
	}
	return f.accessDelayed(ctx, g, p, k)
}

// inviteRefused explains to the facilitators why an invitation failed, and
// tells the member privately that a facilitator will sort it out.
func (f *Feature) inviteRefused(ctx context.Context, g bot.Group, p jobPayload) error {
	f.log.Warn("an invitation to a group's channel was refused", bot.KeyGroup, g.Name)
	msg := bot.Message{
		Title: "tend could not invite a member to the group's channel",
		Text: fmt.Sprintf("%s agreed to the norms of %s, but tend could not invite them to %s. "+
			"Invite tend to that channel first (it must be a member to invite others), then ask them to agree again, or invite them by hand.",
			bot.Mention(g.Address.Platform, p.User), g.Name, channelRef(g.Address)),
	}
	k := key("norms.invite-refused", g.ID, string(p.User), strconv.Itoa(p.Round))
	if _, err := f.b.TellFacilitators(ctx, g, k, msg); err != nil {
		return err
	}
	return f.accessDelayed(ctx, g, p, k)
}

// accessDelayed tells a member who agreed, privately and once per key,
// that tend could not give them access and that a facilitator will sort
// it out; their agreement stands. Closed DMs are not retried: the
// facilitators were told already.
func (f *Feature) accessDelayed(ctx context.Context, g bot.Group, p jobPayload, k string) error {
	msg := bot.Message{
		Title: "Your access to " + g.Name + " is delayed",
		Text: fmt.Sprintf("Thank you for agreeing to the norms of %s: your agreement is recorded. tend could not give you access to the group just now, "+
			"because of a setting on the server that a facilitator needs to fix. The facilitators have been told and will sort it out; they may ask you to press I agree again once it is fixed.", g.Name),
	}
	if _, err := f.send.Send(ctx, bot.DM(k+"/member", g.Address.Platform, p.User, msg)); err != nil && !bot.IsPermanent(err) {
		return fmt.Errorf("tell the member: %w", err)
	}
	return nil
}

// runAsk asks every member of the group who has not agreed to version
// p.Version privately, once, to read and agree to it; they keep their
// access meanwhile. Newcomers still waiting who agreed to an older version
// are asked too. Members whose DMs are closed are named to the
// facilitators privately.
func (f *Feature) runAsk(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	g, done, err := f.loadGroup(ctx, j)
	if err != nil || done != nil {
		return deref(done), err
	}
	s, err := f.settings(ctx, g)
	if err != nil {
		return bot.JobResult{}, err
	}
	if !s.Require {
		return bot.JobResult{State: bot.JobSkipped, Note: "the group does not require agreement"}, nil
	}
	v, ok, err := f.current(ctx, g)
	if err != nil {
		return bot.JobResult{}, err
	}
	if !ok || v.Version != p.Version {
		return bot.JobResult{State: bot.JobSkipped, Note: fmt.Sprintf("version %d replaced it", v.Version)}, nil
	}
	people, err := f.b.People(ctx, g)
	if err != nil {
		return bot.JobResult{}, fmt.Errorf("list the group's members: %w", err)
	}
	acks, err := f.st.LatestNormsAcks(ctx, g.ID)
	if err != nil {
		return bot.JobResult{}, err
	}
	agreed := map[bot.UserID]bot.NormsAck{}
	for _, a := range acks {
		agreed[a.User] = a
	}
	arrivals, err := f.st.Applicants(ctx, g.ID)
	if err != nil {
		return bot.JobResult{}, err
	}
	seen := map[bot.UserID]bool{}
	// Newcomers still waiting for access (on the roster, or in the
	// channel, already or not) have no access to keep: their request
	// says so.
	newcomer := map[bot.UserID]bool{}
	for _, a := range arrivals {
		if a.State != bot.ApplicantWaiting {
			continue
		}
		newcomer[a.User] = true
		if _, ok := agreed[a.User]; !ok {
			// Welcomed and not agreed yet: their welcome's button shows
			// the current version; nothing more to ask.
			seen[a.User] = true
		}
	}
	var targets []bot.Member
	for _, m := range people {
		if m.User == "" || seen[m.User] {
			continue
		}
		seen[m.User] = true
		if f.isFacilitator(g, m.User) || agreed[m.User].Version >= v.Version {
			continue
		}
		targets = append(targets, m)
	}
	for _, a := range arrivals {
		if seen[a.User] {
			continue
		}
		seen[a.User] = true
		if a.State == bot.ApplicantAdmitted {
			// Let in by tend: a member, even where the platform's list of
			// the channel has not caught up yet.
			if agreed[a.User].Version < v.Version {
				targets = append(targets, bot.Member{GroupID: g.ID, User: a.User})
			}
			continue
		}
		if prev, ok := agreed[a.User]; ok && prev.Version < v.Version {
			// Welcomed with an older version and agreed to it: they need
			// this one for access. Those who never agreed have the
			// welcome's button, which shows the current version.
			targets = append(targets, bot.Member{GroupID: g.ID, User: a.User})
		}
	}
	var unreachable []string
	for _, m := range targets {
		msg := f.askMessage(ctx, g, v, agreed[m.User], !newcomer[m.User])
		dm := bot.DM(askKey(g.ID, v.Version, m.User), g.Address.Platform, m.User, msg)
		if _, err := f.send.Send(ctx, dm); err != nil {
			if !bot.IsPermanent(err) {
				return bot.JobResult{}, fmt.Errorf("ask a member: %w", err)
			}
			unreachable = append(unreachable, m.Label(g.Address.Platform, g.Privacy))
		}
	}
	note := fmt.Sprintf("asked %s privately", bot.Plural(len(targets)-len(unreachable), "member", "members"))
	if len(unreachable) > 0 {
		msg := bot.Message{
			Title: "Some members could not be asked about the new norms",
			Text: fmt.Sprintf("tend asked the members of %s privately to agree to version %d of the norms, but could not reach %s: their direct messages are closed to the bot. "+
				"They keep their access. You may want to let them know; /tend norms show shows the norms and the button to anyone in the group.",
				g.Name, v.Version, bot.Plural(len(unreachable), "member", "members")),
			Fields: bot.LineFields("Not reached", unreachable),
		}
		if _, err := f.b.TellFacilitators(ctx, g, key("norms.ask-closed", g.ID, strconv.Itoa(v.Version)), msg); err != nil {
			return bot.JobResult{}, err
		}
		note += fmt.Sprintf("; %d could not be reached (DMs closed), the facilitators were told", len(unreachable))
	}
	f.log.Info("asked members to agree to new norms", bot.KeyGroup, g.Name, "version", v.Version, "asked", len(targets), "unreachable", len(unreachable))
	return bot.JobResult{State: bot.JobDone, Note: note}, nil
}

// askKey is the outbox key of asking user to agree to version v of group
// groupID's norms: once, whichever path asks first.
func askKey(groupID int64, v int, user bot.UserID) string {
	return fmt.Sprintf("norms/ask/%d/%d/%s", groupID, v, user)
}

// askMessage asks a member privately to agree to version v; prev is their
// latest agreement (zero if none), access whether they hold the access the
// group gates (a newcomer still waiting for it does not).
func (f *Feature) askMessage(ctx context.Context, g bot.Group, v bot.NormsVersion, prev bot.NormsAck, access bool) bot.Message {
	if prev.Version == 0 {
		return f.normsMessage(ctx, g, v, layout{
			title:   "The norms of " + g.Name,
			intro:   fmt.Sprintf("Group %s asks every member to read its agreements and press I agree before taking part in check-ins and attendance.", g.Name),
			privacy: true, button: true,
		})
	}
	keep := "You keep your access to the group meanwhile."
	if !access {
		keep = "Newcomers need the current version: you get access to the group once you agree to it."
	}
	return f.normsMessage(ctx, g, v, layout{
		title: fmt.Sprintf("The norms of %s changed (version %d)", g.Name, v.Version),
		intro: fmt.Sprintf("The facilitators of %s changed the group's agreements; you agreed to version %d on %s. Please read them again and press I agree. %s",
			g.Name, prev.Version, bot.Time(prev.At, bot.TimeShort), keep),
		button: true,
	})
}

// runPost posts the current norms in the group's channel with the I agree
// button, pins the post where the platform can, and unpins the copy pinned
// before.
func (f *Feature) runPost(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	g, done, err := f.loadGroup(ctx, j)
	if err != nil || done != nil {
		return deref(done), err
	}
	v, ok, err := f.current(ctx, g)
	if err != nil {
		return bot.JobResult{}, err
	}
	if !ok {
		return bot.JobResult{State: bot.JobSkipped, Note: "the group has no norms"}, nil
	}
	s, err := f.settings(ctx, g)
	if err != nil {
		return bot.JobResult{}, err
	}
	msg := f.normsMessage(ctx, g, v, layout{
		intro:   fmt.Sprintf("These are the agreements group %s works by. Please read them, and press I agree.", g.Name),
		privacy: true, button: true,
	})
	res, err := f.send.Send(ctx, bot.Post("norms/post/"+strings.TrimPrefix(j.Key, KindPost+"/"), g.Address, msg))
	if err != nil {
		return bot.JobResult{}, fmt.Errorf("post the norms: %w", err)
	}
	note := fmt.Sprintf("posted version %d", v.Version)
	_, err = f.send.Send(ctx, bot.Outbound{Kind: bot.OutPin, Ref: res.Ref})
	switch {
	case err == nil:
		note += " and pinned it"
	case errors.Is(err, errors.ErrUnsupported) || bot.IsPermanent(err):
		note += "; not pinned (the platform refused: tend may lack the permission to pin)"
		return bot.JobResult{State: bot.JobDone, Note: note}, nil
	default:
		return bot.JobResult{}, fmt.Errorf("pin the norms: %w", err)
	}
	if !s.Pinned.IsZero() && s.Pinned != res.Ref {
		_, err := f.send.Send(ctx, bot.Outbound{Kind: bot.OutUnpin, Ref: s.Pinned})
		switch {
		case err == nil:
			note += "; unpinned the older copy"
		case errors.Is(err, errors.ErrUnsupported) || bot.IsPermanent(err):
			// Deleted by hand, or unpinned already.
		default:
			return bot.JobResult{}, fmt.Errorf("unpin the older norms: %w", err)
		}
	}
	if err := f.st.SetNormsPinned(ctx, g.ID, res.Ref); err != nil {
		return bot.JobResult{}, err
	}
	return bot.JobResult{State: bot.JobDone, Note: note}, nil
}

// onSession posts the norms when a session starts: at each session when
// the group wants it, and always at the first session a closed group holds
// (the contract session). The post's key is the session's, so it is made
// once. Places freed meanwhile are offered too.
func (f *Feature) onSession(ctx context.Context, ev *bot.SessionEvent) ([]bot.Outbound, error) {
	g := ev.Group
	if err := f.offerPlaces(ctx, g); err != nil {
		return nil, err
	}
	s, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	v, ok, err := f.current(ctx, g)
	if err != nil || !ok {
		return nil, err
	}
	contract := false
	if g.Admission == bot.AdmissionClosed {
		// The contract session is the first the group holds, whatever its
		// number: session 1 may have been cancelled, or have passed before
		// the group used tend.
		first, err := f.st.FirstHeldSession(ctx, g.ID)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return nil, err
		}
		contract = err == nil && first.ID == ev.Session.ID
	}
	if !contract && s.Repost != bot.RepostEachSession {
		return nil, nil
	}
	l := layout{
		intro:  fmt.Sprintf("Session %d starts now. A reminder of the agreements we work by:", ev.Session.Number),
		button: true,
	}
	if contract {
		l.title = "Our agreements: " + g.Name
		l.intro = "Welcome to the first session. These are the agreements this group works by, together: please read them, and press I agree if you have not yet."
		l.privacy = true
	}
	key := "norms/session/" + strconv.FormatInt(ev.Session.ID, 10)
	return []bot.Outbound{bot.Post(key, g.Address, f.normsMessage(ctx, g, v, l))}, nil
}

// onGone reacts to a member leaving a group (or being erased): their
// Discord role is taken back, their arrival closed, and a place they held
// in a closed group is offered to the first on the waitlist.
func (f *Feature) onGone(ctx context.Context, ev *bot.MemberGone) ([]bot.Outbound, error) {
	g := ev.Group
	// After any admit job of theirs that is running: a role it is giving
	// is taken back, and one that has not started sees them gone.
	unlock, err := f.admitLocks.lock(ctx, g.ID, ev.User)
	if err != nil {
		return nil, err
	}
	defer unlock()
	a, _, err := f.applicant(ctx, g.ID, ev.User)
	if err != nil {
		return nil, err
	}
	_, agreed, err := f.latestAck(ctx, g.ID, ev.User)
	if err != nil {
		return nil, err
	}
	if _, err := f.st.UpdateApplicant(ctx, g.ID, ev.User, func(r *bot.Applicant, exists bool) ([]bot.Job, error) {
		// Someone who agreed without a welcome (there before agreement
		// was required) is recorded as gone too: their access is taken
		// back, so coming back is an arrival.
		if exists || agreed {
			r.State = bot.ApplicantGone
		}
		return nil, nil
	}); err != nil {
		return nil, err
	}
	s, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	if s.Role != "" && g.Address.Platform == bot.PlatformDiscord {
		guild := g.Guild
		if guild == "" {
			guild = a.Guild
		}
		_, err := f.send.Send(ctx, bot.Outbound{Kind: bot.OutRevokeRole, Guild: guild, User: ev.User, Role: s.Role, To: g.Address})
		switch {
		case err == nil:
		case bot.IsPermanent(err):
			// They left the server (no member to take it from), or the
			// role is gone.
			f.log.Debug("no role to take back", bot.KeyGroup, g.Name, bot.KeyErr, err)
		default:
			return nil, fmt.Errorf("take back the role: %w", err)
		}
	}
	return nil, f.offerPlaces(ctx, g)
}

// offerPlaces offers the places that freed up in a group with a capacity
// to the newcomers they let in from the waitlist (the roster moves them,
// earliest first): privately, once, with access at once if they agreed
// already.
func (f *Feature) offerPlaces(ctx context.Context, g bot.Group) error {
	if g.Capacity == 0 && g.Admission != bot.AdmissionClosed {
		return nil
	}
	as, err := f.st.Applicants(ctx, g.ID)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.State != bot.ApplicantWaiting || !a.Waitlisted {
			continue
		}
		m, err := f.st.MemberByUser(ctx, g.ID, a.User)
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if m.Status != bot.MemberActive {
			continue
		}
		if err := f.offer(ctx, g, a); err != nil {
			return err
		}
	}
	return nil
}

// offer gives a newcomer whose waitlist place came up the place: in one
// transaction their record stops waiting for a place and the jobs that
// tell them (privately, once) and, when they agreed to the current version
// already, give access are enqueued.
func (f *Feature) offer(ctx context.Context, g bot.Group, a bot.Applicant) error {
	v, ok, err := f.current(ctx, g)
	if err != nil || !ok {
		return err
	}
	ack, agreed, err := f.latestAck(ctx, g.ID, a.User)
	if err != nil {
		return err
	}
	ready := agreed && ack.Version == v.Version
	// When they agreed already, the offer job gives access once it has
	// told them (see runOffer), so that "a place is yours" comes before
	// "you're in".
	jobs := []bot.Job{{Kind: KindOffer, Key: key(KindOffer, g.ID, string(a.User), strconv.Itoa(a.Round)), GroupID: g.ID,
		Payload: jobPayload{User: a.User, Round: a.Round, Ready: ready}.bytes()}}
	if _, err := f.st.UpdateApplicant(ctx, g.ID, a.User, func(r *bot.Applicant, exists bool) ([]bot.Job, error) {
		if !exists || r.Round != a.Round || !r.Waitlisted {
			return nil, nil
		}
		r.Waitlisted = false
		return jobs, nil
	}); err != nil {
		return err
	}
	f.r.Notify()
	return nil
}

// runOffer tells a newcomer privately, once per arrival, that a place in
// a closed group is theirs: access is on its way when they agreed already
// (the admit job it enqueues once the offer is settled gives it, so that
// the member reads the offer first), else the norms and I agree.
func (f *Feature) runOffer(ctx context.Context, j bot.Job) (res bot.JobResult, err error) {
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	if p.Ready {
		defer func() {
			if err != nil {
				return // retried: the offer (sent once, by its key) and then this
			}
			if _, eerr := f.r.Enqueue(ctx, admitJob(j.GroupID, p.User, p.Round, "place")); eerr != nil {
				res, err = bot.JobResult{}, fmt.Errorf("give access after the offer: %w", eerr)
			}
		}()
	}
	g, done, err := f.loadGroup(ctx, j)
	if err != nil || done != nil {
		return deref(done), err
	}
	if _, done, err := f.arrival(ctx, g, p); err != nil || done != nil {
		return deref(done), err
	}
	v, ok, err := f.current(ctx, g)
	if err != nil {
		return bot.JobResult{}, err
	}
	if !ok {
		return bot.JobResult{State: bot.JobSkipped, Note: "the group has no norms"}, nil
	}
	next, err := f.nextSession(ctx, g)
	if err != nil {
		return bot.JobResult{}, err
	}
	l := layout{
		title:  "A place is free for you in " + g.Name,
		fields: []bot.Field{{Name: "Next session", Value: next}},
		button: !p.Ready,
	}
	if p.Ready {
		l.intro = "Good news: a place freed up and it is yours. You agreed to the norms already, so tend is giving you access now."
	} else {
		l.intro = "Good news: a place freed up and it is yours. To take it, read the group's agreements and press I agree."
	}
	dm := bot.DM(key("norms/offer", g.ID, string(p.User), strconv.Itoa(p.Round)), g.Address.Platform, p.User, f.normsMessage(ctx, g, v, l))
	if _, err := f.send.Send(ctx, dm); err != nil {
		if !bot.IsPermanent(err) {
			return bot.JobResult{}, fmt.Errorf("offer a place: %w", err)
		}
		return bot.JobResult{State: bot.JobDone, Note: "not told: their direct messages are closed"}, nil
	}
	return bot.JobResult{State: bot.JobDone, Note: "offered the place"}, nil
}

func deref(r *bot.JobResult) bot.JobResult {
	if r == nil {
		return bot.JobResult{}
	}
	return *r
}

// Resume runs once at start, beside the platforms. Newcomers who agreed
// and still wait for access get another try: Discord's rules screening may
// have cleared while tend was not running, and that event is not sent
// again; the platform is asked, not tend's last record. Each start's tries
// have keys of their own. Places on a closed group's roster that a larger
// capacity (the config file's, applied at start) or a member leaving made
// while tend was not running are offered to the newcomers they let in.
// Then every gated group's access is checked (CheckGates), and the
// facilitators told of one that cannot work.
func (f *Feature) Resume(ctx context.Context) error {
	as, err := f.st.WaitingApplicants(ctx)
	if err != nil {
		return fmt.Errorf("norms: resume: %w", err)
	}
	trigger := "resume-" + strconv.FormatInt(f.clock.Now().Unix(), 10)
	n := 0
	for _, a := range as {
		if _, agreed, err := f.latestAck(ctx, a.GroupID, a.User); err != nil {
			return fmt.Errorf("norms: resume: %w", err)
		} else if !agreed || a.Waitlisted {
			continue
		}
		if _, err := f.r.Enqueue(ctx, recheckJob(a.GroupID, a.User, a.Round, trigger)); err != nil {
			return fmt.Errorf("norms: resume: %w", err)
		}
		n++
	}
	if n > 0 {
		f.log.Info("giving newcomers who agreed another try at access", "count", n)
	}
	// Places that came up while tend was not running, or by the config
	// file's capacity (applied before this), are offered.
	offered := map[int64]bool{}
	for _, a := range as {
		if !a.Waitlisted || offered[a.GroupID] {
			continue
		}
		offered[a.GroupID] = true
		g, err := f.st.GroupByID(ctx, a.GroupID)
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("norms: resume: %w", err)
		}
		if err := f.offerPlaces(ctx, g); err != nil {
			return fmt.Errorf("norms: resume: offer places in group %s: %w", g.Name, err)
		}
	}
	if _, err := f.CheckGates(ctx); err != nil {
		return err
	}
	return nil
}
