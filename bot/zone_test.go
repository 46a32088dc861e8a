package bot

import (
	"strings"
	"testing"
	"time"
)

func TestLoadLocation_Spelling(t *testing.T) {
	tests := map[string]string{
		"europe/london":                  "Europe/London",
		"EUROPE/LONDON":                  "Europe/London",
		"america/new_york":               "America/New_York",
		"america/port_of_spain":          "America/Port_of_Spain",
		"africa/dar_es_salaam":           "Africa/Dar_es_Salaam",
		"america/port-au-prince":         "America/Port-au-Prince",
		"etc/gmt+5":                      "Etc/GMT+5",
		"us/pacific":                     "US/Pacific",
		"utc":                            "UTC",
		"america/argentina/buenos_aires": "America/Argentina/Buenos_Aires",
	}
	for in, want := range tests {
		if _, err := time.LoadLocation(want); err != nil {
			t.Logf("this system has no zone %s; skipped", want)
			continue
		}
		_, err := LoadLocation(in)
		if err == nil {
			continue // a case-insensitive file system found it: nothing to suggest
		}
		if !strings.Contains(err.Error(), "did you mean "+want+"?") {
			t.Errorf("LoadLocation(%q) = %v, want a suggestion of %s", in, err, want)
		}
	}
	_, err := LoadLocation("Europe/Londn")
	if err == nil || strings.Contains(err.Error(), "did you mean") || !strings.Contains(err.Error(), "write an IANA name") {
		t.Errorf("LoadLocation(Europe/Londn) = %v", err)
	}
}

func TestZoneNote(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	note := ZoneNote("EST", now)
	for _, want := range []string{"EST is a fixed offset, UTC-05:00 all year, with no daylight saving time", "America/New_York"} {
		if !strings.Contains(note, want) {
			t.Errorf("ZoneNote(EST) = %q, want %q", note, want)
		}
	}
	if note := ZoneNote("MST", now); !strings.Contains(note, "UTC-07:00") || !strings.Contains(note, "America/Denver") {
		t.Errorf("ZoneNote(MST) = %q", note)
	}
	for _, quiet := range []string{"Europe/London", "America/New_York", "UTC", "GMT", "EST5EDT", "CET", "Asia/Tokyo", "Etc/GMT+5", ""} {
		if note := ZoneNote(quiet, now); note != "" {
			t.Errorf("ZoneNote(%q) = %q, want nothing", quiet, note)
		}
	}
}
