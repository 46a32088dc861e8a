package schedule

import (
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

func TestCheckSchedule(t *testing.T) {
	london := mustLoc(t, "Europe/London")
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	ok := bot.Schedule{Weekly: "tue 18:00", Duration: 90 * time.Minute, Starts: "2026-12-01", Count: 8}
	with := func(f func(*bot.Schedule)) bot.Schedule { s := ok; f(&s); return s }
	cases := []struct {
		name string
		s    bot.Schedule
		loc  *time.Location
		want string // substring of the error; "" for valid
	}{
		{"Weekly", ok, london, ""},
		{"WeeklyTwoDays", with(func(s *bot.Schedule) { s.Weekly = "mon,thu 09:30" }), london, ""},
		{"WeeklyFullNames", with(func(s *bot.Schedule) { s.Weekly = "Monday,Thursday 09:30" }), london, ""},
		{"Cron", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "0 18 * * TUE" }), london, ""},
		{"CronDescriptor", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "@weekly" }), london, ""},
		{"NoStartsMeansToday", with(func(s *bot.Schedule) { s.Starts = ""; s.Count = 0 }), london, ""},
		{"UnknownWeekday", with(func(s *bot.Schedule) { s.Weekly = "tus 18:00" }), london, "write mon, tue, wed, thu, fri, sat or sun"},
		{"BadClock", with(func(s *bot.Schedule) { s.Weekly = "tue 6pm" }), london, "write 24-hour HH:MM"},
		{"NoClock", with(func(s *bot.Schedule) { s.Weekly = "tue" }), london, "needs days and a time"},
		{"NeverFires", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "0 0 30 2 *" }), london, "never holds a session"},
		{"BadCron", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "0 25 * * *" }), london, "write five fields"},
		{"CronSixFields", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "0 0 18 * * TUE" }), london, "write five fields"},
		{"CronTZ", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "CRON_TZ=Europe/Paris 0 18 * * TUE" }), london, "set the group's timezone"},
		{"TZNoSpace", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "TZ=Europe/Paris" }), london, "set the group's timezone"},
		{"Every", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "@every 1h" }), london, "fixed interval"},
		{"Both", with(func(s *bot.Schedule) { s.Cron = "0 18 * * TUE" }), london, "keep one of them"},
		{"Neither", with(func(s *bot.Schedule) { s.Weekly = "" }), london, "neither when nor how often"},
		{"CountZero", with(func(s *bot.Schedule) { s.Count = -1 }), london, "count: 8"},
		{"ZeroDuration", with(func(s *bot.Schedule) { s.Duration = 0 }), london, "for example duration: 90m"},
		{"LongDuration", with(func(s *bot.Schedule) { s.Duration = 25 * time.Hour }), london, "at most 24h"},
		{"UntilBeforeStarts", with(func(s *bot.Schedule) { s.Count = 0; s.Until = "2026-11-30" }), london, "before starts"},
		{"UntilPast", with(func(s *bot.Schedule) { s.Count = 0; s.Starts = "2026-01-01"; s.Until = "2026-02-01" }), london, "in the past"},
		{"AllInPast", with(func(s *bot.Schedule) { s.Starts = "2026-01-01"; s.Count = 3 }), london, "already in the past"},
		{"StartedButRunning", with(func(s *bot.Schedule) { s.Starts = "2026-11-01"; s.Count = 8 }), london, ""},
		{"BadDate", with(func(s *bot.Schedule) { s.Starts = "1/12/2026" }), london, "write YYYY-MM-DD"},
		{"TooManyTopics", with(func(s *bot.Schedule) { s.Count = 1; s.Topics = []string{"a", "b"} }), london, "2 topics but count: 1"},
		{"Overlap", with(func(s *bot.Schedule) { s.Weekly = ""; s.Cron = "0,30 18 * * TUE" }), london, "overlap"},
		{"BadLink", with(func(s *bot.Schedule) { s.Link = "meet.example.com/x" }), london, "starting with https://"},
		{"NoZone", ok, nil, "timezone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewPlan(c.s, c.loc, now)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("NewPlan(%+v) = %v; want no error", c.s, err)
			case c.want != "" && err == nil:
				t.Fatalf("NewPlan(%+v) accepted; want an error containing %q", c.s, c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("NewPlan(%+v) = %q; want it to contain %q", c.s, err, c.want)
			}
		})
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
