package attendance

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/width"

	"github.com/tend-bot/tend/bot"
)

// labeler names the people of a group's marks as reports show them: the
// roster's name or code, under minimal privacy the code only.
type labeler struct {
	g      bot.Group
	byID   map[int64]bot.Member
	byUser map[bot.UserID]bot.Member
}

func newLabeler(g bot.Group, roster []bot.Member) *labeler {
	l := &labeler{g: g, byID: map[int64]bot.Member{}, byUser: map[bot.UserID]bot.Member{}}
	for _, m := range roster {
		l.byID[m.ID] = m
		if m.User != "" {
			l.byUser[m.User] = m
		}
	}
	return l
}

func (f *Feature) labeler(ctx context.Context, g bot.Group) (*labeler, error) {
	roster, err := f.st.RosterEntries(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	return newLabeler(g, roster), nil
}

// entry returns the roster entry of the person m names.
func (l *labeler) entry(m bot.AttendanceMark) (bot.Member, bool) {
	if r, ok := l.byID[m.MemberID]; ok && m.MemberID != 0 {
		return r, true
	}
	if m.User != "" {
		r, ok := l.byUser[m.User]
		return r, ok
	}
	return bot.Member{}, false
}

// memberOf returns the roster id of an account, or 0.
func (l *labeler) memberOf(u bot.UserID) int64 { return l.byUser[u].ID }

// label is how a chat message names the person of m; false when they must
// not be named: someone off the roster in a minimal-privacy group.
func (l *labeler) label(m bot.AttendanceMark) (string, bool) {
	platform := l.g.Address.Platform
	if r, ok := l.entry(m); ok {
		if l.g.Privacy == bot.PrivacyMinimal && r.Code == "" {
			return fmt.Sprintf("roster entry #%d", r.ID), true
		}
		return r.Label(platform, l.g.Privacy), true
	}
	if l.g.Privacy == bot.PrivacyMinimal {
		return "", false
	}
	if m.Name != "" {
		return m.Name, true
	}
	return bot.Mention(platform, m.User), true
}

// plain is how a file names the person of m: their name or code, else
// "platform:id"; under minimal privacy the code, else "not on the roster".
// It returns the name and the roster code.
func (l *labeler) plain(m bot.AttendanceMark) (name, code string) {
	if r, ok := l.entry(m); ok {
		switch {
		case l.g.Privacy == bot.PrivacyMinimal && r.Code == "":
			return fmt.Sprintf("roster entry #%d", r.ID), ""
		case l.g.Privacy == bot.PrivacyMinimal, r.CodeOnly():
			return r.Code, r.Code
		case r.Name != "":
			return r.Name, r.Code
		}
		return l.g.Address.Platform + ":" + string(r.User), r.Code
	}
	if l.g.Privacy == bot.PrivacyMinimal {
		return "not on the roster", ""
	}
	if m.Name != "" {
		return m.Name, ""
	}
	return l.g.Address.Platform + ":" + string(m.User), ""
}

// Report is a group's attendance over a date range: each session, each
// member, and each mark.
type Report struct {
	Group bot.Group
	// From and To bound the sessions' starts: [From, To); zero is
	// unbounded.
	From, To time.Time
	Sessions []SessionLine
	Members  []MemberLine
	// Rows are the marks, one per session and person, by session then
	// name.
	Rows []Row
}

// SessionLine counts one session's marks.
type SessionLine struct {
	Session bot.Session
	Counts  map[bot.AttendanceStatus]int
}

// MemberLine is one person's attendance over the report's sessions.
type MemberLine struct {
	Name, Code string
	// Attended counts present and late; Rate is Attended over Attended
	// plus Absent (excused sessions count neither way), or -1 without
	// either.
	Attended, Late, Excused, Absent int
	Rate                            float64
	// Streak is the current run, latest first, skipping excused
	// sessions: +n came n times in a row, -n missed n in a row.
	Streak int
	// LastSeen is the start of the latest session they came to.
	LastSeen time.Time
}

// Row is one mark with what a file shows of it.
type Row struct {
	Session    bot.Session
	Name, Code string
	Mark       bot.AttendanceMark
}

// BuildReport builds the report of group g from its closed sessions in the
// range, their marks and its roster entries (removed ones included).
func BuildReport(g bot.Group, from, to time.Time, sessions []bot.Session, marks []bot.AttendanceMark, roster []bot.Member) Report {
	l := newLabeler(g, roster)
	r := Report{Group: g, From: from, To: to}
	byID := map[int64]bot.Session{}
	for _, s := range sessions {
		byID[s.ID] = s
		r.Sessions = append(r.Sessions, SessionLine{Session: s, Counts: map[bot.AttendanceStatus]int{}})
	}
	idx := map[int64]int{}
	for i, s := range r.Sessions {
		idx[s.Session.ID] = i
	}
	type person struct {
		line  MemberLine
		marks []bot.AttendanceMark
	}
	people := map[string]*person{}
	for _, m := range marks {
		s, ok := byID[m.SessionID]
		if !ok {
			continue
		}
		r.Sessions[idx[m.SessionID]].Counts[m.Status]++
		name, code := l.plain(m)
		r.Rows = append(r.Rows, Row{Session: s, Name: name, Code: code, Mark: m})
		key := m.Key()
		if e, ok := l.entry(m); ok {
			key = fmt.Sprintf("r:%d", e.ID)
		} else if l.g.Privacy == bot.PrivacyMinimal {
			key = "hidden" // people off the roster are not told apart
		}
		p := people[key]
		if p == nil {
			p = &person{line: MemberLine{Name: name, Code: code}}
			people[key] = p
		}
		p.marks = append(p.marks, m)
	}
	for _, p := range people {
		ln := &p.line
		for _, m := range p.marks {
			switch m.Status {
			case bot.AttendPresent, bot.AttendLate:
				ln.Attended++
				if m.Status == bot.AttendLate {
					ln.Late++
				}
				if s := byID[m.SessionID]; s.Start.After(ln.LastSeen) {
					ln.LastSeen = s.Start
				}
			case bot.AttendExcused:
				ln.Excused++
			case bot.AttendAbsent:
				ln.Absent++
			}
		}
		ln.Rate = -1
		if n := ln.Attended + ln.Absent; n > 0 {
			ln.Rate = float64(ln.Attended) / float64(n)
		}
		// The current streak: latest session first.
		ms := slices.Clone(p.marks)
		slices.SortFunc(ms, func(a, b bot.AttendanceMark) int { return byID[b.SessionID].Start.Compare(byID[a.SessionID].Start) })
		for _, m := range ms {
			if m.Status == bot.AttendExcused {
				continue
			}
			came := m.Status.Attended()
			if ln.Streak != 0 && (ln.Streak > 0) != came {
				break
			}
			if came {
				ln.Streak++
			} else {
				ln.Streak--
			}
		}
		r.Members = append(r.Members, *ln)
	}
	slices.SortFunc(r.Members, func(a, b MemberLine) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.Code, b.Code))
	})
	slices.SortStableFunc(r.Rows, func(a, b Row) int {
		return cmp.Or(a.Session.Start.Compare(b.Session.Start), cmp.Compare(a.Session.ID, b.Session.ID),
			cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.Mark.Key(), b.Mark.Key()))
	})
	return r
}

