package checkins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// onEvent examines direct messages to the bot. It never logs what they
// say.
func (f *Feature) onEvent(ctx context.Context, ev bot.Event) ([]bot.Outbound, error) {
	dm, ok := ev.(*bot.DirectMessage)
	if !ok {
		return nil, nil
	}
	res := f.lexicon.Load().Examine(dm.Text)
	if !res.Signal() {
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
	// groups' channels looked in: those platform calls would otherwise
	// take their turn in the urgent lane before the next member's alert.
	var r raised
	groups, err := f.st.GroupsOfUser(ctx, platform, user)
	if err != nil {
		f.log.Error("reading the groups of a member who wrote to tend failed", bot.KeyPlatform, platform, bot.KeyErr, err)
	}
	if len(groups) == 0 {
		if groups, err = f.inChannels(ctx, platform, user, nil); err != nil {
			f.log.Error("finding the groups of a member who wrote to tend failed", bot.KeyPlatform, platform, bot.KeyErr, err)
		}
	}
	if len(groups) > 0 {
		r.add(f.raise(ctx, groups, sig))
	} else {
		// In no group tend can find (or it could not tell): the owners.
		r.add(f.raise(ctx, nil, sig))
	}
	return []bot.Outbound{f.replyFor(r, false)}, nil
}

// inspectWorkers bounds the platform calls one DM makes at once to find
// the sender's groups.
const inspectWorkers = 8

// inChannels returns the groups on platform, other than those in skip,
// whose channel has user, where the platform can tell; at most maxInspect
// groups are asked about.
func (f *Feature) inChannels(ctx context.Context, platform string, user bot.UserID, skip []bot.Group) ([]bot.Group, error) {
	ins, ok := f.inspector(platform)
	if !ok {
		return nil, nil
	}
	all, err := f.st.GroupsOnPlatform(ctx, platform)
	if err != nil {
		return nil, err
	}
	var ask []bot.Group
	for _, g := range all {
		if slices.ContainsFunc(skip, func(h bot.Group) bool { return h.ID == g.ID }) {
			continue
		}
		if len(ask) == maxInspect {
			f.log.Warn("looked for a member in the channels of the first groups only", bot.KeyPlatform, platform, "groups", len(all), "checked", maxInspect)
			break
		}
		ask = append(ask, g)
	}
	in := make([]bool, len(ask))
	errs := make([]error, len(ask))
	sem := make(chan struct{}, inspectWorkers)
	var wg sync.WaitGroup
	for i, g := range ask {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			in[i], errs[i] = ins.InChannel(ctx, g.Address, user)
		})
	}
	wg.Wait()
	var out []bot.Group
	for i, g := range ask {
		if in[i] {
			out = append(out, g)
		}
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

// raised is what raising a signal did: how many alerts recorded it, how
// many of them are new, and the groups whose facilitators were told.
type raised struct {
	recorded, opened int
	names            []string
}

func (r *raised) add(o raised) {
	r.recorded += o.recorded
	r.opened += o.opened
	r.names = append(r.names, o.names...)
}

// raise records a signal in each of groups (with none, for the owners)
// and delivers each alert at once, ahead of bulk work.
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
		a, isNew, err := f.st.RecordSignal(ctx, s, SignalWindow, f.alertJobs(escalate))
		if err != nil {
			f.log.Error("recording a safety signal failed", bot.KeyGroup, g.Name, bot.KeyErr, err)
			continue
		}
		r.recorded++
		if isNew {
			r.opened++
		}
		if g.ID != 0 {
			r.names = append(r.names, g.Name)
		}
		f.log.Info("safety signal", bot.KeyGroup, g.Name, "alert", a.ID, "signals", a.Signals, "source", s.Source, "families", len(s.Families))
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deliverTimeout)
		if err := f.deliverAlert(dctx, a.ID, a.Signals); err != nil {
			f.log.Warn("delivering a safety alert failed; its job will try again", "alert", a.ID, bot.KeyErr, err)
		}
		cancel()
		f.r.Notify()
	}
	return r
}

