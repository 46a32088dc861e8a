package attendance

import (
	"errors"
	"fmt"
	"strings"
	"testing"
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
