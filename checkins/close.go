package checkins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tend-bot/tend/bot"
)

// minTally is the fewest answers the group's anonymous tally shows: a
// tally of one or two identifies people.
const minTally = 3

// runClose closes a check-in: the facilitators get the summary privately
// and, when the group shares it and at least three answered, the group
// gets the anonymous tally. Each is sent once, by its outbox key.
func (f *Feature) runClose(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	c, note, err := f.close(ctx, p.CheckIn)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the check-in or its group no longer exists"}, nil
	}
	if err != nil {
		return bot.JobResult{}, err
	}
	f.log.Info("check-in closed", "checkin", c.ID, "asked", c.Asked, "answered", c.Answered, "passed", c.Passed)
	return bot.JobResult{Note: note}, nil
}

// close closes check-in id (again: idempotent) and sends its summary and
// tally.
func (f *Feature) close(ctx context.Context, id int64) (bot.CheckIn, string, error) {
	c, err := f.st.CheckIn(ctx, id)
	if err != nil {
		return c, "", err
	}
	g, err := f.st.GroupByID(ctx, c.GroupID)
	if err != nil {
		return c, "", err
	}
	c, _, err = f.st.CloseCheckIn(ctx, id, f.clock.Now(), tallyKey(c.Spec))
	if err != nil {
		return c, "", err
	}
	msg, err := f.summary(ctx, g, c)
	if err != nil {
		return c, "", err
	}
	r, err := f.b.TellFacilitators(ctx, g, checkInPrefix(c.ID)+"summary", msg)
	if err != nil {
		return c, "", fmt.Errorf("send the summary: %w", err)
	}
	note := fmt.Sprintf("closed: %d of %d answered, %d passed; summary ", c.Answered, c.Asked, c.Passed)
	switch {
	case r.Channel:
		note += "in the facilitators' channel"
	case r.DMs > 0:
		note += fmt.Sprintf("to %d facilitators by DM", r.DMs)
	case r.Owners:
		note += "to the owners (no facilitator could be reached)"
	default:
		note += "not delivered: nobody could be reached"
	}
	s, err := f.settings(ctx, g.ID)
	if err != nil {
		return c, "", err
	}
	switch {
	case !s.ShareTally || c.Spec.Kind.FreeText():
	case c.Answered < minTally:
		note += fmt.Sprintf("; no tally: %d answered, fewer than %d", c.Answered, minTally)
	default:
		if _, err := f.send.Send(ctx, bot.Post(checkInPrefix(c.ID)+"tally", g.Address, tallyMessage(c))); err != nil {
			return c, "", fmt.Errorf("post the tally: %w", err)
		}
		note += "; tally posted"
	}
	return c, note, nil
}

// tallyKey names an answer's level in the tally: "green", "3", a choice.
func tallyKey(s bot.CheckInSpec) func(int) string {
	return func(level int) string { return levelName(s, level) }
}

// levelName is how an answer's level reads: "red", "3", a choice's text.
func levelName(s bot.CheckInSpec, level int) string {
	switch s.Kind {
	case bot.CheckInTraffic:
		switch level {
		case 1:
			return "red"
		case 2:
			return "yellow"
		case 3:
			return "green"
		}
	case bot.CheckInScale:
		return strconv.Itoa(level)
	case bot.CheckInChoice:
		if level >= 1 && level <= len(s.Choices) {
			return s.Choices[level-1]
		}
	}
	return strconv.Itoa(level)
}

// tallyOrder lists the tally's keys in the order it reads.
func tallyOrder(s bot.CheckInSpec) []string {
	switch s.Kind {
	case bot.CheckInTraffic:
		return []string{"green", "yellow", "red"}
	case bot.CheckInScale:
		return []string{"5", "4", "3", "2", "1"}
	case bot.CheckInChoice:
		return slices.Clone(s.Choices)
	}
	return nil
}

