package calendar_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/calendar"
	"github.com/tend-bot/tend/schedule"
	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

// world is the calendar feature over a real store, a Bot with a Runner
// (member-gone events are durable jobs) and a fake clock.
type world struct {
	t     testing.TB
	db    *store.DB
	clock *bottest.Clock
	b     *bot.Bot
	r     *bot.Runner
	f     *calendar.Feature
	g     bot.Group
	srv   *httptest.Server
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newWorld(t testing.TB, privacy bot.Privacy, now time.Time) *world {
	t.Helper()
	w := &world{t: t, db: storetest.Open(t), clock: bottest.NewClock(now)}
	ctx := t.Context()
	g, err := w.db.CreateGroup(ctx, "console:fac", bot.Group{
		Name: "sunday-circle", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "sunday"},
		Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "Europe/London", Privacy: privacy,
		Facilitators: []bot.Principal{"console:fac"},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.g = g
	for _, u := range []bot.UserID{"ann", "bob"} {
		if _, err := w.db.AddMember(ctx, "console:fac", bot.Member{GroupID: g.ID, User: u, Status: bot.MemberActive}); err != nil {
			t.Fatal(err)
		}
	}
	codec, err := bot.NewActionCodec(testKey)
	if err != nil {
		t.Fatal(err)
	}
	plat := &bottest.Platform{Clock: w.clock}
	sender := bot.NewSender(w.db, codec, w.clock, quiet(), plat)
	w.r = bot.NewRunner(bot.RunnerConfig{Store: w.db, Clock: w.clock, Logger: quiet()})
	w.b, err = bot.New(bot.Config{Groups: w.db, Owners: []bot.Principal{"console:owner"}, Codec: codec, Sender: sender, Clock: w.clock, Logger: quiet(), Runner: w.r})
	if err != nil {
		t.Fatal(err)
	}
	w.f, err = calendar.New(w.db, bot.Deps{Clock: w.clock, Sender: sender, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.f.Enable("https://tend.example.org/feeds"); err != nil {
		t.Fatal(err)
	}
	if err := w.f.Register(w.b, w.r); err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(w.f.Handler())
	t.Cleanup(w.srv.Close)
	return w
}

// ask runs /tend words as user in the group's channel and returns the
// reply's text.
func (w *world) ask(user bot.UserID, words ...string) string {
	w.t.Helper()
	ev := &bot.Command{EventMeta: bot.EventMeta{Platform: bot.PlatformConsole, Channel: "sunday", User: bot.User{Platform: bot.PlatformConsole, ID: user}, At: w.clock.Now()}, Words: words}
	outs := w.b.Handle(w.t.Context(), ev)
	if len(outs) != 1 {
		w.t.Fatalf("/tend %v: %d replies", words, len(outs))
	}
	if !outs[0].Ephemeral {
		w.t.Errorf("/tend %v answered in public; a calendar link is private", words)
	}
	return outs[0].Message.Title + "\n" + outs[0].Message.Text
}

var linkRE = regexp.MustCompile(`https://tend\.example\.org/feeds/calendar/[A-Za-z0-9_-]{43}\.ics`)

// link asks for user's link and returns the path the test server serves
// it at.
func (w *world) link(user bot.UserID) string {
	w.t.Helper()
	text := w.ask(user, "group", "calendar")
	u := linkRE.FindString(text)
	if u == "" {
		w.t.Fatalf("no link in:\n%s", text)
	}
	return strings.TrimPrefix(u, "https://tend.example.org/feeds")
}

// fetch GETs path and returns the status and body.
func (w *world) fetch(path string) (int, string) {
	w.t.Helper()
	resp, err := http.Get(w.srv.URL + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		w.t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, string(b)
}

// feed fetches and parses path with the iCalendar library.
func (w *world) feed(path string) *ics.Calendar {
	w.t.Helper()
	code, body := w.fetch(path)
	if code != http.StatusOK {
		w.t.Fatalf("GET feed: %d %s", code, body)
	}
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	if err != nil {
		w.t.Fatalf("the feed does not parse: %v\n%s", err, body)
	}
	return cal
}

// event is what a test reads back from a parsed VEVENT.
type event struct {
	uid, summary, status, desc, location string
	start, end                           time.Time
	seq                                  string
}

func events(t *testing.T, cal *ics.Calendar) []event {
	t.Helper()
	var out []event
	for _, e := range cal.Events() {
		start, err := e.GetStartAt()
		if err != nil {
			t.Fatal(err)
		}
		end, err := e.GetEndAt()
		if err != nil {
			t.Fatal(err)
		}
		val := func(p ics.ComponentProperty) string {
			if x := e.GetProperty(p); x != nil {
				return x.Value
			}
			return ""
		}
		out = append(out, event{uid: e.Id(), summary: val(ics.ComponentPropertySummary), status: val(ics.ComponentPropertyStatus),
			desc: val(ics.ComponentPropertyDescription), location: val(ics.ComponentPropertyLocation), seq: val(ics.ComponentPropertySequence),
			start: start.UTC(), end: end.UTC()})
	}
	return out
}

// sunday is the series of these tests: Sundays at 01:30 in London, which
// the clocks skip on the last Sunday of March and pass twice on the last
// of October.
var sunday = bot.Schedule{Weekly: "sun 01:30", Duration: time.Hour, Starts: "2027-01-03",
	Topics: []string{"Welcome", "Stress | bring a notebook"}, Link: "https://meet.example.org/sunday"}

// seed stores the series and materialises its sessions up to until, as
// the reminders feature does.
func (w *world) seed(s bot.Schedule, until time.Time) []bot.Session {
	w.t.Helper()
	ctx := w.t.Context()
	if _, err := w.db.SaveSeries(ctx, bot.Series{GroupID: w.g.ID, Schedule: s, Settings: bot.ReminderSettings{Leads: []time.Duration{time.Hour}}}, w.clock.Now(), nil); err != nil {
		w.t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/London")
	plan, err := schedule.ParsePlan(s, loc)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []bot.Session
	for o, ok := plan.First(); ok && o.Start.Before(until); o, ok = plan.After(o) {
		got, _, err := w.db.MaterializeSession(ctx, bot.Session{GroupID: w.g.ID, Number: o.Number, Start: o.Start, End: o.End,
			Topic: plan.Topic(o.Number), Status: bot.SessionScheduled, Link: s.Link}, func(bot.Session) []bot.Job { return nil })
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, got)
	}
	return out
}

func TestFeed_SessionsAsTendComputesThem(t *testing.T) {
	now := time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, bot.PrivacyStandard, now)
	stored := w.seed(sunday, now.Add(21*24*time.Hour)) // three weeks stored ahead, as reminders would
	ctx := t.Context()
	// Cancel the session of 2027-03-21; move the one of 2027-03-14 to
	// Monday 19:00.
	var cancelled, moved bot.Session
	for _, s := range stored {
		switch s.Start.Format(time.DateOnly) {
		case "2027-03-21":
			cancelled = s
		case "2027-03-14":
			moved = s
		}
	}
	if err := w.db.CancelSession(ctx, cancelled.ID, "cancelled by console:fac", now, nil); err != nil {
		t.Fatal(err)
	}
	newStart := time.Date(2027, 3, 15, 19, 0, 0, 0, time.UTC)
	if _, err := w.db.MoveSession(ctx, moved.ID, newStart, newStart.Add(time.Hour), now, func(bot.Session) []bot.Job { return nil }); err != nil {
		t.Fatal(err)
	}

	got := events(t, w.feed(w.link("ann")))

	// Every instant the series has from 30 days ago to a year ahead,
	// computed independently here from the schedule engine.
	loc, _ := time.LoadLocation("Europe/London")
	plan, err := schedule.ParsePlan(sunday, loc)
	if err != nil {
		t.Fatal(err)
	}
	var want []time.Time
	for _, o := range plan.Occurrences(now.Add(-calendar.Past), 200) {
		if o.Start.Before(now.Add(calendar.Ahead)) {
			want = append(want, o.Start)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	uids := map[string]bool{}
	for i, e := range got {
		if uids[e.uid] {
			t.Errorf("UID %s twice", e.uid)
		}
		uids[e.uid] = true
		switch {
		case e.start.Equal(newStart):
			if e.status != "CONFIRMED" || e.seq != "1" || !strings.Contains(e.desc, "Moved from 2027-03-14 01:30 UTC") {
				t.Errorf("moved session: %+v", e)
			}
			continue
		case e.start.Equal(cancelled.Start):
			if e.status != "CANCELLED" || e.seq != "1" || !strings.HasPrefix(e.summary, "Cancelled: ") {
				t.Errorf("cancelled session: %+v", e)
			}
		default:
			if e.status != "CONFIRMED" || e.seq != "0" {
				t.Errorf("session at %s: %+v", e.start, e)
			}
		}
		if e.end.Sub(e.start) != time.Hour || e.location != sunday.Link {
			t.Errorf("session at %s: end %s, location %q", e.start, e.end, e.location)
		}
		_ = i
	}
	// The instants, sorted as the feed is (the moved one sorts at its new
	// time): each the series' own, across both clock changes.
	var starts []time.Time
	for _, e := range got {
		if e.start.Equal(newStart) {
			starts = append(starts, moved.Start)
			continue
		}
		starts = append(starts, e.start)
	}
	for _, s := range want {
		found := false
		for _, g := range starts {
			found = found || g.Equal(s)
		}
		if !found {
			t.Errorf("no event at %s", s)
		}
	}
	for _, spot := range []struct {
		when string
		utc  string
	}{
		{"the Sunday the clocks skip 01:30 (held at 02:00 BST)", "2027-03-28T01:00:00Z"},
		{"a Sunday in summer (01:30 BST)", "2027-06-06T00:30:00Z"},
		{"the Sunday 01:30 happens twice (held at the first)", "2027-10-31T00:30:00Z"},
		{"a Sunday in winter (01:30 GMT)", "2027-11-07T01:30:00Z"},
	} {
		at, _ := time.Parse(time.RFC3339, spot.utc)
		found := false
		for _, e := range got {
			found = found || e.start.Equal(at)
		}
		if !found {
			t.Errorf("%s: no event at %s", spot.when, spot.utc)
		}
	}
	// Topics: the title and what to bring.
	for _, e := range got {
		if e.start.Equal(stored[1].Start) && (!strings.Contains(e.summary, "session 2 — Stress") || !strings.Contains(e.desc, "Bring: bring a notebook")) {
			t.Errorf("session 2: %q / %q", e.summary, e.desc)
		}
	}
	// The same UID for a session before and after it is stored: fetched
	// again after more sessions are materialised, nothing changes.
	w.seed(sunday, now.Add(60*24*time.Hour))
	again := events(t, w.feed(w.link("bob")))
	if len(again) != len(got) {
		t.Fatalf("after materialising more: %d events, want %d", len(again), len(got))
	}
	for i := range got {
		if again[i].uid != got[i].uid || !again[i].start.Equal(got[i].start) || again[i].status != got[i].status {
			t.Errorf("event %d changed when its session was stored: %+v → %+v", i, got[i], again[i])
		}
	}
}

func TestFeed_MinimalPrivacyHasNoLinks(t *testing.T) {
	now := time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, bot.PrivacyMinimal, now)
	w.seed(sunday, now.Add(7*24*time.Hour))
	code, body := w.fetch(w.link("ann"))
	if code != http.StatusOK {
		t.Fatal(code)
	}
	if strings.Contains(body, "meet.example.org") || strings.Contains(body, "LOCATION") || strings.Contains(body, "URL:") {
		t.Errorf("a privacy: minimal feed holds the link:\n%s", body)
	}
	if !strings.Contains(body, "BEGIN:VEVENT") {
		t.Error("no events")
	}
}

func TestFeed_PausedSeriesShowsNoFutureSessions(t *testing.T) {
	now := time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, bot.PrivacyStandard, now)
	w.seed(sunday, now.Add(14*24*time.Hour))
	if err := w.db.SetSeriesPaused(t.Context(), w.g.ID, true, now); err != nil {
		t.Fatal(err)
	}
	for _, e := range events(t, w.feed(w.link("ann"))) {
		if e.start.After(now) {
			t.Errorf("a paused series shows a session at %s", e.start)
		}
	}
}

func TestLinks_PrivatePerPersonRotatedAndRevoked(t *testing.T) {
	now := time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, bot.PrivacyStandard, now)
	w.seed(sunday, now.Add(7*24*time.Hour))
	ann, bob := w.link("ann"), w.link("bob")
	if ann == bob {
		t.Fatal("two members got the same link")
	}
	for _, p := range []string{ann, bob} {
		if code, _ := w.fetch(p); code != http.StatusOK {
			t.Fatalf("GET %s: %d", p, code)
		}
	}
	// Asking again replaces one's own link only.
	ann2 := w.link("ann")
	if code, _ := w.fetch(ann); code != http.StatusNotFound {
		t.Errorf("ann's old link: %d, want 404", code)
	}
	if code, _ := w.fetch(ann2); code != http.StatusOK {
		t.Errorf("ann's new link: %d", code)
	}
	if code, _ := w.fetch(bob); code != http.StatusOK {
		t.Errorf("bob's link after ann asked again: %d", code)
	}
	// Unknown, malformed and foreign paths all answer the same 404.
	for _, p := range []string{"/calendar/" + strings.Repeat("A", 43) + ".ics", "/calendar/short.ics", "/calendar/" + strings.TrimSuffix(strings.TrimPrefix(ann2, "/calendar/"), ".ics"), "/", "/metrics"} {
		if code, body := w.fetch(p); code != http.StatusNotFound || strings.Contains(body, "sunday") {
			t.Errorf("GET %s: %d %q, want a plain 404", p, code, body)
		}
	}
	// A member cannot rotate; a facilitator can, and gets a new link.
	if text := w.ask("bob", "group", "calendar", "rotate"); !strings.Contains(text, "Only facilitators of sunday-circle can replace every calendar link") {
		t.Errorf("bob rotating: %s", text)
	}
	if code, _ := w.fetch(bob); code != http.StatusOK {
		t.Error("a refused rotation changed bob's link")
	}
	text := w.ask("fac", "group", "calendar", "rotate")
	if !strings.Contains(text, "Replaced: the 2 calendar links of sunday-circle no longer work") {
		t.Errorf("rotate: %s", text)
	}
	for _, p := range []string{ann2, bob} {
		if code, _ := w.fetch(p); code != http.StatusNotFound {
			t.Errorf("GET %s after rotation: %d, want 404", p, code)
		}
	}
	fac := linkRE.FindString(text)
	if code, _ := w.fetch(strings.TrimPrefix(fac, "https://tend.example.org/feeds")); fac == "" || code != http.StatusOK {
		t.Errorf("the facilitator's new link %q: %d", fac, code)
	}

	// A member who leaves loses their link: the event is a durable job.
	bobNew := w.link("bob")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.r.Run(ctx) }()
	if err := w.b.PublishMemberGone(t.Context(), &bot.MemberGone{Group: w.g, User: "bob", Why: "left the channel", At: now}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := w.fetch(bobNew)
		if code == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a member who left still has a working link")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if code, _ := w.fetch(strings.TrimPrefix(fac, "https://tend.example.org/feeds")); code != http.StatusOK {
		t.Error("another member's leaving took the facilitator's link")
	}
}

func TestLinks_OffUntilConfigured(t *testing.T) {
	db := storetest.Open(t)
	f, err := calendar.New(db, bot.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Enable("not a url"); err == nil {
		t.Error("Enable took a base URL that is not one")
	}
	w := newWorld(t, bot.PrivacyStandard, time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC))
	w.f, _ = calendar.New(w.db, bot.Deps{Clock: w.clock})
	b, err := bot.New(bot.Config{Groups: w.db, Codec: w.b.Codec(), Sender: w.b.Sender(), Clock: w.clock, Logger: quiet(), Runner: bot.NewRunner(bot.RunnerConfig{Store: w.db})})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.f.Register(b, nil); err != nil {
		t.Fatal(err)
	}
	w.b = b
	if text := w.ask("ann", "group", "calendar"); !strings.Contains(text, "Calendar feeds are not turned on in this tend") || strings.Contains(text, "https://") {
		t.Errorf("feeds off: %s", text)
	}
}

// BenchmarkFeed serves one member's feed of a weekly group with a year of
// sessions ahead (five weeks of them stored, the rest computed): read,
// computed, rendered and written.
func BenchmarkFeed(b *testing.B) {
	now := time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)
	w := newWorld(b, bot.PrivacyStandard, now)
	w.seed(sunday, now.Add(35*24*time.Hour))
	path := w.link("ann")
	h := w.f.Handler()
	size := 0
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size)/1e3, "kB/feed")
}

