package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tend-bot/tend/bot"
)

func testGroup(name, channel string) bot.Group {
	return bot.Group{
		Name:         name,
		Address:      bot.Address{Platform: bot.PlatformConsole, Channel: bot.ChannelID(channel)},
		Kind:         bot.KindSupport,
		Admission:    bot.AdmissionOpen,
		TimeZone:     "Europe/London",
		Privacy:      bot.PrivacyStandard,
		Facilitators: []bot.Principal{"console:ana"},
	}
}

func actions(t *testing.T, db *DB, groupID int64) []string {
	t.Helper()
	es, err := db.AuditLog(t.Context(), groupID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range slices.Backward(es) {
		out = append(out, e.Action+" "+e.Detail)
	}
	return out
}

func TestCreateGroup(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if g.ID == 0 || g.Source != bot.SourceChat || !g.CreatedAt.Equal(t0) || !slices.Equal(g.Facilitators, []bot.Principal{"console:ana"}) {
		t.Errorf("created %+v", g)
	}
	for name, get := range map[string]func() (bot.Group, error){
		"ByID":      func() (bot.Group, error) { return db.GroupByID(ctx, g.ID) },
		"ByName":    func() (bot.Group, error) { return db.GroupByName(ctx, "tuesday") },
		"ByAddress": func() (bot.Group, error) { return db.GroupByAddress(ctx, g.Address) },
	} {
		got, err := get()
		if err != nil || got.ID != g.ID || got.TimeZone != "Europe/London" || len(got.Facilitators) != 1 {
			t.Errorf("%s = %+v, %v", name, got, err)
		}
	}
	for name, err := range map[string]error{
		"ByID":      second(db.GroupByID(ctx, 999)),
		"ByName":    second(db.GroupByName(ctx, "nope")),
		"ByAddress": second(db.GroupByAddress(ctx, bot.Address{Platform: "console", Channel: "c9"})),
	} {
		if !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("%s of a missing group: %v, want ErrNotFound", name, err)
		}
	}

	_, err = db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c2"))
	if !errors.Is(err, bot.ErrConflict) || !strings.Contains(err.Error(), "name") {
		t.Errorf("taken name: %v, want ErrConflict about the name", err)
	}
	_, err = db.CreateGroup(ctx, "console:ana", testGroup("thursday", "c1"))
	if !errors.Is(err, bot.ErrConflict) || !strings.Contains(err.Error(), "tuesday") {
		t.Errorf("bound channel: %v, want ErrConflict naming tuesday", err)
	}
	// The same channel id on another platform is another channel.
	other := testGroup("thursday", "c1")
	other.Address.Platform = bot.PlatformDiscord
	if _, err := db.CreateGroup(ctx, "discord:1", other); err != nil {
		t.Errorf("same channel id on discord: %v", err)
	}
	bad := testGroup("friday", "c3")
	bad.TimeZone = "Mars/Olympus"
	if _, err := db.CreateGroup(ctx, "console:ana", bad); err == nil {
		t.Error("a group with a bad zone was stored")
	}
	gs, err := db.ListGroups(ctx)
	if err != nil || len(gs) != 2 || gs[0].Name != "thursday" || gs[1].Name != "tuesday" || len(gs[1].Facilitators) != 1 {
		t.Errorf("ListGroups = %+v, %v", gs, err)
	}
	if got := actions(t, db, g.ID); len(got) != 1 || !strings.HasPrefix(got[0], "group.create name=tuesday") {
		t.Errorf("audit = %q", got)
	}
}

func second[T any](_ T, err error) error { return err }

func TestUpdateGroup(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateGroup(ctx, "console:ana", testGroup("thursday", "c2")); err != nil {
		t.Fatal(err)
	}
	g.Capacity = 10
	g.TimeZone = "America/New_York"
	got, promoted, err := db.UpdateGroup(ctx, "console:ana", g)
	if err != nil || got.Capacity != 10 || got.TimeZone != "America/New_York" || len(promoted) != 0 || len(got.Facilitators) != 1 {
		t.Fatalf("UpdateGroup = %+v, %v, %v", got, promoted, err)
	}
	want := "group.update capacity=0→10 timezone=Europe/London→America/New_York"
	if a := actions(t, db, g.ID); a[len(a)-1] != want {
		t.Errorf("audit = %q, want last %q", a, want)
	}
	g.Name = "thursday"
	if _, _, err := db.UpdateGroup(ctx, "console:ana", g); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("rename to a taken name: %v, want ErrConflict", err)
	}
	g.Name = "tuesday"
	g.ID = 999
	if _, _, err := db.UpdateGroup(ctx, "console:ana", g); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("update of a missing group: %v, want ErrNotFound", err)
	}
}

