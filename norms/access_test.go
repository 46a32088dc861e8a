package norms

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tend-bot/tend/bot"
)

// TestOnboarding_SlackLobby: on Slack a gated group's channel is private;
// newcomers arrive in the public lobby channel, are welcomed privately and
// invited to the group's channel once they agree.
func TestOnboarding_SlackLobby(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.Group{Name: "dbt", Address: bot.Address{Platform: bot.PlatformSlack, Channel: "G0PRIVATE1"}, Kind: bot.KindSkills})
		wantIn(t, "use", e.cmd(fac, "norms use psychoeducation"), "Saved version 1")
		wantIn(t, "require", e.cmd(fac, "norms require on lobby_channel:<#C0LOBBY01|lobby>"), "Newcomers to <#C0LOBBY01> are welcomed privately and invited to <#G0PRIVATE1>")
		wantIn(t, "bad lobby", e.cmd(fac, "norms require on lobby_channel:G0PRIVATE1"), "must be another channel")

		join := func(user bot.UserID, ch bot.ChannelID) {
			e.inject(&bot.MemberJoined{EventMeta: bot.EventMeta{Platform: bot.PlatformSlack, Channel: ch, User: e.user(user)}})
		}
		join("U0SAM0001", "C0OTHER01") // another channel: nothing
		if n := len(e.dms("U0SAM0001")); n != 0 {
			t.Fatalf("%d DMs for joining an unrelated channel", n)
		}
		join("U0SAM0001", "C0LOBBY01")
		welcome := e.lastDM("U0SAM0001")
		wantIn(t, "welcome", render(welcome.Out.Message), "you joined <#C0LOBBY01>", "tend invites you to <#G0PRIVATE1> as soon as you agree", "Privacy in this group")
		if n := len(e.of(bot.OutInvite)); n != 0 {
			t.Fatalf("%d invitations before agreeing", n)
		}
		wantIn(t, "agree", e.press("U0SAM0001", welcome.Delivered.Ref, "I agree"), "inviting you to <#G0PRIVATE1> now")
		inv := e.of(bot.OutInvite)
		if len(inv) != 1 || inv[0].Out.User != "U0SAM0001" || inv[0].Out.To != e.group.Address {
			t.Fatalf("invitations %+v; want one to the group's channel", inv)
		}
		// The invitation is a join of the group's own channel: no second
		// welcome.
		join("U0SAM0001", "G0PRIVATE1")
		if n := len(e.dms("U0SAM0001")); n != 2 {
			t.Fatalf("%d DMs; want the welcome and the access note only", n)
		}
		if a, _ := e.db.Applicant(t.Context(), e.group.ID, "U0SAM0001"); a.State != bot.ApplicantAdmitted {
			t.Fatalf("applicant %+v; want admitted", a)
		}
		// A member a facilitator added to the roster agrees from a DM and
		// is invited too.
		wantIn(t, "roster add", e.cmd(fac, "roster add user:<@U0KIM0001>"), "Added")
		wantIn(t, "roster member agrees", e.cmdIn("U0KIM0001", "", "norms agree group:dbt"), "you agreed to version 1")
		if inv := e.of(bot.OutInvite); len(inv) != 2 || inv[1].Out.User != "U0KIM0001" {
			t.Fatalf("invitations %+v; want kim invited after agreeing", inv)
		}
	})
}

