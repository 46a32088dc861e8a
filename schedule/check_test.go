package schedule

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// TestValidate holds the one set of limits (issue 9, point 22) and the
// rules of a usable schedule: each refusal says what to write instead and
// names the setting at fault, so that config can point at its line.
func TestValidate(t *testing.T) {
	london := mustLoc(t, "Europe/London")
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	ok := bot.Schedule{Weekly: "tue 18:00", Duration: 90 * time.Minute, Starts: "2026-12-01", Count: 8}
	with := func(f func(*bot.Schedule)) bot.Schedule { s := ok; f(&s); return s }
	cases := []struct {
		name  string
		s     bot.Schedule
		loc   *time.Location
		field string // the *Error's Field
		want  string // substring of the error; "" for valid
	}{
		{"Weekly", ok, london, "", ""},
		{"WeeklyTwoDays", with(func(s *bot.Schedule) { s.Weekly = "mon,thu 09:30" }), london, "", ""},
		{"WeeklyFullNames", with(func(s *bot.Schedule) { s.Weekly = "Monday,Thursday 09:30" }), london, "", ""},
		{"Cron", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "0 18 * * TUE" }), london, "", ""},
		{"CronDescriptor", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "@weekly" }), london, "", ""},
		{"NoStartsMeansToday", with(func(s *bot.Schedule) { s.Starts = ""; s.Count = 0 }), london, "", ""},
		{"UnknownWeekday", with(func(s *bot.Schedule) { s.Weekly = "tus 18:00" }), london, "weekly", "write mon, tue, wed, thu, fri, sat or sun"},
		{"BadClock", with(func(s *bot.Schedule) { s.Weekly = "tue 6pm" }), london, "weekly", "write 24-hour HH:MM"},
		{"NoClock", with(func(s *bot.Schedule) { s.Weekly = "tue" }), london, "weekly", "needs days and a time"},
		{"NeverFires", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "0 0 30 2 *" }), london, "cron", "never holds a session"},
		{"BadCron", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "0 25 * * *" }), london, "cron", "write five fields"},
		{"CronSixFields", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "0 0 18 * * TUE" }), london, "cron", "write five fields"},
		{"CronTZ", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "CRON_TZ=Europe/Paris 0 18 * * TUE" }), london, "cron", "set the group's timezone"},
		{"TZNoSpace", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "TZ=Europe/Paris" }), london, "cron", "set the group's timezone"},
		{"Every", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "@every 1h" }), london, "cron", "fixed interval"},
		{"Both", with(func(s *bot.Schedule) { s.Cron = "0 18 * * TUE" }), london, "cron", "keep one of them"},
		{"Neither", with(func(s *bot.Schedule) { s.Weekly = "" }), london, "weekly", "neither when nor how often"},
		{"CountNegative", with(func(s *bot.Schedule) { s.Count = -1 }), london, "count", "count: 8"},
		{"CountAtLimit", with(func(s *bot.Schedule) { s.Count = MaxCount }), london, "", ""},
		{"CountAboveLimit", with(func(s *bot.Schedule) { s.Count = MaxCount + 1 }), london, "count", "more than 10000"},
		{"CountBillion", with(func(s *bot.Schedule) { s.Count = 1000000000 }), london, "count", "more than 10000"},
		{"CountAndUntil", with(func(s *bot.Schedule) { s.Until = "2027-06-01" }), london, "until", "keep one of them"},
		{"ZeroDuration", with(func(s *bot.Schedule) { s.Duration = 0 }), london, "duration", "from 1m to 24h"},
		{"NanosecondDuration", with(func(s *bot.Schedule) { s.Duration = 1 }), london, "duration", "too short"},
		{"HalfMinuteDuration", with(func(s *bot.Schedule) { s.Duration = 30 * time.Second }), london, "duration", "too short"},
		{"MinuteDuration", with(func(s *bot.Schedule) { s.Duration = time.Minute }), london, "", ""},
		{"DayDuration", with(func(s *bot.Schedule) { s.Duration = 24 * time.Hour }), london, "", ""},
		{"LongDuration", with(func(s *bot.Schedule) { s.Duration = 25 * time.Hour }), london, "duration", "longer than a day"},
		{"SecondsInDuration", with(func(s *bot.Schedule) { s.Duration = 90*time.Minute + 30*time.Second }), london, "duration", "whole number of minutes"},
		{"UntilBeforeStarts", with(func(s *bot.Schedule) { s.Count = 0; s.Until = "2026-11-30" }), london, "until", "before starts"},
		{"UntilPast", with(func(s *bot.Schedule) { s.Count = 0; s.Starts = "2026-01-01"; s.Until = "2026-02-01" }), london, "until", "in the past"},
		{"AllInPast", with(func(s *bot.Schedule) { s.Starts = "2026-01-01"; s.Count = 3 }), london, "count", "already in the past"},
		{"StartedButRunning", with(func(s *bot.Schedule) { s.Starts = "2026-11-01"; s.Count = 8 }), london, "", ""},
		{"StartsLongPast", with(func(s *bot.Schedule) { s.Starts = "0001-01-01"; s.Count = 0 }), london, "", ""},
		{"StartsTenYearsAhead", with(func(s *bot.Schedule) { s.Starts = "2036-11-23" }), london, "", ""},
		{"StartsTooFarAhead", with(func(s *bot.Schedule) { s.Starts = "2036-11-24" }), london, "starts", "more than 10 years ahead"},
		{"BadDate", with(func(s *bot.Schedule) { s.Starts = "1/12/2026" }), london, "starts", "write YYYY-MM-DD"},
		{"TooManyTopics", with(func(s *bot.Schedule) { s.Count = 1; s.Topics = []string{"a", "b"} }), london, "topics", "2 topics but count: 1"},
		{"Overlap", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "0,30 18 * * TUE" }), london, "duration", "overlap"},
		{"BadLink", with(func(s *bot.Schedule) { s.Link = "meet.example.com/x" }), london, "link", "starting with https://"},
		{"NoZone", ok, nil, "timezone", "timezone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.s, c.loc, now)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Validate(%+v) = %v; want no error", c.s, err)
			case c.want != "" && err == nil:
				t.Fatalf("Validate(%+v) accepted; want an error containing %q", c.s, c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("Validate(%+v) = %q; want it to contain %q", c.s, err, c.want)
			}
			if err == nil {
				return
			}
			var se *Error
			if !errors.As(err, &se) || se.Setting() != c.field {
				t.Fatalf("Validate(%+v) = %#v; want an *Error for field %q", c.s, err, c.field)
			}
		})
	}
}

