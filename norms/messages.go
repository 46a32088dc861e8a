package norms

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/schedule"
)

// ActionAgree is the "I agree" button's action; its Ref is the version it
// was shown with.
const ActionAgree = "norms.agree"

// ActionRead shows a group's norms privately with its I agree button (the
// welcome's button for a list too long to show in it); its Group is the
// group.
const ActionRead = "norms.read"

// ActionEdit is the edit form's action; its Ref is the version the form
// was opened on.
const ActionEdit = "norms.edit"

// layout says what a norms message holds besides the agreements.
type layout struct {
	// title replaces the default "Norms of <group> (version N)".
	title string
	// intro is a line above the agreements.
	intro string
	// privacy adds what the group's privacy is.
	privacy bool
	// button adds "I agree".
	button bool
	// fields come before the crisis and privacy fields.
	fields []bot.Field
	footer string
}

// normsMessage renders version v of g's norms.
func (f *Feature) normsMessage(ctx context.Context, g bot.Group, v bot.NormsVersion, l layout) bot.Message {
	m := bot.Message{Title: l.title, Footer: l.footer}
	if m.Title == "" {
		m.Title = fmt.Sprintf("Norms of %s (version %d)", g.Name, v.Version)
	}
	text := listText(v.Items)
	if l.intro != "" {
		text = l.intro + "\n\n" + text
	}
	m.Text = text
	m.Fields = append(m.Fields, l.fields...)
	m.Fields = append(m.Fields, chunkField("In a crisis", f.resources())...)
	if l.privacy {
		m.Fields = append(m.Fields, chunkField("Privacy in this group", f.privacyText(ctx, g))...)
	}
	if l.button {
		m.Buttons = []bot.Button{agreeButton(g, v)}
	}
	return m
}

func agreeButton(g bot.Group, v bot.NormsVersion) bot.Button {
	return bot.Button{Label: "I agree", Style: bot.ButtonPrimary, Action: bot.Action{Name: ActionAgree, Group: g.ID, Ref: strconv.Itoa(v.Version)}}
}

// resources returns the operator's crisis resources.
func (f *Feature) resources() string {
	if f.b != nil && strings.TrimSpace(f.b.Resources()) != "" {
		return strings.TrimSpace(f.b.Resources())
	}
	return "If you are in danger now, call your local emergency number. A facilitator can tell you where to find help near you."
}

// privacyText says plainly what the privacy of gs (one group, or the
// groups of one welcome) is: who sees check-in answers, that words of risk
// alert a facilitator and, when none takes it up, the people who run tend,
// how long answers are kept, and that tend is not watched around the
// clock, unless the operator's own words about urgent help say otherwise.
func (f *Feature) privacyText(ctx context.Context, gs ...bot.Group) string {
	var b strings.Builder
	b.WriteString("Check-in answers are seen only by the facilitators, never by the group. ")
	b.WriteString("If something you send tend privately suggests you may be at risk, a facilitator is told at once, privately; if no facilitator takes it up, it goes on to the people who run tend. ")
	var kept []string
	known := true
	for _, g := range gs {
		days, err := f.st.RetentionDays(ctx, g.ID)
		if err != nil {
			// The note must not claim a period it could not read.
			f.log.Warn("could not read a group's retention period for its privacy note", bot.KeyGroup, g.Name, bot.KeyErr, err)
			known = false
			break
		}
		period := bot.Plural(days, "day", "days")
		if len(gs) > 1 {
			period += " in " + g.Name
		}
		kept = append(kept, period)
	}
	switch {
	case !known:
		b.WriteString("Check-in answers are deleted after the group's retention period; attendance is kept for the group's records. ")
	case len(gs) > 1 && allSame(kept, gs):
		fmt.Fprintf(&b, "Check-in answers are deleted after %s; attendance is kept for the groups' records. ", strings.TrimSuffix(kept[0], " in "+gs[0].Name))
	case len(gs) > 1:
		fmt.Fprintf(&b, "Check-in answers are deleted after %s; attendance is kept for the groups' records. ", strings.Join(kept, ", "))
	default:
		fmt.Fprintf(&b, "Check-in answers are deleted after %s; attendance is kept for the group's records. ", kept[0])
	}
	for _, g := range gs {
		if g.Privacy != bot.PrivacyMinimal {
			continue
		}
		if len(gs) > 1 {
			fmt.Fprintf(&b, "Group %s keeps no names: summaries show codes. ", g.Name)
		} else {
			b.WriteString("This group keeps no names: summaries show codes. ")
		}
	}
	b.WriteString("tend never reads the group's conversation. ")
	if f.b != nil && f.b.AroundTheClock() {
		b.WriteString("The operator has someone watching tend's alerts around the clock; for urgent help, still use the crisis resources.")
	} else if mentionsWatching(f.resources()) {
		b.WriteString("About urgent help, see \"In a crisis\".")
	} else {
		b.WriteString("Nobody watches tend around the clock: for urgent help use the crisis resources, not the bot.")
	}
	return b.String()
}

