package norms

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store"
)

// TestOnboarding_SlackLobby: on Slack a gated group's channel is private;
// newcomers arrive in the public lobby channel, are welcomed privately and
// invited to the group's channel once they agree.
func TestOnboarding_SlackLobby(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.Group{Name: "dbt", Address: bot.Address{Platform: bot.PlatformSlack, Channel: "G0PRIVATE1"}, Kind: bot.KindSkills})
		wantIn(t, "use", e.cmd(fac, "norms use psychoeducation"), "Saved version 1")
		wantIn(t, "public channel", e.cmd(fac, "norms require on lobby_channel:<#C0LOBBY01|lobby>"), "<#G0PRIVATE1> is a public channel: anyone can join it without agreeing", "Change to a private channel")
		e.rec.SetPrivate("G0PRIVATE1", true)
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
		text := render(welcome.Out.Message)
		wantIn(t, "welcome", text, "group dbt meets in <#G0PRIVATE1>", "tend invites you to <#G0PRIVATE1> as soon as you agree", "Privacy in this group")
		if strings.Contains(text, "C0LOBBY01") {
			t.Errorf("the welcome names the lobby, not the group's channel:\n%s", text)
		}
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
		// A member a facilitator adds to the roster is welcomed with the
		// norms, and invited on agreeing; the facilitator is told so.
		wantIn(t, "roster add", e.cmd(fac, "roster add user:<@U0KIM0001>"), "Added", "tend sends them the norms privately, with an I agree button",
			"and get an invitation to <#G0PRIVATE1> then")
		kim := e.lastDM("U0KIM0001")
		wantIn(t, "kim's welcome", render(kim.Out.Message), "a facilitator added you to group dbt, which meets in <#G0PRIVATE1>", "[I agree]")
		wantIn(t, "roster member agrees", e.press("U0KIM0001", kim.Delivered.Ref, "I agree"), "you agreed to version 1", "inviting you to <#G0PRIVATE1> now")
		if inv := e.of(bot.OutInvite); len(inv) != 2 || inv[1].Out.User != "U0KIM0001" {
			t.Fatalf("invitations %+v; want kim invited after agreeing", inv)
		}
		if !e.takesPart("U0KIM0001") {
			t.Fatal("kim does not take part after agreeing and being invited")
		}
		// Someone let into the private channel by hand is welcomed with
		// the norms too, and takes part once they agree.
		e.rec.AddMember("G0PRIVATE1", e.user("U0LEE0001"))
		join("U0LEE0001", "G0PRIVATE1")
		lee := e.lastDM("U0LEE0001")
		wantIn(t, "lee's welcome", render(lee.Out.Message), "you were added to <#G0PRIVATE1>, where group dbt meets", "[I agree]")
		if e.takesPart("U0LEE0001") {
			t.Fatal("lee takes part before agreeing")
		}
		e.press("U0LEE0001", lee.Delivered.Ref, "I agree")
		if !e.takesPart("U0LEE0001") {
			t.Fatal("lee does not take part after agreeing")
		}
	})
}

// TestOnboarding_Waitlist: arriving at a closed group takes no place;
// agreeing does, and at capacity it puts the newcomer on the waitlist and
// tells the facilitators; a freed place is offered to the first on the
// list, who gets access at once, having agreed already.
func TestOnboarding_Waitlist(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionClosed, 1)
		e.join("sam", false)
		e.join("lee", false)
		wantIn(t, "sam's welcome", render(e.lastDM("sam").Out.Message), "Welcome to tuesday")
		if ms, _ := e.db.ListMembers(t.Context(), e.group.ID); len(ms) != 0 {
			t.Fatalf("roster after two arrivals: %+v; arriving takes no place", ms)
		}
		wantIn(t, "sam agrees", e.press("sam", e.lastDM("sam").Delivered.Ref, "I agree"), "giving you the group's role now")
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d roles; want sam's", n)
		}
		if m, _ := e.db.MemberByUser(t.Context(), e.group.ID, "sam"); m.Status != bot.MemberActive {
			t.Fatalf("sam on the roster: %+v; want active on agreeing", m)
		}
		if d := e.rec.DMsTo(fac); len(d) != 0 {
			t.Fatalf("facilitator told %q before anyone was waitlisted", render(d[0].Out.Message))
		}
		// lee arrived while there was room, and agrees after sam took it.
		wantIn(t, "lee agrees", e.press("lee", e.lastDM("lee").Delivered.Ref, "I agree"), "you are number 1 on its waitlist")
		if m, _ := e.db.MemberByUser(t.Context(), e.group.ID, "lee"); m.Status != bot.MemberWaitlisted {
			t.Fatalf("lee on the roster: %+v; want waitlisted on agreeing", m)
		}
		told := e.rec.DMsTo(fac)
		if len(told) != 1 {
			t.Fatalf("facilitator got %d DMs; want the waitlist note", len(told))
		}
		wantIn(t, "waitlist note", render(told[0].Out.Message), "A newcomer is on the waitlist of tuesday", "<@lee> agreed to the norms", "number 1 on its waitlist", "the group is full (1 place)")
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d roles; a waitlisted newcomer gets none", n)
		}
		if e.takesPart("lee") {
			t.Fatal("lee takes part from the waitlist")
		}
		wantIn(t, "status", e.cmd(fac, "norms status"), "<@lee> — arrived", "on the waitlist")
		// A third newcomer is told the group is full before agreeing.
		e.join("ann", false)
		wantIn(t, "ann's welcome", render(e.lastDM("ann").Out.Message), "The group is full just now: agreeing puts you on its waitlist")

		// sam leaves the server: the place is lee's, who agreed.
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
		if !e.takesPart("lee") {
			t.Fatal("lee does not take part once admitted")
		}
		// Another member leaving offers nothing twice.
		offers := len(e.dms("lee"))
		e.inject(&bot.MemberLeft{EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Guild: discordGuild, User: e.user("kim")}})
		if n := len(e.dms("lee")); n != offers {
			t.Fatalf("lee got %d more DMs; the place was offered once", n-offers)
		}
	})
}

