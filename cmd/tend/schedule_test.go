package main

import "testing"

// TestMain_ConfigSeriesRefusedInChat: end to end, chat names the file and
// the group's line when it refuses to replace the file's series (issue 9,
// point 9).
func TestMain_ConfigSeriesRefusedInChat(t *testing.T) {
	dir := t.TempDir()
	path := writeTendYAML(t, dir, `timezone: Europe/London
groups:
  - name: tuesday-support
    platform: console
    schedule: {weekly: tue 18:00, duration: 90m}
`)
	tm := newTestMain(t, dir, "/in tuesday-support\n/tend session schedule weekly:\"fri 18:00\" duration:1h\n")
	if code := tm.run(t, "run", "--config", path); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	wantContains(t, "stdout", tm.stdout.String(), "Group tuesday-support's series is set in "+path+" (the group's entry is on line 3)")
}
