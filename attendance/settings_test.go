package attendance

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
)

// parseSection parses a config with one group (on platform) holding the
// attendance section src, through the real config loader.
func parseSection(t *testing.T, platform, src string) (*config.Config, []string) {
	t.Helper()
	head := "groups:\n  - name: a\n    platform: console\n"
	env := map[string]string{}
	switch platform {
	case bot.PlatformDiscord:
		head = "discord: {token_env: T, application_id: \"123456789012345678\"}\ngroups:\n  - name: a\n    platform: discord\n    channel: \"223456789012345678\"\n"
		env["T"] = "token"
	case bot.PlatformSlack:
		head = "slack: {mode: socket, bot_token_env: T, app_token_env: A}\ngroups:\n  - name: a\n    platform: slack\n    channel: C0123ABCD\n"
		env["T"], env["A"] = "xoxb", "xapp"
	}
	cfg, err := config.Parse(strings.NewReader(head+src), config.Options{File: "tend.yaml", Sections: []bot.ConfigSection{Section()},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err == nil {
		return cfg, nil
	}
	var es config.Errors
	if !errors.As(err, &es) {
		t.Fatalf("parse: %v", err)
	}
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d:%d %s | %s | %s", e.Line, e.Column, e.Field, e.Problem, e.Fix))
	}
	return nil, out
}

func TestSection(t *testing.T) {
	t.Run("Valid", func(t *testing.T) {
		src := "    attendance:\n      voice_channel: \"345678901234567890\"\n      min_minutes: 5\n      late_after: 15m\n      absence_alert_after: 3\n      missed_you_dm: true\n      button: false\n"
		cfg, errs := parseSection(t, bot.PlatformDiscord, src)
		if errs != nil {
			t.Fatalf("errors: %v", errs)
		}
		n := cfg.Groups[0].Sections["attendance"]
		var r bot.NodeReader
		got := readSettings(&r, cfg.Groups[0].Group, n, "attendance")
		want := Settings{Enabled: true, Button: false, VoiceChannel: "345678901234567890", MinMinutes: 5, LateAfter: 15 * time.Minute, AlertAfter: 3, MissedYouDM: true}
		if got != want || len(r.Problems) > 0 {
			t.Fatalf("settings %+v (%v); want %+v", got, r.Problems, want)
		}
		if s := Section().Summary(cfg.Groups[0].Group, n); !strings.Contains(s, "voice channel 345678901234567890 for 5 min") || !strings.Contains(s, `"we missed you" DM`) {
			t.Errorf("summary %q", s)
		}
	})
	for _, tc := range []struct {
		name, platform, src string
		want                []string
	}{
		{"UnknownKey", bot.PlatformConsole, "    attendance: {min_minute: 5}\n",
			[]string{`4:18 groups[0].attendance.min_minute | unknown key "min_minute" | did you mean "min_minutes"?`}},
		{"OutOfRange", bot.PlatformConsole, "    attendance: {min_minutes: 0, absence_alert_after: 99, late_after: 13h}\n",
			[]string{`groups[0].attendance.min_minutes | 0 is out of range | from 1 to 600`, `groups[0].attendance.late_after | 13h0m0s is out of range`,
				`groups[0].attendance.absence_alert_after | 99 is out of range | from 0 to 52`}},
		{"VoiceNotOnSlack", bot.PlatformSlack, "    attendance: {voice_channel: \"345678901234567890\"}\n",
			[]string{`groups[0].attendance.voice_channel | voice channels are a Discord feature, and this group is on slack | remove voice_channel`}},
		{"VoiceNotAnID", bot.PlatformDiscord, "    attendance: {voice_channel: general}\n",
			[]string{`groups[0].attendance.voice_channel | "general" is not a Discord channel id | Copy Channel ID`}},
		{"NotAMap", bot.PlatformConsole, "    attendance: yes\n",
			[]string{`groups[0].attendance | expected a mapping of keys`}},
		{"WrongTypes", bot.PlatformConsole, "    attendance: {missed_you_dm: maybe, late_after: soon}\n",
			[]string{`groups[0].attendance.late_after | "soon" is not a duration`, `groups[0].attendance.missed_you_dm | expected true or false`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := parseSection(t, tc.platform, tc.src)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %q; want %d", errs, len(tc.want))
			}
			for _, w := range tc.want {
				found := false
				for _, e := range errs {
					parts := strings.Split(w, " | ")
					ok := true
					for _, p := range parts {
						ok = ok && strings.Contains(e, p)
					}
					found = found || ok
				}
				if !found {
					t.Errorf("errors %q lack %q", errs, w)
				}
			}
		})
	}
}