// TestOnboarding_TwoGroupsOneServer: joining a server with two closed
// gated groups is one arrival: one welcome listing both, each with its
// own I agree, and no place taken anywhere. Agreeing to one takes a place
// in that one only; at capacity, agreeing waitlists.
func TestOnboarding_TwoGroupsOneServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionClosed, 1)
		const (
			thursdayChannel = "100000000000000002"
			thursdayRole    = "400000000000000002"
		)
		th, err := e.db.CreateGroup(t.Context(), "discord:"+fac, bot.Group{Name: "thursday", Address: bot.Address{Platform: bot.PlatformDiscord, Channel: thursdayChannel},
			Guild: discordGuild, Kind: bot.KindSupport, Admission: bot.AdmissionClosed, Capacity: 1, TimeZone: "Europe/London", Privacy: bot.PrivacyStandard,
			Facilitators: []bot.Principal{"discord:" + fac}})
		if err != nil {
			t.Fatal(err)
		}
		e.rec.SetMembers(thursdayChannel, e.user(fac))
		e.rec.SetPrivate(thursdayChannel, true)
		e.rec.SetRole(discordGuild, thursdayRole, bot.RoleInfo{Name: "thursday", CanManage: true, BelowBot: true})
		wantIn(t, "use", e.cmdIn(fac, thursdayChannel, "norms use therapy"), "Saved version 1 of the norms of thursday")
		wantIn(t, "require", e.cmdIn(fac, thursdayChannel, "norms require on role:<@&"+thursdayRole+">"), "after agreeing")

		e.join("sam", false)
		dms := e.dms("sam")
		if len(dms) != 1 {
			t.Fatalf("sam got %d DMs on joining; want one welcome for both groups", len(dms))
		}
		welcome := dms[0]
		text := render(welcome.Out.Message)
		wantIn(t, "welcome", text, "Welcome: thursday, tuesday", "you joined the server, where these groups meet: thursday, tuesday", "agreeing is how you join a group",
			"Norms of thursday:\n1. Confidentiality: what is said in the group stays in the group", "Norms of tuesday:\n1. What is shared here stays here",
			"thursday: Next session: No session is scheduled yet", "tuesday: Next session:", "Privacy in these groups", "[I agree: thursday] [I agree: tuesday]")
		if n := strings.Count(text, "In a crisis:"); n != 1 {
			t.Errorf("the crisis resources are shown %d times; want once", n)
		}
		for _, id := range []int64{e.group.ID, th.ID} {
			if ms, _ := e.db.ListMembers(t.Context(), id); len(ms) != 0 {
				t.Fatalf("roster of group %d after the arrival: %+v; arriving takes no place", id, ms)
			}
		}
		wantIn(t, "agree to thursday", e.press("sam", welcome.Delivered.Ref, "I agree: thursday"), "you agreed to version 1 of the norms of thursday", "giving you the group's role now")
		if m, err := e.db.MemberByUser(t.Context(), th.ID, "sam"); err != nil || m.Status != bot.MemberActive {
			t.Fatalf("sam in thursday: %+v, %v; want a place", m, err)
		}
		if _, err := e.db.MemberByUser(t.Context(), e.group.ID, "sam"); err == nil {
			t.Fatal("agreeing to thursday's norms took a place in tuesday")
		}
		roles := e.of(bot.OutGrantRole)
		if len(roles) != 1 || roles[0].Out.Role != thursdayRole {
			t.Fatalf("roles %+v; want thursday's only", roles)
		}
		if e.takesPart("sam") {
			t.Fatal("sam takes part in tuesday without agreeing to its norms")
		}

		// thursday is full now: lee's agreement waitlists them there.
		e.join("lee", false)
		wantIn(t, "lee's welcome", render(e.lastDM("lee").Out.Message), "The group is full just now")
		wantIn(t, "lee agrees", e.press("lee", e.lastDM("lee").Delivered.Ref, "I agree: thursday"), "you are number 1 on its waitlist")
		if m, _ := e.db.MemberByUser(t.Context(), th.ID, "lee"); m.Status != bot.MemberWaitlisted {
			t.Fatalf("lee in thursday: %+v; want waitlisted", m)
		}
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d roles; a waitlisted newcomer gets none", n)
		}
		wantIn(t, "waitlist note", render(e.rec.DMsTo(fac)[0].Out.Message), "<@lee> agreed to the norms of thursday and is number 1 on its waitlist")
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

