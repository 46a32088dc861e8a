package bottest

import (
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Text shows a message as plain text for a test to read: its title, text,
// fields, buttons and footer, with its times in UTC as "2006-01-02 15:04".
func Text(m bot.Message) string {
	var b strings.Builder
	b.WriteString(m.Title + "\n" + m.Text + "\n")
	for _, f := range m.Fields {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	for _, bt := range m.Buttons {
		b.WriteString("[" + bt.Label + "] ")
	}
	b.WriteString(m.Footer)
	return bot.RenderTimes(b.String(), func(t time.Time, s bot.TimeStyle) string {
		return t.UTC().Format("2006-01-02 15:04")
	})
}

// Texts is the Text of each outbound's message, each followed by a new
// line.
func Texts(outs []bot.Outbound) string {
	var b strings.Builder
	for _, o := range outs {
		b.WriteString(Text(o.Message))
		b.WriteString("\n")
	}
	return b.String()
}