func TestUpsertConfigGroup(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	// Made in chat first, with a member and a chat facilitator.
	chat, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddMember(ctx, "console:ana", bot.Member{GroupID: chat.ID, User: "sam"}); err != nil {
		t.Fatal(err)
	}
	cfg := testGroup("tuesday", "c1")
	cfg.Kind = bot.KindTherapy
	cfg.Facilitators = []bot.Principal{"console:bo", "console:bo", "role:7"}
	g, _, err := db.UpsertConfigGroup(ctx, "system:config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if g.ID != chat.ID || g.Source != bot.SourceConfig || g.Kind != bot.KindTherapy ||
		!slices.Equal(g.Facilitators, []bot.Principal{"console:bo", "role:7"}) {
		t.Errorf("after upsert: %+v", g)
	}
	if ms, err := db.ListMembers(ctx, g.ID); err != nil || len(ms) != 1 {
		t.Errorf("members kept: %+v, %v", ms, err)
	}
	// Applying the same again changes nothing and audits nothing.
	n := len(actions(t, db, g.ID))
	if _, _, err := db.UpsertConfigGroup(ctx, "system:config", cfg); err != nil {
		t.Fatal(err)
	}
	if a := actions(t, db, g.ID); len(a) != n {
		t.Errorf("a repeated apply was audited: %q", a[n:])
	}
	// A new config group is created.
	fresh, _, err := db.UpsertConfigGroup(ctx, "system:config", testGroup("friday", "c5"))
	if err != nil || fresh.ID == 0 || fresh.Source != bot.SourceConfig {
		t.Errorf("new config group: %+v, %v", fresh, err)
	}
	// A config group on a channel that a chat group of another name holds.
	if _, err := db.CreateGroup(ctx, "console:ana", testGroup("monday", "c7")); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.UpsertConfigGroup(ctx, "system:config", testGroup("sunday", "c7"))
	if !errors.Is(err, bot.ErrConflict) || !strings.Contains(err.Error(), `"monday"`) {
		t.Errorf("config group on a bound channel: %v, want ErrConflict naming monday", err)
	}
}

func TestFacilitators(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddFacilitator(ctx, "console:ana", g.ID, "console:bo"); err != nil {
		t.Fatal(err)
	}
	if err := db.AddFacilitator(ctx, "console:ana", g.ID, "console:bo"); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("adding twice: %v, want ErrConflict", err)
	}
	if err := db.AddFacilitator(ctx, "console:ana", 999, "console:bo"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("adding to a missing group: %v, want ErrNotFound", err)
	}
	got, _ := db.GroupByID(ctx, g.ID)
	if !got.IsFacilitator(bot.User{Platform: "console", ID: "bo"}) {
		t.Errorf("bo is not a facilitator: %+v", got.Facilitators)
	}
	if err := db.RemoveFacilitator(ctx, "console:bo", g.ID, "console:ana"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveFacilitator(ctx, "console:bo", g.ID, "console:ana"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("removing twice: %v, want ErrNotFound", err)
	}
	got, _ = db.GroupByID(ctx, g.ID)
	if !slices.Equal(got.Facilitators, []bot.Principal{"console:bo"}) {
		t.Errorf("facilitators = %v", got.Facilitators)
	}
	want := []string{"group.facilitator.add console:bo", "group.facilitator.remove console:ana"}
	if a := actions(t, db, g.ID); !slices.Equal(a[1:], want) {
		t.Errorf("audit = %q, want … %q", a, want)
	}
}

func TestMembers(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	cfg := testGroup("tuesday", "c1")
	cfg.Capacity = 2
	g, err := db.CreateGroup(ctx, "console:ana", cfg)
	if err != nil {
		t.Fatal(err)
	}
	add := func(m bot.Member) bot.Member {
		t.Helper()
		m.GroupID = g.ID
		got, err := db.AddMember(ctx, "console:ana", m)
		if err != nil {
			t.Fatalf("AddMember(%+v): %v", m, err)
		}
		return got
	}
	sam := add(bot.Member{User: "sam", Name: "Sam"})
	c1 := add(bot.Member{Code: "C-101"})
	wait := add(bot.Member{User: "kim", Code: "C-102"})
	if sam.Status != bot.MemberActive || c1.Status != bot.MemberActive || wait.Status != bot.MemberWaitlisted {
		t.Fatalf("statuses %s %s %s; want active active waitlisted", sam.Status, c1.Status, wait.Status)
	}
	if !sam.AddedAt.Equal(t0) || sam.Name != "Sam" || !c1.CodeOnly() {
		t.Errorf("members %+v %+v", sam, c1)
	}
	for _, dup := range []bot.Member{{User: "sam"}, {Code: "C-101"}, {User: "kim"}, {User: "new", Code: "C-102"}} {
		dup.GroupID = g.ID
		if _, err := db.AddMember(ctx, "console:ana", dup); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("AddMember(%+v) again: %v, want ErrConflict", dup, err)
		}
	}
	if _, err := db.AddMember(ctx, "console:ana", bot.Member{GroupID: 999, User: "x"}); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("AddMember to a missing group: %v, want ErrNotFound", err)
	}
	if _, err := db.AddMember(ctx, "console:ana", bot.Member{GroupID: g.ID}); err == nil {
		t.Error("a member with neither user nor code was added")
	}

	if m, err := db.MemberByUser(ctx, g.ID, "kim"); err != nil || m.ID != wait.ID {
		t.Errorf("MemberByUser(kim) = %+v, %v", m, err)
	}
	if m, err := db.MemberByCode(ctx, g.ID, "C-101"); err != nil || m.ID != c1.ID {
		t.Errorf("MemberByCode(C-101) = %+v, %v", m, err)
	}
	if _, err := db.MemberByUser(ctx, g.ID, "nobody"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("MemberByUser(nobody): %v, want ErrNotFound", err)
	}

	// Removing an active member makes room: the waitlist moves up.
	promoted, err := db.RemoveMember(ctx, "console:ana", g.ID, sam.ID)
	if err != nil || len(promoted) != 1 || promoted[0].ID != wait.ID || promoted[0].Status != bot.MemberActive {
		t.Fatalf("RemoveMember = %+v, %v; want kim promoted", promoted, err)
	}
	if _, err := db.RemoveMember(ctx, "console:ana", g.ID, sam.ID); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("removing twice: %v, want ErrNotFound", err)
	}
	ms, err := db.ListMembers(ctx, g.ID)
	if err != nil || len(ms) != 2 || ms[0].ID != c1.ID || ms[1].ID != wait.ID {
		t.Errorf("ListMembers = %+v, %v", ms, err)
	}
	if m, err := db.MemberByUser(ctx, g.ID, "sam"); err != nil || m.Status != bot.MemberRemoved {
		t.Errorf("removed sam = %+v, %v; want the row kept as removed", m, err)
	}
	// Sam comes back: same row, on the waitlist now the group is full.
	back := add(bot.Member{User: "sam", Name: "Sam B"})
	if back.ID != sam.ID || back.Status != bot.MemberWaitlisted || back.Name != "Sam B" {
		t.Errorf("re-added sam = %+v", back)
	}
	// Raising the capacity lets the waitlist in.
	g.Capacity = 0
	_, promoted, err = db.UpdateGroup(ctx, "console:ana", g)
	if err != nil || len(promoted) != 1 || promoted[0].ID != sam.ID {
		t.Errorf("UpdateGroup promoted %+v, %v; want sam", promoted, err)
	}
	want := []string{
		"roster.add member=1 status=active", "roster.add member=2 status=active", "roster.add member=3 status=waitlisted",
		"roster.remove member=1", "roster.promote member=3", "roster.add member=1 status=waitlisted",
		"group.update capacity=2→0", "roster.promote member=1",
	}
	if a := actions(t, db, g.ID); !slices.Equal(a[1:], want) {
		t.Errorf("audit:\n%q\nwant:\n%q", a[1:], want)
	}
}