func tallyMessage(c bot.CheckIn) bot.Message {
	var parts []string
	for _, k := range tallyOrder(c.Spec) {
		if n := c.Tally[k]; n > 0 {
			if c.Spec.Kind == bot.CheckInScale {
				parts = append(parts, fmt.Sprintf("%s/5 ×%d", k, n))
			} else {
				parts = append(parts, fmt.Sprintf("%s %d", k, n))
			}
		}
	}
	lead := "Check-in"
	if c.Origin == bot.OriginStart {
		lead = "Arriving today"
	}
	return bot.Message{
		Title: "Check-in: how the group is doing",
		Text: fmt.Sprintf("%s: %s.\nAnonymous: %d answered. Each answer stays private to the member and the facilitators.",
			lead, strings.Join(parts, ", "), c.Answered),
	}
}

// summary is the facilitators' private summary of check-in c: who answered
// what (and how that changed since the last check-in of the same kind), who
// passed, who did not answer, who could not be reached.
func (f *Feature) summary(ctx context.Context, g bot.Group, c bot.CheckIn) (bot.Message, error) {
	answers, err := f.st.CheckInAnswers(ctx, c.ID)
	if err != nil {
		return bot.Message{}, err
	}
	asked, err := f.st.CheckInAsked(ctx, c.ID)
	if err != nil {
		return bot.Message{}, err
	}
	prev := map[bot.UserID]bot.CheckInAnswer{}
	pc, ok, err := f.st.PreviousCheckIn(ctx, c)
	if err != nil {
		return bot.Message{}, err
	}
	if ok && pc.Spec.Kind == c.Spec.Kind && pc.PurgedAt.IsZero() {
		pa, err := f.st.CheckInAnswers(ctx, pc.ID)
		if err != nil {
			return bot.Message{}, err
		}
		for _, a := range pa {
			prev[a.User] = a
		}
	}
	var answered, passed, none, unreachable []string
	got := map[bot.UserID]bool{}
	for _, a := range answers {
		got[a.User] = true
		who := f.label(ctx, g, a.User)
		if a.Pass {
			passed = append(passed, who)
			continue
		}
		shown := answerText(c.Spec, a)
		if g.Privacy == bot.PrivacyMinimal && c.Spec.Kind.FreeText() {
			// Typed before the group became minimal: not shown.
			shown = "answered (words not shown: privacy minimal)"
		}
		line := who + ": " + shown
		if p, ok := prev[a.User]; ok && !p.Pass && c.Spec.Kind != bot.CheckInText && c.Spec.Kind != bot.CheckInWord {
			line += " " + change(c.Spec, p, a)
		}
		answered = append(answered, line)
	}
	for _, a := range asked {
		if got[a.User] {
			continue
		}
		switch a.State {
		case bot.AskedUndeliverable:
			unreachable = append(unreachable, f.label(ctx, g, a.User))
		case bot.AskedSent:
			none = append(none, f.label(ctx, g, a.User))
		}
	}
	title := "Check-in summary — " + g.Name
	if c.Origin == bot.OriginStart {
		title += " (at the start of the session)"
	}
	state := "closed " + bot.Time(c.ClosedAt, bot.TimeShort)
	if c.ClosedAt.IsZero() {
		state = "open until " + bot.Time(c.ClosesAt, bot.TimeShort)
	}
	m := bot.Message{
		Title:  title,
		Text:   fmt.Sprintf("%q — asked %s, %s.", c.Spec.Prompt, bot.Time(c.OpenedAt, bot.TimeShort), state),
		Footer: "Private to the facilitators. Answers are never shown to other members.",
	}
	add := func(name string, lines []string, sep string) {
		if len(lines) > 0 {
			m.Fields = append(m.Fields, bot.Field{Name: fmt.Sprintf("%s (%d)", name, len(lines)), Value: strings.Join(lines, sep)})
		}
	}
	add("Answered", answered, "\n")
	add("Passed", passed, ", ")
	add("No answer yet", none, ", ")
	add("Could not be reached by DM", unreachable, ", ")
	if len(answered)+len(passed)+len(none)+len(unreachable) == 0 {
		m.Fields = append(m.Fields, bot.Field{Name: "Answers", Value: "Nobody answered."})
	}
	if g.Privacy == bot.PrivacyMinimal {
		m.Footer += " privacy: minimal — members are shown by roster code."
	}
	return m, nil
}

