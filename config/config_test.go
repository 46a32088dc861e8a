package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tend-bot/tend/attendance"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/checkins"
	"github.com/tend-bot/tend/config"
	"github.com/tend-bot/tend/norms"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func parse(t *testing.T, src string, opts config.Options) (*config.Config, config.Errors) {
	t.Helper()
	if opts.File == "" {
		opts.File = "tend.yaml"
	}
	cfg, err := config.Parse(strings.NewReader(src), opts)
	if err == nil {
		if cfg == nil {
			t.Fatal("Parse returned neither a config nor an error")
		}
		return cfg, nil
	}
	var es config.Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse error is %T, not config.Errors: %v", err, err)
	}
	if cfg != nil {
		t.Fatal("Parse returned a config together with errors")
	}
	return nil, es
}

func TestParse_Defaults(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "{}\n"} {
		cfg, errs := parse(t, src, config.Options{})
		if errs != nil {
			t.Fatalf("%q: %v", src, errs)
		}
		if cfg.Storage.Path != "tend.db" || cfg.TimeZone != "UTC" || cfg.Log.Level != slog.LevelInfo || cfg.Log.Format != "text" {
			t.Errorf("%q: defaults = %+v", src, cfg)
		}
		if !cfg.ConsoleEnabled() || cfg.Discord != nil || cfg.Slack != nil {
			t.Errorf("%q: console should be the only platform", src)
		}
		if cfg.Safety.Resources == "" {
			t.Errorf("%q: no default crisis resources", src)
		}
	}
}

func TestParse_Group(t *testing.T) {
	src := `
timezone: Europe/Berlin
owners: [console:owner]
groups:
  - name: tuesday-support
    platform: console
    facilitators: ["console:alex"]
    schedule:
      weekly: tue 18:00
      duration: 90m
      count: 8
  - name: course
    platform: console
    channel: "#room"
    kind: psychoeducation
    admission: closed
    capacity: 10
    timezone: America/New_York
    privacy: minimal
    reminders: {lead: [48h, 30m], rsvp: no, dm: yes, starting_now: on}
    facilitators_channel: staff-room
`
	var checked []bot.Schedule
	var leads [][]time.Duration
	cfg, errs := parse(t, src, config.Options{
		CheckSchedule: func(s bot.Schedule, loc *time.Location) error {
			checked = append(checked, s)
			return nil
		},
		CheckLeads: func(l []time.Duration) error {
			leads = append(leads, l)
			return nil
		},
	})
	if errs != nil {
		t.Fatal(errs)
	}
	if len(cfg.Groups) != 2 {
		t.Fatalf("groups = %d", len(cfg.Groups))
	}
	g := cfg.Groups[0]
	want := bot.Group{Name: "tuesday-support", Address: bot.Address{Platform: "console", Channel: "tuesday-support"},
		Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "Europe/Berlin", Privacy: bot.PrivacyStandard,
		Facilitators: []bot.Principal{"console:alex"}, Source: bot.SourceConfig}
	if fmt.Sprint(g.Group) != fmt.Sprint(want) {
		t.Errorf("group = %+v\nwant    %+v", g.Group, want)
	}
	if g.Schedule == nil || g.Schedule.Weekly != "tue 18:00" || g.Schedule.Duration != 90*time.Minute || g.Schedule.Count != 8 {
		t.Errorf("schedule = %+v", g.Schedule)
	}
	if fmt.Sprint(g.Reminders.Leads) != "[24h0m0s 1h0m0s]" || !g.Reminders.RSVP || g.Reminders.DM || g.FacilitatorsChannel != "" {
		t.Errorf("defaults = %+v, facilitators' channel %q", g.Reminders, g.FacilitatorsChannel)
	}
	c := cfg.Groups[1]
	if c.Address.Channel != "room" || c.Kind != bot.KindPsychoeducation || c.Admission != bot.AdmissionClosed || c.Capacity != 10 ||
		c.TimeZone != "America/New_York" || c.Privacy != bot.PrivacyMinimal || c.Schedule != nil {
		t.Errorf("course = %+v", c)
	}
	if fmt.Sprint(c.Reminders) != "{[48h0m0s 30m0s] false true true}" {
		t.Errorf("reminders = %+v", c.Reminders)
	}
	if c.FacilitatorsChannel != "staff-room" {
		t.Errorf("facilitators' channel %q", c.FacilitatorsChannel)
	}
	// The series and the lead times each went through their hook.
	if len(checked) != 1 || checked[0].Weekly != "tue 18:00" {
		t.Errorf("CheckSchedule saw %+v", checked)
	}
	if fmt.Sprint(leads) != "[[48h0m0s 30m0s]]" {
		t.Errorf("CheckLeads saw %v", leads)
	}
	if len(cfg.BotGroups()) != 2 || cfg.BotGroups()[1].Name != "course" {
		t.Errorf("BotGroups = %+v", cfg.BotGroups())
	}
}

