package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

func TestCheckInSettings_SaveIdempotentGeneration(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	if _, err := db.CheckInSettings(ctx, g.ID); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("settings of a new group: %v; want not found", err)
	}
	s := bot.CheckInSettings{GroupID: g.ID, EscalateAfter: 10 * time.Minute, ShareTally: true,
		AtStart: &bot.CheckInSpec{Kind: bot.CheckInTraffic, Prompt: "How are you arriving?", Delivery: bot.DeliverChannel, Window: 15 * time.Minute},
		Between: &bot.CheckInSpec{Kind: bot.CheckInScale, Prompt: "How was your week?", Delivery: bot.DeliverDM, Cron: "0 12 * * FRI", Window: 24 * time.Hour, Nudge: true}}
	jobs := func(bot.CheckInSettings) []bot.Job {
		return []bot.Job{{Kind: "checkins.between", Key: "checkins.between/1/1", GroupID: g.ID, DueAt: time.Unix(1000, 0)}}
	}
	got, changed, err := db.SaveCheckInSettings(ctx, "console:fac", s, jobs)
	if err != nil || !changed {
		t.Fatalf("save: %v, %v", changed, err)
	}
	if got.Generation != 1 || got.RetentionDays != store.DefaultRetentionDays || got.Source != bot.SourceChat ||
		got.Between.Cron != "0 12 * * FRI" || got.Between.Window != 24*time.Hour || !got.Between.Nudge || got.AtStart.Kind != bot.CheckInTraffic {
		t.Fatalf("saved %+v", got)
	}
	if _, err := db.JobByKey(ctx, "checkins.between/1/1"); err != nil {
		t.Fatalf("the job was not enqueued with the settings: %v", err)
	}
	if _, changed, err := db.SaveCheckInSettings(ctx, "console:fac", s, nil); err != nil || changed {
		t.Fatalf("saving the same again: %v, %v; want unchanged", changed, err)
	}
	s.ShareTally = false
	got, changed, err = db.SaveCheckInSettings(ctx, "console:fac", s, nil)
	if err != nil || !changed || got.Generation != 1 {
		t.Fatalf("a settings change: %+v %v %v; want changed, same generation", got, changed, err)
	}
	s.Between.Cron = "0 12 * * MON"
	got, _, err = db.SaveCheckInSettings(ctx, "console:fac", s, nil)
	if err != nil || got.Generation != 2 {
		t.Fatalf("a new between schedule: generation %d, %v; want 2", got.Generation, err)
	}
	log, err := db.AuditLog(ctx, g.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range log {
		if e.Action == "checkins.settings" {
			n++
			if strings.Contains(e.Detail, "How") {
				t.Errorf("audit detail %q holds the prompt's words", e.Detail)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d settings audit entries; want 3 (one per change)", n)
	}
}

func openCheckIn(t *testing.T, db *store.DB, g bot.Group, key string, at time.Time, asked ...bot.UserID) bot.CheckIn {
	t.Helper()
	c, created, err := db.OpenCheckIn(t.Context(), bot.CheckIn{GroupID: g.ID, Origin: bot.OriginDemand, Key: key,
		Spec:     bot.CheckInSpec{Kind: bot.CheckInTraffic, Prompt: "How are you?", Delivery: bot.DeliverChannel},
		OpenedAt: at, ClosesAt: at.Add(15 * time.Minute)}, asked, func(c bot.CheckIn) []bot.Job {
		return []bot.Job{{Kind: "checkins.close", Key: fmt.Sprintf("checkins.close/%d", c.ID), GroupID: g.ID, DueAt: c.ClosesAt}}
	})
	if err != nil || !created {
		t.Fatalf("open %s: %v %v", key, created, err)
	}
	return c
}

func TestCheckIns_AnswersCloseTally(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	c := openCheckIn(t, db, g, "demand/1", at, "ann", "bob", "cat", "dan")
	if again, created, err := db.OpenCheckIn(ctx, bot.CheckIn{GroupID: g.ID, Origin: bot.OriginDemand, Key: "demand/1",
		Spec: bot.CheckInSpec{Kind: bot.CheckInScale, Delivery: bot.DeliverChannel}, OpenedAt: at, ClosesAt: at.Add(time.Hour)}, []bot.UserID{"eve"}, nil); err != nil || created || again.ID != c.ID || again.Spec.Kind != bot.CheckInTraffic {
		t.Fatalf("opening the same key again: %+v %v %v; want the stored one, unchanged", again, created, err)
	}
	if _, err := db.JobByKey(ctx, fmt.Sprintf("checkins.close/%d", c.ID)); err != nil {
		t.Fatalf("close job: %v", err)
	}
	if asked, err := db.CheckInAsked(ctx, c.ID); err != nil || len(asked) != 4 {
		t.Fatalf("asked %+v %v; want the 4 first asked (not eve)", asked, err)
	}
	res, err := db.RecordAnswers(ctx, []bot.CheckInAnswer{
		{CheckInID: c.ID, User: "ann", Level: 3, At: at.Add(time.Minute)},
		{CheckInID: c.ID, User: "bob", Level: 2, At: at.Add(time.Minute)},
		{CheckInID: c.ID, User: "cat", Pass: true, At: at.Add(time.Minute)},
		{CheckInID: c.ID + 100, User: "cat", Level: 1, At: at.Add(time.Minute)},
		{CheckInID: c.ID, User: "dan", Level: 1, At: at.Add(20 * time.Minute)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].Prev != nil || !errors.Is(res[3].Err, bot.ErrNotFound) || !errors.Is(res[4].Err, bot.ErrConflict) {
		t.Fatalf("results %+v; want stored, unknown check-in, too late", res)
	}
	res, err = db.RecordAnswers(ctx, []bot.CheckInAnswer{{CheckInID: c.ID, User: "bob", Level: 1, At: at.Add(2 * time.Minute)}})
	if err != nil || res[0].Prev == nil || res[0].Prev.Level != 2 {
		t.Fatalf("a changed answer: %+v %v; want the previous (yellow) returned", res, err)
	}
	// Twice in one call: the first replaces what was stored, the second the
	// first; the second is kept.
	res, err = db.RecordAnswers(ctx, []bot.CheckInAnswer{
		{CheckInID: c.ID, User: "ann", Level: 2, At: at.Add(2 * time.Minute)},
		{CheckInID: c.ID, User: "ann", Level: 3, At: at.Add(2 * time.Minute)},
	})
	if err != nil || res[0].Prev == nil || res[0].Prev.Level != 3 || res[1].Prev == nil || res[1].Prev.Level != 2 {
		t.Fatalf("two answers in one call: %+v %v", res, err)
	}
	if as, _ := db.CheckInAnswers(ctx, c.ID); as[0].User != "ann" || as[0].Level != 3 {
		t.Fatalf("answers after two in one call: %+v", as)
	}
	if err := db.MemberGoneFromCheckIns(ctx, g.ID, "dan", at.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	key := func(l int) string { return map[int]string{1: "red", 2: "yellow", 3: "green"}[l] }
	closed, did, err := db.CloseCheckIn(ctx, c.ID, at.Add(15*time.Minute), key)
	if err != nil || !did {
		t.Fatalf("close: %v %v", did, err)
	}
	if closed.Asked != 4 || closed.Answered != 2 || closed.Passed != 1 || closed.Tally["green"] != 1 || closed.Tally["red"] != 1 || closed.Tally["yellow"] != 0 {
		t.Fatalf("closed %+v; want 2 answered (green, red), 1 pass", closed)
	}
	if _, did, err := db.CloseCheckIn(ctx, c.ID, at.Add(16*time.Minute), key); err != nil || did {
		t.Fatalf("closing again: %v %v; want nothing done", did, err)
	}
	if res, _ := db.RecordAnswers(ctx, []bot.CheckInAnswer{{CheckInID: c.ID, User: "ann", Level: 1, At: at.Add(5 * time.Minute)}}); !errors.Is(res[0].Err, bot.ErrConflict) {
		t.Fatalf("an answer to a closed check-in: %v; want a conflict", res[0].Err)
	}
	asked, _ := db.CheckInAsked(ctx, c.ID)
	for _, a := range asked {
		if a.User == "dan" && a.State != bot.AskedGone {
			t.Errorf("dan left: state %q; want gone", a.State)
		}
	}
	prev, ok, err := db.PreviousCheckIn(ctx, openCheckIn(t, db, g, "demand/2", at.Add(time.Hour)))
	if err != nil || !ok || prev.ID != c.ID {
		t.Fatalf("previous check-in: %+v %v %v", prev, ok, err)
	}
}

// TestRecordAnswers_NewAndChanged: answers written together, some new and
// some changing an earlier answer, each in one statement: the new are
// stored as they are and replace nothing; the changed replace what was
// stored, which is returned; the same answer given again in the same
// second replaces nothing. More answers than one statement takes.
func TestRecordAnswers_NewAndChanged(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	c := openCheckIn(t, db, g, "demand/1", at)
	var first []bot.CheckInAnswer
	for i := range 150 {
		first = append(first, bot.CheckInAnswer{CheckInID: c.ID, User: bot.UserID(fmt.Sprintf("u%03d", i)), Level: 1, At: at.Add(time.Minute)})
	}
	res, err := db.RecordAnswers(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || r.Prev != nil {
			t.Fatalf("first answer %d: %+v", i, r)
		}
	}
	// u000–u099 change their answer, u100–u149 give the same again in
	// the same second, u150–u199 are new.
	var second []bot.CheckInAnswer
	for i := range 200 {
		a := bot.CheckInAnswer{CheckInID: c.ID, User: bot.UserID(fmt.Sprintf("u%03d", i)), Level: 3, At: at.Add(2 * time.Minute)}
		if i >= 100 && i < 150 {
			a.Level, a.At = 1, at.Add(time.Minute)
		}
		second = append(second, a)
	}
	res, err = db.RecordAnswers(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		switch {
		case r.Err != nil:
			t.Fatalf("second answer %d: %v", i, r.Err)
		case i < 100 && (r.Prev == nil || r.Prev.Level != 1 || !r.Prev.At.Equal(at.Add(time.Minute))):
			t.Errorf("u%03d changed its answer: replaced %+v; want the first (1)", i, r.Prev)
		case i >= 100 && r.Prev != nil:
			t.Errorf("u%03d: replaced %+v; want nothing", i, r.Prev)
		}
	}
	as, err := db.CheckInAnswers(ctx, c.ID)
	if err != nil || len(as) != 200 {
		t.Fatalf("%d answers stored (%v); want 200", len(as), err)
	}
	for i, a := range as {
		want := 3
		if i >= 100 && i < 150 {
			want = 1
		}
		if a.Level != want {
			t.Errorf("%s stored %d; want %d", a.User, a.Level, want)
		}
	}
}

func TestSafetyAlerts_WindowTakeStage(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	var jobsSeen []bool
	jobs := func(a bot.SafetyAlert, opened bool) []bot.Job {
		jobsSeen = append(jobsSeen, opened)
		return []bot.Job{{Kind: "checkins.alert", Key: fmt.Sprintf("checkins.alert/%d/%d", a.ID, a.Signals), GroupID: g.ID, DueAt: a.LastAt}}
	}
	sig := bot.SafetySignal{GroupID: g.ID, Platform: "console", User: "ann", At: at, Source: "dm", Families: []string{"wanting to die"}, Words: "secret words one"}
	a1, opened, err := db.RecordSignal(ctx, sig, 15*time.Minute, jobs)
	if err != nil || !opened || a1.Signals != 1 || a1.LatestWords != "secret words one" {
		t.Fatalf("first signal: %+v %v %v", a1, opened, err)
	}
	sig.At, sig.Words, sig.Families, sig.Source, sig.Level = at.Add(14*time.Minute), "secret words two", []string{"a plan or a time", "wanting to die"}, "checkin", "red"
	a2, opened, err := db.RecordSignal(ctx, sig, 15*time.Minute, jobs)
	if err != nil || opened || a2.ID != a1.ID || a2.Signals != 2 || a2.LatestWords != "secret words two" || a2.LatestLevel != "red" ||
		len(a2.Families) != 2 || !a2.LastAt.Equal(sig.At) || !a2.OpenedAt.Equal(at) {
		t.Fatalf("second signal within the window: %+v %v %v; want the same alert updated", a2, opened, err)
	}
	// The window slides from the last signal.
	sig.At = at.Add(28 * time.Minute)
	if a3, opened, err := db.RecordSignal(ctx, sig, 15*time.Minute, jobs); err != nil || opened || a3.ID != a1.ID || a3.Signals != 3 {
		t.Fatalf("third signal 14 minutes after the second: %+v %v %v; want the same alert", a3, opened, err)
	}
	// Another member, and the same member in no group, are other alerts.
	other := sig
	other.User = "bob"
	if b, opened, _ := db.RecordSignal(ctx, other, 15*time.Minute, jobs); !opened || b.ID == a1.ID {
		t.Fatalf("another member's signal joined ann's alert")
	}
	nogroup := sig
	nogroup.GroupID = 0
	if n, opened, _ := db.RecordSignal(ctx, nogroup, 15*time.Minute, jobs); !opened || n.GroupID != 0 {
		t.Fatalf("a signal outside any group: %+v %v", n, opened)
	}
	sig.At = at.Add(44 * time.Minute)
	if a4, opened, _ := db.RecordSignal(ctx, sig, 15*time.Minute, jobs); !opened || a4.ID == a1.ID {
		t.Fatalf("a signal 16 minutes after the last: %+v; want a new alert", a4)
	}
	if len(jobsSeen) != 6 {
		t.Fatalf("jobs asked for %d signals; want 6", len(jobsSeen))
	}

	taken, ok, err := db.TakeSafetyAlert(ctx, a1.ID, "console:fac", at.Add(5*time.Minute))
	if err != nil || !ok || taken.TakenBy != "console:fac" || !taken.Taken() {
		t.Fatalf("take: %+v %v %v", taken, ok, err)
	}
	if again, ok, err := db.TakeSafetyAlert(ctx, a1.ID, "console:other", at.Add(6*time.Minute)); err != nil || ok || again.TakenBy != "console:fac" {
		t.Fatalf("take again: %+v %v %v; want the first taker kept", again, ok, err)
	}
	if _, _, err := db.TakeSafetyAlert(ctx, 9999, "console:fac", at); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("taking a missing alert: %v", err)
	}
	if err := db.SetSafetyAlertStage(ctx, a1.ID, 3); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSafetyAlertStage(ctx, a1.ID, 2); err != nil {
		t.Fatal(err)
	}
	if a, _ := db.SafetyAlert(ctx, a1.ID); a.Stage != 3 {
		t.Fatalf("stage %d; want 3 (never back)", a.Stage)
	}
	log, err := db.AuditLog(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	signals := 0
	for _, e := range log {
		if strings.Contains(e.Detail, "secret") {
			t.Errorf("audit entry %+v holds the member's words", e)
		}
		if e.Action == "safety.signal" {
			signals++
		}
	}
	if signals != 6 {
		t.Errorf("%d signal audit entries; want 6", signals)
	}
}

func TestPurgeExpired_KeepsCountsOnly(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	short, err := db.CreateGroup(ctx, "console:fac", bot.Group{
		Name: "short", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "short"},
		Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SaveCheckInSettings(ctx, "console:fac", bot.CheckInSettings{GroupID: short.ID, RetentionDays: 7, EscalateAfter: time.Minute}, nil); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 18, 0, 0, 0, time.UTC)
	key := func(l int) string { return fmt.Sprint(l) }
	var ids []int64
	for i, gr := range []bot.Group{g, short} {
		c := openCheckIn(t, db, gr, fmt.Sprintf("demand/%d", i), at, "ann", "bob")
		if _, err := db.RecordAnswers(ctx, []bot.CheckInAnswer{{CheckInID: c.ID, User: "ann", Level: 1, Text: "secret", At: at}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.CloseCheckIn(ctx, c.ID, at.Add(15*time.Minute), key); err != nil {
			t.Fatal(err)
		}
		dm := fmt.Sprintf("checkins/c/%d/dm/ann", c.ID)
		if _, err := db.BeginOutbox(ctx, dm, "console", bot.OutDM); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.RecordSignal(ctx, bot.SafetySignal{GroupID: gr.ID, Platform: "console", User: "ann", At: at, Source: "checkin", Words: "secret"}, time.Minute, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	ckeys := func(id int64) []string {
		return []string{fmt.Sprintf("checkins/c/%d/", id), fmt.Sprintf("checkins.close/%d", id)}
	}
	akeys := func(id int64) []string { return []string{fmt.Sprintf("safety/alert/%d/", id)} }
	// A finished close job is deleted; a pending one would be left.
	if err := db.FinishJob(ctx, mustJob(t, db, fmt.Sprintf("checkins.close/%d", ids[1])).ID, bot.JobDone, "closed", at); err != nil {
		t.Fatal(err)
	}
	// Eight days on, only the 7-day group's are due.
	p, err := db.PurgeExpired(ctx, at.Add(8*24*time.Hour), ckeys, akeys)
	if err != nil {
		t.Fatal(err)
	}
	if p.CheckIns != 1 || p.Answers != 1 || p.Alerts != 1 || p.Outbox != 1 || p.Jobs != 1 {
		t.Fatalf("after 8 days purged %+v; want the 7-day group's check-in, answer, alert, outbox entry and job", p)
	}
	if as, _ := db.CheckInAnswers(ctx, ids[0]); len(as) != 1 {
		t.Fatalf("the 90-day group's answers were deleted after 8 days")
	}
	c, err := db.CheckIn(ctx, ids[1])
	if err != nil || c.PurgedAt.IsZero() || c.Answered != 1 || c.Tally["1"] != 1 || c.Asked != 2 {
		t.Fatalf("purged check-in %+v %v; want its counts kept", c, err)
	}
	if as, _ := db.CheckInAnswers(ctx, ids[1]); len(as) != 0 {
		t.Fatalf("answers left after the purge: %+v", as)
	}
	if asked, _ := db.CheckInAsked(ctx, ids[1]); len(asked) != 0 {
		t.Fatalf("who was asked left after the purge: %+v", asked)
	}
	if _, err := db.OutboxEntry(ctx, fmt.Sprintf("checkins/c/%d/dm/ann", ids[1])); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("outbox entry naming the member left: %v", err)
	}
	if err := db.MarkInformed(ctx, short.ID, "ann", at); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PurgeExpired(ctx, at.Add(8*24*time.Hour), ckeys, akeys); err != nil {
		t.Fatal(err)
	}
	if told, _ := db.Informed(ctx, short.ID, "ann"); told {
		t.Errorf("who was told up front was kept past the retention period")
	}
	p, err = db.PurgeExpired(ctx, at.Add(91*24*time.Hour), ckeys, akeys)
	if err != nil || p.CheckIns != 1 || p.Alerts != 1 {
		t.Fatalf("after 91 days purged %+v %v; want the default group's", p, err)
	}
	if p, err := db.PurgeExpired(ctx, at.Add(92*24*time.Hour), ckeys, akeys); err != nil || p != (bot.Purged{}) {
		t.Fatalf("purging again: %+v %v; want nothing", p, err)
	}
}

func mustJob(t *testing.T, db *store.DB, key string) bot.Job {
	t.Helper()
	j, err := db.JobByKey(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
