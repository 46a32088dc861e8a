package groups_test

import (
	"strings"
	"testing"

	"github.com/tend-bot/tend/bot"
)

// TestLimits_Console: names and console accounts have limits (a
// 10,000-character user: was accepted), and a refusal does not echo a
// runaway value back whole.
func TestLimits_Console(t *testing.T) {
	e := newEnv(t)
	e.run(owner, "c1", "group setup name:tuesday")
	huge := strings.Repeat("n", 10000)
	e.steps([]step{
		{as: owner, channel: "c1", cmd: "roster add user:" + huge, want: []string{"does not name a person", `"` + strings.Repeat("n", 40) + `"…`}, not: []string{strings.Repeat("n", 41)}},
		{as: owner, channel: "c1", cmd: "roster add user:" + strings.Repeat("s", 65), want: []string{"does not name a person", "1 to 64 letters"}},
		{as: owner, channel: "c1", cmd: "roster add user:" + strings.Repeat("s", 64), want: []string{"Added @" + strings.Repeat("s", 64)}},
		{as: owner, channel: "c1", cmd: "roster add user:sam!", want: []string{"does not name a person"}},
		{as: owner, channel: "c1", cmd: "roster add user:Siobhán.O_Neill-2", want: []string{"Added @Siobhán.O_Neill-2"}},
		{as: owner, channel: "c1", cmd: "group facilitators add user:" + huge, want: []string{"does not name a person"}, not: []string{"is now a facilitator"}},
		{as: owner, channel: "c1", cmd: "group facilitators add user:" + strings.Repeat("f", 65), want: []string{"does not name a person"}},
		{as: owner, channel: "c1", cmd: "roster add user:kim name:" + strings.Repeat("é", 81), want: []string{"That name is 81 characters long; a display name may be at most 80"}},
		{as: owner, channel: "c1", cmd: "roster add user:kim name:" + strings.Repeat("é", 80), want: []string{"Added " + strings.Repeat("é", 80)}},
		{as: owner, channel: "c1", cmd: "roster add user:lee name:\"" + huge + "\"", want: []string{"That name is 10000 characters long"}},
	})
	g := e.group("tuesday")
	for _, f := range g.Facilitators {
		if len(f) > 100 {
			t.Errorf("a runaway facilitator was stored: %.60s…", f)
		}
	}
}

// TestLimits_PlatformIDs: where a mention or id is taken, it must have the
// platform's shape: a Discord snowflake, a Slack U… or W… user id.
func TestLimits_PlatformIDs(t *testing.T) {
	e := newEnv(t)
	const ownerID, channel = "100000000000000001", "900000000000000001"
	e.runOn(bot.PlatformDiscord, ownerID, channel, "group setup name:on-discord")
	for _, c := range []struct{ cmd, want string }{
		{"roster add user:<@abc>", "does not name an account on discord"},
		{"roster add user:123456789012345678901", "does not name an account on discord"},
		{"group facilitators add user:<@" + strings.Repeat("9", 25) + ">", "does not name an account on discord"},
		{"group facilitators add role:<@&notanumber>", "is not a Discord role"},
		{"group facilitators add user:<@200000000000000002>", "<@200000000000000002> is now a facilitator"},
	} {
		if got := e.runOn(bot.PlatformDiscord, ownerID, channel, c.cmd); !strings.Contains(got, c.want) {
			t.Errorf("discord /tend %s:\n%s\nwant %q", c.cmd, got, c.want)
		}
	}

	ctx := t.Context()
	if _, err := e.db.CreateGroup(ctx, "slack:U0OWNER01", bot.Group{Name: "on-slack", Address: bot.Address{Platform: bot.PlatformSlack, Channel: "C0SLACK01"},
		Kind: bot.KindTeam, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard,
		Facilitators: []bot.Principal{"slack:U0OWNER01"}, Source: bot.SourceChat}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ cmd, want string }{
		{"roster add user:<@C0SLACK01>", "does not name an account on slack"},
		{"roster add user:<@u0lower>", "does not name an account on slack"},
		{"roster add user:<@U0MEMBER1|sam>", "Added <@U0MEMBER1> to the roster"},
		{"roster add user:W0ENTERPR", "Added <@W0ENTERPR> to the roster"},
		{"group facilitators add user:<@B0BOTUSER>", "does not name an account on slack"},
	} {
		if got := e.runOn(bot.PlatformSlack, "U0OWNER01", "C0SLACK01", c.cmd); !strings.Contains(got, c.want) {
			t.Errorf("slack /tend %s:\n%s\nwant %q", c.cmd, got, c.want)
		}
	}
}

// TestSetup_Zones: a zone in the wrong case gets its right spelling, and a
// zone without daylight saving time written as an abbreviation (EST) is
// taken with a note that it never changes its clocks.
func TestSetup_Zones(t *testing.T) {
	e := newEnv(t)
	e.steps([]step{
		{as: owner, channel: "c1", cmd: "group setup name:tuesday timezone:europe/london",
			want: []string{`Unknown time zone "europe/london": did you mean Europe/London? Zone names are case-sensitive.`}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday timezone:EST",
			want: []string{"This channel is now group tuesday", "Note: EST is a fixed offset, UTC-05:00 all year, with no daylight saving time", "such as America/New_York", "/tend group setup name:tuesday timezone:…"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday capacity:9", not: []string{"Note:"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday timezone:America/New_York", want: []string{"Time zone: America/New_York"}, not: []string{"Note:"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday timezone:MST", want: []string{"Note: MST is a fixed offset, UTC-07:00"}},
	})
}