// TestOnboarding_WelcomeWithinLimits: one welcome for several groups
// stays within what Discord shows in one message: the same norms are
// shown once for the groups that share them, and a list that would not fit
// gets a button that shows it, with its own I agree, instead.
func TestOnboarding_WelcomeWithinLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		long := func(word string) string {
			var items []string
			for i := range 10 {
				items = append(items, fmt.Sprintf("%s %d %s", word, i+1, strings.Repeat("x", 270)))
			}
			return strings.Join(items, ";")
		}
		wantIn(t, "tuesday's long norms", e.cmd(fac, `norms edit items:"`+long("tuesday")+`"`), "Saved version 2")
		for i, name := range []string{"wednesday", "thursday"} {
			ch := bot.ChannelID(fmt.Sprintf("10000000000000000%d", i+2))
			if _, err := e.db.CreateGroup(t.Context(), "discord:"+fac, bot.Group{Name: name, Address: bot.Address{Platform: bot.PlatformDiscord, Channel: ch},
				Guild: discordGuild, Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "Europe/London", Privacy: bot.PrivacyStandard,
				Facilitators: []bot.Principal{"discord:" + fac}}); err != nil {
				t.Fatal(err)
			}
			e.rec.SetMembers(ch, e.user(fac))
			items := long("thursday")
			if name == "wednesday" {
				items = long("tuesday")
			}
			wantIn(t, name, e.cmdIn(fac, ch, `norms edit items:"`+items+`"`), "Saved version 1")
			wantIn(t, name, e.cmdIn(fac, ch, "norms require on"), "now take part")
		}
		e.join("sam", false)
		dms := e.dms("sam")
		if len(dms) != 1 {
			t.Fatalf("%d DMs; want one welcome", len(dms))
		}
		m := dms[0].Out.Message
		text := render(m)
		wantIn(t, "welcome", text, "Norms of tuesday and wednesday:\n1. tuesday 1", "[Read the norms of thursday]", "[I agree: tuesday]", "[I agree: wednesday]")
		if strings.Contains(text, "thursday 1 x") {
			t.Errorf("thursday's list is in the welcome, over Discord's limits:\n%s", text)
		}
		if n := utf8.RuneCountInString(m.Text); n > maxDescription {
			t.Errorf("the welcome's text is %d characters; Discord shows %d", n, maxDescription)
		}
		if n := utf8.RuneCountInString(m.Text) + messageRunes(m); n > maxMessage {
			t.Errorf("the welcome is %d characters; Discord shows %d", n, maxMessage)
		}
		read := e.press("sam", dms[0].Delivered.Ref, "Read the norms of thursday")
		wantIn(t, "read", read, "Norms of thursday (version 1)", "1. thursday 1", "[I agree]")
		// The reply is private; its button agrees to thursday's norms.
		var reply bot.Message
		for _, o := range e.rec.Inject(t.Context(), &bot.ButtonPress{EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Channel: dms[0].Delivered.Ref.Channel, DM: true, User: e.user("sam"), Guild: discordGuild},
			ID: buttonID(t, m, "Read the norms of thursday"), Message: dms[0].Delivered.Ref}) {
			reply = o.Message
		}
		wantIn(t, "agree to thursday", replyText(e.inject(&bot.ButtonPress{EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Channel: dms[0].Delivered.Ref.Channel, DM: true, User: e.user("sam"), Guild: discordGuild},
			ID: buttonID(t, reply, "I agree")})), "you agreed to version 1 of the norms of thursday")
	})
}

