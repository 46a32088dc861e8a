package norms

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	_ "time/tzdata" // golden output must not depend on the machine's zone files

	"github.com/tend-bot/tend/adapters/console"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/groups"
	"github.com/tend-bot/tend/reminders"
	"github.com/tend-bot/tend/store"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// syncBuffer is an io.Writer safe for the console's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// consoleRun is tend on the real console adapter, as cmd/tend wires it,
// with the job runner run between lines and one job at a time, so that
// the transcript comes out in the same order every time.
type consoleRun struct {
	t   *testing.T
	in  *io.PipeWriter
	out *syncBuffer
	r   *bot.Runner
}

func startConsole(t *testing.T) *consoleRun {
	t.Helper()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "tend.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pr, pw := io.Pipe()
	c := &consoleRun{t: t, in: pw, out: &syncBuffer{}}
	ad, err := console.New(console.Config{In: pr, Out: c.out, DefaultUser: fac, Channel: "tuesday", Location: london, Echo: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	codec, err := bot.NewActionCodec(testKey)
	if err != nil {
		t.Fatal(err)
	}
	sender := bot.NewSender(db, codec, nil, quiet(), ad)
	c.r = bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quiet(), Workers: 1})
	b, err := bot.New(bot.Config{Groups: db, Owners: []bot.Principal{"console:owner"}, Codec: codec, Sender: sender, Logger: quiet(), Runner: c.r, Resources: testResources})
	if err != nil {
		t.Fatal(err)
	}
	deps := bot.Deps{Sender: sender, Logger: quiet(), TimeZone: "Europe/London"}
	gf, err := groups.New(db, deps)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := reminders.New(db, deps)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(db, deps)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []bot.Feature{gf, rm, n} {
		if err := f.Register(b, c.r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateGroup(t.Context(), "console:owner", bot.Group{
		Name: "tuesday", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "tuesday"}, Kind: bot.KindSupport,
		Admission: bot.AdmissionClosed, Capacity: 2, TimeZone: "Europe/London", Privacy: bot.PrivacyStandard,
		Facilitators: []bot.Principal{"console:" + fac},
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ad.Run(ctx, b); err != nil {
			t.Errorf("console: %v", err)
		}
	}()
	t.Cleanup(func() {
		pw.Close()
		cancel()
		<-done
	})
	return c
}

// jobs runs the runner until every job due by now has run, then stops it.
func (c *consoleRun) jobs() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.r.Run(ctx); err != nil {
			c.t.Errorf("runner: %v", err)
		}
	}()
	synctest.Wait()
	cancel()
	<-done
}

// typ types lines at the console, each handled and followed by the jobs it
// led to.
func (c *consoleRun) typ(lines ...string) {
	c.t.Helper()
	for _, line := range lines {
		if _, err := fmt.Fprintln(c.in, line); err != nil {
			c.t.Fatalf("type %q: %v", line, err)
		}
		synctest.Wait()
		c.jobs()
	}
}

// sleepUntil lets the clock run to t with the runner on, as tend would.
func (c *consoleRun) sleepUntil(t time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.r.Run(ctx)
	}()
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
	synctest.Wait()
	cancel()
	<-done
}

// choice returns the number the console gave the button labelled label
// on the last message that begins with header ("DM to sam:"), in the
// output so far.
func (c *consoleRun) choice(header, label string) string {
	c.t.Helper()
	out := c.out.String()
	h := strings.LastIndex(out, header)
	if h < 0 {
		c.t.Fatalf("no %q in:\n%s", header, out)
	}
	i := strings.Index(out[h:], "] "+label)
	if i < 0 {
		c.t.Fatalf("no button %q after %q in:\n%s", label, header, out)
	}
	i += h
	j := strings.LastIndexByte(out[:i], '[')
	return out[j+1 : i]
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update to accept it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestConsole_Golden is the whole flow in a terminal: a facilitator sets a
// closed group's norms and requires agreement with a lobby; newcomers join
// the lobby and are welcomed privately, agree and are invited; the group
// fills and the next newcomer is waitlisted, the facilitator told; a new
// version asks everyone again; a member leaves and the waitlisted newcomer
// gets the place; norms post pins; status tells who agreed to what; a
// member added to the full roster is told they are on the waitlist; the
// first session is the contract session.
func TestConsole_Golden(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startConsole(t)
		c.typ(
			`/tend norms show`,
			`/tend norms use support`,
			`/tend norms require on lobby_channel:lobby`,
			`/tend session schedule weekly:"tue 18:00" duration:90m starts:2000-01-04 count:4 lead:1h`,
			`/as sam`,
			`/join lobby`,
		)
		c.typ(`/click `+c.choice("DM to sam:", "I agree"), `/click `+c.choice("DM to sam:", "I agree"))
		// A newcomer reads the norms in the lobby and agrees there.
		c.typ(`/as ann`, `/join lobby`, `/tend norms show group:tuesday`)
		c.typ(`/click ` + c.choice("(only ann sees this)", "I agree"))
		// The group is full: the next newcomer is waitlisted.
		c.typ(`/as kim`, `/join lobby`, `/tend norms agree group:tuesday`)
		c.typ(
			`/as ann`, `/in tuesday`, `/tend norms edit items:"x"`,
			`/as fac`, `/in tuesday`, `/tend norms status`,
			`/tend norms edit items:"What is shared here stays here; Speak from your own experience; In a crisis, use the resources below"`,
		)
		c.typ(`/as sam`, `/click `+c.choice("DM to sam:", "I agree"))
		// sam leaves: the place is kim's, who agrees to the new version.
		c.typ(`/in tuesday`, `/leave`)
		c.typ(`/as kim`, `/click `+c.choice("DM to kim:", "I agree"))
		c.typ(`/as fac`, `/tend norms post`, `/tend norms status`)
		// The group is full again: someone the facilitator adds waits on
		// the waitlist, and every message says so.
		c.typ(`/tend roster add user:lee`)
		c.sleepUntil(time.Date(2000, 1, 4, 18, 1, 0, 0, time.UTC))
		golden(t, "console", c.out.String())
	})
}
