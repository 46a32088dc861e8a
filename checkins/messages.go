package checkins

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tend-bot/tend/bot"
)

// promptMessage is a check-in as the members see it, with its buttons.
// notice adds the full word up front on who sees answers, that words of
// risk alert a facilitator, how long answers are kept and whether anyone
// watches around the clock; without it a short reminder of it.
func (f *Feature) promptMessage(g bot.Group, c bot.CheckIn, s bot.CheckInSettings, notice bool) bot.Message {
	m := bot.Message{
		Title:   "Check-in — " + g.Name,
		Text:    c.Spec.Prompt,
		Buttons: answerButtons(g.ID, c),
	}
	if c.Spec.Delivery == bot.DeliverChannel {
		m.Text += "\nYour answer is private: only you and the facilitators see it. Open until " + bot.Time(c.ClosesAt, bot.TimeClock) + "."
	} else {
		m.Text += "\nOpen until " + bot.Time(c.ClosesAt, bot.TimeShort) + "."
	}
	if notice {
		m.Fields = append(m.Fields, bot.Field{Name: "Before you answer", Value: f.notice(s, g)})
	} else {
		m.Footer = "Only you and the facilitators see your answer. \"Pass\" is always fine."
	}
	return m
}

// notice is the word up front.
func (f *Feature) notice(s bot.CheckInSettings, g bot.Group) string {
	days := s.RetentionDays
	if days <= 0 {
		days = DefaultRetentionDays
	}
	var b strings.Builder
	b.WriteString("Only you and the group's facilitators see your answer; other members never do")
	if s.ShareTally {
		b.WriteString(" (the group may see an anonymous count, only when at least three answered)")
	}
	b.WriteString(". \"Pass\" is always fine. ")
	b.WriteString("If an answer or a message to tend sounds like you might be at risk, a facilitator is told privately so that a person can reach out. ")
	fmt.Fprintf(&b, "Answers are kept %d days, then deleted. ", days)
	if f.watched.Load() {
		b.WriteString("The operator has someone watching alerts around the clock.")
	} else {
		b.WriteString("tend is not watched around the clock: in an emergency, contact emergency services or a crisis line.")
	}
	return b.String()
}

// answerButtons are a check-in's choices and "Pass".
func answerButtons(groupID int64, c bot.CheckIn) []bot.Button {
	id := strconv.FormatInt(c.ID, 10)
	btn := func(label, ref string, style bot.ButtonStyle) bot.Button {
		return bot.Button{Label: label, Style: style, Action: bot.Action{Name: ActionAnswer, Group: groupID, Ref: id + "." + ref}}
	}
	var out []bot.Button
	switch c.Spec.Kind {
	case bot.CheckInScale:
		for l := 1; l <= 5; l++ {
			label := strconv.Itoa(l)
			switch l {
			case 1:
				label += " · very hard"
			case 5:
				label += " · very good"
			}
			out = append(out, btn(label, strconv.Itoa(l), bot.ButtonSecondary))
		}
	case bot.CheckInTraffic:
		out = append(out, btn("Green", "3", bot.ButtonSuccess), btn("Yellow", "2", bot.ButtonSecondary), btn("Red", "1", bot.ButtonDanger))
	case bot.CheckInChoice:
		for i, ch := range c.Spec.Choices {
			out = append(out, btn(ch, strconv.Itoa(i+1), bot.ButtonSecondary))
		}
	case bot.CheckInWord, bot.CheckInText:
		out = append(out, btn("Answer privately", "t", bot.ButtonPrimary))
	}
	return append(out, btn("Pass", "p", bot.ButtonSecondary))
}

// answerForm is the form a word or text answer is typed in.
func answerForm(groupID int64, c bot.CheckIn) *bot.Modal {
	in := bot.Input{ID: "answer", Label: clip(c.Spec.Prompt, 45), Required: true, MaxLen: maxAnswerLen, Long: true,
		Placeholder: "Only you and the facilitators see this."}
	if c.Spec.Kind == bot.CheckInWord {
		in.Long, in.MaxLen = false, maxWordLen
	}
	return &bot.Modal{Title: "Check-in", Action: bot.Action{Name: ActionText, Group: groupID, Ref: strconv.FormatInt(c.ID, 10)}, Inputs: []bot.Input{in}}
}