// buttonID returns the sealed id of m's button labelled label.
func buttonID(t *testing.T, m bot.Message, label string) string {
	t.Helper()
	for _, b := range m.Buttons {
		if b.Label == label {
			return b.ID
		}
	}
	t.Fatalf("no button %q in %+v", label, m.Buttons)
	return ""
}

// TestOnboarding_RosterAdd: a person a facilitator adds to the roster of a
// gated Discord group gets the welcome with the norms and the button, and
// the role on agreeing; the facilitator's answer says so. Adding someone
// who agreed and holds the access already sends nothing.
func TestOnboarding_RosterAdd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		wantIn(t, "roster add", e.cmd(fac, "roster add user:<@300000000000000001>"), "Added <@300000000000000001> to the roster of tuesday.",
			"tend sends them the norms privately, with an I agree button; they take part (check-ins, attendance) once they agree, and get the role <@&"+discordRole+"> then")
		welcome := e.lastDM("300000000000000001")
		wantIn(t, "welcome", render(welcome.Out.Message), "Welcome to tuesday", "a facilitator added you to group tuesday", "1. What is shared here stays here", "[I agree]")
		if n := len(e.of(bot.OutGrantRole)); n != 0 {
			t.Fatalf("%d roles before agreeing", n)
		}
		wantIn(t, "agree", e.press("300000000000000001", welcome.Delivered.Ref, "I agree"), "giving you the group's role now")
		if roles := e.of(bot.OutGrantRole); len(roles) != 1 || roles[0].Out.User != "300000000000000001" {
			t.Fatalf("roles %+v; want the added member's", roles)
		}
		// Someone let in already (a newcomer who joined and agreed) is
		// sent nothing more when added to the roster.
		e.join("300000000000000002", false)
		e.press("300000000000000002", e.lastDM("300000000000000002").Delivered.Ref, "I agree")
		if got := e.cmd(fac, "roster add user:<@300000000000000002>"); strings.Contains(got, "norms") {
			t.Errorf("adding someone let in already answered %q; nothing to say about norms", got)
		}
		if n := len(e.dms("300000000000000002")); n != 2 {
			t.Errorf("the member let in already got %d DMs; want the welcome and access note only", n)
		}
		// Removed (the role is taken back) and added again: they agreed
		// before, so they are welcomed back and given the role again.
		e.cmd(fac, "roster remove user:<@300000000000000001>")
		if rv := e.of(bot.OutRevokeRole); len(rv) != 1 {
			t.Fatalf("revokes %+v; want the removed member's role taken back", rv)
		}
		time.Sleep(time.Second) // events of one instant are one event
		// The facilitator's note says what the welcome does.
		wantIn(t, "added again", e.cmd(fac, "roster add user:<@300000000000000001>"),
			"They agreed to the current norms before: tend welcomes them back privately and gives them the role <@&"+discordRole+"> again")
		dms := e.dms("300000000000000001")
		if len(dms) != 4 {
			t.Fatalf("%d DMs; want the first welcome and access note, then a welcome back and access note", len(dms))
		}
		wantIn(t, "welcome back", render(dms[2].Out.Message), "Welcome back to tuesday", "nothing to do")
		wantIn(t, "access again", render(dms[3].Out.Message), "You're in: tuesday")
		if n := len(e.of(bot.OutGrantRole)); n != 3 {
			t.Fatalf("%d role grants; want the role given again", n)
		}
	})
}

// TestOnboarding_RosterAddKeepsAccess: a member who was in the channel
// before agreement was required agrees to version 1; the norms go to
// version 2 (they are asked again, and keep their access); a facilitator
// then adds them to the roster. They still take part: the roster add only
// asks them for version 2, once, and never treats them as a newcomer.
func TestOnboarding_RosterAddKeepsAccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		const ivy = "300000000000000009"
		e.rec.AddMember(discordChannel, e.user(ivy))
		wantIn(t, "agree", e.cmd(ivy, "norms agree"), "you agreed to version 1")
		wantIn(t, "edit", e.cmd(fac, `norms edit items:"Be kind;Be on time"`), "Saved version 2")
		asked := e.lastDM(ivy)
		wantIn(t, "asked again", render(asked.Out.Message), "changed (version 2)", "You keep your access to the group meanwhile")
		if !e.takesPart(ivy) {
			t.Fatal("ivy does not take part while asked again")
		}
		wantIn(t, "roster add", e.cmd(fac, "roster add user:<@"+ivy+">"), "Added <@"+ivy+">",
			"They agreed to version 1 of the norms before and keep their access; tend asks them privately to agree to version 2")
		if !e.takesPart(ivy) {
			ok, why, _ := e.b.TakesPart(t.Context(), e.group, ivy)
			t.Fatalf("ivy takes part %v after the roster add (%s); a member who had access keeps it", ok, why)
		}
		if dms := e.dms(ivy); len(dms) != 1 {
			for _, d := range dms {
				t.Logf("DM: %s", render(d.Out.Message))
			}
			t.Fatalf("ivy got %d DMs; want the one request for version 2, no welcome", len(dms))
		}
		if a, err := e.db.Applicant(t.Context(), e.group.ID, ivy); err == nil {
			t.Fatalf("ivy has a newcomer record %+v; they were a member already", a)
		}
		wantIn(t, "agree to v2", e.press(ivy, asked.Delivered.Ref, "I agree"), "you agreed to version 2")
		if !e.takesPart(ivy) {
			t.Fatal("ivy does not take part after agreeing to version 2")
		}
	})
}

