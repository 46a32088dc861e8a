package checkins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/schedule"
)

// jobPayload is the payload of the feature's jobs: ids only, never
// anything a member wrote.
type jobPayload struct {
	CheckIn int64 `json:"c,omitempty"`
	Alert   int64 `json:"a,omitempty"`
	Signal  int   `json:"n,omitempty"`
	Stage   int   `json:"s,omitempty"`
	Gen     int64 `json:"g,omitempty"`
	At      int64 `json:"t,omitempty"`
}

func payload(p jobPayload) []byte {
	b, _ := json.Marshal(p) // numbers only
	return b
}

func readPayload(j bot.Job) (jobPayload, error) {
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return p, bot.Rejected("job %s has an unreadable payload", j.Key)
	}
	return p, nil
}

// onSession opens the group's check-in at the start of a session, when it
// has one.
func (f *Feature) onSession(ctx context.Context, ev *bot.SessionEvent) ([]bot.Outbound, error) {
	s, err := f.settings(ctx, ev.Group.ID)
	if err != nil || s.AtStart == nil {
		return nil, err
	}
	now := f.clock.Now()
	if !now.Before(ev.Session.End) {
		return nil, nil // over before tend could ask
	}
	spec := *s.AtStart
	if end := ev.Session.End.Sub(now); spec.Window > end {
		// The window ends with the session at the latest.
		spec.Window = end
	}
	_, _, err = f.open(ctx, ev.Group, bot.OriginStart, "start/"+strconv.FormatInt(ev.Session.ID, 10), ev.Session.ID, spec, now, now)
	return nil, err
}

// open asks a check-in: it stores the check-in, who is asked, and its jobs
// (asking at askAt, closing at the end of its window, the nudge halfway)
// in one transaction. The same key opens nothing new.
func (f *Feature) open(ctx context.Context, g bot.Group, origin, key string, sessionID int64, spec bot.CheckInSpec, now, askAt time.Time) (bot.CheckIn, bool, error) {
	asked, err := f.whoToAsk(ctx, g, now)
	if err != nil {
		if spec.Delivery == bot.DeliverDM {
			return bot.CheckIn{}, false, fmt.Errorf("who to ask in group %s: %w", g.Name, err)
		}
		// In the channel everyone sees the question anyway; only the
		// summary's "did not answer" is the poorer.
		f.log.Warn("could not list the group's members for a check-in; asking in the channel anyway", bot.KeyGroup, g.Name, bot.KeyErr, err)
	}
	if spec.Window <= 0 {
		spec.Window = DefaultStartWindow
	}
	// privacy: minimal keeps typed words out on every path, also for a
	// word or text check-in set before the group became minimal, or set in
	// chat and kept by a file that does not declare check-ins: a traffic
	// check-in is asked instead, and the facilitators are told why.
	var instead bot.CheckInKind
	if g.Privacy == bot.PrivacyMinimal && spec.Kind.FreeText() {
		instead = spec.Kind
		spec.Kind, spec.Prompt, spec.Choices = bot.CheckInTraffic, defaultPrompt(bot.CheckInTraffic, origin == bot.OriginBetween), nil
	}
	c := bot.CheckIn{GroupID: g.ID, SessionID: sessionID, Origin: origin, Key: key, Spec: spec, OpenedAt: now, ClosesAt: now.Add(spec.Window)}
	c, created, err := f.st.OpenCheckIn(ctx, c, asked, func(c bot.CheckIn) []bot.Job {
		p := payload(jobPayload{CheckIn: c.ID})
		jobs := []bot.Job{
			{Kind: KindDeliver, Key: jobKey(KindDeliver, c.ID), GroupID: g.ID, SessionID: sessionID, DueAt: askAt, Payload: p},
			{Kind: KindClose, Key: jobKey(KindClose, c.ID), GroupID: g.ID, SessionID: sessionID, DueAt: c.ClosesAt, Payload: p},
		}
		if spec.Nudge {
			jobs = append(jobs, bot.Job{Kind: KindNudge, Key: jobKey(KindNudge, c.ID), GroupID: g.ID, SessionID: sessionID, DueAt: now.Add(spec.Window / 2), Payload: p})
		}
		return jobs
	})
	if err != nil {
		return bot.CheckIn{}, false, err
	}
	if created {
		f.r.Notify()
		f.log.Info("check-in opened", bot.KeyGroup, g.Name, "checkin", c.ID, "origin", origin, "asked", len(asked), "delivery", spec.Delivery)
	}
	if instead != "" {
		f.tellMinimal(ctx, g, c, instead)
	}
	return c, created, nil
}

