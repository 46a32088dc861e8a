package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain_ConfigWarnings: tend check prints what it accepts but the
// operator should look at (EST has no daylight saving time; a secret file
// others can read); tend run logs the same at start.
func TestMain_ConfigWarnings(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "discord-token")
	if err := os.WriteFile(token, []byte("not-a-real-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(token, 0o644); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, dir, "timezone: EST\ndiscord:\n  token_file: discord-token\n")
	tm := newTestMain(t, dir, "")
	if code := tm.run(t, "check"); code != 0 {
		t.Fatalf("exit %d\n%s", code, tm.stderr.String())
	}
	wantContains(t, "check", tm.stdout.String(), "tend.yaml: OK\n  2 warnings to look at:\n",
		"  - tend.yaml:1:11: timezone: EST is a fixed offset, UTC-05:00 all year, with no daylight saving time — if the group meets where clocks change, use the zone of its city, such as America/New_York",
		"  - tend.yaml:3:15: discord.token_file: secret file discord-token can be read by other users (mode 0644) — run chmod 600 discord-token")
	if strings.Contains(tm.stdout.String(), "not-a-real-token") {
		t.Error("check printed the secret")
	}

	run := t.TempDir()
	writeConfig(t, run, "timezone: EST\n")
	tr := newTestMain(t, run, "/tend help\n")
	if code := tr.run(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, tr.stderr.String())
	}
	wantContains(t, "run log", tr.stderr.String(), `level=WARN msg="config: EST is a fixed offset, UTC-05:00 all year, with no daylight saving time" at=tend.yaml:1:11 field=timezone`)
}