// TestOnboarding_RosterAddAfterLeaving: a member who agreed without a
// welcome (there before agreement was required) leaves the server, and
// their role is taken back; a facilitator adds them to the roster later.
// Coming back is an arrival: they are welcomed back and given the role
// again, not left without it.
func TestOnboarding_RosterAddAfterLeaving(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		const ivy = "300000000000000009"
		e.rec.AddMember(discordChannel, e.user(ivy))
		wantIn(t, "agree", e.cmd(ivy, "norms agree"), "you agreed to version 1")
		e.inject(&bot.MemberLeft{EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Guild: discordGuild, User: e.user(ivy)}})
		e.rec.RemoveMember(discordChannel, ivy)
		if rv := e.of(bot.OutRevokeRole); len(rv) != 1 || rv[0].Out.User != ivy {
			t.Fatalf("revokes %+v; want ivy's role taken back", rv)
		}
		grants := len(e.of(bot.OutGrantRole))
		wantIn(t, "roster add", e.cmd(fac, "roster add user:<@"+ivy+">"), "tend welcomes them back privately and gives them the role")
		var got []string
		for _, d := range e.dms(ivy) {
			got = append(got, render(d.Out.Message))
		}
		wantIn(t, "welcome back", strings.Join(got, "\n"), "Welcome back to tuesday", "You're in: tuesday")
		roles := e.of(bot.OutGrantRole)
		if len(roles) != grants+1 || roles[len(roles)-1].Out.User != ivy {
			t.Fatalf("roles %+v; want ivy's given again", roles)
		}
	})
}

// TestAgree_MemberWithAccess: a member who was in the channel before
// agreement was required sends Discord no grant when they agree, at each
// version, while they can see the channel; one on the roster who lost the
// role gets it back by pressing I agree.
func TestAgree_MemberWithAccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		const ivy = "300000000000000009"
		e.rec.AddMember(discordChannel, e.user(ivy))
		wantIn(t, "agree v1", e.cmd(ivy, "norms agree"), "you agreed to version 1")
		wantIn(t, "edit", e.cmd(fac, `norms edit items:"Be kind;Be on time"`), "Saved version 2")
		time.Sleep(time.Second)
		wantIn(t, "agree v2", e.press(ivy, e.lastDM(ivy).Delivered.Ref, "I agree"), "you agreed to version 2")
		time.Sleep(time.Second)
		wantIn(t, "agree again", e.cmd(ivy, "norms agree"), "already")
		wantIn(t, "roster add", e.cmd(fac, "roster add user:<@"+ivy+">"), "Added")
		if g := e.of(bot.OutGrantRole); len(g) != 0 {
			t.Fatalf("%d grant requests for a member who holds the access", len(g))
		}
		// The role was taken from ivy by hand: agreeing gives it back.
		e.rec.RemoveMember(discordChannel, ivy)
		time.Sleep(time.Second)
		wantIn(t, "agree without the role", e.cmdIn(ivy, "", "norms agree group:tuesday"), "already")
		if g := e.of(bot.OutGrantRole); len(g) != 1 || g[0].Out.User != ivy {
			t.Fatalf("grants %+v; want ivy's role given back", g)
		}
	})
}

// waitlistTwo sets up a closed group of one place on Discord: sam agreed
// and has the place; lee agreed and waits on the waitlist; ann, whom a
// facilitator added to the full group, agreed and waits behind lee.
func waitlistTwo(t *testing.T) *env {
	t.Helper()
	e := discordEnv(t, bot.AdmissionClosed, 1)
	e.join("sam", false)
	e.press("sam", e.lastDM("sam").Delivered.Ref, "I agree")
	e.join("lee", false)
	wantIn(t, "lee agrees", e.press("lee", e.lastDM("lee").Delivered.Ref, "I agree"), "you are number 1 on its waitlist")
	wantIn(t, "ann added", e.cmd(fac, "roster add user:<@"+ann+">"), "is on the waitlist")
	wantIn(t, "ann agrees", e.press(ann, e.lastDM(ann).Delivered.Ref, "I agree"), "you are number 2 on its waitlist")
	if g := e.of(bot.OutGrantRole); len(g) != 1 {
		t.Fatalf("grants %+v; want sam's only", g)
	}
	return e
}

