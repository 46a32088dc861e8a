package norms

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
)

func parseConfig(t *testing.T, src string) (*config.Config, []string) {
	t.Helper()
	cfg, err := config.Parse(strings.NewReader(src), config.Options{File: "tend.yaml", Sections: []bot.ConfigSection{Section()}})
	if err == nil {
		return cfg, nil
	}
	var es config.Errors
	if !errors.As(err, &es) {
		t.Fatalf("parse: %v", err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Error()
	}
	return nil, out
}

// TestSection_Problems: every mistake in a norms: section is reported at
// its file:line:col with the field and what to write instead.
func TestSection_Problems(t *testing.T) {
	long := strings.Repeat("x", MaxItemLen+1)
	// Eleven agreements of 290 characters each (two bytes each in UTF-8):
	// each within its limit, 3,235 characters in all as the numbered list.
	tooMuch := "{items: [" + strings.TrimSuffix(strings.Repeat(strings.Repeat("é", 290)+", ", 11), ", ") + "]}"
	for _, c := range []struct {
		name, group, norms string
		want               string
	}{
		{"UnknownTemplate", "platform: console", "{template: suport}",
			`tend.yaml:4:23: groups[0].norms.template: "suport" is not one of support, psychoeducation, therapy, online, team — did you mean "support"?`},
		{"UnknownKey", "platform: console", "{templat: support}",
			`tend.yaml:4:13: groups[0].norms.templat: unknown key "templat" — did you mean "template"?`},
		{"Both", "platform: console", "{template: support, items: [a]}",
			`tend.yaml:4:39: groups[0].norms.items: is set together with template — give template: (a built-in set) or items: (your own list), not both`},
		{"EmptyItems", "platform: console", "{items: []}",
			`tend.yaml:4:20: groups[0].norms.items: is empty — write at least one agreement`},
		{"LongItem", "platform: console", "{items: [ok, " + long + "]}",
			`tend.yaml:4:25: groups[0].norms.items[1]: is 301 characters long — keep each agreement to 300 characters`},
		{"BlankItem", "platform: console", `{items: [ok, "   "]}`,
			`tend.yaml:4:25: groups[0].norms.items[1]: is empty (or only spaces) — write the agreement, or remove the item`},
		{"ControlItem", "platform: console", `{items: ["one\ttwo"]}`,
			`tend.yaml:4:21: groups[0].norms.items[0]: holds a control character (a tab or a line break) — write each agreement as plain text on one line`},
		{"TooMany", "platform: console", "{items: [" + strings.TrimSuffix(strings.Repeat("a, ", 26), ", ") + "]}",
			`groups[0].norms.items: has 26 agreements; the most is 25`},
		{"TooLongInAll", "platform: console", tooMuch,
			`tend.yaml:4:20: groups[0].norms.items: comes to 3235 characters as a numbered list; the most is 3000 (Slack's limit for the edit form) — shorten the agreements by 235 characters in all`},
		{"RoleOffDiscord", "platform: slack\n    channel: C0123ABCD", "{require: true, role: \"123456789012345678\"}",
			`groups[0].norms.role: roles are a Discord feature; this group is on slack`},
		{"RoleNotID", "platform: discord\n    channel: \"111111111111111111\"\n    guild: \"222222222222222222\"", "{require: true, role: members}",
			`groups[0].norms.role: "members" is not a Discord role id`},
		{"RoleWithoutRequire", "platform: discord\n    channel: \"111111111111111111\"\n    guild: \"222222222222222222\"", "{role: \"333333333333333333\"}",
			`groups[0].norms.role: a role is granted on agreeing, which needs require: true — add require: true, or remove role:`},
		{"RoleWithoutGuild", "platform: discord\n    channel: \"111111111111111111\"", "{require: true, role: \"333333333333333333\"}",
			`groups[0].norms.role: tend needs the group's server to welcome newcomers there and grant the role — set guild: on the group`},
		{"RoleIsEveryone", "platform: discord\n    channel: \"111111111111111111\"\n    guild: \"222222222222222222\"", "{require: true, role: \"222222222222222222\"}",
			`groups[0].norms.role: is the server's @everyone role (its id is the server's): everybody has it, so it gates nothing — make a role for the group`},
		{"LobbyOnDiscord", "platform: discord\n    channel: \"111111111111111111\"", "{require: true, lobby_channel: \"444444444444444444\"}",
			`groups[0].norms.lobby_channel: on Discord newcomers arrive in the server`},
		{"LobbyIsChannel", "platform: slack\n    channel: C0123ABCD", "{require: true, lobby_channel: C0123ABCD}",
			`groups[0].norms.lobby_channel: is the group's own channel`},
		{"LobbyNotID", "platform: slack\n    channel: C0123ABCD", "{require: true, lobby_channel: \"#lobby\"}",
			`groups[0].norms.lobby_channel: "#lobby" is not a Slack channel id`},
		{"Repost", "platform: console", "{repost: weekly}",
			`groups[0].norms.repost: "weekly" is not one of never, each_session`},
		{"Require", "platform: console", "{require: maybe}",
			`groups[0].norms.require: expected true or false, got "maybe"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := "slack: {bot_token_env: X, app_token_env: Y}\ndiscord: {token_env: Z, application_id: \"123456789012345678\"}\ngroups:\n  - name: a\n    " + c.group + "\n    norms: " + c.norms + "\n"
			if !strings.Contains(c.group, "\n") {
				src = "groups:\n  - name: a\n    " + c.group + "\n    norms: " + c.norms + "\n"
			}
			_, errs := parseConfig(t, src)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, c.want) }) {
				t.Errorf("errors lack %q:\n%s", c.want, strings.Join(errs, "\n"))
			}
		})
	}
}

func TestSection_Summary(t *testing.T) {
	cfg, errs := parseConfig(t, "groups:\n  - {name: a, platform: console, admission: closed, norms: {template: therapy, require: true, lobby_channel: hall}}\n")
	if errs != nil {
		t.Fatal(errs)
	}
	got := Section().Summary(cfg.Groups[0].Group, cfg.Groups[0].Sections["norms"])
	if want := "template therapy, agreement required, newcomers arrive in hall, posted at the first session"; got != want {
		t.Errorf("summary %q; want %q", got, want)
	}
}

// TestApplyConfig: the file's settings win and chat cannot change them;
// its text becomes a version once, edits made in chat survive a restart
// with the same file, a changed file makes a new version, and a section
// taken out of the file hands the settings over to chat.
func TestApplyConfig(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := consoleEnv(t)
		apply := func(src string) {
			t.Helper()
			cfg, errs := parseConfig(t, "groups:\n  - {name: tuesday, platform: console, "+src+"}\n")
			if errs != nil {
				t.Fatal(errs)
			}
			n := cfg.Groups[0].Sections["norms"]
			if err := e.n.ApplyConfig(t.Context(), e.group, n); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		version := func() int {
			v, _ := e.db.CurrentNorms(t.Context(), e.group.ID)
			return v.Version
		}
		apply("norms: {require: true}")
		if v, _ := e.db.CurrentNorms(t.Context(), e.group.ID); v.Version != 1 || v.Source != "template:support" || v.Author != ConfigActor {
			t.Fatalf("a section without text gives the kind's template: %+v", v)
		}
		wantIn(t, "asked", render(e.lastDM("ann").Out.Message), "Group tuesday asks every member")
		apply("norms: {require: true}")
		if version() != 1 || len(e.dms("ann")) != 1 {
			t.Fatalf("applying the same file again: version %d, %d DMs; want 1 and 1", version(), len(e.dms("ann")))
		}
		wantIn(t, "file wins", e.cmd(fac, "norms require off"), "set in tend.yaml")

		apply(`norms: {require: true, items: ["Be kind", "Keep it here"]}`)
		if v, _ := e.db.CurrentNorms(t.Context(), e.group.ID); v.Version != 2 || v.Source != "config" {
			t.Fatalf("the file's own items: %+v; want version 2 from the config", v)
		}
		e.cmd(fac, `norms edit items:"Be kind; Keep it here; Come when you can"`)
		apply(`norms: {require: true, items: ["Be kind", "Keep it here"]}`)
		if version() != 3 {
			t.Fatalf("version %d after a restart with the same file; want the chat edit (3) kept", version())
		}
		apply(`norms: {require: true, template: online}`)
		if v, _ := e.db.CurrentNorms(t.Context(), e.group.ID); v.Version != 4 || v.Source != "template:online" {
			t.Fatalf("a changed file: %+v; want version 4 from the online template", v)
		}
		audit, err := e.db.AuditLog(t.Context(), e.group.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(audit, func(a bot.AuditEntry) bool { return a.Action == "norms.edit" && a.Actor == ConfigActor }) {
			t.Error("no audit entry for the file's versions")
		}

		apply("kind: support")
		if s, _ := e.db.NormsSettings(t.Context(), e.group.ID); len(s.FromFile) != 0 || !s.Require {
			t.Fatalf("after the section left the file: %+v; want the settings kept, none from the file", s)
		}
		wantIn(t, "chat now", e.cmd(fac, "norms require off"), "no longer required")
	})
}