// tellMinimal tells the facilitators, once per check-in, that a word or
// text check-in was asked as traffic because the group keeps typed words
// out.
func (f *Feature) tellMinimal(ctx context.Context, g bot.Group, c bot.CheckIn, kind bot.CheckInKind) {
	at := "start"
	if c.Origin == bot.OriginBetween {
		at = "between"
	}
	msg := bot.Message{
		Title: "A check-in was asked without typed answers",
		Text: fmt.Sprintf("Group %s has privacy: minimal, which keeps typed answers out, so tend asked a traffic check-in (green, yellow, red) instead of the %s check-in it has set. "+
			"To ask one that fits, set it with /tend checkin schedule at:%s kind:traffic (or scale, or choice), or in %s when the group's check-ins are set there.", g.Name, kind, at, f.configFile),
	}
	if _, err := f.b.TellFacilitators(ctx, g, checkInPrefix(c.ID)+"minimal", msg); err != nil {
		f.log.Warn("telling the facilitators a check-in was asked without typed answers failed", bot.KeyGroup, g.Name, "checkin", c.ID, bot.KeyErr, err)
	}
}

// whoToAsk returns the people a check-in of g asks now: its members (the
// roster's accounts and the people in its channel) but not its
// facilitators, not members marked away, and not those who do not take
// part yet (norms the group requires, not agreed).
func (f *Feature) whoToAsk(ctx context.Context, g bot.Group, now time.Time) ([]bot.UserID, error) {
	people, err := f.b.People(ctx, g)
	if err != nil {
		return nil, err
	}
	var out []bot.UserID
	for _, m := range people {
		if m.User == "" || m.Status != bot.MemberActive || m.AwayUntil.After(now) {
			continue
		}
		if g.IsFacilitator(bot.User{Platform: g.Address.Platform, ID: m.User}) {
			continue
		}
		ok, why, err := f.b.TakesPart(ctx, g, m.User)
		if err != nil {
			return nil, err
		}
		if !ok {
			f.log.Debug("not asking a member who does not take part yet", bot.KeyGroup, g.Name, bot.KeyUser, string(m.User), "why", why)
			continue
		}
		if !slices.Contains(out, m.User) {
			out = append(out, m.User)
		}
	}
	return out, nil
}

// runDeliver asks a check-in's members: one post in the channel, or a DM
// to each. A DM that cannot be delivered (closed DMs) is recorded and the
// facilitators are told privately; the member is never named anywhere
// else.
func (f *Feature) runDeliver(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	return f.deliver(ctx, p.CheckIn)
}

// deliver asks check-in id's members (see runDeliver); it is safe to
// repeat, and one check-in is asked by one caller at a time.
func (f *Feature) deliver(ctx context.Context, id int64) (bot.JobResult, error) {
	unlock, err := f.checkInLocks.lock(ctx, id)
	if err != nil {
		return bot.JobResult{}, err
	}
	defer unlock()
	c, err := f.st.CheckIn(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the check-in no longer exists"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	now := f.clock.Now()
	if !c.Open(now) {
		return bot.JobResult{State: bot.JobMissed, Note: "the check-in closed before tend could ask (tend was not running)"}, nil
	}
	g, err := f.st.GroupByID(ctx, c.GroupID)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the group no longer exists"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	s, err := f.settings(ctx, g.ID)
	if err != nil {
		return bot.JobResult{}, err
	}
	if c.Spec.Delivery == bot.DeliverChannel {
		msg := f.promptMessage(g, c, s, true)
		if _, err := f.send.Send(ctx, bot.Post(checkInPrefix(c.ID)+"post", g.Address, msg)); err != nil {
			return bot.JobResult{}, fmt.Errorf("post check-in: %w", err)
		}
		return bot.JobResult{Note: "asked in the channel"}, nil
	}
	asked, err := f.st.CheckInAsked(ctx, c.ID)
	if err != nil {
		return bot.JobResult{}, err
	}
	var (
		sent    int
		closed  []bot.UserID
		retries []error
	)
	for _, a := range asked {
		switch a.State {
		case bot.AskedGone:
			continue
		case bot.AskedUndeliverable:
			closed = append(closed, a.User)
			continue
		}
		informed, err := f.st.Informed(ctx, g.ID, a.User)
		if err != nil {
			return bot.JobResult{}, err
		}
		dm := bot.DM(checkInPrefix(c.ID)+"dm/"+string(a.User), g.Address.Platform, a.User, f.promptMessage(g, c, s, !informed))
		if _, err := f.send.Send(ctx, dm); err != nil {
			if bot.IsPermanent(err) {
				// Closed DMs: never fall back to the channel.
				if err := f.st.SetAsked(ctx, c.ID, a.User, bot.AskedUndeliverable); err != nil {
					return bot.JobResult{}, err
				}
				closed = append(closed, a.User)
				continue
			}
			retries = append(retries, err)
			continue
		}
		sent++
		if !informed {
			if err := f.st.MarkInformed(ctx, g.ID, a.User, now); err != nil {
				return bot.JobResult{}, err
			}
		}
	}
	if err := errors.Join(retries...); err != nil {
		return bot.JobResult{}, fmt.Errorf("ask %d of %d members: %w", len(retries), len(asked), err)
	}
	note := fmt.Sprintf("asked %d by DM", sent)
	if len(closed) > 0 {
		note += fmt.Sprintf("; %d could not be reached (DMs closed)", len(closed))
		if err := f.tellUnreachable(ctx, g, c, closed, "undeliverable"); err != nil {
			return bot.JobResult{}, err
		}
	}
	return bot.JobResult{Note: note}, nil
}

// tellUnreachable tells the facilitators privately which members a
// check-in's DMs could not reach.
func (f *Feature) tellUnreachable(ctx context.Context, g bot.Group, c bot.CheckIn, users []bot.UserID, what string) error {
	labels := f.labels(ctx, g, users)
	verb := "asked"
	if what == "nudge" {
		verb = "reminded"
	}
	msg := bot.Message{
		Title: "Some members could not be " + verb + " privately",
		Text: fmt.Sprintf("tend could not send the check-in %q of group %s by direct message to: %s. Their DMs may be closed to the bot. "+
			"They were not asked anywhere else, so that nobody sees they are in this group: reach them another way if you need to, or ask them to allow DMs from the server's members.",
			c.Spec.Prompt, g.Name, strings.Join(labels, ", ")),
	}
	if _, err := f.b.TellFacilitators(ctx, g, checkInPrefix(c.ID)+what, msg); err != nil {
		return fmt.Errorf("tell the facilitators who could not be reached: %w", err)
	}
	return nil
}

// labels names members as the facilitators see them: a roster code under
// privacy: minimal, else their name or a mention.
func (f *Feature) labels(ctx context.Context, g bot.Group, users []bot.UserID) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = f.label(ctx, g, u)
	}
	return out
}