const ann = "300000000000000003"

// placeGiven fails unless user got the role, takes part and was told
// privately that the place is theirs.
func (e *env) placeGiven(user bot.UserID) {
	e.t.Helper()
	if !slices.ContainsFunc(e.of(bot.OutGrantRole), func(d bottest.Delivery) bool { return d.Out.User == user }) {
		e.t.Errorf("%s was not given the role", user)
	}
	if !e.takesPart(user) {
		ok, why, _ := e.b.TakesPart(e.t.Context(), e.group, user)
		e.t.Errorf("%s takes part %v (%s); want taking part", user, ok, why)
	}
	var told []string
	for _, d := range e.dms(user) {
		told = append(told, render(d.Out.Message))
	}
	wantIn(e.t, string(user)+"'s DMs", strings.Join(told, "\n"), "A place is free for you in tuesday", "You agreed to the norms already, so tend is giving you access now", "You're in: tuesday")
}

// TestOnboarding_CapacityRaised: raising a closed group's capacity lets
// the waitlisted newcomers onto the roster, and offers them the place as
// a freed place does: access at once (they agreed), and they are told.
func TestOnboarding_CapacityRaised(t *testing.T) {
	t.Run("Chat", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := waitlistTwo(t)
			wantIn(t, "capacity", e.cmd(fac, "group setup name:tuesday capacity:3"), "Moved from the waitlist to the roster: <@lee>, <@"+ann+">",
				"tend tells the newcomers among them privately that the place is theirs")
			e.placeGiven("lee")
			e.placeGiven(ann)
			if n := len(e.of(bot.OutGrantRole)); n != 3 {
				t.Errorf("%d grants; want sam's, lee's and ann's, once each", n)
			}
		})
	})
	// The config file's capacity is applied at start, before the
	// platforms run: the next start offers the places.
	t.Run("ConfigAtStart", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := waitlistTwo(t)
			e.stop()
			db, err := store.Open(t.Context(), e.path)
			if err != nil {
				t.Fatal(err)
			}
			g := e.group
			g.Capacity = 2
			if _, promoted, err := db.UpsertConfigGroup(t.Context(), ConfigActor, g); err != nil || len(promoted) != 1 {
				t.Fatalf("apply the file: promoted %+v, %v; want lee", promoted, err)
			}
			db.Close()
			e.start()
			if err := e.n.Resume(t.Context()); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			e.placeGiven("lee")
			if slices.ContainsFunc(e.of(bot.OutGrantRole), func(d bottest.Delivery) bool { return d.Out.User == ann }) {
				t.Error("ann, still on the waitlist, got the role")
			}
			if err := e.n.Resume(t.Context()); err != nil { // another start offers nothing twice
				t.Fatal(err)
			}
			synctest.Wait()
			if n := len(e.of(bot.OutGrantRole)); n != 2 {
				t.Errorf("%d grants after another start; want sam's and lee's", n)
			}
		})
	})
}

// TestOnboarding_RosterAddDurable: the welcome of someone a facilitator
// adds to the roster is written with the roster entry. A process that
// dies right after writing the entry (nothing it would enqueue on its
// own gets in) still welcomes them after a restart.
func TestOnboarding_RosterAddDurable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		const ivy = "300000000000000009"
		e.dead.Store(true)
		e.cmd(fac, "roster add user:<@"+ivy+">")
		e.stop()
		e.dead.Store(false)
		e.start()
		if m, err := e.db.MemberByUser(t.Context(), e.group.ID, ivy); err != nil || m.Status != bot.MemberActive {
			t.Fatalf("ivy on the roster: %+v, %v", m, err)
		}
		wantIn(t, "welcome", render(e.lastDM(ivy).Out.Message), "Welcome to tuesday", "a facilitator added you to group tuesday", "[I agree]")
		e.restart()
		if n := len(e.dms(ivy)); n != 1 {
			t.Fatalf("%d DMs after another restart; want the one welcome", n)
		}
	})
}