// TestParse_Errors holds every kind of problem: each names the file, line,
// column and field, and says what to write instead.
func TestParse_Errors(t *testing.T) {
	badCron := func(s bot.Schedule, _ *time.Location) error {
		if s.Cron == "61 * * * *" {
			return errors.New("cron \"61 * * * *\": minute 61 is out of range: write a minute from 0 to 59")
		}
		if s.Cron == "panic" {
			panic("index out of range")
		}
		return nil
	}
	tests := []struct {
		name string
		src  string
		env  map[string]string
		want []string // each error, as "line:col field | problem part | fix part"
	}{
		{"UnknownTopKey", "timezon: UTC\n", nil,
			[]string{`1:1 timezon | unknown key "timezon" | did you mean "timezone"?`}},
		{"UnknownNestedKey", "groups:\n  - name: a\n    platform: console\n    schedule: {weekly: tue 18:00, duraton: 1h}\n", nil,
			[]string{`4:35 groups[0].schedule.duraton | unknown key | did you mean "duration"?`}},
		{"SecretInline", "discord:\n  token: abc.def\n", nil,
			[]string{`2:3 discord.token | unknown key | use token_env`, `2:3 discord.token_env | neither token_env nor token_file | add token_env:`}},
		{"SlackSecretInline", "slack:\n  bot_token: xoxb-1\n  app_token_env: A\n", map[string]string{"A": "xapp"},
			[]string{`2:3 slack.bot_token | unknown key | use bot_token_env`, `2:3 slack.bot_token_env | neither`}},
		{"WrongTypeInt", "groups:\n  - name: a\n    platform: console\n    capacity: twelve\n", nil,
			[]string{`4:15 groups[0].capacity | expected a whole number, got "twelve" | such as 12`}},
		{"WrongTypeList", "owners: console:owner\n", nil,
			[]string{`1:9 owners | expected a list | write a list such as`}},
		{"WrongTypeMapping", "storage: tend.db\n", nil,
			[]string{`1:10 storage | expected a mapping of keys | indented under storage:`}},
		{"WrongTypeBool", "groups:\n  - name: a\n    platform: console\n    reminders: {rsvp: maybe}\n", nil,
			[]string{`4:23 groups[0].reminders.rsvp | expected true or false | write true or false`}},
		{"BadZone", "timezone: Europe/Londn\n", nil,
			[]string{`1:11 timezone | unknown time zone "Europe/Londn" | IANA name`}},
		{"BadGroupZone", "groups:\n  - name: a\n    platform: console\n    timezone: EST5EDTX\n", nil,
			[]string{`4:15 groups[0].timezone | unknown time zone | IANA name`}},
		{"BadDuration", "groups:\n  - name: a\n    platform: console\n    schedule:\n      weekly: tue 18:00\n      duration: 90 minutes\n", nil,
			[]string{`6:17 groups[0].schedule.duration | "90 minutes" is not a duration | such as 90m`}},
		{"BadLead", "groups:\n  - name: a\n    platform: console\n    reminders: {lead: [24h, 1 hour, -5m]}\n", nil,
			[]string{`4:29 groups[0].reminders.lead[1] | not a duration | such as 90m`, `4:37 groups[0].reminders.lead[2] | not a positive duration | such as 90m`}},
		{"BadCron", "groups:\n  - name: a\n    platform: console\n    schedule: {cron: \"61 * * * *\"}\n", nil,
			[]string{`4:22 groups[0].schedule.cron | minute 61 is out of range | write a minute from 0 to 59`}},
		{"PanickingCron", "groups:\n  - name: a\n    platform: console\n    schedule: {cron: panic}\n", nil,
			[]string{`4:22 groups[0].schedule.cron | could not be read | cron:`}},
		{"NoSchedule", "groups:\n  - name: a\n    platform: console\n    schedule: {duration: 1h}\n", nil,
			[]string{`4:15 groups[0].schedule.weekly | needs weekly: or cron: | weekly: tue 18:00`}},
		{"CountZero", "groups:\n  - name: a\n    platform: console\n    schedule: {weekly: tue 18:00, count: 0}\n", nil,
			[]string{`4:42 groups[0].schedule.count | gives no sessions | such as 8`}},
		{"MissingEnv", "discord:\n  token_env: DISCORD_TOKEN\n", nil,
			[]string{`2:14 discord.token_env | environment variable DISCORD_TOKEN is not set | export DISCORD_TOKEN=`}},
		{"EmptyEnv", "slack:\n  bot_token_env: B\n  app_token_env: A\n", map[string]string{"B": "xoxb", "A": " "},
			[]string{`3:18 slack.app_token_env | environment variable A is empty | export A=`}},
		{"HTTPModeNeedsSigningSecret", "slack:\n  mode: http\n  bot_token_env: B\n", map[string]string{"B": "xoxb"},
			[]string{`2:3 slack.signing_secret_env | signing secret | signing_secret_file`}},
		{"MissingSecretFile", "discord:\n  token_file: /nonexistent/tend-token\n", nil,
			[]string{`2:15 discord.token_file | does not exist | check the path`}},
		{"BothEnvAndFile", "discord:\n  token_env: T\n  token_file: /x\n", map[string]string{"T": "t"},
			[]string{`3:3 discord.token_file | both token_env and token_file | keep one`}},
		{"DuplicateGroupName", "groups:\n  - name: a\n    platform: console\n  - name: a\n    platform: console\n", nil,
			[]string{`4:11 groups[1].name | already used by groups[0] on line 2 | own name`}},
		{"DuplicateChannel", "groups:\n  - {name: a, platform: console, channel: x}\n  - {name: b, platform: console, channel: x}\n", nil,
			[]string{`3:43 groups[1].channel | already bound to groups[0] | own channel`}},
		{"DuplicateKey", "timezone: UTC\ntimezone: UTC\n", nil,
			[]string{`2:1 timezone | set twice (first on line 1) | keep one`}},
		{"UnknownPlatform", "groups:\n  - name: a\n    platform: discrod\n", nil,
			[]string{`3:15 groups[0].platform | "discrod" is not one of discord, slack, console | did you mean "discord"?`}},
		{"PlatformNotConfigured", "groups:\n  - name: a\n    platform: slack\n    channel: C0123ABCD\n", nil,
			[]string{`3:15 groups[0].platform | no slack: section | add a slack: section`}},
		{"UnknownKind", "groups:\n  - name: a\n    platform: console\n    kind: suport\n", nil,
			[]string{`4:11 groups[0].kind | not one of support | did you mean "support"?`}},
		{"UnknownAdmission", "groups:\n  - name: a\n    platform: console\n    admission: rolling\n", nil,
			[]string{`4:16 groups[0].admission | not one of open, closed | write one of: open, closed`}},
		{"UnknownPrivacy", "groups:\n  - name: a\n    platform: console\n    privacy: none\n", nil,
			[]string{`4:14 groups[0].privacy | not one of standard, minimal | write one of`}},
		{"BadOwner", "owners: [\"discord123\", \"role:5\", \"irc:bob\"]\n", nil,
			[]string{`1:10 owners[0] | not of the form platform:id | discord:`, `1:24 owners[1] | not a role | platform:id`, `1:34 owners[2] | unknown kind "irc" | discord:, slack:, console: or role:`}},
		{"FacilitatorWrongPlatform", "groups:\n  - name: a\n    platform: console\n    facilitators: [\"discord:123456\", \"role:9\"]\n", nil,
			[]string{`4:20 groups[0].facilitators[0] | discord account but the group is on console | console:id`, `4:38 groups[0].facilitators[1] | roles are a Discord feature | console:id`}},
		{"BadName", "groups:\n  - name: Tuesday Support\n    platform: console\n", nil,
			[]string{`2:11 groups[0].name | may use only lowercase letters | tuesday-support`}},
		{"LongTopic", "groups:\n  - name: a\n    platform: console\n    schedule: {weekly: tue 18:00, topics: [ok, " + strings.Repeat("t", 201) + "]}\n", nil,
			[]string{`4:48 groups[0].schedule.topics[1] | is 201 characters long; at most 200 fit | what to bring`}},
		{"LongLink", "groups:\n  - name: a\n    platform: console\n    schedule: {weekly: tue 18:00, link: https://example.org/" + strings.Repeat("x", 481) + "}\n", nil,
			[]string{`4:41 groups[0].schedule.link | is 501 characters long; at most 500 fit | short link`}},
		{"LongResources", "safety:\n  resources: " + strings.Repeat("r", 1501) + "\n", nil,
			[]string{`2:14 safety.resources | is 1501 characters long; at most 1500 fit | emergency number`}},
		{"OwnerShapes", "owners: [\"discord:sam\", \"slack:C0123ABCD\", \"console:" + strings.Repeat("o", 65) + "\"]\n", nil,
			[]string{`1:10 owners[0] | "discord:sam" does not name a discord account | Copy User ID`,
				`1:25 owners[1] | "slack:C0123ABCD" does not name a slack account | Copy member ID`,
				`1:44 owners[2] | does not name a console account | 1 to 64 letters`}},
		{"FacilitatorShapes", "discord: {token_env: T}\ngroups:\n  - name: a\n    platform: discord\n    channel: \"900000000000000001\"\n    facilitators: [\"discord:<@sam>\", \"role:mods\", \"discord:200000000000000002\"]\n", map[string]string{"T": "t"},
			[]string{`6:20 groups[0].facilitators[0] | does not name a discord account | discord:123456789012345678`,
				`6:38 groups[0].facilitators[1] | "role:mods" does not name a Discord role | Copy Role ID`}},
		{"ZoneCase", "timezone: europe/london\n", nil,
			[]string{`1:11 timezone | unknown time zone "europe/london" | did you mean Europe/London? Zone names are case-sensitive`}},
		{"GroupZoneCase", "groups:\n  - name: a\n    platform: console\n    timezone: america/new_york\n", nil,
			[]string{`4:15 groups[0].timezone | unknown time zone | did you mean America/New_York?`}},
		{"DuplicateNameWithOtherErrors", "groups:\n  - name: a\n    platform: console\n    capacity: -1\n  - name: a\n    platform: console\n    kind: book-club\n", nil,
			[]string{`4:15 groups[0].capacity | -1 is out of range`, `5:11 groups[1].name | already used by groups[0] on line 2 | own name`, `7:11 groups[1].kind | "book-club" is not one of`}},
		{"DuplicateChannelWithOtherErrors", "groups:\n  - {name: a, platform: console, channel: x, capacity: -1}\n  - {name: b, platform: console, channel: x, privacy: none}\n", nil,
			[]string{`2:56 groups[0].capacity | out of range`, `3:43 groups[1].channel | already bound to groups[0] | own channel`, `3:55 groups[1].privacy | not one of`}},
		{"LongName", "groups:\n  - name: a-name-that-goes-on-and-on-for-more-than-forty-characters\n    platform: console\n", nil,
			[]string{`2:11 groups[0].name | 1 to 40 characters | tuesday-support`}},
		{"BadDate", "groups:\n  - name: a\n    platform: console\n    schedule: {weekly: tue 18:00, starts: 1/12/2026}\n", nil,
			[]string{`4:43 groups[0].schedule.starts | "1/12/2026" is not a date | such as 2027-01-03`}},
		{"MissingName", "groups:\n  - platform: console\n", nil,
			[]string{`2:5 groups[0].name | needs a name | add name:`}},
		{"DiscordChannelNotID", "discord: {token_env: T}\ngroups:\n  - {name: a, platform: discord, channel: general}\n", map[string]string{"T": "t"},
			[]string{`3:43 groups[0].channel | not a Discord channel id | Copy Channel ID`}},
		{"ConsoleOff", "console: {enabled: off}\ngroups:\n  - {name: a, platform: console}\n", nil,
			[]string{`3:25 groups[0].platform | console adapter is off | enabled: on`}},
		{"NotYAML", "groups:\n  - name: a\n\tplatform: console\n", nil,
			[]string{`3:1  | not valid YAML | indentation`}},
		{"TwoDocuments", "timezone: UTC\n---\ntimezone: UTC\n", nil,
			[]string{`2:1  | more than one YAML document | remove the --- separator`}},
		{"BadLink", "groups:\n  - name: a\n    platform: console\n    schedule: {weekly: tue 18:00, link: meet.example.org}\n", nil,
			[]string{`4:41 groups[0].schedule.link | not a web link | https://`}},
		{"BadListenAndURL", "slack:\n  mode: http\n  bot_token_env: B\n  signing_secret_env: S\n  listen: localhost\n  api_url: ftp://example.org\n", map[string]string{"B": "xoxb", "S": "s"},
			[]string{`5:11 slack.listen | "localhost" is not host:port | 127.0.0.1:3000`, `6:12 slack.api_url | not an http or https URL | https://`}},
		{"UnknownSection", "groups:\n  - name: a\n    platform: console\n    welcome: {text: hi}\n", nil,
			[]string{`4:5 groups[0].welcome | unknown key "welcome" | keys here:`}},
		{"FacilitatorsChannelIsGroupChannel", "groups:\n  - {name: a, platform: console, channel: a, facilitators_channel: a}\n", nil,
			[]string{`2:68 groups[0].facilitators_channel | the group's own channel | private channel`}},
		{"PastedSecretAsEnvName", "slack:\n  mode: http\n  bot_token_env: xoxb-1234567890-abcdefghijkl\n  signing_secret_env: a3f9c0d4e5b6a7c8d9e0f1a2b3c4d5e6\n", nil,
			[]string{`3:18 slack.bot_token_env | looks like the secret itself | SLACK_BOT_TOKEN`, `4:23 slack.signing_secret_env | looks like the secret itself | SLACK_SIGNING_SECRET`}},
		{"SeveralAtOnce", "timezone: Mars/Olympus\nlog: {level: loud}\ngroups:\n  - name: a\n    platform: console\n    capacity: -1\n    colour: blue\n", nil,
			[]string{`1:11 timezone | unknown time zone`, `2:14 log.level | "loud" is not one of debug, info, warn, error | write one of`,
				`6:15 groups[0].capacity | -1 is out of range | from 0 to 10000`, `7:5 groups[0].colour | unknown key | keys here:`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := func() time.Time { return time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC) }
			_, errs := parse(t, tc.src, config.Options{LookupEnv: env(tc.env), CheckSchedule: badCron, Now: now})
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tc.want), errs)
			}
			for i, w := range tc.want {
				e := errs[i]
				parts := strings.Split(w, " | ")
				head := fmt.Sprintf("%d:%d %s", e.Line, e.Column, e.Field)
				if head != parts[0] {
					t.Errorf("error %d at %q, want %q (%v)", i, head, parts[0], e)
				}
				if e.File != "tend.yaml" {
					t.Errorf("error %d file %q", i, e.File)
				}
				if len(parts) > 1 && !strings.Contains(e.Problem, parts[1]) {
					t.Errorf("error %d problem %q does not say %q", i, e.Problem, parts[1])
				}
				if len(parts) > 2 && !strings.Contains(e.Fix, parts[2]) {
					t.Errorf("error %d fix %q does not say %q", i, e.Fix, parts[2])
				}
				if e.Fix == "" {
					t.Errorf("error %d has no fix: %v", i, e)
				}
				for _, secret := range []string{"xoxb-1234567890", "a3f9c0d4e5b6", "abc.def", "xoxb-1"} {
					if strings.Contains(e.Error(), secret) {
						t.Errorf("error %d echoes a secret: %v", i, e)
					}
				}
				if ex := repeatedExample(e.Error()); ex != "" {
					t.Errorf("error %d gives the example %q twice: %v", i, ex, e)
				}
				wantPrefix := fmt.Sprintf("tend.yaml:%d:%d: ", e.Line, e.Column)
				if !strings.HasPrefix(e.Error(), wantPrefix) || !strings.Contains(e.Error(), " — ") {
					t.Errorf("error %d prints %q", i, e.Error())
				}
			}
		})
	}
}

