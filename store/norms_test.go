package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

func TestNorms_Versions(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CurrentNorms(ctx, g.ID); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("current norms of a new group: %v; want ErrNotFound", err)
	}
	ask := func(v bot.NormsVersion) []bot.Job {
		return []bot.Job{{Kind: "norms.ask", Key: "norms.ask/" + g.Name + "/" + string(rune('0'+v.Version)), GroupID: g.ID}}
	}
	v1, err := db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: g.ID, Items: []string{"a", "b"}, Author: "console:ana", Source: "template:support"}, ask)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: g.ID, Items: []string{"a", "b", "c — with \"quotes\""}, Author: "console:ana", Source: "edit"}, ask)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v2.Version != 2 || !v2.CreatedAt.Equal(t0) {
		t.Fatalf("versions %d, %d at %v; want 1, 2 at %v", v1.Version, v2.Version, v2.CreatedAt, t0)
	}
	cur, err := db.CurrentNorms(ctx, g.ID)
	if err != nil || cur.Version != 2 || !slices.Equal(cur.Items, v2.Items) || cur.Author != "console:ana" || cur.Source != "edit" {
		t.Fatalf("current = %+v, %v", cur, err)
	}
	old, err := db.NormsVersion(ctx, g.ID, 1)
	if err != nil || !slices.Equal(old.Items, []string{"a", "b"}) {
		t.Fatalf("version 1 = %+v, %v", old, err)
	}
	all, err := db.NormsVersions(ctx, g.ID)
	if err != nil || len(all) != 2 || all[0].Version != 1 {
		t.Fatalf("versions = %+v, %v", all, err)
	}
	// Each version enqueued its job in its transaction.
	for _, k := range []string{"norms.ask/tuesday/1", "norms.ask/tuesday/2"} {
		if j, err := db.JobByKey(ctx, k); err != nil || j.State != bot.JobPending {
			t.Errorf("job %s = %+v, %v", k, j, err)
		}
	}
	// The audit log names the version, never its text.
	got := actions(t, db, g.ID)
	want := []string{"norms.edit version=1 items=2 source=template:support", "norms.edit version=2 items=3 source=edit"}
	if !slices.Equal(got[len(got)-2:], want) {
		t.Errorf("audit %q; want it to end with %q", got, want)
	}
	// A job that cannot be enqueued (a key of another kind) rolls the
	// version back.
	_, err = db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: g.ID, Items: []string{"x"}, Author: "console:ana"},
		func(bot.NormsVersion) []bot.Job { return []bot.Job{{Kind: "norms.ask", Key: "other/1"}} })
	if !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("bad job: %v; want ErrConflict", err)
	}
	if cur, _ := db.CurrentNorms(ctx, g.ID); cur.Version != 2 {
		t.Fatalf("version %d after a failed add; want 2", cur.Version)
	}
	if _, err := db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: 999, Items: []string{"x"}, Author: "console:ana"}, nil); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("missing group: %v; want ErrNotFound", err)
	}
}

