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
)

// loadJob reads a job's session, its group and series and, when ahead is
// set, materialises what comes next, so that the chain of sessions never
// breaks. The start job does that: it runs for every session, and it
// stores sessions up to one beyond now plus the longest lead, so every
// reminder of a later session exists before it is due. It returns a
// result when the job has nothing to do.
func (rm *Reminders) loadJob(ctx context.Context, j bot.Job, now time.Time, ahead bool) (p payload, s bot.Session, g bot.Group, ser bot.Series, done *bot.JobResult, err error) {
	if err = json.Unmarshal(j.Payload, &p); err != nil || p.Session == 0 {
		err = &bot.PermanentError{Reason: fmt.Sprintf("job %s has an unreadable payload", j.Key)}
		return
	}
	if s, err = rm.st.Session(ctx, p.Session); errors.Is(err, bot.ErrNotFound) {
		return p, s, g, ser, &bot.JobResult{State: bot.JobSkipped, Note: "the session no longer exists"}, nil
	} else if err != nil {
		return
	}
	if g, err = rm.st.GroupByID(ctx, s.GroupID); errors.Is(err, bot.ErrNotFound) {
		return p, s, g, ser, &bot.JobResult{State: bot.JobSkipped, Note: "the group no longer exists"}, nil
	} else if err != nil {
		return
	}
	if ser, err = rm.st.Series(ctx, s.GroupID); errors.Is(err, bot.ErrNotFound) {
		return p, s, g, ser, &bot.JobResult{State: bot.JobSkipped, Note: "the group has no schedule any more"}, nil
	} else if err != nil {
		return
	}
	if ahead {
		if _, err = rm.materializeSeries(ctx, ser, now, nil); err != nil {
			err = fmt.Errorf("schedule the next sessions: %w", err)
			return
		}
	}
	switch {
	case s.Status == bot.SessionCancelled:
		return p, s, g, ser, &bot.JobResult{State: bot.JobSkipped, Note: "the session was cancelled"}, nil
	case ser.Paused && s.Status == bot.SessionScheduled:
		// A session that is already running still ends.
		return p, s, g, ser, &bot.JobResult{State: bot.JobSkipped, Note: "the series was paused"}, nil
	}
	return p, s, g, ser, nil, nil
}

func lateness(now, due time.Time) time.Duration {
	return now.Sub(due).Truncate(time.Second)
}

func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= time.Hour:
		return LeadName(d.Truncate(time.Minute))
	case d >= time.Minute:
		return LeadName(d.Truncate(time.Second))
	}
	return d.String()
}

// prepareReminder prepares one reminder of one session, to be posted
// exactly once at its due time, with the DMs of the members who asked for
// them (see waitingReminder). A reminder whose session has started is
// recorded as missed, with the reason.
//
// The runner calls it up to its Lookahead before the reminder is due: it
// reads the session, renders the reminder and records the outbox attempt
// then; the post is made by Fire, at the due time. When a session or
// series changed meanwhile, Fire reads and renders again (see early.go).
func (rm *Reminders) prepareReminder(ctx context.Context, j bot.Job) (bot.Prepared, bot.JobResult, error) {
	w := &waitingReminder{rm: rm, job: j, seen: rm.changes.now()}
	done, err := w.read(ctx)
	if err != nil || done != nil {
		return nil, deref(done), err
	}
	if p, ok := rm.send.(bot.Preparer); ok {
		if w.pr, err = p.Prepare(ctx, w.post); err != nil {
			return nil, bot.JobResult{}, fmt.Errorf("post reminder: %w", err)
		}
	}
	return w, bot.JobResult{}, nil
}

// waitingReminder is a reminder prepared ahead of its due time: what was
// read and rendered, and the prepared post. It holds no goroutine while it
// waits.
type waitingReminder struct {
	rm   *Reminders
	job  bot.Job
	seen uint64 // rm.changes when it was read
	post bot.Outbound
	s    bot.Session
	g    bot.Group
	ser  bot.Series
	lead time.Duration
	rs   []bot.RSVP
	pr   *bot.PreparedSend // nil when the Sender cannot prepare
	// ended is set when the reminder turned out not to be wanted when it
	// fired (skipped or missed, with the reason).
	ended *bot.JobResult
	// at is when it was posted.
	at time.Time
}

// read reads what the reminder needs and renders its post; done is set
// when the reminder is not to be posted (skipped or missed, with the
// reason).
func (w *waitingReminder) read(ctx context.Context) (done *bot.JobResult, err error) {
	w.post, w.s, w.g, w.ser, w.lead, w.rs, done, err = w.rm.readReminder(ctx, w.job)
	return done, err
}

