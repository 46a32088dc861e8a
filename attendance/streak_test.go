package attendance

import (
	"strings"
	"testing"
	"testing/synctest"
)

// driftLines returns every drift message the facilitator got, rendered.
func (e *env) driftLines() []string {
	var out []string
	for _, d := range e.rec.DMsTo(fac) {
		if strings.HasPrefix(d.Out.Key, "attendance.drift/") {
			out = append(out, render(d.Out.Message))
		}
	}
	return out
}

// TestDrift_LongStreakFlaggedOnce: a member absent from 35 weekly sessions
// in a row — longer than the sessions a streak is first looked for in — is
// flagged once, when the streak reaches absence_alert_after, with the
// right count, and gets one "we missed you" DM; the streak's start does
// not slide with the latest sessions.
func TestDrift_LongStreakFlaggedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "fay")
		set := voiceSettings()
		set.MissedYouDM = true
		e.settings(set)
		const weeks = 35
		if weeks <= driftWindow(set.AlertAfter) {
			t.Fatalf("%d sessions do not outlast the window of %d", weeks, driftWindow(set.AlertAfter))
		}
		e.schedule(weeks)
		for week := range weeks {
			e.sleepUntil(minute(t, week, 1))
			e.press("ann", e.hereButton(e.session(week+1)), "I'm here")
		}
		e.sleepUntil(minute(t, weeks-1, 70))
		drift := e.driftLines()
		if len(drift) != 1 {
			t.Fatalf("the facilitators were told %d times of members missing sessions; want once:\n%s", len(drift), strings.Join(drift, "\n---\n"))
		}
		if !strings.Contains(drift[0], "Fay — 2 sessions in a row without an excuse, since session 1 (2000-01-04 18:00)") {
			t.Errorf("the flag: %s", drift[0])
		}
		if n := len(e.dmsTo("fay", "attendance.missed/")); n != 1 {
			t.Errorf("fay got %d missed-you DMs; want 1 (one streak)", n)
		}
	})
}

// TestDrift_LongStreakCounted: alerts turned on while a member's streak
// is already longer than the window flag them with the whole streak: the
// count and the first session, found however far back it began.
func TestDrift_LongStreakCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann", "fay")
		set := voiceSettings()
		set.AlertAfter = 0
		e.settings(set)
		const weeks = 35
		e.schedule(weeks)
		for week := range weeks {
			e.sleepUntil(minute(t, week, 1))
			e.press("ann", e.hereButton(e.session(week+1)), "I'm here")
		}
		// During the last session, the facilitators turn alerts on.
		set.AlertAfter = 2
		e.settings(set)
		e.sleepUntil(minute(t, weeks-1, 70))
		drift := e.driftLines()
		if len(drift) != 1 || !strings.Contains(drift[0], "Fay — 35 sessions in a row without an excuse, since session 1 (2000-01-04 18:00)") {
			t.Fatalf("drift: %q; want fay flagged once with all 35 sessions since session 1", drift)
		}
	})
}