// TestOnboarding_RosterAddFullGroup: a facilitator adds someone to a full
// group's roster. The answer, the facilitator's note and the welcome all
// say what is true: the group is full, they are on its waitlist, and
// access follows agreement when a place frees up — in a closed group and
// in an open one with a capacity alike.
func TestOnboarding_RosterAddFullGroup(t *testing.T) {
	for _, admission := range []bot.Admission{bot.AdmissionClosed, bot.AdmissionOpen} {
		t.Run(string(admission), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := discordEnv(t, admission, 1)
				const ivy = "300000000000000009"
				wantIn(t, "ivy added", e.cmd(fac, "roster add user:<@"+ivy+">"), "Added <@"+ivy+"> to the roster")
				e.press(ivy, e.lastDM(ivy).Delivered.Ref, "I agree")
				got := e.cmd(fac, "roster add user:<@"+ann+">")
				wantIn(t, "ann added", got, "Group tuesday is full (1 place), so <@"+ann+"> is on the waitlist",
					"tells them they are on the waitlist; they take part (check-ins, attendance) once they have agreed and a place frees up")
				if strings.Contains(got, "then.") {
					t.Errorf("the note promises access on agreeing to someone on the waitlist:\n%s", got)
				}
				welcome := render(e.lastDM(ann).Out.Message)
				wantIn(t, "ann's welcome", welcome, "The group is full just now, so you are on its waitlist", "[I agree]")
				if strings.Contains(welcome, "as soon as you agree") {
					t.Errorf("the welcome promises access on agreeing:\n%s", welcome)
				}
				wantIn(t, "ann agrees", e.press(ann, e.lastDM(ann).Delivered.Ref, "I agree"), "you are number 1 on its waitlist")
				if g := e.of(bot.OutGrantRole); len(g) != 1 || g[0].Out.User != ivy {
					t.Fatalf("grants %+v; want ivy's only, none from the waitlist", g)
				}
				if e.takesPart(ann) {
					t.Error("ann takes part from the waitlist")
				}
				// ivy's place frees up: it is ann's.
				wantIn(t, "ivy removed", e.cmd(fac, "roster remove user:<@"+ivy+">"), "Moved from the waitlist to the roster: <@"+ann+">")
				wantIn(t, "offer", render(e.lastDM(ann).Out.Message), "You're in: tuesday")
				if admission == bot.AdmissionOpen {
					// "A place is yours" first, then "you're in": never the other way round.
					var order []string
					for _, d := range e.dms(ann) {
						if k := d.Out.Key; strings.HasPrefix(k, "norms/offer/") || strings.HasPrefix(k, "norms/admitted/") {
							order = append(order, strings.Split(k, "/")[1])
						}
					}
					if !slices.Equal(order, []string{"offer", "admitted"}) {
						t.Errorf("ann's DMs came in the order %v; want the offer, then admitted", order)
					}
				}
				if g := e.of(bot.OutGrantRole); len(g) != 2 || g[1].Out.User != ann {
					t.Fatalf("grants %+v; want ann's once the place is hers", g)
				}
				if !e.takesPart(ann) {
					t.Error("ann does not take part once the place is hers")
				}
			})
		})
	}
}

