//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestBinary_BackupMidBurstRestored takes a backup with `tend backup` beside
// the real tend in the middle of a burst of 120 reminders (frozen there,
// holding the database), kills that tend (the disk it ran on is lost),
// restores the backup into a new directory and starts tend on it: every
// reminder is posted exactly once, and Discord (the fake) saw no repeated
// nonce, so tend itself sent nothing twice.
func TestBinary_BackupMidBurstRestored(t *testing.T) {
	bin := buildTend(t)
	const n = 120
	fake, guild, owner, channels, groups, posted := burstWorld(t, n, "[1h]")
	cfg := discordConfig(fake, guild, []string{owner}, groups)
	dir := t.TempDir()
	// Slow the burst down so that the backup lands in its middle.
	fake.Storm429(40)
	first := startTendIn(t, bin, dir, cfg, fake.Token())
	ctx := waitCtx(t)
	if err := fake.WaitFor(ctx, "the burst under way", func() bool { return posted() >= 10 }); err != nil {
		t.Fatal(err)
	}
	// The first tend is frozen where it is, mid-burst (holding the
	// database, maybe inside a transaction, a post maybe on the wire), so
	// that nothing it does after the backup's instant reaches Discord:
	// what a restore cannot know about, it would post again.
	if err := first.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	atBackup := posted()
	backup := filepath.Join(t.TempDir(), "tend-backup.db")
	out, err := exec.CommandContext(ctx, bin, "backup", "--db", filepath.Join(dir, "tend.db"), backup).CombinedOutput()
	if err != nil {
		t.Fatalf("tend backup: %v\n%s", err, out)
	}
	first.kill(t)
	if atBackup >= n {
		t.Fatalf("the burst finished before the backup (%d posts); the test proves nothing", atBackup)
	}
	wantContains(t, "tend backup", string(out), "written to "+backup, "copied beside the tend run that holds it", "mode 0600")
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v", err, fi.Mode())
	}
	// A second backup to the same file is refused, exit 2, file unchanged.
	before, _ := os.ReadFile(backup)
	again := exec.CommandContext(ctx, bin, "backup", "--db", filepath.Join(dir, "tend.db"), backup)
	msg, err := again.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage || !strings.Contains(string(msg), "exists already") {
		t.Errorf("backup over an existing file: %v\n%s", err, msg)
	}
	if after, _ := os.ReadFile(backup); string(after) != string(before) {
		t.Error("the refused backup changed the file")
	}

	// Restore: the backup becomes the database of a new directory.
	restored := t.TempDir()
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "tend.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	second := startTendIn(t, bin, restored, cfg, fake.Token())
	if err := fake.WaitFor(ctx, "every reminder", func() bool { return posted() >= n }); err != nil {
		t.Fatalf("%v: %d of %d posted", err, posted(), n)
	}
	// Give a duplicate the chance to appear before counting.
	_ = ask(t, fake, owner, channels[0], []string{"session", "log"}, nil)
	for i, ch := range channels {
		if ms := fake.Messages(ch); len(ms) != 1 {
			t.Errorf("group-%d got %d reminders; want exactly 1", i, len(ms))
		}
	}
	if d := fake.Stats().NonceDuplicate; d != 0 {
		t.Errorf("tend sent %d reminders again (Discord's nonce caught them); a restored backup must not repeat", d)
	}
	t.Logf("backup taken after %d of %d reminders; the restored tend posted the other %d", atBackup, n, n-atBackup)
	second.alive(t)
}

func TestMain_Backup(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "storage: {path: data/tend.db}\n")
	tm := newTestMain(t, dir, "/tend group setup name:circle\n")
	if code := tm.run(t, "run"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, tm.stderr.String())
	}
	// With the config, file after the flags or before them.
	for i, args := range [][]string{{"backup", "--config", "tend.yaml", "b1.db"}, {"backup", "b2.db", "--config", "tend.yaml"}} {
		tm := newTestMain(t, dir, "")
		if code := tm.run(t, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, tm.stderr.String())
		}
		name := fmt.Sprintf("b%d.db", i+1)
		wantContains(t, "backup", tm.stdout.String(), "written to "+filepath.Join(dir, name), "no tend run held it", "To restore: stop tend")
	}
	restored := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dir, "b1.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "tend.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	tm = newTestMain(t, restored, "/tend group show\n")
	if code := tm.run(t, "run"); code != 0 {
		t.Fatalf("run on the restored backup: exit %d\n%s", code, tm.stderr.String())
	}
	wantContains(t, "restored", tm.stdout.String(), "circle")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backup"}, "name the file to write"},
		{[]string{"backup", "--db", "x.db", "--config", "tend.yaml", "y.db"}, "give --db or --config, not both"},
		{[]string{"backup", "b1.db", "extra"}, `unexpected "extra"`},
		{[]string{"backup", "--db", "b1.db", "b2.db"}, "exists already"},
		{[]string{"backup", "--db", "nothing.db", "b3.db"}, "is not a tend database"},
	} {
		tm := newTestMain(t, dir, "")
		if code := tm.run(t, tc.args...); code == 0 {
			t.Errorf("%v: exit 0", tc.args)
		}
		wantContains(t, fmt.Sprint(tc.args), tm.stderr.String(), tc.want)
	}
}
