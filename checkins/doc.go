// Package checkins is the feature that asks members how they are, keeps
// their answers private, summarises them for the facilitators, and
// escalates a member who may be at risk to a human.
//
// # Check-ins
//
// A check-in asks one question (kinds scale 1–5, traffic green/yellow/red,
// choice, word, text; "pass" always offered and recorded as a pass): at the
// start of each session (a durable session event), on a cron of its own in
// the group's zone (a chain of durable jobs, each enqueueing the next), or
// when a facilitator runs checkin start. Delivery is in the group's channel
// (buttons; each answer confirmed privately; word and text through a form)
// or by DM to each member. Members marked away and members who have not
// agreed to norms the group requires are not asked. An answer is never
// shown to another member: when the check-in closes the facilitators get a
// private summary (who answered what, who passed, who did not answer,
// change since last time), and the group sees at most an anonymous tally,
// posted once, when share_tally is on and at least three answered.
//
// # Safety
//
// Only what a member sends the bot is examined — check-in answers and
// direct messages, never the group's conversation. A level answer at the
// bottom of its scale (scale 1, red) or words of risk (the lexicon in
// checkins/safety, plus safety.crisis_phrases) make a signal: the group's
// facilitators are alerted privately at once, in the adapters' priority
// lane, with an "I'm on it" button; an alert nobody takes within
// escalate_after goes to the other facilitators, then to the owners; the
// member gets a careful private reply with the operator's crisis
// resources that says only what happened (who was told, that tend is
// still trying, or that nobody could be); an audit record is kept without
// the content. Signals from one member within 15 minutes update one alert
// (count, latest words, time; one edit in flight at a time, the newest
// state winning) and get a short acknowledgement instead of the full
// reply. An edit notifies nobody, so a later signal on an alert nobody has
// taken also gets a short new post where the alert went (at most one a
// minute, held back by a durable job, never dropped), and an alert whose
// message is gone is posted again, once per signal. A sender on no roster
// is looked for in the groups' channels for a bounded time (where they
// were found is remembered for 5 minutes); one in no group gets the reply
// and the owners are told. Direct messages are examined whether typed,
// shared with a file or edited.
// Under privacy: minimal the alert names the roster code (or a
// pseudonymous code) and the kind of signal, never the words, and no path
// asks for or keeps typed words.
//
// # Privacy and retention
//
// Answers, DM text and alert text never reach a log at any level, nor
// who sent a DM or gave an answer. After
// the group's retention_days a durable daily job deletes answers, who was
// asked, alerts, and the outbox entries and jobs that name them; only
// counts without member ids remain.
//
// The package imports bot and its own lexicon only. Its store is declared
// here (Store) and satisfied by *store.DB.
package checkins