// TestOnboarding_SlackLobbyLeft: on Slack, a newcomer who leaves the lobby
// before being let in gives up their newcomer state and a waitlist place
// (PRODUCT.md: a member who leaves gives up a waitlist place); rejoining
// the lobby later welcomes them again. A member let in already, or one in
// the group's channel, keeps what they have.
func TestOnboarding_SlackLobbyLeft(t *testing.T) {
	const (
		lobby = "C0LOBBY01"
		sam   = "U0SAM0001"
		lee   = "U0LEE0001"
		kim   = "U0KIM0001"
		ivy   = "U0IVY0001"
	)
	slackLobbyEnv := func(t *testing.T) *env {
		e := newEnv(t, bot.Group{Name: "dbt", Address: bot.Address{Platform: bot.PlatformSlack, Channel: "G0PRIVATE1"}, Kind: bot.KindSkills,
			Admission: bot.AdmissionClosed, Capacity: 1})
		e.rec.SetPrivate("G0PRIVATE1", true)
		wantIn(t, "use", e.cmd(fac, "norms use psychoeducation"), "Saved version 1")
		wantIn(t, "require", e.cmd(fac, "norms require on lobby_channel:<#"+lobby+">"), "Newcomers to <#"+lobby+"> are welcomed privately")
		return e
	}
	meta := func(e *env, user bot.UserID, ch bot.ChannelID) bot.EventMeta {
		return bot.EventMeta{Platform: bot.PlatformSlack, Channel: ch, User: e.user(user)}
	}
	join := func(e *env, user bot.UserID) { e.inject(&bot.MemberJoined{EventMeta: meta(e, user, lobby)}) }
	leave := func(e *env, user bot.UserID) { e.inject(&bot.MemberLeft{EventMeta: meta(e, user, lobby)}) }
	state := func(e *env, user bot.UserID) bot.ApplicantState {
		e.t.Helper()
		a, err := e.db.Applicant(e.t.Context(), e.group.ID, user)
		if err != nil {
			e.t.Fatalf("%s's record: %v", user, err)
		}
		return a.State
	}

	t.Run("Applicant", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := slackLobbyEnv(t)
			join(e, sam)
			join(e, sam) // reported again while waiting: one welcome
			if n := len(e.dms(sam)); n != 1 {
				t.Fatalf("%d DMs; want one welcome", n)
			}
			leave(e, sam)
			if s := state(e, sam); s != bot.ApplicantGone {
				t.Fatalf("sam's record is %s after leaving the lobby; want gone", s)
			}
			join(e, sam)
			if n := len(e.dms(sam)); n != 2 {
				t.Fatalf("%d DMs after coming back; want a second welcome", n)
			}
			wantIn(t, "welcome again", render(e.lastDM(sam).Out.Message), "Welcome to dbt", "[I agree]")
			if s := state(e, sam); s != bot.ApplicantWaiting {
				t.Fatalf("sam's record is %s after coming back; want waiting", s)
			}
			// Someone let into the group's channel by hand keeps their
			// record when they leave the lobby.
			e.rec.AddMember("G0PRIVATE1", e.user(ivy))
			e.inject(&bot.MemberJoined{EventMeta: meta(e, ivy, "G0PRIVATE1")})
			leave(e, ivy)
			if s := state(e, ivy); s != bot.ApplicantWaiting {
				t.Fatalf("ivy, in the group's channel, is %s after leaving the lobby; want waiting", s)
			}
		})
	})

	t.Run("Waitlist", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := slackLobbyEnv(t)
			join(e, sam)
			wantIn(t, "sam agrees", e.press(sam, e.lastDM(sam).Delivered.Ref, "I agree"), "inviting you to <#G0PRIVATE1> now")
			e.inject(&bot.MemberJoined{EventMeta: meta(e, sam, "G0PRIVATE1")})
			join(e, lee)
			wantIn(t, "lee agrees", e.press(lee, e.lastDM(lee).Delivered.Ref, "I agree"), "you are number 1 on its waitlist")
			join(e, kim)
			wantIn(t, "kim agrees", e.press(kim, e.lastDM(kim).Delivered.Ref, "I agree"), "you are number 2 on its waitlist")

			// sam, let in, leaves the lobby: nothing changes.
			leave(e, sam)
			if s := state(e, sam); s != bot.ApplicantAdmitted {
				t.Fatalf("sam is %s after leaving the lobby; want admitted", s)
			}
			// lee gives up the waitlist place by leaving the lobby.
			leave(e, lee)
			if s := state(e, lee); s != bot.ApplicantGone {
				t.Fatalf("lee is %s after leaving the lobby; want gone", s)
			}
			if m, err := e.db.MemberByUser(t.Context(), e.group.ID, lee); err != nil || m.Status != bot.MemberRemoved {
				t.Fatalf("lee on the roster: %+v, %v; want the waitlist place given up", m, err)
			}
			// The place sam frees goes to kim, next on the list, not lee.
			e.cmd(fac, "roster remove user:<@"+sam+">")
			inv := e.of(bot.OutInvite)
			if !slices.ContainsFunc(inv, func(d bottest.Delivery) bool { return d.Out.User == kim }) {
				t.Errorf("invitations %+v; want kim invited to the freed place", inv)
			}
			if slices.ContainsFunc(inv, func(d bottest.Delivery) bool { return d.Out.User == lee }) {
				t.Errorf("lee, who left the lobby, was invited: %+v", inv)
			}
			if m, _ := e.db.MemberByUser(t.Context(), e.group.ID, kim); m.Status != bot.MemberActive {
				t.Errorf("kim on the roster: %+v; want active", m)
			}
			// lee comes back: welcomed again, as a newcomer.
			n := len(e.dms(lee))
			join(e, lee)
			if got := len(e.dms(lee)); got != n+2 {
				t.Fatalf("%d DMs to lee after coming back; want a new welcome and the waitlist note", got-n)
			}
			// lee agreed before: welcomed back, and back on the waitlist
			// (the group is full), behind nobody who left.
			var told []string
			for _, d := range e.dms(lee)[n:] {
				told = append(told, render(d.Out.Message))
			}
			wantIn(t, "lee welcomed back", strings.Join(told, "\n"), "Welcome back to dbt",
				"Group dbt is full just now, so you are number 1 on its waitlist: tend gives you access and tells you privately when a place frees up")
			if m, err := e.db.MemberByUser(t.Context(), e.group.ID, lee); err != nil || m.Status != bot.MemberWaitlisted {
				t.Errorf("lee on the roster after coming back: %+v, %v; want waitlisted again", m, err)
			}
		})
	})
}