// blockingStore holds every feed's session read until released.
type blockingStore struct {
	*store.DB
	entered chan struct{}
	release chan struct{}
}

func (s blockingStore) SessionRecords(ctx context.Context, groupID int64, from, to time.Time) ([]bot.SessionRecord, error) {
	s.entered <- struct{}{}
	<-s.release
	return s.DB.SessionRecords(ctx, groupID, from, to)
}

func TestHandler_BoundsConcurrentFeeds(t *testing.T) {
	now := time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)
	w := newWorld(t, bot.PrivacyStandard, now)
	w.seed(sunday, now.Add(7*24*time.Hour))
	path := w.link("ann")
	bs := blockingStore{DB: w.db, entered: make(chan struct{}, calendar.MaxConcurrentFeeds), release: make(chan struct{})}
	f, err := calendar.New(bs, bot.Deps{Clock: w.clock, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.Handler())
	var once sync.Once
	release := func() { once.Do(func() { close(bs.release) }) }
	// On any failure the held feeds are let go before the server closes.
	defer srv.Close()
	defer release()
	client := &http.Client{Timeout: 10 * time.Second}
	codes := make(chan int, calendar.MaxConcurrentFeeds)
	for range calendar.MaxConcurrentFeeds {
		go func() {
			resp, err := client.Get(srv.URL + path)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	for range calendar.MaxConcurrentFeeds {
		select {
		case <-bs.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the feeds did not start")
		}
	}
	// Every slot is taken: one more is turned away at once.
	resp, err := client.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a feed beyond the bound: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	release()
	for range calendar.MaxConcurrentFeeds {
		if c := <-codes; c != http.StatusOK {
			t.Errorf("a feed within the bound: %d", c)
		}
	}
}
