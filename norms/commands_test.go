package norms

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tend-bot/tend/bot"
)

func consoleEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, bot.Group{Name: "tuesday", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "tuesday"}})
	e.rec.AddMember("tuesday", e.user("ann"))
	return e
}

func TestCommands_NoNormsYet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := consoleEnv(t)
		wantIn(t, "member", e.cmd("ann", "norms show"), "Group tuesday has no norms yet. The facilitators will share them")
		wantIn(t, "facilitator", e.cmd(fac, "norms show"), "/tend norms use support", "support, psychoeducation, therapy, online, team", "/tend norms edit")
		wantIn(t, "require", e.cmd(fac, "norms require on"), "no norms to agree to yet", "/tend norms use support")
		wantIn(t, "agree", e.cmd("ann", "norms agree"), "has no norms yet")
		if !e.takesPart("ann") {
			t.Fatal("a member of a group that requires nothing does not take part")
		}
	})
}

// TestCommands_Edit: the edit form shows the current text and saves a new
// version; bad input is refused with why and what to do instead.
func TestCommands_Edit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := consoleEnv(t)
		outs := e.cmdOuts(fac, "tuesday", "norms edit")
		if len(outs) != 1 || outs[0].Kind != bot.OutModal || !strings.HasPrefix(outs[0].Modal.Inputs[0].Value, "1. What is shared here stays here") {
			t.Fatalf("edit without norms: %+v; want a form with the kind's template", outs)
		}
		wantIn(t, "use", e.cmd(fac, "norms use team"), "Saved version 1 of the norms of tuesday (7 agreements)")
		wantIn(t, "same again", e.cmd(fac, "norms use team"), "Those are the norms of tuesday already (version 1); nothing changed")
		outs = e.cmdOuts(fac, "tuesday", "norms edit")
		form := outs[0].Modal
		if form == nil || !form.Inputs[0].Long || form.Inputs[0].MaxLen != MaxText || !strings.Contains(form.Inputs[0].Value, "7. If a client may be at risk") {
			t.Fatalf("edit form %+v; want the current text, multi-line, up to %d characters", form, MaxText)
		}
		submit := func(user bot.UserID, m *bot.Modal, text string) string {
			t.Helper()
			sealed := bot.Outbound{Kind: bot.OutModal, Modal: m}
			if err := e.b.Codec().SealFor(&sealed, user); err != nil {
				t.Fatal(err)
			}
			return replyText(e.inject(&bot.ModalSubmit{
				EventMeta: bot.EventMeta{Platform: bot.PlatformConsole, Channel: "tuesday", User: e.user(user)},
				ID:        sealed.Modal.ID, Values: map[string]string{"text": text},
			}))
		}
		wantIn(t, "submit", submit(fac, form, "1. Be kind\n2. Keep it here\n\n3) Come when you can\n"), "Saved version 2 of the norms of tuesday (3 agreements)")
		v, _ := e.db.CurrentNorms(t.Context(), e.group.ID)
		if strings.Join(v.Items, "|") != "Be kind|Keep it here|Come when you can" || v.Source != "edit" || v.Author != "console:fac" {
			t.Fatalf("version 2 = %+v", v)
		}
		// The form was opened on version 1: a second save from it would
		// overwrite version 2 unseen, so it is refused, with the text.
		wantIn(t, "stale", submit(fac, form, "Something else"), "changed while you were editing (they are now version 2", "1. Something else")
		wantIn(t, "member", e.cmd("ann", "norms edit items:x"), "Only facilitators of tuesday can use /tend norms edit")

		long := strings.Repeat("a", MaxItemLen+1)
		many := strings.TrimSuffix(strings.Repeat("x;", MaxItems+1), ";")
		var big []string
		for range 11 {
			big = append(big, strings.Repeat("b", 280))
		}
		for _, c := range []struct{ name, items, want string }{
			{"Empty", ` ; ;`, "The norms are empty"},
			{"TooMany", many, fmt.Sprintf("That is 26 agreements; the most is %d", MaxItems)},
			{"TooLong", "ok;" + long, fmt.Sprintf("Agreement 2 is 301 characters long; keep each to %d", MaxItemLen)},
			{"TooMuch", strings.Join(big, ";"), "the most is 3000 (Slack's limit for the edit form)"},
		} {
			wantIn(t, c.name, e.cmd(fac, `norms edit items:"`+c.items+`"`), c.want)
		}
		wantIn(t, "empty form", submit(fac, e.cmdOuts(fac, "tuesday", "norms edit")[0].Modal, "\n \n"), "The norms are empty")
		if v, _ := e.db.CurrentNorms(t.Context(), e.group.ID); v.Version != 2 {
			t.Fatalf("version %d after refused edits; want 2", v.Version)
		}
		wantIn(t, "bad template", e.cmd(fac, "norms use suport"), `"suport" is not one of support, psychoeducation, therapy, online, team`)
	})
}

