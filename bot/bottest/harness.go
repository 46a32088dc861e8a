package bottest

import (
	"context"

	"github.com/tend-bot/tend/bot"
)

// Harness drives one adapter for RunPlatformTests. Each subtest asks
// newHarness for a fresh one, starts Platform().Run with the suite's own
// Handler, and cancels it when the subtest ends. Every method is called from
// the test goroutine; methods that take a ctx must return when it is done.
type Harness interface {
	// Platform returns the adapter under test, wired to the harness's fake
	// platform (a fake server, a pipe). The suite calls Run on it once.
	Platform() bot.Platform

	// KnownChannel is a channel the platform can post in.
	KnownChannel() bot.Address
	// UnknownChannel is a channel the platform refuses for good: Deliver of a
	// post there must fail with an error wrapping bot.ErrUnreachable.
	UnknownChannel() bot.Address
	// People returns at least two distinct people known to the platform, as
	// ids valid there (Discord snowflakes, Slack user ids, console names).
	People() []bot.UserID

	// Command makes the platform receive, exactly as the platform would
	// deliver it, "/tend" with the given command path words and name:value
	// arguments from user in channel ch. It may be called as soon as Run has
	// been started: it waits (bounded by ctx) until the adapter is connected.
	// It returns once the event has been handed to the platform, not when it
	// has been handled.
	Command(ctx context.Context, user bot.UserID, ch bot.ChannelID, words []string, args map[string]string) error
	// Press makes the platform receive a press by user of the button whose id
	// is buttonID on the message ref, as the platform would deliver it.
	Press(ctx context.Context, user bot.UserID, ref bot.MessageRef, buttonID string) error
	// SelfMessage makes the platform receive something from the bot's own
	// account (or another bot) in ch, as the platform would deliver it: a
	// message event authored by the bot user, or a command typed as the bot.
	// The adapter must never hand it to the Handler as a person's event: it
	// either drops it or marks the event's User.Bot.
	SelfMessage(ctx context.Context, ch bot.ChannelID, text string) error

	// Next returns the next thing people saw, in the order the platform was
	// asked to show them, waiting (bounded by ctx) until there is one.
	Next(ctx context.Context) (Seen, error)
}

// SeenKind says how something was shown.
type SeenKind int

// Kinds of things people see.
const (
	// SeenReply is an answer to an event (a command or button press).
	SeenReply SeenKind = iota + 1
	// SeenPost is a new message in a channel.
	SeenPost
	// SeenEdit is an existing message's content being replaced.
	SeenEdit
	// SeenDM is a private message to one person.
	SeenDM
	// SeenOther is anything else shown (a pin, a role grant notice).
	SeenOther
)

// String returns the kind's name, such as "reply".
func (k SeenKind) String() string {
	switch k {
	case SeenReply:
		return "reply"
	case SeenPost:
		return "post"
	case SeenEdit:
		return "edit"
	case SeenDM:
		return "dm"
	case SeenOther:
		return "other"
	}
	return "unknown"
}

// Seen is one thing people saw, as neutral values recovered from what the
// adapter actually sent to the platform (its HTTP payloads, its console
// output).
type Seen struct {
	Kind SeenKind
	// Channel is where it showed; for a DM it may be the DM channel or empty.
	Channel bot.ChannelID
	// Ref names the message posted or edited, when the platform names one.
	Ref bot.MessageRef
	// Ephemeral is set for a reply only its asker can see.
	Ephemeral bool
	// OnlyFor is the one person who can see it: the asker of an ephemeral
	// reply, the recipient of a DM. Empty when the whole channel can.
	OnlyFor bot.UserID
	// Text is everything a person reads, as rendered for the platform:
	// title, text, field names and values, footer and button labels.
	Text string
	// Buttons are the clickable choices shown, in order.
	Buttons []SeenButton
}

// SeenButton is a button as shown.
type SeenButton struct {
	Label string
	// ID is what the platform will hand back when it is pressed (Discord's
	// custom_id, Slack's action_id, the console's choice id).
	ID string
}
