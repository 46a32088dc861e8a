package bot

import (
	"strings"
	"time"
)

// OutboundKind says what an Outbound asks the platform to do.
type OutboundKind int

// Outbound kinds.
const (
	// OutPost posts Message in channel To.
	OutPost OutboundKind = iota + 1
	// OutReply answers the event being handled: privately (Ephemeral) or in
	// its channel. Only valid in a handler's return value.
	OutReply
	// OutDM sends Message privately to User.
	OutDM
	// OutEdit replaces the content of the message Ref.
	OutEdit
	// OutPin pins the message Ref.
	OutPin
	// OutGrantRole gives User the Role in Guild (Discord). Adapters must
	// refuse to grant to a member whose rules screening is pending.
	OutGrantRole
	// OutRevokeRole takes Role from User in Guild.
	OutRevokeRole
	// OutInvite invites User to channel To (Slack private channels).
	OutInvite
	// OutModal opens Modal for the person who triggered the event. Only
	// valid in a handler's return value for a command or button press.
	OutModal
	// OutUnpin unpins the message Ref. Unpinning a message that is not
	// pinned succeeds.
	OutUnpin
)

var outboundKindNames = map[OutboundKind]string{
	OutPost: "post", OutReply: "reply", OutDM: "dm", OutEdit: "edit", OutPin: "pin",
	OutGrantRole: "grant-role", OutRevokeRole: "revoke-role", OutInvite: "invite", OutModal: "modal", OutUnpin: "unpin",
}

func (k OutboundKind) String() string {
	if s, ok := outboundKindNames[k]; ok {
		return s
	}
	return "unknown"
}

// Outbound is one thing the bot asks a platform to do.
type Outbound struct {
	Kind OutboundKind
	// Key is the stable outbox key ("reminder/<session>/<lead>"). Every post
	// and DM made by a job has one; the Sender uses it to deliver exactly
	// once, and adapters whose platform can deduplicate (Discord's nonce)
	// pass it on.
	Key       string
	To        Address    // OutPost, OutInvite
	User      UserID     // OutDM, OutGrantRole, OutRevokeRole, OutInvite
	Guild     string     // OutGrantRole, OutRevokeRole
	Role      RoleID     // OutGrantRole, OutRevokeRole
	Ref       MessageRef // OutEdit, OutPin, OutUnpin
	Ephemeral bool       // OutReply: only the person who acted sees it
	// Urgent puts the outbound in the adapter's priority lane, ahead of
	// bulk work such as a burst of reminders, while still within the
	// platform's rate limits: safety alerts and the careful reply to a
	// member in distress. Replies to an interaction are always urgent.
	Urgent  bool
	Message Message
	Modal   *Modal // OutModal
	// File is a file for the person who acted alone, with a private
	// OutReply (Ephemeral): Discord attaches it to the private reply,
	// Slack uploads it into that person's direct messages with the bot
	// (Slack's private replies cannot carry files), the console prints
	// it. Adapters refuse it on any other outbound.
	File *File
}

// File is a file handed privately to one person: an attendance export, a
// member's own data in full.
type File struct {
	// Name is the file's name, such as "tuesday-attendance.csv": letters,
	// digits, dots, dashes and underscores.
	Name string
	// ContentType is its media type, such as "text/csv; charset=utf-8".
	ContentType string
	Data        []byte
}

// MaxFileSize bounds a File: Discord takes 10 MiB in one message from a
// bot in a server without boosts; Slack far more. A larger export is for
// the command line.
const MaxFileSize = 8 << 20

// ReplyFile returns a private reply with message m and file f for the
// person who acted alone.
func ReplyFile(m Message, f File) Outbound {
	return Outbound{Kind: OutReply, Ephemeral: true, Message: m, File: &f}
}

// Platform returns the platform the outbound is for, when it names one.
func (o Outbound) Platform() string {
	switch {
	case o.To.Platform != "":
		return o.To.Platform
	case o.Ref.Platform != "":
		return o.Ref.Platform
	}
	return ""
}

// Message is neutral message content. Adapters render it natively: Discord
// embeds and components, Slack Block Kit, console text.
type Message struct {
	Title string
	// Text is the body. It may hold timestamps made with Time, which each
	// adapter renders in the reader's own zone where the platform can.
	Text    string
	Fields  []Field
	Buttons []Button
	Footer  string
}

// Field is a labelled value shown beside or below the text.
type Field struct {
	Name   string
	Value  string // may hold timestamps made with Time
	Inline bool
}

// ButtonStyle is a button's emphasis.
type ButtonStyle int

// Button styles.
const (
	ButtonSecondary ButtonStyle = iota
	ButtonPrimary
	ButtonSuccess
	ButtonDanger
)

// Button is a clickable choice. Pressing it sends a ButtonPress with Action.
type Button struct {
	Label  string
	Style  ButtonStyle
	Action Action
	// ID is Action encoded and signed by the core before the button reaches
	// an adapter. Adapters use it as the platform's custom_id or action_id
	// and hand it back unchanged in ButtonPress.ID.
	ID string
}

// Modal is a form.
type Modal struct {
	Title  string
	Action Action // submitted as ModalSubmit with this action
	ID     string // Action encoded by the core, like Button.ID
	Inputs []Input
}

// Input is one field of a Modal.
type Input struct {
	ID          string
	Label       string
	Long        bool // multi-line
	Value       string
	Placeholder string
	Required    bool
	MaxLen      int
}

// Delivered is what a platform reports after a successful delivery.
type Delivered struct {
	Ref MessageRef // the message posted or edited; zero for roles, invites
	At  time.Time
}

// Reply returns a private reply to the person who acted.
func Reply(text string) Outbound {
	return Outbound{Kind: OutReply, Ephemeral: true, Message: Message{Text: text}}
}

// ReplyMessage returns a private reply with full message content.
func ReplyMessage(m Message) Outbound {
	return Outbound{Kind: OutReply, Ephemeral: true, Message: m}
}

// PublicReply returns a reply visible to the whole channel.
func PublicReply(m Message) Outbound {
	return Outbound{Kind: OutReply, Message: m}
}

// Post returns a post of m to channel to with the given outbox key.
func Post(key string, to Address, m Message) Outbound {
	return Outbound{Kind: OutPost, Key: key, To: to, Message: m}
}

// DM returns a direct message to user on platform with the given key.
func DM(key, platform string, user UserID, m Message) Outbound {
	return Outbound{Kind: OutDM, Key: key, To: Address{Platform: platform}, User: user, Message: m}
}

// Edit returns an edit of ref to m.
func Edit(ref MessageRef, m Message) Outbound {
	return Outbound{Kind: OutEdit, Ref: ref, Message: m}
}

// maxFieldText is how long a field's value may be on every platform
// (Discord allows 1,024 characters), with room to spare.
const maxFieldText = 1000

// LineFields puts lines into fields named name ("name (continued)" after
// the first), each short enough for every platform, breaking only between
// lines. No lines give no field: a platform refuses an empty one.
func LineFields(name string, lines []string) []Field {
	var (
		fields []Field
		cur    strings.Builder
	)
	flush := func() {
		n := name
		if len(fields) > 0 {
			n = name + " (continued)"
		}
		fields = append(fields, Field{Name: n, Value: cur.String()})
		cur.Reset()
	}
	for _, l := range lines {
		if cur.Len() > 0 && cur.Len()+1+len(l) > maxFieldText {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
	}
	if cur.Len() > 0 {
		flush()
	}
	return fields
}