// replyFor is the member's private reply after raising: the careful reply
// for a new situation, a short acknowledgement for a later signal of the
// same one, and an honest word with the resources when nothing could be
// recorded. level: the signal was a level answer.
func (f *Feature) replyFor(r raised, level bool) bot.Outbound {
	told := "the people who run this bot"
	if len(r.names) > 0 {
		told = "your facilitators in " + strings.Join(r.names, " and ")
	}
	var msg bot.Message
	switch {
	case r.recorded == 0:
		msg = f.notPassedOn()
	case r.opened > 0:
		msg = f.carefulReply(told, level)
	default:
		msg = f.acknowledgement(told)
	}
	out := bot.ReplyMessage(msg)
	out.Urgent = true
	return out
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

// runAlert makes sure signal n of an alert reached the facilitators.
func (f *Feature) runAlert(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	if err := f.deliverAlert(ctx, p.Alert, p.Signal); errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the alert is no longer kept"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	return bot.JobResult{Note: "delivered"}, nil
}

// deliverAlert brings the alert's messages up to date for its signal n:
// the first delivery (the facilitators, or the owners for a sender in no
// group), each in the urgent lane and once by its key; then, for a later
// signal or a taken alert, an edit of every message with the count, the
// latest words and time; and for a signal after someone took it, a DM to
// them. Safe to repeat.
func (f *Feature) deliverAlert(ctx context.Context, id int64, n int) error {
	unlock, err := f.lockAlert(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	a, err := f.st.SafetyAlert(ctx, id)
	if err != nil {
		return err
	}
	var g bot.Group
	if a.GroupID != 0 {
		if g, err = f.st.GroupByID(ctx, a.GroupID); err != nil {
			return err
		}
	}
	msg, err := f.alertMessage(ctx, g, a, 1)
	if err != nil {
		return err
	}
	if a.GroupID == 0 {
		if _, err := f.tellOwners(ctx, a, alertPrefix(a.ID)+"owners/", msg); err != nil {
			return err
		}
	} else {
		r, err := f.b.AlertFacilitators(ctx, g, alertPrefix(a.ID)+"post", msg)
		if err != nil {
			return fmt.Errorf("alert the facilitators: %w", err)
		}
		if !r.Reached() {
			f.log.Error("a safety alert reached nobody: the group has no reachable facilitator and no owner on its platform", bot.KeyGroup, g.Name, "alert", a.ID)
		}
		if r.Sent > 0 {
			// The alert's first delivery, timed from when the signal that
			// opened it was recorded, for the operator's metrics.
			f.obs.AlertDelivered(f.clock.Now().Sub(a.OpenedAt))
		}
	}
	if a.Signals > 1 || a.Taken() {
		if err := f.editAlert(ctx, g, a); err != nil {
			return err
		}
	}
	if a.Taken() && n > 1 && a.TakenAt.Before(a.LastAt.Add(time.Second)) {
		if err := f.tellTaker(ctx, g, a, n); err != nil {
			return err
		}
	}
	return nil
}

// editAlert shows the alert as it stands in every message tend sent about
// it.
func (f *Feature) editAlert(ctx context.Context, g bot.Group, a bot.SafetyAlert) error {
	sent, err := f.st.SentMessages(ctx, alertPrefix(a.ID))
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range sent {
		rest := strings.TrimPrefix(e.Key, alertPrefix(a.ID))
		stage := 1
		switch {
		case strings.HasPrefix(rest, "others/"):
			stage = 2
		case strings.HasPrefix(rest, "owners/"):
			stage = 3
		case rest == "post" || strings.HasPrefix(rest, "post/"):
		default:
			continue // a note to the taker, not the alert
		}
		if e.Ref.IsZero() {
			continue
		}
		msg, err := f.alertMessage(ctx, g, a, stage)
		if err != nil {
			return err
		}
		edit := bot.Edit(e.Ref, msg)
		edit.Urgent = true
		if _, err := f.send.Send(ctx, edit); err != nil && !bot.IsPermanent(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
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
	m.Footer = "tend does not diagnose. They were answered privately with the crisis resources. Private to the facilitators: never post this in the group."
	if g.ID == 0 {
		m.Footer = "tend does not diagnose. They were answered privately with the crisis resources; there is no group facilitator to tell."
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
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	unlock, err := f.lockAlert(ctx, p.Alert)
	if err != nil {
		return bot.JobResult{}, err
	}
	defer unlock()
	a, err := f.st.SafetyAlert(ctx, p.Alert)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the alert is no longer kept"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	if a.Taken() {
		return bot.JobResult{State: bot.JobSkipped, Note: "taken by " + string(a.TakenBy)}, nil
	}
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
	f.log.Info("safety alert taken", bot.KeyGroup, g.Name, "alert", a.ID, bot.KeyUser, string(req.Actor.ID))
	unlock, err := f.lockAlert(ctx, id)
	if err != nil {
		return nil, err
	}
	err = f.editAlert(ctx, g, a)
	unlock()
	if err != nil {
		f.log.Warn("showing that an alert was taken failed", "alert", a.ID, bot.KeyErr, err)
	}
	who := f.memberLabel(ctx, g, a)
	return []bot.Outbound{bot.Reply(fmt.Sprintf("Thank you — the others can see you're on it. Reach out to %s directly; if you think they are in immediate danger, contact emergency services.", who))}, nil
}
