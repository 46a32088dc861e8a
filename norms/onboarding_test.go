package norms

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
)

const (
	discordChannel = "100000000000000001"
	discordGuild   = "200000000000000001"
	discordRole    = "400000000000000001"
)

// discordEnv is a Discord group that requires agreement and grants a role,
// with one member (kim) who was there before.
func discordEnv(t *testing.T, admission bot.Admission, capacity int, more ...func(*store.DB, bot.Deps) (bot.Feature, error)) *env {
	t.Helper()
	e := newEnv(t, bot.Group{Name: "tuesday", Address: bot.Address{Platform: bot.PlatformDiscord, Channel: discordChannel},
		Guild: discordGuild, Admission: admission, Capacity: capacity}, more...)
	e.rec.AddMember(discordChannel, e.user("kim"))
	// The channel only the role opens, and a role tend can give.
	e.rec.SetPrivate(discordChannel, true)
	e.rec.SetRole(discordGuild, discordRole, bot.RoleInfo{Name: "tuesday", CanManage: true, BelowBot: true})
	wantIn(t, "use", e.cmd(fac, "norms use support"), "Saved version 1 of the norms of tuesday (9 agreements)")
	wantIn(t, "require", e.cmd(fac, "norms require on role:<@&"+discordRole+">"), "get the role <@&"+discordRole+"> after agreeing")
	return e
}

func (e *env) join(user bot.UserID, pending bool) {
	e.t.Helper()
	e.inject(&bot.MemberJoined{EventMeta: bot.EventMeta{Platform: e.platform, Guild: discordGuild, User: e.user(user)}, Pending: pending})
}

func (e *env) screened(user bot.UserID) {
	e.t.Helper()
	e.inject(&bot.MemberUpdated{EventMeta: bot.EventMeta{Platform: e.platform, Guild: discordGuild, User: e.user(user)}, Pending: false})
}

func (e *env) takesPart(user bot.UserID) bool {
	e.t.Helper()
	ok, _, err := e.b.TakesPart(e.t.Context(), e.group, user)
	if err != nil {
		e.t.Fatal(err)
	}
	return ok
}

// TestOnboarding_Discord is the flow: a member joins with rules
// screening pending → welcome DM, no role; presses I agree → still no
// role; screening clears → role granted; a facilitator edits the norms →
// the member is asked again privately; norms status shows both versions,
// and the member keeps the role meanwhile.
func TestOnboarding_Discord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		// kim, there before agreement was required, is asked privately
		// and does not take part until she agrees.
		wantIn(t, "kim's request", render(e.lastDM("kim").Out.Message), "Group tuesday asks every member to read its agreements", "Privacy in this group")
		if e.takesPart("kim") || !e.takesPart(fac) {
			t.Fatal("kim takes part before agreeing, or the facilitator does not")
		}

		e.join("sam", true)
		welcome := e.lastDM("sam")
		text := render(welcome.Out.Message)
		wantIn(t, "welcome", text,
			"Welcome to tuesday", "you joined the server", "1. What is shared here stays here", "9. In a crisis",
			"Next session: No session is scheduled yet",
			"completed the server's rules screening",
			"In a crisis: "+testResources,
			"Check-in answers are seen only by the facilitators", "a facilitator is told at once, privately",
			"deleted after 90 days", "Nobody watches tend around the clock", "[I agree]")
		if n := len(e.of(bot.OutGrantRole)); n != 0 {
			t.Fatalf("%d roles granted on joining; want none while screening is pending", n)
		}
		if n := len(e.rec.Posts()); n != 0 {
			t.Fatalf("%d posts in channels; a newcomer is welcomed privately only", n)
		}

		reply := e.press("sam", welcome.Delivered.Ref, "I agree")
		wantIn(t, "agreeing", reply, "Thank you: you agreed to version 1 of the norms of tuesday", "as soon as you have completed the server's rules screening")
		if n := len(e.of(bot.OutGrantRole)); n != 0 {
			t.Fatalf("%d roles granted while screening is pending; want none", n)
		}
		// Pressing again is harmless.
		wantIn(t, "agreeing again", e.press("sam", welcome.Delivered.Ref, "I agree"), "already", "nothing changed")

		e.screened("sam")
		roles := e.of(bot.OutGrantRole)
		if len(roles) != 1 || roles[0].Out.User != "sam" || roles[0].Out.Role != discordRole || roles[0].Out.Guild != discordGuild {
			t.Fatalf("roles granted after screening: %+v; want sam's, once", roles)
		}
		wantIn(t, "admitted", render(e.lastDM("sam").Out.Message), "You're in: tuesday", "<#"+discordChannel+">")
		if !e.takesPart("sam") {
			t.Fatal("sam does not take part after agreeing")
		}
		// An update that does not clear screening again grants nothing.
		e.screened("sam")
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d role grants after a second update; want 1", n)
		}

		wantIn(t, "edit", e.cmd(fac, `norms edit items:"What is said here stays here; Speak for yourself; Call for help when in crisis"`),
			"Saved version 2", "Every member is asked privately")
		ask := e.lastDM("sam")
		wantIn(t, "asked again", render(ask.Out.Message), "The norms of tuesday changed (version 2)", "you agreed to version 1", "You keep your access", "[I agree]")
		st := e.cmd(fac, "norms status")
		wantIn(t, "status", st, "Norms of tuesday: version 2", "Version 2 — ", "by <@fac>", "Version 1 — ", "(support template)",
			"On an older version: sam — version 1", "Not agreed yet: kim")
		if n := len(e.of(bot.OutRevokeRole)); n != 0 || !e.takesPart("sam") {
			t.Fatalf("sam lost access while asked again (%d revokes)", n)
		}
		// The old welcome's button shows the new version instead of
		// agreeing to text that changed.
		wantIn(t, "old button", e.press("sam", welcome.Delivered.Ref, "I agree"), "The norms changed since that message: this is version 2", "Nothing was recorded")
		wantIn(t, "agree v2", e.press("sam", ask.Delivered.Ref, "I agree"), "you agreed to version 2")
		wantIn(t, "status after", e.cmd(fac, "norms status"), "Agreed to version 2 (current): sam — ")
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d role grants; a member who has the role is not granted it again", n)
		}
	})
}

