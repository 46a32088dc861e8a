package attendance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Settings are a group's attendance choices.
type Settings = bot.AttendanceSettings

// Defaults are the settings of a group that says nothing: attendance is
// recorded with the "I'm here" button, 10 minutes in the voice channel
// count, a first presence after 10 minutes is late, a member who misses 2
// sessions in a row without excuse is flagged to the facilitators, and no
// "we missed you" DM is sent.
func Defaults() Settings {
	return Settings{Enabled: true, Button: true, MinMinutes: 10, LateAfter: 10 * time.Minute, AlertAfter: 2}
}

// Limits of the settings.
const (
	maxMinMinutes = 600
	maxLateAfter  = 12 * time.Hour
	maxAlertAfter = 52
)

// sectionKeys are the keys of a group's attendance: section.
var sectionKeys = []string{"enabled", "button", "voice_channel", "min_minutes", "late_after", "absence_alert_after", "missed_you_dm"}

// Section is the attendance: section of a group in the config file.
func Section() bot.ConfigSection {
	return bot.ConfigSection{
		Key: "attendance",
		Check: func(g bot.Group, n *bot.Node, path string) []bot.ConfigProblem {
			var r bot.NodeReader
			readSettings(&r, g, n, path)
			return r.Problems
		},
		Summary: func(g bot.Group, n *bot.Node) string {
			var r bot.NodeReader
			s := readSettings(&r, g, n, "attendance")
			if len(r.Problems) > 0 {
				return ""
			}
			return describe(s)
		},
	}
}

// readSettings reads a group's attendance section over the defaults,
// recording every problem in r.
func readSettings(r *bot.NodeReader, g bot.Group, n *bot.Node, path string) Settings {
	return readSettingsOver(r, g, n, path, Defaults())
}

// readSettingsOver reads n over the settings s (the defaults for the
// config file, a group's own for the attendance settings command).
func readSettingsOver(r *bot.NodeReader, g bot.Group, n *bot.Node, path string, s Settings) Settings {
	if n.IsNull() {
		return s
	}
	m := r.Map(n, path, sectionKeys)
	if m == nil {
		return s
	}
	if v, ok := r.Bool(m["enabled"], path+".enabled"); ok {
		s.Enabled = v
	}
	if v, ok := r.Bool(m["button"], path+".button"); ok {
		s.Button = v
	}
	if node := m["voice_channel"]; !node.IsNull() {
		if v, ok := r.String(node, path+".voice_channel"); ok {
			switch {
			case g.Address.Platform != "" && g.Address.Platform != bot.PlatformDiscord:
				r.Fail(node, path+".voice_channel", fmt.Sprintf("voice channels are a Discord feature, and this group is on %s", g.Address.Platform),
					"remove voice_channel; members show presence with the \"I'm here\" button, a check-in answer, or a facilitator's mark")
			case !bot.IsSnowflake(v):
				r.Fail(node, path+".voice_channel", fmt.Sprintf("%q is not a Discord channel id", v),
					`write the voice or stage channel's id in quotes, such as "345678901234567890" (Developer Mode on, right-click the channel, Copy Channel ID)`)
			default:
				s.VoiceChannel = bot.ChannelID(v)
			}
		}
	}
	if v, ok := r.Int(m["min_minutes"], path+".min_minutes", 1, maxMinMinutes); ok {
		s.MinMinutes = v
	}
	if v, ok := r.Duration(m["late_after"], path+".late_after", 0, maxLateAfter); ok {
		s.LateAfter = v
	}
	if v, ok := r.Int(m["absence_alert_after"], path+".absence_alert_after", 0, maxAlertAfter); ok {
		s.AlertAfter = v
	}
	if v, ok := r.Bool(m["missed_you_dm"], path+".missed_you_dm"); ok {
		s.MissedYouDM = v
	}
	return s
}

// describe sums settings up in one line, for tend check.
func describe(s Settings) string {
	if !s.Enabled {
		return "not recorded"
	}
	var parts []string
	if s.Button {
		parts = append(parts, `"I'm here" button`)
	}
	if s.VoiceChannel != "" {
		parts = append(parts, fmt.Sprintf("voice channel %s for %d min", s.VoiceChannel, s.MinMinutes))
	} else {
		parts = append(parts, fmt.Sprintf("the series' voice channel (if any) for %d min", s.MinMinutes))
	}
	parts = append(parts, "late after "+shortDuration(s.LateAfter))
	if s.AlertAfter > 0 {
		a := fmt.Sprintf("facilitators told after %d missed in a row", s.AlertAfter)
		if s.MissedYouDM {
			a += `, with a "we missed you" DM`
		}
		parts = append(parts, a)
	} else {
		parts = append(parts, "no absence alerts")
	}
	return strings.Join(parts, "; ")
}

// ApplyConfig stores group g's attendance section from the config file, or
// forgets the stored one when the section is absent (n nil). Applying the
// same file again writes nothing.
func (f *Feature) ApplyConfig(ctx context.Context, g bot.Group, n *bot.Node) error {
	if n == nil {
		return f.st.SetAttendanceSettings(ctx, g.ID, nil)
	}
	var r bot.NodeReader
	s := readSettings(&r, g, n, "attendance")
	if len(r.Problems) > 0 {
		// tend check and the config loader report these before start.
		return fmt.Errorf("attendance: %s", r.Problems[0].Error())
	}
	return f.st.SetAttendanceSettings(ctx, g.ID, &s)
}

// settings returns group g's settings: its own, else the defaults.
func (f *Feature) settings(ctx context.Context, g bot.Group) (Settings, error) {
	s, ok, err := f.st.AttendanceSettings(ctx, g.ID)
	if err != nil {
		return Settings{}, err
	}
	if !ok {
		return Defaults(), nil
	}
	return s, nil
}

// shortDuration prints 10m, 1h30m, 45s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
