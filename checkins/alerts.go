package checkins

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Signal sources and the level family.
const (
	sourceCheckIn = "checkin"
	sourceDM      = "dm"
	// familyLevel is the kind of sign of a level answer at the bottom of
	// its scale.
	familyLevel = "the lowest answer on a check-in"
)

// deliverTimeout bounds delivering an alert while the member waits for
// their reply; the alert's durable job finishes what is left.
const deliverTimeout = 10 * time.Second

// maxInspect bounds how many groups' channels a direct message's sender is
// looked for in (beyond the rosters), so that one DM stays cheap.
const maxInspect = 200

// inspectWait bounds, in time, looking for a sender on no roster in the
// groups' channels: whatever is found by then is alerted, and when
// nothing is, the owners are, so that the alert is never later than this
// plus its delivery. The owners are not told at once while tend looks:
// for a member in a group's channel that would send their words to people
// who are not their facilitators, and most such looks end well within it.
const inspectWait = 2 * time.Second

// onEvent examines direct messages to the bot. It never logs what they
// say, nor who sent them.
func (f *Feature) onEvent(ctx context.Context, ev bot.Event) ([]bot.Outbound, error) {
	dm, ok := ev.(*bot.DirectMessage)
	if !ok {
		return nil, nil
	}
	res := f.lexicon.Load().Examine(dm.Text)
	if !res.Signal() {
		if dm.Edited {
			// An edit without words of risk: the note was given with the
			// message itself.
			return nil, nil
		}
		return []bot.Outbound{bot.ReplyMessage(f.dmNote())}, nil
	}
	// Everything from here on is urgent: the platform calls that find the
	// member's groups and those that tell their facilitators go ahead of
	// bulk work such as a burst of reminders.
	ctx = bot.WithUrgent(ctx, true)
	platform, user := dm.Platform, dm.User.ID
	sig := bot.SafetySignal{Platform: platform, User: user, At: dm.At, Source: sourceDM, Families: res.Strings(), Words: bot.StripPlaceholderRunes(dm.Text)}
	// The groups whose roster has them are told at once, without asking
	// the platform anything. Only for a member on no roster are the
	// groups' channels looked in, for inspectWait at most.
	groups, err := f.st.GroupsOfUser(ctx, platform, user)
	if err != nil {
		f.log.Error("reading the groups of a member who wrote to tend failed", bot.KeyPlatform, platform, bot.KeyErr, err)
	}
	if len(groups) == 0 {
		groups = f.channelGroups(ctx, platform, user)
	}
	// In no group tend could find: the owners (raise with no groups).
	return []bot.Outbound{f.replyFor(f.raise(ctx, groups, sig), sig)}, nil
}

// foundFor is how long where a sender on no roster was found in the
// groups' channels is remembered, and foundSenders for how many senders:
// a member who writes again and again (a signal in each) does not send
// as many platform lookups ahead of the alerts themselves in the urgent
// lane. A member added to a roster meanwhile is found there first.
const (
	foundFor     = 5 * time.Minute
	foundSenders = 1000
)

// channelGroups returns the groups in whose channels user, on no roster,
// is, looking for inspectWait at most (see inChannels); a complete look is
// remembered for foundFor. The groups are read again by id, so that what
// they hold (privacy, facilitators) is current.
func (f *Feature) channelGroups(ctx context.Context, platform string, user bot.UserID) []bot.Group {
	key := platform + "\x00" + string(user)
	if ids, ok := f.found.Get(key); ok {
		var out []bot.Group
		for _, id := range ids {
			g, err := f.st.GroupByID(ctx, id)
			if err != nil {
				f.log.Warn("reading a group a member who wrote to tend was found in failed; looking again", bot.KeyPlatform, platform, bot.KeyErr, err)
				f.found.Delete(key)
				return f.channelGroups(ctx, platform, user)
			}
			out = append(out, g)
		}
		return out
	}
	lctx, cancel := context.WithTimeout(ctx, inspectWait)
	groups, err := f.inChannels(lctx, platform, user)
	cancel()
	if err != nil {
		// Not remembered: an unfinished look tries again next time.
		f.log.Warn("looking for a member who wrote to tend in the groups' channels did not finish", bot.KeyPlatform, platform, "found", len(groups), bot.KeyErr, err)
		return groups
	}
	ids := make([]int64, 0, len(groups))
	for _, g := range groups {
		ids = append(ids, g.ID)
	}
	f.found.Put(key, ids)
	return groups
}

// inspectWorkers bounds the platform calls one DM makes at once to find
// the sender's groups.
const inspectWorkers = 8