// TestApplyConfig: the section is stored, the same file applied again
// changes nothing, and a section removed from the file means the defaults.
func TestApplyConfig(t *testing.T) {
	cfg, errs := parseSection(t, bot.PlatformConsole, "    attendance: {min_minutes: 7, absence_alert_after: 0}\n")
	if errs != nil {
		t.Fatal(errs)
	}
	db := openTestDB(t)
	f, err := New(db, bot.Deps{Sender: bot.NewSender(db, nil, nil, quiet())})
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.CreateGroup(t.Context(), "system:config", bot.Group{Name: "a", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "a"},
		Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard})
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.Groups[0].Sections["attendance"]
	for range 2 {
		if err := f.ApplyConfig(t.Context(), g, n); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.settings(t.Context(), g)
	if err != nil || got.MinMinutes != 7 || got.AlertAfter != 0 || !got.Button {
		t.Fatalf("settings %+v, %v", got, err)
	}
	if err := f.ApplyConfig(t.Context(), g, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := f.settings(t.Context(), g); err != nil || got != Defaults() {
		t.Fatalf("settings after the section was removed: %+v, %v; want the defaults", got, err)
	}
}

// TestSettings_Command: in a group made in chat, a facilitator sees and
// changes its attendance settings with /tend attendance settings, under
// the config section's rules (a bad value changes nothing and says why),
// is warned when min_minutes is longer than the sessions, and the change
// is audited; members cannot; a group declared in the config file is
// changed there.
func TestSettings_Command(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "ann")
		e.schedule(2)
		ctx := t.Context()
		if out := e.cmd(fac, "attendance settings"); !strings.Contains(out, "Attendance in tuesday: \"I'm here\" button; the series' voice channel (if any) for 10 min; late after 10m; facilitators told after 2 missed in a row.") {
			t.Fatalf("show: %s", out)
		}
		for cmd, want := range map[string]string{
			"attendance settings min_minutes:700":                          "Nothing changed. min_minutes: 700 is out of range (write a number from 1 to 600)",
			"attendance settings late_after:13h":                           "late_after: 13h0m0s is out of range",
			"attendance settings voice_channel:123456789":                  "voice_channel: voice channels are a Discord feature, and this group is on console",
			"attendance settings absence_alert_after:99":                   "absence_alert_after: 99 is out of range",
			"attendance settings voice_channel:123456789 series_voice:yes": "either voice_channel: (a channel to watch) or series_voice:yes",
		} {
			if out := e.cmd(fac, cmd); !strings.Contains(out, want) {
				t.Errorf("%s: %s; want %q", cmd, out, want)
			}
		}
		if s, ok, err := e.db.AttendanceSettings(ctx, e.group.ID); err != nil || ok {
			t.Fatalf("settings after refusals: %+v, %v, %v; want none stored", s, ok, err)
		}
		out := e.cmd(fac, "attendance settings missed_you_dm:yes absence_alert_after:3 late_after:5m min_minutes:90")
		for _, w := range []string{"Saved. Attendance in tuesday:", "late after 5m", `facilitators told after 3 missed in a row, with a "we missed you" DM`,
			"min_minutes (90) is longer than the group's sessions (60 minutes)"} {
			if !strings.Contains(out, w) {
				t.Errorf("save: %s; want %q", out, w)
			}
		}
		s, ok, err := e.db.AttendanceSettings(ctx, e.group.ID)
		if err != nil || !ok || !s.MissedYouDM || s.AlertAfter != 3 || s.LateAfter != 5*time.Minute || s.MinMinutes != 90 || !s.Enabled || !s.Button {
			t.Fatalf("stored %+v, %v, %v", s, ok, err)
		}
		// A later change keeps what it does not name.
		if out := e.cmd(fac, "attendance settings min_minutes:20"); strings.Contains(out, "longer than") || !strings.Contains(out, "late after 5m") {
			t.Errorf("second save: %s", out)
		}
		if out := e.cmd(fac, "attendance settings series_voice:yes"); !strings.Contains(out, "the series' voice channel (if any) for 20 min") {
			t.Errorf("series voice: %s", out)
		}
		log, err := e.db.AuditLog(ctx, e.group.ID, 10)
		if err != nil || len(log) < 2 || log[0].Action != "attendance.settings" || log[0].Actor != "console:fac" ||
			log[0].Detail != "missed_you_dm=true min_minutes=20 late_after=5m absence_alert_after=3 voice_channel=" {
			t.Fatalf("audit %+v, %v", log, err)
		}
		if out := e.cmd("ann", "attendance settings min_minutes:5"); !strings.Contains(out, "Only facilitators") {
			t.Errorf("a member: %s", out)
		}
		g := e.group
		g.Source = bot.SourceConfig
		if _, _, err := e.db.UpdateGroup(ctx, "console:fac", g); err != nil {
			t.Fatal(err)
		}
		if out := e.cmd(fac, "attendance settings min_minutes:5"); !strings.Contains(out, "declared in the config file") {
			t.Errorf("a config group: %s", out)
		}
	})
}
