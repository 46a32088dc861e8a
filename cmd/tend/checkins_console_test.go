package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckInsConsole_Binary runs the real binary on the console with the
// check-in sections of a config file: the file's check-in is asked, three
// members answer (one passes, one red), a member's DM with the operator's
// own crisis phrase and another's with words of risk alert the
// facilitators in their private channel, the members are answered with
// the resources, and the facilitators get the summary. Logs are at debug
// level and hold none of what the members typed.
func TestCheckInsConsole_Binary(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	bin := buildTend(t)
	dir := t.TempDir()
	cfg := `storage: {path: tend.db}
log: {level: debug}
owners: ["console:owner"]
safety:
  resources: "Call 999, or text SHOUT to 85258."
  crisis_phrases: ["red dragon"]
groups:
  - name: tuesday
    platform: console
    facilitators: ["console:fran"]
    facilitators_channel: facs
    checkins:
      at_start: {kind: traffic, prompt: "How are you arriving today, team?"}
      share_tally: true
    retention_days: 30
`
	if err := os.WriteFile(filepath.Join(dir, "tend.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"the red dragon is back tonight", "honestly i want to end it all"}
	script := strings.Join([]string{
		"/as fran", "/in tuesday",
		"/tend roster add user:ann", "/tend roster add user:bob", "/tend roster add user:cat",
		"/tend checkin start",
		"/as ann", "/click 1",
		"/as bob", "/click 3",
		"/as cat", "/click 4",
		"/as ann", secrets[0],
		"/as cat", secrets[1],
		"/as fran", "/tend checkin close",
	}, "\n") + "\n"
	cmd := exec.CommandContext(ctx, bin, "run", "--config", "tend.yaml")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "TZ=UTC"}
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tend: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	wantContains(t, "stdout", out,
		" in #tuesday:", "How are you arriving today, team?", "[1] Green  [2] Yellow  [3] Red  [4] Pass",
		"(only ann sees this) Thank you — recorded: green.",
		"in #facs:", "bob in group tuesday sent tend something", "They answered: red.",
		"(only bob sees this)", "Call 999, or text SHOUT to 85258.",
		"(only cat sees this) Recorded as a pass",
		"ann in group tuesday", "They wrote: “the red dragon is back tonight”", "a phrase the operator listed",
		"cat in group tuesday", "They wrote: “honestly i want to end it all”", "suicide or ending their life",
		"Check-in summary — tuesday", "bob: red", "Passed (1): @cat",
		"Answers are kept 30 days")
	// Nothing a member wrote is in #tuesday, the group's channel.
	for _, block := range strings.Split(out, "\nmessage #") {
		if strings.Contains(block, " in #tuesday:") {
			for _, s := range secrets {
				if strings.Contains(block, s) {
					t.Errorf("a member's words were posted in the group's channel:\n%s", block)
				}
			}
		}
	}
	logs := stderr.String()
	if !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "safety signal") {
		t.Fatalf("the log is not at debug level, or has no record of the signals:\n%s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(strings.ToLower(logs), s) {
			t.Errorf("the log holds what a member wrote: %q", s)
		}
	}
}
