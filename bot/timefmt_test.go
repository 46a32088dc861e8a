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
