package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/schedule"
)

func (rm *Reminders) registerCommands() error {
	whichOpt := bot.Option{Name: "which", Description: "the session's number or date (YYYY-MM-DD)", Placeholder: "number or date", Required: true, Positional: true}
	specs := []bot.CommandSpec{
		{Path: "next", Summary: "When the next session is, in your time", Access: bot.AccessAnyone, Group: bot.GroupRequired, Applicants: true, Run: rm.cmdNext},
		{Path: "rsvp", Summary: "Say whether you'll come to the next session", Group: bot.GroupRequired,
			Options: []bot.Option{{Name: "answer", Description: "yes or no", Required: true, Positional: true, Choices: []string{"yes", "no"}}},
			Run:     rm.cmdRSVP},
		{Path: "away", Summary: "Mark yourself away until a date (no nudges; absences excused), or back with away off", Group: bot.GroupRequired,
			Options: []bot.Option{
				{Name: "off", Description: "write off to say you are back", Positional: true, Choices: []string{"off"}},
				{Name: "until", Description: "the last day you are away, YYYY-MM-DD", Type: bot.OptDate},
			},
			Run: rm.cmdAway},
		{Path: "reminders dm", Summary: "Get this group's reminders by DM too, or stop them", Group: bot.GroupRequired,
			Options: []bot.Option{{Name: "on", Description: "on or off", Required: true, Positional: true, Choices: []string{"on", "off"}}},
			Run:     rm.cmdDM},
		{Path: "session schedule", Summary: "Set the group's series of sessions", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{
				{Name: "weekly", Description: `days and time, e.g. "tue 18:00" or "mon,thu 09:30"`, Placeholder: "days time"},
				{Name: "cron", Description: `a cron expression, e.g. "0 18 * * TUE"`, Placeholder: "cron"},
				{Name: "duration", Description: "length of each session, e.g. 90m", Type: bot.OptDuration, Required: true},
				{Name: "starts", Description: "date of the first session, YYYY-MM-DD (default today)", Type: bot.OptDate},
				{Name: "count", Description: "number of sessions", Type: bot.OptInt},
				{Name: "until", Description: "last possible date, YYYY-MM-DD", Type: bot.OptDate},
				{Name: "topics", Description: `topics per session separated by ";", e.g. "intro; skills | bring a notebook"`, Placeholder: "topic; topic …"},
				{Name: "link", Description: "meeting link", Placeholder: "link"},
				{Name: "voice_channel", Description: "voice or stage channel", Type: bot.OptChannel},
				{Name: "lead", Description: "reminder lead times, e.g. 24h,1h, or none", Placeholder: "durations or none"},
				{Name: "rsvp", Description: "RSVP buttons on reminders (default yes)", Type: bot.OptBool},
				{Name: "dm", Description: "offer reminders by DM (default no)", Type: bot.OptBool},
				{Name: "starting_now", Description: `post "starting now" with the link (default no)`, Type: bot.OptBool},
			},
			Run: rm.cmdSchedule},
		{Path: "session list", Summary: "The next sessions", Access: bot.AccessFacilitator, Group: bot.GroupRequired, Run: rm.cmdList},
		{Path: "session cancel", Summary: "Cancel one session and tell the group", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{whichOpt}, Run: rm.cmdCancel},
		{Path: "session move", Summary: "Move one session and tell the group", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{whichOpt, {Name: "to", Description: `new local time: "YYYY-MM-DD HH:MM", or "HH:MM" on the same day`, Placeholder: "date and time", Required: true}},
			Run:     rm.cmdMove},
		{Path: "session pause", Summary: "Pause the series: no sessions or reminders until resumed", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
				return rm.cmdPause(ctx, req, true)
			}},
		{Path: "session resume", Summary: "Resume a paused series", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
				return rm.cmdPause(ctx, req, false)
			}},
		{Path: "session log", Summary: "What was sent, late, skipped, missed or is pending, per session", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{{Name: "which", Description: "a session's number or date (default: recent and next)", Placeholder: "number or date", Positional: true}},
			Run:     rm.cmdLog},
	}
	for _, s := range specs {
		if err := rm.b.Register(s); err != nil {
			return err
		}
	}
	for _, a := range []bot.ActionSpec{
		{Name: ActionRSVPYes, Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			return rm.rsvpButton(ctx, req, bot.RSVPYes)
		}},
		{Name: ActionRSVPNo, Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			return rm.rsvpButton(ctx, req, bot.RSVPNo)
		}},
	} {
		if err := rm.b.RegisterAction(a); err != nil {
			return err
		}
	}
	return nil
}

func (rm *Reminders) location(g *bot.Group) (*time.Location, error) {
	loc, err := g.Location()
	if err != nil {
		return nil, &bot.UserError{Msg: fmt.Sprintf("Group %s has no usable time zone (%v). A facilitator can fix it with /tend group setup or in the config file.", g.Name, err), Err: err}
	}
	return loc, nil
}

