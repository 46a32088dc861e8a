package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

// waitOutput waits until out contains s.
func waitOutput(t *testing.T, ctx context.Context, out *lockedBuffer, s string) {
	t.Helper()
	for !strings.Contains(out.String(), s) {
		select {
		case <-ctx.Done():
			t.Fatalf("never printed %q; printed:\n%s", s, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

var checkLine = regexp.MustCompile(`(?m)^  #(\d+)\s.*= (\d{4}-\d\d-\d\d \d\d:\d\d) UTC`)

// TestCalendar_FeedAgreesWithCheck runs tend with a weekly Sunday 01:30
// series in London, whose wall time the clocks skip in March and pass
// twice in October, gets a member's feed link in chat, cancels one
// session, fetches the feed over HTTP and parses it back with the
// iCalendar library; every event is at the instant `tend check --from …
// --count …` prints for its session, and every session check prints in
// the feed's window is in the feed.
func TestCalendar_FeedAgreesWithCheck(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	// Starting tomorrow, so that every session is ahead and tend stores
	// and computes them all.
	starts := time.Now().In(london).AddDate(0, 0, 1).Format(time.DateOnly)
	writeConfig(t, dir, fmt.Sprintf(`storage: {path: tend.db}
owners: ["console:owner"]
calendar: {listen: %q, base_url: "http://%s"}
groups:
  - name: sunday-circle
    platform: console
    channel: console
    timezone: Europe/London
    schedule:
      weekly: sun 01:30
      duration: 60m
      starts: %s
      topics: ["Welcome", "Stress"]
      link: https://meet.example.org/sunday
`, addr, addr, starts))

	in, typed := io.Pipe()
	out := &lockedBuffer{}
	m := &Main{Stdin: in, Stdout: out, Stderr: &lockedBuffer{}, LookupEnv: func(string) (string, bool) { return "", false }, Dir: dir, Location: time.UTC}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- runMain(ctx, m, []string{"run"}) }()
	type_ := func(line string) {
		if _, err := io.WriteString(typed, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	type_("/tend group calendar")
	link := regexp.MustCompile(`http://` + regexp.QuoteMeta(addr) + `/calendar/[A-Za-z0-9_-]{43}\.ics`)
	for link.FindString(out.String()) == "" {
		select {
		case <-ctx.Done():
			t.Fatalf("no calendar link:\n%s\n%s", out.String(), m.Stderr.(*lockedBuffer).String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	feedURL := link.FindString(out.String())
	type_("/tend session cancel 3")
	waitOutput(t, ctx, out, "Session 3 on")

	code, body, err := httpGet(ctx, feedURL)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET the feed: %d %v\n%s", code, err, body)
	}
	fetched := time.Now()
	typed.Close() // end of input: tend finishes and stops
	select {
	case c := <-done:
		if c != 0 {
			t.Fatalf("tend run exited %d:\n%s", c, m.Stderr.(*lockedBuffer).String())
		}
	case <-ctx.Done():
		t.Fatal("tend run did not stop at the end of its input")
	}

	cal, err := ics.ParseCalendar(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the feed does not parse: %v", err)
	}
	feed := map[int]time.Time{}
	status := map[int]string{}
	for _, e := range cal.Events() {
		start, err := e.GetStartAt()
		if err != nil {
			t.Fatal(err)
		}
		sum := e.GetProperty(ics.ComponentPropertySummary).Value
		_, after, ok := strings.Cut(sum, "session ")
		n, err := strconv.Atoi(strings.Fields(after + " x")[0])
		if !ok || err != nil {
			t.Fatalf("summary %q names no session number", sum)
		}
		if _, dup := feed[n]; dup {
			t.Errorf("session %d is in the feed twice", n)
		}
		feed[n] = start.UTC()
		status[n] = e.GetProperty(ics.ComponentPropertyStatus).Value
	}

	// What tend check says, for the same series from the same date.
	tm := newTestMain(t, dir, "")
	if c := tm.run(t, "check", "--from", starts, "--count", "60"); c != 0 {
		t.Fatalf("tend check exited %d:\n%s", c, tm.stderr.String())
	}
	preview := tm.stdout.String()
	wantContains(t, "check", preview, "! clocks change before this session", "does not exist in Europe/London that day")
	shown := 0
	for _, mm := range checkLine.FindAllStringSubmatch(preview, -1) {
		n, _ := strconv.Atoi(mm[1])
		at, err := time.Parse("2006-01-02 15:04", mm[2])
		if err != nil {
			t.Fatal(err)
		}
		if !at.Before(fetched.Add(365 * 24 * time.Hour)) {
			if _, ok := feed[n]; ok {
				t.Errorf("session %d (%s) is past the feed's year but in it", n, at)
			}
			continue
		}
		shown++
		got, ok := feed[n]
		switch {
		case !ok:
			t.Errorf("tend check shows session %d at %s UTC; the feed lacks it", n, mm[2])
		case !got.Equal(at):
			t.Errorf("session %d: the feed says %s, tend check %s UTC", n, got.Format(time.RFC3339), mm[2])
		}
		delete(feed, n)
	}
	for n, at := range feed {
		t.Errorf("the feed has session %d at %s, which tend check does not show", n, at)
	}
	if shown < 52 {
		t.Errorf("compared %d sessions; a year of Sundays is 52 or 53", shown)
	}
	if status[3] != "CANCELLED" || status[2] != "CONFIRMED" {
		t.Errorf("status of session 3 %q (want CANCELLED), of session 2 %q (want CONFIRMED)", status[3], status[2])
	}
	if !strings.Contains(body, "LOCATION:https://meet.example.org/sunday") {
		t.Error("the feed lacks the meeting link")
	}
	if strings.Contains(m.Stderr.(*lockedBuffer).String(), strings.TrimPrefix(feedURL, "http://"+addr+"/calendar/")) {
		t.Error("the log holds a feed token")
	}
}