func TestNorms_Agreements(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: g.ID, Items: []string{"a"}, Author: "console:ana"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	at := t0.Add(time.Hour)
	admit := bot.Job{Kind: "norms.admit", Key: "norms.admit/1/sam/1/agreed", GroupID: g.ID, DueAt: at}
	created, _, err := db.AgreeToNorms(ctx, bot.NormsAck{GroupID: g.ID, User: "sam", Version: 1, At: at}, "", []bot.Job{admit})
	if err != nil || !created {
		t.Fatalf("first agreement: %v, %v", created, err)
	}
	if j, err := db.JobByKey(ctx, admit.Key); err != nil || j.State != bot.JobPending {
		t.Fatalf("the agreement's job: %+v, %v", j, err)
	}
	// Agreeing again is harmless: nothing new, the first time kept.
	created, _, err = db.AgreeToNorms(ctx, bot.NormsAck{GroupID: g.ID, User: "sam", Version: 1, At: at.Add(time.Hour)}, "", []bot.Job{admit})
	if err != nil || created {
		t.Fatalf("second agreement: %v, %v; want not created", created, err)
	}
	if a, err := db.LatestNormsAck(ctx, g.ID, "sam"); err != nil || a.Version != 1 || !a.At.Equal(at) {
		t.Fatalf("latest of sam = %+v, %v", a, err)
	}
	if _, _, err := db.AgreeToNorms(ctx, bot.NormsAck{GroupID: g.ID, User: "kim", Version: 2, At: at}, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AgreeToNorms(ctx, bot.NormsAck{GroupID: g.ID, User: "sam", Version: 2, At: at.Add(2 * time.Hour)}, "", nil); err != nil {
		t.Fatal(err)
	}
	acks, err := db.LatestNormsAcks(ctx, g.ID)
	if err != nil || len(acks) != 2 || acks[0].User != "kim" || acks[1].User != "sam" || acks[1].Version != 2 {
		t.Fatalf("latest acks = %+v, %v", acks, err)
	}
	if _, _, err := db.AgreeToNorms(ctx, bot.NormsAck{GroupID: g.ID, User: "sam", Version: 7, At: at}, "", nil); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("agreeing to a version that does not exist: %v; want ErrNotFound", err)
	}
	if _, err := db.LatestNormsAck(ctx, g.ID, "lee"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("latest of someone who never agreed: %v; want ErrNotFound", err)
	}
}

func TestNorms_Settings(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.NormsSettings(ctx, g.ID); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("settings of a new group: %v; want ErrNotFound", err)
	}
	s := bot.NormsSettings{GroupID: g.ID, Require: true, Repost: bot.RepostEachSession, Lobby: "lobby", FromFile: []string{"require", "lobby_channel"}, FileText: "abc"}
	job := bot.Job{Kind: "norms.ask", Key: "norms.ask/1/1", GroupID: g.ID}
	if err := db.SaveNormsSettings(ctx, "system:config", s, []bot.Job{job}); err != nil {
		t.Fatal(err)
	}
	got, err := db.NormsSettings(ctx, g.ID)
	if err != nil || !got.Require || got.Repost != bot.RepostEachSession || got.Lobby != "lobby" || got.FileText != "abc" ||
		!slices.Equal(got.FromFile, []string{"lobby_channel", "require"}) || !got.Pinned.IsZero() {
		t.Fatalf("settings = %+v, %v", got, err)
	}
	if _, err := db.JobByKey(ctx, job.Key); err != nil {
		t.Fatalf("the settings' job: %v", err)
	}
	// Saving the same again audits nothing more.
	if err := db.SaveNormsSettings(ctx, "system:config", s, nil); err != nil {
		t.Fatal(err)
	}
	ref := bot.MessageRef{Platform: bot.PlatformConsole, Channel: "c1", ID: "42"}
	if err := db.SetNormsPinned(ctx, g.ID, ref); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.NormsSettings(ctx, g.ID); got.Pinned != ref || !got.Require {
		t.Fatalf("after pinning: %+v", got)
	}
	audit := actions(t, db, g.ID)
	if n := len(slices.DeleteFunc(audit, func(s string) bool { return s[:14] != "norms.settings" })); n != 1 {
		t.Errorf("%d norms.settings audit entries; want 1 (saving the same again and pinning are not audited): %q", n, actions(t, db, g.ID))
	}
	// The lobby finds its group.
	gs, err := db.NormsLobbyGroups(ctx, bot.Address{Platform: bot.PlatformConsole, Channel: "lobby"})
	if err != nil || len(gs) != 1 || gs[0].ID != g.ID {
		t.Fatalf("lobby groups = %+v, %v", gs, err)
	}
	if gs, _ := db.NormsLobbyGroups(ctx, bot.Address{Platform: bot.PlatformSlack, Channel: "lobby"}); len(gs) != 0 {
		t.Fatalf("another platform's lobby found %+v", gs)
	}
	if err := db.SetNormsPinned(ctx, 999, ref); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("pinning for a group without settings: %v; want ErrNotFound", err)
	}
}

