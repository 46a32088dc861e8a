package norms

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/attendance"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
)

// TestOnboarding_Forgotten: someone who asked tend to forget them is not
// welcomed when they rejoin a gated group, nor when a facilitator adds
// them to its roster — no DM, no record — and the facilitator is told why
// and how they can opt back in. Once they opt in, a rejoin welcomes them.
func TestOnboarding_Forgotten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0,
			func(db *store.DB, d bot.Deps) (bot.Feature, error) { return attendance.New(db, d) })
		const quinn = "300000000000000009"
		e.join(quinn, false)
		if n := len(e.dms(quinn)); n != 1 {
			t.Fatalf("quinn got %d DMs on joining; want the welcome", n)
		}
		// Quinn asks tend to forget them, and leaves.
		if _, err := e.db.Erase(t.Context(), bot.EraseRequest{Platform: bot.PlatformDiscord, User: quinn, StopTracking: true}, nil); err != nil {
			t.Fatal(err)
		}
		e.inject(&bot.MemberLeft{EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Guild: discordGuild, User: e.user(quinn)}})
		time.Sleep(time.Second) // events of one instant are one event

		e.join(quinn, false)
		if n := len(e.dms(quinn)); n != 1 {
			t.Fatalf("quinn got %d DMs after rejoining; want none more (they asked to be forgotten)", n)
		}
		got := e.cmd(fac, "roster add user:<@"+quinn+">")
		wantIn(t, "roster add", got, "Added <@"+quinn+"> to the roster of tuesday.", "This person asked tend to forget them",
			"it has not sent them the group's norms", "/tend optin", "/tend norms show group:tuesday")
		if strings.Contains(got, "tend sends them the norms privately") {
			t.Errorf("the facilitator was told the norms are sent: %q", got)
		}
		if n := len(e.dms(quinn)); n != 1 {
			t.Fatalf("quinn got %d DMs after the roster add; want none more", n)
		}
		if _, rec, err := e.n.applicant(t.Context(), e.group.ID, quinn); err != nil || rec {
			t.Fatalf("quinn recorded as a newcomer (%v, %v); want no record", rec, err)
		}

		// They opt back in, and a rejoin welcomes them.
		wantIn(t, "optin", e.cmd(quinn, "optin"), "Welcome back")
		e.inject(&bot.MemberLeft{EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Guild: discordGuild, User: e.user(quinn)}})
		time.Sleep(time.Second)
		e.join(quinn, false)
		if dms := e.dms(quinn); len(dms) != 2 || !strings.Contains(render(dms[1].Out.Message), "[I agree]") {
			t.Fatalf("quinn's DMs after opting in and rejoining: %d; want a welcome with the norms", len(dms))
		}
	})
}