// clip shortens s to at most n runes, with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// resourcesBlock is the operator's crisis resources as a member reads
// them, with the honest word on whether anyone watches around the clock.
func (f *Feature) resourcesBlock() string {
	res := strings.TrimSpace(f.b.Resources())
	if res == "" {
		res = "Call your local emergency number now, or a crisis line in your country."
	}
	watch := "This bot is not watched around the clock, so please don't wait for a reply here."
	if f.watched.Load() {
		watch = "Someone watches these alerts around the clock."
	}
	return "If you are in danger now, or might act on these thoughts, please reach out right away:\n" + res + "\n\n" + watch
}

// carefulReply is the member's private answer to a first signal, saying
// what tend did: who it told, or that it is still trying to reach them;
// level is set for a level answer.
func (f *Feature) carefulReply(r raised, level bool) bot.Message {
	var b strings.Builder
	if level {
		b.WriteString("Thank you for letting us know it's hard right now. ")
	} else {
		b.WriteString("Thank you for telling me. ")
	}
	b.WriteString("I'm tend, a bot. ")
	b.WriteString(r.whatHappened(level))
	b.WriteString("\n\n")
	b.WriteString(f.resourcesBlock())
	b.WriteString("\n\nIf you write to me again, I'll pass on anything that sounds like you may be at risk.")
	return bot.Message{Title: "You were heard", Text: b.String()}
}

// whatHappened says, to the member, who was told of their signal and
// what they will see, and whom tend is still trying to reach. level: the
// signal was a level answer.
func (r raised) whatHappened(level bool) string {
	var parts []string
	if told := r.told(); told != "" {
		parts = append(parts, fmt.Sprintf("I've let %s know privately, so that a person can reach out to you.", told))
		if len(r.owners) > 0 {
			parts = append(parts, "(I couldn't reach the facilitators of "+strings.Join(r.owners, " and ")+" directly.)")
		}
		switch {
		case level:
			parts = append(parts, "They will see what you answered.")
		case r.minimal:
			parts = append(parts, "They will see that you wrote to me and the kind of worry it suggests, not your words.")
		default:
			parts = append(parts, "They will see what you wrote.")
		}
	}
	var groups []string
	owners := false
	for _, name := range r.pending {
		if name == "" {
			owners = true // a sender in no group
			continue
		}
		groups = append(groups, name)
	}
	if len(groups) > 0 || owners {
		who := "the people who run this bot"
		if len(groups) > 0 {
			who = "your facilitators in " + strings.Join(groups, " and ")
		}
		parts = append(parts, fmt.Sprintf("I'm passing this on to %s privately; it hasn't reached them yet and I'll keep trying, so please don't wait for them.", who))
	}
	return strings.Join(parts, " ")
}

// acknowledgement is the member's answer to a later signal of the same
// situation.
func (f *Feature) acknowledgement(r raised) bot.Message {
	text := "Thank you. "
	if told := r.told(); told != "" {
		text += "I'm passing this on to " + told + " as well."
	} else {
		text += r.whatHappened(false)
	}
	return bot.Message{Text: text + "\n\n" + f.resourcesBlock()}
}

// notPassedOn is the member's answer when tend could tell nobody of their
// signal: honest that nobody was told, with the resources. recorded: the
// signal is kept, and tend will tell the facilitators once it can.
func (f *Feature) notPassedOn(recorded bool) bot.Message {
	text := "Thank you for telling me. I'm tend, a bot, and I could not pass this on to a facilitator just now, so nobody knows yet: " +
		"please contact your facilitator directly, or someone you trust."
	if !recorded {
		text = "Thank you for telling me. Something went wrong on my side and I could not pass this on to a facilitator just now, so nobody knows yet: " +
			"please contact your facilitator directly, or someone you trust."
	}
	return bot.Message{Title: "You were heard", Text: text + "\n\n" + f.resourcesBlock()}
}

// dmNote is the answer to a direct message with no sign of risk: honest
// about what tend does with it.
func (f *Feature) dmNote() bot.Message {
	res := strings.TrimSpace(f.b.Resources())
	text := "I'm tend, a bot: nobody reads messages here. I only look for signs that someone might be at risk, and then tell their group's facilitators privately. " +
		"To reach your facilitators, write to them directly; /tend help shows what you can do with me."
	if res != "" {
		text += "\n\nIf you need support right now: " + res
	}
	return bot.Message{Text: text}
}
