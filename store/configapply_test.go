package store

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// TestAddConfigGroups: groups that clash with nothing are created, each
// stored as UpsertConfigGroup stores a new one (facilitators, one audit
// entry) and returned as GroupByName reads it; a group whose name or
// channel is taken, an invalid one and a second one of the same name are
// left out, for the one-by-one path.
func TestAddConfigGroups(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	if _, err := db.CreateGroup(ctx, "console:ana", testGroup("chat", "c1")); err != nil {
		t.Fatal(err)
	}
	bad := testGroup("zone", "c9")
	bad.TimeZone = "Nowhere/Land"
	a := testGroup("a", "c2")
	a.Facilitators = []bot.Principal{"role:7", "console:bo", "console:bo"}
	gs := []bot.Group{a, testGroup("chat", "c3"), testGroup("b", "c1"), bad, testGroup("c", "c4"), testGroup("c", "c5")}
	added, err := db.AddConfigGroups(ctx, "system:config", gs)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range added {
		names = append(names, g.Name)
		read, err := db.GroupByName(ctx, g.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(read, g) {
			t.Errorf("returned %+v\nstored   %+v", g, read)
		}
		if g.Source != bot.SourceConfig {
			t.Errorf("%s source %q", g.Name, g.Source)
		}
		if got := actions(t, db, g.ID); len(got) != 1 || got[0] != "group.config "+groupSettings(g, g.Facilitators) {
			t.Errorf("%s audited %q; want one group.config", g.Name, got)
		}
	}
	if strings.Join(names, ",") != "a,c" {
		t.Fatalf("added %v; want a and c (the others clash or are invalid)", names)
	}
	if got := added[0].Facilitators; !reflect.DeepEqual(got, []bot.Principal{"console:bo", "role:7"}) {
		t.Errorf("a's facilitators %v", got)
	}
	if c, err := db.GroupByName(ctx, "c"); err != nil || c.Address.Channel != "c4" {
		t.Errorf("c = %+v, %v; want the first one declared", c, err)
	}
}

// TestConfigDigests: the digests recorded are read back for the groups
// from the file; any change made to a group otherwise — its settings, its
// facilitators, an apply of the file one by one — forgets its digest.
func TestConfigDigests(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	added, err := db.AddConfigGroups(ctx, "system:config", []bot.Group{testGroup("a", "c1"), testGroup("b", "c2"), testGroup("c", "c3"), testGroup("d", "c4")})
	if err != nil || len(added) != 4 {
		t.Fatal(added, err)
	}
	if _, err := db.CreateGroup(ctx, "console:ana", testGroup("chat", "c9")); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "", "b": "", "c": "", "d": ""}
	if got, err := db.ConfigDigests(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("before recording: %v, %v; want %v", got, err, want)
	}
	ds := map[int64]string{}
	for _, g := range added {
		ds[g.ID] = "digest-" + g.Name
		want[g.Name] = "digest-" + g.Name
	}
	if err := db.RecordConfigDigests(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if got, err := db.ConfigDigests(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("recorded: %v, %v; want %v", got, err, want)
	}
	a, b, c := added[0], added[1], added[2]
	a.Capacity = 3
	if _, _, err := db.UpdateGroup(ctx, "console:ana", a); err != nil {
		t.Fatal(err)
	}
	if err := db.AddFacilitator(ctx, "console:ana", b.ID, "console:zoe"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.UpsertConfigGroup(ctx, "system:config", c); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"a": "", "b": "", "c": "", "d": "digest-d"}
	if got, err := db.ConfigDigests(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after changes: %v, %v; want %v", got, err, want)
	}
}

// TestAddSeries: a group that has a series already is left out and
// returned; a group that does not exist stores nothing of its chunk; a
// job key taken by the same work is fine, by other work a conflict; and
// foreign keys are checked again once the bulk path is done.
func TestAddSeries(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	now := time.Date(2030, 1, 7, 12, 0, 0, 0, time.UTC)
	added, err := db.AddConfigGroups(ctx, "system:config", []bot.Group{testGroup("a", "c1"), testGroup("b", "c2"), testGroup("c", "c3")})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := added[0].ID, added[1].ID, added[2].ID
	ser := func(g int64) bot.Series {
		return bot.Series{GroupID: g, Schedule: bot.Schedule{Weekly: "mon 18:00", Duration: time.Hour, Starts: "2030-01-07"},
			Settings: bot.ReminderSettings{Leads: []time.Duration{time.Hour}}, Source: bot.SourceConfig}
	}
	if _, err := db.SaveSeries(ctx, ser(b), now, nil); err != nil {
		t.Fatal(err)
	}
	sessions := func(s bot.Series) []bot.Session {
		start := time.Date(2030, 1, 7, 18, 0, 0, 0, time.UTC)
		return []bot.Session{{GroupID: s.GroupID, Number: 1, Start: start, End: start.Add(time.Hour)}}
	}
	jobs := func(extra ...bot.Job) func(bot.Series, bot.Session) []bot.Job {
		return func(s bot.Series, ss bot.Session) []bot.Job {
			return append([]bot.Job{{Kind: "test.start", Key: fmt.Sprintf("test.start/%d", ss.ID), GroupID: s.GroupID, SessionID: ss.ID, DueAt: ss.Start}}, extra...)
		}
	}
	if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "test.other", Key: "test.other/1", Payload: []byte("x")}); err != nil {
		t.Fatal(err)
	}

	// Other work under a taken key: nothing of the chunk is stored.
	_, err = db.AddSeries(ctx, now, []bot.Series{ser(a)}, sessions, jobs(bot.Job{Kind: "test.other", Key: "test.other/1", Payload: []byte("y")}), nil)
	if !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("a taken key: %v; want ErrConflict", err)
	}
	// A group that does not exist: nothing of the chunk is stored.
	if _, err := db.AddSeries(ctx, now, []bot.Series{ser(a), ser(9999)}, sessions, jobs(), nil); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("an unknown group: %v; want ErrNotFound", err)
	}
	if _, err := db.Series(ctx, a); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("a's series after failed chunks: %v; want none", err)
	}

	skipped, err := db.AddSeries(ctx, now, []bot.Series{ser(a), ser(b), ser(c)}, sessions, jobs(bot.Job{Kind: "test.other", Key: "test.other/1", Payload: []byte("x")}), nil)
	if err != nil || !reflect.DeepEqual(skipped, []int64{b}) {
		t.Fatalf("skipped %v, %v; want b, which has a series", skipped, err)
	}
	for _, g := range []int64{a, c} {
		s, err := db.Series(ctx, g)
		if err != nil || s.Source != bot.SourceConfig {
			t.Fatalf("series of %d: %+v, %v", g, s, err)
		}
		last, _, ok, err := db.LastPlannedSession(ctx, g)
		if err != nil || !ok || last.Number != 1 {
			t.Fatalf("session of %d: %+v, %v, %v", g, last, ok, err)
		}
		js, err := db.SessionJobs(ctx, last.ID)
		if err != nil || len(js) != 1 || js[0].Key != fmt.Sprintf("test.start/%d", last.ID) || js[0].State != bot.JobPending {
			t.Fatalf("jobs of session %d: %+v, %v", last.ID, js, err)
		}
	}
	if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "test.x", Key: "test.x/1", GroupID: 9999}); err == nil {
		t.Fatal("a job of a group that does not exist was stored: foreign keys are off after the bulk path")
	}
}
