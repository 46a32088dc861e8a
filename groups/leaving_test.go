package groups_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

// TestFacilitatorsChannel_MustBePrivate: group setup refuses a public
// channel (and the group's own) as the facilitators' channel, and takes a
// private one.
func TestFacilitatorsChannel_MustBePrivate(t *testing.T) {
	e := newEnv(t)
	if got := e.runOn(bot.PlatformSlack, "UOWNER01", "CGROUP1", "group setup name:clinic facilitators_channel:<#CPUBLIC|general>"); !strings.Contains(got, "not private") {
		t.Fatalf("a public facilitators' channel: %s", got)
	}
	if _, err := e.db.GroupByName(t.Context(), "clinic"); err == nil {
		t.Fatal("the group was created with a public facilitators' channel")
	}
	if got := e.runOn(bot.PlatformSlack, "UOWNER01", "CGROUP1", "group setup name:clinic facilitators_channel:CGROUP1"); !strings.Contains(got, "own channel") {
		t.Fatalf("the group's own channel as the facilitators' channel: %s", got)
	}
	if got := e.runOn(bot.PlatformSlack, "UOWNER01", "CGROUP1", "group setup name:clinic facilitators_channel:<#GSTAFF|staff>"); !strings.Contains(got, "now group clinic") {
		t.Fatalf("a private facilitators' channel: %s", got)
	}
	g, err := e.db.GroupByName(t.Context(), "clinic")
	if err != nil || g.FacilitatorsChannel != "GSTAFF" {
		t.Fatalf("group %+v, %v; want the private channel kept", g, err)
	}
	if got := e.runOn(bot.PlatformSlack, "UOWNER01", "CGROUP1", "group setup name:clinic facilitators_channel:CPUBLIC"); !strings.Contains(got, "not private") {
		t.Fatalf("changing to a public channel: %s", got)
	}
	if got := e.runOn(bot.PlatformSlack, "UOWNER01", "CGROUP1", "group setup name:clinic facilitators_channel:none"); !strings.Contains(got, "by DM to each facilitator") {
		t.Fatalf("back to DMs: %s", got)
	}
}

