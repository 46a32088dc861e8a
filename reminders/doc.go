// Package reminders runs each group's series of sessions: it takes their
// occurrences from package schedule (which parses schedules and computes
// them in the group's time zone, so that DST changes neither skip nor
// double a session), keeps sessions and their due work in the store's jobs
// table, and posts reminders with RSVP buttons exactly once through the
// core's Sender. It publishes bot.SessionEvent values so that other
// features can react to a session's life without importing this package.
package reminders
