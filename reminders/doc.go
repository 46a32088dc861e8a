// Package reminders runs each group's series of sessions: it parses
// schedules (cron expressions through robfig/cron, used as a parser only,
// or weekly specs such as "tue 18:00"), computes occurrences in the group's
// time zone day by day so that DST changes neither skip nor double a
// session, keeps sessions and their due work in the store's jobs table, and
// posts reminders with RSVP buttons exactly once through the core's Sender.
// It publishes bot.SessionEvent values so that other features can react to
// a session's life without importing this package.
package reminders