// inChannels returns the groups on platform whose channel has user, where
// the platform can tell; at most maxInspect groups are asked about. When
// ctx ends first it returns the groups found so far, with ctx's error.
func (f *Feature) inChannels(ctx context.Context, platform string, user bot.UserID) ([]bot.Group, error) {
	ins, ok := f.inspector(platform)
	if !ok {
		return nil, nil
	}
	all, err := f.st.GroupsOnPlatform(ctx, platform)
	if err != nil {
		return nil, err
	}
	ask := all
	if len(ask) > maxInspect {
		f.log.Warn("looked for a member in the channels of the first groups only", bot.KeyPlatform, platform, "groups", len(all), "checked", maxInspect)
		ask = ask[:maxInspect]
	}
	in := make([]bool, len(ask))
	errs := make([]error, len(ask))
	// Workers take the groups in order, so that the first ones are
	// surely looked in when the time runs out.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(inspectWorkers, len(ask)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(ask) {
					return
				}
				in[i], errs[i] = ins.InChannel(ctx, ask[i].Address, user)
			}
		})
	}
	wg.Wait()
	var out []bot.Group
	for i, g := range ask {
		if in[i] {
			out = append(out, g)
		}
	}
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, errors.Join(errs...)
}

func (f *Feature) inspector(platform string) (bot.ChannelInspector, bool) {
	i, ok := f.send.(interface {
		Inspector(platform string) (bot.ChannelInspector, bool)
	})
	if !ok {
		return nil, false
	}
	return i.Inspector(platform)
}

// reached is how far an alert got, for the member's reply, which says
// only what happened.
type reached int

const (
	// reachedNobody: nobody could be told (no reachable facilitator, no
	// owner on the platform).
	reachedNobody reached = iota
	// reachedPending: recorded, not delivered yet; its job tries again.
	reachedPending
	// reachedOwners: the owners, in place of the group's facilitators
	// (none reachable) or for a sender in no group.
	reachedOwners
	// reachedFacilitators: the group's facilitators.
	reachedFacilitators
)

// raised is what raising a signal did: how many alerts recorded it, how
// many of them are new, and how far each got, by group name.
type raised struct {
	recorded, opened int
	// facilitators, owners and pending name the groups whose alert
	// reached their facilitators, reached the owners instead, or is not
	// delivered yet; noGroup is set for a sender in no group.
	facilitators, owners, pending []string
	noGroup                       bool
	// ownersReached: a sender in no group, and the owners were told.
	ownersReached bool
	// minimal: a group was privacy: minimal, whose alert shows no words.
	minimal bool
}

// raise records a signal in each of groups (with none, for the owners)
// and delivers each alert at once, ahead of bulk work. In a privacy:
// minimal group the words are neither stored nor shown.
func (f *Feature) raise(ctx context.Context, groups []bot.Group, sig bot.SafetySignal) raised {
	ctx = bot.WithUrgent(ctx, true)
	targets := groups
	if len(targets) == 0 {
		targets = []bot.Group{{}}
	}
	var r raised
	for _, g := range targets {
		s := sig
		s.GroupID = g.ID
		escalate := DefaultEscalateAfter
		if g.ID != 0 {
			if st, err := f.settings(ctx, g.ID); err == nil {
				escalate = st.EscalateAfter
			}
		}
		if g.Privacy == bot.PrivacyMinimal {
			s.Words = ""
			r.minimal = true
		}
		a, isNew, err := f.st.RecordSignal(ctx, s, SignalWindow, f.alertJobs(escalate))
		if err != nil {
			f.log.Error("recording a safety signal failed", bot.KeyGroup, g.Name, bot.KeyErr, err)
			continue
		}
		r.recorded++
		if isNew {
			r.opened++
		}
		f.log.Info("safety signal", bot.KeyGroup, g.Name, "alert", a.ID, "signals", a.Signals, "source", s.Source, "families", len(s.Families))
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deliverTimeout)
		got, err := f.deliverAlert(dctx, a.ID)
		cancel()
		if err != nil {
			f.log.Warn("delivering a safety alert failed; its job will try again", "alert", a.ID, bot.KeyErr, err)
			if got < reachedOwners {
				got = reachedPending
			}
		}
		f.r.Notify()
		switch {
		case g.ID == 0:
			r.noGroup, r.ownersReached = true, got == reachedOwners
			if got == reachedPending {
				r.pending = append(r.pending, "")
			}
		case got == reachedFacilitators:
			r.facilitators = append(r.facilitators, g.Name)
		case got == reachedOwners:
			r.owners = append(r.owners, g.Name)
		case got == reachedPending:
			r.pending = append(r.pending, g.Name)
		}
	}
	return r
}

// replyFor is the member's private reply after raising sig: the careful
// reply for a new situation, a short acknowledgement for a later signal of
// the same one, each saying only what tend did; and an honest word with
// the resources when nobody could be told.
func (f *Feature) replyFor(r raised, sig bot.SafetySignal) bot.Outbound {
	var msg bot.Message
	told := r.told()
	switch {
	case r.recorded == 0 || told == "" && len(r.pending) == 0:
		// Nobody was told, and nobody is being tried.
		msg = f.notPassedOn(r.recorded > 0)
	case r.opened > 0:
		msg = f.carefulReply(r, sig.Words == "")
	default:
		msg = f.acknowledgement(r)
	}
	out := bot.ReplyMessage(msg)
	out.Urgent = true
	return out
}

