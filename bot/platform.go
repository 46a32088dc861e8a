package bot

import "context"

// Platform connects the bot to one chat service. Its methods are safe for
// concurrent use.
type Platform interface {
	// Name is "discord", "slack" or "console".
	Name() string
	// Run connects, hands every inbound event to h, renders the replies h
	// returns (OutReply, OutModal) as answers to that event, and blocks until
	// ctx is done, when it disconnects and returns nil. It returns an error
	// only when it cannot run at all (bad credentials).
	Run(ctx context.Context, h Handler) error
	// Deliver performs one outbound action outside any event: a post, DM,
	// edit, pin, role grant or revoke, or invitation. It returns an error
	// wrapping ErrUnreachable when the platform refused for good (the channel
	// is gone, the bot was removed, the member's DMs are closed) and
	// errors.ErrUnsupported for a kind the platform cannot do. Deliver may
	// block to respect the platform's rate limits; it returns when ctx is
	// done. When out.Key is set and the platform can deduplicate sends
	// (Discord's nonce), the adapter passes the key on.
	Deliver(ctx context.Context, out Outbound) (Delivered, error)
}

// Handler is the core as an adapter sees it.
type Handler interface {
	// Handle processes one inbound event and returns what to answer it with:
	// OutReply and OutModal values, to be rendered as the response to that
	// event. It never returns an error: refusals and failures are replies.
	Handle(ctx context.Context, ev Event) []Outbound
	// Commands lists the registered commands, for platforms that register
	// them up front (Discord slash commands).
	Commands() []CommandSpec
}

// Finder is an optional Platform capability: look for a message that was
// sent with out.Key by an earlier attempt whose outcome is unknown (the
// process died between sending and recording, or the platform's answer was
// lost). The Sender asks before sending again, only for attempts that were
// handed to the platform: a Finder's Deliver must call HandOff right before
// each network request that may deliver a post or DM.
//
// After a restart many keys of one channel may need looking for; a Finder
// reads a channel's history once for all of them (ChannelHistory) rather
// than once per key.
type Finder interface {
	FindDelivered(ctx context.Context, out Outbound) (Delivered, bool, error)
}

// ChannelInspector is an optional Platform capability: what a channel is and
// who is in it. The core uses it to keep what a group holds to the group's
// members (a member is whoever is in the group's channel, or on its roster)
// and to make sure a facilitators' channel is really private. Answers may
// be cached by the adapter for a short while (seconds to a minute); a
// platform error is returned as an error, never guessed as "no".
type ChannelInspector interface {
	// ChannelPrivate reports whether only invited people can see channel a:
	// on Slack, a private channel (is_private); on Discord, a channel the
	// guild's @everyone role cannot view. An error wrapping ErrUnreachable
	// means the bot cannot see the channel at all.
	ChannelPrivate(ctx context.Context, a Address) (bool, error)
	// InChannel reports whether user u is in channel a: on Slack, a member
	// of the conversation; on Discord, a guild member who can view it.
	InChannel(ctx context.Context, a Address, u UserID) (bool, error)
	// ChannelMembers lists the people (not bots) in channel a, for
	// features that reach every member privately (check-ins by DM) or count
	// them (attendance). It may be capped by the adapter (documented there)
	// for very large channels.
	ChannelMembers(ctx context.Context, a Address) ([]User, error)
}

// ChannelHomer is an optional Platform capability: where a channel lives.
// The core uses it so that a group's facilitators' channel is a channel of
// the group's own community — never a DM, nor a private channel of another
// server that a facilitator pasted by mistake, where alerts naming members
// would be read by strangers.
type ChannelHomer interface {
	// ChannelHome returns the community channel a belongs to (a Discord
	// guild id; "" where the platform has one community per install,
	// such as a Slack workspace), and whether it is a direct conversation
	// (a DM or a group DM) rather than a channel.
	ChannelHome(ctx context.Context, a Address) (home string, direct bool, err error)
}
