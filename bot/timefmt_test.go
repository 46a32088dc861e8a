package bot

import (
	"strings"
	"testing"
	"time"
)

func TestRenderTimes(t *testing.T) {
	at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	s := "Session on " + Time(at, TimeFull) + " (" + Time(at, TimeRelative) + ")."
	got := RenderTimes(s, func(tm time.Time, st TimeStyle) string {
		return "<t:" + tm.Format("2006-01-02T15:04") + ":" + string(rune(st)) + ">"
	})
	want := "Session on <t:2026-12-01T18:00:F> (<t:2026-12-01T18:00:R>)."
	if got != want {
		t.Fatalf("RenderTimes = %q, want %q", got, want)
	}
	if strings.ContainsAny(got, "\uE000\uE001") {
		t.Fatal("placeholder runes leaked")
	}
	if got := RenderTimes("no times", nil); got != "no times" {
		t.Fatalf("RenderTimes without placeholders = %q", got)
	}
	broken := "a\uE000zz:F\uE001b\uE000123"
	if got := RenderTimes(broken, func(time.Time, TimeStyle) string { return "X" }); got != "ab" {
		t.Fatalf("RenderTimes(malformed) = %q, want %q", got, "ab")
	}
	if got := StripPlaceholderRunes("topic \uE0001:F\uE001"); got != "topic 1:F" {
		t.Fatalf("StripPlaceholderRunes = %q", got)
	}
}

func TestFormatTimeIn(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
	now := at.Add(-3 * time.Hour)
	tests := []struct {
		style TimeStyle
		want  string
	}{
		{TimeFull, "Tuesday, 1 December 2026 18:00 EST"},
		{TimeClock, "18:00 EST"},
		{TimeDate, "1 December 2026"},
		{TimeRelative, "in 3 hours"},
	}
	for _, tt := range tests {
		if got := FormatTimeIn(at, tt.style, ny, now); got != tt.want {
			t.Errorf("FormatTimeIn(%c) = %q, want %q", tt.style, got, tt.want)
		}
	}
	if got := Relative(now, at); got != "3 hours ago" {
		t.Errorf("Relative past = %q", got)
	}
	if got := Relative(at.Add(72*time.Hour), at); got != "in 3 days" {
		t.Errorf("Relative days = %q", got)
	}
}

// TestRelative: rounded to the nearest unit, so that a reminder posted a
// moment late one minute ahead still says "in 1 minute", never "now".
func TestRelative(t *testing.T) {
	now := time.Date(2026, 12, 1, 17, 59, 0, 0, time.UTC)
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "now"},
		{29 * time.Second, "now"},
		{-29 * time.Second, "just now"},
		{30 * time.Second, "in 1 minute"},
		{59*time.Second + 990*time.Millisecond, "in 1 minute"},
		{time.Minute, "in 1 minute"},
		{-time.Minute, "1 minute ago"},
		{89 * time.Second, "in 1 minute"},
		{90 * time.Second, "in 2 minutes"},
		{59*time.Minute + 29*time.Second, "in 59 minutes"},
		{59*time.Minute + 30*time.Second, "in 1 hour"},
		{time.Hour + 29*time.Minute, "in 1 hour"},
		{time.Hour + 59*time.Minute, "in 2 hours"},
		{24 * time.Hour, "in 24 hours"},
		{47*time.Hour + 29*time.Minute, "in 47 hours"},
		{47*time.Hour + 30*time.Minute, "in 2 days"},
		{-72 * time.Hour, "3 days ago"},
	}
	for _, tt := range tests {
		if got := Relative(now.Add(tt.d), now); got != tt.want {
			t.Errorf("Relative(now%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 places", 1: "1 place", 2: "2 places", 12: "12 places"} {
		if got := Plural(n, "place", "places"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
	now := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	if got := ExampleDate(now); got != "2027-01-03" {
		t.Errorf("ExampleDate = %q", got)
	}
}
