package config_test

import (
	"strings"
	"testing"

	"github.com/tend-bot/tend/config"
	"github.com/tend-bot/tend/schedule"
)

// scheduleHooks are the hooks cmd/tend passes: the schedule package's one
// set of limits.
var scheduleHooks = config.Options{CheckSchedule: schedule.CheckSchedule, CheckLeads: schedule.CheckLeads}

// TestParse_ScheduleLimits: tend check refuses what chat refuses (issue 9,
// points 11 and 22), each problem at the line of the setting at fault.
// Before, duration: 1ns and lead: [500h] passed tend check and failed only
// when tend ran.
func TestParse_ScheduleLimits(t *testing.T) {
	const head = "groups:\n  - name: a\n    platform: console\n    timezone: Europe/London\n"
	tests := []struct {
		name, body string
		want       string // line:col field | problem
	}{
		{"NanosecondDuration", "    schedule:\n      weekly: tue 18:00\n      duration: 1ns\n", "7:17 groups[0].schedule.duration | too short"},
		{"LongDuration", "    schedule:\n      weekly: tue 18:00\n      duration: 25h\n", "7:17 groups[0].schedule.duration | longer than a day"},
		{"SecondsDuration", "    schedule:\n      weekly: tue 18:00\n      duration: 90m30s\n", "7:17 groups[0].schedule.duration | whole number of minutes"},
		{"CountBillion", "    schedule:\n      weekly: tue 18:00\n      count: 1000000000\n", "7:14 groups[0].schedule.count | more than 10000"},
		{"CountAndUntil", "    schedule:\n      weekly: tue 18:00\n      count: 8\n      until: 2099-01-01\n", "8:14 groups[0].schedule.until | both end the series"},
		{"UntilBeforeStarts", "    schedule:\n      weekly: tue 18:00\n      starts: 2030-02-01\n      until: 2030-01-01\n", "8:14 groups[0].schedule.until | before starts"},
		{"StartsFarAhead", "    schedule:\n      weekly: tue 18:00\n      starts: 2999-01-01\n", "7:15 groups[0].schedule.starts | more than 10 years ahead"},
		// The default duration (1h) is not in the file: the problem is
		// shown at the cron.
		{"Overlap", "    schedule:\n      cron: \"0,30 18 * * TUE\"\n", "6:13 groups[0].schedule.cron | overlap"},
		{"OverlapDuration", "    schedule:\n      cron: \"0,30 18 * * TUE\"\n      duration: 45m\n", "7:17 groups[0].schedule.duration | overlap"},
		{"NeverFires", "    schedule:\n      cron: \"0 0 30 2 *\"\n", "6:13 groups[0].schedule.cron | never holds a session"},
		{"LeadTooLong", "    reminders:\n      lead: [24h, 500h]\n", "6:19 groups[0].reminders.lead[1] | out of range"},
		{"LeadTwice", "    reminders:\n      lead: [1h, 60m]\n", "6:18 groups[0].reminders.lead[1] | listed twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := parse(t, head+tc.body, scheduleHooks)
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1:\n%v", len(errs), errs)
			}
			e := errs[0]
			parts := strings.Split(tc.want, " | ")
			if got := strings.Join([]string{itoa(e.Line) + ":" + itoa(e.Column), e.Field}, " "); got != parts[0] {
				t.Errorf("at %q, want %q (%v)", got, parts[0], e)
			}
			if !strings.Contains(e.Problem, parts[1]) || e.Fix == "" {
				t.Errorf("problem %q fix %q; want the problem to say %q, with a fix", e.Problem, e.Fix, parts[1])
			}
		})
	}
	// The boundaries are accepted: 1m to 24h sessions, 10000 sessions, a
	// lead of two weeks, a starts: long past, lead: [] or lead: with
	// nothing for no reminders.
	for _, body := range []string{
		"    schedule: {weekly: tue 18:00, duration: 1m, count: 10000}\n    reminders: {lead: [336h, 1m]}\n",
		"    schedule: {weekly: tue 18:00, duration: 24h, starts: 0001-01-01}\n    reminders: {lead: []}\n",
		"    schedule: {cron: \"* * * * *\", duration: 1m, starts: 0001-01-01, until: 2999-12-31}\n    reminders:\n      lead:\n",
	} {
		cfg, errs := parse(t, head+body, scheduleHooks)
		if errs != nil {
			t.Errorf("%q refused:\n%v", body, errs)
			continue
		}
		if strings.Contains(body, "lead: [") && strings.Contains(body, "[]") || strings.Contains(body, "lead:\n") {
			if l := cfg.Groups[0].Reminders.Leads; l == nil || len(l) != 0 {
				t.Errorf("%q: leads %v; want an empty list (no reminders), not nil (the defaults)", body, l)
			}
		}
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// TestParse_ScheduleFixes: each schedule problem's fix is its own, said
// once: count: with until: is not told to write weekly: or cron:, eleven
// lead times do not give their example twice, and a lead or duration in
// seconds is offered the whole minutes near it, never 90m for 90s (audit of
// issue 9, point 17).
func TestParse_ScheduleFixes(t *testing.T) {
	const head = "groups:\n  - name: a\n    platform: console\n    timezone: Europe/London\n"
	tests := []struct{ name, body, problem, fix string }{
		{"CountAndUntil", "    schedule: {weekly: tue 18:00, count: 8, until: 2099-01-01}\n",
			"count: and until: both end the series", "keep one of them, count: for a number of sessions or until: for a last date"},
		{"ElevenLeads", "    reminders: {lead: [1h, 2h, 3h, 4h, 5h, 6h, 7h, 8h, 9h, 10h, 11h]}\n",
			"lead: 11 lead times are more than 10", "keep at most 10, the ones that help most"},
		{"LeadInSeconds", "    reminders: {lead: [90s]}\n",
			"lead: 1m30s is not a whole number of minutes", "write whole minutes, such as 1m or 2m"},
		{"DurationInSeconds", "    schedule: {weekly: tue 18:00, duration: 150s}\n",
			"duration: 2m30s is not a whole number of minutes", "write whole minutes, such as duration: 2m or duration: 3m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := parse(t, head+tc.body, scheduleHooks)
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1:\n%v", len(errs), errs)
			}
			if e := errs[0]; e.Problem != tc.problem || e.Fix != tc.fix {
				t.Errorf("problem %q\nfix     %q\nwant    %q\nand     %q", e.Problem, e.Fix, tc.problem, tc.fix)
			}
		})
	}
}