// Fire posts the reminder at its due time, after reading and rendering it
// again when something changed while it waited: it may no longer be
// wanted, or say something else.
func (w *waitingReminder) Fire(ctx context.Context) error {
	rm := w.rm
	if rm.changes.now() != w.seen {
		done, err := w.read(ctx)
		if err != nil || done != nil {
			rm.abandon(ctx, w.pr)
			w.ended = done
			return err
		}
		if w.pr != nil {
			if err := w.pr.Replace(w.post); err != nil {
				return fmt.Errorf("post reminder: %w", err)
			}
		}
	}
	w.at = rm.clock.Now()
	// fresh: this Fire hands the post to the platform now, rather than
	// finding it delivered already (a duplicate, or an earlier delivery
	// recovered); only such a post is a reminder's lateness.
	var (
		err   error
		fresh bool
	)
	if w.pr != nil {
		fresh = !w.pr.Done()
		err = w.pr.Hand(ctx)
	} else {
		var res bot.SendResult
		res, err = rm.send.Send(ctx, w.post)
		fresh = !res.Duplicate && !res.Recovered
	}
	if err != nil {
		return fmt.Errorf("post reminder: %w", err)
	}
	if fresh {
		rm.obs.ReminderLateness(max(rm.clock.Now().Sub(w.job.DueAt), 0))
	}
	return nil
}

// Abandon takes back the prepared post, which will not be posted now.
func (w *waitingReminder) Abandon(ctx context.Context) { w.rm.abandon(ctx, w.pr) }

// Finish records the post, brings its RSVP count up to date, publishes
// PhaseReminderSent and sends the DM reminders.
func (w *waitingReminder) Finish(ctx context.Context) (bot.JobResult, error) {
	if w.ended != nil {
		return *w.ended, nil
	}
	rm, j, g, s, ser, lead := w.rm, w.job, w.g, w.s, w.ser, w.lead
	if w.pr != nil {
		if _, err := w.pr.Record(ctx); err != nil {
			return bot.JobResult{}, fmt.Errorf("post reminder: %w", err)
		}
	}
	// A member may have answered between reading the RSVPs above and the
	// outbox recording the post, when the press found no posted reminder to
	// edit: bring the count up to date.
	if err := rm.catchUpRSVPs(ctx, g, s, w.rs); err != nil {
		rm.log.Warn("updating the RSVP count on a new reminder failed", bot.KeyGroup, g.Name, bot.KeySession, s.ID, bot.KeyErr, err)
	}
	note := "sent"
	if late := lateness(w.at, j.DueAt); late >= lateAfter {
		note = "sent late by " + shortDuration(late)
	}
	ev := sessionEvent(g, s, bot.PhaseReminderSent, j.DueAt)
	ev.Lead = lead
	if err := rm.b.PublishSession(ctx, ev); err != nil {
		return bot.JobResult{}, fmt.Errorf("publish reminder sent: %w", err)
	}
	if ser.Settings.DM {
		users, err := rm.st.ReminderDMUsers(ctx, g.ID, s.Start)
		if err != nil {
			return bot.JobResult{}, err
		}
		dm := dmMessage(g, s, ser, lead)
		failed := 0
		for _, u := range users {
			key := "dm/" + ReminderKey(s.ID, lead) + "/" + string(u)
			if _, err := rm.send.Send(ctx, bot.DM(key, g.Address.Platform, u, dm)); err != nil {
				if errors.Is(err, bot.ErrUnreachable) {
					failed++ // closed DMs: never fall back to the channel
					continue
				}
				return bot.JobResult{}, fmt.Errorf("dm reminder: %w", err)
			}
		}
		note += fmt.Sprintf("; %d of %d DMs", len(users)-failed, len(users))
		if failed > 0 {
			note += fmt.Sprintf(" (%d could not be delivered: DMs closed)", failed)
		}
	}
	rm.log.Info("reminder posted", bot.KeyGroup, g.Name, bot.KeySession, s.ID, "lead", LeadName(lead), "note", note)
	return bot.JobResult{State: bot.JobDone, Note: note}, nil
}

// abandon takes back a prepared reminder post that will not be posted now,
// also while stopping, so that the session log does not show a post whose
// outcome is unknown.
func (rm *Reminders) abandon(ctx context.Context, pr *bot.PreparedSend) {
	if pr == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := pr.Abandon(ctx); err != nil {
		rm.log.Warn("taking back a prepared reminder failed; its log shows the post as not confirmed", bot.KeyErr, err)
	}
}

