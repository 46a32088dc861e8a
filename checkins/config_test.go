package checkins_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/checkins"
	"github.com/tend-bot/tend/config"
)

func parse(t *testing.T, src string) (*config.Config, error) {
	t.Helper()
	return config.Parse(strings.NewReader(src), config.Options{File: "tend.yaml", Sections: checkins.Sections()})
}

// TestSections_Problems: each mistake in the check-in sections is
// reported with file, line, column, the setting and what to write
// instead, all at once.
func TestSections_Problems(t *testing.T) {
	src := `safety:
  crisis_phrases: ["end my life", "!!!"]
  around_the_clock: maybe
groups:
  - name: a
    platform: console
    privacy: minimal
    retention_days: 0
    checkins:
      at_start: {kind: text, window: 30s}
      between: {kind: scale}
      share_tally: often
      escalate_after: 2d
  - name: b
    platform: console
    checkins:
      at_start: {kind: choice, colour: red}
      between: {cron: "0 12 30 2 *"}
`
	_, err := parse(t, src)
	var es config.Errors
	if !errors.As(err, &es) {
		t.Fatalf("parse: %v", err)
	}
	got := err.Error()
	for _, want := range []string{
		`tend.yaml:2:35: safety.crisis_phrases[1]: "!!!" has no words to match`,
		`tend.yaml:3:21: safety.around_the_clock: expected true or false`,
		`tend.yaml:8:21: groups[0].retention_days: 0 is out of range`,
		`tend.yaml:10:24: groups[0].checkins.at_start.kind: kind text asks members to type, and group a has privacy: minimal`,
		`tend.yaml:10:38: groups[0].checkins.at_start.window: 30s is out of range`,
		`tend.yaml:11:16: groups[0].checkins.between.cron: a between-session check-in needs its own schedule`,
		`tend.yaml:12:20: groups[0].checkins.share_tally: expected true or false`,
		`tend.yaml:13:23: groups[0].checkins.escalate_after: "2d" is not a duration`,
		`tend.yaml:17:32: groups[1].checkins.at_start.colour: unknown key "colour"`,
		`tend.yaml:17:17: groups[1].checkins.at_start.choices: a choice check-in needs at least two choices`,
		`tend.yaml:18:23: groups[1].checkins.between.cron: cron: "0 12 30 2 *" never`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q", want)
		}
	}
	if t.Failed() {
		t.Logf("problems:\n%s", got)
	}
}

// TestApplySection: the file's sections become the group's settings (the
// file wins: chat cannot change them); applying the same file again
// changes nothing; a group without checkins: in the file keeps what chat
// set; the operator's crisis phrases alert.
func TestApplySection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		cfg, err := parse(t, `safety:
  crisis_phrases: ["red dragon"]
groups:
  - name: tuesday
    platform: console
    checkins:
      at_start: {kind: traffic, window: 20m}
      between: {cron: "0 12 * * FRI", delivery: dm, nudge: true}
      share_tally: true
      escalate_after: 5m
    retention_days: 30
`)
		if err != nil {
			t.Fatal(err)
		}
		apply := func() {
			t.Helper()
			if err := e.ci.ApplySection(t.Context(), checkins.SectionCrisisPhrases, bot.Group{}, cfg.Sections[checkins.SectionCrisisPhrases]); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{checkins.SectionCheckIns, checkins.SectionRetention} {
				if err := e.ci.ApplySection(t.Context(), k, e.group, cfg.Groups[0].Sections[k]); err != nil {
					t.Fatal(err)
				}
			}
		}
		apply()
		s, err := e.db.CheckInSettings(t.Context(), e.group.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Source != bot.SourceConfig || s.AtStart.Window != 20*time.Minute || s.Between.Cron != "0 12 * * FRI" || !s.Between.Nudge ||
			!s.ShareTally || s.EscalateAfter != 5*time.Minute || s.RetentionDays != 30 {
			t.Fatalf("settings from the file: %+v", s)
		}
		apply()
		if again, _ := e.db.CheckInSettings(t.Context(), e.group.ID); again.UpdatedAt != s.UpdatedAt || again.Generation != s.Generation {
			t.Errorf("applying the same file again changed the settings: %+v", again)
		}
		if out := e.cmd("fac", "checkin schedule share_tally:no"); !strings.Contains(out, "set in tend.yaml") {
			t.Errorf("chat changing the file's settings: %s", out)
		}
		if _, err := e.db.JobByKey(t.Context(), "checkins.between/1/1/"+strconv.FormatInt(at(t, "2000-01-07 12:00").Unix(), 10)); err != nil {
			t.Errorf("the first between-session check-in is not scheduled: %v", err)
		}
		e.dm("ann", "the red dragon is back")
		if len(e.alerts()) != 1 {
			t.Errorf("the operator's phrase did not alert")
		}
	})
}

// TestApplySection_AroundTheClock: safety.around_the_clock is what members
// are told, by check-ins and by the core for the other features (norms'
// privacy note).
func TestApplySection_AroundTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.PrivacyStandard)
		cfg, err := parse(t, "safety:\n  around_the_clock: true\n")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.ci.ApplySection(t.Context(), checkins.SectionAroundTheClock, bot.Group{}, cfg.Sections[checkins.SectionAroundTheClock]); err != nil {
			t.Fatal(err)
		}
		if !e.ci.AroundTheClock() || !e.b.AroundTheClock() {
			t.Errorf("around the clock: check-ins %v, core %v; want both", e.ci.AroundTheClock(), e.b.AroundTheClock())
		}
		if r := replyText(e.dm("ann", "i want to die")); !has(r, "Someone watches these alerts around the clock") || strings.Contains(r, "not watched") {
			t.Errorf("careful reply: %s", r)
		}
	})
}