// told says who was told, as the member reads it, or "" when nobody was
// yet.
func (r raised) told() string {
	var parts []string
	if len(r.facilitators) > 0 {
		parts = append(parts, "your facilitators in "+strings.Join(r.facilitators, " and "))
	}
	if len(r.owners) > 0 || r.ownersReached {
		parts = append(parts, "the people who run this bot")
	}
	return strings.Join(parts, " and ")
}

// alertJobs returns the durable jobs of an alert as a signal left it: one
// that makes sure this signal reached the facilitators (the direct
// delivery may have been cut short by a crash), and for a new alert in a
// group its escalation.
func (f *Feature) alertJobs(escalate time.Duration) func(bot.SafetyAlert, bool) []bot.Job {
	now := f.clock.Now()
	return func(a bot.SafetyAlert, opened bool) []bot.Job {
		jobs := []bot.Job{{Kind: KindAlert, Key: jobKey(KindAlert, a.ID, a.Signals), GroupID: a.GroupID, DueAt: now.Add(alertBackup),
			Payload: payload(jobPayload{Alert: a.ID, Signal: a.Signals})}}
		if opened && a.GroupID != 0 {
			jobs = append(jobs, bot.Job{Kind: KindEscalate, Key: jobKey(KindEscalate, a.ID, 2), GroupID: a.GroupID, DueAt: a.OpenedAt.Add(escalate),
				Payload: payload(jobPayload{Alert: a.ID, Stage: 2})})
		}
		return jobs
	}
}

// runAlert makes sure an alert, as its signal n left it, reached the
// facilitators.
func (f *Feature) runAlert(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	if _, err := f.deliverAlert(ctx, p.Alert); errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the alert is no longer kept"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	return bot.JobResult{Note: "delivered"}, nil
}

// deliverAlert brings the alert's messages up to date: the first delivery
// (the facilitators, or the owners for a sender in no group), in the
// urgent lane and once by its key; then, for later signals or a taken
// alert, the newest state in every message about it (see refresh). Safe
// to repeat. It reports how far the first delivery got.
func (f *Feature) deliverAlert(ctx context.Context, id int64) (reached, error) {
	unlock, err := f.lockAlert(ctx, id)
	if err != nil {
		return reachedPending, err
	}
	got, err := f.firstDelivery(ctx, id)
	unlock()
	if err != nil {
		return got, err
	}
	return got, f.refresh(ctx, id)
}

// firstDelivery sends alert id to its people, once by its key.
func (f *Feature) firstDelivery(ctx context.Context, id int64) (reached, error) {
	a, err := f.st.SafetyAlert(ctx, id)
	if err != nil {
		return reachedPending, err
	}
	var g bot.Group
	if a.GroupID != 0 {
		if g, err = f.st.GroupByID(ctx, a.GroupID); err != nil {
			return reachedPending, err
		}
	}
	msg, err := f.alertMessage(ctx, g, a, 1)
	if err != nil {
		return reachedPending, err
	}
	if a.GroupID == 0 {
		n, err := f.tellOwners(ctx, a, alertPrefix(a.ID)+"owners/", msg)
		switch {
		case n > 0:
			return reachedOwners, err
		case err != nil:
			return reachedPending, err
		}
		return reachedNobody, nil
	}
	r, err := f.b.AlertFacilitators(ctx, g, alertPrefix(a.ID)+"post", msg)
	if err != nil {
		return reachedPending, fmt.Errorf("alert the facilitators: %w", err)
	}
	if r.Sent > 0 {
		// The alert's first delivery, timed from when the signal that
		// opened it was recorded, for the operator's metrics.
		f.obs.AlertDelivered(f.clock.Now().Sub(a.OpenedAt))
	}
	switch {
	case r.Channel || r.DMs > 0:
		return reachedFacilitators, nil
	case r.Owners:
		return reachedOwners, nil
	}
	f.log.Error("a safety alert reached nobody: the group has no reachable facilitator and no owner on its platform", bot.KeyGroup, g.Name, "alert", a.ID)
	return reachedNobody, nil
}

// shownAlert is what the messages about one alert show, and whether an
// edit of them is in flight.
type shownAlert struct {
	signals int  // the signals the messages count
	taken   bool // they show who took it
	noted   int  // the newest signal the taker was told of
	running bool // a refresh is editing them
	dirty   bool // something changed while it was
	at      time.Time
}

// shownKeep is how long what an alert's messages show is remembered after
// its last refresh: longer than any of its backup jobs waits.
const shownKeep = time.Hour