func TestParse_SecretsNeverPrint(t *testing.T) {
	const token = "MTIz.very-secret-token"
	src := "discord:\n  token_env: DISCORD_TOKEN\n  application_id: \"123456789012345678\"\n" +
		"slack:\n  mode: http\n  bot_token_env: SLACK_BOT\n  signing_secret_file: " + filepath.Join(t.TempDir(), "sig") + "\n"
	sigPath := strings.TrimSpace(src[strings.LastIndex(src, ": ")+2:])
	if err := os.WriteFile(sigPath, []byte("sig-secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, errs := parse(t, src, config.Options{LookupEnv: env(map[string]string{"DISCORD_TOKEN": token + "\n", "SLACK_BOT": "xoxb-secret"})})
	if errs != nil {
		t.Fatal(errs)
	}
	if cfg.Discord.Token.Reveal() != token || cfg.Slack.BotToken.Reveal() != "xoxb-secret" || cfg.Slack.SigningSecret.Reveal() != "sig-secret-value" {
		t.Fatalf("secrets not resolved: %q %q %q", cfg.Discord.Token.Reveal(), cfg.Slack.BotToken.Reveal(), cfg.Slack.SigningSecret.Reveal())
	}
	if cfg.Slack.Listen != config.DefaultSlackListen || cfg.Slack.Mode != config.SlackHTTP || cfg.ConsoleEnabled() {
		t.Errorf("slack = %+v, console %v", cfg.Slack, cfg.ConsoleEnabled())
	}
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", "token", cfg.Discord.Token, "slack", cfg.Slack)
	outs := []string{
		fmt.Sprint(cfg.Discord.Token), fmt.Sprintf("%v %+v %#v %s %q %d %x", cfg.Discord, cfg.Discord, cfg.Discord, cfg.Discord.Token, cfg.Discord.Token, cfg.Discord.Token, cfg.Discord.Token),
		fmt.Sprintf("%+v %#v", *cfg.Slack, *cfg.Slack), string(j), string(y), logged.String(),
	}
	for _, out := range outs {
		for _, secret := range []string{token, "xoxb-secret", "sig-secret-value"} {
			if strings.Contains(out, secret) {
				t.Errorf("a secret leaked: %s", out)
			}
		}
	}
	if !strings.Contains(outs[0], "[redacted]") {
		t.Errorf("Secret prints %q", outs[0])
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tend.yaml")
	if err := os.WriteFile(path, []byte("timezone: Nowhere/Town\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path, config.Options{})
	var es config.Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].File != path || !strings.HasPrefix(err.Error(), path+":1:11: timezone: ") {
		t.Fatalf("Load error = %v", err)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml"), config.Options{}); err == nil || errors.As(err, &es) {
		t.Fatalf("a missing file gave %v", err)
	}
}

// TestExample keeps config.example.yaml honest: it parses as shipped (no
// environment needed), and with its discord: and slack: sections
// uncommented and fake secrets in the environment.
func TestExample(t *testing.T) {
	src, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var schedules int
	opts := config.Options{File: "config.example.yaml", CheckSchedule: func(bot.Schedule, *time.Location) error { schedules++; return nil },
		// The features' own sections, as tend registers them.
		Sections: append([]bot.ConfigSection{norms.Section(), attendance.Section()}, checkins.Sections()...)}
	cfg, err := config.Parse(strings.NewReader(string(src)), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ConsoleEnabled() || cfg.Discord != nil || cfg.Slack != nil || len(cfg.Groups) < 2 || schedules != 2 {
		t.Fatalf("example: console %v discord %v slack %v groups %d schedules checked %d", cfg.ConsoleEnabled(), cfg.Discord, cfg.Slack, len(cfg.Groups), schedules)
	}

	full := uncommentSections(string(src), "# discord:", "# slack:", "# http:", "# calendar:")
	full = strings.Replace(full, "enabled: auto", "enabled: on", 1)
	if full == string(src) || !strings.Contains(full, "\ndiscord:\n") || !strings.Contains(full, "\nslack:\n") {
		t.Fatal("could not uncomment the platform sections")
	}
	opts.LookupEnv = env(map[string]string{"DISCORD_TOKEN": "d-token", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "s"})
	cfg, err = config.Parse(strings.NewReader(full), opts)
	if err != nil {
		t.Fatalf("example with platforms:\n%v", err)
	}
	if cfg.Discord == nil || cfg.Discord.Token.Reveal() != "d-token" || cfg.Discord.ApplicationID == "" || len(cfg.Discord.GuildIDs) != 1 {
		t.Errorf("discord = %+v", cfg.Discord)
	}
	if cfg.Slack == nil || cfg.Slack.Mode != config.SlackSocket || cfg.Slack.BotToken.Reveal() != "xoxb-1" || cfg.Slack.AppToken.Reveal() != "xapp-1" {
		t.Errorf("slack = %+v", cfg.Slack)
	}
	if cfg.HTTP == nil || cfg.HTTP.Listen != "127.0.0.1:9090" || cfg.HTTP.AllowRemote {
		t.Errorf("http = %+v", cfg.HTTP)
	}
	if cfg.Calendar == nil || cfg.Calendar.Listen != "127.0.0.1:8081" || cfg.Calendar.BaseURL != "https://tend.example.org" {
		t.Errorf("calendar = %+v", cfg.Calendar)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
	// Without the environment, each enabled platform's secret is reported.
	opts.LookupEnv = nil
	_, err = config.Parse(strings.NewReader(full), opts)
	for _, want := range []string{"discord.token_env: environment variable DISCORD_TOKEN is not set", "slack.bot_token_env: environment variable SLACK_BOT_TOKEN", "slack.app_token_env: environment variable SLACK_APP_TOKEN"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("without env: %v\nwant %q", err, want)
		}
	}
}

// uncommentSections removes one leading "# " from each line of the
// commented-out sections that start with the given lines, up to the next
// blank line.
func uncommentSections(src string, starts ...string) string {
	lines := strings.Split(src, "\n")
	in := false
	for i, l := range lines {
		for _, s := range starts {
			if l == s {
				in = true
			}
		}
		if strings.TrimSpace(l) == "" {
			in = false
		}
		if in {
			lines[i] = strings.TrimPrefix(l, "# ")
		}
	}
	return strings.Join(lines, "\n")
}

// TestParse_NeverPanics feeds the parser mangled versions of the example.
func TestParse_NeverPanics(t *testing.T) {
	src, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for i := 0; i < len(s); i += 97 {
		for _, mangled := range []string{s[:i], s[:i] + "]" + s[i:], s[:i] + "\n  - : {" + s[i:], s[:i] + " *x " + s[i:]} {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("Parse panicked at offset %d: %v", i, r)
					}
				}()
				cfg, err := config.Parse(strings.NewReader(mangled), config.Options{})
				if (cfg == nil) == (err == nil) {
					t.Fatalf("offset %d: config %v and error %v", i, cfg != nil, err)
				}
			}()
		}
	}
}

// FuzzParse parses arbitrary files with the hooks tend passes (the
// schedule package's limits), so that a schedule that makes them spin is
// found too (issue 9, points 21 and 25).
func FuzzParse(f *testing.F) {
	f.Add("groups:\n  - name: a\n    platform: console\n")
	f.Add("discord: {token_env: X}\n")
	f.Add("groups:\n  - name: a\n    platform: console\n    schedule: {cron: \"* * * * *\", duration: 1m, starts: 0001-01-01, until: 2999-12-31}\n")
	f.Add("groups:\n  - name: a\n    platform: console\n    timezone: America/New_York\n    schedule: {weekly: \"mon,thu 02:30\", duration: 90m, starts: 2026-03-01, count: 8, topics: [a, b]}\n    reminders: {lead: [24h, 1h]}\n    checkins: {between: {cron: \"0 12 * * FRI\"}}\n")
	opts := scheduleHooks
	opts.ReadFile = func(string) ([]byte, error) { return nil, os.ErrNotExist }
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := config.Parse(strings.NewReader(src), opts)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("config %v and error %v", cfg != nil, err)
		}
		var es config.Errors
		if err != nil && (!errors.As(err, &es) || len(es) == 0) {
			t.Fatalf("error %T %v", err, err)
		}
		for _, e := range es {
			if e.Line < 1 || e.Column < 1 || e.Fix == "" {
				t.Fatalf("error without position or fix: %#v", e)
			}
		}
	})
}

