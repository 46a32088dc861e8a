package reminders

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/schedule"
)

// ConfigSchedule is a group's schedule and reminder settings as the config
// file declares them.
type ConfigSchedule struct {
	Group    bot.Group // as stored
	Schedule bot.Schedule
	Settings Settings
}

// configChunk is how many groups ApplyConfigs plans and stores at a time:
// their plans are held only that long.
const configChunk = 5000

// ApplyConfigs is ApplyConfig for many groups. The groups that have no
// series yet (all of them at a config file's first start) are stored in
// bulk — their series, their first sessions and the sessions' jobs, many
// groups per transaction — exactly as one by one; a series whose first
// work is more than aheadMargin away gets its sessions only then (see
// ahead.go). The others are applied one by one. Every failure is
// returned, each naming its group.
func (rm *Reminders) ApplyConfigs(ctx context.Context, cs []ConfigSchedule) error {
	now := rm.clock.Now()
	// time.LoadLocation reads the zone database at every call.
	zones := map[string]*time.Location{}
	plans := newPlanCache()
	var errs []error
	for chunk := range slices.Chunk(cs, configChunk) {
		if err := ctx.Err(); err != nil {
			return err
		}
		errs = append(errs, rm.applyConfigs(ctx, chunk, now, zones, plans)...)
	}
	rm.runner.Notify()
	return errors.Join(errs...)
}

func (rm *Reminders) applyConfigs(ctx context.Context, cs []ConfigSchedule, now time.Time, zones map[string]*time.Location, plans *planCache) []error {
	var (
		errs    []error
		series  = make([]bot.Series, 0, len(cs))
		byID    = make(map[int64]int, len(cs))
		planned = make(map[int64]*schedule.Plan, len(cs))
	)
	for i, c := range cs {
		g := c.Group
		loc, ok := zones[g.TimeZone]
		if !ok {
			var err error
			if loc, err = g.Location(); err != nil {
				errs = append(errs, fmt.Errorf("reminders: apply config to group %s: %w", g.Name, err))
				continue
			}
			zones[g.TimeZone] = loc
		}
		ser, plan, err := rm.planSeries(g, c.Schedule, c.Settings, bot.SourceConfig, loc, now, plans)
		if err != nil {
			errs = append(errs, fmt.Errorf("reminders: apply config to group %s: %w", g.Name, err))
			continue
		}
		byID[g.ID] = i
		planned[g.ID] = plan
		ser.AheadAt = deferTo(ser, plans.first(plan, now), now)
		series = append(series, ser)
	}
	if len(series) == 0 {
		return errs
	}
	skipped, err := rm.st.AddSeries(ctx, now, series,
		func(ser bot.Series) []bot.Session { return firstSessions(ser, planned[ser.GroupID], now) },
		func(ser bot.Series, s bot.Session) []bot.Job { return rm.jobsFor(ser, now)(s) },
		aheadJob)
	if err != nil {
		return append(errs, fmt.Errorf("reminders: apply config: %w", err))
	}
	// Groups with a series already: one by one, which keeps what the
	// stored series says (its start date, a pause) and replaces it only
	// when the file changed it.
	slices.SortFunc(skipped, func(a, b int64) int { return byID[a] - byID[b] })
	for _, id := range skipped {
		c := cs[byID[id]]
		if err := rm.ApplyConfig(ctx, c.Group.ID, c.Schedule, c.Settings); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// firstSessions are a new series' first sessions, as materializeSeries
// stores them: from the first one that has not ended, up to and including
// the first that starts after now plus the longest lead time.
func firstSessions(ser bot.Series, plan *schedule.Plan, now time.Time) []bot.Session {
	if ser.Paused {
		return nil
	}
	horizon := now.Add(slices.Max(append([]time.Duration{0}, ser.Settings.Leads...)))
	var out []bot.Session
	o, ok := plan.Next(now.Add(-plan.Duration()))
	for i := 0; ok && i < maxAhead; i++ {
		s := newSession(ser, plan, o)
		out = append(out, s)
		if s.Start.After(horizon) {
			break
		}
		o, ok = plan.After(o)
	}
	return out
}