// nextSession returns the group's next session that has not ended and is
// not cancelled: one under way, else the next that will be held.
func (rm *Reminders) nextSession(ctx context.Context, g *bot.Group, now time.Time) (bot.Session, bool, error) {
	return rm.firstSession(ctx, g, now, true)
}

// nextToStart returns the group's next session to start that will be held;
// one under way (perhaps of a schedule just replaced) is not it.
func (rm *Reminders) nextToStart(ctx context.Context, g *bot.Group, now time.Time) (bot.Session, bool, error) {
	return rm.firstSession(ctx, g, now, false)
}

func (rm *Reminders) firstSession(ctx context.Context, g *bot.Group, now time.Time, running bool) (bot.Session, bool, error) {
	if err := rm.ensureAhead(ctx, g.ID, now); err != nil {
		return bot.Session{}, false, err
	}
	ser, err := rm.st.Series(ctx, g.ID)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.Session{}, false, nil
	} else if err != nil {
		return bot.Session{}, false, err
	}
	// However many schedules were replaced, their sessions never held do
	// not crowd out the live series.
	ss, err := rm.st.LiveSessions(ctx, g.ID, now, 20)
	if err != nil {
		return bot.Session{}, false, err
	}
	for _, s := range ss {
		// Only a session that will be held is the next one: not one the
		// series was paused over, nor any while it is paused (a running
		// session still ends).
		if s.Status == bot.SessionRunning && running {
			return s, true, nil
		}
		if s.Status != bot.SessionScheduled || !s.Start.After(now) || ser.Paused {
			continue
		}
		held, err := rm.willStart(ctx, s)
		if err != nil {
			return bot.Session{}, false, err
		}
		if held {
			return s, true, nil
		}
	}
	return bot.Session{}, false, nil
}

// willStart reports whether session s's start job is still to run (or
// running): otherwise nothing will be held or posted for it.
func (rm *Reminders) willStart(ctx context.Context, s bot.Session) (bool, error) {
	jobs, err := rm.st.SessionJobs(ctx, s.ID)
	if err != nil {
		return false, err
	}
	key := jobKey(KindStart, s.ID, "")
	for _, j := range jobs {
		if j.Key == key {
			return j.State == bot.JobPending || j.State == bot.JobRunning, nil
		}
	}
	return false, nil
}

func (rm *Reminders) noSessions(ctx context.Context, g *bot.Group) error {
	ser, err := rm.st.Series(ctx, g.ID)
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return bot.Errorf("Group %s has no schedule yet. A facilitator can set one with /tend session schedule weekly:\"tue 18:00\" duration:90m.", g.Name)
	case err != nil:
		return err
	case ser.Paused:
		return bot.Errorf("Group %s's sessions are paused. A facilitator can resume them with /tend session resume.", g.Name)
	}
	return bot.Errorf("Group %s has no more sessions scheduled: the series has ended. A facilitator can set a new one with /tend session schedule.", g.Name)
}

func (rm *Reminders) cmdNext(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	s, ok, err := rm.nextSession(ctx, req.Group, req.Now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, rm.noSessions(ctx, req.Group)
	}
	ser, err := rm.st.Series(ctx, req.Group.ID)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return nil, err
	}
	m := bot.Message{Title: sessionTitle(s, ser.Schedule.Count)}
	m.Text = fmt.Sprintf("%s (%s), in your time.", bot.Time(s.Start, bot.TimeFull), bot.Time(s.Start, bot.TimeRelative))
	if s.Status == bot.SessionRunning {
		m.Text = fmt.Sprintf("Happening now: started %s.", bot.Time(s.Start, bot.TimeClock))
	}
	if _, bring := splitTopic(s.Topic); bring != "" {
		m.Text += "\nWhat to bring: " + bring
	}
	if !req.Member {
		// Someone outside the group (or waiting to be admitted) learns
		// when the group meets, as its channel shows; the meeting link
		// and the RSVPs are for members.
		return []bot.Outbound{bot.ReplyMessage(m)}, nil
	}
	m.Fields = where(*req.Group, s)
	rs, err := rm.st.RSVPs(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	mine := "not answered — /tend rsvp yes or /tend rsvp no"
	for _, r := range rs {
		if r.User == req.Actor.ID {
			mine = map[bot.RSVPAnswer]string{bot.RSVPYes: "you're coming", bot.RSVPNo: "you can't make it (excused)"}[r.Answer]
		}
	}
	m.Fields = append(m.Fields, bot.Field{Name: "Your RSVP", Value: mine})
	return []bot.Outbound{bot.ReplyMessage(m)}, nil
}

func (rm *Reminders) cmdRSVP(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	s, ok, err := rm.nextSession(ctx, req.Group, req.Now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, rm.noSessions(ctx, req.Group)
	}
	return rm.rsvp(ctx, req, s, bot.RSVPAnswer(req.Arg("answer")))
}

