package store_test

import (
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store/storetest"
)

// TestReplacedSessions: the sessions a new schedule cancelled are told
// apart from the live series' (including the live series' own cancelled
// ones), over the real database.
func TestReplacedSessions(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	ser := bot.Series{GroupID: g.ID, Schedule: bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Starts: "2026-11-24"}}
	if _, err := db.SaveSeries(ctx, ser, now, nil); err != nil {
		t.Fatal(err)
	}
	add := func(n int, start time.Time) bot.Session {
		s, _, err := db.MaterializeSession(ctx, bot.Session{GroupID: g.ID, Number: n, Start: start, End: start.Add(time.Hour)}, sessionJobsFor)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	old1 := add(1, time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC))
	old2 := add(2, time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC))
	if err := db.CancelSession(ctx, old2.ID, "cancelled by a facilitator", now, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := db.ReplacedSessions(ctx, g.ID, now, 10); err != nil || len(got) != 0 {
		t.Fatalf("before a replacement: %+v, %v", got, err)
	}
	ser.Schedule.Weekly = "wed 18:00"
	if changed, err := db.SaveSeries(ctx, ser, now, nil); err != nil || !changed {
		t.Fatalf("replace: %v, %v", changed, err)
	}
	add(1, time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC))
	new2 := add(2, time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC))
	if err := db.CancelSession(ctx, new2.ID, "cancelled by a facilitator", now, nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.ReplacedSessions(ctx, g.ID, now, 10)
	if err != nil || len(got) != 2 || got[0].ID != old1.ID || got[1].ID != old2.ID {
		t.Fatalf("replaced sessions %+v, %v; want old sessions %d and %d", got, err, old1.ID, old2.ID)
	}
	if n, err := db.CountReplacedSessions(ctx, g.ID, now); err != nil || n != 2 {
		t.Fatalf("counted %d replaced sessions, %v; want 2", n, err)
	}
	live, err := db.LiveSessions(ctx, g.ID, now, 10)
	if err != nil || len(live) != 2 || live[0].Start.Day() != 25 || live[1].ID != new2.ID {
		t.Fatalf("live sessions %+v, %v; want the new schedule's two, its cancelled one included", live, err)
	}
	if got, _ := db.ReplacedSessions(ctx, g.ID, now, 1); len(got) != 1 {
		t.Fatalf("limit 1 gave %d", len(got))
	}
	if got, _ := db.ReplacedSessions(ctx, g.ID, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), 10); len(got) != 1 || got[0].ID != old2.ID {
		t.Fatalf("from 30 November: %+v", got)
	}
}