// TestMemberGone_ReachesEveryFeature: a member leaving the group's channel,
// the server, or being removed from the roster reaches every feature's
// MemberGone subscriber, each in its own durable job, and gives up their
// place on the roster to the first on the waitlist.
func TestMemberGone_ReachesEveryFeature(t *testing.T) {
	e := newEnv(t)
	type seen struct{ feature, group, user, why string }
	var (
		mu  sync.Mutex
		got []seen
		hit = make(chan struct{}, 100)
	)
	for _, name := range []string{"norms-like", "checkins-like"} {
		if err := e.bot.OnMemberGone(name, func(_ context.Context, ev *bot.MemberGone) ([]bot.Outbound, error) {
			mu.Lock()
			got = append(got, seen{name, ev.Group.Name, string(ev.User), ev.Why})
			mu.Unlock()
			hit <- struct{}{}
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.runner.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait := func(n int) {
		t.Helper()
		for range n {
			select {
			case <-hit:
			case <-time.After(10 * time.Second):
				t.Fatalf("timed out waiting for subscribers; saw %+v", got)
			}
		}
	}

	e.run(owner, "room", "group setup name:support capacity:1")
	e.run(owner, "room", "roster add user:sam")
	e.run(owner, "room", "roster add user:kim") // waitlisted: capacity 1
	e.bot.Handle(t.Context(), &bot.MemberLeft{EventMeta: bot.EventMeta{Platform: bot.PlatformConsole, Channel: "room", User: bot.User{Platform: bot.PlatformConsole, ID: "sam"}}})
	wait(2)
	sam, err := e.db.MemberByUser(t.Context(), mustGroup(t, e, "support").ID, "sam")
	if err != nil || sam.Status != bot.MemberRemoved {
		t.Fatalf("sam after leaving: %+v, %v; want removed", sam, err)
	}
	kim, _ := e.db.MemberByUser(t.Context(), mustGroup(t, e, "support").ID, "kim")
	if kim.Status != bot.MemberActive {
		t.Fatalf("kim after sam left: %s; want let in from the waitlist", kim.Status)
	}

	// Discord: leaving the server leaves every group in it.
	e.runOn(bot.PlatformDiscord, "100000000000000001", "200000000000000001", "group setup name:one")
	e.runOn(bot.PlatformDiscord, "100000000000000001", "200000000000000002", "group setup name:two")
	e.bot.Handle(t.Context(), &bot.MemberLeft{EventMeta: bot.EventMeta{Platform: bot.PlatformDiscord, Guild: "guild1", User: bot.User{Platform: bot.PlatformDiscord, ID: "300000000000000003"}}})
	wait(4)

	e.run(owner, "room", "roster remove user:kim")
	wait(2)

	mu.Lock()
	defer mu.Unlock()
	want := map[seen]bool{
		{"norms-like", "support", "sam", "left the channel"}:               true,
		{"checkins-like", "support", "sam", "left the channel"}:            true,
		{"norms-like", "one", "300000000000000003", "left the server"}:     true,
		{"checkins-like", "one", "300000000000000003", "left the server"}:  true,
		{"norms-like", "two", "300000000000000003", "left the server"}:     true,
		{"checkins-like", "two", "300000000000000003", "left the server"}:  true,
		{"norms-like", "support", "kim", "removed by console:" + owner}:    true,
		{"checkins-like", "support", "kim", "removed by console:" + owner}: true,
	}
	if len(got) != len(want) {
		t.Errorf("saw %d events; want %d: %+v", len(got), len(want), got)
	}
	for _, s := range got {
		if !want[s] {
			t.Errorf("unexpected event %+v", s)
		}
	}
}

func mustGroup(t *testing.T, e *env, name string) bot.Group {
	t.Helper()
	g, err := e.db.GroupByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestMemberAdded_ReachesEveryFeature: putting a person with an account on
// the roster reaches every feature's MemberAdded subscriber in a durable
// job of its own, and the facilitator's answer says what the features
// will do; a code-only entry publishes nothing.
func TestMemberAdded_ReachesEveryFeature(t *testing.T) {
	e := newEnv(t)
	type seen struct{ feature, group, user, by string }
	var (
		mu  sync.Mutex
		got []seen
		hit = make(chan struct{}, 100)
	)
	for _, name := range []string{"norms-like", "checkins-like"} {
		var note bot.MemberAddedNote
		if name == "norms-like" {
			note = func(_ context.Context, ev *bot.MemberAdded) (string, error) {
				return "tend sends " + string(ev.User) + " the norms privately.", nil
			}
		}
		if err := e.bot.OnMemberAdded(name, func(_ context.Context, ev *bot.MemberAdded) ([]bot.Outbound, error) {
			mu.Lock()
			got = append(got, seen{name, ev.Group.Name, string(ev.User), string(ev.By)})
			mu.Unlock()
			hit <- struct{}{}
			return nil, nil
		}, note); err != nil {
			t.Fatal(err)
		}
	}
	e.run(owner, "room", "group setup name:support")
	if got := e.run(owner, "room", "roster add user:sam"); !strings.Contains(got, "Added @sam to the roster of support. tend sends sam the norms privately.") {
		t.Fatalf("roster add answered %q; want what the features will do", got)
	}
	e.run(owner, "room", "roster add code:C-17")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.runner.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for range 2 {
		select {
		case <-hit:
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out waiting for subscribers; saw %+v", got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []seen{{"norms-like", "support", "sam", "console:" + owner}, {"checkins-like", "support", "sam", "console:" + owner}}
	if len(got) != 2 || !slices.Contains(got, want[0]) || !slices.Contains(got, want[1]) {
		t.Fatalf("saw %+v; want %+v (nothing for the code-only entry)", got, want)
	}
}

// TestCheckFacilitatorsChannels_AtStart: at each start, a group whose
// stored facilitators' channel is no longer private is reported to the
// owners once (and tend reaches its facilitators by DM meanwhile).
func TestCheckFacilitatorsChannels_AtStart(t *testing.T) {
	e := newEnv(t)
	if got := e.runOn(bot.PlatformSlack, "UOWNER01", "CGROUP1", "group setup name:clinic facilitators_channel:GSTAFF"); !strings.Contains(got, "now group clinic") {
		t.Fatalf("setup: %s", got)
	}
	check := e.feat.CheckFacilitatorsChannels
	if bad := check(t.Context()); bad != 0 {
		t.Fatalf("a private channel failed the start check (%d)", bad)
	}
	e.rec[2].mu.Lock()
	e.rec[2].private["GSTAFF"] = false // someone made it public
	e.rec[2].mu.Unlock()
	for range 2 {
		if bad := check(t.Context()); bad != 1 {
			t.Fatalf("a public facilitators' channel passed the start check (%d)", bad)
		}
	}
	var notices int
	for _, o := range e.rec[2].sent() {
		if o.Kind == bot.OutDM && o.User == "UOWNER01" && strings.Contains(o.Message.Text, "not private") {
			notices++
		}
	}
	if notices != 1 {
		t.Fatalf("%d notices to the owner; want one, however many starts", notices)
	}
}
