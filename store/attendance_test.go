package store_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

// heldSession stores one session of g from start, an hour long.
func heldSession(t *testing.T, db *store.DB, g bot.Group, n int, start time.Time) bot.Session {
	t.Helper()
	if _, err := db.Series(t.Context(), g.ID); err != nil {
		ser := bot.Series{GroupID: g.ID, Schedule: bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Starts: start.Format(time.DateOnly)}}
		if _, err := db.SaveSeries(t.Context(), ser, start, nil); err != nil {
			t.Fatal(err)
		}
	}
	s, _, err := db.MaterializeSession(t.Context(), bot.Session{GroupID: g.ID, Number: n, Start: start, End: start.Add(time.Hour), Status: bot.SessionScheduled}, func(bot.Session) []bot.Job { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSessionStatus(t.Context(), s.ID, bot.SessionDone); err != nil {
		t.Fatal(err)
	}
	s.Status = bot.SessionDone
	return s
}

func TestAttendance_Settings(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	if _, ok, err := db.AttendanceSettings(ctx, g.ID); err != nil || ok {
		t.Fatalf("settings of a new group: %v, %v; want none", ok, err)
	}
	want := bot.AttendanceSettings{Enabled: true, Button: false, VoiceChannel: "444", MinMinutes: 5, LateAfter: 10 * time.Minute, AlertAfter: 3, MissedYouDM: true}
	if err := db.SetAttendanceSettings(ctx, g.ID, &want); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := db.AttendanceSettings(ctx, g.ID); err != nil || !ok || got != want {
		t.Fatalf("settings %+v, %v, %v; want %+v", got, ok, err, want)
	}
	if err := db.SetAttendanceSettings(ctx, g.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.AttendanceSettings(ctx, g.ID); err != nil || ok {
		t.Fatalf("settings after removal: %v, %v; want none", ok, err)
	}
}

func TestAttendance_PresenceAndVoice(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	start := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	s := heldSession(t, db, g, 1, start)

	first, err := db.RecordPresence(ctx, s.ID, "ann", "button", start.Add(time.Minute))
	if err != nil || !first {
		t.Fatalf("first press: %v, %v", first, err)
	}
	if first, err := db.RecordPresence(ctx, s.ID, "ann", "button", start.Add(5*time.Minute)); err != nil || first {
		t.Fatalf("second press: %v, %v; want not the first", first, err)
	}
	ps, err := db.Presences(ctx, s.ID)
	if err != nil || len(ps) != 1 || !ps[0].At.Equal(start.Add(time.Minute)) {
		t.Fatalf("presences %+v, %v; want the first press only", ps, err)
	}

	ch := bot.Address{Platform: bot.PlatformDiscord, Channel: "444"}
	if n, err := db.VoiceEvent(ctx, ch, "cat", true, start.Add(-time.Minute)); err != nil || n != 0 {
		t.Fatalf("a join before the watch: %d, %v; want no session", n, err)
	}
	fresh, err := db.WatchVoice(ctx, s.ID, ch, s.End, []bot.UserID{"bob"}, start)
	if err != nil || !fresh {
		t.Fatalf("watch: %v, %v", fresh, err)
	}
	if fresh, err := db.WatchVoice(ctx, s.ID, ch, s.End, []bot.UserID{"bob", "zed"}, start.Add(time.Minute)); err != nil || fresh {
		t.Fatalf("second watch: %v, %v; want nothing new", fresh, err)
	}
	for _, ev := range []struct {
		user   bot.UserID
		join   bool
		minute int
	}{{"bob", true, 2}, {"cat", true, 12}, {"bob", false, 20}, {"bob", true, 30}, {"cat", false, 40}, {"dan", false, 41}} {
		if n, err := db.VoiceEvent(ctx, ch, ev.user, ev.join, start.Add(time.Duration(ev.minute)*time.Minute)); err != nil || n != 1 {
			t.Fatalf("voice event %+v: %d, %v", ev, n, err)
		}
	}
	stays, err := db.VoiceStays(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	// bob: from the start (already there; joining again keeps the open
	// stay) to 20, then from 30; cat 12–40; dan left without a stay.
	want := []string{"bob 0-20", "bob 30-", "cat 12-40"}
	if len(stays) != len(want) {
		t.Fatalf("stays %+v; want %v", stays, want)
	}
	for i, v := range stays {
		got := string(v.User) + " " + strconv.Itoa(int(v.Joined.Sub(start)/time.Minute)) + "-"
		if !v.Left.IsZero() {
			got += strconv.Itoa(int(v.Left.Sub(start) / time.Minute))
		}
		if got != want[i] {
			t.Errorf("stay %d: %s; want %s", i, got, want[i])
		}
	}
	// Closing stops the watch.
	if _, err := db.CloseAttendance(ctx, s.ID, g.ID, nil, s.End); err != nil {
		t.Fatal(err)
	}
	if n, err := db.VoiceEvent(ctx, ch, "cat", true, start.Add(50*time.Minute)); err != nil || n != 0 {
		t.Fatalf("a join after the close: %d, %v; want no session", n, err)
	}
}

func TestAttendance_CloseOnceAndFacilitatorMarks(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	m, err := db.AddMember(ctx, "console:fac", bot.Member{GroupID: g.ID, Code: "C-1"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	s := heldSession(t, db, g, 1, start)
	// A facilitator marks during the session; the close keeps it.
	if prev, err := db.MarkAttendance(ctx, bot.AttendanceMark{SessionID: s.ID, GroupID: g.ID, Attendee: bot.Attendee{MemberID: m.ID},
		Status: bot.AttendLate, Source: "facilitator", MarkedBy: "console:fac"}); err != nil || prev != nil {
		t.Fatalf("first mark: %v, %v", prev, err)
	}
	marks := []bot.AttendanceMark{
		{Attendee: bot.Attendee{MemberID: m.ID}, Status: bot.AttendAbsent, Source: "none"},
		{Attendee: bot.Attendee{User: "ann"}, Status: bot.AttendPresent, Source: "button", At: start.Add(time.Minute)},
	}
	fresh, err := db.CloseAttendance(ctx, s.ID, g.ID, marks, s.End)
	if err != nil || !fresh {
		t.Fatalf("close: %v, %v", fresh, err)
	}
	if fresh, err := db.CloseAttendance(ctx, s.ID, g.ID, []bot.AttendanceMark{{Attendee: bot.Attendee{User: "bob"}, Status: bot.AttendAbsent, Source: "none"}}, s.End); err != nil || fresh {
		t.Fatalf("second close: %v, %v; want nothing written", fresh, err)
	}
	got, err := db.SessionMarks(ctx, s.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("marks %+v, %v; want 2", got, err)
	}
	for _, g := range got {
		switch g.Key() {
		case "u:ann":
			if g.Status != bot.AttendPresent || !g.At.Equal(start.Add(time.Minute)) {
				t.Errorf("ann %+v", g)
			}
		default:
			if g.Status != bot.AttendLate || g.Source != "facilitator" || g.MarkedBy != "console:fac" {
				t.Errorf("the facilitator's mark was replaced by the close: %+v", g)
			}
		}
	}
	// A correction is audited with what it was.
	prev, err := db.MarkAttendance(ctx, bot.AttendanceMark{SessionID: s.ID, GroupID: g.ID, Attendee: bot.Attendee{User: "ann"},
		Status: bot.AttendExcused, Source: "facilitator", MarkedBy: "console:fac"})
	if err != nil || prev == nil || prev.Status != bot.AttendPresent {
		t.Fatalf("correction: %+v, %v", prev, err)
	}
	log, err := db.AuditLog(ctx, g.ID, 10)
	if err != nil || log[0].Action != "attendance.correct" || log[0].Detail != "session=1 user=ann status=present→excused" || log[0].Actor != "console:fac" {
		t.Fatalf("audit %+v, %v", log, err)
	}
	// A presence that arrives after the close upgrades an absence, never a
	// facilitator's mark.
	if changed, err := db.LatePresence(ctx, bot.AttendanceMark{SessionID: s.ID, GroupID: g.ID, Attendee: bot.Attendee{User: "ann"}, Status: bot.AttendPresent, Source: "checkin"}); err != nil || changed {
		t.Fatalf("late presence over a facilitator's mark: %v, %v; want unchanged", changed, err)
	}
	if changed, err := db.LatePresence(ctx, bot.AttendanceMark{SessionID: s.ID, GroupID: g.ID, Attendee: bot.Attendee{User: "zed"}, Status: bot.AttendLate, Source: "button"}); err != nil || !changed {
		t.Fatalf("late presence of someone not counted: %v, %v; want a new mark", changed, err)
	}
	other := heldSession(t, db, g, 2, start.AddDate(0, 0, 7))
	if changed, err := db.LatePresence(ctx, bot.AttendanceMark{SessionID: other.ID, GroupID: g.ID, Attendee: bot.Attendee{User: "zed"}, Status: bot.AttendLate, Source: "button"}); err != nil || changed {
		t.Fatalf("late presence at a session not closed: %v, %v; want nothing (its close counts it)", changed, err)
	}
}

func TestAttendance_AlertsOncePerStreak(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	start := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	s1, s2, s3 := heldSession(t, db, g, 1, start), heldSession(t, db, g, 2, start.AddDate(0, 0, 7)), heldSession(t, db, g, 3, start.AddDate(0, 0, 14))
	a := bot.AttendanceAlert{GroupID: g.ID, Attendee: bot.Attendee{User: "fay"}, StreakFrom: s1.ID, SessionID: s2.ID, At: s2.End}
	for range 2 { // the same session's end running again
		got, err := db.RaiseAlerts(ctx, []bot.AttendanceAlert{a})
		if err != nil || len(got) != 1 {
			t.Fatalf("raise at session 2: %+v, %v; want fay", got, err)
		}
	}
	a.SessionID = s3.ID
	if got, err := db.RaiseAlerts(ctx, []bot.AttendanceAlert{a}); err != nil || len(got) != 0 {
		t.Fatalf("raise the same streak at session 3: %+v, %v; want none", got, err)
	}
	a.StreakFrom = s3.ID
	if got, err := db.RaiseAlerts(ctx, []bot.AttendanceAlert{a}); err != nil || len(got) != 1 {
		t.Fatalf("raise a new streak: %+v, %v; want fay", got, err)
	}
}

// TestAttendance_AlertsCorrectedStreak: a facilitator's correction that
// moves a flagged streak's first session later (the first absence marked
// present) does not make it a new streak: the person was flagged at a
// session inside it.
func TestAttendance_AlertsCorrectedStreak(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	start := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	s1, s2, s3 := heldSession(t, db, g, 1, start), heldSession(t, db, g, 2, start.AddDate(0, 0, 7)), heldSession(t, db, g, 3, start.AddDate(0, 0, 14))
	a := bot.AttendanceAlert{GroupID: g.ID, Attendee: bot.Attendee{User: "fay"}, StreakFrom: s1.ID, SessionID: s2.ID, At: s2.End}
	if got, err := db.RaiseAlerts(ctx, []bot.AttendanceAlert{a}); err != nil || len(got) != 1 {
		t.Fatalf("raise at session 2: %+v, %v; want fay", got, err)
	}
	a.StreakFrom, a.SessionID = s2.ID, s3.ID
	if got, err := db.RaiseAlerts(ctx, []bot.AttendanceAlert{a}); err != nil || len(got) != 0 {
		t.Fatalf("the corrected streak raised again at session 3: %+v, %v; want none", got, err)
	}
}

// TestAttendance_StreakSince: a person's current streak is their absences
// since the last session they came to, however far back, skipping excused
// sessions; only closed sessions up to the one asked about count.
func TestAttendance_StreakSince(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	start := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	// By session: P present, L late, A absent, E excused, - no mark.
	seq := map[bot.UserID]string{"fay": "PAEAA", "kim": "AAAAA", "ann": "AAALA", "bob": "PPPPP", "cat": "A-A-A"}
	var sessions []bot.Session
	for i := range 6 {
		sessions = append(sessions, heldSession(t, db, g, i+1, start.AddDate(0, 0, 7*i)))
	}
	for i, s := range sessions[:5] {
		var marks []bot.AttendanceMark
		for u, q := range seq {
			st, ok := map[byte]bot.AttendanceStatus{'P': bot.AttendPresent, 'L': bot.AttendLate, 'A': bot.AttendAbsent, 'E': bot.AttendExcused}[q[i]]
			if ok {
				marks = append(marks, bot.AttendanceMark{Attendee: bot.Attendee{User: u}, Status: st, Source: "none"})
			}
		}
		if _, err := db.CloseAttendance(ctx, s.ID, g.ID, marks, s.End); err != nil {
			t.Fatal(err)
		}
	}
	// Session 6 is not closed: a facilitator's mark there does not count.
	if _, err := db.MarkAttendance(ctx, bot.AttendanceMark{SessionID: sessions[5].ID, GroupID: g.ID, Attendee: bot.Attendee{User: "kim"},
		Status: bot.AttendPresent, Source: "facilitator", MarkedBy: "console:fac"}); err != nil {
		t.Fatal(err)
	}
	ms, err := db.StreakSince(ctx, g.ID, sessions[4].ID, []string{"u:fay", "u:kim", "u:ann", "u:bob", "u:cat"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int{}
	number := map[int64]int{}
	for _, s := range sessions {
		number[s.ID] = s.Number
	}
	for _, m := range ms {
		got[m.Key()] = append(got[m.Key()], number[m.SessionID])
	}
	want := map[string][]int{"u:fay": {2, 4, 5}, "u:kim": {1, 2, 3, 4, 5}, "u:ann": {5}, "u:cat": {1, 3, 5}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("streaks %v; want %v", got, want)
	}
	// Up to session 3, kim's streak is sessions 1–3.
	ms, err = db.StreakSince(ctx, g.ID, sessions[2].ID, []string{"u:kim"})
	if err != nil || len(ms) != 3 {
		t.Fatalf("kim's streak up to session 3: %d marks, %v; want 3", len(ms), err)
	}
}

func TestOpenReadOnly(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tend.db")
	if _, err := store.OpenReadOnly(ctx, path); err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Fatalf("a missing database: %v", err)
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	setVersion := func(v int) {
		raw, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
			t.Fatal(err)
		}
	}
	ro, err := store.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.ListGroups(ctx); err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := ro.Audit(ctx, bot.AuditEntry{Actor: "x:y", Action: "test"}); err == nil {
		t.Fatal("wrote through a read-only store")
	}
	ro.Close()
	setVersion(store.SchemaVersion() - 1)
	if _, err := store.OpenReadOnly(ctx, path); !errors.Is(err, store.ErrTooOld) {
		t.Fatalf("an older schema: %v; want ErrTooOld", err)
	}
	setVersion(store.SchemaVersion() + 1)
	if _, err := store.OpenReadOnly(ctx, path); !errors.Is(err, store.ErrTooNew) {
		t.Fatalf("a newer schema: %v; want ErrTooNew", err)
	}
}

// TestPurgeExpired_KeepsAttendance: the retention purge deletes check-in
// answers (and who was asked) after the group's retention period, but
// attendance is kept: the marks (a check-in answer that counted as
// presence included), the evidence behind them, drift alerts and the
// sessions' closing.
func TestPurgeExpired_KeepsAttendance(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	if _, _, err := db.SaveCheckInSettings(ctx, "console:fac", bot.CheckInSettings{GroupID: g.ID, RetentionDays: 7, EscalateAfter: time.Minute}, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	s := heldSession(t, db, g, 1, start)
	c := openCheckIn(t, db, g, "demand/purge", start, "ann", "bob")
	if _, err := db.RecordAnswers(ctx, []bot.CheckInAnswer{{CheckInID: c.ID, User: "ann", Level: 3, At: start.Add(2 * time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CloseCheckIn(ctx, c.ID, start.Add(15*time.Minute), func(l int) string { return fmt.Sprint(l) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordPresence(ctx, s.ID, "ann", "checkin", start.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	marks := []bot.AttendanceMark{
		{Attendee: bot.Attendee{User: "ann"}, Status: bot.AttendPresent, Source: "checkin", At: start.Add(2 * time.Minute)},
		{Attendee: bot.Attendee{User: "bob"}, Status: bot.AttendAbsent, Source: "none"},
	}
	if _, err := db.CloseAttendance(ctx, s.ID, g.ID, marks, s.End); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RaiseAlerts(ctx, []bot.AttendanceAlert{{GroupID: g.ID, Attendee: bot.Attendee{User: "bob"}, StreakFrom: s.ID, SessionID: s.ID, At: s.End}}); err != nil {
		t.Fatal(err)
	}
	before, err := db.SessionMarks(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.PurgeExpired(ctx, start.AddDate(0, 0, 30), func(id int64) []string { return []string{fmt.Sprintf("checkins/c/%d/", id)} }, nil)
	if err != nil || p.CheckIns != 1 || p.Answers != 1 {
		t.Fatalf("purged %+v, %v; want the check-in and its answer", p, err)
	}
	if as, _ := db.CheckInAnswers(ctx, c.ID); len(as) != 0 {
		t.Fatalf("answers left after the purge: %+v", as)
	}
	after, err := db.SessionMarks(ctx, s.ID)
	if err != nil || fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("marks after the purge %+v, %v; want them as they were: %+v", after, err, before)
	}
	if ps, err := db.Presences(ctx, s.ID); err != nil || len(ps) != 1 || ps[0].Source != "checkin" {
		t.Fatalf("presence after the purge %+v, %v; want ann's check-in answer as presence", ps, err)
	}
	if closed, err := db.AttendanceClosed(ctx, s.ID); err != nil || !closed {
		t.Fatalf("session closed after the purge: %v, %v", closed, err)
	}
	// The alert is kept: raising it again for the same streak flags nobody.
	if got, err := db.RaiseAlerts(ctx, []bot.AttendanceAlert{{GroupID: g.ID, Attendee: bot.Attendee{User: "bob"}, StreakFrom: s.ID, SessionID: s.ID + 1000, At: s.End}}); err != nil || len(got) != 0 {
		t.Fatalf("bob flagged again after the purge: %+v, %v", got, err)
	}
}
