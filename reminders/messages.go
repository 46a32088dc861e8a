package reminders

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Button actions.
const (
	ActionRSVPYes = "rsvp.yes"
	ActionRSVPNo  = "rsvp.no"
)

// splitTopic reads a topic written as "distress tolerance | bring your
// diary card" into the topic and what to bring.
func splitTopic(t string) (topic, bring string) {
	topic, bring, _ = strings.Cut(t, "|")
	return strings.TrimSpace(bot.StripPlaceholderRunes(topic)), strings.TrimSpace(bot.StripPlaceholderRunes(bring))
}

// sessionTitle is "Session 3 of 8: distress tolerance".
func sessionTitle(s bot.Session, count int) string {
	var b strings.Builder
	b.WriteString("Session " + strconv.Itoa(s.Number))
	if count > 0 {
		b.WriteString(" of " + strconv.Itoa(count))
	}
	if t, _ := splitTopic(s.Topic); t != "" {
		b.WriteString(": " + t)
	}
	return b.String()
}

// where names the link or voice channel of s.
func where(g bot.Group, s bot.Session) []bot.Field {
	var fs []bot.Field
	if s.Link != "" {
		fs = append(fs, bot.Field{Name: "Join", Value: bot.StripPlaceholderRunes(s.Link), Inline: true})
	}
	if s.VoiceChannel != "" {
		v := string(s.VoiceChannel)
		if g.Address.Platform != bot.PlatformConsole {
			v = "<#" + v + ">"
		}
		fs = append(fs, bot.Field{Name: "Voice channel", Value: v, Inline: true})
	}
	return fs
}

// rsvpLine is the running count shown on a reminder.
func rsvpLine(rs []bot.RSVP) string {
	yes, no := 0, 0
	for _, r := range rs {
		if r.Answer == bot.RSVPYes {
			yes++
		} else {
			no++
		}
	}
	return fmt.Sprintf("%d coming · %d can't make it", yes, no)
}

// reminderMessage renders a reminder. It depends only on stored state, so
// that an RSVP edit renders the same message with a new count.
func reminderMessage(g bot.Group, s bot.Session, ser bot.Series, lead time.Duration, rs []bot.RSVP) bot.Message {
	m := bot.Message{Title: sessionTitle(s, ser.Schedule.Count)}
	var b strings.Builder
	fmt.Fprintf(&b, "Starts %s (%s).", bot.Time(s.Start, bot.TimeFull), bot.Time(s.Start, bot.TimeRelative))
	if _, bring := splitTopic(s.Topic); bring != "" {
		b.WriteString("\nWhat to bring: " + bring)
	}
	m.Text = b.String()
	m.Fields = where(g, s)
	if ser.Settings.RSVP {
		m.Fields = append(m.Fields, bot.Field{Name: "RSVP", Value: rsvpLine(rs)})
		ref := strconv.FormatInt(s.ID, 10)
		m.Buttons = []bot.Button{
			{Label: "I'll be there", Style: bot.ButtonSuccess, Action: bot.Action{Name: ActionRSVPYes, Group: g.ID, Ref: ref}},
			{Label: "Can't make it", Style: bot.ButtonSecondary, Action: bot.Action{Name: ActionRSVPNo, Group: g.ID, Ref: ref}},
		}
	}
	m.Footer = fmt.Sprintf("Reminder %s before · away? /tend away until:YYYY-MM-DD", LeadName(lead))
	return m
}

// dmMessage is the private reminder for members who asked for one. It
// carries no RSVP count (it is never edited) and names the group, since a
// DM has no channel to give context.
func dmMessage(g bot.Group, s bot.Session, ser bot.Series, lead time.Duration) bot.Message {
	m := reminderMessage(g, s, ser, lead, nil)
	m.Title = g.Name + " — " + m.Title
	m.Fields = where(g, s)
	m.Buttons = nil
	m.Footer = "You asked for reminders by DM · stop with /tend reminders dm off in the group's channel"
	return m
}

func startingMessage(g bot.Group, s bot.Session) bot.Message {
	return bot.Message{
		Title:  sessionTitle(s, 0) + " — starting now",
		Text:   fmt.Sprintf("Started %s. Welcome!", bot.Time(s.Start, bot.TimeClock)),
		Fields: where(g, s),
	}
}

func cancelMessage(s bot.Session, next *bot.Session) bot.Message {
	m := bot.Message{
		Title: sessionTitle(s, 0) + " is cancelled",
		Text:  fmt.Sprintf("The session on %s will not take place.", bot.Time(s.Start, bot.TimeFull)),
	}
	if next != nil {
		m.Text += fmt.Sprintf(" The group meets next on %s (%s).", bot.Time(next.Start, bot.TimeFull), bot.Time(next.Start, bot.TimeRelative))
	}
	return m
}

func moveMessage(g bot.Group, from, to bot.Session) bot.Message {
	return bot.Message{
		Title: sessionTitle(to, 0) + " has moved",
		Text: fmt.Sprintf("It was %s; it is now %s (%s).", bot.Time(from.Start, bot.TimeFull),
			bot.Time(to.Start, bot.TimeFull), bot.Time(to.Start, bot.TimeRelative)),
		Fields: where(g, to),
	}
}

// scheduleChangedMessage tells a group that its schedule was replaced:
// the old sessions that will not take place (three by their time, the rest
// counted), or that the times stay and only details changed, and when the
// group meets next.
func scheduleChangedMessage(g bot.Group, ser bot.Series, dropped []bot.Session, next *bot.Session) bot.Message {
	m := bot.Message{Title: "The schedule of " + g.Name + " has changed"}
	var b strings.Builder
	if len(dropped) == 0 {
		b.WriteString("The sessions keep their times; their details (topics, link or number of sessions) have changed.")
	} else {
		var times []string
		for _, s := range dropped[:min(3, len(dropped))] {
			times = append(times, bot.Time(s.Start, bot.TimeFull))
		}
		b.WriteString("These sessions of the old schedule will not take place: " + strings.Join(times, "; "))
		if more := len(dropped) - len(times); more > 0 {
			fmt.Fprintf(&b, "; and %d more", more)
		}
		b.WriteString(".")
	}
	switch {
	case next != nil:
		fmt.Fprintf(&b, " The group meets next on %s (%s).", bot.Time(next.Start, bot.TimeFull), bot.Time(next.Start, bot.TimeRelative))
	case ser.Paused:
		b.WriteString(" The sessions are paused for now; you'll hear when they resume.")
	default:
		b.WriteString(" No session is planned yet.")
	}
	m.Text = b.String()
	if s := next; s != nil {
		m.Fields = where(g, *s)
	}
	return m
}
