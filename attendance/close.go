package attendance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

// SummaryKey is the key of a session's summary to the facilitators.
func SummaryKey(sessionID int64) string {
	return "attendance.summary/" + strconv.FormatInt(sessionID, 10)
}

// DriftKey is the key of the message that flags members missing sessions
// in a row, at the end of one session.
func DriftKey(sessionID int64) string { return "attendance.drift/" + strconv.FormatInt(sessionID, 10) }

// MissedYouKey is the outbox key of the "we missed you" DM for one streak.
func MissedYouKey(groupID int64, user bot.UserID, streakFrom int64) string {
	return fmt.Sprintf("attendance.missed/%d/%s/%d", groupID, user, streakFrom)
}

// arrival says whether a first presence at at is on time or late.
func arrival(s bot.Session, set Settings, at time.Time) bot.AttendanceStatus {
	if at.After(s.Start.Add(set.LateAfter)) {
		return bot.AttendLate
	}
	return bot.AttendPresent
}

// evidence is what tend saw of one session.
type evidence struct {
	session  bot.Session
	settings Settings
	presence map[bot.UserID][]bot.Presence
	stays    map[bot.UserID][]bot.VoiceStay
	rsvp     map[bot.UserID]bot.RSVP
}

func newEvidence(s bot.Session, set Settings, ps []bot.Presence, vs []bot.VoiceStay, rs []bot.RSVP) evidence {
	ev := evidence{session: s, settings: set, presence: map[bot.UserID][]bot.Presence{}, stays: map[bot.UserID][]bot.VoiceStay{}, rsvp: map[bot.UserID]bot.RSVP{}}
	for _, p := range ps {
		ev.presence[p.User] = append(ev.presence[p.User], p)
	}
	for _, v := range vs {
		ev.stays[v.User] = append(ev.stays[v.User], v)
	}
	for _, r := range rs {
		ev.rsvp[r.User] = r
	}
	return ev
}

// voice returns how long user was in the voice channel during the session
// and when they first were, summing every stay (joins, leaves and
// rejoins) clipped to the session; a stay still open ends with the
// session.
func (ev evidence) voice(user bot.UserID) (time.Duration, time.Time) {
	var (
		total time.Duration
		first time.Time
	)
	s := ev.session
	for _, st := range ev.stays[user] {
		from, to := st.Joined, st.Left
		if to.IsZero() || to.After(s.End) {
			to = s.End
		}
		if from.Before(s.Start) {
			from = s.Start
		}
		if !to.After(from) {
			continue
		}
		total += to.Sub(from)
		if first.IsZero() || from.Before(first) {
			first = from
		}
	}
	return total, first
}

// firstPresence returns the earliest sign that user was at the session
// and its source: a press or an answer in the window, or enough time in
// the voice channel.
func (ev evidence) firstPresence(user bot.UserID) (time.Time, string, bool) {
	var (
		at  time.Time
		src string
	)
	s := ev.session
	for _, p := range ev.presence[user] {
		if p.At.Before(s.Start) || p.At.After(s.End) {
			continue
		}
		if at.IsZero() || p.At.Before(at) {
			at, src = p.At, p.Source
		}
	}
	if total, first := ev.voice(user); total >= time.Duration(ev.settings.MinMinutes)*time.Minute && !first.IsZero() {
		if at.IsZero() || first.Before(at) {
			at, src = first, SourceVoice
		}
	}
	return at, src, !at.IsZero()
}

// decide computes the mark of one person (a roster entry, or a channel
// member with ID 0) from the evidence: present or late from their first
// presence; else excused by an RSVP "no" or being away; else absent.
func (ev evidence) decide(p bot.Member) bot.AttendanceMark {
	s := ev.session
	m := bot.AttendanceMark{SessionID: s.ID, GroupID: s.GroupID, Attendee: bot.Attendee{User: p.User, MemberID: p.ID}, Source: SourceNone, Status: bot.AttendAbsent}
	if p.User != "" {
		if at, src, ok := ev.firstPresence(p.User); ok {
			m.Status, m.Source, m.At = arrival(s, ev.settings, at), src, at
			return m
		}
		if r, ok := ev.rsvp[p.User]; ok && r.Answer == bot.RSVPNo {
			m.Status, m.Source = bot.AttendExcused, SourceRSVP
			return m
		}
	}
	if p.AwayUntil.After(s.Start) {
		m.Status, m.Source = bot.AttendExcused, SourceAway
	}
	return m
}