// TestCommands_Require: gating settings, refused where they cannot work or
// where the config file sets them.
func TestCommands_Require(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := consoleEnv(t)
		e.cmd(fac, "norms use support")
		wantIn(t, "role on console", e.cmd(fac, "norms require on role:123456789012345678"), "Roles are a Discord feature", "lobby_channel:")
		wantIn(t, "on", e.cmd(fac, "norms require on"), "now take part (check-ins, attendance) once they have agreed")
		if e.takesPart("ann") {
			t.Fatal("ann takes part without agreeing")
		}
		wantIn(t, "asked", render(e.lastDM("ann").Out.Message), "Group tuesday asks every member")
		// Turning it off and on again asks nobody twice for one version.
		e.cmd(fac, "norms require off")
		if !e.takesPart("ann") {
			t.Fatal("ann does not take part once agreement is no longer required")
		}
		e.cmd(fac, "norms require on")
		if n := len(e.dms("ann")); n != 1 {
			t.Fatalf("ann was asked %d times for version 1; want once", n)
		}
		s, _ := e.db.NormsSettings(t.Context(), e.group.ID)
		s.FromFile = []string{"require"}
		if err := e.db.SaveNormsSettings(t.Context(), ConfigActor, s, nil); err != nil {
			t.Fatal(err)
		}
		wantIn(t, "from file", e.cmd(fac, "norms require off"), "set in tend.yaml", "edit its norms: section and restart tend")
		wantIn(t, "same as file", e.cmd(fac, "norms require on"), "now take part")
	})
}

// TestCommands_StatusMinimalPrivacy: under minimal privacy the status
// names members by code, never by name.
func TestCommands_StatusMinimalPrivacy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.Group{Name: "clinic", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "clinic"}, Privacy: bot.PrivacyMinimal, Kind: bot.KindTherapy})
		e.cmd(fac, "norms use therapy")
		wantIn(t, "roster", e.cmd(fac, "roster add user:ann code:C-17"), "Added C-17")
		e.cmd(fac, "roster add code:C-18")
		e.cmd(fac, "roster add code:C-19")
		e.rec.AddMember("clinic", bot.User{Platform: bot.PlatformConsole, ID: "bea", Name: "Beatrice Long"})
		e.cmdIn("ann", "", "norms agree group:clinic")
		st := e.cmd(fac, "norms status")
		wantIn(t, "status", st, "Agreed to version 1 (current): C-17", "Not agreed yet: @bea", "2 code-only roster entries (not on console)")
		if strings.Contains(st, "Beatrice") || strings.Contains(st, "ann") {
			t.Fatalf("status under minimal privacy names people:\n%s", st)
		}
		wantIn(t, "privacy note", e.cmd("ann", "norms show"), "This group keeps no names")
	})
}

// TestParticipation: the core's participation check follows agreement.
func TestParticipation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := consoleEnv(t)
		e.cmd(fac, "norms use support")
		e.cmd(fac, "norms require on")
		ok, why, err := e.b.TakesPart(t.Context(), e.group, "ann")
		if err != nil || ok || why != "has not agreed to the group's norms yet" {
			t.Fatalf("before agreeing: %v %q %v", ok, why, err)
		}
		e.cmd("ann", "norms agree")
		e.cmd(fac, `norms edit items:"New; Norms"`)
		if !e.takesPart("ann") {
			t.Fatal("a member on an older version stopped taking part; a new version keeps access")
		}
	})
}