// refresh shows alert id as it now stands in every message about it, and
// tells whoever took it of a newer signal. One refresh edits an alert at a
// time: a call that finds one running leaves the work to it and returns;
// the running one reads the alert again until nothing changed meanwhile,
// so that a flood of signals costs a few edits, each with the newest
// state, not one edit per signal. A refresh that finds the messages
// showing the alert as it stands (the backup job of an earlier signal)
// edits nothing.
func (f *Feature) refresh(ctx context.Context, id int64) error {
	f.shownMu.Lock()
	now := f.clock.Now()
	for k, v := range f.shown {
		if !v.running && now.Sub(v.at) > shownKeep {
			delete(f.shown, k)
		}
	}
	st := f.shown[id]
	if st == nil {
		st = &shownAlert{signals: 1}
		f.shown[id] = st
	}
	st.dirty = true
	if st.running {
		f.shownMu.Unlock()
		return nil
	}
	st.running = true
	for {
		st.dirty = false
		shown := *st
		f.shownMu.Unlock()
		done, err := f.refreshOnce(ctx, id, shown)
		f.shownMu.Lock()
		if err == nil {
			st.signals, st.taken, st.noted = done.signals, done.taken, done.noted
		}
		if err != nil || !st.dirty {
			st.running, st.at = false, f.clock.Now()
			f.shownMu.Unlock()
			return err
		}
	}
}

// refreshOnce edits the messages of alert id when they show less than it
// now holds, and tells the taker of a signal newer than the last they were
// told of; it returns what the messages show after.
func (f *Feature) refreshOnce(ctx context.Context, id int64, shown shownAlert) (shownAlert, error) {
	a, err := f.st.SafetyAlert(ctx, id)
	if err != nil {
		return shown, err
	}
	if a.Signals <= shown.signals && a.Taken() == shown.taken {
		return shown, nil
	}
	var g bot.Group
	if a.GroupID != 0 {
		if g, err = f.st.GroupByID(ctx, a.GroupID); err != nil {
			return shown, err
		}
	}
	reposted, err := f.editAlert(ctx, g, a)
	if err != nil {
		return shown, err
	}
	// A later signal on an alert nobody has taken: an edit alone shows
	// nobody anything new, so a short post says so (coalesced, see ping)
	// — unless the alert itself was just posted again.
	if !a.Taken() && a.Signals > 1 && a.Signals > shown.signals && !reposted {
		if err := f.ping(ctx, g, a); err != nil {
			return shown, err
		}
	}
	shown.signals, shown.taken = a.Signals, a.Taken()
	// A signal after someone took the alert: a DM to them, for the newest
	// signal only.
	if a.Taken() && a.Signals > 1 && a.Signals > shown.noted && a.TakenAt.Before(a.LastAt.Add(time.Second)) {
		if err := f.tellTaker(ctx, g, a, a.Signals); err != nil {
			return shown, err
		}
		shown.noted = a.Signals
	}
	return shown, nil
}

// editAlert shows the alert as it stands in every message tend sent about
// it. A message that is gone (deleted, or its channel is) cannot show a
// later signal: when no message in the same place (the facilitators'
// channel or DMs, one escalation DM, one owner's DM) could be edited, the
// alert is posted there again, once for this signal by its own key, so
// that a later signal never reaches nobody; reposted reports that it was,
// to the facilitators.
func (f *Feature) editAlert(ctx context.Context, g bot.Group, a bot.SafetyAlert) (reposted bool, err error) {
	sent, err := f.st.SentMessages(ctx, alertPrefix(a.ID))
	if err != nil {
		return false, err
	}
	var errs []error
	shows := map[string]bool{} // a message in the place shows the alert
	var lost []alertPlace      // places whose messages are gone, in order
	for _, e := range sent {
		p, ok := placeOf(strings.TrimPrefix(e.Key, alertPrefix(a.ID)))
		if !ok || e.Ref.IsZero() {
			continue // a note (to the taker, a new message), not the alert
		}
		msg, err := f.alertMessage(ctx, g, a, p.stage)
		if err != nil {
			return false, err
		}
		edit := bot.Edit(e.Ref, msg)
		edit.Urgent = true
		_, err = f.send.Send(ctx, edit)
		switch {
		case err == nil:
			shows[p.key()] = true
		case errors.Is(err, bot.ErrRejected):
			// The platform refused the payload, not the message: it is
			// still there, as it was.
			shows[p.key()] = true
		case bot.IsPermanent(err):
			lost = append(lost, p)
		default:
			errs = append(errs, err)
		}
	}
	done := map[string]bool{}
	for _, p := range lost {
		if shows[p.key()] || done[p.key()] {
			continue
		}
		done[p.key()] = true
		f.log.Warn("a safety alert's message is gone; posting it again", "alert", a.ID, "stage", p.stage)
		if err := f.repost(ctx, g, a, p); err != nil {
			errs = append(errs, err)
			continue
		}
		reposted = reposted || p.stage == 1
	}
	return reposted, errors.Join(errs...)
}

// alertPlace is where one message of an alert went: stage 1 the
// facilitators (their channel or DMs, all one place), 2 one other
// facilitator's DM, 3 one owner's DM (who).
type alertPlace struct {
	stage int
	who   string
}