func (rm *Reminders) rsvpButton(ctx context.Context, req *bot.Request, a bot.RSVPAnswer) ([]bot.Outbound, error) {
	id, err := strconv.ParseInt(req.Action.Ref, 10, 64)
	if err != nil || req.Group == nil {
		return nil, bot.Errorf("This button is not valid. Use /tend rsvp yes or /tend rsvp no in the group's channel.")
	}
	s, err := rm.st.Session(ctx, id)
	if errors.Is(err, bot.ErrNotFound) || (err == nil && s.GroupID != req.Group.ID) {
		return nil, bot.Errorf("This session no longer exists. /tend next shows the next one.")
	} else if err != nil {
		return nil, err
	}
	return rm.rsvp(ctx, req, s, a)
}

// editReminders edits every posted reminder of session s in place with the
// current RSVP count. Call it holding the session's lock.
func (rm *Reminders) editReminders(ctx context.Context, g bot.Group, s bot.Session) error {
	ser, err := rm.st.Series(ctx, s.GroupID)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return err
	}
	rs, err := rm.st.RSVPs(ctx, s.ID)
	if err != nil {
		return err
	}
	posted, err := rm.st.SentMessages(ctx, "reminder/"+strconv.FormatInt(s.ID, 10)+"/")
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range posted {
		lead, err := time.ParseDuration(e.Key[strings.LastIndexByte(e.Key, '/')+1:])
		if err != nil || e.Ref.IsZero() {
			continue
		}
		if _, err := rm.send.Send(ctx, bot.Edit(e.Ref, reminderMessage(g, s, ser, lead, rs))); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// lockSession serialises RSVP updates of one session. The locks are
// striped so that their number stays fixed however many sessions there are.
func (rm *Reminders) lockSession(ctx context.Context, id int64) (unlock func(), err error) {
	l := rm.rsvpLocks[uint64(id)%uint64(len(rm.rsvpLocks))]
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// rsvp records an answer and edits every posted reminder of the session in
// place with the new count.
func (rm *Reminders) rsvp(ctx context.Context, req *bot.Request, s bot.Session, a bot.RSVPAnswer) ([]bot.Outbound, error) {
	switch {
	case s.Status == bot.SessionCancelled:
		return nil, bot.Errorf("That session was cancelled, so there is nothing to answer. /tend next shows the next one.")
	case !req.Now.Before(s.End):
		return nil, bot.Errorf("That session is over. /tend next shows the next one, and /tend rsvp yes|no answers for it.")
	}
	if s.Status == bot.SessionScheduled {
		// A button on a reminder posted before the series was paused.
		if ser, err := rm.st.Series(ctx, s.GroupID); err == nil && ser.Paused {
			return nil, bot.Errorf("%s's sessions are paused, so session %d will not be held as planned. You'll hear when they resume; a facilitator can resume them with /tend session resume.", req.Group.Name, s.Number)
		} else if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return nil, err
		}
	}
	// Record the answer and edit the posted reminders under the session's
	// lock: two members pressing at once must not leave the message showing
	// the count one of them read before the other's answer was stored. The
	// edits are sent here, inside the lock, so they reach the platform in
	// the order the counts were read.
	unlock, err := rm.lockSession(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := rm.st.SetRSVP(ctx, bot.RSVP{SessionID: s.ID, User: req.Actor.ID, Answer: a, At: req.Now}); err != nil {
		return nil, err
	}
	if err := rm.editReminders(ctx, *req.Group, s); err != nil {
		// The answer is stored; the count catches up with the next press.
		rm.log.Warn("updating the RSVP count on a reminder failed", bot.KeyGroup, req.Group.Name, bot.KeySession, s.ID, bot.KeyErr, err)
	}
	var outs []bot.Outbound
	when := bot.Time(s.Start, bot.TimeFull)
	if a == bot.RSVPYes {
		outs = append(outs, bot.Reply(fmt.Sprintf("Thanks — you're down as coming to session %d, %s.", s.Number, when)))
	} else {
		outs = append(outs, bot.Reply(fmt.Sprintf("Thanks for letting us know — you're excused from session %d, %s. If your plans change, press \"I'll be there\" or use /tend rsvp yes.", s.Number, when)))
	}
	return outs, nil
}

func (rm *Reminders) cmdAway(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	loc, err := rm.location(req.Group)
	if err != nil {
		return nil, err
	}
	off, until := req.Arg("off") != "", req.Arg("until")
	switch {
	case off && until != "":
		return nil, bot.Errorf("Write either /tend away until:YYYY-MM-DD or /tend away off, not both.")
	case !off && until == "":
		return nil, bot.Errorf("Say until when: /tend away until:%s (the last day you are away), or /tend away off when you are back.", bot.ExampleDate(req.Now))
	}
	var end time.Time
	if !off {
		d, _ := time.ParseInLocation(time.DateOnly, until, loc)
		end, _ = schedule.WallTime(d.Year(), d.Month(), d.Day()+1, 0, 0, loc)
		if !end.After(req.Now) {
			return nil, bot.Errorf("%s is in the past. Write the last day you will be away, today or later, as until:YYYY-MM-DD.", until)
		}
		if end.Sub(req.Now) > 366*24*time.Hour {
			return nil, bot.Errorf("That is more than a year away. Write a date within a year; you can always extend it.")
		}
	}
	// Everyone attendance counts may be away: a roster entry, or someone
	// who takes part from the group's channel (the command's access says
	// they are a member).
	if err := rm.st.SetAway(ctx, req.Group.ID, req.Actor.ID, end); err != nil {
		return nil, err
	}
	if off {
		return []bot.Outbound{bot.Reply("Welcome back — you'll get nudges again, and sessions count as usual.")}, nil
	}
	return []bot.Outbound{bot.Reply(fmt.Sprintf("Noted: you're away until the end of %s. No nudges until then, and sessions in that time count as excused. /tend away off if you're back sooner.", until))}, nil
}

func (rm *Reminders) cmdDM(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	on := req.Arg("on") == "on"
	if on {
		ser, err := rm.st.Series(ctx, req.Group.ID)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return nil, err
		}
		if !ser.Settings.DM {
			return nil, bot.Errorf("%s does not send reminders by DM. A facilitator can turn them on with /tend session schedule … dm:yes; the reminders in this channel still reach you.", req.Group.Name)
		}
		m, err := rm.st.MemberByUser(ctx, req.Group.ID, req.Actor.ID)
		if errors.Is(err, bot.ErrNotFound) || (err == nil && m.Status != bot.MemberActive) {
			return nil, bot.Errorf("Reminder DMs go to %s's members, and you are not on its roster yet. Ask a facilitator to add you; the reminders in this channel reach you meanwhile.", req.Group.Name)
		} else if err != nil {
			return nil, err
		}
	}
	if err := rm.st.SetReminderDM(ctx, req.Group.ID, req.Actor.ID, on, req.Now); err != nil {
		return nil, err
	}
	if on {
		return []bot.Outbound{bot.Reply("You'll get this group's reminders by DM as well. Stop with /tend reminders dm off.")}, nil
	}
	return []bot.Outbound{bot.Reply("No more reminder DMs from this group. The reminders in the channel continue.")}, nil
}

func (rm *Reminders) cmdSchedule(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	if _, err := rm.location(req.Group); err != nil {
		return nil, err
	}
	if err := rm.refuseConfigSeries(ctx, req.Group); err != nil {
		return nil, err
	}
	var err error
	s := bot.Schedule{Weekly: req.Arg("weekly"), Cron: req.Arg("cron"), Starts: req.Arg("starts"), Until: req.Arg("until"), Link: req.Arg("link")}
	s.Duration, _ = time.ParseDuration(req.Arg("duration"))
	if c := req.Arg("count"); c != "" {
		n, _ := strconv.Atoi(c)
		if n <= 0 {
			return nil, bot.Errorf("count: %s — a series needs at least one session. Write count:8 for eight sessions, or leave count out for a series that runs until you stop it.", c)
		}
		s.Count = n
	}
	if t := req.Arg("topics"); t != "" {
		for _, f := range strings.Split(t, ";") {
			s.Topics = append(s.Topics, strings.TrimSpace(f))
		}
	}
	if err := bot.CheckScheduleText(s); err != nil {
		return nil, bot.Errorf("The schedule's %v. Shorten it and run the command again.", err)
	}
	if v := req.Arg("voice_channel"); v != "" {
		if id, ok := bot.ParseChannelMention(v); ok {
			s.VoiceChannel = id
		} else {
			s.VoiceChannel = bot.ChannelID(strings.TrimPrefix(v, "#"))
		}
	}
	rs := DefaultSettings()
	if l, given := req.Args["lead"]; given {
		// lead:none sends no reminders; lead:"" is refused rather than
		// read as the defaults.
		if rs.Leads, err = schedule.ParseLeads(l); err != nil {
			return nil, &bot.UserError{Msg: err.Error() + ".", Err: err}
		}
	}
	for name, dst := range map[string]*bool{"rsvp": &rs.RSVP, "dm": &rs.DM, "starting_now": &rs.StartingNow} {
		if v := req.Arg(name); v != "" {
			*dst, _ = bot.ParseBool(v)
		}
	}
	plan, err := rm.saveSeries(ctx, *req.Group, s, rs, bot.SourceChat)
	if err != nil {
		return nil, err
	}
	occ := plan.Occurrences(req.Now, 3)
	var lines []string
	for _, o := range occ {
		line := fmt.Sprintf("%d. %s", o.Number, bot.Time(o.Start, bot.TimeFull))
		if t, _ := splitTopic(plan.Topic(o.Number)); t != "" {
			line += " — " + t
		}
		lines = append(lines, line)
	}
	leads := make([]string, len(rs.Leads))
	for i, l := range rs.Leads {
		leads[i] = LeadName(l)
	}
	reminders := fmt.Sprintf("Reminders go out %s before each session.", strings.Join(leads, " and "))
	if len(leads) == 0 {
		reminders = "No reminders are posted (lead:none)."
	}
	m := bot.Message{
		Title:  "Schedule saved for " + req.Group.Name,
		Text:   fmt.Sprintf("Times are in the group's zone, %s, and shown to each person in theirs. %s", req.Group.TimeZone, reminders),
		Fields: []bot.Field{{Name: "Next sessions", Value: strings.Join(lines, "\n")}},
	}
	return []bot.Outbound{bot.ReplyMessage(m)}, nil
}

// refuseConfigSeries refuses to replace a series the config file declares:
// tend applies the file at every start, which would undo the change
// without a word (as group setup is refused for the file's groups).
func (rm *Reminders) refuseConfigSeries(ctx context.Context, g *bot.Group) error {
	if g.Source != bot.SourceConfig {
		return nil
	}
	ser, err := rm.st.Series(ctx, g.ID)
	if errors.Is(err, bot.ErrNotFound) || (err == nil && ser.Source != bot.SourceConfig) {
		return nil // the file declares no series for the group: chat keeps it
	} else if err != nil {
		return err
	}
	where := "the config file"
	if rm.configFile != "" {
		where = rm.configFile
	}
	if rm.configLine != nil {
		if line := rm.configLine(g.Name); line > 0 {
			where += fmt.Sprintf(" (the group's entry is on line %d)", line)
		}
	}
	return bot.Errorf("Group %s's series is set in %s, which tend applies at every start, so it is changed there: edit the group's schedule: and restart tend. Here you can still pause or resume the series and cancel or move single sessions.", g.Name, where)
}

func statusWord(s bot.Session) string {
	switch s.Status {
	case bot.SessionCancelled:
		return " — cancelled"
	case bot.SessionRunning:
		return " — happening now"
	case bot.SessionDone:
		return " — done"
	}
	return ""
}

func (rm *Reminders) cmdList(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	if _, err := rm.materialize(ctx, req.Group.ID, req.Now, countStop(5, req.Now)); err != nil {
		return nil, err
	}
	// Sessions of a schedule since replaced are listed apart, however
	// many: they were never held, and their numbers are the old
	// schedule's.
	all, err := rm.st.LiveSessions(ctx, req.Group.ID, req.Now, maxListed)
	if err != nil {
		return nil, err
	}
	replaced, err := rm.st.ReplacedSessions(ctx, req.Group.ID, req.Now, maxListed)
	if err != nil {
		return nil, err
	}
	nReplaced := len(replaced)
	if nReplaced == maxListed {
		if nReplaced, err = rm.st.CountReplacedSessions(ctx, req.Group.ID, req.Now); err != nil {
			return nil, err
		}
	}
	var lines []string
	for _, s := range all {
		lines = append(lines, fmt.Sprintf("%s — %s%s", sessionTitle(s, 0), bot.Time(s.Start, bot.TimeFull), statusWord(s)))
	}
	if len(lines) == 0 && len(replaced) == 0 {
		return nil, rm.noSessions(ctx, req.Group)
	}
	text := strings.Join(lines, "\n")
	if len(lines) == 0 {
		text = "No session of the current schedule is coming."
	}
	if ser, err := rm.st.Series(ctx, req.Group.ID); err == nil && ser.Paused {
		text = "The series is paused: /tend session resume to continue.\n" + text
	}
	m := bot.Message{Title: "Sessions of " + req.Group.Name, Text: text}
	if len(replaced) > 0 {
		var gone []string
		for _, s := range replaced {
			gone = append(gone, fmt.Sprintf("%s — %s", sessionTitle(s, 0), bot.Time(s.Start, bot.TimeFull)))
		}
		if more := nReplaced - len(replaced); more > 0 {
			gone = append(gone, fmt.Sprintf("and %d more", more))
		}
		m.Fields = append(m.Fields, bot.Field{Name: "Replaced by the new schedule (not held)", Value: strings.Join(gone, "\n")})
	}
	return []bot.Outbound{bot.ReplyMessage(m)}, nil
}

// maxListed bounds each part of "session list": the live series and the
// replaced sessions (the rest of those counted).
const maxListed = 10

// countStop stops materialising once n sessions start after now.
func countStop(n int, now time.Time) func(bot.Session) bool {
	seen := 0
	return func(s bot.Session) bool {
		if s.Start.After(now) {
			seen++
		}
		return seen >= n
	}
}

// findSession resolves "3" (session number) or "2026-12-01" (local date)
// to a session of the current schedule that has not started, materialising
// ahead up to a year when it is further away.
func (rm *Reminders) findSession(ctx context.Context, g *bot.Group, which string, now time.Time) (bot.Session, error) {
	loc, err := rm.location(g)
	if err != nil {
		return bot.Session{}, err
	}
	var match func(bot.Session) bool
	if n, err := strconv.Atoi(which); err == nil {
		match = func(s bot.Session) bool { return s.Number == n }
	} else if d, err := time.ParseInLocation(time.DateOnly, which, loc); err == nil {
		match = func(s bot.Session) bool { return s.Start.In(loc).Format(time.DateOnly) == d.Format(time.DateOnly) }
	} else {
		return bot.Session{}, bot.Errorf("%q is neither a session number nor a date. Write the number from /tend session list, such as 3, or the date as YYYY-MM-DD.", which)
	}
	limit := now.AddDate(1, 0, 0)
	if _, err := rm.materialize(ctx, g.ID, now, func(s bot.Session) bool { return match(s) || s.Start.After(limit) }); err != nil {
		return bot.Session{}, err
	}
	ss, err := rm.st.UpcomingSessions(ctx, g.ID, now, 400)
	if err != nil {
		return bot.Session{}, err
	}
	for _, s := range ss {
		if match(s) && s.Status == bot.SessionScheduled && s.Start.After(now) {
			return s, nil
		}
	}
	if ser, err := rm.st.Series(ctx, g.ID); err != nil || ser.Paused {
		return bot.Session{}, rm.noSessions(ctx, g)
	}
	return bot.Session{}, bot.Errorf("There is no upcoming session %s. /tend session list shows the sessions you can cancel or move.", which)
}

func (rm *Reminders) cmdCancel(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	s, err := rm.findSession(ctx, req.Group, req.Arg("which"), req.Now)
	if err != nil {
		return nil, err
	}
	why := fmt.Sprintf("the session was cancelled by %s", req.Actor.Principal())
	if err := rm.st.CancelSession(ctx, s.ID, why, req.Now, rm.cancelledEvents(g, why, req.Now)); err != nil {
		return nil, err
	}
	s.Status = bot.SessionCancelled
	// The notice names the meeting that takes the cancelled one's place:
	// the first scheduled session after it (a session between now and the
	// cancelled one is already announced by its own reminders).
	var next *bot.Session
	if n, ok, err := rm.nextSession(ctx, req.Group, s.Start); err == nil && ok {
		next = &n
	}
	key := "cancel/" + strconv.FormatInt(s.ID, 10)
	outs := []bot.Outbound{bot.Post(key, g.Address, cancelMessage(s, next))}
	rm.runner.Notify()
	outs = append(outs, bot.Reply(fmt.Sprintf("Session %d on %s is cancelled; the group has been told. Its reminders will not be sent.", s.Number, bot.Time(s.Start, bot.TimeFull))))
	return outs, nil
}

// parseMoveTo reads "2026-12-02 18:30" or "18:30" (on the session's own
// local day) in loc.
func parseMoveTo(to string, day time.Time, loc *time.Location) (time.Time, error) {
	to = strings.TrimSpace(to)
	date, clock, ok := strings.Cut(to, " ")
	if !ok {
		date, clock = day.In(loc).Format(time.DateOnly), to
	}
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(date))
	if err != nil {
		return time.Time{}, bot.Errorf("to:%q is not a date and time. Write to:\"%s 18:30\", or to:18:30 to keep the day.", to, day.In(loc).Format(time.DateOnly))
	}
	m, err := schedule.ParseClock(strings.TrimSpace(clock))
	if err != nil {
		return time.Time{}, bot.Errorf("to:%q: %v.", to, err)
	}
	t, _ := schedule.WallTime(d.Year(), d.Month(), d.Day(), m/60, m%60, loc)
	return t, nil
}