// allSame reports whether the periods kept ("30 days in a") are one period
// for every group of gs.
func allSame(kept []string, gs []bot.Group) bool {
	for i := range kept {
		if strings.TrimSuffix(kept[i], " in "+gs[i].Name) != strings.TrimSuffix(kept[0], " in "+gs[0].Name) {
			return false
		}
	}
	return true
}

// mentionsWatching reports whether the operator's resources say whether
// anyone watches the bot, in which case their words stand.
func mentionsWatching(s string) bool {
	s = strings.ToLower(s)
	for _, w := range []string{"around the clock", "24/7", "24 hours", "round the clock", "monitored", "watched"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// chunkField splits a long value into fields every platform shows whole
// (Discord allows 1024 characters in a field), at spaces.
func chunkField(name, value string) []bot.Field {
	const limit = 1000
	var out []bot.Field
	for len(value) > 0 {
		part := value
		if len(part) > limit {
			cut := strings.LastIndexByte(part[:limit], ' ')
			if cut <= 0 {
				cut = limit
			}
			part = part[:cut]
		}
		n := name
		if len(out) > 0 {
			n = name + " (continued)"
		}
		out = append(out, bot.Field{Name: n, Value: strings.TrimSpace(part)})
		value = strings.TrimSpace(value[len(part):])
	}
	return out
}

// nextSession says when g's next session is, in the reader's own time.
func (f *Feature) nextSession(ctx context.Context, g bot.Group) (string, error) {
	ss, err := f.st.UpcomingSessions(ctx, g.ID, f.clock.Now(), 10)
	if err != nil {
		return "", err
	}
	for _, s := range ss {
		if s.Status == bot.SessionScheduled || s.Status == bot.SessionRunning {
			text := bot.Time(s.Start, bot.TimeFull) + " (" + bot.Time(s.Start, bot.TimeRelative) + ")"
			if s.Topic != "" {
				text += ": " + s.Topic
			}
			return text, nil
		}
	}
	// A series whose first sessions are stored only once they are near
	// (a config file's new group) has its next session in its plan.
	if o, topic, ok := f.plannedNext(ctx, g); ok {
		text := bot.Time(o.Start, bot.TimeFull) + " (" + bot.Time(o.Start, bot.TimeRelative) + ")"
		if topic != "" {
			text += ": " + topic
		}
		return text, nil
	}
	return "No session is scheduled yet; the facilitators will let you know.", nil
}

// plannedNext returns the next occurrence of g's series when its first
// sessions are not stored yet, and its topic.
func (f *Feature) plannedNext(ctx context.Context, g bot.Group) (schedule.Occurrence, string, bool) {
	ser, err := f.st.Series(ctx, g.ID)
	if err != nil || ser.Paused || ser.AheadAt.IsZero() {
		return schedule.Occurrence{}, "", false
	}
	loc, err := g.Location()
	if err != nil {
		return schedule.Occurrence{}, "", false
	}
	plan, err := schedule.ParsePlan(ser.Schedule, loc)
	if err != nil {
		return schedule.Occurrence{}, "", false
	}
	o, ok := plan.Next(f.clock.Now())
	if !ok {
		return schedule.Occurrence{}, "", false
	}
	return o, plan.Topic(o.Number), true
}

// channelRef names a channel so that each platform shows a link to it.
func channelRef(a bot.Address) string {
	switch a.Platform {
	case bot.PlatformDiscord, bot.PlatformSlack:
		return "<#" + string(a.Channel) + ">"
	}
	return "#" + string(a.Channel)
}

// roleRef names a Discord role so that Discord shows it.
func roleRef(r bot.RoleID) string { return "<@&" + string(r) + ">" }

// agreedLine says when someone agreed.
func agreedLine(a bot.NormsAck) string {
	return fmt.Sprintf("version %d, %s", a.Version, bot.Time(a.At, bot.TimeShort))
}

// versionLine describes a version for status.
func versionLine(g bot.Group, v bot.NormsVersion) string {
	by := string(v.Author)
	if v.Author.Kind() == g.Address.Platform {
		by = bot.Mention(g.Address.Platform, bot.UserID(v.Author.ID()))
	} else if v.Author == ConfigActor {
		by = "the config file"
	}
	line := fmt.Sprintf("Version %d — %s, by %s", v.Version, bot.Time(v.CreatedAt, bot.TimeShort), by)
	if strings.HasPrefix(v.Source, "template:") {
		line += " (" + strings.TrimPrefix(v.Source, "template:") + " template)"
	}
	return line + ", " + bot.Plural(len(v.Items), "agreement", "agreements")
}