// TestOnboarding_ScreeningMissed: when tend missed the screening event
// and Discord refuses the role because the member is still pending, the
// role follows when screening clears, once.
func TestOnboarding_ScreeningMissed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		pending := true
		e.setHook(func(out bot.Outbound) error {
			if out.Kind == bot.OutGrantRole && pending {
				return &screeningErr{}
			}
			return nil
		})
		e.join("sam", false) // reported as screened, but it is not
		e.press("sam", e.lastDM("sam").Delivered.Ref, "I agree")
		if n := len(e.of(bot.OutGrantRole)); n != 0 {
			t.Fatalf("%d roles granted to a pending member", n)
		}
		if a, _ := e.db.Applicant(t.Context(), e.group.ID, "sam"); !a.Pending || a.State != bot.ApplicantWaiting {
			t.Fatalf("applicant after the refusal: %+v; want pending, waiting", a)
		}
		if d := e.rec.DMsTo(fac); len(d) != 0 {
			t.Fatalf("facilitators told %q; a pending member is not a refusal to explain", render(d[0].Out.Message))
		}
		pending = false
		e.screened("sam")
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d roles granted after screening cleared; want 1", n)
		}
	})
}

// screeningErr is what the Discord adapter returns for a pending member.
type screeningErr struct{}

func (*screeningErr) Error() string { return "discord: the member has not completed rules screening" }
func (*screeningErr) Unwrap() []error {
	return []error{bot.ErrScreening, bot.ErrUnreachable}
}

// TestOnboarding_RoleRefused: Discord refusing the role (it sits above
// tend's) is explained to the facilitators privately, once; nothing is
// said in the group's channel.
func TestOnboarding_RoleRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		e.setHook(func(out bot.Outbound) error {
			if out.Kind == bot.OutGrantRole {
				return bot.Unreachable("discord: grant role: the bot lacks access (HTTP 403, code 50013)")
			}
			return nil
		})
		e.join("sam", false)
		e.press("sam", e.lastDM("sam").Delivered.Ref, "I agree")
		told := e.rec.DMsTo(fac)
		if len(told) != 1 {
			t.Fatalf("facilitator got %d DMs; want 1", len(told))
		}
		wantIn(t, "explanation", render(told[0].Out.Message), "could not give a member the group's role", "<@sam>", "drag tend's role above <@&"+discordRole+">", "Manage Roles")
		if n := len(e.rec.Posts()); n != 0 {
			t.Fatalf("%d posts in channels; want none", n)
		}
		if j := e.job(key(KindAdmit, e.group.ID, "sam", "1", fmt.Sprintf("agreed-v1-%d", time.Now().Unix()))); j.State != bot.JobDone || !strings.Contains(j.Note, "facilitators and the member were told") {
			t.Fatalf("admit job %s %q", j.State, j.Note)
		}
		wantIn(t, "the member told", render(e.lastDM("sam").Out.Message), "Your access to tuesday is delayed", "your agreement is recorded", "The facilitators have been told and will sort it out")
		if e.takesPart("sam") {
			t.Fatal("sam takes part without the role Discord refused")
		}
		// The facilitator fixes the role's place; sam presses again and
		// gets it.
		e.setHook(nil)
		time.Sleep(time.Minute)
		e.press("sam", e.dms("sam")[0].Delivered.Ref, "I agree")
		if n := len(e.of(bot.OutGrantRole)); n != 1 || !e.takesPart("sam") {
			t.Fatalf("%d roles after pressing again; want the role, and sam taking part", n)
		}
	})
}