func (rm *Reminders) cmdMove(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	loc, err := rm.location(req.Group)
	if err != nil {
		return nil, err
	}
	s, err := rm.findSession(ctx, req.Group, req.Arg("which"), req.Now)
	if err != nil {
		return nil, err
	}
	start, err := parseMoveTo(req.Arg("to"), s.Start, loc)
	if err != nil {
		return nil, err
	}
	if !start.After(req.Now) {
		return nil, bot.Errorf("%s is in the past. Move the session to a later time.", start.In(loc).Format("Mon 2 Jan 2006 15:04 MST"))
	}
	if start.Equal(s.Start) {
		return nil, bot.Errorf("Session %d is already at that time.", s.Number)
	}
	ser, err := rm.st.Series(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	end := start.Add(s.End.Sub(s.Start))
	if n, at, busy, err := rm.sessionDuring(ctx, g, ser, loc, s.ID, start, end); err != nil {
		return nil, err
	} else if busy {
		return nil, bot.Errorf("Session %d is at that time (%s), so session %d cannot move there. Choose another time, or move or cancel session %d first.", n, bot.Time(at, bot.TimeFull), s.Number, n)
	}
	jobs := func(moved bot.Session) []bot.Job {
		ev := &bot.SessionEvent{Phase: bot.PhaseMoved, Group: g, Session: moved, From: &s, EventMeta: bot.EventMeta{At: req.Now}}
		return append(rm.jobsFor(ser, req.Now)(moved), rm.b.SessionEventJobs(ev)...)
	}
	moved, err := rm.st.MoveSession(ctx, s.ID, start, end, req.Now, jobs)
	if err != nil {
		return nil, err
	}
	rm.runner.Notify()
	outs := []bot.Outbound{bot.Post("move/"+strconv.FormatInt(s.ID, 10), g.Address, moveMessage(g, s, moved))}
	outs = append(outs, bot.Reply(fmt.Sprintf("Session %d moved to %s; the group has been told, and reminders follow the new time.", moved.Number, bot.Time(moved.Start, bot.TimeFull))))
	return outs, nil
}

// sessionDuring finds a session of the group, other than the one with id
// except, that will be held during [start, end): a stored one that is not
// cancelled, or one the series will hold that is not stored yet. It
// returns its number and start.
func (rm *Reminders) sessionDuring(ctx context.Context, g bot.Group, ser bot.Series, loc *time.Location, except int64, start, end time.Time) (int, time.Time, bool, error) {
	stored, err := rm.st.UpcomingSessions(ctx, g.ID, start, 100)
	if err != nil {
		return 0, time.Time{}, false, err
	}
	for _, o := range stored {
		if !o.Start.Before(end) {
			break
		}
		if o.ID != except && o.Status != bot.SessionCancelled && o.End.After(start) {
			return o.Number, o.Start, true, nil
		}
	}
	plan, err := schedule.ParsePlan(ser.Schedule, loc)
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("stored schedule of group %s no longer parses: %w", g.Name, err)
	}
	last, _, have, err := rm.st.LastPlannedSession(ctx, g.ID)
	if err != nil {
		return 0, time.Time{}, false, err
	}
	// Sessions are stored in order, so those numbered past the last stored
	// one are still to come.
	for o, ok := plan.Next(start.Add(-plan.Duration())); ok && o.Start.Before(end); o, ok = plan.After(o) {
		if !have || o.Number > last.Number {
			return o.Number, o.Start, true, nil
		}
	}
	return 0, time.Time{}, false, nil
}

