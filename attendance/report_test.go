package attendance

import (
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=SUM(A1)": "'=SUM(A1)", "+1": "'+1", "-2": "'-2", "@cmd": "'@cmd", "\tx": "'\tx", "\rx": "'\rx",
		"Ana": "Ana", "": "", "a=b": "a=b", "C-104": "C-104", "\uE0001:F\uE001x": "1:Fx",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestBuildReport_Streaks: rates count present and late against absences;
// excused sessions count neither way and do not break a streak.
func TestBuildReport_Streaks(t *testing.T) {
	g := bot.Group{ID: 1, Name: "g", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "g"}, TimeZone: "UTC", Privacy: bot.PrivacyStandard}
	start := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	var sessions []bot.Session
	for i := range 6 {
		sessions = append(sessions, bot.Session{ID: int64(i + 1), GroupID: 1, Number: i + 1, Start: start.AddDate(0, 0, 7*i)})
	}
	roster := []bot.Member{{ID: 1, GroupID: 1, User: "ann", Name: "Ann"}, {ID: 2, GroupID: 1, User: "bob", Name: "Bob"}}
	seq := map[bot.UserID]string{"ann": "PLAEPP", "bob": "PPAEAE"} // by session
	var marks []bot.AttendanceMark
	for u, s := range seq {
		for i, c := range s {
			st := map[rune]bot.AttendanceStatus{'P': bot.AttendPresent, 'L': bot.AttendLate, 'A': bot.AttendAbsent, 'E': bot.AttendExcused}[c]
			marks = append(marks, bot.AttendanceMark{SessionID: int64(i + 1), GroupID: 1, Attendee: bot.Attendee{User: u}, Status: st, Source: "button"})
		}
	}
	r := BuildReport(g, time.Time{}, time.Time{}, sessions, marks, roster)
	if len(r.Members) != 2 || len(r.Rows) != 12 {
		t.Fatalf("report %+v", r)
	}
	ann, bob := r.Members[0], r.Members[1]
	if ann.Name != "Ann" || ann.Attended != 4 || ann.Late != 1 || ann.Absent != 1 || ann.Excused != 1 || ann.RateText() != "80% (4 of 5)" || ann.StreakText() != "came to the last 2" {
		t.Errorf("ann %+v %s %s", ann, ann.RateText(), ann.StreakText())
	}
	if bob.Attended != 2 || bob.Absent != 2 || bob.RateText() != "50% (2 of 4)" || bob.StreakText() != "missed the last 2" || !bob.LastSeen.Equal(sessions[1].Start) {
		t.Errorf("bob %+v %s %s", bob, bob.RateText(), bob.StreakText())
	}
	if r.Sessions[2].Counts[bot.AttendAbsent] != 2 || r.Sessions[3].Counts[bot.AttendExcused] != 2 {
		t.Errorf("session counts %+v", r.Sessions)
	}
}