func (p alertPlace) key() string { return fmt.Sprintf("%d/%s", p.stage, p.who) }

// placeOf reads an alert message's key (after the alert's prefix):
// "post", "post/<user>", "others/<user>", "owners/<user>", and the same
// again with "~<signal>/" after the first part for a message posted again.
// Other keys (notes to the taker, new-message posts) are not the alert.
func placeOf(rest string) (alertPlace, bool) {
	head, tail, _ := strings.Cut(rest, "/")
	if strings.HasPrefix(tail, "~") {
		_, tail, _ = strings.Cut(tail, "/")
	}
	switch head {
	case "post":
		return alertPlace{stage: 1}, true
	case "others":
		return alertPlace{stage: 2, who: tail}, tail != ""
	case "owners":
		return alertPlace{stage: 3, who: tail}, tail != ""
	}
	return alertPlace{}, false
}

// repost sends alert a again to place p, whose messages are gone, keyed
// by its signal count: once per signal however often it is retried.
func (f *Feature) repost(ctx context.Context, g bot.Group, a bot.SafetyAlert, p alertPlace) error {
	msg, err := f.alertMessage(ctx, g, a, p.stage)
	if err != nil {
		return err
	}
	again := "~" + strconv.Itoa(a.Signals)
	if p.stage == 1 && g.ID != 0 {
		_, err := f.b.AlertFacilitators(ctx, g, alertPrefix(a.ID)+"post/"+again, msg)
		return err
	}
	kind := "others/"
	if p.stage == 3 {
		kind = "owners/"
	}
	dm := bot.DM(alertPrefix(a.ID)+kind+again+"/"+p.who, a.Platform, bot.UserID(p.who), msg)
	dm.Urgent = true
	if _, err := f.send.Send(ctx, dm); err != nil && !bot.IsPermanent(err) {
		return err
	}
	return nil
}

// pingEvery is how often, at most, a later signal on an alert nobody has
// taken is announced by a new post; signals within it are one post, at
// its end.
const pingEvery = time.Minute