// Header is the CSV header row.
var Header = []string{"group", "session", "date", "start", "topic", "member", "code", "status", "source", "arrived", "marked_by"}

// WriteCSV writes the report's marks as CSV (RFC 4180: CRLF line ends,
// quoted where needed, UTF-8), one row per session and person, with dates
// and times in ISO 8601 in the group's zone. A cell that a spreadsheet
// would run as a formula (starting with = + - @, a tab or a carriage
// return) is neutralised with a leading apostrophe. It starts with a UTF-8
// byte order mark (BOM): RFC 4180 says nothing of one, but Excel reads a
// CSV without it in the computer's legacy code page, so that "José" shows
// as "JosÃ©"; LibreOffice, Numbers and Google Sheets take it too. Programs
// skip it (Python's "utf-8-sig"; see StripBOM).
func WriteCSV(w io.Writer, r Report) error {
	loc, err := r.Group.Location()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, row := range r.Rows {
		s, m := row.Session, row.Mark
		arrived := ""
		if !m.At.IsZero() && m.Status.Attended() {
			arrived = m.At.In(loc).Format(time.RFC3339)
		}
		topic, _, _ := strings.Cut(s.Topic, "|")
		rec := []string{
			r.Group.Name, fmt.Sprint(s.Number), s.Start.In(loc).Format(time.DateOnly), s.Start.In(loc).Format(time.RFC3339),
			strings.TrimSpace(topic), row.Name, row.Code, string(m.Status), m.Source, arrived, string(m.MarkedBy),
		}
		for i := range rec {
			rec[i] = SafeCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SafeCell neutralises a cell that a spreadsheet would run as a formula:
// one starting with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe (OWASP's advice for CSV injection). Placeholder runes of
// timestamps are removed.
func SafeCell(s string) string {
	s = bot.StripPlaceholderRunes(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// oneLine makes a table cell: control characters become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, bot.StripPlaceholderRunes(s))
}

// RateText prints a rate: "80% (4 of 5)", or "—".
func (m MemberLine) RateText() string {
	if m.Rate < 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%% (%d of %d)", m.Rate*100, m.Attended, m.Attended+m.Absent)
}

// StreakText prints the current streak: "came 3 in a row", "missed 2 in a
// row", or "—".
func (m MemberLine) StreakText() string {
	switch {
	case m.Streak == 1:
		return "came to the last one"
	case m.Streak > 1:
		return fmt.Sprintf("came to the last %d", m.Streak)
	case m.Streak == -1:
		return "missed the last one"
	case m.Streak < -1:
		return fmt.Sprintf("missed the last %d", -m.Streak)
	}
	return "—"
}

// rangeText says which dates a report covers.
func (r Report) rangeText(loc *time.Location) string {
	switch {
	case r.From.IsZero() && r.To.IsZero():
		return "all sessions"
	case r.To.IsZero():
		return "from " + r.From.In(loc).Format(time.DateOnly)
	case r.From.IsZero():
		return "until " + r.To.In(loc).Add(-time.Nanosecond).Format(time.DateOnly)
	}
	return r.From.In(loc).Format(time.DateOnly) + " to " + r.To.In(loc).Add(-time.Nanosecond).Format(time.DateOnly)
}

// WriteTable writes the report for a terminal: each session's counts, then
// each member's rate, streak and last session attended.
func WriteTable(w io.Writer, r Report) error {
	loc, err := r.Group.Location()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Attendance of %s (%s), %s: %d sessions\n\n", r.Group.Name, r.Group.TimeZone, r.rangeText(loc), len(r.Sessions))
	if len(r.Sessions) == 0 {
		_, err := fmt.Fprintln(w, "No session has been closed in this range yet: attendance is recorded when a session ends.")
		return err
	}
	sessions := [][]string{{"SESSION", "DATE", "TOPIC", "PRESENT", "LATE", "EXCUSED", "ABSENT"}}
	for _, s := range r.Sessions {
		topic, _, _ := strings.Cut(s.Session.Topic, "|")
		sessions = append(sessions, []string{strconv.Itoa(s.Session.Number), s.Session.Start.In(loc).Format("2006-01-02 15:04"), oneLine(strings.TrimSpace(topic)),
			strconv.Itoa(s.Counts[bot.AttendPresent]), strconv.Itoa(s.Counts[bot.AttendLate]), strconv.Itoa(s.Counts[bot.AttendExcused]), strconv.Itoa(s.Counts[bot.AttendAbsent])})
	}
	members := [][]string{{"MEMBER", "RATE", "LATE", "EXCUSED", "ABSENT", "STREAK", "LAST SEEN"}}
	for _, m := range r.Members {
		last := "—"
		if !m.LastSeen.IsZero() {
			last = m.LastSeen.In(loc).Format(time.DateOnly)
		}
		members = append(members, []string{oneLine(m.Name), m.RateText(), strconv.Itoa(m.Late), strconv.Itoa(m.Excused), strconv.Itoa(m.Absent), m.StreakText(), last})
	}
	var b strings.Builder
	writeColumns(&b, sessions)
	b.WriteString("\n")
	writeColumns(&b, members)
	_, err = io.WriteString(w, b.String())
	return err
}

// writeColumns writes rows as columns two spaces apart, each as wide as
// its widest cell as a terminal shows it: a CJK character or an emoji
// takes two columns, a combining mark none (text/tabwriter counts
// characters, so a Japanese name pushed its row's columns out).
func writeColumns(b *strings.Builder, rows [][]string) {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	for _, row := range rows {
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(cell)+2))
			}
		}
		b.WriteString("\n")
	}
}

