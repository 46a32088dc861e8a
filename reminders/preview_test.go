package reminders

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

func TestPreview_MarksDST(t *testing.T) {
	var b bytes.Buffer
	s := bot.Schedule{Cron: "30 2 * * SUN", Duration: time.Hour, Starts: "2026-02-22", Count: 6, Topics: []string{"Welcome"}}
	from := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
	if err := Preview(&b, "night-owls", "America/New_York", s, Settings{Leads: []time.Duration{24 * time.Hour, time.Hour}}, from, 4); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"group night-owls (America/New_York): cron: \"30 2 * * SUN\", 1h each, from 2026-02-22, 6 sessions",
		"#1   Sun 2026-02-22 02:30 EST  = 2026-02-22 07:30 UTC  — Welcome",
		"reminder 24h:   Sat 2026-02-21 02:30 EST  = 2026-02-21 07:30 UTC",
		"#3   Sun 2026-03-08 03:00 EDT  = 2026-03-08 07:00 UTC",
		"! clocks change before this session: UTC-05:00 → UTC-04:00",
		"! 02:30 does not exist in America/New_York that day (clocks go forward): held at 03:00 EDT",
		"reminder 24h:   Sat 2026-03-07 02:00 EST  = 2026-03-07 07:00 UTC  ! clocks change in between",
		"#4   Sun 2026-03-15 02:30 EDT  = 2026-03-15 06:30 UTC",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("preview lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "#") != 4 {
		t.Errorf("want 4 sessions:\n%s", got)
	}
	if err := Preview(&b, "x", "Europe/Londn", s, Settings{}, from, 1); err == nil || !strings.Contains(err.Error(), "IANA") {
		t.Fatalf("zone typo: %v", err)
	}
}
