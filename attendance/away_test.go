package attendance

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// TestAway_ChannelMember: in an open group, someone who takes part from
// the channel without a roster entry marks themselves away with the same
// command as a roster member; the sessions they then miss are excused
// (away), they are not flagged for missing sessions and get no "we missed
// you" DM, and they are not put on the roster. Another channel member
// who misses the same sessions without saying so is absent and flagged.
func TestAway_ChannelMember(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &bottest.Platform{}
		rec.SetMembers("tuesday", bot.User{ID: "ann", Name: "Ann"}, bot.User{ID: "zed", Name: "Zed"}, bot.User{ID: "yan", Name: "Yan"},
			bot.User{ID: fac, Name: "Fac"})
		e := newEnvOn(t, rec)
		g := e.group
		g.Admission = bot.AdmissionOpen
		if _, _, err := e.db.UpdateGroup(t.Context(), "console:fac", g); err != nil {
			t.Fatal(err)
		}
		e.inspect = true
		e.restart()
		set := voiceSettings()
		set.MissedYouDM = true
		e.settings(set)
		e.schedule(3)
		// Session 1: all three come.
		e.sleepUntil(minute(t, 0, 1))
		for _, u := range []bot.UserID{"ann", "zed", "yan"} {
			e.press(u, e.hereButton(e.session(1)), "I'm here")
		}
		e.sleepUntil(minute(t, 0, 70))
		// zed will be away for the next two weeks; yan just stops coming.
		if out := e.cmd("zed", "away until:2000-01-19"); !strings.Contains(out, "away until the end of 2000-01-19") {
			t.Fatalf("away: %s", out)
		}
		for week := 1; week < 3; week++ {
			e.sleepUntil(minute(t, week, 1))
			e.press("ann", e.hereButton(e.session(week+1)), "I'm here")
		}
		e.sleepUntil(minute(t, 2, 70))
		for n := 2; n <= 3; n++ {
			got := e.marks(e.session(n))
			if got["u:zed"] != "excused/away" || got["u:yan"] != "absent/none" {
				t.Errorf("session %d marks %v; want zed excused (away), yan absent", n, got)
			}
		}
		drift := e.dmsTo(fac, DriftKey(e.session(3).ID))
		if len(drift) != 1 || !strings.Contains(drift[0], "@yan — 2 sessions in a row") || strings.Contains(strings.ToLower(drift[0]), "zed") {
			t.Errorf("drift after session 3: %q; want yan flagged, not zed", drift)
		}
		if d := e.dmsTo("zed", "attendance.missed/"); len(d) != 0 {
			t.Errorf("zed, away, got a we-missed-you DM: %q", d)
		}
		if sums := e.dmsTo(fac, SummaryKey(e.session(2).ID)); len(sums) != 1 || !strings.Contains(sums[0], "Excused: Zed (away)") {
			t.Errorf("summary of session 2: %q; want zed excused as away", sums)
		}
		if _, err := e.db.MemberByUser(t.Context(), e.group.ID, "zed"); err == nil {
			t.Errorf("zed was put on the roster by away")
		}
	})
}
