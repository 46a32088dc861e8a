package checkins

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/schedule"
)

func (f *Feature) registerCommands() error {
	kinds := make([]string, len(bot.CheckInKinds))
	for i, k := range bot.CheckInKinds {
		kinds[i] = string(k)
	}
	kindOpt := bot.Option{Name: "kind", Description: "scale, traffic, choice, word or text", Choices: kinds}
	promptOpt := bot.Option{Name: "prompt", Description: "the question, one line"}
	deliveryOpt := bot.Option{Name: "delivery", Description: "channel (buttons, private answers) or dm", Choices: []string{bot.DeliverChannel, bot.DeliverDM}}
	choicesOpt := bot.Option{Name: "choices", Description: `for kind choice: "calm; tired; anxious"`}
	windowOpt := bot.Option{Name: "window", Description: "how long it stays open, e.g. 15m", Type: bot.OptDuration}
	specs := []bot.CommandSpec{
		{Path: "checkin", Summary: "Answer the open check-in, privately", Group: bot.GroupRequired, Run: f.cmdCheckIn},
		{Path: "checkin start", Summary: "Ask the group a check-in now", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{kindOpt, promptOpt, deliveryOpt, choicesOpt, windowOpt}, Run: f.cmdStart},
		{Path: "checkin close", Summary: "Close the open check-in now and send the summary", Access: bot.AccessFacilitator, Group: bot.GroupRequired, Run: f.cmdClose},
		{Path: "checkin summary", Summary: "The latest check-in's answers, privately", Access: bot.AccessFacilitator, Group: bot.GroupRequired, Run: f.cmdSummary},
		{Path: "checkin schedule", Summary: "Set the group's check-ins: at each session's start, between sessions", Access: bot.AccessFacilitator, Group: bot.GroupRequired,
			Options: []bot.Option{
				{Name: "at", Description: "start: at each session's start; between: on a cron of its own", Choices: []string{"start", "between"}, Positional: true},
				{Name: "off", Description: "yes turns that check-in off", Type: bot.OptBool},
				kindOpt, promptOpt, deliveryOpt, choicesOpt, windowOpt,
				{Name: "cron", Description: `for between: e.g. "0 12 * * FRI", in the group's zone`, Placeholder: "cron"},
				{Name: "nudge", Description: "for between: one gentle reminder to those who have not answered", Type: bot.OptBool},
				{Name: "share_tally", Description: "show the group an anonymous tally (3 answers or more)", Type: bot.OptBool},
				{Name: "escalate_after", Description: "an untaken safety alert goes further after this, e.g. 10m", Type: bot.OptDuration},
				{Name: "retention_days", Description: "days to keep answers and alerts", Type: bot.OptInt},
			},
			Run: f.cmdSchedule},
	}
	for _, s := range specs {
		if err := f.b.Register(s); err != nil {
			return err
		}
	}
	for _, a := range []bot.ActionSpec{
		// Answers: the core's log never names who gave them.
		{Name: ActionAnswer, Private: true, Run: f.answerButton},
		{Name: ActionText, Private: true, Run: f.answerText},
		// A facilitators' channel is bound to no group: the handler checks
		// that the one pressing facilitates the alert's group.
		{Name: ActionTake, Access: bot.AccessAnyone, Run: f.take},
	} {
		if err := f.b.RegisterAction(a); err != nil {
			return err
		}
	}
	return nil
}

// openNow returns the group's newest check-in that is open now.
func (f *Feature) openNow(ctx context.Context, g bot.Group, now time.Time) (bot.CheckIn, bool, error) {
	cs, err := f.st.RecentCheckIns(ctx, g.ID, 20)
	if err != nil {
		return bot.CheckIn{}, false, err
	}
	for _, c := range cs {
		if c.Open(now) {
			return c, true, nil
		}
	}
	return bot.CheckIn{}, false, nil
}