// TestParsePlan_StoredSchedulesStillRead: a schedule stored before a limit
// existed (chat once accepted count: with until:, and 90-second sessions)
// is still computed; only new schedules meet the limits.
func TestParsePlan_StoredSchedulesStillRead(t *testing.T) {
	s := bot.Schedule{Weekly: "tue 18:00", Duration: 90 * time.Second, Starts: "2026-12-01", Count: 20000, Until: "2027-01-01"}
	p, err := ParsePlan(s, mustLoc(t, "Europe/London"))
	if err != nil {
		t.Fatalf("ParsePlan(stored) = %v", err)
	}
	if o, ok := p.First(); !ok || o.End.Sub(o.Start) != 90*time.Second {
		t.Fatalf("First = %+v, %v", o, ok)
	}
	if err := Validate(s, mustLoc(t, "Europe/London"), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("Validate accepted the same schedule as new")
	}
}

// TestValidateLeads holds the lead limits, the chat spelling (lead:none
// for no reminders; an empty value refused rather than read as the
// defaults) and duplicates (issue 9, point 11).
func TestValidateLeads(t *testing.T) {
	cases := []struct {
		in    string
		want  string // the leads, or the refusal's substring
		field string
	}{
		{"24h,1h", "[24h0m0s 1h0m0s]", ""},
		{"24h 1h", "[24h0m0s 1h0m0s]", ""},
		{"none", "[]", ""},
		{"NONE", "[]", ""},
		{"1m", "[1m0s]", ""},
		{"336h", "[336h0m0s]", ""},
		{"", "lead:none for no reminders", "lead"},
		{" , ", "lead:none for no reminders", "lead"},
		{"soon", "is not a duration", "lead"},
		{"1h,1h", "1h is listed twice", "lead[1]"},
		{"1h,60m", "1h is listed twice", "lead[1]"},
		{"30s", "out of range", "lead[0]"},
		{"500h", "out of range", "lead[0]"},
		{"1h,90s", "not a whole number of minutes", "lead[1]"},
		{"1m,2m,3m,4m,5m,6m,7m,8m,9m,10m,11m", "more than 10", "lead"},
	}
	for _, c := range cases {
		got, err := ParseLeads(c.in)
		if c.field == "" {
			if err != nil || fmt.Sprint(got) != c.want || got == nil {
				t.Errorf("ParseLeads(%q) = %v, %v; want %s", c.in, got, err, c.want)
			}
			continue
		}
		var se *Error
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &se) || se.Field != c.field {
			t.Errorf("ParseLeads(%q) = %v, %#v; want an *Error for %s saying %q", c.in, got, err, c.field, c.want)
		}
	}
	if err := ValidateLeads(nil); err != nil {
		t.Errorf("no lead times (no reminders) refused: %v", err)
	}
}

func TestCheckSchedule_ZoneTypo(t *testing.T) {
	_, err := bot.LoadLocation("Europe/Londn")
	if err == nil || !strings.Contains(err.Error(), "write an IANA name") {
		t.Fatalf("LoadLocation(typo) = %v; want a refusal saying what to write", err)
	}
	if err := CheckSchedule(bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour}, nil); err == nil {
		t.Fatal("CheckSchedule with no zone accepted")
	}
}