// displayWidth is how many terminal columns s takes.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r == '\u200d' || unicode.In(r, unicode.Mn, unicode.Me, unicode.Variation_Selector):
			// joiners, combining marks and variation selectors add nothing
		case width.LookupRune(r).Kind() == width.EastAsianWide || width.LookupRune(r).Kind() == width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// Messages renders the report for chat, per session and per member, in as
// many messages as it takes (at most bot.MaxReplies), each within every
// platform's limits. Lines that do not fit are not cut silently: the last
// message says how many and where to get them all.
func (r Report) Messages() []bot.Message {
	loc, err := r.Group.Location()
	if err != nil {
		loc = time.UTC
	}
	head := bot.Message{Title: "Attendance — " + r.Group.Name}
	if len(r.Sessions) == 0 {
		head.Text = "No session has been closed in this range yet: attendance is recorded when a session ends."
		return []bot.Message{head}
	}
	head.Text = fmt.Sprintf("%d sessions, %s. Rates count present and late against absences; excused sessions count neither way.", len(r.Sessions), r.rangeText(loc))
	var sessions []string
	for _, s := range r.Sessions {
		sessions = append(sessions, fmt.Sprintf("%d. %s — %d present, %d late, %d excused, %d absent", s.Session.Number, bot.Time(s.Session.Start, bot.TimeDate),
			s.Counts[bot.AttendPresent], s.Counts[bot.AttendLate], s.Counts[bot.AttendExcused], s.Counts[bot.AttendAbsent]))
	}
	var members []string
	for _, ml := range r.Members {
		line := fmt.Sprintf("%s — %s, %s", ml.Name, ml.RateText(), ml.StreakText())
		if !ml.LastSeen.IsZero() {
			line += ", last came " + bot.Time(ml.LastSeen, bot.TimeDate)
		}
		members = append(members, line)
	}
	head.Footer = fmt.Sprintf("For records: tend report --group %s --format csv on the server, or /tend attendance export.", r.Group.Name)
	pages, _ := bot.Paginate(head, []bot.Section{{Name: "Sessions", Lines: sessions}, {Name: "Members", Lines: members}}, bot.MaxReplies, func(n int) string {
		return fmt.Sprintf("… and %d more lines that do not fit here: /tend attendance export sends you all of them as a file, or narrow the dates with from: and to:.", n)
	})
	return pages
}

// BOM is the UTF-8 byte order mark a CSV export starts with (see
// WriteCSV).
const BOM = "\ufeff"

// StripBOM returns data without a leading UTF-8 byte order mark.
func StripBOM(data []byte) []byte { return bytes.TrimPrefix(data, []byte(BOM)) }
