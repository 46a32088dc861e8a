package discord

import (
	"crypto/sha256"
	"encoding/base32"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tend-bot/tend/bot"
)

// Discord's documented limits, enforced here so that a long topic or many
// fields never turn a reminder into a 400.
const (
	maxContent     = 2000
	maxTitle       = 256
	maxDescription = 4096
	maxFields      = 25
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFooter      = 2048
	maxEmbedTotal  = 6000 // all of an embed's text together
	maxLabel       = 80
	maxRows        = 5
	maxPerRow      = 5
	flagEphemeral  = 64
	embedColor     = 0x5B8C85
)

// payload is a message body for creates, edits, interaction responses and
// follow-ups. discordgo's MessageSend has no nonce, so the adapter sends its
// own.
type payload struct {
	Content         *string          `json:"content,omitempty"`
	Embeds          *[]embed         `json:"embeds,omitempty"`
	Components      *[]row           `json:"components,omitempty"`
	Flags           int              `json:"flags,omitempty"`
	Nonce           string           `json:"nonce,omitempty"`
	EnforceNonce    bool             `json:"enforce_nonce,omitempty"`
	AllowedMentions *allowedMentions `json:"allowed_mentions,omitempty"`
	// Attachments describe the files sent with the payload (files[n]).
	Attachments []attachment `json:"attachments,omitempty"`
}

// attachment describes an uploaded file: id is its index among files[n].
type attachment struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
}

type allowedMentions struct {
	Parse []string `json:"parse"`
}

type embed struct {
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description,omitempty"`
	Color       int          `json:"color,omitempty"`
	Fields      []embedField `json:"fields,omitempty"`
	Footer      *embedFooter `json:"footer,omitempty"`
}

type embedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

type embedFooter struct {
	Text string `json:"text"`
}

type row struct {
	Type       int         `json:"type"`
	Components []component `json:"components"`
}

type component struct {
	Type     int    `json:"type"`
	Style    int    `json:"style,omitempty"`
	Label    string `json:"label,omitempty"`
	CustomID string `json:"custom_id,omitempty"`
	// Text inputs (modals).
	Placeholder string `json:"placeholder,omitempty"`
	Value       string `json:"value,omitempty"`
	Required    *bool  `json:"required,omitempty"`
	MaxLength   int    `json:"max_length,omitempty"`
}

// renderTime is bot.RenderTimes' Discord form: <t:UNIX:STYLE>, shown by
// every client in its reader's own zone.
func renderTime(t time.Time, style bot.TimeStyle) string {
	switch style {
	case bot.TimeFull, bot.TimeShort, bot.TimeDate, bot.TimeClock, bot.TimeRelative:
	default:
		style = bot.TimeFull
	}
	return "<t:" + strconv.FormatInt(t.Unix(), 10) + ":" + string(rune(style)) + ">"
}

func text(s string) string { return bot.RenderTimes(s, renderTime) }

// truncate cuts s to n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// render turns neutral content into a Discord message body. A message with a
// title, fields or footer becomes an embed; a plain text becomes content.
// Buttons become action rows of up to five.
func render(m bot.Message) payload {
	var p payload
	p.AllowedMentions = &allowedMentions{Parse: []string{"users"}}
	if m.Title == "" && len(m.Fields) == 0 && m.Footer == "" {
		c := truncate(text(m.Text), maxContent)
		if c == "" {
			c = "\u200b"
		}
		p.Content = &c
		empty := []embed{}
		p.Embeds = &empty
	} else {
		e := embed{Title: truncate(text(m.Title), maxTitle), Description: truncate(text(m.Text), maxDescription), Color: embedColor}
		for i, f := range m.Fields {
			if i == maxFields {
				break
			}
			name, value := truncate(text(f.Name), maxFieldName), truncate(text(f.Value), maxFieldValue)
			if name == "" {
				name = "\u200b"
			}
			if value == "" {
				value = "\u200b"
			}
			e.Fields = append(e.Fields, embedField{Name: name, Value: value, Inline: f.Inline})
		}
		if m.Footer != "" {
			e.Footer = &embedFooter{Text: truncate(text(m.Footer), maxFooter)}
		}
		fitEmbed(&e)
		empty := ""
		p.Content = &empty
		p.Embeds = &[]embed{e}
	}
	rows := []row{}
	for _, b := range m.Buttons {
		if b.ID == "" || len(b.ID) > bot.MaxActionIDLen {
			continue // not sealed by the core: never send an unverifiable id
		}
		if len(rows) == 0 || len(rows[len(rows)-1].Components) == maxPerRow {
			if len(rows) == maxRows {
				break
			}
			rows = append(rows, row{Type: 1})
		}
		r := &rows[len(rows)-1]
		label := truncate(b.Label, maxLabel)
		if label == "" {
			label = "…"
		}
		r.Components = append(r.Components, component{Type: 2, Style: buttonStyle(b.Style), Label: label, CustomID: b.ID})
	}
	p.Components = &rows
	return p
}