// BenchmarkParseExample parses config.example.yaml, the size of a typical
// deployment's file.
func BenchmarkParseExample(b *testing.B) {
	src, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := config.Parse(bytes.NewReader(src), config.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParse_FeatureSections: a feature's section is handed to its Check as
// a neutral node with positions; its problems are reported with the
// others, all at once, at file:line:col; a global section is found under
// its dotted path; the checked nodes are kept for the feature to apply.
func TestParse_FeatureSections(t *testing.T) {
	var sawGroup string
	norms := bot.ConfigSection{Key: "norms", Check: func(g bot.Group, n *bot.Node, path string) []bot.ConfigProblem {
		sawGroup = g.Name
		var r bot.NodeReader
		m := r.Map(n, path, []string{"template", "require"})
		r.OneOf(m["template"], path+".template", []string{"support", "team"})
		r.Bool(m["require"], path+".require")
		return r.Problems
	}}
	phrases := bot.ConfigSection{Key: "safety.crisis_phrases", Global: true, Check: func(_ bot.Group, n *bot.Node, path string) []bot.ConfigProblem {
		var r bot.NodeReader
		r.Strings(n, path, `["x"]`, 10)
		return r.Problems
	}}
	opts := config.Options{Sections: []bot.ConfigSection{norms, phrases}}
	src := "safety:\n  crisis_phrases: [\"a much too long phrase\"]\ngroups:\n  - name: a\n    platform: console\n    capacity: -1\n    norms: {template: suport, require: maybe, colour: red}\n"
	_, errs := parse(t, src, opts)
	want := []string{
		`tend.yaml:2:20: safety.crisis_phrases[0]: is 22 characters long — keep each to 10 characters`,
		`tend.yaml:6:15: groups[0].capacity: -1 is out of range — write a number from 0 to 10000`,
	}
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = e.Error()
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("errors lack %q:\n%s", w, strings.Join(got, "\n"))
		}
	}
	// The group had a problem of its own: its section is checked once the
	// group is sound, so fix that and look again.
	src = strings.Replace(src, "capacity: -1", "capacity: 5", 1)
	_, errs = parse(t, src, opts)
	got = got[:0]
	for _, e := range errs {
		got = append(got, e.Error())
	}
	for _, w := range []string{
		`tend.yaml:7:23: groups[0].norms.template: "suport" is not one of support, team — did you mean "support"? (write one of: support, team)`,
		`tend.yaml:7:40: groups[0].norms.require: expected true or false, got "maybe" — write true or false`,
		`tend.yaml:7:47: groups[0].norms.colour: unknown key "colour" — keys here: template, require`,
	} {
		if !slices.Contains(got, w) {
			t.Errorf("errors lack %q:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if sawGroup != "a" {
		t.Errorf("the section's Check saw group %q; want a", sawGroup)
	}
	src = "safety:\n  crisis_phrases: [\"short\"]\ngroups:\n  - {name: a, platform: console, norms: {template: team}}\n"
	cfg, errs := parse(t, src, opts)
	if errs != nil {
		t.Fatal(errs)
	}
	if n := cfg.Groups[0].Sections["norms"]; n == nil || n.Kind != bot.NodeMap || n.Line != 4 {
		t.Errorf("kept norms node %+v", n)
	}
	if n := cfg.Sections["safety.crisis_phrases"]; n == nil || len(n.Items) != 1 || n.Items[0].Value != "short" {
		t.Errorf("kept crisis phrases %+v", n)
	}
}

// repeatedExample returns an example phrase ("such as X", "for example X",
// "e.g. X") that msg gives more than once, or "".
func repeatedExample(msg string) string {
	seen := map[string]bool{}
	for _, marker := range []string{"such as ", "for example ", "e.g. "} {
		rest := msg
		for {
			i := strings.Index(rest, marker)
			if i < 0 {
				break
			}
			rest = rest[i+len(marker):]
			ex := rest
			if j := strings.IndexAny(ex, ",;)—"); j >= 0 {
				ex = ex[:j]
			}
			ex = strings.TrimSpace(ex)
			if ex == "" {
				continue
			}
			if seen[ex] {
				return ex
			}
			seen[ex] = true
		}
	}
	// An example repeated without its marker: the problem's example
	// again in the fix.
	for ex := range seen {
		if strings.Count(msg, ex) > 1 {
			return ex
		}
	}
	return ""
}

// TestParse_LimitsFit: text at each limit, counted in characters (not
// bytes), and ids of each platform's shape are accepted.
func TestParse_LimitsFit(t *testing.T) {
	src := "owners: [\"discord:123456789012345678\", \"slack:W0123ABCD\", \"console:" + strings.Repeat("o", 64) + "\"]\n" +
		"safety:\n  resources: \"" + strings.Repeat("é", 1500) + "\"\n" +
		"groups:\n  - name: a\n    platform: console\n    schedule:\n      weekly: tue 18:00\n" +
		"      topics: [\"" + strings.Repeat("ü", 200) + "\"]\n" +
		"      link: https://example.org/" + strings.Repeat("x", 480) + "\n"
	cfg, errs := parse(t, src, config.Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	if n := len([]rune(cfg.Groups[0].Schedule.Topics[0])); n != 200 {
		t.Errorf("topic of %d characters", n)
	}
	if len(cfg.Groups[0].Schedule.Link) != 500 || len([]rune(cfg.Safety.Resources)) != 1500 || len(cfg.Owners) != 3 {
		t.Errorf("link %d, resources %d, owners %v", len(cfg.Groups[0].Schedule.Link), len([]rune(cfg.Safety.Resources)), cfg.Owners)
	}
}

// TestParse_Warnings: what tend accepts but the operator should look at is
// returned with the config, located like an error: a zone without daylight
// saving time written as an abbreviation, a secret file others can read.
func TestParse_Warnings(t *testing.T) {
	dir := t.TempDir()
	open, private := filepath.Join(dir, "open-token"), filepath.Join(dir, "private-token")
	for _, f := range []string{open, private} {
		if err := os.WriteFile(f, []byte("not-a-real-token\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	src := "timezone: EST\n" +
		"discord:\n  token_file: " + open + "\n" +
		"slack:\n  bot_token_file: " + private + "\n  app_token_file: " + open + "\n" +
		"groups:\n  - name: a\n    platform: console\n    timezone: MST\n  - name: b\n    platform: console\n    timezone: Europe/London\n"
	src = "console: {enabled: on}\n" + src
	now := func() time.Time { return time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC) }
	cfg, errs := parse(t, src, config.Options{Now: now})
	if errs != nil {
		t.Fatal(errs)
	}
	want := []string{
		`tend.yaml:2:11: timezone: EST is a fixed offset, UTC-05:00 all year, with no daylight saving time — if the group meets where clocks change, use the zone of its city, such as America/New_York`,
		`tend.yaml:4:15: discord.token_file: secret file ` + open + ` can be read by other users (mode 0644) — run chmod 600 ` + open,
		`tend.yaml:7:19: slack.app_token_file: secret file ` + open + ` can be read by other users (mode 0644)`,
		`tend.yaml:11:15: groups[0].timezone: MST is a fixed offset, UTC-07:00 all year`,
	}
	if len(cfg.Warnings) != len(want) {
		t.Fatalf("%d warnings, want %d:\n%v", len(cfg.Warnings), len(want), cfg.Warnings)
	}
	for i, w := range want {
		if got := cfg.Warnings[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("warning %d:\n got %s\nwant %s…", i, got, w)
		}
	}
	if strings.Contains(cfg.Warnings.Error(), "not-a-real-token") {
		t.Error("a warning shows the secret")
	}
}

// TestParse_ResourcesClaims: safety.resources that says what tend did or
// whether anyone watches ("a facilitator has been told", "not monitored")
// is accepted with a warning at its line, because tend shows it also when
// nobody was told; numbers alone, even "24/7", are not warned about.
func TestParse_ResourcesClaims(t *testing.T) {
	for _, tc := range []struct{ resources, claim string }{
		{"Call 999. A facilitator has been told; this bot is not monitored around the clock.", "has been told"},
		{"Call 999. Your facilitators were informed.", "were informed"},
		{"Call 999. This bot is unmonitored.", "unmonitored"},
		{"Call 999. Someone is watching these messages.", "watching"},
		{"Call 999. A facilitator will reach out soon.", "will reach out"},
		{"Call 999, or text SHOUT to 85258 (free, 24/7).", ""},
		{"Samaritans: call 116 123, free, any time, around the clock.", ""},
	} {
		src := "console: {enabled: on}\nsafety:\n  resources: \"" + tc.resources + "\"\n"
		cfg, err := parse(t, src, config.Options{})
		if err != nil {
			t.Fatalf("%q: %v", tc.resources, err)
		}
		if got := config.ResourcesClaim(tc.resources); got != tc.claim {
			t.Errorf("ResourcesClaim(%q) = %q; want %q", tc.resources, got, tc.claim)
		}
		if tc.claim == "" {
			if len(cfg.Warnings) != 0 {
				t.Errorf("%q: warnings %v", tc.resources, cfg.Warnings)
			}
			continue
		}
		if len(cfg.Warnings) != 1 || !strings.HasPrefix(cfg.Warnings[0].Error(), `tend.yaml:3:14: safety.resources: says "`+tc.claim+`"`) ||
			!strings.Contains(cfg.Warnings[0].Error(), "safety.around_the_clock") {
			t.Errorf("%q: warnings %v", tc.resources, cfg.Warnings)
		}
	}
}

// TestParse_PlannedSectionRefused: a section of a feature that is designed
// but not in this version is refused as such, at its line — never accepted
// and ignored — in a group and at the top of the file alike.
func TestParse_PlannedSectionRefused(t *testing.T) {
	src := "safety:\n  later: [x]\ngroups:\n  - name: a\n    platform: console\n    gratitude: {round: true}\n"
	_, errs := parse(t, src, config.Options{Planned: []string{"gratitude", "safety.later"}})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	for _, want := range []string{
		"tend.yaml:2:3: safety.later: is not available in this version of tend",
		"tend.yaml:6:5: groups[0].gratitude: is not available in this version of tend",
	} {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, want)
		}
		if !found {
			t.Errorf("errors lack %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
}
