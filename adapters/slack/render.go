package slack

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tend-bot/tend/bot"

	slackgo "github.com/slack-go/slack"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const (
	maxHeaderText   = 150
	maxSectionText  = 3000
	maxFieldText    = 2000
	maxFields       = 10
	maxButtonText   = 75
	maxActionID     = 255
	maxButtonsBlock = 25
	maxFallbackText = 4000
	// maxBlocks is what one message may hold; the core keeps long lists
	// within it (bot.Paginate).
	maxBlocks = 50
)

// allowedMention matches the control sequences the core itself produces and
// that may pass through unescaped: user mentions (<@U…>, optionally with a
// label) and channel mentions (<#C…>). Anything else in angle brackets,
// notably <!channel>, <!here> and <!everyone>, is escaped, so that text a
// person typed (a topic, a group name) can never notify a whole channel.
var allowedMention = regexp.MustCompile(`<[@#][UWBCGD][A-Z0-9]+(\|[^<>]*)?>`)

// escape makes s safe as Slack mrkdwn: &, < and > are escaped except in the
// mentions the core produces.
func escape(s string) string {
	var b strings.Builder
	last := 0
	for _, loc := range allowedMention.FindAllStringIndex(s, -1) {
		b.WriteString(escapeAll(s[last:loc[0]]))
		b.WriteString(s[loc[0]:loc[1]])
		last = loc[1]
	}
	b.WriteString(escapeAll(s[last:]))
	return b.String()
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escapeAll(s string) string { return escaper.Replace(s) }

// slackDate renders a core timestamp as a Slack date token, which Slack
// shows in each reader's own zone, with a plain UTC fallback for clients
// that cannot.
func slackDate(t time.Time, style bot.TimeStyle) string {
	var format string
	switch style {
	case bot.TimeDate:
		format = "{date_short_pretty}"
	case bot.TimeClock:
		format = "{time}"
	case bot.TimeRelative:
		format = "{ago}"
	default:
		format = "{date_short_pretty} at {time}"
	}
	return "<!date^" + strconv.FormatInt(t.Unix(), 10) + "^" + format + "|" + fallbackDate(t, style) + ">"
}

// fallbackDate is the time in UTC, in words, for notifications and old
// clients.
func fallbackDate(t time.Time, style bot.TimeStyle) string {
	t = t.UTC()
	switch style {
	case bot.TimeDate:
		return t.Format("2 January 2006")
	case bot.TimeClock:
		return t.Format("15:04 UTC")
	default:
		return t.Format("2 January 2006 15:04 UTC")
	}
}

// mrkdwn turns core text into Slack mrkdwn: escaped, with date tokens.
func mrkdwn(s string) string {
	return bot.RenderTimes(escape(s), slackDate)
}

// plain turns core text into plain text (header blocks, fallback text,
// button labels): times in UTC words, placeholders removed.
func plain(s string) string {
	return bot.RenderTimes(s, fallbackDate)
}

// truncate cuts s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// splitText cuts mrkdwn into chunks of at most n runes, preferring line
// breaks, so that a long text becomes several sections rather than an
// invalid one.
func splitText(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		r := []rune(s)
		cut := n
		if i := strings.LastIndex(string(r[:n]), "\n"); i > 0 {
			cut = utf8.RuneCountInString(string(r[:n])[:i])
		}
		out = append(out, strings.TrimRight(string(r[:cut]), "\n"))
		s = strings.TrimLeft(string(r[cut:]), "\n")
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// renderBlocks renders m as Block Kit. Every block has a block_id: Slack
// echoes it in block_actions payloads, and slack-go parses an action
// without one as an attachment action.
func renderBlocks(m bot.Message) ([]slackgo.Block, error) {
	var blocks []slackgo.Block
	n := 0
	id := func(kind string) string {
		n++
		return "tend_" + kind + "_" + strconv.Itoa(n)
	}
	if m.Title != "" {
		blocks = append(blocks, slackgo.NewHeaderBlock(
			slackgo.NewTextBlockObject(slackgo.PlainTextType, truncate(plain(m.Title), maxHeaderText), false, false),
			slackgo.HeaderBlockOptionBlockID(id("header"))))
	}
	for _, chunk := range splitText(mrkdwn(m.Text), maxSectionText) {
		blocks = append(blocks, slackgo.NewSectionBlock(
			slackgo.NewTextBlockObject(slackgo.MarkdownType, chunk, false, false), nil, nil,
			slackgo.SectionBlockOptionBlockID(id("text"))))
	}
	var inline []*slackgo.TextBlockObject
	flush := func() {
		if len(inline) > 0 {
			blocks = append(blocks, slackgo.NewSectionBlock(nil, inline, nil, slackgo.SectionBlockOptionBlockID(id("fields"))))
			inline = nil
		}
	}
	for _, f := range m.Fields {
		text := truncate("*"+escape(plain(f.Name))+"*\n"+mrkdwn(f.Value), maxFieldText)
		if f.Inline {
			inline = append(inline, slackgo.NewTextBlockObject(slackgo.MarkdownType, text, false, false))
			if len(inline) == maxFields {
				flush()
			}
			continue
		}
		flush()
		for _, chunk := range splitText("*"+escape(plain(f.Name))+"*\n"+mrkdwn(f.Value), maxSectionText) {
			blocks = append(blocks, slackgo.NewSectionBlock(
				slackgo.NewTextBlockObject(slackgo.MarkdownType, chunk, false, false), nil, nil,
				slackgo.SectionBlockOptionBlockID(id("field"))))
		}
	}
	flush()
	var elems []slackgo.BlockElement
	for _, b := range m.Buttons {
		if b.ID == "" {
			return nil, fmt.Errorf("button %q has no id: the core seals buttons before they reach an adapter", b.Label)
		}
		if len(b.ID) > maxActionID {
			return nil, fmt.Errorf("button %q: id is %d characters; Slack allows %d", b.Label, len(b.ID), maxActionID)
		}
		btn := slackgo.NewButtonBlockElement(b.ID, b.ID,
			slackgo.NewTextBlockObject(slackgo.PlainTextType, truncate(plain(b.Label), maxButtonText), false, false))
		switch b.Style {
		case bot.ButtonPrimary, bot.ButtonSuccess:
			btn = btn.WithStyle(slackgo.StylePrimary)
		case bot.ButtonDanger:
			btn = btn.WithStyle(slackgo.StyleDanger)
		}
		elems = append(elems, btn)
		if len(elems) == maxButtonsBlock {
			blocks = append(blocks, slackgo.NewActionBlock(id("actions"), elems...))
			elems = nil
		}
	}
	if len(elems) > 0 {
		blocks = append(blocks, slackgo.NewActionBlock(id("actions"), elems...))
	}
	if m.Footer != "" {
		blocks = append(blocks, slackgo.NewContextBlock(id("footer"),
			slackgo.NewTextBlockObject(slackgo.MarkdownType, truncate(mrkdwn(m.Footer), maxFieldText), false, false)))
	}
	return blocks, nil
}

// fallbackText is the message's top-level text: what notifications and
// screen readers show. Times are in UTC words.
func fallbackText(m bot.Message) string {
	var parts []string
	if m.Title != "" {
		parts = append(parts, plain(m.Title))
	}
	if m.Text != "" {
		parts = append(parts, plain(m.Text))
	}
	if len(parts) == 0 {
		for _, f := range m.Fields {
			parts = append(parts, plain(f.Name)+": "+plain(f.Value))
		}
	}
	s := escape(strings.Join(parts, "\n"))
	if s == "" {
		s = " "
	}
	return truncate(s, maxFallbackText)
}

// messageOptions renders m as chat.postMessage / chat.update options.
func messageOptions(m bot.Message) ([]slackgo.MsgOption, error) {
	blocks, err := renderBlocks(m)
	if err != nil {
		return nil, err
	}
	return []slackgo.MsgOption{
		slackgo.MsgOptionText(fallbackText(m), false),
		slackgo.MsgOptionBlocks(blocks...),
	}, nil
}

// responseMessage is a message as a slash command response, an ack payload
// or a response_url post.
type responseMessage struct {
	ResponseType    string          `json:"response_type,omitempty"`
	Text            string          `json:"text"`
	Blocks          []slackgo.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool            `json:"replace_original"`
}

func renderResponse(out bot.Outbound) (responseMessage, error) {
	blocks, err := renderBlocks(out.Message)
	if err != nil {
		return responseMessage{}, err
	}
	rt := "in_channel"
	if out.Ephemeral {
		rt = "ephemeral"
	}
	return responseMessage{ResponseType: rt, Text: fallbackText(out.Message), Blocks: blocks}, nil
}

// renderModal renders a core modal as a views.open request. The modal's
// signed id travels as callback_id; the channel it was opened from travels
// as private_metadata so that replies to the submission land there.
func renderModal(m *bot.Modal, channel string) (slackgo.ModalViewRequest, error) {
	if m.ID == "" {
		return slackgo.ModalViewRequest{}, fmt.Errorf("modal %q has no id: the core seals modals before they reach an adapter", m.Title)
	}
	var blocks []slackgo.Block
	for _, in := range m.Inputs {
		el := slackgo.NewPlainTextInputBlockElement(nil, in.ID)
		if in.Placeholder != "" {
			el.Placeholder = slackgo.NewTextBlockObject(slackgo.PlainTextType, truncate(in.Placeholder, 150), false, false)
		}
		if in.Value != "" {
			el = el.WithInitialValue(in.Value)
		}
		if in.MaxLen > 0 {
			el = el.WithMaxLength(min(in.MaxLen, 3000))
		}
		el = el.WithMultiline(in.Long)
		ib := slackgo.NewInputBlock("in_"+in.ID,
			slackgo.NewTextBlockObject(slackgo.PlainTextType, truncate(in.Label, 2000), false, false), nil, el)
		ib.Optional = !in.Required
		blocks = append(blocks, ib)
	}
	return slackgo.ModalViewRequest{
		Type:            slackgo.VTModal,
		Title:           slackgo.NewTextBlockObject(slackgo.PlainTextType, truncate(plain(m.Title), 24), false, false),
		Submit:          slackgo.NewTextBlockObject(slackgo.PlainTextType, "Save", false, false),
		Close:           slackgo.NewTextBlockObject(slackgo.PlainTextType, "Cancel", false, false),
		Blocks:          slackgo.Blocks{BlockSet: blocks},
		CallbackID:      m.ID,
		PrivateMetadata: channel,
	}, nil
}

// modalValues reads a submitted view's inputs back by the core's input ids.
func modalValues(state *slackgo.ViewState) map[string]string {
	vals := map[string]string{}
	if state == nil {
		return vals
	}
	for _, actions := range state.Values {
		for actionID, a := range actions {
			vals[actionID] = a.Value
		}
	}
	return vals
}