func (rm *Reminders) cmdPause(ctx context.Context, req *bot.Request, pause bool) ([]bot.Outbound, error) {
	ser, err := rm.st.Series(ctx, req.Group.ID)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, bot.Errorf("%s has no schedule to pause or resume. Set one with /tend session schedule.", req.Group.Name)
	} else if err != nil {
		return nil, err
	}
	if ser.Paused == pause {
		if pause {
			return nil, bot.Errorf("The series is already paused. /tend session resume continues it.")
		}
		return nil, bot.Errorf("The series is not paused. /tend session pause pauses it.")
	}
	if !pause {
		if err := rm.skipPausedSessions(ctx, *req.Group, ser, req.Now); err != nil {
			return nil, err
		}
	}
	if err := rm.st.SetSeriesPaused(ctx, req.Group.ID, pause, req.Now); err != nil {
		return nil, err
	}
	if pause {
		return []bot.Outbound{bot.Reply("Paused: no reminders or sessions until /tend session resume. Members who ask are told the sessions are paused; post a note if you want everyone to know.")}, nil
	}
	if err := rm.ensureAhead(ctx, req.Group.ID, req.Now); err != nil {
		return nil, err
	}
	rm.runner.Notify()
	msg := "Resumed."
	if s, ok, err := rm.nextSession(ctx, req.Group, req.Now); err == nil && ok {
		msg += fmt.Sprintf(" The next session is %s.", bot.Time(s.Start, bot.TimeFull))
	}
	return []bot.Outbound{bot.Reply(msg)}, nil
}

