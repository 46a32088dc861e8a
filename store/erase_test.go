package store_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

// The tables that never name a person. A new table must be listed here or
// in personTables (and populated by TestErase_ScanEveryTable), so that a
// feature that adds a table of personal data cannot forget erasure.
var noPersonTables = []string{"settings", "groups", "series", "sessions", "attendance_settings", "attendance_voice_watch", "attendance_closed", "erasures",
	"holder", "runs", "norms_settings", "checkin_settings", "checkins", "optouts"}

// personTables are the tables that can name a person; the scan test puts
// the member's data in each.
var personTables = []string{"members", "group_facilitators", "rsvps", "reminder_dms", "attendance", "attendance_presence", "attendance_voice",
	"attendance_alerts", "jobs", "outbox", "audit_log", "norms_versions", "norms_acks", "norms_applicants",
	"checkin_answers", "checkin_asked", "checkin_informed", "safety_alerts", "calendar_links", "channel_away"}

// world is a database with two Slack groups and, in both, the member to
// forget (Quinn) and another to keep (Kim), with data of every kind.
type world struct {
	db                 *store.DB
	clinic, staff      bot.Group
	dropIn             bot.Group // where Quinn and Kim take part from the channel only
	quinn, quinnStaff  bot.Member
	kim                bot.Member
	sessions           []bot.Session
	pending            bot.Job
	quinnP, kimP       storetest.Person
	quinnUser, kimUser bot.UserID
	kimAlert           int64 // Kim's safety alert in staff, which Quinn took
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	w := &world{db: storetest.Open(t), quinnUser: "U0FORGET1", kimUser: "U0KEEP22"}
	db := w.db
	mk := func(name, ch string) bot.Group {
		g, err := db.CreateGroup(ctx, "slack:UFAC", bot.Group{Name: name, Address: bot.Address{Platform: bot.PlatformSlack, Channel: bot.ChannelID(ch)},
			Kind: bot.KindTherapy, Admission: bot.AdmissionClosed, TimeZone: "UTC", Privacy: bot.PrivacyStandard, Facilitators: []bot.Principal{"slack:UFAC"}})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	w.clinic, w.staff = mk("clinic", "C0CLINIC1"), mk("staff", "C0STAFF01")
	add := func(g bot.Group, m bot.Member) bot.Member {
		m.GroupID = g.ID
		out, err := db.AddMember(ctx, "slack:UFAC", m)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	w.quinn = add(w.clinic, bot.Member{User: w.quinnUser, Code: "C-FGT-9", Name: "Quinn Forgetme"})
	w.quinnStaff = add(w.staff, bot.Member{User: w.quinnUser, Name: "Quinn Forgetme"})
	w.kim = add(w.clinic, bot.Member{User: w.kimUser, Code: "C-KEEP-1", Name: "Kim Keeper"})
	kimStaff := add(w.staff, bot.Member{User: w.kimUser})
	if err := db.AddFacilitator(ctx, "slack:UFAC", w.staff.ID, "slack:"+bot.Principal(w.quinnUser)); err != nil {
		t.Fatal(err)
	}
	if err := db.AddFacilitator(ctx, "slack:UFAC", w.staff.ID, "slack:"+bot.Principal(w.kimUser)); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	for i, g := range []bot.Group{w.clinic, w.staff} {
		s := heldSession(t, db, g, 1, start.Add(time.Duration(i)*time.Hour))
		w.sessions = append(w.sessions, s)
		for _, u := range []bot.UserID{w.quinnUser, w.kimUser} {
			if err := db.SetRSVP(ctx, bot.RSVP{SessionID: s.ID, User: u, Answer: bot.RSVPYes, At: start.Add(-time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := db.SetReminderDM(ctx, g.ID, u, true, start); err != nil {
				t.Fatal(err)
			}
			if err := db.SetCalendarLink(ctx, g.ID, u, []byte("hash of "+string(u)+" in "+g.Name), start); err != nil {
				t.Fatal(err)
			}
			if _, err := db.RecordPresence(ctx, s.ID, u, "button", s.Start.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		ch := bot.Address{Platform: bot.PlatformSlack, Channel: "V0VOICE01"}
		if _, err := db.WatchVoice(ctx, s.ID, ch, s.End, []bot.UserID{w.quinnUser, w.kimUser}, s.Start); err != nil {
			t.Fatal(err)
		}
		if _, err := db.VoiceEvent(ctx, ch, w.quinnUser, false, s.Start.Add(20*time.Minute)); err != nil {
			t.Fatal(err)
		}
		marks := []bot.AttendanceMark{
			{Attendee: bot.Attendee{User: w.quinnUser, MemberID: map[int64]int64{w.clinic.ID: w.quinn.ID, w.staff.ID: w.quinnStaff.ID}[g.ID]}, Status: bot.AttendAbsent, Source: "none"},
			{Attendee: bot.Attendee{User: w.kimUser, MemberID: map[int64]int64{w.clinic.ID: w.kim.ID, w.staff.ID: kimStaff.ID}[g.ID]}, Status: bot.AttendPresent, Source: "button", At: s.Start},
			// A channel member not on the roster, with a name kept.
			{Attendee: bot.Attendee{User: "U0CHANNEL"}, Status: bot.AttendPresent, Source: "voice", At: s.Start, Name: "Chan Nel"},
		}
		if _, err := db.CloseAttendance(ctx, s.ID, g.ID, marks, s.End); err != nil {
			t.Fatal(err)
		}
		if _, err := db.MarkAttendance(ctx, bot.AttendanceMark{SessionID: s.ID, GroupID: g.ID, Attendee: marks[0].Attendee, Status: bot.AttendExcused,
			Source: "facilitator", MarkedBy: "slack:UFAC"}); err != nil {
			t.Fatal(err)
		}
		for _, m := range marks[:2] {
			if _, err := db.RaiseAlerts(ctx, []bot.AttendanceAlert{{GroupID: g.ID, Attendee: m.Attendee, StreakFrom: s.ID, SessionID: s.ID, At: s.End}}); err != nil {
				t.Fatal(err)
			}
		}
		// Jobs and sent messages that name them, finished.
		for _, u := range []bot.UserID{w.quinnUser, w.kimUser} {
			key := fmt.Sprintf("core.event/norms/member_gone/%d/%s/x", g.ID, u)
			payload := fmt.Sprintf(`{"sub":"norms","gone":true,"user":%q}`, u)
			j := enqueueDone(t, db, bot.Job{Kind: "core.event", Key: key, GroupID: g.ID, DueAt: s.End, Payload: []byte(payload)})
			_ = j
			// One message of each key shape that names a member, about
			// this group: a facilitator's erasure in one group finds its
			// own by the key.
			for _, dm := range []string{
				fmt.Sprintf("dm/reminder/%d/1h/%s", s.ID, u),
				fmt.Sprintf("attendance.missed/%d/%s/%d", g.ID, u, s.ID),
				fmt.Sprintf("attendance.summary/%d/%s", s.ID, u),
				fmt.Sprintf("norms/ask/%d/1/%s", g.ID, u),
				fmt.Sprintf("norms.waitlist/%d/%s/1/UFAC", g.ID, u),
				fmt.Sprintf("groups.promoted/%d/7/%s", g.ID, u),
				fmt.Sprintf("owners/slack/%d/topic/%s", g.ID, u),
			} {
				sentDM(t, db, dm)
			}
		}
	}
	// Norms: versions written by each (as facilitators of staff), their
	// agreements, and their welcomes as newcomers.
	for _, u := range []bot.UserID{w.quinnUser, w.kimUser} {
		v, err := db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: w.staff.ID, Items: []string{"Be kind."}, Author: "slack:" + bot.Principal(u), Source: "edit"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []bot.Group{w.clinic, w.staff} {
			if g.ID == w.clinic.ID {
				if _, err := db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: g.ID, Items: []string{"Be kind."}, Author: "slack:UFAC", Source: "edit"}, nil); err != nil {
					t.Fatal(err)
				}
				v.Version = 1
			}
			if _, _, err := db.AgreeToNorms(ctx, bot.NormsAck{GroupID: g.ID, User: u, Version: v.Version, At: start}, "", nil); err != nil {
				t.Fatal(err)
			}
			if _, err := db.UpdateApplicant(ctx, g.ID, u, func(a *bot.Applicant, _ bool) ([]bot.Job, error) {
				a.State, a.Round = bot.ApplicantWaiting, 1
				return nil, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Check-ins: each answered one in each group, was told up front, and
	// raised a safety alert; Quinn also one as a sender in no group.
	for i, g := range []bot.Group{w.clinic, w.staff} {
		c, _, err := db.OpenCheckIn(ctx, bot.CheckIn{GroupID: g.ID, Origin: bot.OriginDemand, Key: fmt.Sprintf("demand/erase/%d", i),
			Spec: bot.CheckInSpec{Kind: bot.CheckInText, Prompt: "How are you?", Delivery: bot.DeliverDM}, OpenedAt: start, ClosesAt: start.Add(time.Hour)},
			[]bot.UserID{w.quinnUser, w.kimUser}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []bot.UserID{w.quinnUser, w.kimUser} {
			sentDM(t, db, fmt.Sprintf("checkins/c/%d/dm/%s", c.ID, u))
			if _, err := db.RecordAnswers(ctx, []bot.CheckInAnswer{{CheckInID: c.ID, User: u, Text: "a hard week", At: start}}); err != nil {
				t.Fatal(err)
			}
			if err := db.MarkInformed(ctx, g.ID, u, start); err != nil {
				t.Fatal(err)
			}
			a, _, err := db.RecordSignal(ctx, bot.SafetySignal{GroupID: g.ID, Platform: bot.PlatformSlack, User: u, At: start, Source: "dm",
				Families: []string{"hopelessness"}, Words: "i cant go on"}, time.Minute, nil)
			if err != nil {
				t.Fatal(err)
			}
			sentDM(t, db, fmt.Sprintf("safety/alert/%d/others/%s", a.ID, u))
			if g.ID == w.staff.ID && u == w.kimUser {
				w.kimAlert = a.ID
				// Quinn, a facilitator of staff, is on Kim's alert.
				if _, took, err := db.TakeSafetyAlert(ctx, a.ID, "slack:"+bot.Principal(w.quinnUser), start); err != nil || !took {
					t.Fatalf("quinn takes kim's alert: %v, %v", took, err)
				}
			}
		}
	}
	// Quinn and Kim take part in a third group from its channel, without a
	// roster entry, and are away from it.
	w.dropIn = mk("drop-in", "C0DROPIN1")
	for _, u := range []bot.UserID{w.quinnUser, w.kimUser} {
		if err := db.SetAway(ctx, w.dropIn.ID, u, start.AddDate(0, 0, 14)); err != nil {
			t.Fatal(err)
		}
	}
	// As a facilitator of staff, Quinn also corrected a channel member's
	// mark and added someone to the roster (the event's finished job
	// names Quinn as who added them, "by":"slack:<id>").
	if _, err := db.MarkAttendance(ctx, bot.AttendanceMark{SessionID: w.sessions[1].ID, GroupID: w.staff.ID, Attendee: bot.Attendee{User: "U0CHANNEL"},
		Status: bot.AttendLate, Source: "facilitator", MarkedBy: "slack:" + bot.Principal(w.quinnUser)}); err != nil {
		t.Fatal(err)
	}
	enqueueDone(t, db, bot.Job{Kind: "core.event", Key: fmt.Sprintf("core.event/norms/member_added/%d/U0NEWBIE/z", w.staff.ID), GroupID: w.staff.ID, DueAt: start,
		Payload: []byte(`{"sub":"norms","added":true,"by":"slack:` + string(w.quinnUser) + `","user":"U0NEWBIE"}`)})
	if _, _, err := db.RecordSignal(ctx, bot.SafetySignal{Platform: bot.PlatformSlack, User: w.quinnUser, At: start, Source: "dm", Words: "i cant go on"}, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	// A job still to run that names Quinn (a feature being told): a first
	// pass leaves it; the next, once it has run, removes it.
	if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "core.event", Key: "core.event/checkins/member_gone/1/" + string(w.quinnUser) + "/y", GroupID: w.clinic.ID,
		DueAt: start, Payload: []byte(`{"sub":"checkins","gone":true,"user":"` + string(w.quinnUser) + `"}`)}); err != nil {
		t.Fatal(err)
	}
	// Audit lines by Quinn and about Quinn.
	if err := db.Audit(ctx, bot.AuditEntry{GroupID: w.staff.ID, Actor: "slack:" + bot.Principal(w.quinnUser), Action: "attendance.export", Detail: "rows=3"}); err != nil {
		t.Fatal(err)
	}
	w.quinnP = storetest.Person{Needles: []string{string(w.quinnUser), "C-FGT-9", "Quinn Forgetme"}, Members: []int64{w.quinn.ID, w.quinnStaff.ID}}
	w.kimP = storetest.Person{Needles: []string{string(w.kimUser), "C-KEEP-1", "Kim Keeper"}, Members: []int64{w.kim.ID, kimStaff.ID}}
	return w
}

// sentDM records the message key as sent, as the Sender would.
func sentDM(t *testing.T, db *store.DB, key string) {
	t.Helper()
	if _, err := db.BeginOutbox(t.Context(), key, bot.PlatformSlack, bot.OutDM); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkOutboxSent(t.Context(), key, bot.Delivered{Ref: bot.MessageRef{Platform: bot.PlatformSlack, Channel: "D0DM", ID: "1.2"}}); err != nil {
		t.Fatal(err)
	}
}

// enqueueDone stores j and runs it to done, as the runner would.
func enqueueDone(t *testing.T, db *store.DB, j bot.Job) bot.Job {
	t.Helper()
	if _, err := db.EnqueueJob(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	got, err := db.JobByKey(t.Context(), j.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishJob(t.Context(), got.ID, bot.JobDone, "done", j.DueAt); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestErase_ScanEveryTable: erasing a member leaves 0 rows naming them in
// any table — walked generically from sqlite_master — while another
// member's data stays. A table this test does not know fails it.
func TestErase_ScanEveryTable(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	db := w.db
	all := storetest.Tables(t, db.Path())
	for _, table := range all {
		if !slices.Contains(personTables, table) && !slices.Contains(noPersonTables, table) {
			t.Errorf("table %s is new to the erasure: if it can name a person, erase it in store/erase.go (Erase and PersonalData) and populate it in newWorld; "+
				"if it never does, add it to noPersonTables", table)
		}
	}
	before := storetest.Scan(t, db.Path(), w.quinnP)
	if got := storetest.HitTables(before); !slices.Equal(got, sortedCopy(personTables)) {
		t.Fatalf("before the erasure the member is named in %v; want every person table %v (the test must populate each)", got, sortedCopy(personTables))
	}
	kimBefore := storetest.Scan(t, db.Path(), w.kimP)

	// mydata lists each kind before.
	recs, err := db.PersonalData(ctx, bot.PlatformSlack, w.quinnUser)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range recs {
		kinds[r.Kind]++
	}
	for _, k := range []string{store.RecordRoster, store.RecordFacilitator, store.RecordRSVP, store.RecordReminderDM, store.RecordAttendance,
		store.RecordPresence, store.RecordVoice, store.RecordAlert, store.RecordAudit, store.RecordMessages,
		store.RecordAgreement, store.RecordApplicant, store.RecordNormsAuthor, store.RecordCheckIn, store.RecordSafety, store.RecordAway} {
		if kinds[k] == 0 {
			t.Errorf("personal data lacks %s records: %v", k, kinds)
		}
	}

	er, err := db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformSlack, User: w.quinnUser, StopTracking: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if er.Number != 1 || !slices.Equal(er.Groups, []int64{w.clinic.ID, w.staff.ID, w.dropIn.ID}) || !er.StoppedTracking {
		t.Fatalf("erasure %+v; want number 1 over the three groups, tracking stopped", er)
	}
	// The job still to run is left for it to run.
	if hits := storetest.Scan(t, db.Path(), w.quinnP); !slices.Equal(storetest.HitTables(hits), []string{"jobs"}) || hits["jobs.key"] != 1 {
		t.Fatalf("after the first pass: %v; want only the pending job", hits)
	}
	if n, err := db.JobsNaming(ctx, bot.PlatformSlack, w.quinnUser, 0, 0); err != nil || n != 1 {
		t.Fatalf("jobs naming the member: %d, %v; want 1", n, err)
	}
	j, err := db.JobByKey(ctx, "core.event/checkins/member_gone/1/"+string(w.quinnUser)+"/y")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishJob(ctx, j.ID, bot.JobDone, "done", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformSlack, User: w.quinnUser, Number: er.Number}, nil); err != nil {
		t.Fatal(err)
	}
	if hits := storetest.Scan(t, db.Path(), w.quinnP); len(hits) != 0 {
		t.Fatalf("after the erasure the member is still named: %v", hits)
	}
	if kimAfter := storetest.Scan(t, db.Path(), w.kimP); !mapsEqual(kimAfter, kimBefore) {
		t.Fatalf("another member's data changed: %v; was %v", kimAfter, kimBefore)
	}
	// What Quinn did as a facilitator stays done, by the erased member.
	marks, err := db.SessionMarks(ctx, w.sessions[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(marks, func(m bot.AttendanceMark) bool { return m.User == "U0CHANNEL" }); i < 0 || marks[i].MarkedBy != "erased member #1" || marks[i].Status != bot.AttendLate {
		t.Errorf("the mark quinn gave: %+v; want late, marked by erased member #1", marks)
	}
	if a, err := db.SafetyAlert(ctx, w.kimAlert); err != nil || a.TakenBy != "erased member #1" {
		t.Errorf("kim's alert that quinn took: taken by %q, %v; want erased member #1", a.TakenBy, err)
	}
	// Audit lines that named the member read "erased member #1", and one
	// line records the erasure in each group, without content.
	for _, g := range []bot.Group{w.clinic, w.staff} {
		log, err := db.AuditLog(ctx, g.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		erased, rewritten := 0, 0
		for _, a := range log {
			if a.Action == "member.erase" && a.Actor == "erased member #1" && strings.HasPrefix(a.Detail, "erased member #1 rows=") {
				erased++
			}
			if strings.Contains(a.Detail, "erased member #1") || a.Actor == "erased member #1" {
				rewritten++
			}
		}
		if erased != 1 || rewritten < 3 {
			t.Errorf("group %s audit: %d erasure lines, %d naming erased member #1: %+v", g.Name, erased, rewritten, log)
		}
	}
	// What is left is a marker that names nobody, which mydata shows.
	recs, err = db.PersonalData(ctx, bot.PlatformSlack, w.quinnUser)
	if err != nil || len(recs) != 1 || recs[0].Kind != store.RecordOptOut || !strings.Contains(recs[0].What, "anywhere on slack") {
		t.Fatalf("personal data after the erasure: %+v, %v; want only the opt-out", recs, err)
	}
	for _, g := range []bot.Group{w.clinic, w.staff} {
		tracked, err := db.TrackingFilter(ctx, bot.PlatformSlack, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tracked(w.quinnUser) || !tracked(w.kimUser) {
			t.Errorf("group %s: tracked quinn %v, kim %v; want false, true", g.Name, tracked(w.quinnUser), tracked(w.kimUser))
		}
	}
	if n, err := db.OptIn(ctx, bot.PlatformSlack, w.quinnUser); err != nil || n != 1 {
		t.Fatalf("opt in: %d, %v; want 1 marker removed", n, err)
	}
	if tracked, err := db.TrackingFilter(ctx, bot.PlatformSlack, w.clinic.ID); err != nil || !tracked(w.quinnUser) {
		t.Fatalf("after opting in quinn is not tracked (%v)", err)
	}
	if recs, err := db.PersonalData(ctx, bot.PlatformSlack, w.quinnUser); err != nil || len(recs) != 0 {
		t.Fatalf("personal data after opting in: %+v, %v; want none", recs, err)
	}
}

// TestErase_JobsNamingTheAdder: a roster-add event still to run names the
// facilitator who added someone only as "by":"<platform>:<id>"; it is a
// job naming them, which a later pass of their erasure waits for.
func TestErase_JobsNamingTheAdder(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	before, err := w.db.JobsNaming(ctx, bot.PlatformSlack, w.quinnUser, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.EnqueueJob(ctx, bot.Job{Kind: "core.event", Key: fmt.Sprintf("core.event/norms/member_added/%d/U0LATER/z", w.staff.ID), GroupID: w.staff.ID,
		DueAt: time.Now(), Payload: []byte(`{"sub":"norms","added":true,"by":"slack:` + string(w.quinnUser) + `","user":"U0LATER"}`)}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.db.JobsNaming(ctx, bot.PlatformSlack, w.quinnUser, w.staff.ID, 0); err != nil || n != 1 {
		t.Fatalf("jobs naming quinn in staff: %d, %v; want the roster-add event", n, err)
	}
	if n, err := w.db.JobsNaming(ctx, bot.PlatformSlack, w.quinnUser, 0, 0); err != nil || n != before+1 {
		t.Fatalf("jobs naming quinn: %d, %v; want %d", n, err, before+1)
	}
}

// TestErase_FacilitatorUserInOneGroup: a facilitator erasing an account's
// roster entry in one group erases everything naming them in that group —
// the messages sent about it too, whatever the feature that keyed them —
// and nothing of the other group. Erasing them in the other group as well
// leaves only what belongs to no group: a safety alert about a DM, and a
// job still to run.
func TestErase_FacilitatorUserInOneGroup(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	db := w.db
	before := storetest.Scan(t, db.Path(), w.quinnP)
	kimBefore := storetest.Scan(t, db.Path(), w.kimP)
	about := map[string]int64{}
	for _, k := range outboxNaming(t, db, w.quinnUser) {
		about[k] = keyGroup(t, db, k)
	}
	all := len(about)
	if all < 2*8 {
		t.Fatalf("the world has %d messages naming quinn; want every key shape in both groups", all)
	}
	er, err := db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformSlack, User: w.quinnUser, GroupID: w.clinic.ID, MemberID: w.quinn.ID, By: "slack:UFAC", StopTracking: true}, nil)
	if err != nil || er.Number == 0 || !er.StoppedTracking {
		t.Fatalf("erase: %+v, %v", er, err)
	}
	if er.Rows["outbox"] != all/2 {
		t.Errorf("the group's erasure removed %d messages; want %d (those about the group)", er.Rows["outbox"], all/2)
	}
	for _, k := range outboxNaming(t, db, w.quinnUser) {
		if about[k] == w.clinic.ID {
			t.Errorf("message %s about the erased group is still there", k)
		}
	}
	after := storetest.Scan(t, db.Path(), w.quinnP)
	if after["outbox.key"] != before["outbox.key"]-all/2 {
		t.Errorf("outbox rows naming quinn: %d; want %d", after["outbox.key"], before["outbox.key"]-all/2)
	}
	// Tracking stops in that group only.
	for g, want := range map[int64]bool{w.clinic.ID: false, w.staff.ID: true} {
		tracked, err := db.TrackingFilter(ctx, bot.PlatformSlack, g)
		if err != nil || tracked(w.quinnUser) != want {
			t.Errorf("group %d: quinn tracked %v (%v); want %v", g, tracked(w.quinnUser), err, want)
		}
	}
	if _, err := db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformSlack, User: w.quinnUser, GroupID: w.staff.ID, MemberID: w.quinnStaff.ID, By: "slack:UFAC"}, nil); err != nil {
		t.Fatal(err)
	}
	left := storetest.Scan(t, db.Path(), w.quinnP)
	if got := storetest.HitTables(left); !slices.Equal(got, []string{"channel_away", "jobs", "safety_alerts"}) || left["outbox.key"] != 0 || left["channel_away.user_id"] != 1 {
		t.Fatalf("after erasing quinn in both groups: %v; want only the alert about a DM in no group, the pending job and the away date in the third group", left)
	}
	if kimAfter := storetest.Scan(t, db.Path(), w.kimP); !mapsEqual(kimAfter, kimBefore) {
		t.Fatalf("another member's data changed: %v; was %v", kimAfter, kimBefore)
	}
}

// outboxNaming lists the outbox keys that name user as a segment.
func outboxNaming(t *testing.T, db *store.DB, user bot.UserID) []string {
	t.Helper()
	var out []string
	for _, e := range queryStrings(t, db, `SELECT key FROM outbox`) {
		if slices.Contains(strings.Split(e, "/"), string(user)) {
			out = append(out, e)
		}
	}
	return out
}

// keyGroup is the group a test key is about, read back from the world:
// the id after the prefix of each shape newWorld uses.
func keyGroup(t *testing.T, db *store.DB, key string) int64 {
	t.Helper()
	segs := strings.Split(key, "/")
	id := func(i int) int64 {
		var n int64
		fmt.Sscan(segs[i], &n)
		return n
	}
	groupOf := func(table string, id int64) int64 {
		var g int64
		fmt.Sscan(queryStrings(t, db, fmt.Sprintf(`SELECT group_id FROM %s WHERE id = %d`, table, id))[0], &g)
		return g
	}
	switch segs[0] {
	case "dm":
		return groupOf("sessions", id(2))
	case "attendance.summary":
		return groupOf("sessions", id(1))
	case "checkins":
		return groupOf("checkins", id(2))
	case "safety":
		return groupOf("safety_alerts", id(2))
	case "norms", "owners":
		return id(2)
	}
	return id(1)
}

// queryStrings runs q on the database file through a read-only
// connection and returns the first column.
func queryStrings(t *testing.T, db *store.DB, q string) []string {
	t.Helper()
	ro, err := sql.Open("sqlite", "file:"+db.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rows, err := ro.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestErase_FacilitatorCodeOnly: a facilitator erases a code-only roster
// entry of one group; its code and marks are gone, the rest stays.
func TestErase_FacilitatorCodeOnly(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	db := w.db
	c, err := db.AddMember(ctx, "slack:UFAC", bot.Member{GroupID: w.clinic.ID, Code: "C-ZZZ-5"})
	if err != nil {
		t.Fatal(err)
	}
	s := w.sessions[0]
	if _, err := db.MarkAttendance(ctx, bot.AttendanceMark{SessionID: s.ID, GroupID: w.clinic.ID, Attendee: bot.Attendee{MemberID: c.ID}, Status: bot.AttendPresent,
		Source: "facilitator", MarkedBy: "slack:UFAC"}); err != nil {
		t.Fatal(err)
	}
	p := storetest.Person{Needles: []string{"C-ZZZ-5"}, Members: []int64{c.ID}}
	if hits := storetest.Scan(t, db.Path(), p); !slices.Equal(storetest.HitTables(hits), []string{"attendance", "audit_log", "members"}) {
		t.Fatalf("before: %v", hits)
	}
	quinnBefore := storetest.Scan(t, db.Path(), w.quinnP)
	er, err := db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformSlack, GroupID: w.clinic.ID, MemberID: c.ID, By: "slack:UFAC"}, nil)
	if err != nil || er.Number == 0 {
		t.Fatalf("erase: %+v, %v", er, err)
	}
	if hits := storetest.Scan(t, db.Path(), p); len(hits) != 0 {
		t.Fatalf("after: %v", hits)
	}
	if after := storetest.Scan(t, db.Path(), w.quinnP); !mapsEqual(after, quinnBefore) {
		t.Fatalf("another member's data changed: %v; was %v", after, quinnBefore)
	}
	log, _ := db.AuditLog(ctx, w.clinic.ID, 1)
	if log[0].Action != "member.erase" || log[0].Actor != "slack:UFAC" {
		t.Fatalf("erasure audited as %+v", log[0])
	}
	if _, err := db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformSlack, GroupID: w.clinic.ID, MemberID: c.ID, By: "slack:UFAC"}, nil); err == nil {
		t.Fatal("erasing an erased entry again: no error")
	}
}

// TestErase_AuditTokens: rewriting an audit line replaces the person's
// whole tokens only: member=1 is not member=12.
func TestErase_AuditTokens(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	var ms []bot.Member
	for i := range 12 {
		m, err := db.AddMember(ctx, "console:fac", bot.Member{GroupID: g.ID, User: bot.UserID(fmt.Sprintf("u%d", i+1))})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	if _, err := db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformConsole, User: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(ctx, g.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, a := range log {
		if a.Action == "roster.add" {
			details = append(details, a.Detail)
		}
	}
	for _, want := range []string{"erased member #1 status=active", fmt.Sprintf("member=%d status=active", ms[11].ID), fmt.Sprintf("member=%d status=active", ms[9].ID)} {
		if !slices.Contains(details, want) {
			t.Errorf("audit details %q lack %q", details, want)
		}
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestErase_GroupsNamingThem: a member's own erasure tells (and audits in)
// every group whose tables named them, not only those where they had a
// roster entry: an open group where they only agreed to the norms, and
// one where they only answered a check-in.
func TestErase_GroupsNamingThem(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	db := w.db
	mk := func(name, ch string) bot.Group {
		g, err := db.CreateGroup(ctx, "slack:UFAC", bot.Group{Name: name, Address: bot.Address{Platform: bot.PlatformSlack, Channel: bot.ChannelID(ch)},
			Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard, Facilitators: []bot.Principal{"slack:UFAC"}})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	open, circle := mk("open", "C0OPEN001"), mk("circle", "C0CIRCLE1")
	if _, err := db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: open.ID, Items: []string{"Be kind."}, Author: "slack:UFAC", Source: "edit"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AgreeToNorms(ctx, bot.NormsAck{GroupID: open.ID, User: w.quinnUser, Version: 1, At: time.Now()}, "", nil); err != nil {
		t.Fatal(err)
	}
	c, _, err := db.OpenCheckIn(ctx, bot.CheckIn{GroupID: circle.ID, Origin: bot.OriginDemand, Key: "demand/circle",
		Spec: bot.CheckInSpec{Kind: bot.CheckInScale, Prompt: "How are you?", Delivery: bot.DeliverDM}, OpenedAt: time.Now(), ClosesAt: time.Now().Add(time.Hour)},
		[]bot.UserID{w.quinnUser}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordAnswers(ctx, []bot.CheckInAnswer{{CheckInID: c.ID, User: w.quinnUser, Level: 3, At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	er, err := db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformSlack, User: w.quinnUser, StopTracking: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{w.clinic.ID, w.staff.ID, w.dropIn.ID, open.ID, circle.ID}; !slices.Equal(er.Groups, want) {
		t.Fatalf("erasure told groups %v; want %v (every group naming them)", er.Groups, want)
	}
	for _, g := range []bot.Group{open, circle} {
		log, err := db.AuditLog(ctx, g.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) == 0 || log[0].Action != "member.erase" || !strings.HasPrefix(log[0].Detail, bot.ErasedLabel(er.Number)) {
			t.Errorf("group %s has no erasure line: %+v", g.Name, log)
		}
	}
	if hits := storetest.Scan(t, db.Path(), w.quinnP); !slices.Equal(storetest.HitTables(hits), []string{"jobs"}) {
		t.Fatalf("after the erasure: %v; want only the pending job", hits)
	}
}

// rawFileHolds reports whether the database file or its write-ahead log,
// read as raw bytes, hold s anywhere: in live rows or in free space.
func rawFileHolds(t *testing.T, path, s string) []string {
	t.Helper()
	var in []string
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(s)) {
			in = append(in, filepath.Base(p))
		}
	}
	return in
}

// TestErase_LeavesNothingInTheFile: after an erasure the erased member's
// name and code are nowhere in the database file or its log — not in free
// pages either (secure_delete, then a checkpoint) — while another
// member's are.
func TestErase_LeavesNothingInTheFile(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	db := w.db
	if ok, err := db.Checkpoint(ctx); err != nil || !ok {
		t.Fatalf("checkpoint: %v, %v", ok, err)
	}
	for _, s := range []string{"Quinn Forgetme", "C-FGT-9", "Kim Keeper"} {
		if in := rawFileHolds(t, db.Path(), s); len(in) == 0 {
			t.Fatalf("before the erasure the file does not hold %q: the test would prove nothing", s)
		}
	}
	if _, err := db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformSlack, User: w.quinnUser, StopTracking: true}, nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Quinn Forgetme", "C-FGT-9"} {
		if in := rawFileHolds(t, db.Path(), s); len(in) != 0 {
			t.Errorf("after the erasure %v still hold %q", in, s)
		}
	}
	if in := rawFileHolds(t, db.Path(), "Kim Keeper"); len(in) == 0 {
		t.Error("another member's name is gone from the file")
	}
}

// TestPurgeExpired_LeavesNothingInTheFile: check-in answers purged after
// the retention period are not left in the file's free pages or log.
func TestPurgeExpired_LeavesNothingInTheFile(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t)
	g := newReminderGroup(t, db)
	opened := time.Date(2026, 1, 5, 18, 0, 0, 0, time.UTC)
	c, _, err := db.OpenCheckIn(ctx, bot.CheckIn{GroupID: g.ID, Origin: bot.OriginDemand, Key: "demand/purge",
		Spec: bot.CheckInSpec{Kind: bot.CheckInText, Prompt: "How are you?", Delivery: bot.DeliverDM}, OpenedAt: opened, ClosesAt: opened.Add(time.Hour)},
		[]bot.UserID{"sam"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const words = "the words Sam wrote about a hard week"
	if _, err := db.RecordAnswers(ctx, []bot.CheckInAnswer{{CheckInID: c.ID, User: "sam", Text: words, At: opened}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CloseCheckIn(ctx, c.ID, opened.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if in := rawFileHolds(t, db.Path(), words); len(in) == 0 {
		t.Fatal("before the purge the file does not hold the answer: the test would prove nothing")
	}
	p, err := db.PurgeExpired(ctx, opened.AddDate(0, 0, store.DefaultRetentionDays+2), nil, nil)
	if err != nil || p.Answers != 1 {
		t.Fatalf("purge: %+v, %v; want the answer purged", p, err)
	}
	if in := rawFileHolds(t, db.Path(), words); len(in) != 0 {
		t.Fatalf("after the purge %v still hold the answer", in)
	}
}
