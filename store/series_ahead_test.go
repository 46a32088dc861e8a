package store

import (
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// TestSeriesAhead: a deferred series is stored with its AheadAt and no
// session, the ahead job of the earliest time in the same transaction;
// the due ones are read earliest first; SetSeriesAhead changes AheadAt
// only from the value it was read with, and enqueues its job with it.
func TestSeriesAhead(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	now := time.Date(2030, 1, 7, 12, 0, 0, 0, time.UTC)
	added, err := db.AddConfigGroups(ctx, "system:config", []bot.Group{testGroup("a", "c1"), testGroup("b", "c2"), testGroup("c", "c3")})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := added[0].ID, added[1].ID, added[2].ID
	ser := func(g int64, ahead time.Time) bot.Series {
		return bot.Series{GroupID: g, Schedule: bot.Schedule{Weekly: "mon 18:00", Duration: time.Hour, Starts: "2030-01-07"},
			Settings: bot.ReminderSettings{Leads: []time.Duration{time.Hour}}, Source: bot.SourceConfig, AheadAt: ahead}
	}
	aheadJob := func(at time.Time) bot.Job {
		return bot.Job{Kind: "test.ahead", Key: "test.ahead/" + at.Format(time.RFC3339), DueAt: at}
	}
	sessions := func(s bot.Series) []bot.Session {
		start := time.Date(2030, 1, 7, 18, 0, 0, 0, time.UTC)
		return []bot.Session{{GroupID: s.GroupID, Number: 1, Start: start, End: start.Add(time.Hour)}}
	}
	noJobs := func(bot.Series, bot.Session) []bot.Job { return nil }
	tA, tB := now.Add(48*time.Hour), now.Add(24*time.Hour)

	if _, err := db.AddSeries(ctx, now, []bot.Series{ser(a, tA)}, sessions, noJobs, nil); err == nil {
		t.Fatal("a deferred series without an ahead job was stored")
	}
	if _, err := db.AddSeries(ctx, now, []bot.Series{ser(a, tA), ser(b, tB), ser(c, time.Time{})}, sessions, noJobs, aheadJob); err != nil {
		t.Fatal(err)
	}
	for g, want := range map[int64]time.Time{a: tA, b: tB, c: {}} {
		s, err := db.Series(ctx, g)
		if err != nil || !s.AheadAt.Equal(want) {
			t.Fatalf("series of %d: AheadAt %v, %v; want %v", g, s.AheadAt, err, want)
		}
		_, _, stored, err := db.LastPlannedSession(ctx, g)
		if err != nil || stored != want.IsZero() {
			t.Fatalf("group %d has a session: %v, %v; want %v", g, stored, err, want.IsZero())
		}
	}
	// One ahead job, at the earliest time.
	due, err := db.ClaimDueJobs(ctx, now.Add(100*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	var aheads []bot.Job
	for _, j := range due {
		if j.Kind == "test.ahead" {
			aheads = append(aheads, j)
		}
	}
	if len(aheads) != 1 || !aheads[0].DueAt.Equal(tB) {
		t.Fatalf("ahead jobs %+v; want one at %v", aheads, tB)
	}

	if next, ok, err := db.NextSeriesAhead(ctx); err != nil || !ok || !next.Equal(tB) {
		t.Fatalf("next %v %v %v; want %v", next, ok, err, tB)
	}
	if got, err := db.SeriesDueAhead(ctx, tB.Add(-time.Second), 10); err != nil || len(got) != 0 {
		t.Fatalf("due before b's time: %+v, %v", got, err)
	}
	got, err := db.SeriesDueAhead(ctx, tA, 10)
	if err != nil || len(got) != 2 || got[0].GroupID != b || got[1].GroupID != a {
		t.Fatalf("due by a's time: %+v, %v; want b then a", got, err)
	}
	if got, err := db.SeriesDueAhead(ctx, tA, 1); err != nil || len(got) != 1 || got[0].GroupID != b {
		t.Fatalf("one due: %+v, %v; want b", got, err)
	}

	// From a stale value, nothing changes.
	if ok, err := db.SetSeriesAhead(ctx, b, tA, time.Time{}, nil); err != nil || ok {
		t.Fatalf("set from a stale value: %v, %v; want no change", ok, err)
	}
	retry := now.Add(10 * time.Minute)
	j := aheadJob(retry)
	if ok, err := db.SetSeriesAhead(ctx, b, tB, retry, &j); err != nil || !ok {
		t.Fatalf("move b: %v, %v", ok, err)
	}
	if next, ok, err := db.NextSeriesAhead(ctx); err != nil || !ok || !next.Equal(retry) {
		t.Fatalf("next after moving b: %v %v %v; want %v", next, ok, err, retry)
	}
	if _, err := db.EnqueueJob(ctx, j); err != nil {
		t.Fatalf("the same job again: %v", err)
	}
	if ok, err := db.SetSeriesAhead(ctx, b, retry, time.Time{}, nil); err != nil || !ok {
		t.Fatalf("clear b: %v, %v", ok, err)
	}
	if ok, err := db.SetSeriesAhead(ctx, a, tA, time.Time{}, nil); err != nil || !ok {
		t.Fatalf("clear a: %v, %v", ok, err)
	}
	if _, ok, err := db.NextSeriesAhead(ctx); err != nil || ok {
		t.Fatalf("next after clearing all: %v, %v; want none", ok, err)
	}
}