// skipPausedSessions, called while the series is still paused, makes it
// resume at its first session after now: that session is stored (with its
// reminders under the short-notice rule) unless it already is, so that the
// sessions that fell in the pause are never stored, started late or
// reminded of; their numbers stay theirs. A session stored before the
// pause keeps its jobs, which the pause skipped.
func (rm *Reminders) skipPausedSessions(ctx context.Context, g bot.Group, ser bot.Series, now time.Time) error {
	last, _, have, err := rm.st.LastPlannedSession(ctx, g.ID)
	if err != nil || !have {
		return err // a series with nothing stored starts from now anyway
	}
	loc, err := rm.location(&g)
	if err != nil {
		return err
	}
	plan, err := schedule.ParsePlan(ser.Schedule, loc)
	if err != nil {
		return fmt.Errorf("stored schedule of group %s no longer parses: %w", g.Name, err)
	}
	o, ok := plan.Next(now)
	if !ok || o.Number <= last.Number+1 {
		return nil // nothing fell in the pause that is not stored
	}
	s := bot.Session{GroupID: g.ID, Number: o.Number, Start: o.Start, End: o.End, Topic: plan.Topic(o.Number),
		Status: bot.SessionScheduled, Link: ser.Schedule.Link, VoiceChannel: ser.Schedule.VoiceChannel}
	_, _, err = rm.st.MaterializeSession(ctx, s, rm.jobsFor(ser, now))
	return err
}

