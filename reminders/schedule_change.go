package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/schedule"
)

// KindScheduleChanged is the job that tells a group its schedule was
// replaced. Its key is KindScheduleChanged/<first cancelled session>; its
// post's outbox key replaced/<that session>.
const KindScheduleChanged = "reminders.schedule_changed"

// maxNoticeSessions bounds the sessions a schedule-change job carries; the
// notice names three and counts the rest.
const maxNoticeSessions = 100

// changePayload is a KindScheduleChanged job's data: the upcoming sessions
// the new schedule cancelled, the first maxNoticeSessions of them.
type changePayload struct {
	Sessions []int64 `json:"sessions"`
}

// replaceSeries stores ser as the group's series. When that replaces a
// schedule, the store cancels every scheduled session after now and
// enqueues, in the same transaction, each one's cancellation events and
// one KindScheduleChanged job, keyed by the first session cancelled, that
// tells the group what changed: members may have had its reminder already.
func (rm *Reminders) replaceSeries(ctx context.Context, g bot.Group, ser bot.Series, now time.Time) error {
	upcoming, err := rm.st.UpcomingSessions(ctx, g.ID, now, 1000)
	if err != nil {
		return err
	}
	var p changePayload
	for _, s := range upcoming {
		if s.Status == bot.SessionScheduled && s.Start.After(now) && len(p.Sessions) < maxNoticeSessions {
			p.Sessions = append(p.Sessions, s.ID)
		}
	}
	events := rm.cancelledEvents(g, "the schedule was replaced", now)
	onCancel := events
	if len(p.Sessions) > 0 {
		body, err := json.Marshal(p)
		if err != nil {
			return err
		}
		// The same job for every cancelled session: the store keeps the
		// first and finds the others equal.
		notice := bot.Job{Kind: KindScheduleChanged, Key: jobKey(KindScheduleChanged, slices.Min(p.Sessions), ""), GroupID: g.ID, DueAt: now, Payload: body}
		onCancel = func(s bot.Session) []bot.Job { return append(events(s), notice) }
	}
	if _, err := rm.st.SaveSeries(ctx, ser, now, onCancel); err != nil {
		return err
	}
	rm.runner.Notify()
	return nil
}

// runScheduleChanged posts the notice: which sessions of the old schedule
// will not take place (those whose time the new one does not keep) and
// when the group meets next.
func (rm *Reminders) runScheduleChanged(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	var p changePayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || len(p.Sessions) == 0 {
		return bot.JobResult{}, &bot.PermanentError{Reason: fmt.Sprintf("job %s has an unreadable payload", j.Key)}
	}
	g, err := rm.st.GroupByID(ctx, j.GroupID)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the group no longer exists"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	ser, err := rm.st.Series(ctx, g.ID)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the group has no schedule any more"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	loc, err := g.Location()
	if err != nil {
		return bot.JobResult{}, &bot.PermanentError{Reason: fmt.Sprintf("group %s has no usable time zone", g.Name)}
	}
	plan, err := schedule.ParsePlan(ser.Schedule, loc)
	if err != nil {
		return bot.JobResult{}, &bot.PermanentError{Reason: fmt.Sprintf("the stored schedule of group %s no longer parses", g.Name)}
	}
	var dropped []bot.Session
	for _, id := range p.Sessions {
		s, err := rm.st.Session(ctx, id)
		if errors.Is(err, bot.ErrNotFound) {
			continue
		} else if err != nil {
			return bot.JobResult{}, err
		}
		if s.Status != bot.SessionCancelled {
			continue // stored after the list was read, and not replaced
		}
		if o, ok := plan.Next(s.Start.Add(-time.Second)); ok && o.Start.Equal(s.Start) {
			continue // the new schedule holds a session at that time
		}
		dropped = append(dropped, s)
	}
	var next *bot.Session
	// The new series' next session: not one of the old schedule still
	// under way.
	if s, ok, err := rm.nextToStart(ctx, &g, rm.clock.Now()); err != nil {
		return bot.JobResult{}, err
	} else if ok {
		next = &s
	}
	key := "replaced/" + strconv.FormatInt(slices.Min(p.Sessions), 10)
	if _, err := rm.send.Send(ctx, bot.Post(key, g.Address, scheduleChangedMessage(g, ser, dropped, next))); err != nil {
		return bot.JobResult{}, fmt.Errorf("post the schedule change: %w", err)
	}
	return bot.JobResult{State: bot.JobDone, Note: fmt.Sprintf("posted; %d sessions of the old schedule will not take place", len(dropped))}, nil
}
