package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Access says who may run a command or press a button.
type Access int

// Access levels.
const (
	// AccessMember, the default: for a command or button about a group,
	// the group's members (whoever is in its channel on its platform, or
	// active on its roster), its facilitators and the owners. Without a
	// group (help, a DM without group:), anyone.
	AccessMember Access = iota
	// AccessAnyone: anyone, also people outside the group. Such a command
	// shows only what the group's channel shows publicly (Request.Member
	// says whether the actor may see more), and never a closed or
	// minimal-privacy group, nor one whose channel is private (or whose
	// platform cannot tell), to an outsider: for them it does not exist.
	AccessAnyone
	// AccessFacilitator: facilitators of the resolved group and owners.
	AccessFacilitator
	// AccessOwner: the bot's configured owners only.
	AccessOwner
)

// GroupScope says whether a command acts on a group.
type GroupScope int

// Group scopes.
const (
	// GroupNone: the command does not act on a group (help, version).
	GroupNone GroupScope = iota
	// GroupOptional: the group is resolved when one can be (this channel's,
	// or group:NAME) and left nil otherwise.
	GroupOptional
	// GroupRequired: the command refuses to run without a group.
	GroupRequired
)

// OptionType is the type of a command argument, for validation here and for
// typed options on platforms that have them (Discord).
type OptionType int

// Option types.
const (
	OptString   OptionType = iota
	OptInt                 // whole number
	OptBool                // yes/no, true/false, on/off
	OptUser                // a mention, or a name in the console
	OptChannel             // a channel mention or id
	OptDuration            // 90m, 1h30m, 24h
	OptDate                // YYYY-MM-DD
)

// Option is one argument of a command.
type Option struct {
	Name        string // as in the config: lowercase, underscores
	Description string // shown in help and on Discord (≤ 100 chars)
	Type        OptionType
	Required    bool
	Choices     []string // when set, the value must be one of these
	// Positional options may also be given as bare words, in the order
	// declared: "rsvp yes" sets answer:yes.
	Positional bool
	// Placeholder names the value in usage lines, in the words people use
	// ("number or date" gives <number or date>); empty uses the type's
	// word (<number>, <date>, <@user>, <text>).
	Placeholder string
	// Autocomplete asks the platform to offer values as the user types
	// (group names).
	Autocomplete bool
}

// CommandSpec is one command a feature registers.
type CommandSpec struct {
	// Path is the command's words after /tend: "help", "group setup".
	// Discord allows at most two words.
	Path    string
	Summary string // one line for help (≤ 100 chars)
	Access  Access
	// Audience, when set, is who help lists the command for instead of
	// Access: for a command whose Run checks rights itself while Access
	// lets more people reach it. Group setup is open to anyone because an
	// unbound channel has no facilitators yet, but only owners and
	// facilitators can do anything with it, so help lists it for them.
	Audience Access
	Group    GroupScope
	Options  []Option
	// Applicants lets an applicant run an AccessMember command too:
	// someone welcomed to a group but not yet admitted (norms gating). They
	// may see the norms and the next session time and agree, nothing more.
	Applicants bool
	Run        func(ctx context.Context, req *Request) ([]Outbound, error)
}

// Usage returns the command as help shows it, in the words of the command
// surface: "/tend rsvp yes|no", "/tend session cancel <number or date>",
// "/tend away [off] [until:<date>]". Optional parts are in brackets.
func (c CommandSpec) Usage() string {
	var b strings.Builder
	b.WriteString("/tend ")
	b.WriteString(c.Path)
	for _, o := range c.Options {
		s := o.usageValue()
		if !o.Positional {
			s = o.Name + ":" + s
		}
		if !o.Required {
			s = "[" + s + "]"
		}
		b.WriteString(" " + s)
	}
	return b.String()
}

// usageValue is how usage shows the option's value: its choices, or its
// placeholder in angle brackets.
func (o Option) usageValue() string {
	switch {
	case len(o.Choices) > 0:
		return strings.Join(o.Choices, "|")
	case o.Type == OptBool && o.Placeholder == "":
		return "yes|no"
	}
	return "<" + o.placeholder() + ">"
}

func (o Option) placeholder() string {
	if o.Placeholder != "" {
		return o.Placeholder
	}
	return o.Type.String()
}

// listedFor is who help lists c for: Audience when set, else Access.
func (c CommandSpec) listedFor() Access {
	if c.Audience != AccessMember {
		return c.Audience
	}
	return c.Access
}

// String is the type's word in usage lines: number, yes|no, @user,
// #channel, duration, date or text.
func (t OptionType) String() string {
	switch t {
	case OptInt:
		return "number"
	case OptBool:
		return "yes|no"
	case OptUser:
		return "@user"
	case OptChannel:
		return "#channel"
	case OptDuration:
		return "duration"
	case OptDate:
		return "date"
	default:
		return "text"
	}
}

// ActionSpec is a button or modal handler a feature registers, found by the
// Action's Name.
type ActionSpec struct {
	Name   string
	Access Access
	// Applicants: see CommandSpec.Applicants. In a DM only the button's
	// recipient can press it in any case.
	Applicants bool
	// Private marks the presses and forms of this action as a person's
	// private answers (a check-in answer): as with a direct message, the
	// core's log never names who pressed, so that no reader of the log can
	// tie a person to an answer or to what it led to (a safety alert).
	Private bool
	Run     func(ctx context.Context, req *Request) ([]Outbound, error)
}

// Request is what a command or action handler gets.
type Request struct {
	Event Event
	Actor User
	// Group is the group the command acts on; nil only for GroupNone and
	// unresolved GroupOptional commands.
	Group *Group
	// Args holds name:value arguments, with positional words mapped to
	// their options. Values are validated against the option's type.
	Args map[string]string
	// Action is the pressed button's or submitted modal's action.
	Action Action
	// Values holds a modal's submitted inputs.
	Values map[string]string
	Now    time.Time
	// Owner and Facilitator tell the actor's rights in Group.
	Owner       bool
	Facilitator bool
	// Member: the actor is a member of Group (or facilitates it, or is
	// an owner). False for an outsider running an AccessAnyone command.
	Member bool
	// Applicant: the actor is not a member but was welcomed to Group and
	// may see its norms and next session and agree (Applicants specs).
	Applicant bool
}

// Arg returns a named argument, or "".
func (r *Request) Arg(name string) string { return r.Args[name] }

// Address returns where the event happened.
func (r *Request) Address() Address { return r.Event.Meta().Address() }

// ParseBool reads yes/no, true/false, on/off.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "y", "true", "on", "1":
		return true, nil
	case "no", "n", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", s)
}