// TestCommands_RequireRefusesWhatCannotWork: norms require on role: checks
// with Discord that tend can give the role and that the group's channel is
// hidden from people without it, and refuses with why and what to do; at
// each start the gates are checked again and the facilitators told,
// privately, of one that stopped working.
func TestCommands_RequireRefusesWhatCannotWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.Group{Name: "tuesday", Address: bot.Address{Platform: bot.PlatformDiscord, Channel: discordChannel}, Guild: discordGuild})
		e.cmd(fac, "norms use support")
		const (
			above   = "400000000000000002"
			managed = "400000000000000003"
			missing = "400000000000000009"
		)
		e.rec.SetRole(discordGuild, discordRole, bot.RoleInfo{Name: "tuesday", CanManage: true, BelowBot: true})
		e.rec.SetRole(discordGuild, above, bot.RoleInfo{Name: "moderators", CanManage: true})
		e.rec.SetRole(discordGuild, managed, bot.RoleInfo{Name: "tend", Managed: true, CanManage: true})
		e.rec.SetRole(discordGuild, discordGuild, bot.RoleInfo{Name: "@everyone", Everyone: true, CanManage: true, BelowBot: true})
		for _, c := range []struct {
			name, role string
			want       []string
		}{
			{"Missing", missing, []string{"The server has no role " + missing}},
			{"Everyone", discordGuild, []string{"That is the server's @everyone role"}},
			{"Managed", managed, []string{"belongs to a bot or an integration"}},
			{"AboveBot", above, []string{"sits above tend's own role", "drag tend's role above <@&" + above + ">"}},
			{"PublicChannel", discordRole, []string{"Everyone in the server can see <#" + discordChannel + ">, so the role would gate nothing",
				"deny View Channel to @everyone and allow it to <@&" + discordRole + ">"}},
		} {
			wantIn(t, c.name, e.cmd(fac, "norms require on role:"+c.role), c.want...)
		}
		e.rec.SetRole(discordGuild, discordRole, bot.RoleInfo{Name: "tuesday", BelowBot: true})
		e.rec.SetPrivate(discordChannel, true)
		wantIn(t, "no Manage Roles", e.cmd(fac, "norms require on role:"+discordRole), "tend lacks the Manage Roles permission")
		if s, _ := e.db.NormsSettings(t.Context(), e.group.ID); s.Require || s.Role != "" {
			t.Fatalf("settings after refusals: %+v; want nothing saved", s)
		}
		e.rec.SetRole(discordGuild, discordRole, bot.RoleInfo{Name: "tuesday", CanManage: true, BelowBot: true})
		wantIn(t, "works", e.cmd(fac, "norms require on role:"+discordRole), "get the role <@&"+discordRole+"> after agreeing")

		// An admin drags the role above tend's; the next start tells the
		// facilitators, once for that start.
		e.rec.SetRole(discordGuild, discordRole, bot.RoleInfo{Name: "tuesday", CanManage: true})
		if n, err := e.n.CheckGates(t.Context()); err != nil || n != 1 {
			t.Fatalf("CheckGates = %d, %v; want 1 gate that cannot work", n, err)
		}
		if n, err := e.n.CheckGates(t.Context()); err != nil || n != 1 {
			t.Fatalf("CheckGates again = %d, %v", n, err)
		}
		told := e.rec.DMsTo(fac)
		if len(told) != 1 {
			t.Fatalf("the facilitator got %d DMs; want one for this start", len(told))
		}
		wantIn(t, "told", render(told[0].Out.Message), "Newcomers to tuesday may not get access", "sits above tend's own role")
		for _, p := range e.rec.Posts() {
			t.Errorf("posted in %s: %q; gates are told privately", p.Out.To.Channel, render(p.Out.Message))
		}
		// tend cannot see the channel: the check says so.
		e.rec.SetRole(discordGuild, discordRole, bot.RoleInfo{Name: "tuesday", CanManage: true, BelowBot: true})
		e.rec.InspectHook = func(bot.Address) error { return bot.Unreachable("discord: read channel: 403") }
		e.cmd(fac, "norms require off")
		wantIn(t, "unreachable", e.cmd(fac, "norms require on"), "tend cannot see <#"+discordChannel+">")
	})
}

// TestCommands_RequireLobby: on Slack a lobby must be a public channel tend
// is in (Slack tells an app about people joining only the channels it is
// in): norms require on lobby_channel: refuses one that is private or that
// tend is not in, with what to do; a start tells the facilitators of a
// lobby tend was taken out of.
func TestCommands_RequireLobby(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.Group{Name: "dbt", Address: bot.Address{Platform: bot.PlatformSlack, Channel: "G0PRIVATE1"}, Kind: bot.KindSkills})
		e.cmd(fac, "norms use psychoeducation")
		e.rec.SetPrivate("G0PRIVATE1", true)
		e.rec.SetPrivate("C0LOBBY01", true)
		e.rec.SetBotIn("C0LOBBY01", false)
		wantIn(t, "private lobby", e.cmd(fac, "norms require on lobby_channel:<#C0LOBBY01>"), "<#C0LOBBY01> is a private channel: newcomers cannot find or join it",
			"Name a public channel as the lobby")
		e.rec.SetPrivate("C0LOBBY01", false)
		wantIn(t, "tend not in the lobby", e.cmd(fac, "norms require on lobby_channel:<#C0LOBBY01>"),
			"tend is not in <#C0LOBBY01>, and Slack tells an app about people joining only the channels it is in", "type /invite @tend in <#C0LOBBY01>")
		if s, _ := e.db.NormsSettings(t.Context(), e.group.ID); s.Require || s.Lobby != "" {
			t.Fatalf("settings after refusals: %+v; want nothing saved", s)
		}
		e.rec.SetBotIn("C0LOBBY01", true)
		wantIn(t, "works", e.cmd(fac, "norms require on lobby_channel:<#C0LOBBY01>"), "Newcomers to <#C0LOBBY01> are welcomed privately")

		// Someone removes tend from the lobby: the next start tells the
		// facilitators privately.
		e.rec.SetBotIn("C0LOBBY01", false)
		if n, err := e.n.CheckGates(t.Context()); err != nil || n != 1 {
			t.Fatalf("CheckGates = %d, %v; want the lobby", n, err)
		}
		told := e.rec.DMsTo(fac)
		if len(told) != 1 {
			t.Fatalf("the facilitator got %d DMs; want one", len(told))
		}
		wantIn(t, "told", render(told[0].Out.Message), "Newcomers to dbt may not get access", "tend is not in <#C0LOBBY01>")
		// A lobby tend cannot see at all.
		e.rec.InspectHook = func(a bot.Address) error {
			if a.Channel == "C0LOBBY01" {
				return bot.Unreachable("slack: conversations.info: channel_not_found")
			}
			return nil
		}
		e.cmd(fac, "norms require off")
		wantIn(t, "unreachable lobby", e.cmd(fac, "norms require on"), "tend cannot see <#C0LOBBY01>, the lobby of group dbt")
	})
}
