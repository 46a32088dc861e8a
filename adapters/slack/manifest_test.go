package slack_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tend-bot/tend/adapters/slack"
)

type manifest struct {
	Features struct {
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
		AppHome struct {
			MessagesTab bool `yaml:"messages_tab_enabled"`
		} `yaml:"app_home"`
	} `yaml:"features"`
	OAuth struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			Enabled    bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketMode bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

// TestManifest keeps the app manifests honest: the scopes cover every Web
// API method the adapter calls, the events cover what it handles, and the
// http manifest points at the paths the adapter serves.
func TestManifest(t *testing.T) {
	// Scopes each Web API method the adapter calls needs (Slack's method
	// reference); conversations.history, conversations.info and .members,
	// and the member events need the public and the private channel scope.
	need := []string{"commands", "chat:write", "im:write", "im:history", "channels:history", "groups:history",
		"channels:read", "groups:read", "groups:write", "pins:write", "users:read", "files:write"}
	for _, tc := range []struct {
		file   string
		socket bool
	}{{"manifest.yaml", true}, {"manifest-http.yaml", false}} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			var m manifest
			if err := yaml.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			for _, s := range need {
				if !slices.Contains(m.OAuth.Scopes.Bot, s) {
					t.Errorf("scope %s missing", s)
				}
			}
			if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/tend" || !m.Features.SlashCommands[0].ShouldEscape {
				t.Errorf("slash commands %+v; want /tend with should_escape", m.Features.SlashCommands)
			}
			for _, ev := range []string{"member_joined_channel", "member_left_channel", "message.im"} {
				if !slices.Contains(m.Settings.Events.BotEvents, ev) {
					t.Errorf("bot event %s missing", ev)
				}
			}
			if !m.Settings.Interactivity.Enabled || !m.Features.AppHome.MessagesTab {
				t.Errorf("interactivity %v, messages tab %v; want both on", m.Settings.Interactivity.Enabled, m.Features.AppHome.MessagesTab)
			}
			if m.Settings.SocketMode != tc.socket {
				t.Errorf("socket_mode_enabled %v; want %v", m.Settings.SocketMode, tc.socket)
			}
			urls := map[string]string{
				slack.PathCommands:    m.Features.SlashCommands[0].URL,
				slack.PathEvents:      m.Settings.Events.RequestURL,
				slack.PathInteractive: m.Settings.Interactivity.RequestURL,
			}
			for path, u := range urls {
				switch {
				case tc.socket && u != "":
					t.Errorf("socket mode manifest has request URL %q", u)
				case !tc.socket && (!strings.HasPrefix(u, "https://") || !strings.HasSuffix(u, path)):
					t.Errorf("request URL %q; want https://…%s", u, path)
				}
			}
		})
	}
}
