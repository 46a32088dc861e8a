// Package bot is tend's platform-neutral core.
//
// It owns the vocabulary every other package speaks: groups, members,
// sessions and schedules; the inbound events adapters produce (commands,
// button presses, modal submits, members joining and leaving, voice
// presence, direct messages); the outbound values adapters render (posts,
// replies, DMs, edits, pins, role grants, invitations, modals); the Platform
// contract adapters implement; the command router with its help text and
// permission checks; the durable job runner and the exactly-once sender; the
// clock; and the slog keys.
//
// bot imports only the standard library. Feature packages (reminders, norms,
// checkins, attendance) register commands, actions and event subscribers on a
// Bot and declare the few store methods they need as interfaces of their own.
package bot
