package main

import (
	"strings"
	"testing"
)

// TestMain_ScheduleTextLimits: chat takes the same topic and link limits as
// the config file (bot.MaxTopicLen, bot.MaxLinkLen); before, any length
// was stored and posted.
func TestMain_ScheduleTextLimits(t *testing.T) {
	link := "https://meet.example.org/" + strings.Repeat("x", 475) // 500
	tm := newTestMain(t, t.TempDir(), "/tend group setup name:tuesday-support\n"+
		"/tend session schedule weekly:\"tue 18:00\" duration:90m topics:\"intro; "+strings.Repeat("t", 201)+"\"\n"+
		"/tend session schedule weekly:\"tue 18:00\" duration:90m link:"+link+"y\n"+
		"/tend session schedule weekly:\"tue 18:00\" duration:90m topics:\"intro; "+strings.Repeat("ü", 200)+"\" link:"+link+"\n")
	if code := tm.run(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, tm.stderr.String())
	}
	out := tm.stdout.String()
	wantContains(t, "stdout", out,
		"The schedule's topic 2 is 201 characters long; it may be at most 200. Shorten it and run the command again.",
		"The schedule's link is 501 characters long; it may be at most 500.",
		"Schedule saved for tuesday-support")
	if n := strings.Count(out, "Schedule saved"); n != 1 {
		t.Errorf("%d schedules saved, want only the one within the limits", n)
	}
}