// staff reports whether a person who is not on g's roster runs the group
// (a facilitator or an owner): they are not counted as attending.
func (f *Feature) staff(g bot.Group, user bot.UserID) bool {
	u := bot.User{Platform: g.Address.Platform, ID: user}
	return g.IsFacilitator(u) || f.b.IsOwner(u)
}

// counted reports whether the account user counts at g's sessions — a
// roster entry (its id is returned) or anyone else but the staff — for a
// presence that reaches attendance on its own. Someone who asked tend to
// forget them does not count.
func (f *Feature) counted(ctx context.Context, g bot.Group, user bot.UserID) (int64, bool, error) {
	tracked, err := f.b.Tracked(ctx, g)
	if err != nil || !tracked(user) {
		return 0, false, err
	}
	r, err := f.st.MemberByUser(ctx, g.ID, user)
	switch {
	case err == nil && r.Status == bot.MemberActive:
		return r.ID, true, nil
	case err != nil && !errors.Is(err, bot.ErrNotFound):
		return 0, false, err
	}
	if f.staff(g, user) {
		return 0, false, nil
	}
	return r.ID, true, nil
}

// compute works out everyone's mark at session s: the group's people (its
// roster and whoever is in its channel), and anyone else who showed
// presence. Members added after the session, staff who are not on the
// roster, members who do not take part yet (norms not agreed), and people
// who can see the channel but never took part in the group (no roster
// entry, no RSVP, no presence, no agreement) are not counted absent: they
// count once they show up. Nobody who asked tend to forget them is counted
// (bot.People leaves them out).
func (f *Feature) compute(ctx context.Context, g bot.Group, s bot.Session, set Settings) ([]bot.AttendanceMark, error) {
	people, err := f.b.People(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("who is in the group: %w", err)
	}
	// People in the channel but not on the roster count absent only if
	// they ever took part.
	var offRoster []bot.UserID
	for _, p := range people {
		if p.ID == 0 && p.User != "" {
			offRoster = append(offRoster, p.User)
		}
	}
	took, err := f.st.TookPart(ctx, g.ID, offRoster)
	if err != nil {
		return nil, err
	}
	ps, err := f.st.Presences(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	vs, err := f.st.VoiceStays(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	rs, err := f.st.RSVPs(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	ev := newEvidence(s, set, ps, vs, rs)
	marks := make([]bot.AttendanceMark, 0, len(people))
	seen := make(map[bot.UserID]bool, len(people))
	for _, p := range people {
		if p.User != "" {
			seen[p.User] = true
		}
		if p.ID == 0 && f.staff(g, p.User) {
			continue
		}
		if p.ID != 0 && p.AddedAt.After(s.End) {
			continue // joined after this session
		}
		m := ev.decide(p)
		if p.ID == 0 && !took[p.User] && !m.Status.Attended() {
			continue // in the channel, never took part: not absent, not excused
		}
		if m.Status == bot.AttendAbsent && p.User != "" {
			ok, _, err := f.b.TakesPart(ctx, g, p.User)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue // not taking part yet: not absent
			}
		}
		if p.ID == 0 && g.Privacy != bot.PrivacyMinimal {
			m.Name = p.Name
		}
		marks = append(marks, m)
	}
	// People who showed presence but are no longer listed (they left the
	// channel after the session, or never joined its text channel).
	var others []bot.UserID
	for u := range ev.presence {
		if !seen[u] {
			others = append(others, u)
		}
	}
	for u := range ev.stays {
		if !seen[u] && !slices.Contains(others, u) {
			others = append(others, u)
		}
	}
	slices.Sort(others)
	for _, u := range others {
		id, ok, err := f.counted(ctx, g, u)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if m := ev.decide(bot.Member{User: u, ID: id}); m.Status.Attended() {
			marks = append(marks, m)
		}
	}
	return marks, nil
}

// ended closes session s: everyone's mark in one transaction, then the
// facilitators' summary and the drift check. A rerun after a crash finds
// the session closed and only repeats the messages, which their keys keep
// to once.
func (f *Feature) ended(ctx context.Context, g bot.Group, s bot.Session, set Settings) error {
	now := f.clock.Now()
	closed, err := f.st.AttendanceClosed(ctx, s.ID)
	if err != nil {
		return err
	}
	if !closed {
		marks, err := f.compute(ctx, g, s, set)
		if err != nil {
			return err
		}
		if _, err := f.st.CloseAttendance(ctx, s.ID, g.ID, marks, now); err != nil {
			return err
		}
		f.log.Info("attendance recorded", bot.KeyGroup, g.Name, bot.KeySession, s.ID, "marks", len(marks))
	}
	marks, err := f.st.SessionMarks(ctx, s.ID)
	if err != nil {
		return err
	}
	changed, err := f.catchUp(ctx, g, s, set, marks)
	if err != nil {
		return err
	}
	if changed {
		if marks, err = f.st.SessionMarks(ctx, s.ID); err != nil {
			return err
		}
	}
	rs, err := f.st.RSVPs(ctx, s.ID)
	if err != nil {
		return err
	}
	names, err := f.labeler(ctx, g)
	if err != nil {
		return err
	}
	if _, err := f.b.TellFacilitators(ctx, g, SummaryKey(s.ID), summary(g, s, marks, rs, names)); err != nil {
		return fmt.Errorf("tell the facilitators: %w", err)
	}
	return f.drift(ctx, g, s, set, marks, names)
}

// catchUp applies presence recorded while the marks were being computed
// (a press in the session's last seconds) to the marks, and reports
// whether it changed one. A mark that counts the person as come, or that a
// facilitator gave, is left alone.
func (f *Feature) catchUp(ctx context.Context, g bot.Group, s bot.Session, set Settings, marks []bot.AttendanceMark) (bool, error) {
	ps, err := f.st.Presences(ctx, s.ID)
	if err != nil {
		return false, err
	}
	done := make(map[bot.UserID]bool, len(marks))
	for _, m := range marks {
		if m.User != "" && (m.Status.Attended() || m.Source == SourceFacilitator) {
			done[m.User] = true
		}
	}
	ev := newEvidence(s, set, ps, nil, nil)
	var users []bot.UserID
	for u := range ev.presence {
		if !done[u] {
			users = append(users, u)
		}
	}
	slices.Sort(users)
	changed := false
	for _, u := range users {
		at, src, ok := ev.firstPresence(u)
		if !ok {
			continue
		}
		id, counted, err := f.counted(ctx, g, u)
		if err != nil {
			return changed, err
		}
		if !counted {
			continue
		}
		m := bot.AttendanceMark{SessionID: s.ID, GroupID: g.ID, Attendee: bot.Attendee{User: u, MemberID: id}, Status: arrival(s, set, at), Source: src, At: at}
		c, err := f.st.LatePresence(ctx, m)
		if err != nil {
			return changed, err
		}
		changed = changed || c
	}
	return changed, nil
}

// maxNames bounds the names one field of a summary lists.
const maxNames = 40

// nameList lists names, at most maxNames and about 900 characters (a
// field holds 1024 on Discord), then how many more.
func nameList(names []string) string {
	if len(names) == 0 {
		return "—"
	}
	var b strings.Builder
	for i, n := range names {
		if i == maxNames || (i > 0 && b.Len()+2+len(n) > 900) {
			fmt.Fprintf(&b, " … and %d more (/tend attendance report)", len(names)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
	return b.String()
}

// summary is the facilitators' private summary of one session: present,
// late, excused, absent, and RSVP against what happened.
func summary(g bot.Group, s bot.Session, marks []bot.AttendanceMark, rs []bot.RSVP, names *labeler) bot.Message {
	by := map[bot.AttendanceStatus][]string{}
	status := map[bot.UserID]bot.AttendanceStatus{}
	hidden := 0
	for _, m := range marks {
		if m.User != "" {
			status[m.User] = m.Status
		}
		name, ok := names.label(m)
		if !ok {
			hidden++
			name = ""
		}
		switch {
		case name == "":
		case m.Status == bot.AttendLate && !m.At.IsZero():
			name += " (" + bot.Time(m.At, bot.TimeClock) + ")"
		case m.Status == bot.AttendExcused && m.Source != SourceFacilitator:
			name += " (" + map[string]string{SourceRSVP: "said they couldn't come", SourceAway: "away"}[m.Source] + ")"
		}
		if name != "" {
			by[m.Status] = append(by[m.Status], name)
		}
	}
	counts := map[bot.AttendanceStatus]int{}
	for _, m := range marks {
		counts[m.Status]++
	}
	var yes, yesCame, noCame []string
	yesMissed := []string{}
	saidNo := 0
	for _, r := range rs {
		st, counted := status[r.User]
		name, ok := names.label(bot.AttendanceMark{Attendee: bot.Attendee{User: r.User, MemberID: names.memberOf(r.User)}})
		if !ok {
			name = ""
		}
		switch r.Answer {
		case bot.RSVPYes:
			yes = append(yes, name)
			if st.Attended() {
				yesCame = append(yesCame, name)
			} else if counted && name != "" {
				yesMissed = append(yesMissed, name)
			}
		case bot.RSVPNo:
			saidNo++
			if st.Attended() && name != "" {
				noCame = append(noCame, name)
			}
		}
	}
	text := fmt.Sprintf("%d present, %d late, %d excused, %d absent.", counts[bot.AttendPresent], counts[bot.AttendLate], counts[bot.AttendExcused], counts[bot.AttendAbsent])
	if len(marks) == 0 {
		text = "Nobody was counted: the group had no members tend could see."
	}
	text += fmt.Sprintf("\nRSVPs: %d said they'd come and %d of them came; %d said they couldn't.", len(yes), len(yesCame), saidNo)
	switch {
	case hidden == 1:
		text += "\n1 person in the channel has no roster code, so they are counted but not named here (privacy: minimal)."
	case hidden > 1:
		text += fmt.Sprintf("\n%d people in the channel have no roster code, so they are counted but not named here (privacy: minimal).", hidden)
	}
	fields := []bot.Field{
		{Name: "Present", Value: nameList(by[bot.AttendPresent])},
		{Name: "Late", Value: nameList(by[bot.AttendLate])},
		{Name: "Excused", Value: nameList(by[bot.AttendExcused])},
		{Name: "Absent", Value: nameList(by[bot.AttendAbsent])},
	}
	if len(yesMissed) > 0 {
		fields = append(fields, bot.Field{Name: "Said they'd come, did not", Value: nameList(yesMissed)})
	}
	if len(noCame) > 0 {
		fields = append(fields, bot.Field{Name: "Said they couldn't, came anyway", Value: nameList(noCame)})
	}
	title := fmt.Sprintf("Attendance — %s, session %d", g.Name, s.Number)
	return bot.Message{
		Title:  title,
		Text:   bot.Time(s.Start, bot.TimeFull) + "\n" + text,
		Fields: fields,
		Footer: fmt.Sprintf("Correct a mark with /tend attendance mark <status> user:@name (or code:) session:%d. /tend attendance report shows rates and streaks.", s.Number),
	}
}

// driftWindow is how many of a group's latest closed sessions a streak is
// looked for in first; a streak that fills them all is followed back
// through the group's whole history (MarkStore.StreakSince), so that its
// first session and its count never depend on the window.
func driftWindow(alertAfter int) int { return max(30, 3*alertAfter) }

// streak is one member's current run of unexcused absences: its first
// session and how many sessions it holds.
type streak struct {
	from  int64
	count int
}

// drift flags the members absent without excuse from AlertAfter sessions
// in a row (sessions they were excused from, or not counted at, neither
// count nor break the streak), once per streak, to the facilitators, with
// the "we missed you" DM where the group opted in. A streak is named by its
// first session, found however far back it began.
func (f *Feature) drift(ctx context.Context, g bot.Group, s bot.Session, set Settings, marks []bot.AttendanceMark, names *labeler) error {
	if set.AlertAfter <= 0 || !slices.ContainsFunc(marks, func(m bot.AttendanceMark) bool { return m.Status == bot.AttendAbsent }) {
		return nil
	}
	window := driftWindow(set.AlertAfter)
	recent, err := f.st.RecentClosedSessions(ctx, g.ID, s.Start, window)
	if err != nil {
		return err
	}
	ids := make([]int64, len(recent))
	for i, r := range recent {
		ids[i] = r.ID
	}
	ms, err := f.st.StreakMarks(ctx, s.ID, ids)
	if err != nil {
		return err
	}
	byWho := map[string]map[int64]bot.AttendanceMark{}
	for _, m := range ms {
		if byWho[m.Key()] == nil {
			byWho[m.Key()] = map[int64]bot.AttendanceMark{}
		}
		byWho[m.Key()][m.SessionID] = m
	}
	streaks := map[string]streak{}
	var longer []string // streaks that may have begun before the window
	for _, m := range marks {
		if m.Status != bot.AttendAbsent {
			continue
		}
		var st streak
		broken := false
	walk:
		for _, r := range recent { // latest first
			got, ok := byWho[m.Key()][r.ID]
			switch {
			case !ok, got.Status == bot.AttendExcused:
				continue
			case got.Status == bot.AttendAbsent:
				st.count, st.from = st.count+1, r.ID
			default:
				broken = true
				break walk
			}
		}
		streaks[m.Key()] = st
		if !broken && len(recent) == window {
			longer = append(longer, m.Key())
		}
	}
	if len(longer) > 0 {
		whole, err := f.st.StreakSince(ctx, g.ID, s.ID, longer)
		if err != nil {
			return err
		}
		counted := map[string]streak{}
		for _, m := range whole { // by person, earliest first
			st := counted[m.Key()]
			if st.count == 0 {
				st.from = m.SessionID
			}
			st.count++
			counted[m.Key()] = st
		}
		for _, k := range longer {
			if st, ok := counted[k]; ok {
				streaks[k] = st
			}
		}
	}
	now := f.clock.Now()
	var alerts []bot.AttendanceAlert
	for _, m := range marks {
		if st := streaks[m.Key()]; m.Status == bot.AttendAbsent && st.count >= set.AlertAfter {
			alerts = append(alerts, bot.AttendanceAlert{GroupID: g.ID, Attendee: m.Attendee, StreakFrom: st.from, SessionID: s.ID, At: now})
		}
	}
	if len(alerts) == 0 {
		return nil
	}
	flagged, err := f.st.RaiseAlerts(ctx, alerts)
	if err != nil || len(flagged) == 0 {
		return err
	}
	starts := map[int64]bot.Session{}
	for _, r := range recent {
		starts[r.ID] = r
	}
	var lines []string
	for _, a := range flagged {
		name, ok := names.label(bot.AttendanceMark{Attendee: a.Attendee})
		if !ok {
			name = "a member without a roster code"
		}
		first, ok := starts[a.StreakFrom]
		if !ok {
			if first, err = f.st.Session(ctx, a.StreakFrom); err != nil {
				return err
			}
		}
		line := fmt.Sprintf("%s — %d sessions in a row without an excuse, since session %d (%s)", name, streaks[a.Key()].count, first.Number, bot.Time(first.Start, bot.TimeDate))
		note, err := f.missedYou(ctx, g, set, a, now)
		if err != nil {
			return err
		}
		if note != "" {
			line += "; " + note
		}
		lines = append(lines, line)
	}
	msg := bot.Message{
		Title: "Members missing sessions — " + g.Name,
		Text: fmt.Sprintf("After session %d, these members have missed %d or more sessions in a row without an excuse. You may want to reach out; tend tells you once per streak.",
			s.Number, set.AlertAfter),
		Fields: bot.LineFields("Missing", lines),
	}
	if _, err := f.b.TellFacilitators(ctx, g, DriftKey(s.ID), msg); err != nil {
		return fmt.Errorf("tell the facilitators: %w", err)
	}
	return nil
}

// missedYou sends the gentle "we missed you" DM for alert a where the
// group opted in, never to a member marked away, never in a channel. It
// returns a note for the facilitators about what happened.
func (f *Feature) missedYou(ctx context.Context, g bot.Group, set Settings, a bot.AttendanceAlert, now time.Time) (string, error) {
	if !set.MissedYouDM {
		return "", nil
	}
	if a.User == "" {
		return `no "we missed you" message: they are not on ` + g.Address.Platform, nil
	}
	r, err := f.st.MemberByUser(ctx, g.ID, a.User)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return "", err
	}
	away := r.AwayUntil
	if err != nil || r.Status == bot.MemberRemoved {
		// Not on the roster: away as a channel member, if at all.
		ca, err := f.st.ChannelAway(ctx, g.ID, now)
		if err != nil {
			return "", err
		}
		away = ca[a.User]
	}
	if away.After(now) {
		return `no "we missed you" message: they are marked away`, nil
	}
	m := bot.Message{
		Title: "We missed you at " + g.Name,
		Text: "Hi — we noticed you haven't made it to the last few sessions, and we wanted to say you were missed. There's no pressure and nothing you need to explain. " +
			"If something is getting in the way, a facilitator is glad to hear from you, privately. If you need a break, /tend away until:YYYY-MM-DD lets the group know. " +
			"/tend next shows when the group meets again.",
		Footer: "This message is only to you. The facilitators asked tend to send it.",
	}
	_, err = f.send.Send(ctx, bot.DM(MissedYouKey(g.ID, a.User, a.StreakFrom), g.Address.Platform, a.User, m))
	switch {
	case err == nil:
		return `sent them a "we missed you" message`, nil
	case bot.IsPermanent(err):
		f.log.Warn(`a "we missed you" DM could not be delivered`, bot.KeyGroup, g.Name, bot.KeySession, a.SessionID, bot.KeyErr, err)
		return `the "we missed you" message could not be delivered (their DMs may be closed); nothing was posted anywhere else`, nil
	}
	return "", fmt.Errorf("we missed you DM: %w", err)
}