// label names member u of g for the facilitators: under privacy:
// minimal their roster code, or, for someone with none (in the group's
// channel, not on its roster), a stable pseudonymous code — never their
// name or a mention; else their name or a mention.
func (f *Feature) label(ctx context.Context, g bot.Group, u bot.UserID) string {
	m, err := f.st.MemberByUser(ctx, g.ID, u)
	if err != nil {
		m = bot.Member{User: u}
	}
	if g.Privacy == bot.PrivacyMinimal && m.Code == "" && m.User != "" {
		return "a member not on the roster (" + f.b.Codec().Pseudonym("checkins/group/"+strconv.FormatInt(g.ID, 10), string(u)) + ")"
	}
	return m.Label(g.Address.Platform, g.Privacy)
}

// runBetween opens a between-session check-in and schedules the next one
// of the same schedule: the chain of durable jobs that keeps the
// check-in's own cron.
func (f *Feature) runBetween(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	g, err := f.st.GroupByID(ctx, j.GroupID)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the group no longer exists"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	s, err := f.settings(ctx, g.ID)
	if err != nil {
		return bot.JobResult{}, err
	}
	if s.Between == nil || s.Generation != p.Gen {
		return bot.JobResult{State: bot.JobSkipped, Note: "the check-in's schedule changed"}, nil
	}
	now := f.clock.Now()
	due := time.Unix(p.At, 0).UTC()
	// The next of the chain first, so that the chain never breaks.
	if next, ok := f.nextBetween(g, s, due); ok {
		if _, err := f.r.Enqueue(ctx, next); err != nil {
			return bot.JobResult{}, fmt.Errorf("schedule the next check-in: %w", err)
		}
	}
	spec := *s.Between
	if now.Sub(due) >= spec.Window {
		return bot.JobResult{State: bot.JobMissed, Note: "its window had passed before tend was running again"}, nil
	}
	spec.Window -= now.Sub(due)
	c, _, err := f.open(ctx, g, bot.OriginBetween, "between/"+strconv.FormatInt(g.ID, 10)+"/"+strconv.FormatInt(p.At, 10), 0, spec, now, now)
	if err != nil {
		return bot.JobResult{}, err
	}
	return bot.JobResult{Note: fmt.Sprintf("opened check-in %d", c.ID)}, nil
}

// nextBetween returns the job of the group's next between-session
// check-in after t, when it has one.
func (f *Feature) nextBetween(g bot.Group, s bot.CheckInSettings, t time.Time) (bot.Job, bool) {
	if s.Between == nil {
		return bot.Job{}, false
	}
	loc, err := g.Location()
	if err != nil {
		return bot.Job{}, false
	}
	c, err := schedule.ParseCron(s.Between.Cron, loc)
	if err != nil {
		f.log.Warn("a between-session check-in's cron no longer reads", bot.KeyGroup, g.Name, bot.KeyErr, err)
		return bot.Job{}, false
	}
	at, ok := c.Next(t)
	if !ok {
		return bot.Job{}, false
	}
	return bot.Job{Kind: KindBetween, Key: jobKey(KindBetween, g.ID, s.Generation, at.Unix()), GroupID: g.ID, DueAt: at,
		Payload: payload(jobPayload{Gen: s.Generation, At: at.Unix()})}, true
}

// onMemberGone stops a member's nudges and takes them off the open
// check-ins' lists.
func (f *Feature) onMemberGone(ctx context.Context, ev *bot.MemberGone) ([]bot.Outbound, error) {
	return nil, f.st.MemberGoneFromCheckIns(ctx, ev.Group.ID, ev.User, f.clock.Now())
}