// answerText shows one answer to the facilitators.
func answerText(s bot.CheckInSpec, a bot.CheckInAnswer) string {
	switch {
	case a.Pass:
		return "passed"
	case s.Kind.FreeText():
		return strconv.Quote(a.Text)
	case s.Kind == bot.CheckInScale:
		return levelName(s, a.Level) + " of 5"
	}
	return levelName(s, a.Level)
}

// change says how an answer moved since the member's previous one.
func change(s bot.CheckInSpec, prev, cur bot.CheckInAnswer) string {
	if s.Kind == bot.CheckInChoice {
		if prev.Level == cur.Level {
			return "(same as last time)"
		}
		return "(last time: " + levelName(s, prev.Level) + ")"
	}
	switch {
	case cur.Level > prev.Level:
		return "(up from " + levelName(s, prev.Level) + ")"
	case cur.Level < prev.Level:
		return "(down from " + levelName(s, prev.Level) + ")"
	}
	return "(same as last time)"
}

// runNudge sends one gentle private reminder to each member who was asked
// and has not answered, is still in the group and not marked away.
func (f *Feature) runNudge(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	p, err := readPayload(j)
	if err != nil {
		return bot.JobResult{}, err
	}
	c, err := f.st.CheckIn(ctx, p.CheckIn)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the check-in no longer exists"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	now := f.clock.Now()
	if !c.Open(now) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the check-in had closed"}, nil
	}
	g, err := f.st.GroupByID(ctx, c.GroupID)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.JobResult{State: bot.JobSkipped, Note: "the group no longer exists"}, nil
	} else if err != nil {
		return bot.JobResult{}, err
	}
	asked, err := f.st.CheckInAsked(ctx, c.ID)
	if err != nil {
		return bot.JobResult{}, err
	}
	answers, err := f.st.CheckInAnswers(ctx, c.ID)
	if err != nil {
		return bot.JobResult{}, err
	}
	got := map[bot.UserID]bool{}
	for _, a := range answers {
		got[a.User] = true
	}
	// Who is in the group now, and not away now.
	current, err := f.whoToAsk(ctx, g, now)
	if err != nil {
		return bot.JobResult{}, fmt.Errorf("who is in group %s now: %w", g.Name, err)
	}
	s, err := f.settings(ctx, g.ID)
	if err != nil {
		return bot.JobResult{}, err
	}
	var (
		sent    int
		closed  []bot.UserID
		retries []error
	)
	for _, a := range asked {
		if a.State != bot.AskedSent || got[a.User] || !slices.Contains(current, a.User) {
			continue
		}
		msg := f.promptMessage(g, c, s, false)
		msg.Title = "A gentle reminder: " + g.Name + " check-in"
		msg.Text = "No pressure — if you'd like to, you can still answer until " + bot.Time(c.ClosesAt, bot.TimeShort) + ".\n\n" + c.Spec.Prompt
		if _, err := f.send.Send(ctx, bot.DM(checkInPrefix(c.ID)+"nudge/"+string(a.User), g.Address.Platform, a.User, msg)); err != nil {
			if bot.IsPermanent(err) {
				closed = append(closed, a.User)
				continue
			}
			retries = append(retries, err)
			continue
		}
		sent++ // a DM sent before a restart is not sent again: its key keeps it once
		if !a.Nudged {
			if err := f.st.MarkNudged(ctx, c.ID, a.User); err != nil {
				return bot.JobResult{}, err
			}
		}
	}
	if err := errors.Join(retries...); err != nil {
		return bot.JobResult{}, err
	}
	note := fmt.Sprintf("nudged %d", sent)
	if len(closed) > 0 {
		note += fmt.Sprintf("; %d could not be reached (DMs closed)", len(closed))
		if err := f.tellUnreachable(ctx, g, c, closed, "nudge"); err != nil {
			return bot.JobResult{}, err
		}
	}
	return bot.JobResult{Note: note}, nil
}