func TestAudit(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	if err := db.Audit(ctx, bot.AuditEntry{Actor: "console:ana", Action: "attendance.export", Detail: "csv"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, bot.AuditEntry{Action: "x"}); err == nil {
		t.Error("an entry without an actor was recorded")
	}
	es, err := db.AuditLog(ctx, 0, 10)
	if err != nil || len(es) != 1 || es[0].GroupID != 0 || !es[0].At.Equal(t0) || es[0].Actor != "console:ana" {
		t.Errorf("AuditLog = %+v, %v", es, err)
	}
	// Entries outlive their group.
	g, err := db.CreateGroup(ctx, "console:ana", testGroup("tuesday", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM groups WHERE id = ?`, g.ID); err != nil {
		t.Fatal(err)
	}
	if es, err := db.AuditLog(ctx, 0, 10); err != nil || len(es) != 2 {
		t.Errorf("after deleting the group: %+v, %v", es, err)
	}
}

// BenchmarkGroupByAddress is the lookup every command in a group's channel
// makes.
func BenchmarkGroupByAddress(b *testing.B) {
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "tend.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for i := range 1000 {
		g := testGroup(fmt.Sprint("g", i), fmt.Sprint("c", i))
		g.Facilitators = []bot.Principal{"console:ana", "console:bo", "role:1"}
		if _, err := db.CreateGroup(b.Context(), "console:ana", g); err != nil {
			b.Fatal(err)
		}
	}
	a := bot.Address{Platform: bot.PlatformConsole, Channel: "c500"}
	for b.Loop() {
		if g, err := db.GroupByAddress(b.Context(), a); err != nil || len(g.Facilitators) != 3 {
			b.Fatalf("%+v, %v", g, err)
		}
	}
}

// TestAddMemberThen: the jobs that follow a roster entry (the MemberAdded
// event's deliveries) are written in the entry's transaction, made for the
// entry as added; a job that cannot be written leaves no entry either.
func TestAddMemberThen(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	cfg := testGroup("tuesday", "c1")
	cfg.Capacity = 1
	g, err := db.CreateGroup(ctx, "console:ana", cfg)
	if err != nil {
		t.Fatal(err)
	}
	welcome := func(m bot.Member) []bot.Job {
		return []bot.Job{{Kind: "core.event", Key: "core.event/norms/member_added/" + string(m.User), GroupID: m.GroupID, DueAt: t0,
			Payload: []byte(`{"status":"` + string(m.Status) + `"}`)}}
	}
	sam, err := db.AddMemberThen(ctx, "console:ana", bot.Member{GroupID: g.ID, User: "sam"}, welcome)
	if err != nil {
		t.Fatal(err)
	}
	j, err := db.JobByKey(ctx, "core.event/norms/member_added/sam")
	if err != nil || j.State != bot.JobPending || string(j.Payload) != `{"status":"active"}` || sam.Status != bot.MemberActive {
		t.Fatalf("sam %+v; job %+v, %v; want active, and the job made for the entry as added", sam, j, err)
	}
	if _, err := db.AddMemberThen(ctx, "console:ana", bot.Member{GroupID: g.ID, User: "kim"}, welcome); err != nil {
		t.Fatal(err)
	}
	if j, _ := db.JobByKey(ctx, "core.event/norms/member_added/kim"); string(j.Payload) != `{"status":"waitlisted"}` {
		t.Fatalf("kim's job %+v; want it made for the waitlisted entry", j)
	}
	// A job whose key holds other work: nothing is written.
	clash := func(m bot.Member) []bot.Job {
		return []bot.Job{{Kind: "core.event", Key: "core.event/norms/member_added/sam", GroupID: m.GroupID, DueAt: t0, Payload: []byte(`{}`)}}
	}
	if _, err := db.AddMemberThen(ctx, "console:ana", bot.Member{GroupID: g.ID, User: "lee"}, clash); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("a clashing job: %v; want ErrConflict", err)
	}
	if _, err := db.MemberByUser(ctx, g.ID, "lee"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("lee is on the roster (%v) though the job that follows could not be written", err)
	}
}
