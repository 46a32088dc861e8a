package attendance

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/reminders"
)

// TestVoice_SharedChannelForgottenInOne: two groups' sessions watch the
// same voice channel at once; a member a facilitator erased (and stopped
// tracking) in one group is still counted by their voice in the other,
// and nothing about them is recorded in the first. The debug line of a
// voice event names no user.
func TestVoice_SharedChannelForgottenInOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "uann71", "ubob72")
		e.logs = &logBuffer{}
		e.restart()
		ctx := t.Context()
		g2, err := e.db.CreateGroup(ctx, "console:fac", bot.Group{
			Name: "wednesday", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "wednesday"},
			Kind: bot.KindPsychoeducation, Admission: bot.AdmissionClosed, TimeZone: "UTC", Privacy: bot.PrivacyStandard,
			Facilitators: []bot.Principal{"console:fac"},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []bot.UserID{"uann71", "ubob72"} {
			if _, err := e.db.AddMember(ctx, "console:fac", bot.Member{GroupID: g2.ID, User: u}); err != nil {
				t.Fatal(err)
			}
		}
		e.settings(voiceSettings())
		set2 := voiceSettings()
		if err := e.db.SetAttendanceSettings(ctx, g2.ID, &set2); err != nil {
			t.Fatal(err)
		}
		e.schedule(1)
		if err := e.rm.ApplyConfig(ctx, g2.ID, bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Starts: "2000-01-04", Count: 1},
			reminders.Settings{Leads: []time.Duration{time.Hour}}); err != nil {
			t.Fatal(err)
		}
		ann, err := e.db.MemberByUser(ctx, e.group.ID, "uann71")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformConsole, GroupID: e.group.ID, MemberID: ann.ID, User: "uann71",
			StopTracking: true, By: "console:fac"}, nil); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(minute(t, 0, 1))
		e.voiceEvent("uann71", "voice-1", true)
		e.voiceEvent("ubob72", "voice-1", true)
		e.sleepUntil(minute(t, 0, 70))
		ss, err := e.db.RecentSessions(ctx, g2.ID, time.Now(), 10)
		if err != nil || len(ss) != 1 {
			t.Fatalf("wednesday's sessions: %+v, %v", ss, err)
		}
		if got := e.marks(ss[0]); got["u:uann71"] != "present/voice" || got["u:ubob72"] != "present/voice" {
			t.Errorf("wednesday's marks %v; want both present by voice (ann is forgotten only in tuesday)", got)
		}
		if got := e.marks(e.session(1)); len(got) != 1 || got["u:ubob72"] != "present/voice" {
			t.Errorf("tuesday's marks %v; want bob's only", got)
		}
		if stays, err := e.db.VoiceStays(ctx, e.session(1).ID); err != nil || len(stays) != 1 || stays[0].User != "ubob72" {
			t.Errorf("tuesday's voice stays %+v, %v; want bob's only", stays, err)
		}
		logs := e.logs.String()
		if !strings.Contains(logs, "voice presence recorded") {
			t.Fatalf("no voice debug line in the log:\n%s", logs)
		}
		if strings.Contains(logs, "uann71") || strings.Contains(logs, "ubob72") {
			t.Errorf("the log names a user:\n%s", logs)
		}
	})
}

// TestDrift_UndeliverableNamesNoUser: when the "we missed you" DM cannot
// be delivered, the facilitators are told and the warning in the log
// names the group, not the member.
func TestDrift_UndeliverableNamesNoUser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "uann71", "ufay79")
		e.logs = &logBuffer{}
		e.restart()
		e.setHook(func(out bot.Outbound) error {
			if out.Kind == bot.OutDM && strings.HasPrefix(out.Key, "attendance.missed/") {
				return bot.Unreachable("console: DMs closed")
			}
			return nil
		})
		set := voiceSettings()
		set.MissedYouDM = true
		e.settings(set)
		e.schedule(2)
		for week := range 2 {
			e.sleepUntil(minute(t, week, 1))
			e.press("uann71", e.hereButton(e.session(week+1)), "I'm here")
		}
		e.sleepUntil(minute(t, 1, 70))
		drift := e.dmsTo(fac, DriftKey(e.session(2).ID))
		if len(drift) != 1 || !strings.Contains(drift[0], "could not be delivered") {
			t.Fatalf("drift: %q; want the undeliverable note", drift)
		}
		logs := e.logs.String()
		if !strings.Contains(logs, "could not be delivered") {
			t.Fatalf("no warning in the log:\n%s", logs)
		}
		if strings.Contains(logs, "ufay79") {
			t.Errorf("the log names the member:\n%s", logs)
		}
	})
}

// TestSettings_MinMinutesLongerThanSession: a min_minutes longer than the
// session (60 min) is told to the facilitators privately, once for that
// minimum and length, at the first session it applies to.
func TestSettings_MinMinutesLongerThanSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, "uann71")
		set := voiceSettings()
		set.MinMinutes = 90
		e.settings(set)
		e.schedule(2)
		e.sleepUntil(minute(t, 1, 70))
		notes := e.dmsTo(fac, "attendance.minutes/")
		if len(notes) != 1 || !strings.Contains(notes[0], "after 90 minutes in the voice channel, but session 1 lasts 60 minutes") {
			t.Fatalf("notes to the facilitators: %q; want one about min_minutes 90 against 60 minutes", notes)
		}
		if d := e.rec.Posts(); len(d) > 0 {
			for _, p := range d {
				if strings.HasPrefix(p.Out.Key, "attendance.minutes/") {
					t.Errorf("the note reached a channel: %s", p.Out.Key)
				}
			}
		}
	})
}
