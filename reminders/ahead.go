package reminders

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/schedule"
)

// A config file's first start stores every group's series but only the
// sessions whose work comes within the next hours: for the others the
// series says by when its first sessions must be stored (AheadAt), and one
// job kind, KindAhead, stores them then. A weekly group's first reminder
// is usually days away; storing its session, reminders, start and end at
// once made a first start with 100,000 groups write half a million rows it
// did not need yet. From a series' first stored session on, each session's
// start job stores what comes next, as before.
//
// The chain of KindAhead jobs never breaks: AddSeries enqueues one at the
// earliest AheadAt of what it stores, in the same transaction; each run
// stores every series that has come due and enqueues the next run at the
// earliest AheadAt left. A series whose sessions cannot be stored is tried
// again aheadRetry later, without holding up the others.
const (
	// aheadMargin is how long before a deferred series' first job is due
	// its sessions are stored: late enough to defer nearly every weekly
	// group, early enough that an hour of downtime, a retry or a busy
	// runner does not make a reminder late.
	aheadMargin = time.Hour
	// aheadBatch is how many deferred series one read returns.
	aheadBatch = 500
	// aheadRetry is when a series whose sessions could not be stored is
	// tried again.
	aheadRetry = 10 * time.Minute
)

// deferTo returns when the first sessions of a new series ser must be
// stored, given its first session that has not ended by now (see
// firstOccurrence), or the zero time when they are to be stored now: the
// series is paused or over, or its first session's work comes within
// aheadMargin. The time is a whole minute, so that the KindAhead jobs of
// many series are few.
func deferTo(ser bot.Series, first *schedule.Occurrence, now time.Time) time.Time {
	if ser.Paused || first == nil {
		return time.Time{}
	}
	o := *first
	at := o.Start.Add(-slices.Max(append([]time.Duration{0}, ser.Settings.Leads...))).Add(-aheadMargin).Truncate(time.Minute)
	if !at.After(now) {
		return time.Time{}
	}
	return at
}

// aheadJob is the KindAhead job due at at.
func aheadJob(at time.Time) bot.Job {
	return bot.Job{Kind: KindAhead, Key: KindAhead + "/" + strconv.FormatInt(at.Unix(), 10), DueAt: at}
}

// runAhead stores the first sessions of every series deferred to now or
// earlier, and enqueues the next run.
func (rm *Reminders) runAhead(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	now := rm.clock.Now()
	stored, failed := 0, 0
	// Each series read is cleared or moved past now, so every batch is new;
	// the bound only guards against a clock that runs backwards.
	for range 10_000 {
		due, err := rm.st.SeriesDueAhead(ctx, now, aheadBatch)
		if err != nil {
			return bot.JobResult{}, err
		}
		for _, ser := range due {
			if _, err := rm.materializeSeries(ctx, ser, now, nil); err != nil {
				if ctx.Err() != nil {
					return bot.JobResult{}, ctx.Err()
				}
				// This series again later; the others now.
				retry := now.Truncate(time.Minute).Add(aheadRetry)
				again := aheadJob(retry)
				if _, err := rm.st.SetSeriesAhead(ctx, ser.GroupID, ser.AheadAt, retry, &again); err != nil {
					return bot.JobResult{}, err
				}
				rm.log.Warn("could not store the sessions of a group's schedule; trying again in 10 minutes",
					slog.Int64("group_id", ser.GroupID), bot.KeyErr, err)
				failed++
				continue
			}
			if _, err := rm.st.SetSeriesAhead(ctx, ser.GroupID, ser.AheadAt, time.Time{}, nil); err != nil {
				return bot.JobResult{}, err
			}
			stored++
		}
		if len(due) < aheadBatch {
			break
		}
	}
	next, ok, err := rm.st.NextSeriesAhead(ctx)
	if err != nil {
		return bot.JobResult{}, err
	}
	if ok {
		// Never this job's own minute again: its key is taken.
		if min := now.Truncate(time.Minute).Add(time.Minute); next.Before(min) {
			next = min
		}
		if _, err := rm.runner.Enqueue(ctx, aheadJob(next)); err != nil {
			return bot.JobResult{}, fmt.Errorf("enqueue the next run: %w", err)
		}
	}
	note := fmt.Sprintf("stored the first sessions of %d groups", stored)
	if failed > 0 {
		note += fmt.Sprintf("; %d to try again in 10 minutes", failed)
	}
	return bot.JobResult{State: bot.JobDone, Note: note}, nil
}

// firstOccurrence is plan's first session that has not ended by now, as a
// new series' first session is chosen (firstSessions); nil when none.
func firstOccurrence(plan *schedule.Plan, now time.Time) *schedule.Occurrence {
	if plan == nil {
		return nil
	}
	o, ok := plan.Next(now.Add(-plan.Duration()))
	if !ok {
		return nil
	}
	return &o
}

// planCache remembers, for one ApplyConfigs, the plan of each distinct
// schedule in each zone, and its first occurrence: a file's groups share
// far fewer schedules than there are groups, and a Plan is immutable. It
// holds at most maxPlans of each; a nil *planCache remembers nothing.
type planCache struct {
	plans  map[planKey]madePlan
	firsts map[*schedule.Plan]*schedule.Occurrence
}

type planKey struct {
	zone  *time.Location
	sched string
}

type madePlan struct {
	plan *schedule.Plan
	err  error
}

const maxPlans = 10_000

func newPlanCache() *planCache {
	return &planCache{plans: map[planKey]madePlan{}, firsts: map[*schedule.Plan]*schedule.Occurrence{}}
}

// newPlan is schedule.NewPlan, remembered by every field of s (the plan
// keeps the schedule it was made from) and the zone.
func (c *planCache) newPlan(s bot.Schedule, loc *time.Location, now time.Time) (*schedule.Plan, error) {
	if c == nil {
		return schedule.NewPlan(s, loc, now)
	}
	k := planKey{zone: loc, sched: strings.Join([]string{s.Cron, s.Weekly, strconv.FormatInt(int64(s.Duration), 10), s.Starts, s.Until,
		strconv.Itoa(s.Count), strconv.Itoa(len(s.Topics)), strings.Join(s.Topics, "\x1f"), s.Link, string(s.VoiceChannel)}, "\x1e")}
	if p, ok := c.plans[k]; ok {
		return p.plan, p.err
	}
	plan, err := schedule.NewPlan(s, loc, now)
	if len(c.plans) < maxPlans {
		c.plans[k] = madePlan{plan: plan, err: err}
	}
	return plan, err
}

// first is firstOccurrence, remembered by plan.
func (c *planCache) first(plan *schedule.Plan, now time.Time) *schedule.Occurrence {
	if c == nil || plan == nil {
		return firstOccurrence(plan, now)
	}
	if o, ok := c.firsts[plan]; ok {
		return o
	}
	o := firstOccurrence(plan, now)
	if len(c.firsts) < maxPlans {
		c.firsts[plan] = o
	}
	return o
}