// ping tells the alert's facilitators (its first place) by a short new
// post that the member of an alert nobody has taken sent something new,
// since an edit of the alert notifies nobody. Posts are coalesced: at
// most one per pingEvery, counted from the alert itself; a signal within
// it is held back by a durable job to the end of it, never dropped. What
// was announced is read from the posts sent (their keys), so that a
// restart neither repeats nor loses one.
func (f *Feature) ping(ctx context.Context, g bot.Group, a bot.SafetyAlert) error {
	prefix := alertPrefix(a.ID) + "new/"
	sent, err := f.st.SentMessages(ctx, prefix)
	if err != nil {
		return err
	}
	last, lastAt := 1, a.OpenedAt
	for _, e := range sent {
		head, _, _ := strings.Cut(strings.TrimPrefix(e.Key, prefix), "/")
		if n, err := strconv.Atoi(head); err == nil && n > last {
			last = n
		}
		if e.SentAt.After(lastAt) {
			lastAt = e.SentAt
		}
	}
	if a.Signals <= last {
		return nil
	}
	if due := lastAt.Add(pingEvery); f.clock.Now().Before(due) {
		_, err := f.r.Enqueue(ctx, bot.Job{Kind: KindPing, Key: jobKey(KindPing, a.ID, last), GroupID: a.GroupID, DueAt: due,
			Payload: payload(jobPayload{Alert: a.ID})})
		return err
	}
	who := f.memberLabel(ctx, g, a)
	msg := bot.Message{
		Title: fmt.Sprintf("New message — alert #%d, nobody on it yet", a.ID),
		Text: fmt.Sprintf("%s sent tend something new at %s (%d messages since %s). The alert is updated with the latest; "+
			"press \"I'm on it\" there once someone has reached out.", who, bot.Time(a.LastAt, bot.TimeClock), a.Signals, bot.Time(a.OpenedAt, bot.TimeClock)),
	}
	key := prefix + strconv.Itoa(a.Signals)
	if g.ID == 0 {
		_, err := f.tellOwners(ctx, a, key+"/", msg)
		return err
	}
	if _, err := f.b.AlertFacilitators(ctx, g, key, msg); err != nil {
		return err
	}
	// Those the alert was escalated to, because nobody in the channel took
	// it, may not watch the channel: they are told directly too.
	if a.Stage >= 2 {
		others, err := f.st.SentMessages(ctx, alertPrefix(a.ID)+"others/")
		if err != nil {
			return err
		}
		var errs []error
		told := map[string]bool{}
		for _, e := range others {
			p, ok := placeOf(strings.TrimPrefix(e.Key, alertPrefix(a.ID)))
			if !ok || p.stage != 2 || told[p.who] {
				continue
			}
			told[p.who] = true
			dm := bot.DM(key+"/others/"+p.who, g.Address.Platform, bot.UserID(p.who), msg)
			dm.Urgent = true
			if _, err := f.send.Send(ctx, dm); err != nil && !bot.IsPermanent(err) {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	if a.Stage >= 3 {
		_, err := f.tellOwners(ctx, a, key+"/owners/", msg)
		return err
	}
	return nil
}

// untakenAlert reads the alert a job is about and locks it, for a job
// that acts only while nobody has taken it. done is set, and nothing is
// locked, when the alert is no longer kept or was taken; otherwise the
// caller calls unlock when it is finished with the alert.
func (f *Feature) untakenAlert(ctx context.Context, j bot.Job) (p jobPayload, a bot.SafetyAlert, unlock func(), done *bot.JobResult, err error) {
	if p, err = readPayload(j); err != nil {
		return p, a, nil, nil, err
	}
	if unlock, err = f.lockAlert(ctx, p.Alert); err != nil {
		return p, a, nil, nil, err
	}
	a, err = f.st.SafetyAlert(ctx, p.Alert)
	switch {
	case errors.Is(err, bot.ErrNotFound):
		unlock()
		return p, a, nil, &bot.JobResult{State: bot.JobSkipped, Note: "the alert is no longer kept"}, nil
	case err != nil:
		unlock()
		return p, a, nil, nil, err
	case a.Taken():
		unlock()
		return p, a, nil, &bot.JobResult{State: bot.JobSkipped, Note: "taken by " + string(a.TakenBy)}, nil
	}
	return p, a, unlock, nil, nil
}

// runPing posts the new-message note an alert's later signal was held
// back for (see ping), unless the alert was taken or deleted meanwhile.
func (f *Feature) runPing(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	_, a, unlock, done, err := f.untakenAlert(ctx, j)
	if err != nil {
		return bot.JobResult{}, err
	}
	if done != nil {
		return *done, nil
	}
	defer unlock()
	var g bot.Group
	if a.GroupID != 0 {
		if g, err = f.st.GroupByID(ctx, a.GroupID); errors.Is(err, bot.ErrNotFound) {
			return bot.JobResult{State: bot.JobSkipped, Note: "the group no longer exists"}, nil
		} else if err != nil {
			return bot.JobResult{}, err
		}
	}
	if err := f.ping(ctx, g, a); err != nil {
		return bot.JobResult{}, err
	}
	return bot.JobResult{Note: "new message posted"}, nil
}

// tellTaker DMs the facilitator who took an alert about its signal n.
func (f *Feature) tellTaker(ctx context.Context, g bot.Group, a bot.SafetyAlert, n int) error {
	if a.TakenBy.IsRole() || a.TakenBy.Kind() != a.Platform {
		return nil
	}
	who := f.memberLabel(ctx, g, a)
	text := fmt.Sprintf("%s sent tend something new at %s (signal %d). ", who, bot.Time(a.LastAt, bot.TimeClock), n)
	if g.Privacy != bot.PrivacyMinimal && a.LatestWords != "" {
		text += "They wrote: " + quote(a.LatestWords)
	} else if a.LatestLevel != "" {
		text += "They answered " + a.LatestLevel + " on a check-in."
	}
	dm := bot.DM(alertPrefix(a.ID)+"taker/"+strconv.Itoa(n), a.Platform, bot.UserID(a.TakenBy.ID()), bot.Message{Title: "While you're on it", Text: text})
	dm.Urgent = true
	_, err := f.send.Send(ctx, dm)
	if bot.IsPermanent(err) {
		return nil // their DMs are closed; the edited alert shows it
	}
	return err
}

// tellOwners DMs the alert to the owners on its platform, each once under
// prefix; it returns how many were reached.
func (f *Feature) tellOwners(ctx context.Context, a bot.SafetyAlert, prefix string, msg bot.Message) (int, error) {
	n := 0
	var errs []error
	for _, o := range f.b.Owners() {
		if o.IsRole() || o.Kind() != a.Platform {
			continue
		}
		dm := bot.DM(prefix+o.ID(), a.Platform, bot.UserID(o.ID()), msg)
		dm.Urgent = true
		if _, err := f.send.Send(ctx, dm); err != nil {
			if !bot.IsPermanent(err) {
				errs = append(errs, err)
			}
			continue
		}
		n++
	}
	if n == 0 && len(errs) == 0 {
		f.log.Error("a safety alert reached no owner: none is configured on its platform, or their DMs are closed", bot.KeyPlatform, a.Platform, "alert", a.ID)
	}
	return n, errors.Join(errs...)
}

// memberLabel names the alert's member for the facilitators: a roster
// code under privacy: minimal, else their name or a mention.
func (f *Feature) memberLabel(ctx context.Context, g bot.Group, a bot.SafetyAlert) string {
	if g.ID == 0 {
		return bot.Mention(a.Platform, a.User)
	}
	return f.label(ctx, g, a.User)
}

func quote(s string) string {
	return "“" + strings.ReplaceAll(clip(s, 900), "\n", " ") + "”"
}

// alertMessage is the alert as the facilitators (stage 1), the other
// facilitators (2) or the owners (3) read it.
func (f *Feature) alertMessage(ctx context.Context, g bot.Group, a bot.SafetyAlert, stage int) (bot.Message, error) {
	who := f.memberLabel(ctx, g, a)
	source := "in a direct message to tend"
	if a.LatestSource == sourceCheckIn {
		source = "in a check-in answer"
	}
	var b strings.Builder
	switch {
	case g.ID == 0:
		fmt.Fprintf(&b, "%s, who is in none of tend's groups, sent tend something that may mean they are at risk, %s, %s.", who, source, bot.Time(a.LastAt, bot.TimeShort))
	default:
		fmt.Fprintf(&b, "%s in group %s sent tend something that may mean they are at risk, %s, %s.", who, g.Name, source, bot.Time(a.LastAt, bot.TimeShort))
	}
	switch {
	case g.Privacy == bot.PrivacyMinimal:
		b.WriteString("\nTheir words are not shown here (the group has privacy: minimal): ask them directly.")
	case a.LatestWords != "":
		b.WriteString("\nThey wrote: " + quote(a.LatestWords))
	case a.LatestLevel != "":
		b.WriteString("\nThey answered: " + a.LatestLevel + ".")
	}
	m := bot.Message{Title: "Safety alert — a member may be at risk", Text: b.String()}
	if stage == 2 {
		m.Title = "Safety alert, not taken yet — a member may be at risk"
	}
	if stage == 3 {
		m.Title = "Safety alert for the owners — nobody has taken it"
	}
	m.Fields = append(m.Fields, bot.Field{Name: "Kind of sign", Value: strings.Join(a.Families, "; ")})
	if a.Signals > 1 {
		m.Fields = append(m.Fields, bot.Field{Name: "Messages", Value: fmt.Sprintf("%d since %s; the latest %s", a.Signals, bot.Time(a.OpenedAt, bot.TimeClock), bot.Time(a.LastAt, bot.TimeClock)), Inline: true})
	}
	if a.Taken() {
		m.Fields = append(m.Fields, bot.Field{Name: "On it", Value: fmt.Sprintf("%s since %s", principalLabel(a.TakenBy), bot.Time(a.TakenAt, bot.TimeClock)), Inline: true})
	} else {
		m.Fields = append(m.Fields, bot.Field{Name: "What to do now", Value: "Reach out to them directly, soon. If you think they are in immediate danger, contact emergency services. " +
			"Press \"I'm on it\" so that the others know someone has it."})
		m.Buttons = []bot.Button{{Label: "I'm on it", Style: bot.ButtonDanger, Action: bot.Action{Name: ActionTake, Ref: strconv.FormatInt(a.ID, 10)}}}
	}
	m.Footer = "tend does not diagnose. It answers them privately with the crisis resources. Private to the facilitators: never post this in the group."
	if g.ID == 0 {
		m.Footer = "tend does not diagnose. It answers them privately with the crisis resources; there is no group facilitator to tell."
	}
	return m, nil
}

// principalLabel names a facilitator in an alert.
func principalLabel(p bot.Principal) string {
	if p.IsRole() || p.Kind() == "system" {
		return string(p)
	}
	return bot.Mention(p.Kind(), bot.UserID(p.ID()))
}

// runEscalate takes an alert nobody has taken further: at stage 2 to the
// group's facilitators who were not messaged directly yet (when the alert
// went to their channel), at stage 3 to the owners.
func (f *Feature) runEscalate(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p, a, unlock, done, err := f.untakenAlert(ctx, j)
	if err != nil {
		return bot.JobResult{}, err
	}
	if done != nil {
		return *done, nil
	}
	defer unlock()
	g, err := f.st.GroupByID(ctx, a.GroupID)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the group no longer exists"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	s, err := f.settings(ctx, g.ID)
	if err != nil {
		return bot.JobResult{}, err
	}
	stage := p.Stage
	if stage == 2 {
		n, err := f.tellOtherFacilitators(ctx, g, a)
		if err != nil {
			return bot.JobResult{}, err
		}
		if n > 0 {
			if err := f.st.SetSafetyAlertStage(ctx, a.ID, 2); err != nil {
				return bot.JobResult{}, err
			}
			next := bot.Job{Kind: KindEscalate, Key: jobKey(KindEscalate, a.ID, 3), GroupID: a.GroupID, DueAt: f.clock.Now().Add(s.EscalateAfter),
				Payload: payload(jobPayload{Alert: a.ID, Stage: 3})}
			if _, err := f.r.Enqueue(ctx, next); err != nil {
				return bot.JobResult{}, err
			}
			f.log.Warn("a safety alert was not taken; told the other facilitators", bot.KeyGroup, g.Name, "alert", a.ID, "facilitators", n)
			return bot.JobResult{Note: fmt.Sprintf("not taken: sent to %d facilitators directly", n)}, nil
		}
		// Everyone was messaged directly already: the owners now.
	}
	msg, err := f.alertMessage(ctx, g, a, 3)
	if err != nil {
		return bot.JobResult{}, err
	}
	msg.Text = fmt.Sprintf("Nobody has said they are on this alert of group %s since %s.\n\n", g.Name, bot.Time(a.OpenedAt, bot.TimeClock)) + msg.Text
	n, err := f.tellOwners(ctx, a, alertPrefix(a.ID)+"owners/", msg)
	if err != nil {
		return bot.JobResult{}, err
	}
	if err := f.st.SetSafetyAlertStage(ctx, a.ID, 3); err != nil {
		return bot.JobResult{}, err
	}
	f.log.Warn("a safety alert was not taken; told the owners", bot.KeyGroup, g.Name, "alert", a.ID, "owners", n)
	return bot.JobResult{Note: fmt.Sprintf("not taken: sent to %d owners", n)}, nil
}

// tellOtherFacilitators DMs the alert to the group's facilitators who
// were not messaged directly when it was raised (it went to their
// channel); it returns how many were reached.
func (f *Feature) tellOtherFacilitators(ctx context.Context, g bot.Group, a bot.SafetyAlert) (int, error) {
	sent, err := f.st.SentMessages(ctx, alertPrefix(a.ID)+"post")
	if err != nil {
		return 0, err
	}
	direct := map[string]bool{}
	inChannel := false
	for _, e := range sent {
		rest := strings.TrimPrefix(e.Key, alertPrefix(a.ID)+"post")
		if rest == "" {
			inChannel = true
		}
		direct[strings.TrimPrefix(rest, "/")] = true
	}
	if !inChannel {
		return 0, nil
	}
	msg, err := f.alertMessage(ctx, g, a, 2)
	if err != nil {
		return 0, err
	}
	msg.Text = fmt.Sprintf("Nobody has said they are on this alert in the facilitators' channel since %s.\n\n", bot.Time(a.OpenedAt, bot.TimeClock)) + msg.Text
	n := 0
	var errs []error
	for _, p := range g.Facilitators {
		if p.IsRole() || p.Kind() != g.Address.Platform || direct[p.ID()] {
			continue
		}
		dm := bot.DM(alertPrefix(a.ID)+"others/"+p.ID(), g.Address.Platform, bot.UserID(p.ID()), msg)
		dm.Urgent = true
		if _, err := f.send.Send(ctx, dm); err != nil {
			if !bot.IsPermanent(err) {
				errs = append(errs, err)
			}
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// take records that a facilitator is on an alert ("I'm on it") and shows
// it in every message about the alert.
func (f *Feature) take(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	id, err := strconv.ParseInt(req.Action.Ref, 10, 64)
	if err != nil {
		return nil, bot.Errorf("This button is not valid. Use the alert's own message.")
	}
	a, err := f.st.SafetyAlert(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, bot.Errorf("This alert is no longer kept (alerts are deleted after the group's retention period).")
	} else if err != nil {
		return nil, err
	}
	var g bot.Group
	if a.GroupID != 0 {
		if g, err = f.st.GroupByID(ctx, a.GroupID); err != nil {
			return nil, err
		}
	}
	allowed := req.Owner || (g.ID != 0 && g.IsFacilitator(req.Actor))
	if !allowed {
		f.log.Warn("refused \"I'm on it\" from someone who does not facilitate the group", bot.KeyUser, string(req.Actor.ID), "alert", a.ID)
		return nil, bot.Errorf("Only the facilitators of the member's group (and the bot's owners) can take this alert.")
	}
	a, took, err := f.st.TakeSafetyAlert(ctx, id, req.Actor.Principal(), req.Now)
	if err != nil {
		return nil, err
	}
	if !took {
		return []bot.Outbound{bot.Reply(fmt.Sprintf("%s is already on it, since %s. You can still reach out too.", principalLabel(a.TakenBy), bot.Time(a.TakenAt, bot.TimeClock)))}, nil
	}
	f.log.Info("safety alert taken", bot.KeyGroup, g.Name, "alert", a.ID)
	if err := f.refresh(ctx, id); err != nil {
		f.log.Warn("showing that an alert was taken failed", "alert", a.ID, bot.KeyErr, err)
	}
	who := f.memberLabel(ctx, g, a)
	if g.Privacy == bot.PrivacyMinimal {
		if m, err := f.st.MemberByUser(ctx, g.ID, a.User); err != nil || m.Code == "" {
			// Someone the roster gives no code: only the facilitator who
			// took the alert learns who, in this private reply, so that
			// they can reach them; the alert itself never names them.
			who += ", who is " + bot.Mention(a.Platform, a.User)
		}
	}
	return []bot.Outbound{bot.Reply(fmt.Sprintf("Thank you — the others can see you're on it. Reach out to %s directly; if you think they are in immediate danger, contact emergency services.", who))}, nil
}