// embedChars counts what Discord's 6000-character embed limit counts.
func embedChars(e *embed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	return n
}

// fitEmbed keeps e within Discord's 6000 characters for all of its text,
// which each part being within its own limit does not ensure: it shortens
// the description first (long text goes there), then drops fields from
// the end, then shortens the footer. The title (at most 256) always stays.
func fitEmbed(e *embed) {
	over := embedChars(e) - maxEmbedTotal
	if over <= 0 {
		return
	}
	if n := utf8.RuneCountInString(e.Description); n > 0 {
		keep := max(n-over, 0)
		if keep == 0 {
			e.Description = ""
		} else {
			e.Description = truncate(e.Description, keep)
		}
		over = embedChars(e) - maxEmbedTotal
	}
	for over > 0 && len(e.Fields) > 0 {
		e.Fields = e.Fields[:len(e.Fields)-1]
		over = embedChars(e) - maxEmbedTotal
	}
	if over > 0 && e.Footer != nil {
		n := utf8.RuneCountInString(e.Footer.Text)
		if keep := n - over; keep > 0 {
			e.Footer.Text = truncate(e.Footer.Text, keep)
		} else {
			e.Footer = nil
		}
	}
}

func buttonStyle(s bot.ButtonStyle) int {
	switch s {
	case bot.ButtonPrimary:
		return 1
	case bot.ButtonSuccess:
		return 3
	case bot.ButtonDanger:
		return 4
	default:
		return 2
	}
}

// nonce derives the message nonce from an outbox key: 24 characters of
// base32 over its SHA-256, within Discord's 25.
func nonce(key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// Application command option types.
const (
	optSubcommand      = 1
	optSubcommandGroup = 2
	optString          = 3
	optInteger         = 4
	optBoolean         = 5
	optUser            = 6
	optChannel         = 7
)

// appCommand is an application command as registered.
type appCommand struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Type        int         `json:"type,omitempty"`
	Options     []appOption `json:"options,omitempty"`
	// Contexts: 0 guild, 1 bot DM.
	Contexts []int `json:"contexts,omitempty"`
}

type appOption struct {
	Type         int         `json:"type"`
	Name         string      `json:"name"`
	Description  string      `json:"description"`
	Required     bool        `json:"required,omitempty"`
	Choices      []appChoice `json:"choices,omitempty"`
	Autocomplete bool        `json:"autocomplete,omitempty"`
	Options      []appOption `json:"options,omitempty"`
}

type appChoice struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// aliasSub names the subcommand that stands for a one-word command whose
// name is also a subcommand group (Discord allows a name to be only one).
const aliasSub = "main"