// TestOnboarding_DMsClosed: a welcome that cannot be delivered is
// recorded and the facilitators are told privately; nothing is posted in
// the group's channel.
func TestOnboarding_DMsClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		e.setHook(func(out bot.Outbound) error {
			if out.Kind == bot.OutDM && out.User == "sam" {
				return bot.Unreachable("discord: the person does not accept direct messages from the bot (code 50007)")
			}
			return nil
		})
		e.join("sam", false)
		if a, _ := e.db.Applicant(t.Context(), e.group.ID, "sam"); !a.DMClosed {
			t.Fatalf("applicant %+v; want DMClosed recorded", a)
		}
		told := e.rec.DMsTo(fac)
		if len(told) != 1 {
			t.Fatalf("facilitator got %d DMs; want 1", len(told))
		}
		wantIn(t, "told", render(told[0].Out.Message), "could not be welcomed privately", "<@sam>", "has not mentioned them anywhere public", "/tend norms show group:tuesday")
		for _, p := range e.rec.Posts() {
			t.Errorf("posted in %s: %q", p.Out.To.Channel, render(p.Out.Message))
		}
		// They can still read and agree from a channel of the server.
		wantIn(t, "show", e.cmdIn("sam", "300000000000000009", "norms show group:tuesday"), "Norms of tuesday (version 1)", "Next session")
		wantIn(t, "agree", e.cmdIn("sam", "300000000000000009", "norms agree group:tuesday"), "you agreed to version 1", "giving you the group's role now")
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d roles granted; want 1", n)
		}
		wantIn(t, "status", e.cmd(fac, "norms status"), "Agreed to version 1 (current): sam")
	})
}

// TestOnboarding_Applicant: a newcomer who is not yet a member may see the
// norms and the next session and agree, nothing more; once admitted they
// are a member like any other.
func TestOnboarding_Applicant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		other := bot.ChannelID("300000000000000009")
		// The group's channel is private: to an outsider the group does
		// not exist, and an applicant sees only what applicants may use.
		hidden := `There is no group named "tuesday" that you can use`
		wantIn(t, "outsider", e.cmdIn("lee", other, "norms show group:tuesday"), hidden)
		e.join("lee", true)
		wantIn(t, "applicant show", e.cmdIn("lee", other, "norms show group:tuesday"), "Norms of tuesday (version 1)")
		wantIn(t, "applicant next", e.cmdIn("lee", other, "next group:tuesday"), "Group tuesday has no schedule yet")
		wantIn(t, "applicant rsvp", e.cmdIn("lee", other, "rsvp yes group:tuesday"), hidden)
		wantIn(t, "applicant status", e.cmdIn("lee", other, "norms status group:tuesday"), hidden)
		wantIn(t, "member edit", e.cmd("kim", "norms edit items:x"), "Only facilitators of tuesday can use /tend norms edit")
	})
}

// TestOnboarding_Gone: a member who leaves (or is erased) has the role
// taken back; coming back is a new arrival with a welcome of its own.
func TestOnboarding_Gone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		e.join("sam", false)
		e.press("sam", e.lastDM("sam").Delivered.Ref, "I agree")
		if n := len(e.of(bot.OutGrantRole)); n != 1 {
			t.Fatalf("%d roles; want 1", n)
		}
		e.inject(&bot.MemberLeft{EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Guild: discordGuild, User: e.user("sam")}})
		rv := e.of(bot.OutRevokeRole)
		if len(rv) != 1 || rv[0].Out.User != "sam" || rv[0].Out.Role != discordRole {
			t.Fatalf("revokes %+v; want sam's role taken back", rv)
		}
		if a, _ := e.db.Applicant(t.Context(), e.group.ID, "sam"); a.State != bot.ApplicantGone {
			t.Fatalf("applicant %+v; want gone", a)
		}
		before := len(e.dms("sam"))
		e.join("sam", false)
		got := e.dms("sam")[before:]
		if len(got) != 2 {
			t.Fatalf("%d DMs after coming back; want a new welcome and access", len(got))
		}
		wantIn(t, "welcome back", render(got[0].Out.Message), "Welcome back to tuesday", "nothing to do")
		wantIn(t, "access again", render(got[1].Out.Message), "You're in")
		if n := len(e.of(bot.OutGrantRole)); n != 2 {
			t.Fatalf("%d roles; coming back after agreeing gives the role again", n)
		}
	})
}

