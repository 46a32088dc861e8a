// Package attendance is the feature that records who came to each session,
// tells the facilitators, notices members drifting away, reports for
// records, and keeps a member's data rights.
//
// Presence is gathered while a session runs, each piece with its source
// and time: the "I'm here" button posted at the start, a check-in answer in
// the session's window (a bot.Presence event from the check-ins feature),
// and time in the group's voice or stage channel (joins, leaves and rejoins
// summed, including whoever was already there at the start). When the
// session ends every member's mark — present, late, excused or absent — is
// computed and stored in one transaction; then the facilitators get a
// private summary, and members absent without excuse from several sessions
// in a row are flagged to them once per streak. A facilitator's mark wins
// and is audited.
//
// mydata shows a member everything tend holds about them; forget erases
// every row that names them, tells the other features (an access role is
// revoked), and leaves an audit line without content.
//
// It imports bot only; its store is declared here (Store) and satisfied by
// store.DB.
package attendance
