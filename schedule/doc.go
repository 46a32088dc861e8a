// Package schedule computes a group's series of sessions: it parses
// schedules (a five-field cron expression, read with robfig/cron's parser
// and never run by its runner, or a weekly spec such as "tue 18:00" or
// "mon,thu 09:30"), holds the limits every series must keep (Validate), and
// computes occurrences in the group's time zone.
//
// Occurrences are computed day by day on the zone's calendar and wall
// clock, not by adding durations, so that daylight saving changes neither
// skip nor double a session:
//
//   - a wall time that does not exist that day (clocks turned forward over
//     it) moves forward to the first instant after the gap, and several
//     wall times in one gap are held once;
//   - a wall time that occurs twice (clocks turned back) is held once, at
//     its first occurrence;
//   - every other session keeps its wall time, so that a weekly 18:00
//     session is at 18:00 local on both sides of a change.
//
// Sessions are numbered from the series' first. Finding the session after
// an instant never walks the series from its start: matching days are
// counted a month at a time (and by whole 400-year Gregorian cycles), and
// the sessions that DST gaps fold together are counted from the zone's
// transitions, so that a series declared to start in year 1 costs no more
// than one that starts today (see Plan.Next).
//
// ParseCron serves a cron of its own, such as a check-in's between.cron:
// the next instant after a time, under the same rules.
//
// The package is a leaf: it imports bot (the vocabulary) and cron only, so
// that reminders, checkins and config's validation hook share one set of
// rules.
package schedule
