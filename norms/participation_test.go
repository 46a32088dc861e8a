package norms

import (
	"slices"
	"testing"
	"testing/synctest"

	"github.com/tend-bot/tend/attendance"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/checkins"
	"github.com/tend-bot/tend/store"
)

// TestParticipation_CheckinsAndAttendance runs the participation check as
// check-ins and attendance use it, with both features wired over the same
// store. In a closed Discord group that gates a role, three newcomers agree
// and so take a place on the roster: ann gets the role; sam agreed while
// rules screening is pending; Discord refused lee's role. Only ann holds
// the access the group gates, so only ann is asked to check in at the
// session and counted absent when she does not come; sam and lee are
// neither, though the roster lists them.
func TestParticipation_CheckinsAndAttendance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionClosed, 5,
			func(db *store.DB, d bot.Deps) (bot.Feature, error) { return checkins.New(db, d) },
			func(db *store.DB, d bot.Deps) (bot.Feature, error) { return attendance.New(db, d) })
		e.setHook(func(out bot.Outbound) error {
			if out.Kind == bot.OutGrantRole && out.User == "lee" {
				return bot.Unreachable("discord: grant role: the bot lacks access (HTTP 403, code 50013)")
			}
			return nil
		})
		wantIn(t, "check-in", e.cmd(fac, "checkin schedule start kind:traffic delivery:dm"), "start: traffic")
		wantIn(t, "schedule", e.cmd(fac, `session schedule weekly:"tue 18:00" duration:90m starts:2000-01-04 count:1 lead:1h`), "Schedule saved")
		for _, u := range []bot.UserID{"ann", "sam", "lee"} {
			e.join(u, u == "sam")
			wantIn(t, string(u)+" agrees", e.press(u, e.dms(u)[0].Delivered.Ref, "I agree"), "you agreed to version 1")
			if m, err := e.db.MemberByUser(t.Context(), e.group.ID, u); err != nil || m.Status != bot.MemberActive {
				t.Fatalf("%s on the roster: %+v, %v; want a place on agreeing", u, m, err)
			}
		}
		if roles := e.of(bot.OutGrantRole); len(roles) != 1 || roles[0].Out.User != "ann" {
			t.Fatalf("roles %+v; want ann's only", roles)
		}

		sleepUntil(at(t, "2000-01-04 18:05"))
		cs, err := e.db.RecentCheckIns(t.Context(), e.group.ID, 1)
		if err != nil || len(cs) != 1 {
			t.Fatalf("check-ins at the session: %+v, %v; want one", cs, err)
		}
		asked, err := e.db.CheckInAsked(t.Context(), cs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var who []bot.UserID
		for _, a := range asked {
			who = append(who, a.User)
		}
		if !slices.Equal(who, []bot.UserID{"ann"}) {
			t.Fatalf("asked to check in: %v; want ann only (sam waits for screening, lee for a role Discord refused, kim has not agreed)", who)
		}

		sleepUntil(at(t, "2000-01-04 19:45"))
		ss, err := e.db.RecentClosedSessions(t.Context(), e.group.ID, at(t, "2000-01-05 00:00"), 1)
		if err != nil || len(ss) != 1 {
			t.Fatalf("closed sessions %+v, %v; want the one held", ss, err)
		}
		marks, err := e.db.SessionMarks(t.Context(), ss[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[bot.UserID]bot.AttendanceStatus{}
		for _, m := range marks {
			got[m.User] = m.Status
		}
		if len(got) != 1 || got["ann"] != bot.AttendAbsent {
			t.Fatalf("attendance %v; want ann absent and nobody else counted", got)
		}
	})
}
