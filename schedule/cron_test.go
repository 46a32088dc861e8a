package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCron_Next: a cron of its own (a check-in's between.cron) follows a
// series' DST rules: a wall time in a gap fires at the gap's end, several
// in one gap fire once, and a repeated wall time fires once, at its first.
func TestCron_Next(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	cases := []struct {
		name, expr string
		after      string // local time
		want       []string
	}{
		{"SpringForwardMoves", "30 2 * * *", "2026-03-07 12:00", []string{"2026-03-08 03:00 EDT", "2026-03-09 02:30 EDT"}},
		{"TwoInGapFireOnce", "15,45 2 * * *", "2026-03-07 12:00", []string{"2026-03-08 03:00 EDT", "2026-03-09 02:15 EDT", "2026-03-09 02:45 EDT"}},
		{"FallBackOnce", "30 1 * * *", "2026-10-31 12:00", []string{"2026-11-01 01:30 EDT", "2026-11-02 01:30 EST"}},
		{"Weekly", "0 12 * * FRI", "2026-03-06 12:00", []string{"2026-03-13 12:00 EDT", "2026-03-20 12:00 EDT"}},
		{"EveryMinuteFromYear1", "* * * * *", "0001-01-01 00:00", []string{"0001-01-01 00:01 LMT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cr, err := ParseCron(c.expr, ny)
			if err != nil {
				t.Fatal(err)
			}
			at, err := time.ParseInLocation("2006-01-02 15:04", c.after, ny)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				next, ok := cr.Next(at)
				if got := next.In(ny).Format("2006-01-02 15:04 MST"); !ok || got != w {
					t.Fatalf("Next(%v) = %s, %v; want %s", at.In(ny), got, ok, w)
				}
				at = next
			}
		})
	}
}

func TestParseCron_Refusals(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	for expr, want := range map[string]string{
		"CRON_TZ=Asia/Tokyo 0 12 * * FRI": "set the group's timezone",
		"@every 1h":                       "fixed interval",
		"0 12 * * FRIDAYS":                "write five fields",
		"0 0 30 2 *":                      "never fires",
		"":                                "write five fields",
	} {
		_, err := ParseCron(expr, ny)
		var se *Error
		if err == nil || !strings.Contains(err.Error(), want) || !errors.As(err, &se) || se.Field != "cron" {
			t.Errorf("ParseCron(%q) = %v; want an *Error for cron saying %q", expr, err, want)
		}
	}
	if _, err := ParseCron("0 12 * * FRI", nil); err == nil {
		t.Error("ParseCron without a zone accepted")
	}
}
