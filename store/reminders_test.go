package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

func newReminderGroup(t *testing.T, db *store.DB) bot.Group {
	t.Helper()
	g, err := db.CreateGroup(t.Context(), "console:fac", bot.Group{
		Name: "tuesday", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "tuesday"},
		Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "Europe/London", Privacy: bot.PrivacyStandard,
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func sessionJobsFor(s bot.Session) []bot.Job {
	return []bot.Job{
		{Kind: "reminders.reminder", Key: fmt.Sprintf("reminders.reminder/%d/1h", s.ID), GroupID: s.GroupID, SessionID: s.ID, DueAt: s.Start.Add(-time.Hour)},
		{Kind: "reminders.start", Key: fmt.Sprintf("reminders.start/%d", s.ID), GroupID: s.GroupID, SessionID: s.ID, DueAt: s.Start},
	}
}

func TestReminders_SeriesSessionsJobs(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	ser := bot.Series{GroupID: g.ID, Schedule: bot.Schedule{Weekly: "tue 18:00", Duration: 90 * time.Minute, Starts: "2026-11-24",
		Count: 8, Topics: []string{"one", "two"}, Link: "https://meet.example/x"},
		Settings: bot.ReminderSettings{Leads: []time.Duration{24 * time.Hour, time.Hour}, RSVP: true}}
	if changed, err := db.SaveSeries(ctx, ser, now, nil); err != nil || !changed {
		t.Fatalf("SaveSeries = %v, %v; want changed", changed, err)
	}
	got, err := db.Series(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schedule.Weekly != "tue 18:00" || got.Schedule.Duration != 90*time.Minute || len(got.Settings.Leads) != 2 || got.Settings.Leads[0] != 24*time.Hour || got.Schedule.Topics[1] != "two" || !got.Settings.RSVP {
		t.Fatalf("Series = %+v; want what was saved", got)
	}
	if changed, err := db.SaveSeries(ctx, ser, now, nil); err != nil || changed {
		t.Fatalf("SaveSeries(same) = %v, %v; want unchanged", changed, err)
	}

	start := time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)
	s1 := bot.Session{GroupID: g.ID, Number: 1, Start: start, End: start.Add(90 * time.Minute), Topic: "one"}
	a, created, err := db.MaterializeSession(ctx, s1, sessionJobsFor)
	if err != nil || !created {
		t.Fatalf("MaterializeSession = %v, %v", created, err)
	}
	b, created, err := db.MaterializeSession(ctx, s1, sessionJobsFor)
	if err != nil || created || b.ID != a.ID {
		t.Fatalf("MaterializeSession again = %+v created=%v err=%v; want the same session, nothing new", b, created, err)
	}
	jobs, err := db.SessionJobs(ctx, a.ID)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("SessionJobs = %v, %v; want 2", jobs, err)
	}
	last, planned, ok, err := db.LastPlannedSession(ctx, g.ID)
	if err != nil || !ok || last.ID != a.ID || !planned.Equal(start) {
		t.Fatalf("LastPlannedSession = %+v %v %v %v", last, planned, ok, err)
	}

	// Moving cancels the original, skips its jobs with the reason, and
	// adds a new session (new keys) that still counts as the plan's #1.
	newStart := start.Add(24 * time.Hour)
	m, err := db.MoveSession(ctx, a.ID, newStart, newStart.Add(90*time.Minute), now, sessionJobsFor)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == a.ID || m.Number != 1 || !m.Start.Equal(newStart) {
		t.Fatalf("moved = %+v", m)
	}
	old, _ := db.Session(ctx, a.ID)
	if old.Status != bot.SessionCancelled {
		t.Fatalf("original status %s; want cancelled", old.Status)
	}
	jobs, _ = db.SessionJobs(ctx, a.ID)
	for _, j := range jobs {
		if j.State != bot.JobSkipped || j.Note == "" {
			t.Fatalf("job %s of moved session is %s %q; want skipped with a reason", j.Key, j.State, j.Note)
		}
	}
	if jobs, _ := db.SessionJobs(ctx, m.ID); len(jobs) != 2 || jobs[0].State != bot.JobPending {
		t.Fatalf("moved session's jobs = %+v; want 2 pending", jobs)
	}
	if last, _, _, _ := db.LastPlannedSession(ctx, g.ID); last.ID != a.ID {
		t.Fatalf("last planned after move = %d; want the original %d (the plan continues from it)", last.ID, a.ID)
	}
	if err := db.CancelSession(ctx, a.ID, "again", now, nil); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("cancelling a cancelled session = %v; want ErrConflict", err)
	}

	// A new schedule cancels sessions of the old one that have not started.
	ser.Schedule.Weekly = "wed 18:00"
	if changed, err := db.SaveSeries(ctx, ser, now, nil); err != nil || !changed {
		t.Fatalf("SaveSeries(new schedule) = %v, %v", changed, err)
	}
	if s, _ := db.Session(ctx, m.ID); s.Status != bot.SessionCancelled {
		t.Fatalf("session of the old schedule is %s; want cancelled", s.Status)
	}
	if _, _, ok, _ := db.LastPlannedSession(ctx, g.ID); ok {
		t.Fatal("the new schedule has no sessions yet, but LastPlannedSession found one")
	}

	// Pause skips pending jobs; resume puts back those still to come.
	s2, _, err := db.MaterializeSession(ctx, s1, sessionJobsFor)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSeriesPaused(ctx, g.ID, true, now); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := db.SessionJobs(ctx, s2.ID); jobs[0].State != bot.JobSkipped {
		t.Fatalf("after pause: %s; want skipped", jobs[0].State)
	}
	if err := db.SetSeriesPaused(ctx, g.ID, false, now); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := db.SessionJobs(ctx, s2.ID); jobs[0].State != bot.JobPending {
		t.Fatalf("after resume: %s; want pending", jobs[0].State)
	}
}