func TestNorms_Applicants(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	welcome := bot.Job{Kind: "norms.welcome", Key: "norms.welcome/1/sam/1", GroupID: g.ID}
	a, err := db.UpdateApplicant(ctx, g.ID, "sam", func(a *bot.Applicant, exists bool) ([]bot.Job, error) {
		if exists {
			t.Error("a new record exists")
		}
		a.Round, a.State, a.Pending, a.Guild = 1, bot.ApplicantWaiting, true, "guild1"
		return []bot.Job{welcome}, nil
	})
	if err != nil || a.Round != 1 || !a.JoinedAt.Equal(t0) {
		t.Fatalf("created %+v, %v", a, err)
	}
	if _, err := db.JobByKey(ctx, welcome.Key); err != nil {
		t.Fatalf("welcome job: %v", err)
	}
	// A change that returns an error writes nothing.
	boom := errors.New("boom")
	if _, err := db.UpdateApplicant(ctx, g.ID, "sam", func(a *bot.Applicant, _ bool) ([]bot.Job, error) {
		a.State = bot.ApplicantGone
		return nil, boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing change: %v", err)
	}
	// A change to nobody with no state writes nothing.
	if _, err := db.UpdateApplicant(ctx, g.ID, "kim", func(*bot.Applicant, bool) ([]bot.Job, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Applicant(ctx, g.ID, "kim"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("kim: %v; want ErrNotFound", err)
	}
	got, err := db.Applicant(ctx, g.ID, "sam")
	if err != nil || got.State != bot.ApplicantWaiting || !got.Pending || got.Guild != "guild1" {
		t.Fatalf("sam = %+v, %v", got, err)
	}
	if _, err := db.UpdateApplicant(ctx, g.ID, "sam", func(a *bot.Applicant, exists bool) ([]bot.Job, error) {
		a.State, a.AdmittedAt, a.Waitlisted, a.DMClosed = bot.ApplicantAdmitted, t0.Add(time.Minute), true, true
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Applicant(ctx, g.ID, "sam")
	if got.State != bot.ApplicantAdmitted || !got.AdmittedAt.Equal(t0.Add(time.Minute)) || !got.Waitlisted || !got.DMClosed {
		t.Fatalf("sam after admission = %+v", got)
	}
	list, err := db.Applicants(ctx, g.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("applicants = %+v, %v", list, err)
	}
	if w, err := db.WaitingApplicants(ctx); err != nil || len(w) != 0 {
		t.Fatalf("waiting applicants with sam admitted = %+v, %v; want none", w, err)
	}
	if _, err := db.UpdateApplicant(ctx, g.ID, "lee", func(a *bot.Applicant, _ bool) ([]bot.Job, error) {
		a.Round, a.State = 1, bot.ApplicantWaiting
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if w, err := db.WaitingApplicants(ctx); err != nil || len(w) != 1 || w[0].User != "lee" {
		t.Fatalf("waiting applicants = %+v, %v; want lee", w, err)
	}
	if _, err := db.UpdateApplicant(ctx, 999, "sam", func(a *bot.Applicant, _ bool) ([]bot.Job, error) {
		a.State = bot.ApplicantWaiting
		return nil, nil
	}); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("missing group: %v; want ErrNotFound", err)
	}
}

// TestNorms_RetentionDays: the period the privacy note states is the one
// the purge uses: the group's check-in settings, else the default.
func TestNorms_RetentionDays(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := db.RetentionDays(ctx, g.ID); err != nil || d != DefaultRetentionDays {
		t.Fatalf("without check-in settings: %d, %v; want %d", d, err, DefaultRetentionDays)
	}
	if _, _, err := db.SaveCheckInSettings(ctx, "console:ana", bot.CheckInSettings{GroupID: g.ID, EscalateAfter: 10 * time.Minute, RetentionDays: 30, Source: bot.SourceConfig}, nil); err != nil {
		t.Fatal(err)
	}
	if d, err := db.RetentionDays(ctx, g.ID); err != nil || d != 30 {
		t.Fatalf("with retention_days 30: %d, %v", d, err)
	}
}

// TestNorms_PlaceOnAgreeing: agreeing with a place to take puts a newcomer
// on a closed group's roster in the same transaction — active while there
// is room, then waitlisted (noted on their newcomer record) — and never
// moves an entry they hold already.
func TestNorms_PlaceOnAgreeing(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	grp := testGroup("course", "c1")
	grp.Admission, grp.Capacity = bot.AdmissionClosed, 1
	g, err := db.CreateGroup(ctx, "console:ana", grp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: g.ID, Items: []string{"a"}, Author: "console:ana"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, u := range []bot.UserID{"sam", "lee"} {
		if _, err := db.UpdateApplicant(ctx, g.ID, u, func(a *bot.Applicant, _ bool) ([]bot.Job, error) {
			a.State, a.Round = bot.ApplicantWaiting, 1
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if ms, _ := db.ListMembers(ctx, g.ID); len(ms) != 0 {
		t.Fatalf("roster before anyone agreed: %+v; arriving takes no place", ms)
	}
	agree := func(u bot.UserID) bot.Member {
		t.Helper()
		_, m, err := db.AgreeToNorms(ctx, bot.NormsAck{GroupID: g.ID, User: u, Version: 1, At: t0}, "system:norms", nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := agree("sam"); m.Status != bot.MemberActive || m.User != "sam" {
		t.Fatalf("sam's place: %+v; want active", m)
	}
	if m := agree("lee"); m.Status != bot.MemberWaitlisted {
		t.Fatalf("lee's place: %+v; want waitlisted (capacity 1)", m)
	}
	if a, _ := db.Applicant(ctx, g.ID, "lee"); !a.Waitlisted {
		t.Fatalf("lee's record %+v; want the waitlist noted", a)
	}
	if a, _ := db.Applicant(ctx, g.ID, "sam"); a.Waitlisted {
		t.Fatalf("sam's record %+v; sam has a place", a)
	}
	if m := agree("sam"); m.Status != bot.MemberActive {
		t.Fatalf("sam agreeing again: %+v; want the same place", m)
	}
	if m, err := db.TakeNormsPlace(ctx, "system:norms", g.ID, "lee"); err != nil || m.Status != bot.MemberWaitlisted {
		t.Fatalf("lee's place taken again: %+v, %v; want still waitlisted", m, err)
	}
	if ms, _ := db.ListMembers(ctx, g.ID); len(ms) != 2 {
		t.Fatalf("roster %+v; want sam and lee once each", ms)
	}
	// A facilitator put kim on the full roster (the waitlist) before she
	// agreed: agreeing keeps that place and notes it on her record, so
	// that a place freeing up is offered to her.
	if _, err := db.AddMember(ctx, "console:ana", bot.Member{GroupID: g.ID, User: "kim"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateApplicant(ctx, g.ID, "kim", func(a *bot.Applicant, _ bool) ([]bot.Job, error) {
		a.State, a.Round = bot.ApplicantWaiting, 1
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if m := agree("kim"); m.Status != bot.MemberWaitlisted {
		t.Fatalf("kim's place: %+v; want the waitlist place she held", m)
	}
	if a, _ := db.Applicant(ctx, g.ID, "kim"); !a.Waitlisted {
		t.Fatalf("kim's record %+v; want the waitlist place she held noted", a)
	}
	if got := actions(t, db, g.ID); !slices.Contains(got, "roster.add member=1 status=active") {
		t.Errorf("audit %q; want the place audited", got)
	}
}

// TestNorms_EraseNamesGatedGroups: a member's erasure names the groups
// where they hold norms data but no roster entry (an open group's newcomer
// who agreed and got its role), so that those groups hear they are gone
// and take the role back.
func TestNorms_EraseNamesGatedGroups(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("open", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.CreateGroup(ctx, "console:ana", testGroup("other", "c2"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: g.ID, Items: []string{"a"}, Author: "console:ana"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AgreeToNorms(ctx, bot.NormsAck{GroupID: g.ID, User: "sam", Version: 1, At: t0}, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateApplicant(ctx, other.ID, "sam", func(a *bot.Applicant, _ bool) ([]bot.Job, error) {
		a.State, a.Round = bot.ApplicantAdmitted, 1
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	er, err := db.Erase(ctx, bot.EraseRequest{Platform: bot.PlatformConsole, User: "sam"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(er.Groups, []int64{g.ID, other.ID}) {
		t.Fatalf("erasure names groups %v; want %v", er.Groups, []int64{g.ID, other.ID})
	}
}

// TestNorms_LeaveNormsLobby: a waiting newcomer who leaves the lobby
// gives up their record and a waitlist place, in one transaction; one
// with an active place, one admitted, or a record of another round is
// left as it is.
func TestNorms_LeaveNormsLobby(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	cfg := testGroup("tuesday", "c1")
	cfg.Capacity = 1
	g, err := db.CreateGroup(ctx, "console:ana", cfg)
	if err != nil {
		t.Fatal(err)
	}
	wait := func(user bot.UserID, state bot.ApplicantState) {
		t.Helper()
		if _, err := db.UpdateApplicant(ctx, g.ID, user, func(a *bot.Applicant, _ bool) ([]bot.Job, error) {
			a.Round, a.State = 1, state
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []bot.UserID{"sam", "lee", "kim"} {
		wait(u, bot.ApplicantWaiting)
	}
	wait("ivy", bot.ApplicantAdmitted)
	if m, err := db.TakeNormsPlace(ctx, "system:norms", g.ID, "sam"); err != nil || m.Status != bot.MemberActive {
		t.Fatalf("sam's place: %+v, %v", m, err)
	}
	if m, err := db.TakeNormsPlace(ctx, "system:norms", g.ID, "lee"); err != nil || m.Status != bot.MemberWaitlisted {
		t.Fatalf("lee's place: %+v, %v", m, err)
	}
	for _, c := range []struct {
		user   bot.UserID
		round  int
		closed bool
		state  bot.ApplicantState
		member bot.MemberStatus // "" for no entry
	}{
		{"sam", 1, false, bot.ApplicantWaiting, bot.MemberActive},     // an active place is kept
		{"lee", 2, false, bot.ApplicantWaiting, bot.MemberWaitlisted}, // another round
		{"ivy", 1, false, bot.ApplicantAdmitted, ""},
		{"kim", 1, true, bot.ApplicantGone, ""},
		{"lee", 1, true, bot.ApplicantGone, bot.MemberRemoved},
		{"lee", 1, false, bot.ApplicantGone, bot.MemberRemoved}, // again: nothing changes
	} {
		closed, err := db.LeaveNormsLobby(ctx, "system:platform", g.ID, c.user, c.round)
		if err != nil || closed != c.closed {
			t.Errorf("%s (round %d) left: closed %v, %v; want %v", c.user, c.round, closed, err, c.closed)
		}
		if a, err := db.Applicant(ctx, g.ID, c.user); err != nil || a.State != c.state {
			t.Errorf("%s's record %+v, %v; want %s", c.user, a, err, c.state)
		}
		m, err := db.MemberByUser(ctx, g.ID, c.user)
		switch {
		case c.member == "" && !errors.Is(err, bot.ErrNotFound):
			t.Errorf("%s on the roster: %+v, %v; want no entry", c.user, m, err)
		case c.member != "" && (err != nil || m.Status != c.member):
			t.Errorf("%s on the roster: %+v, %v; want %s", c.user, m, err, c.member)
		}
	}
	log, err := db.AuditLog(ctx, g.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range log {
		if e.Action == "roster.remove" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d roster.remove audit entries; want lee's one", n)
	}
}
