package attendance

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
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

// TestReport_OverflowNote: a report longer than the replies chat allows
// is not cut silently: the last message says how many lines did not fit
// and where to get them all, and every line is either shown or counted.
func TestReport_OverflowNote(t *testing.T) {
	g := bot.Group{ID: 1, Name: "g", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "g"}, TimeZone: "UTC", Privacy: bot.PrivacyStandard}
	start := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	sessions := []bot.Session{{ID: 1, GroupID: 1, Number: 1, Start: start}}
	var (
		roster []bot.Member
		marks  []bot.AttendanceMark
	)
	const members = 3000
	for i := range members {
		u := bot.UserID(fmt.Sprintf("u%04d", i))
		roster = append(roster, bot.Member{ID: int64(i + 1), GroupID: 1, User: u, Name: fmt.Sprintf("Member number %04d with a long name", i)})
		marks = append(marks, bot.AttendanceMark{SessionID: 1, GroupID: 1, Attendee: bot.Attendee{User: u, MemberID: int64(i + 1)}, Status: bot.AttendPresent, Source: "button"})
	}
	pages := BuildReport(g, time.Time{}, time.Time{}, sessions, marks, roster).Messages()
	if len(pages) != bot.MaxReplies {
		t.Fatalf("%d messages; want the most chat allows, %d", len(pages), bot.MaxReplies)
	}
	var all strings.Builder
	for _, p := range pages {
		all.WriteString(render(p))
	}
	shown := strings.Count(all.String(), "with a long name")
	last := render(pages[len(pages)-1])
	m := regexp.MustCompile(`… and (\d+) more lines that do not fit here: /tend attendance export sends you all of them as a file`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("the last message has no overflow note:\n%s", last)
	}
	more, _ := strconv.Atoi(m[1])
	if shown == 0 || more == 0 || shown+more != members {
		t.Fatalf("%d member lines shown and %d said not to fit; want %d in all", shown, more, members)
	}
}

// TestExport_TooLarge: an export larger than a chat file may be is not
// sent, nor audited: the reply says how large it is and gives the command
// line that writes it on the server, with the dates asked for.
func TestExport_TooLarge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "bob")
		e.schedule(2)
		e.sleepUntil(minute(t, 1, 70))
		e.f.maxFile = 100 // bytes: the header and two rows are more
		outs, _ := e.cmdOuts(fac, e.group.Address.Channel, "attendance export from:2000-01-01")
		if len(outs) != 1 || outs[0].File != nil || !outs[0].Ephemeral {
			t.Fatalf("export answered %+v; want one private reply without a file", outs)
		}
		text := render(outs[0].Message)
		for _, w := range []string{"4 marks over 2 sessions make a file of 1 KB, too large to send in chat", "Narrow the dates with from: and to:",
			"`tend report --group tuesday --from 2000-01-01 --format csv > tuesday-attendance.csv`"} {
			if !strings.Contains(text, w) {
				t.Errorf("the reply lacks %q:\n%s", w, text)
			}
		}
		log, err := e.db.AuditLog(t.Context(), e.group.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range log {
			if a.Action == "attendance.export" {
				t.Errorf("an export not sent was audited: %+v", a)
			}
		}
	})
}

// TestDisplayWidth: wide characters take two columns, joiners, combining
// marks and variation selectors none, so that tend report's columns line
// up under names in any script.
func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"Ana Lima":           8,
		"José Núñez-Ødegård": 18,
		"Jose\u0301":         4, // e + combining acute
		"山田 美咲":              9,
		"🌱":                  2,
		"ＡＢ":                 4, // fullwidth Latin
	} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d; want %d", s, got, want)
		}
	}
}