func (rm *Reminders) jobLine(j bot.Job) string {
	label := rm.runner.Label(j)
	switch j.State {
	case bot.JobPending:
		line := fmt.Sprintf("%s: pending, due %s", label, bot.Time(j.DueAt, bot.TimeShort))
		if j.Note != "" {
			line += " (retrying after: " + j.Note + ")"
		}
		return line
	case bot.JobRunning:
		return fmt.Sprintf("%s: running now", label)
	}
	word := string(j.State)
	if j.State == bot.JobDone {
		word = j.Note
		if word == "" {
			word = "done"
		}
		return fmt.Sprintf("%s: %s, %s", label, word, bot.Time(j.FinishedAt, bot.TimeShort))
	}
	line := fmt.Sprintf("%s: %s, %s", label, word, bot.Time(j.FinishedAt, bot.TimeShort))
	if j.Note != "" {
		line += " — " + j.Note
	}
	return line
}

// deliveryNote adds what the outbox knows of a reminder post: several
// attempts, or a post begun but never confirmed.
func (rm *Reminders) deliveryNote(ctx context.Context, key string) string {
	e, err := rm.st.OutboxEntry(ctx, key)
	if err != nil {
		return "" // never attempted (or unreadable): the job line says why
	}
	switch {
	case e.State == bot.OutboxFailed:
		return " — the platform refused it: " + e.Error
	case e.State == bot.OutboxSending:
		return fmt.Sprintf(" — delivery not confirmed yet (%s)", bot.Plural(e.Attempts, "attempt", "attempts"))
	case e.Attempts > 1:
		return fmt.Sprintf(" (posted after %d attempts)", e.Attempts)
	}
	return ""
}

