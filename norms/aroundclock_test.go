package norms

import (
	"strings"
	"testing"
	"testing/synctest"
)

// TestPrivacyText_AroundTheClock: when the operator says someone watches
// alerts around the clock (safety.around_the_clock, applied by check-ins
// to the core), the privacy note says so, whatever the resources say, and
// no longer that nobody watches.
func TestPrivacyText_AroundTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := consoleEnv(t)
		e.cmd(fac, "norms use support")
		wantIn(t, "default", e.cmd("ann", "norms show"), "Nobody watches tend around the clock")
		e.b.SetAroundTheClock(true)
		show := e.cmd("ann", "norms show")
		wantIn(t, "watched", show, "someone watching tend's alerts around the clock")
		if strings.Contains(show, "Nobody watches") {
			t.Errorf("the note contradicts safety.around_the_clock:\n%s", show)
		}
	})
}
