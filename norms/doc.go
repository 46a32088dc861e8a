// Package norms is the feature that keeps each group's agreements: a
// numbered list drawn from a built-in template or written by the
// facilitators, versioned, with a ledger of who agreed to which version and
// when.
//
// Where a group requires agreement, a member takes part (check-in prompts,
// attendance) only once they have agreed, and a newcomer gets access only
// after agreeing to the current version: the group's Discord role, granted
// once the server's own rules screening has cleared; on Slack and the
// console an invitation from the public lobby channel to the group's own.
// A new version asks every member again, privately, once, and keeps the
// access already granted. Newcomers get a private welcome with the group's
// next session, its norms and what its privacy is; a closed group at
// capacity puts them on the waitlist and tells the facilitators.
//
// Everything that must happen after a person acts (a welcome, a role, an
// invitation, asking members again, a post and its pin) is a durable job
// with a stable key, so that a restart loses nothing and repeats nothing.
//
// It imports bot only. The store it needs is declared here (Store) and
// satisfied by store.DB.
package norms