func (f *Feature) cmdCheckIn(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	c, ok, err := f.openNow(ctx, g, req.Now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, bot.Errorf("Group %s has no open check-in right now. Your facilitators can start one with /tend checkin start.", g.Name)
	}
	if _, err := f.openCheckIn(ctx, req, c.ID); err != nil {
		return nil, err
	}
	s, err := f.settings(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	informed, err := f.st.Informed(ctx, g.ID, req.Actor.ID)
	if err != nil {
		return nil, err
	}
	m := f.promptMessage(g, c, s, !informed)
	if !informed {
		if err := f.st.MarkInformed(ctx, g.ID, req.Actor.ID, req.Now); err != nil {
			return nil, err
		}
	}
	// A private reply: its buttons are bound to the one who asked.
	return []bot.Outbound{bot.ReplyMessage(m)}, nil
}

// Longest windows: a check-in at a session's start as in the config; one
// between sessions or asked now, a week.
const (
	maxStartWindow = 12 * time.Hour
	maxLongWindow  = 7 * 24 * time.Hour
)

// specFromArgs reads a check-in's question from a command's arguments over
// base; its window may be at most maxWindow.
func specFromArgs(g bot.Group, req *bot.Request, base bot.CheckInSpec, maxWindow time.Duration) (bot.CheckInSpec, error) {
	s := base
	if k := req.Arg("kind"); k != "" {
		s.Kind = bot.CheckInKind(k)
		if k != string(base.Kind) && req.Arg("prompt") == "" {
			s.Prompt = ""
		}
		if s.Kind != bot.CheckInChoice {
			s.Choices = nil
		}
	}
	if s.Kind == "" {
		s.Kind = bot.CheckInTraffic
	}
	if s.Kind.FreeText() && g.Privacy == bot.PrivacyMinimal {
		return s, bot.Errorf("Group %s has privacy: minimal, which keeps typed answers out: use kind:scale, kind:traffic or kind:choice.", g.Name)
	}
	if p := req.Arg("prompt"); p != "" {
		if err := checkPrompt(p); err != nil {
			return s, bot.Errorf("prompt: %v. Keep the question to one line of at most 200 characters.", err)
		}
		s.Prompt = p
	}
	if d := req.Arg("delivery"); d != "" {
		s.Delivery = d
	}
	if s.Delivery == "" {
		s.Delivery = bot.DeliverChannel
	}
	if cs := req.Arg("choices"); cs != "" {
		s.Choices = nil
		for _, c := range strings.Split(cs, ";") {
			if c = strings.TrimSpace(c); c != "" {
				s.Choices = append(s.Choices, clip(c, 40))
			}
		}
	}
	switch {
	case s.Kind == bot.CheckInChoice && len(s.Choices) < 2:
		return s, bot.Errorf(`A choice check-in needs at least two choices: add choices:"calm; tired; anxious".`)
	case len(s.Choices) > maxChoices:
		return s, bot.Errorf("%d choices are too many for buttons: keep at most %d.", len(s.Choices), maxChoices)
	case s.Kind != bot.CheckInChoice && req.Arg("choices") != "":
		return s, bot.Errorf("Only a choice check-in has choices: add kind:choice, or leave choices out.")
	}
	if w := req.Arg("window"); w != "" {
		d, _ := time.ParseDuration(w)
		if d < time.Minute || d > maxWindow {
			return s, bot.Errorf("window: %s is out of range: write a duration from 1m to %s, such as 15m.", w, shortDuration(maxWindow))
		}
		s.Window = d
	}
	if s.Prompt == "" {
		s.Prompt = defaultPrompt(s.Kind, false)
	}
	return s, nil
}

func (f *Feature) cmdStart(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	s, err := f.settings(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	base := bot.CheckInSpec{Kind: bot.CheckInTraffic, Delivery: bot.DeliverChannel, Window: DefaultStartWindow}
	if s.AtStart != nil {
		base = *s.AtStart
	}
	spec, err := specFromArgs(g, req, base, maxLongWindow)
	if err != nil {
		return nil, err
	}
	spec.Cron, spec.Nudge = "", false
	// Asked here, before the answer, so that the facilitator sees it go
	// out; its job, a little later, finishes what a crash interrupted.
	c, created, err := f.open(ctx, g, bot.OriginDemand, "demand/"+strconv.FormatInt(g.ID, 10)+"/"+strconv.FormatInt(req.Now.UnixNano(), 10), 0, spec, req.Now, req.Now.Add(askBackup))
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, bot.Errorf("A check-in was started in group %s this very second. /tend checkin summary shows it.", g.Name)
	}
	if _, err := f.deliver(ctx, c.ID); err != nil {
		f.log.Warn("asking a check-in failed; its job will try again", bot.KeyGroup, g.Name, "checkin", c.ID, bot.KeyErr, err)
	}
	where := "in the channel"
	if spec.Delivery == bot.DeliverDM {
		where = "by DM to each member"
	}
	return []bot.Outbound{bot.Reply(fmt.Sprintf("Check-in started %s: %q (%s), open until %s. You'll get the summary privately when it closes, or with /tend checkin close.",
		where, spec.Prompt, spec.Kind, bot.Time(c.ClosesAt, bot.TimeClock)))}, nil
}

func (f *Feature) cmdClose(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	c, ok, err := f.openNow(ctx, g, req.Now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, bot.Errorf("Group %s has no open check-in to close. /tend checkin summary shows the latest one.", g.Name)
	}
	_, note, err := f.close(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return []bot.Outbound{bot.Reply("Closed the check-in " + strconv.Quote(c.Spec.Prompt) + ": " + note + ".")}, nil
}

func (f *Feature) cmdSummary(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	cs, err := f.st.RecentCheckIns(ctx, g.ID, 1)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, bot.Errorf("Group %s has had no check-in yet. Start one with /tend checkin start.", g.Name)
	}
	c := cs[0]
	if !c.PurgedAt.IsZero() {
		return nil, bot.Errorf("The answers to group %s's latest check-in were deleted after its retention period; %d answered and %d passed.", g.Name, c.Answered, c.Passed)
	}
	m, err := f.summary(ctx, g, c)
	if err != nil {
		return nil, err
	}
	return []bot.Outbound{bot.ReplyMessage(m)}, nil
}

func (f *Feature) cmdSchedule(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	s, err := f.settings(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	if s.Source == bot.SourceConfig {
		return nil, bot.Errorf("Group %s's check-ins are set in %s, which wins at every start: change them there.", g.Name, f.configFile)
	}
	s.Source = bot.SourceChat
	changed := []string{}
	switch at := req.Arg("at"); at {
	case "start", "between":
		between := at == "between"
		cur := s.AtStart
		if between {
			cur = s.Between
		}
		off, _ := bot.ParseBool(req.Arg("off"))
		var next *bot.CheckInSpec
		if !off {
			base := bot.CheckInSpec{Kind: bot.CheckInTraffic, Delivery: bot.DeliverChannel, Window: DefaultStartWindow}
			if between {
				base = bot.CheckInSpec{Kind: bot.CheckInScale, Delivery: bot.DeliverDM, Window: DefaultBetweenWindow}
			}
			if cur != nil {
				base = *cur
			}
			limit := maxStartWindow
			if between {
				limit = maxLongWindow
			}
			spec, err := specFromArgs(g, req, base, limit)
			if err != nil {
				return nil, err
			}
			if spec.Prompt == defaultPrompt(spec.Kind, false) && between {
				spec.Prompt = defaultPrompt(spec.Kind, true)
			}
			if between {
				if c := req.Arg("cron"); c != "" {
					spec.Cron = c
				}
				if spec.Cron == "" {
					return nil, bot.Errorf(`A between-session check-in needs its own schedule: add cron:"0 12 * * FRI" (Fridays at noon, in the group's zone).`)
				}
				loc, err := g.Location()
				if err != nil {
					return nil, bot.Errorf("Group %s has no usable time zone: fix it with /tend group setup timezone:.", g.Name)
				}
				if err := schedule.CheckCron(spec.Cron, loc); err != nil {
					return nil, bot.Errorf("cron: %v. Write a five-field cron expression such as \"0 12 * * FRI\".", err)
				}
				if n := req.Arg("nudge"); n != "" {
					spec.Nudge, _ = bot.ParseBool(n)
				}
			} else if req.Arg("cron") != "" || req.Arg("nudge") != "" {
				return nil, bot.Errorf("cron: and nudge: are for the between-session check-in: use at:between.")
			}
			next = &spec
			changed = append(changed, fmt.Sprintf("%s: %s %q by %s", at, spec.Kind, spec.Prompt, spec.Delivery))
		} else {
			changed = append(changed, at+": off")
		}
		if between {
			s.Between = next
		} else {
			s.AtStart = next
		}
	case "":
		for _, o := range []string{"off", "kind", "prompt", "delivery", "choices", "window", "cron", "nudge"} {
			if req.Arg(o) != "" {
				return nil, bot.Errorf("%s: is about one check-in: add at:start or at:between.", o)
			}
		}
	}
	if v := req.Arg("share_tally"); v != "" {
		s.ShareTally, _ = bot.ParseBool(v)
		changed = append(changed, fmt.Sprintf("anonymous tally %s", onOff(s.ShareTally)))
	}
	if v := req.Arg("escalate_after"); v != "" {
		d, _ := time.ParseDuration(v)
		if d < time.Minute || d > 24*time.Hour {
			return nil, bot.Errorf("escalate_after: %s is out of range: write a duration from 1m to 24h, such as 10m.", v)
		}
		s.EscalateAfter = d
		changed = append(changed, "alerts escalate after "+shortDuration(d))
	}
	if v := req.Arg("retention_days"); v != "" {
		d, _ := strconv.Atoi(v)
		if d < 1 || d > 3650 {
			return nil, bot.Errorf("retention_days: %s is out of range: write a number of days from 1 to 3650.", v)
		}
		s.RetentionDays = d
		changed = append(changed, fmt.Sprintf("answers kept %d days", d))
	}
	if len(changed) == 0 {
		return []bot.Outbound{bot.Reply("Group " + g.Name + "'s check-ins: " + describeSettings(s) + ". Change them with at:start or at:between and the settings to change.")}, nil
	}
	if err := f.save(ctx, req.Actor.Principal(), g, s); err != nil {
		return nil, err
	}
	return []bot.Outbound{bot.Reply("Saved — " + strings.Join(changed, "; ") + ".\nGroup " + g.Name + "'s check-ins now: " + describeSettings(s) + ".")}, nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
