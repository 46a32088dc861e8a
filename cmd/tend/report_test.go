package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/attendance"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// course is a closed 8-session psychoeducation course on Slack in
// America/New_York (the clocks change between sessions 6 and 7), with
// members whose names and a topic a spreadsheet would run as formulas.
type course struct {
	path  string
	group bot.Group
}

// seedCourse writes the course into a new database at dir/tend.db.
func seedCourse(t *testing.T, dir string, privacy bot.Privacy) course {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(dir, "tend.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return clock }
	g, err := db.CreateGroup(ctx, "slack:UFAC01", bot.Group{Name: "thursday-course", Address: bot.Address{Platform: bot.PlatformSlack, Channel: "C0COURSE1"},
		Kind: bot.KindPsychoeducation, Admission: bot.AdmissionClosed, TimeZone: "America/New_York", Privacy: privacy, Facilitators: []bot.Principal{"slack:UFAC01"}})
	if err != nil {
		t.Fatal(err)
	}
	add := func(m bot.Member) bot.Member {
		m.GroupID = g.ID
		if privacy == bot.PrivacyMinimal {
			m.Name = ""
		}
		out, err := db.AddMember(ctx, "slack:UFAC01", m)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ana := add(bot.Member{User: "U0ANA0001", Code: "C-101", Name: "Ana Lima"})
	ben := add(bot.Member{User: "U0BEN0001", Code: "C-102", Name: "Ben O'Neil"})
	cho := add(bot.Member{User: "U0CHO0001", Code: "C-103", Name: "Cho, Min"})
	code := add(bot.Member{Code: "C-104"})
	evil := add(bot.Member{User: "U0EVIL001", Code: "C-105", Name: "=cmd|' /C calc'!A0"})
	// Names beyond ASCII, which a spreadsheet must show as written.
	jose := add(bot.Member{User: "U0JOS0001", Code: "C-106", Name: "José Núñez-Ødegård"})
	mei := add(bot.Member{User: "U0MEI0001", Code: "C-107", Name: "山田 美咲 🌱"})
	topics := []string{"Welcome and agreements", "Understanding stress", "=SUM(A1:A9)", "Sleep", "Distress tolerance", "Asking for help", "Relapse signs", "Looking ahead"}
	ser := bot.Series{GroupID: g.ID, Schedule: bot.Schedule{Weekly: "thu 09:30", Duration: time.Hour, Starts: "2027-02-04", Count: 8, Topics: topics}}
	if _, err := db.SaveSeries(ctx, ser, clock, nil); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	first := time.Date(2027, 2, 4, 9, 30, 0, 0, ny)
	for i := range 8 {
		start := first.AddDate(0, 0, 7*i)
		s, _, err := db.MaterializeSession(ctx, bot.Session{GroupID: g.ID, Number: i + 1, Start: start, End: start.Add(time.Hour), Topic: topics[i], Status: bot.SessionScheduled},
			func(bot.Session) []bot.Job { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetSessionStatus(ctx, s.ID, bot.SessionDone); err != nil {
			t.Fatal(err)
		}
		n := i + 1
		mark := func(m bot.Member, st bot.AttendanceStatus, src string, after time.Duration) bot.AttendanceMark {
			out := bot.AttendanceMark{Attendee: bot.Attendee{User: m.User, MemberID: m.ID}, Status: st, Source: src}
			if st.Attended() {
				out.At = start.Add(after)
			}
			return out
		}
		var marks []bot.AttendanceMark
		switch n {
		case 3:
			marks = append(marks, mark(ana, bot.AttendAbsent, "none", 0))
		case 6:
			marks = append(marks, mark(ana, bot.AttendLate, "button", 15*time.Minute))
		default:
			marks = append(marks, mark(ana, bot.AttendPresent, "button", 2*time.Minute))
		}
		switch n {
		case 2:
			marks = append(marks, mark(ben, bot.AttendExcused, "rsvp", 0))
		case 5:
			marks = append(marks, mark(ben, bot.AttendExcused, "away", 0))
		default:
			marks = append(marks, mark(ben, bot.AttendPresent, "voice", 0))
		}
		if n >= 7 {
			marks = append(marks, mark(cho, bot.AttendAbsent, "none", 0))
		} else {
			marks = append(marks, mark(cho, bot.AttendPresent, "checkin", 4*time.Minute))
		}
		if n == 1 {
			marks = append(marks, mark(evil, bot.AttendPresent, "button", time.Minute))
		} else {
			marks = append(marks, mark(evil, bot.AttendAbsent, "none", 0))
		}
		marks = append(marks, mark(jose, bot.AttendPresent, "button", time.Minute))
		if n%2 == 0 {
			marks = append(marks, mark(mei, bot.AttendAbsent, "none", 0))
		} else {
			marks = append(marks, mark(mei, bot.AttendPresent, "voice", 0))
		}
		if n == 2 {
			// A channel member who is not on the roster.
			marks = append(marks, bot.AttendanceMark{Attendee: bot.Attendee{User: "U0DEE0001"}, Status: bot.AttendPresent, Source: "voice", At: start, Name: "Dee"})
		}
		if _, err := db.CloseAttendance(ctx, s.ID, g.ID, marks, s.End); err != nil {
			t.Fatal(err)
		}
		st := bot.AttendPresent
		switch n {
		case 4:
			st = bot.AttendExcused
		case 8:
			st = bot.AttendAbsent
		}
		for _, status := range []bot.AttendanceStatus{st, bot.AttendLate}[:map[bool]int{true: 2, false: 1}[n == 8]] {
			if _, err := db.MarkAttendance(ctx, bot.AttendanceMark{SessionID: s.ID, GroupID: g.ID, Attendee: bot.Attendee{MemberID: code.ID}, Status: status,
				Source: "facilitator", MarkedBy: "slack:UFAC01"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return course{path: path, group: g}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestReport_CSV(t *testing.T) {
	dir := t.TempDir()
	c := seedCourse(t, dir, bot.PrivacyStandard)
	tm := newTestMain(t, dir, "")
	if code := tm.run(t, "report", "--db", c.path, "--group", "thursday-course", "--format", "csv"); code != exitOK {
		t.Fatalf("exit %d: %s", code, tm.stderr.String())
	}
	out := tm.stdout.String()
	golden(t, "report_course.csv.golden", out)

	if !strings.HasPrefix(out, "\ufeff") {
		t.Error("the CSV does not start with a UTF-8 byte order mark (Excel reads it in a legacy code page without one)")
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff")))
	r.FieldsPerRecord = 11
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	// 8 sessions × 7 roster entries, and one channel member once.
	if len(recs) != 1+8*7+1 {
		t.Fatalf("%d records; want the header and 57 rows", len(recs))
	}
	if strings.Join(recs[0], ",") != strings.Join(attendance.Header, ",") {
		t.Errorf("header %q; want %q", recs[0], attendance.Header)
	}
	if !strings.Contains(out, "\r\n") {
		t.Error("lines do not end with CRLF (RFC 4180)")
	}
	byKey := map[string][]string{}
	for _, rec := range recs[1:] {
		byKey[rec[1]+"/"+rec[5]] = rec
	}
	for key, want := range map[string][]string{
		// A topic and a name a spreadsheet would run are neutralised.
		"3/Ana Lima":            {"thursday-course", "3", "2027-02-18", "2027-02-18T09:30:00-05:00", "'=SUM(A1:A9)", "Ana Lima", "C-101", "absent", "none", "", ""},
		"1/'=cmd|' /C calc'!A0": {"thursday-course", "1", "2027-02-04", "2027-02-04T09:30:00-05:00", "Welcome and agreements", "'=cmd|' /C calc'!A0", "C-105", "present", "button", "2027-02-04T09:31:00-05:00", ""},
		"6/Ana Lima":            {"thursday-course", "6", "2027-03-11", "2027-03-11T09:30:00-05:00", "Asking for help", "Ana Lima", "C-101", "late", "button", "2027-03-11T09:45:00-05:00", ""},
		"7/Cho, Min":            {"thursday-course", "7", "2027-03-18", "2027-03-18T09:30:00-04:00", "Relapse signs", "Cho, Min", "C-103", "absent", "none", "", ""},
		"8/C-104":               {"thursday-course", "8", "2027-03-25", "2027-03-25T09:30:00-04:00", "Looking ahead", "C-104", "C-104", "late", "facilitator", "", "slack:UFAC01"},
		"2/Dee":                 {"thursday-course", "2", "2027-02-11", "2027-02-11T09:30:00-05:00", "Understanding stress", "Dee", "", "present", "voice", "2027-02-11T09:30:00-05:00", ""},
		"2/Ben O'Neil":          {"thursday-course", "2", "2027-02-11", "2027-02-11T09:30:00-05:00", "Understanding stress", "Ben O'Neil", "C-102", "excused", "rsvp", "", ""},
		"1/José Núñez-Ødegård":  {"thursday-course", "1", "2027-02-04", "2027-02-04T09:30:00-05:00", "Welcome and agreements", "José Núñez-Ødegård", "C-106", "present", "button", "2027-02-04T09:31:00-05:00", ""},
		"2/山田 美咲 🌱":             {"thursday-course", "2", "2027-02-11", "2027-02-11T09:30:00-05:00", "Understanding stress", "山田 美咲 🌱", "C-107", "absent", "none", "", ""},
	} {
		if got := byKey[key]; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("row %s = %q; want %q", key, got, want)
		}
	}
	for _, rec := range recs {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
	}
}

func TestReport_Table(t *testing.T) {
	dir := t.TempDir()
	c := seedCourse(t, dir, bot.PrivacyStandard)
	tm := newTestMain(t, dir, "")
	if code := tm.run(t, "report", "--db", c.path, "--group", "thursday-course", "--from", "2027-03-01"); code != exitOK {
		t.Fatalf("exit %d: %s", code, tm.stderr.String())
	}
	golden(t, "report_course_table.golden", tm.stdout.String())
}

// TestReport_Minimal: under minimal privacy the report names roster codes
// only, never a name or an account.
func TestReport_Minimal(t *testing.T) {
	dir := t.TempDir()
	c := seedCourse(t, dir, bot.PrivacyMinimal)
	tm := newTestMain(t, dir, "")
	if code := tm.run(t, "report", "--db", c.path, "--group", "thursday-course", "--format", "csv"); code != exitOK {
		t.Fatalf("exit %d: %s", code, tm.stderr.String())
	}
	out := tm.stdout.String()
	for _, secret := range []string{"Ana", "Ben", "Cho", "Dee", "U0", "calc"} {
		if strings.Contains(out, secret) {
			t.Errorf("a minimal-privacy report holds %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{",C-101,C-101,", ",C-104,C-104,", ",not on the roster,,present,voice,"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// signalWriter is a report's stdout that tells when the report was
// written (the report is read and printed before its audit line).
type signalWriter struct {
	mu      sync.Mutex
	buf     strings.Builder
	written chan struct{}
	once    sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.once.Do(func() { close(w.written) })
	return w.buf.Write(p)
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// exportLines returns the group's attendance.export audit lines.
func exportLines(t *testing.T, path string, groupID int64) []bot.AuditEntry {
	t.Helper()
	db, err := store.OpenReadOnly(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log, err := db.AuditLog(t.Context(), groupID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []bot.AuditEntry
	for _, e := range log {
		if e.Action == "attendance.export" {
			out = append(out, e)
		}
	}
	return out
}

// TestReport_BesideRunningTend: report reads while another connection
// holds the write lock in the middle of a transaction (as a running tend
// does) and prints the last committed state; its audit line then waits
// for the writer's commit, and the writer is never blocked by it.
func TestReport_BesideRunningTend(t *testing.T) {
	dir := t.TempDir()
	c := seedCourse(t, dir, bot.PrivacyStandard)
	w, err := sql.Open("sqlite", "file:"+(&url.URL{Path: c.path}).EscapedPath()+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := t.Context()
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE members SET name = 'Uncommitted Name' WHERE code = 'C-101'`); err != nil {
		t.Fatal(err)
	}
	tm := newTestMain(t, dir, "")
	out := &signalWriter{written: make(chan struct{})}
	tm.Stdout = out
	done := make(chan int, 1)
	go func() { done <- tm.run(t, "report", "--db", c.path, "--group", "thursday-course", "--format", "csv") }()
	select {
	case <-out.written:
	case code := <-done:
		t.Fatalf("report ended (exit %d) before printing: %s", code, tm.stderr.String())
	case <-ctx.Done():
		t.Fatal("no report")
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("the writer could not commit during the report: %v", err)
	}
	if code := <-done; code != exitOK {
		t.Fatalf("report beside a writer: exit %d: %s", code, tm.stderr.String())
	}
	if !strings.Contains(out.String(), "Ana Lima") || strings.Contains(out.String(), "Uncommitted") {
		t.Fatalf("report did not read the last committed state:\n%s", out.String())
	}
	if n := len(exportLines(t, c.path, c.group.ID)); n != 1 {
		t.Fatalf("%d export lines in the audit log; want 1", n)
	}
	// A read-only connection refuses to write.
	db, err := store.OpenReadOnly(ctx, c.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Audit(ctx, bot.AuditEntry{Actor: "x:y", Action: "test"}); err == nil {
		t.Fatal("a write through the read-only store succeeded")
	}
}

// TestReport_Audited: every tend report is an export in the group's audit
// log — who at the command line, which dates, how much, never a name or a
// mark — in both formats; where the database is read-only to the person
// running it, the report still prints and stderr says it was not
// recorded.
func TestReport_Audited(t *testing.T) {
	dir := t.TempDir()
	c := seedCourse(t, dir, bot.PrivacyStandard)
	for _, args := range [][]string{{"--format", "csv"}, {"--from", "2027-03-01", "--to", "2027-03-31"}} {
		tm := newTestMain(t, dir, "")
		if code := tm.run(t, append([]string{"report", "--db", c.path, "--group", "thursday-course"}, args...)...); code != exitOK {
			t.Fatalf("exit %d: %s", code, tm.stderr.String())
		}
	}
	lines := exportLines(t, c.path, c.group.ID)
	if len(lines) != 2 {
		t.Fatalf("export lines %+v; want 2", lines)
	}
	for i, want := range []string{"range=all sessions=8 rows=57 via=tend report format=csv", "range=2027-03-01..2027-03-31 sessions=4 rows=28 via=tend report format=table"} {
		e := lines[len(lines)-1-i]
		if e.Detail != want || !strings.HasPrefix(string(e.Actor), "cli:") {
			t.Errorf("export line %d: %s %q; want cli:<login> %q", i+1, e.Actor, e.Detail, want)
		}
		for _, secret := range []string{"Ana", "U0", "present"} {
			if strings.Contains(e.Detail, secret) {
				t.Errorf("the audit line holds %q: %s", secret, e.Detail)
			}
		}
	}
	// A database read-only to the person running it (injected: the test
	// may run as root, who may write anything; store's own test covers a
	// read-only connection).
	tm := newTestMain(t, dir, "")
	tm.auditExport = func(context.Context, string, bot.AuditEntry) error {
		return fmt.Errorf("store: tend.db: %w", store.ErrReadOnly)
	}
	if code := tm.run(t, "report", "--db", c.path, "--group", "thursday-course", "--format", "csv"); code != exitOK {
		t.Fatalf("read-only database: exit %d: %s", code, tm.stderr.String())
	}
	if !strings.Contains(tm.stdout.String(), "Ana Lima") || !strings.Contains(tm.stderr.String(), "the database is read-only here, so this export is not recorded") {
		t.Fatalf("read-only database: stdout %d bytes, stderr %q", tm.stdout.Len(), tm.stderr.String())
	}
}

func TestReport_Refusals(t *testing.T) {
	dir := t.TempDir()
	c := seedCourse(t, dir, bot.PrivacyStandard)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "--db", c.path, "--group", "nope"}, exitUsage, `has no group named "nope" (its groups: thursday-course)`},
		{[]string{"report", "--db", c.path}, exitUsage, "--group is required"},
		{[]string{"report", "--db", c.path, "--group", "thursday-course", "--format", "xls"}, exitUsage, `--format "xls": write table or csv`},
		{[]string{"report", "--db", c.path, "--group", "thursday-course", "--from", "1 March"}, exitUsage, `--from "1 March" is not a date`},
		{[]string{"report", "--db", c.path, "--group", "thursday-course", "--from", "2027-03-02", "--to", "2027-03-01"}, exitUsage, "--to 2027-03-01 is before --from 2027-03-02"},
		{[]string{"report", "--db", filepath.Join(dir, "missing.db"), "--group", "x"}, exitFailure, "no database at"},
		{[]string{"audit", "--db", c.path, "--group", "nope"}, exitUsage, `has no group named "nope"`},
	} {
		tm := newTestMain(t, dir, "")
		if code := tm.run(t, tc.args...); code != tc.code || !strings.Contains(tm.stderr.String(), tc.want) {
			t.Errorf("tend %v: exit %d, %q; want %d and %q", tc.args, code, tm.stderr.String(), tc.code, tc.want)
		}
	}
}

// TestReport_ConfigWithoutSecrets: tend report finds the database through
// the config's storage.path without the platforms' secrets at hand.
func TestReport_ConfigWithoutSecrets(t *testing.T) {
	dir := t.TempDir()
	seedCourse(t, dir, bot.PrivacyStandard)
	cfg := "storage: {path: tend.db}\nslack: {mode: socket, bot_token_env: NOT_SET_HERE, app_token_env: NOR_THIS}\nconsole: {enabled: \"off\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "tend.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tm := newTestMain(t, dir, "")
	if code := tm.run(t, "report", "--group", "thursday-course"); code != exitOK {
		t.Fatalf("exit %d: %s", code, tm.stderr.String())
	}
	wantContains(t, "report", tm.stdout.String(), "Attendance of thursday-course (America/New_York), all sessions: 8 sessions", "Ana Lima")
}

func TestAudit(t *testing.T) {
	dir := t.TempDir()
	c := seedCourse(t, dir, bot.PrivacyStandard)
	db, err := store.Open(t.Context(), c.path)
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return time.Date(2027, 4, 1, 12, 0, 0, 0, time.UTC) }
	if _, err := db.Erase(t.Context(), bot.EraseRequest{Platform: bot.PlatformSlack, User: "U0CHO0001"}, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	tm := newTestMain(t, dir, "")
	if code := tm.run(t, "audit", "--db", c.path, "--group", "thursday-course"); code != exitOK {
		t.Fatalf("exit %d: %s", code, tm.stderr.String())
	}
	out := tm.stdout.String()
	wantContains(t, "audit", out, "Audit log of thursday-course (America/New_York)", "slack:UFAC01      group.create",
		"attendance.mark     session=8 member=4 status=absent", "attendance.correct  session=8 member=4 status=absent→late",
		"roster.add          erased member #1 status=active", "erased member #1  member.erase        erased member #1 rows=")
	if strings.Contains(out, "U0CHO0001") {
		t.Errorf("the audit log still names the erased member:\n%s", out)
	}
	if i, j := strings.Index(out, "group.create"), strings.Index(out, "member.erase"); i < 0 || j < i {
		t.Errorf("not oldest first:\n%s", out)
	}
}