func (rm *Reminders) cmdLog(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	var ss []bot.Session
	if w := req.Arg("which"); w != "" {
		loc, err := rm.location(req.Group)
		if err != nil {
			return nil, err
		}
		all, err := rm.st.RecentSessions(ctx, req.Group.ID, req.Now.AddDate(2, 0, 0), 400)
		if err != nil {
			return nil, err
		}
		for _, s := range all {
			if w == strconv.Itoa(s.Number) || w == s.Start.In(loc).Format(time.DateOnly) {
				ss = append(ss, s)
			}
		}
		if len(ss) == 0 {
			return nil, bot.Errorf("No session %s has been scheduled. /tend session log with no argument shows the recent and next sessions.", w)
		}
	} else {
		// The next session, though its series was deferred.
		if err := rm.ensureAhead(ctx, req.Group.ID, req.Now); err != nil {
			return nil, err
		}
		past, err := rm.st.RecentSessions(ctx, req.Group.ID, req.Now, 3)
		if err != nil {
			return nil, err
		}
		for i := len(past) - 1; i >= 0; i-- {
			ss = append(ss, past[i])
		}
		next, err := rm.st.UpcomingSessions(ctx, req.Group.ID, req.Now, 6)
		if err != nil {
			return nil, err
		}
		for _, s := range next {
			if !s.Start.Before(req.Now) {
				ss = append(ss, s)
			}
			if len(ss) >= 6 {
				break
			}
		}
	}
	if len(ss) == 0 {
		return nil, rm.noSessions(ctx, req.Group)
	}
	replaced, err := rm.st.ReplacedSessions(ctx, req.Group.ID, time.Time{}, 1000)
	if err != nil {
		return nil, err
	}
	old := make(map[int64]bool, len(replaced))
	for _, s := range replaced {
		old[s.ID] = true
	}
	var fields []bot.Field
	for _, s := range ss {
		status := statusWord(s)
		if old[s.ID] {
			status = " — replaced by a new schedule"
		}
		jobs, err := rm.st.SessionJobs(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		lines := make([]string, 0, len(jobs))
		for _, j := range jobs {
			line := rm.jobLine(j)
			if j.Kind == KindReminder {
				var p payload
				if json.Unmarshal(j.Payload, &p) == nil {
					line += rm.deliveryNote(ctx, ReminderKey(j.SessionID, time.Duration(p.Lead)*time.Second))
				}
			}
			lines = append(lines, line)
		}
		if len(lines) == 0 {
			lines = append(lines, "nothing was scheduled")
		}
		fields = append(fields, bot.Field{Name: fmt.Sprintf("%s — %s%s", sessionTitle(s, 0), bot.Time(s.Start, bot.TimeShort), status), Value: strings.Join(lines, "\n")})
	}
	return []bot.Outbound{bot.ReplyMessage(bot.Message{Title: "Session log of " + req.Group.Name, Fields: fields})}, nil
}