// cancelReason returns why session s was cancelled, as the store recorded
// it on the session's jobs that were waiting ("cancelled by …", "moved
// to …"): a reminder prepared early was running then, so its own job was
// not given the reason. It returns fallback when none is found.
func (rm *Reminders) cancelReason(ctx context.Context, s bot.Session, fallback string) string {
	jobs, err := rm.st.SessionJobs(ctx, s.ID)
	if err != nil {
		return fallback
	}
	for _, j := range jobs {
		if j.Kind == KindStart && j.State == bot.JobSkipped && j.Note != "" {
			return j.Note
		}
	}
	return fallback
}

// readReminder reads what a reminder needs and renders its post; done is
// set when the reminder is not to be posted (skipped or missed, with the
// reason).
func (rm *Reminders) readReminder(ctx context.Context, j bot.Job) (post bot.Outbound, s bot.Session, g bot.Group, ser bot.Series, lead time.Duration, rs []bot.RSVP, done *bot.JobResult, err error) {
	now := rm.clock.Now()
	var p payload
	p, s, g, ser, done, err = rm.loadJob(ctx, j, now, false)
	if done != nil && done.State == bot.JobSkipped && s.Status == bot.SessionCancelled {
		done.Note = rm.cancelReason(ctx, s, done.Note)
	}
	if err != nil || done != nil {
		return
	}
	lead = time.Duration(p.Lead) * time.Second
	if !now.Before(s.Start) {
		done, err = rm.tooLate(ctx, j, g, s, ser, lead, now)
		return
	}
	if rs, err = rm.st.RSVPs(ctx, s.ID); err != nil {
		return
	}
	post = bot.Post(ReminderKey(s.ID, lead), g.Address, reminderMessage(g, s, ser, lead, rs))
	return
}

// lookFor asks the platform, through the Sender, whether the reminder post
// handed to it by an earlier attempt was delivered, without posting it now,
// and returns its outbox entry as it then stands (sent when it was found).
func (rm *Reminders) lookFor(ctx context.Context, g bot.Group, s bot.Session, ser bot.Series, lead time.Duration) (bot.OutboxEntry, error) {
	key := ReminderKey(s.ID, lead)
	p, ok := rm.send.(bot.Preparer)
	if !ok {
		return rm.st.OutboxEntry(ctx, key)
	}
	rs, err := rm.st.RSVPs(ctx, s.ID)
	if err != nil {
		return bot.OutboxEntry{}, err
	}
	pr, err := p.Prepare(ctx, bot.Post(key, g.Address, reminderMessage(g, s, ser, lead, rs)))
	if err != nil {
		if bot.IsPermanent(err) {
			return rm.st.OutboxEntry(ctx, key)
		}
		return bot.OutboxEntry{}, fmt.Errorf("look for the reminder post: %w", err)
	}
	if !pr.Done() {
		rm.abandon(ctx, pr)
	}
	return rm.st.OutboxEntry(ctx, key)
}

func deref(r *bot.JobResult) bot.JobResult {
	if r == nil {
		return bot.JobResult{}
	}
	return *r
}

// runStart marks a session running, publishes PhaseStarted and, when the
// group wants it, posts "starting now" with the link. A session that ended
// while tend was down is recorded as missed.
func (rm *Reminders) runStart(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	now := rm.clock.Now()
	_, s, g, ser, done, err := rm.loadJob(ctx, j, now, true)
	if err != nil || done != nil {
		return deref(done), err
	}
	if !now.Before(s.End) {
		return bot.JobResult{State: bot.JobMissed, Note: fmt.Sprintf("the session ended %s before tend was running again; nothing was posted", shortDuration(now.Sub(s.End)))}, nil
	}
	if err := rm.st.SetSessionStatus(ctx, s.ID, bot.SessionRunning); err != nil {
		return bot.JobResult{}, err
	}
	s.Status = bot.SessionRunning
	if err := rm.b.PublishSession(ctx, sessionEvent(g, s, bot.PhaseStarted, s.Start)); err != nil {
		return bot.JobResult{}, fmt.Errorf("publish started: %w", err)
	}
	note := "started"
	if late := lateness(now, j.DueAt); late >= lateAfter {
		note = "started late by " + shortDuration(late)
	}
	if ser.Settings.StartingNow {
		if now.Sub(s.Start) > startingNowWithin {
			note += `; "starting now" not posted: too late`
		} else {
			if _, err := rm.send.Send(ctx, bot.Post("now/"+strconv.FormatInt(s.ID, 10), g.Address, startingMessage(g, s))); err != nil {
				return bot.JobResult{}, fmt.Errorf("post starting now: %w", err)
			}
			note += `; "starting now" posted`
		}
	}
	return bot.JobResult{State: bot.JobDone, Note: note}, nil
}