// buildCommand mirrors the core's commands as /tend with subcommands (one
// word) and subcommand groups (two words). It returns the command and the
// Discord paths that stand for a different core path.
func buildCommand(specs []bot.CommandSpec) (appCommand, map[string][]string) {
	cmd := appCommand{Name: "tend", Description: "tend: sessions, reminders, agreements, check-ins and attendance", Type: 1, Contexts: []int{0, 1}}
	aliases := map[string][]string{}
	groups := map[string]*appOption{}
	var order []string
	isGroup := map[string]bool{}
	for _, sp := range specs {
		if w := strings.Fields(sp.Path); len(w) == 2 {
			isGroup[w[0]] = true
		}
	}
	top := map[string]*appOption{}
	for _, sp := range specs {
		words := strings.Fields(sp.Path)
		sub := appOption{Type: optSubcommand, Name: words[len(words)-1], Description: desc(sp.Summary, sp.Path), Options: options(sp)}
		switch {
		case len(words) == 1 && !isGroup[words[0]]:
			o := sub
			top[words[0]] = &o
			order = append(order, words[0])
		default:
			gname := words[0]
			if len(words) == 1 {
				sub.Name = aliasSub
				aliases[gname+" "+aliasSub] = []string{gname}
			}
			g := groups[gname]
			if g == nil {
				g = &appOption{Type: optSubcommandGroup, Name: gname, Description: desc("", gname+" commands")}
				groups[gname] = g
				top[gname] = g
				order = append(order, gname)
			}
			g.Options = append(g.Options, sub)
		}
	}
	sort.Strings(order)
	for _, n := range order {
		if len(cmd.Options) == maxFields {
			break // Discord allows 25 subcommands and groups
		}
		cmd.Options = append(cmd.Options, *top[n])
	}
	fitCommand(&cmd)
	return cmd, aliases
}

// maxCommandChars is Discord's limit on one command's names, descriptions
// and choices together.
const maxCommandChars = 8000

func (o appOption) chars() int {
	n := utf8.RuneCountInString(o.Name) + utf8.RuneCountInString(o.Description)
	for _, c := range o.Choices {
		n += utf8.RuneCountInString(c.Name) + utf8.RuneCountInString(c.Value)
	}
	for _, sub := range o.Options {
		n += sub.chars()
	}
	return n
}

func (c appCommand) chars() int {
	n := utf8.RuneCountInString(c.Name) + utf8.RuneCountInString(c.Description)
	for _, o := range c.Options {
		n += o.chars()
	}
	return n
}

// fitCommand keeps the command within Discord's 8000 characters as the
// command list grows: option descriptions shrink to their names first, then
// subcommand descriptions. Help text in /tend help is unaffected.
func fitCommand(c *appCommand) {
	var shrink func(opts []appOption, subs bool)
	shrink = func(opts []appOption, subs bool) {
		for i := range opts {
			o := &opts[i]
			isSub := o.Type == optSubcommand || o.Type == optSubcommandGroup
			if isSub == subs && c.chars() > maxCommandChars {
				o.Description = o.Name
			}
			shrink(o.Options, subs)
		}
	}
	shrink(c.Options, false)
	shrink(c.Options, true)
}

func desc(s, fallback string) string {
	if s == "" {
		s = fallback
	}
	return truncate(s, 100)
}

// options maps the core's options to typed Discord options: required ones
// first, as Discord demands, and an optional group with autocomplete for
// commands that act on a group.
func options(sp bot.CommandSpec) []appOption {
	var req, opt []appOption
	for _, o := range sp.Options {
		ao := appOption{Type: optionType(o.Type), Name: o.Name, Description: desc(o.Description, o.Name), Required: o.Required}
		if len(o.Choices) > 0 && ao.Type == optString {
			for i, c := range o.Choices {
				if i == 25 {
					break
				}
				ao.Choices = append(ao.Choices, appChoice{Name: c, Value: c})
			}
		} else if o.Autocomplete && ao.Type == optString {
			ao.Autocomplete = true
		}
		if ao.Required {
			req = append(req, ao)
		} else {
			opt = append(opt, ao)
		}
	}
	if sp.Group != bot.GroupNone {
		opt = append(opt, appOption{Type: optString, Name: "group", Description: "the group, when not this channel's", Autocomplete: true})
	}
	out := append(req, opt...)
	if len(out) > 25 {
		out = out[:25]
	}
	return out
}

func optionType(t bot.OptionType) int {
	switch t {
	case bot.OptInt:
		return optInteger
	case bot.OptBool:
		return optBoolean
	case bot.OptUser:
		return optUser
	case bot.OptChannel:
		return optChannel
	default:
		return optString
	}
}