// TestWelcome_Privacy: the welcome states the group's own retention
// period, as its check-in settings hold it in the store, and that an alert
// no facilitator takes up goes on to the people who run tend.
func TestWelcome_Privacy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		if _, _, err := e.db.SaveCheckInSettings(t.Context(), ConfigActor, bot.CheckInSettings{GroupID: e.group.ID, EscalateAfter: 10 * time.Minute,
			RetentionDays: 30, Source: bot.SourceConfig}, nil); err != nil {
			t.Fatal(err)
		}
		e.join("sam", false)
		text := render(e.lastDM("sam").Out.Message)
		wantIn(t, "welcome", text, "Check-in answers are deleted after 30 days", "if no facilitator takes it up, it goes on to the people who run tend")
		if strings.Contains(text, "90 days") {
			t.Errorf("the welcome states the default period, not the group's:\n%s", text)
		}
	})
}

// TestOnboarding_NewcomerNeedsCurrentVersion: a newcomer who agreed to
// version 1 while screening was pending, and whose screening clears after
// the norms changed, gets no role until they agree to version 2; members
// keep theirs meanwhile.
func TestOnboarding_NewcomerNeedsCurrentVersion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		e.join("sam", true)
		wantIn(t, "agree v1", e.press("sam", e.lastDM("sam").Delivered.Ref, "I agree"), "you agreed to version 1")
		wantIn(t, "edit", e.cmd(fac, `norms edit items:"Keep it here; Speak for yourself"`), "Saved version 2")
		ask := e.lastDM("sam")
		wantIn(t, "asked", render(ask.Out.Message), "changed (version 2)", "[I agree]", "you get access to the group once you agree to it")
		if strings.Contains(render(ask.Out.Message), "You keep your access") {
			t.Errorf("a newcomer without access is told they keep it:\n%s", render(ask.Out.Message))
		}
		e.screened("sam")
		if n := len(e.of(bot.OutGrantRole)); n != 0 {
			t.Fatalf("%d roles granted to a newcomer who agreed only to version 1", n)
		}
		if e.takesPart("sam") {
			t.Fatal("sam takes part without the current version")
		}
		wantIn(t, "status", e.cmd(fac, "norms status"), "agreed to version 1, needs version 2")
		wantIn(t, "agree v2", e.press("sam", ask.Delivered.Ref, "I agree"), "you agreed to version 2")
		roles := e.of(bot.OutGrantRole)
		if len(roles) != 1 || roles[0].Out.User != "sam" {
			t.Fatalf("roles %+v; want sam's once they agreed to version 2", roles)
		}
	})
}

// TestWelcome_DeferredSeriesHasANextSession: a config group's series whose
// first sessions are stored only once they are near (bot.Series.AheadAt)
// still tells a newcomer when the next session is, from its plan; a paused
// one does not.
func TestWelcome_DeferredSeriesHasANextSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := discordEnv(t, bot.AdmissionOpen, 0)
		now := time.Now()
		ser := bot.Series{GroupID: e.group.ID, Schedule: bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Starts: "2000-01-01", Topics: []string{"Getting started"}},
			Settings: bot.ReminderSettings{Leads: []time.Duration{time.Hour}}, Source: bot.SourceConfig, AheadAt: now.Add(48 * time.Hour)}
		ahead := func(at time.Time) bot.Job { return bot.Job{Kind: "test.ahead", Key: "test.ahead/1", DueAt: at} }
		if _, err := e.db.AddSeries(t.Context(), now, []bot.Series{ser}, nil, nil, ahead); err != nil {
			t.Fatal(err)
		}
		e.join("sam", false) // Tuesday 18:00 London is 18:00 UTC in winter
		wantIn(t, "welcome", render(e.lastDM("sam").Out.Message), "Next session: 2000-01-04 18:00 (2000-01-04 18:00): Getting started")

		if err := e.db.SetSeriesPaused(t.Context(), e.group.ID, true, now); err != nil {
			t.Fatal(err)
		}
		e.join("ada", false)
		wantIn(t, "welcome while paused", render(e.lastDM("ada").Out.Message), "Next session: No session is scheduled yet")
	})
}
