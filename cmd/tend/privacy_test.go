package main

import (
	"strings"
	"testing"
)

// TestMain_RefusalsNeverLogInput: at debug level, refused commands log
// their kind, never what was typed. Every crafted value carries the marker
// zq9; no log line may hold it, in any case.
func TestMain_RefusalsNeverLogInput(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "log: {level: debug}\n")
	long := strings.Repeat("Zq9", 30)
	script := strings.Join([]string{
		"/tend Zq9unknown words",
		"/tend help Zq9topic",
		"/tend rsvp Zq9maybe",
		"/tend group setup name:Zq9-Not_Valid!",
		"/tend group setup name:tuesday-support timezone:Zq9/Nowhere",
		"/tend group setup name:tuesday-support timezone:europe/london",
		"/tend group setup name:tuesday-support capacity:Zq9",
		"/tend group setup name:tuesday-support",
		"/tend roster list colour:Zq9red",
		"/tend roster add user:\"Zq9 Spaced Name\"",
		"/tend roster add user:" + long,
		"/tend roster add code:Zq9!code",
		"/tend roster add user:sam name:" + long,
		"/tend roster add user:sam name:\"Zq9 unclosed",
		"/tend roster add user:sam name:'Zq9 single quoted'",
		"/tend roster remove user:zq9nobody",
		"/tend group facilitators add user:zq9" + long,
		"/tend group facilitators add role:Zq9role",
		"/tend rsvp yes group:zq9-no-such-group",
		"/tend away until:Zq9day",
		"/tend session cancel Zq9th",
		"/tend session schedule weekly:\"Zq9 18:00\" duration:90m",
		"/tend session schedule weekly:\"tue 18:00\" duration:Zq9m",
		"/tend session schedule weekly:\"tue 18:00\" duration:90m topics:\"" + strings.Repeat("Zq9 ", 60) + "\"",
		"/tend session schedule weekly:\"tue 18:00\" duration:90m link:https://example.org/Zq9" + strings.Repeat("x", 600),
		"/tend session schedule weekly:\"tue 18:00\" duration:90m",
		"/tend session move 1 to:\"Zq9 18:30\"",
		"/tend session log Zq9",
		"Zq9 a direct message to the bot",
		"/as sam",
		"/tend roster add user:zq9friend",
		"/tend group setup name:tuesday-support kind:Zq9",
	}, "\n") + "\n"
	tm := newTestMain(t, dir, script)
	if code := tm.run(t); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, tm.stdout.String(), tm.stderr.String())
	}
	logged := tm.stderr.String()
	defer func() {
		if t.Failed() {
			t.Logf("replies:\n%s", tm.stdout.String())
		}
	}()
	// The commands were refused (the people typing were told why) …
	if n := strings.Count(tm.stdout.String(), "(only "); n < 25 {
		t.Fatalf("only %d replies; the script did not run as meant:\n%s", n, tm.stdout.String())
	}
	// … and debug logging was on and saw them.
	if n := strings.Count(logged, `msg=refused`); n < 20 {
		t.Fatalf("only %d refusals logged at debug level:\n%s", n, logged)
	}
	for _, kind := range []string{"refusal=unknown_command", "refusal=usage", "refusal=permission", "refusal=feature", "command=\"roster add\""} {
		if !strings.Contains(logged, kind) {
			t.Errorf("no refusal logged with %s", kind)
		}
	}
	for i, line := range strings.Split(logged, "\n") {
		if strings.Contains(strings.ToLower(line), "zq9") {
			t.Errorf("log line %d holds what was typed: %s", i+1, line)
		}
	}
}
