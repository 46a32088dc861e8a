package norms

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tend-bot/tend/bot"
)

// ActionAgree is the "I agree" button's action; its Ref is the version it
// was shown with.
const ActionAgree = "norms.agree"

// ActionEdit is the edit form's action; its Ref is the version the form
// was opened on.
const ActionEdit = "norms.edit"

// DefaultRetentionDays is how long check-in answers are kept when the
// store does not say otherwise for a group (the retention_days default).
const DefaultRetentionDays = 90

// retentionReader is an optional capability of the Store: how many days a
// group keeps check-in answers (retention_days). Without it, the privacy
// note says DefaultRetentionDays.
type retentionReader interface {
	RetentionDays(ctx context.Context, groupID int64) (int, error)
}

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

// privacyText says plainly what g's privacy is: who sees check-in answers,
// that words of risk alert a facilitator, how long answers are kept, and
// that tend is not watched around the clock, unless the operator's own
// words about urgent help say otherwise.
func (f *Feature) privacyText(ctx context.Context, g bot.Group) string {
	days := DefaultRetentionDays
	if rr, ok := f.st.(retentionReader); ok {
		if d, err := rr.RetentionDays(ctx, g.ID); err == nil && d > 0 {
			days = d
		}
	}
	var b strings.Builder
	b.WriteString("Check-in answers are seen only by the facilitators, never by the group. ")
	b.WriteString("If something you send tend privately suggests you may be at risk, a facilitator is told at once, privately. ")
	fmt.Fprintf(&b, "Check-in answers are deleted after %d days; attendance is kept for the group's records. ", days)
	if g.Privacy == bot.PrivacyMinimal {
		b.WriteString("This group keeps no names: summaries show codes. ")
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
	return "No session is scheduled yet; the facilitators will let you know.", nil
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
