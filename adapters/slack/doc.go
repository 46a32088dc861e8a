// Package slack connects tend to Slack through github.com/slack-go/slack
// (imported as slackgo).
//
// It runs in one of two modes. In socket mode (the default) it opens a Socket
// Mode websocket with the app-level token, so no public URL is needed; Slack
// sends slash commands, interactions and events as envelopes that are
// acknowledged within Slack's 3-second deadline. In http mode it listens for
// Slack's signed HTTP requests (slash commands, interactivity and the Events
// API) and refuses anything whose X-Slack-Signature does not verify, whose
// timestamp is more than five minutes off, or whose body is too large, before
// it reaches the core.
//
// Outbound work (Deliver) always uses the Web API, independent of the socket,
// so a dropped socket loses nothing that is queued. Posts are paced at about
// one per second per channel with short bursts and about 480 a minute across
// the workspace, other methods under their rate tiers, 429 Retry-After is
// honoured, and 5xx answers are retried a bounded number of times with
// bot.Backoff. A channel that refuses the bot (channel_not_found,
// not_in_channel, is_archived) is marked unreachable so that later sends
// fail fast with bot.Unreachable; a payload Slack refuses (invalid_blocks,
// msg_too_long, invalid_arguments …) is bot.Rejected and leaves the channel
// alone. Per-channel state is bounded (Config.MaxChannels) and all time
// comes from Config.Clock. A post carries message metadata with its outbox key so
// that FindDelivered can recognise it after a crash, and an answer lost to a
// 5xx is checked the same way before posting again. Edits of one message
// run one at a time, and edits queued behind a slow one collapse into the
// newest.
//
// Inbound events include member_joined_channel and member_left_channel, as
// bot.MemberJoined and bot.MemberLeft with the channel set, in both modes.
// The adapter is a bot.ChannelInspector: conversations.info tells whether a
// channel is private, conversations.members who is in it, and users.info
// which members are bots (the bot itself is always left out); answers are
// kept for Config.InspectTTL, a channel's member list is forgotten when a
// member joins or leaves, and every table is bounded.
//
// Messages are rendered as Block Kit: a header for the title, mrkdwn sections
// for the text and fields, an actions block (always with a block_id) for the
// buttons, whose action_id is the core's signed id, and times as
// <!date^UNIX^{date_short_pretty} at {time}|fallback> so that every reader
// sees their own zone.
package slack