// runEnd marks a session done and publishes PhaseEnded, late if need be:
// attendance needs the end of every session that was held.
func (rm *Reminders) runEnd(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	now := rm.clock.Now()
	_, s, g, _, done, err := rm.loadJob(ctx, j, now, true)
	if err != nil || done != nil {
		return deref(done), err
	}
	if s.Status == bot.SessionScheduled {
		// The start job never ran (missed while tend was down): there is
		// no session to close, and reactions to its end would be false.
		return bot.JobResult{State: bot.JobMissed, Note: "the session was over before tend was running again"}, nil
	}
	if err := rm.st.SetSessionStatus(ctx, s.ID, bot.SessionDone); err != nil {
		return bot.JobResult{}, err
	}
	s.Status = bot.SessionDone
	if err := rm.b.PublishSession(ctx, sessionEvent(g, s, bot.PhaseEnded, s.End)); err != nil {
		return bot.JobResult{}, fmt.Errorf("publish ended: %w", err)
	}
	note := "ended"
	if late := lateness(now, j.DueAt); late >= lateAfter {
		note = "ended; recorded late by " + shortDuration(late)
	}
	return bot.JobResult{State: bot.JobDone, Note: note}, nil
}

// catchUpRSVPs edits the session's reminders when its RSVPs differ from
// those a reminder was rendered with.
func (rm *Reminders) catchUpRSVPs(ctx context.Context, g bot.Group, s bot.Session, rendered []bot.RSVP) error {
	unlock, err := rm.lockSession(ctx, s.ID)
	if err != nil {
		return err
	}
	defer unlock()
	now, err := rm.st.RSVPs(ctx, s.ID)
	if err != nil {
		return err
	}
	if slices.EqualFunc(now, rendered, func(a, b bot.RSVP) bool { return a.User == b.User && a.Answer == b.Answer }) {
		return nil
	}
	return rm.editReminders(ctx, g, s)
}

// tooLate is the result of a reminder whose session has started. When the
// outbox shows the post was made (the process stopped between recording
// the post and finishing its job), or the platform shows it (the process
// stopped after handing it over and before recording it), it is done,
// never "missed". Otherwise it is missed, saying why: tend was not running
// at its due time, or it was and could not post in time.
func (rm *Reminders) tooLate(ctx context.Context, j bot.Job, g bot.Group, s bot.Session, ser bot.Series, lead time.Duration, now time.Time) (*bot.JobResult, error) {
	e, err := rm.st.OutboxEntry(ctx, ReminderKey(s.ID, lead))
	if err == nil && e.State == bot.OutboxSending && !e.HandedAt.IsZero() {
		if e, err = rm.lookFor(ctx, g, s, ser, lead); err != nil {
			return nil, err
		}
	}
	switch {
	case err == nil && e.State == bot.OutboxSent:
		note := "sent"
		if late := lateness(e.SentAt, j.DueAt); late >= lateAfter {
			note = "sent late by " + shortDuration(late)
		}
		return &bot.JobResult{State: bot.JobDone, Note: note + "; recorded after a restart"}, nil
	case err != nil && !errors.Is(err, bot.ErrNotFound):
		return nil, err
	}
	// The reminder's own time, not its last retry's; tend had a chance to
	// post it when any run — this one or an earlier one — held the
	// database between then and the session's start.
	due := s.Start.Add(-lead)
	ran := false
	if started := rm.runner.StartedAt(); !started.IsZero() && started.Before(s.Start) {
		ran = true
	} else if ran, err = rm.st.RanBetween(ctx, due, s.Start); err != nil {
		return nil, err
	}
	why := "tend was not running then"
	if ran {
		why = "tend was running but could not post it in time"
		if j.Note != "" {
			why += " (last error: " + j.Note + ")"
		}
	}
	return &bot.JobResult{State: bot.JobMissed, Note: fmt.Sprintf("not sent: the session had started %s before tend could send it (it was due %s UTC; %s)",
		shortDuration(now.Sub(s.Start)), due.UTC().Format("2006-01-02 15:04"), why)}, nil
}