// TestOnboarding_Waitlist: a closed group at capacity puts the next
// newcomer on its waitlist and tells the facilitators; a freed place is
// offered to the first on the list, who gets access at once when they
// agreed already.
func TestOnboarding_Waitlist(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionClosed, 1)
		e.join("sam", false)
		wantIn(t, "sam's welcome", render(e.lastDM("sam").Out.Message), "Welcome to tuesday")
		e.press("sam", e.lastDM("sam").Delivered.Ref, "I agree")
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d roles; want sam's", n)
		}
		e.join("lee", false)
		welcome := render(e.lastDM("lee").Out.Message)
		wantIn(t, "lee's welcome", welcome, "you are number 1 on its waitlist")
		told := e.rec.DMsTo(fac)
		if len(told) != 1 {
			t.Fatalf("facilitator got %d DMs; want the waitlist note", len(told))
		}
		wantIn(t, "waitlist note", render(told[0].Out.Message), "A newcomer is on the waitlist of tuesday", "<@lee>", "number 1 on the waitlist", "the group is full (1 place)")
		wantIn(t, "lee agrees", e.press("lee", e.lastDM("lee").Delivered.Ref, "I agree"), "you are on its waitlist")
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d roles; a waitlisted newcomer gets none", n)
		}
		wantIn(t, "status", e.cmd(fac, "norms status"), "<@lee> — arrived", "on the waitlist")

		// sam leaves the server: the place goes to lee, who agreed.
		e.inject(&bot.MemberLeft{EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Guild: discordGuild, User: e.user("sam")}})
		var offer string
		for _, d := range e.dms("lee") {
			if strings.Contains(d.Out.Message.Title, "A place is free") {
				offer = render(d.Out.Message)
			}
		}
		wantIn(t, "offer", offer, "A place is free for you in tuesday", "tend is giving you access now")
		roles := e.of(bot.OutGrantRole)
		if len(roles) != 2 || roles[1].Out.User != "lee" {
			t.Fatalf("roles %+v; want lee's after the place freed", roles)
		}
		if m, _ := e.db.MemberByUser(t.Context(), e.group.ID, "lee"); m.Status != bot.MemberActive {
			t.Fatalf("lee on the roster: %+v; want active", m)
		}
		// Another member leaving offers nothing twice.
		offers := len(e.dms("lee"))
		e.inject(&bot.MemberLeft{EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Guild: discordGuild, User: e.user("kim")}})
		if n := len(e.dms("lee")); n != offers {
			t.Fatalf("lee got %d more DMs; the place was offered once", n-offers)
		}
	})
}

// TestOnboarding_RestartBeforeGrant stops tend after the agreement is
// recorded and before the role reaches the platform (the grant's call is
// cut off as a crash would): after a restart the role is granted, once.
func TestOnboarding_RestartBeforeGrant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		e.join("sam", false)
		welcome := e.lastDM("sam")
		crashed := false
		e.setHook(func(out bot.Outbound) error {
			if out.Kind == bot.OutGrantRole && !crashed {
				crashed = true
				e.cancel() // the process dies here: the job stays running
				return context.Canceled
			}
			return nil
		})
		wantIn(t, "agree", e.press("sam", welcome.Delivered.Ref, "I agree"), "you agreed to version 1")
		if !crashed || len(e.of(bot.OutGrantRole)) != 0 {
			t.Fatalf("crashed %v, roles %d; want the crash before any role", crashed, len(e.of(bot.OutGrantRole)))
		}
		e.restart()
		roles := e.of(bot.OutGrantRole)
		if len(roles) != 1 || roles[0].Out.User != "sam" {
			t.Fatalf("roles after the restart %+v; want sam's, once", roles)
		}
		if a, _ := e.db.Applicant(t.Context(), e.group.ID, "sam"); a.State != bot.ApplicantAdmitted {
			t.Fatalf("applicant %+v; want admitted", a)
		}
		e.restart()
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d grants after another restart; want 1", n)
		}
		if n := len(e.dms("sam")); n != 2 {
			t.Fatalf("sam got %d DMs; want the welcome and one access note", n)
		}
	})
}

// TestOnboarding_ScreeningClearedWhileDown: a newcomer agrees while rules
// screening is pending, and screening clears while tend is not running (the
// event is lost). At the next start Resume asks Discord again and the role
// is granted, once.
func TestOnboarding_ScreeningClearedWhileDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		pending := true
		e.setHook(func(out bot.Outbound) error {
			if out.Kind == bot.OutGrantRole && pending {
				return &screeningErr{}
			}
			return nil
		})
		e.join("sam", true)
		e.join("lee", true) // never agrees: not tried again
		e.press("sam", e.lastDM("sam").Delivered.Ref, "I agree")
		e.stop()
		pending = false // cleared while down; nobody tells tend
		e.start()
		if n := len(e.of(bot.OutGrantRole)); n != 0 {
			t.Fatalf("%d roles before Resume", n)
		}
		if err := e.n.Resume(t.Context()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		roles := e.of(bot.OutGrantRole)
		if len(roles) != 1 || roles[0].Out.User != "sam" {
			t.Fatalf("roles after Resume %+v; want sam's, once", roles)
		}
		if err := e.n.Resume(t.Context()); err != nil { // a later start: nothing waits
			t.Fatal(err)
		}
		synctest.Wait()
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d roles after a second Resume; want 1", n)
		}
	})
}