func TestReminders_RSVPAwayDMOutbox(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	noTopics := bot.Series{GroupID: g.ID, Schedule: bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Starts: "2026-11-24"}}
	if _, err := db.SaveSeries(ctx, noTopics, now, nil); err != nil {
		t.Fatal(err)
	}
	// Stored, no topics read back as an empty list: still the same schedule.
	if changed, err := db.SaveSeries(ctx, noTopics, now, nil); err != nil || changed {
		t.Fatalf("saving the same series without topics again: changed=%v err=%v; want unchanged", changed, err)
	}
	start := time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)
	s, _, err := db.MaterializeSession(ctx, bot.Session{GroupID: g.ID, Number: 1, Start: start, End: start.Add(time.Hour)}, sessionJobsFor)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []bot.RSVP{{SessionID: s.ID, User: "ann", Answer: bot.RSVPYes, At: now}, {SessionID: s.ID, User: "bob", Answer: bot.RSVPYes, At: now}, {SessionID: s.ID, User: "ann", Answer: bot.RSVPNo, At: now.Add(time.Minute)}} {
		if err := db.SetRSVP(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := db.RSVPs(ctx, s.ID)
	if err != nil || len(rs) != 2 {
		t.Fatalf("RSVPs = %+v, %v", rs, err)
	}
	for _, r := range rs {
		if r.User == "ann" && r.Answer != bot.RSVPNo {
			t.Fatalf("ann's answer %s; want the later no", r.Answer)
		}
	}

	// Without a roster entry (a channel member), away is kept apart and
	// puts nobody on the roster.
	if err := db.SetAway(ctx, g.ID, "ann", now.Add(24*time.Hour)); err != nil {
		t.Fatalf("SetAway for a channel member: %v", err)
	}
	if _, err := db.MemberByUser(ctx, g.ID, "ann"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("ann on the roster after away (%v); want not", err)
	}
	if away, err := db.ChannelAway(ctx, g.ID, now); err != nil || len(away) != 1 || !away["ann"].Equal(now.Add(24*time.Hour)) {
		t.Fatalf("channel away: %v, %v; want ann until tomorrow", away, err)
	}
	if away, err := db.ChannelAway(ctx, g.ID, now.Add(25*time.Hour)); err != nil || len(away) != 0 {
		t.Fatalf("channel away after ann is back: %v, %v; want none", away, err)
	}
	for _, u := range []bot.UserID{"ann", "bob"} {
		if _, err := db.AddMember(ctx, "console:fac", bot.Member{GroupID: g.ID, User: u, Status: bot.MemberActive}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetReminderDM(ctx, g.ID, u, true, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetAway(ctx, g.ID, "ann", now.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if m, _ := db.MemberByUser(ctx, g.ID, "ann"); !m.AwayUntil.Equal(now.Add(48 * time.Hour)) {
		t.Fatalf("away_until = %v", m.AwayUntil)
	}
	if away, err := db.ChannelAway(ctx, g.ID, now); err != nil || len(away) != 0 {
		t.Fatalf("channel away once ann is on the roster: %v, %v; want none (the roster entry holds it)", away, err)
	}
	us, err := db.ReminderDMUsers(ctx, g.ID, now)
	if err != nil || len(us) != 1 || us[0] != "bob" {
		t.Fatalf("ReminderDMUsers while ann is away = %v, %v; want [bob]", us, err)
	}
	if us, _ := db.ReminderDMUsers(ctx, g.ID, now.Add(72*time.Hour)); len(us) != 2 {
		t.Fatalf("ReminderDMUsers after ann is back = %v; want both", us)
	}

	key := fmt.Sprintf("reminder/%d/1h", s.ID)
	for _, k := range []string{key, fmt.Sprintf("reminder/%d0/1h", s.ID), "dm/" + key} {
		if _, err := db.BeginOutbox(ctx, k, bot.PlatformConsole, bot.OutPost); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkOutboxSent(ctx, k, bot.Delivered{Ref: bot.MessageRef{Platform: bot.PlatformConsole, Channel: "c", ID: bot.MessageID(k)}, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	sent, err := db.SentMessages(ctx, fmt.Sprintf("reminder/%d/", s.ID))
	if err != nil || len(sent) != 1 || sent[0].Ref.ID != bot.MessageID(key) {
		t.Fatalf("SentMessages = %+v, %v; want only %s", sent, err, key)
	}
}
