package main

import (
	"testing"
	"time"

	"github.com/tend-bot/tend/bot/bottest"
)

// TestMain_FinishesDueWorkAtEndOfInput: work that is due when the console's
// input ends is done before tend exits. A series is scheduled half an hour
// before a session, so its 1h reminder is due at once; the input ends right
// after, and the reminder must still be posted.
func TestMain_FinishesDueWorkAtEndOfInput(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tm := newTestMain(t, t.TempDir(), "/tend group setup name:tuesday-support timezone:Europe/London\n"+
		"/tend session schedule weekly:\"tue 18:00\" duration:90m lead:1h\n")
	tm.Clock = bottest.NewClock(time.Date(2027, 1, 5, 17, 30, 0, 0, london)) // a Tuesday
	if code := tm.run(t); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	wantContains(t, "stdout", tm.stdout.String(), "Schedule saved for tuesday-support", "Session 1", "I'll be there", "Reminder 1h before")
}
