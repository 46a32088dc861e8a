package groups_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/groups"
	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

var (
	_ groups.Store        = (*store.DB)(nil)
	_ groups.ConfigGroups = (*store.DB)(nil)
)

// recorder is a Platform that records what the Sender delivers. Command
// replies come back from Handle and never reach it.
type recorder struct {
	name string
	mu   sync.Mutex
	outs []bot.Outbound
	// private lists the channels that only invited people can see; a
	// channel not listed is public.
	private map[bot.ChannelID]bool
}

func (r *recorder) ChannelPrivate(_ context.Context, a bot.Address) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.private[a.Channel], nil
}
func (r *recorder) InChannel(context.Context, bot.Address, bot.UserID) (bool, error) {
	return true, nil
}
func (r *recorder) ChannelMembers(context.Context, bot.Address) ([]bot.User, error) { return nil, nil }

func (r *recorder) Name() string { return r.name }

func (r *recorder) Run(ctx context.Context, _ bot.Handler) error {
	<-ctx.Done()
	return nil
}

func (r *recorder) Deliver(_ context.Context, out bot.Outbound) (bot.Delivered, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outs = append(r.outs, out)
	return bot.Delivered{Ref: bot.MessageRef{Platform: r.name, Channel: out.To.Channel, ID: bot.MessageID(fmt.Sprint(len(r.outs)))}}, nil
}

// sent returns what the recorder was given.
func (r *recorder) sent() []bot.Outbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Outbound(nil), r.outs...)
}

func (r *recorder) delivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.outs)
}

type env struct {
	t      *testing.T
	db     *store.DB
	bot    *bot.Bot
	runner *bot.Runner
	feat   *groups.Feature
	rec    []*recorder
}

const owner = "owner"

func newEnv(t *testing.T) *env {
	t.Helper()
	db := storetest.Open(t)
	// A clock that moves a minute per reading, so that the roster's order
	// (earliest added first) does not depend on the wall clock.
	var (
		clockMu sync.Mutex
		now     = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	)
	db.Now = func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		now = now.Add(time.Minute)
		return now
	}
	key, err := db.ActionKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	codec, err := bot.NewActionCodec(key)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	recs := []*recorder{{name: bot.PlatformConsole}, {name: bot.PlatformDiscord}, {name: bot.PlatformSlack, private: map[bot.ChannelID]bool{"GSTAFF": true}}}
	sender := bot.NewSender(db, codec, nil, log, recs[0], recs[1], recs[2])
	runner := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: log})
	b, err := bot.New(bot.Config{
		Groups: db,
		Owners: []bot.Principal{"console:" + owner, "discord:100000000000000001", "slack:UOWNER01"},
		Codec:  codec,
		Sender: sender,
		Logger: log,
		Runner: runner,
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := groups.New(db, bot.Deps{Sender: sender, TimeZone: "Europe/London", ConfigFile: "tend.yaml", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Register(b, runner); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: db, bot: b, runner: runner, feat: f, rec: recs}
}

// run types "/tend <text>" as user in channel on platform and returns the
// replies as text.
func (e *env) runOn(platform, user, channel, text string, roles ...bot.RoleID) string {
	e.t.Helper()
	words, args, err := bot.ParseCommandText(text)
	if err != nil {
		e.t.Fatalf("parse %q: %v", text, err)
	}
	cmd := &bot.Command{
		EventMeta: bot.EventMeta{
			Platform: platform,
			Guild:    "guild1",
			Channel:  bot.ChannelID(channel),
			User:     bot.User{Platform: platform, ID: bot.UserID(user), Roles: roles},
		},
		Words: words,
		Args:  args,
	}
	outs := e.bot.Handle(e.t.Context(), cmd)
	var b strings.Builder
	for _, o := range outs {
		if o.Kind != bot.OutReply {
			e.t.Errorf("%q: reply of kind %s", text, o.Kind)
		}
		if !o.Ephemeral {
			e.t.Errorf("%q: a public reply; group and roster replies are private", text)
		}
		m := o.Message
		b.WriteString(m.Title + "\n" + m.Text + "\n")
		for _, f := range m.Fields {
			b.WriteString(f.Name + ": " + f.Value + "\n")
		}
	}
	return b.String()
}

func (e *env) run(user, channel, text string) string {
	e.t.Helper()
	return e.runOn(bot.PlatformConsole, user, channel, text)
}

type step struct {
	as, channel, cmd string
	want             []string // substrings of the reply
	not              []string // must not appear
}

func (e *env) steps(steps []step) {
	e.t.Helper()
	for i, s := range steps {
		got := e.run(s.as, s.channel, s.cmd)
		for _, w := range s.want {
			if !strings.Contains(got, w) {
				e.t.Errorf("step %d: %s in %s: /tend %s\nreply:\n%s\nwant it to contain %q", i, s.as, s.channel, s.cmd, got, w)
			}
		}
		for _, w := range s.not {
			if strings.Contains(got, w) {
				e.t.Errorf("step %d: /tend %s\nreply:\n%s\nmust not contain %q", i, s.cmd, got, w)
			}
		}
	}
}

func (e *env) group(name string) bot.Group {
	e.t.Helper()
	g, err := e.db.GroupByName(e.t.Context(), name)
	if err != nil {
		e.t.Fatalf("group %s: %v", name, err)
	}
	return g
}

func (e *env) audit(g bot.Group) []string {
	e.t.Helper()
	es, err := e.db.AuditLog(e.t.Context(), g.ID, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, a := range slices.Backward(es) {
		out = append(out, string(a.Actor)+" "+a.Action)
	}
	return out
}

// A refusal says why and what to do: these words appear in the refusals
// asserted below, so a bare "no" cannot pass.
func TestGroupSetup(t *testing.T) {
	e := newEnv(t)
	e.steps([]step{
		{as: "sam", channel: "c1", cmd: "group setup name:tuesday",
			want: []string{"Only the bot's owners and facilitators of a group on console can set up a new group", "owners:"}},
		{as: owner, channel: "c1", cmd: "group setup name:Bad_Name",
			want: []string{"may use only lowercase letters, digits and dashes", "tuesday-support"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday timezone:Mars/Olympus",
			want: []string{`Unknown time zone "Mars/Olympus"`, "Europe/London"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday timezone:Local",
			want: []string{"depends on the server", "IANA"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday kind:book-club",
			want: []string{`"book-club" is not one of support, psychoeducation, therapy, skills, team`}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday capacity:-3",
			want: []string{"apacity -3 is out of range", "0 for no limit"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday capacity:many",
			want: []string{`"many" is not a whole number`}},
		{as: owner, channel: "c1", cmd: "group setup",
			want: []string{"/tend group setup needs name: (the group's name", "Usage: /tend group setup name:<name> [kind:support|psychoeducation|therapy|skills|team]", "[timezone:<zone>]"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday kind:psychoeducation admission:closed capacity:2 timezone:America/New_York",
			want: []string{"This channel is now group tuesday", "first facilitator", "psychoeducation", "closed", "America/New_York", "Facilitators: @owner"}},
		{as: owner, channel: "c2", cmd: "group setup name:tuesday",
			want: []string{"The name tuesday is taken by another group (in console channel #c1)", "Choose another name"}},
		{as: owner, channel: "c1", cmd: "group setup name:thursday",
			want: []string{"already bound to group tuesday", "name:tuesday", "in the channel it will use"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday group:tuesday",
			want: []string{"takes no group: argument"}},
		// A member of the bound group may not change it.
		{as: "sam", channel: "c1", cmd: "group setup name:tuesday capacity:9",
			want: []string{"only its facilitators can change its settings", "group facilitators add"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday capacity:3 privacy:minimal",
			want: []string{"Group tuesday updated", "Capacity: 3", "Privacy: minimal"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday",
			want: []string{"nothing changed", "capacity:12"}},
	})
	g := e.group("tuesday")
	if g.Kind != bot.KindPsychoeducation || g.Admission != bot.AdmissionClosed || g.Capacity != 3 ||
		g.TimeZone != "America/New_York" || g.Privacy != bot.PrivacyMinimal || g.Source != bot.SourceChat ||
		g.Address != (bot.Address{Platform: "console", Channel: "c1"}) || g.Guild != "guild1" ||
		!slices.Equal(g.Facilitators, []bot.Principal{"console:owner"}) {
		t.Errorf("stored group %+v", g)
	}
	if got, want := e.audit(g), []string{"console:owner group.create", "console:owner group.update"}; !slices.Equal(got, want) {
		t.Errorf("audit %q, want %q", got, want)
	}

	// A facilitator of an existing group on the same platform may set up a
	// new group, and becomes its facilitator; the default zone applies.
	e.steps([]step{
		{as: owner, channel: "c1", cmd: "group facilitators add user:ana", want: []string{"@ana is now a facilitator of tuesday"}},
		{as: "ana", channel: "c3", cmd: "group setup name:friday", want: []string{"This channel is now group friday", "Europe/London", "Facilitators: @ana"}},
	})
	if f := e.group("friday"); !slices.Equal(f.Facilitators, []bot.Principal{"console:ana"}) || f.Kind != bot.KindSupport || f.Admission != bot.AdmissionOpen {
		t.Errorf("friday = %+v", f)
	}
	e.steps([]step{
		// A facilitator of friday only learns that tuesday's name is not
		// available: not that a group uses it, nor where, as for a name
		// that a group they cannot see holds.
		{as: owner, channel: "c3", cmd: "group facilitators add user:bo", want: []string{"@bo is now a facilitator of friday"}},
		{as: "bo", channel: "c4", cmd: "group setup name:tuesday", want: []string{"The name tuesday is not available. Choose another name for this group."}},
		// tuesday's own facilitators keep the helpful answer.
		{as: "ana", channel: "c4", cmd: "group setup name:tuesday", want: []string{"The name tuesday is taken by another group (in console channel #c1)"}},
	})
	if got := e.run("bo", "c4", "group setup name:tuesday"); strings.Contains(got, "taken") || strings.Contains(got, "c1") {
		t.Errorf("a non-facilitator of tuesday learns about it: %q", got)
	}
	// …but a facilitator on the console is nobody on Discord.
	got := e.runOn(bot.PlatformDiscord, "ana", "900000000000000001", "group setup name:discord-group")
	if !strings.Contains(got, "facilitators of a group on discord") {
		t.Errorf("console facilitator setting up on discord: %s", got)
	}
	// An owner on Discord may.
	got = e.runOn(bot.PlatformDiscord, "100000000000000001", "900000000000000001", "group setup name:discord-group")
	if !strings.Contains(got, "This channel is now group discord-group") {
		t.Errorf("discord owner: %s", got)
	}
}

func TestGroupSetup_DirectMessage(t *testing.T) {
	e := newEnv(t)
	outs := e.bot.Handle(t.Context(), &bot.Command{
		EventMeta: bot.EventMeta{Platform: "console", Channel: "dm-owner", DM: true, User: bot.User{Platform: "console", ID: owner}},
		Words:     []string{"group", "setup"},
		Args:      map[string]string{"name": "tuesday"},
	})
	if len(outs) != 1 || !strings.Contains(outs[0].Message.Text, "this is a direct message") {
		t.Errorf("setup in a DM: %+v", outs)
	}
	if _, err := e.db.GroupByName(t.Context(), "tuesday"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("a DM was bound as a group: %v", err)
	}
}

func TestGroupShowAndFacilitators(t *testing.T) {
	e := newEnv(t)
	e.run(owner, "c1", "group setup name:tuesday capacity:5")
	e.run(owner, "c1", "roster add user:sam")
	e.steps([]step{
		// Members are refused facilitator commands, with the reason.
		{as: "sam", channel: "c1", cmd: "group show",
			want: []string{"Only facilitators of tuesday can use /tend group show", "/tend group facilitators add"}},
		{as: "sam", channel: "c1", cmd: "group facilitators add user:sam",
			want: []string{"Only facilitators of tuesday can use /tend group facilitators"}},
		{as: owner, channel: "c9", cmd: "group show",
			want: []string{"This channel is not bound to a group", "group:NAME"}},
		{as: owner, channel: "c1", cmd: "group show",
			want: []string{"Group tuesday", "Capacity: 5", "Members: 1 of 5 active", "Defined in: chat", "Facilitators: @owner", "Channel: console channel #c1"}},
		// From elsewhere with group:.
		{as: owner, channel: "c9", cmd: "group show group:tuesday", want: []string{"Group tuesday"}},

		{as: owner, channel: "c1", cmd: "group facilitators", want: []string{"/tend group facilitators needs add or remove. Usage: /tend group facilitators add|remove [user:<@user>] [role:<@role>]"}},
		{as: owner, channel: "c1", cmd: "group facilitators promote user:ana", want: []string{`"promote" is not one of add, remove`}},
		{as: owner, channel: "c1", cmd: "group facilitators add", want: []string{"Say who", "user:@name"}},
		{as: owner, channel: "c1", cmd: "group facilitators add user:ana role:123456", want: []string{"not both"}},
		{as: owner, channel: "c1", cmd: "group facilitators add role:123456", want: []string{"Roles are a Discord feature", "user:@name"}},
		{as: owner, channel: "c1", cmd: `group facilitators add user:"two words"`, want: []string{"does not name a person"}},
		{as: owner, channel: "c1", cmd: "group facilitators add user:@ana", want: []string{"@ana is now a facilitator of tuesday"}},
		{as: owner, channel: "c1", cmd: "group facilitators add user:ana", want: []string{"@ana is already a facilitator of tuesday"}},
		// The new facilitator can act.
		{as: "ana", channel: "c1", cmd: "group show", want: []string{"Facilitators: @ana, @owner"}},
		{as: "ana", channel: "c1", cmd: "group facilitators remove user:bo", want: []string{"@bo is not a facilitator of tuesday"}},
		{as: "ana", channel: "c1", cmd: "group facilitators remove user:owner", want: []string{"@owner is no longer a facilitator of tuesday"}},
		{as: "ana", channel: "c1", cmd: "group facilitators remove user:ana", want: []string{"@ana is the last facilitator of tuesday", "Add another"}},
	})
	g := e.group("tuesday")
	if !slices.Equal(g.Facilitators, []bot.Principal{"console:ana"}) {
		t.Errorf("facilitators %v", g.Facilitators)
	}
	want := []string{"console:owner group.create", "console:owner roster.add", "console:owner group.facilitator.add", "console:ana group.facilitator.remove"}
	if got := e.audit(g); !slices.Equal(got, want) {
		t.Errorf("audit %q, want %q", got, want)
	}
}

func TestFacilitators_Discord(t *testing.T) {
	e := newEnv(t)
	const (
		ownerID = "100000000000000001"
		channel = "900000000000000001"
	)
	run := func(user, text string, roles ...bot.RoleID) string {
		return e.runOn(bot.PlatformDiscord, user, channel, text, roles...)
	}
	run(ownerID, "group setup name:tuesday")
	for _, c := range []struct{ cmd, want string }{
		{"group facilitators add user:@sam", `"@sam" does not name an account on discord`},
		{"group facilitators add user:<@!200000000000000002>", "<@200000000000000002> is now a facilitator"},
		{"group facilitators add role:<@&300000000000000003>", "<@&300000000000000003> is now a facilitator"},
		{"group facilitators add role:everyone", "is not a Discord role"},
	} {
		if got := run(ownerID, c.cmd); !strings.Contains(got, c.want) {
			t.Errorf("/tend %s:\n%s\nwant %q", c.cmd, got, c.want)
		}
	}
	// Someone holding the role is a facilitator; someone without is not.
	if got := run("400000000000000004", "roster list", "300000000000000003"); !strings.Contains(got, "roster of tuesday is empty") {
		t.Errorf("role holder: %s", got)
	}
	if got := run("400000000000000004", "roster list"); !strings.Contains(got, "Only facilitators of tuesday") {
		t.Errorf("without the role: %s", got)
	}
	g := e.group("tuesday")
	want := []bot.Principal{"discord:100000000000000001", "discord:200000000000000002", "role:300000000000000003"}
	if !slices.Equal(g.Facilitators, want) {
		t.Errorf("facilitators %v, want %v", g.Facilitators, want)
	}
}

func TestRoster(t *testing.T) {
	e := newEnv(t)
	e.run(owner, "c1", "group setup name:tuesday admission:closed capacity:2")
	e.steps([]step{
		{as: "sam", channel: "c1", cmd: "roster add user:sam",
			want: []string{"Only facilitators of tuesday can use /tend roster add"}},
		{as: "sam", channel: "c1", cmd: "roster list",
			want: []string{"Only facilitators of tuesday can use /tend roster list"}},
		{as: owner, channel: "c1", cmd: "roster list", want: []string{"roster of tuesday is empty", "roster add user:@name"}},
		{as: owner, channel: "c1", cmd: "roster add", want: []string{"Say who to add", "code:C-104"}},
		{as: owner, channel: "c1", cmd: "roster add code:C/104", want: []string{"only letters, digits and dashes"}},
		{as: owner, channel: "c1", cmd: `roster add user:sam name:"Sam Lee"`, want: []string{"Added Sam Lee to the roster of tuesday"}},
		{as: owner, channel: "c1", cmd: "roster add user:@sam", want: []string{"Sam Lee is already on the roster of tuesday"}},
		{as: owner, channel: "c1", cmd: "roster add code:c-101", want: []string{"Added C-101 to the roster of tuesday"}},
		{as: owner, channel: "c1", cmd: "roster add code:C-101", want: []string{"C-101 is already on the roster"}},
		// Closed and at capacity: the waitlist, and the reply says so.
		{as: owner, channel: "c1", cmd: "roster add user:kim", want: []string{"tuesday is full (2 places)", "@kim is on the waitlist", "capacity:N"}},
		{as: owner, channel: "c1", cmd: "roster add user:kim", want: []string{"@kim is already on the waitlist of tuesday"}},
		{as: owner, channel: "c1", cmd: "roster list",
			want: []string{"Roster of tuesday: 2 of 2", "Members: Sam Lee @sam — added", "C-101 — added", "Waitlist, in order: 1. @kim — added"}},
		{as: owner, channel: "c1", cmd: "roster remove", want: []string{"Say who to remove"}},
		{as: owner, channel: "c1", cmd: "roster remove user:bo", want: []string{"@bo is not on the roster of tuesday", "roster list"}},
		{as: owner, channel: "c1", cmd: "roster remove user:sam code:C-101", want: []string{"not both"}},
		{as: owner, channel: "c1", cmd: "roster remove user:sam", want: []string{"Removed Sam Lee from the roster of tuesday", "Moved from the waitlist to the roster: @kim"}},
		{as: owner, channel: "c1", cmd: "roster remove user:sam", want: []string{"@sam is not on the roster of tuesday"}},
		{as: owner, channel: "c1", cmd: "group show", want: []string{"Members: 2 of 2 active"}, not: []string{"waitlist"}},
		// Sam comes back, to the waitlist; raising the capacity lets them in.
		{as: owner, channel: "c1", cmd: "roster add user:sam", want: []string{"@sam is on the waitlist"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday capacity:3", want: []string{"Moved from the waitlist to the roster: @sam"}},
		{as: owner, channel: "c1", cmd: "group setup name:tuesday capacity:1", want: []string{"3 active members, more than the new capacity of 1", "nobody is removed"}},
		// Minimal privacy is refused while names are kept.
		{as: owner, channel: "c1", cmd: "group setup name:tuesday privacy:minimal", want: []string{"Minimal privacy keeps no names", "2 roster entries"}},
	})
	g := e.group("tuesday")
	ms, err := e.db.ListMembers(t.Context(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, fmt.Sprintf("%s/%s/%s/%s", m.User, m.Code, m.Name, m.Status))
	}
	if want := []string{"/C-101//active", "kim///active", "sam///active"}; !slices.Equal(got, want) {
		t.Errorf("roster %q, want %q", got, want)
	}
	audit := e.audit(g)
	var rosterActions []string
	for _, a := range audit {
		if strings.Contains(a, "roster.") {
			rosterActions = append(rosterActions, strings.TrimPrefix(a, "console:owner "))
		}
	}
	want := []string{"roster.add", "roster.add", "roster.add", "roster.remove", "roster.promote", "roster.add", "roster.promote"}
	if !slices.Equal(rosterActions, want) {
		t.Errorf("roster audit %q, want %q", rosterActions, want)
	}
}

func TestRoster_MinimalPrivacy(t *testing.T) {
	e := newEnv(t)
	e.run(owner, "c1", "group setup name:clinic kind:therapy privacy:minimal")
	e.steps([]step{
		{as: owner, channel: "c1", cmd: "roster add user:sam", want: []string{"minimal privacy", "needs a code", "code:C-104"}},
		{as: owner, channel: "c1", cmd: `roster add code:C-1 name:"Sam Lee"`, want: []string{"keeps no names", "without name:"}},
		{as: owner, channel: "c1", cmd: "roster add code:C-1", want: []string{"Added C-1 to the roster of clinic"}},
		{as: owner, channel: "c1", cmd: "roster add user:sam code:C-2", want: []string{"Added C-2 to the roster"}, not: []string{"sam"}},
		{as: owner, channel: "c1", cmd: "roster list", want: []string{"C-1 — added", "C-2 — added"}, not: []string{"sam"}},
		{as: owner, channel: "c1", cmd: "roster remove user:sam", want: []string{"Removed C-2 from the roster of clinic"}, not: []string{"sam"}},
	})
}

func TestRoster_DiscordMentions(t *testing.T) {
	e := newEnv(t)
	const ownerID, channel = "100000000000000001", "900000000000000001"
	e.runOn(bot.PlatformDiscord, ownerID, channel, "group setup name:tuesday")
	for _, c := range []struct{ cmd, want string }{
		{"roster add user:@sam", "does not name an account on discord"},
		{"roster add user:<@200000000000000002>", "Added <@200000000000000002> to the roster"},
		{"roster add user:200000000000000002", "<@200000000000000002> is already on the roster"},
		{"roster remove user:<@!200000000000000002>", "Removed <@200000000000000002>"},
	} {
		if got := e.runOn(bot.PlatformDiscord, ownerID, channel, c.cmd); !strings.Contains(got, c.want) {
			t.Errorf("/tend %s:\n%s\nwant %q", c.cmd, got, c.want)
		}
	}
}

func TestApplyConfig(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// A group made in chat, with a roster, that the file then declares.
	e.run(owner, "c1", "group setup name:tuesday")
	e.run(owner, "c1", "roster add user:sam")
	e.run(owner, "c1", "group facilitators add user:cat")
	e.run(owner, "c2", "group setup name:monday")
	if got := e.run("cat", "c1", "group show"); !strings.Contains(got, "Group tuesday") {
		t.Fatalf("cat is not a facilitator before the file is applied: %s", got)
	}
	cfg := func(name, channel string, fs ...bot.Principal) bot.Group {
		return bot.Group{Name: name, Address: bot.Address{Platform: "console", Channel: bot.ChannelID(channel)},
			Kind: bot.KindTherapy, Admission: bot.AdmissionClosed, Capacity: 8, TimeZone: "Asia/Tokyo",
			Privacy: bot.PrivacyStandard, Facilitators: fs}
	}
	_, err := groups.ApplyConfig(ctx, e.db, declare(cfg("tuesday", "c1", "console:ana"), cfg("wednesday", "c3", "console:bo")))
	if err != nil {
		t.Fatal(err)
	}
	tue := e.group("tuesday")
	if tue.Source != bot.SourceConfig || tue.Kind != bot.KindTherapy || !slices.Equal(tue.Facilitators, []bot.Principal{"console:ana"}) {
		t.Errorf("tuesday after apply: %+v", tue)
	}
	if ms, _ := e.db.ListMembers(ctx, tue.ID); len(ms) != 1 {
		t.Errorf("tuesday's roster was not kept: %+v", ms)
	}
	if mon := e.group("monday"); mon.Source != bot.SourceChat {
		t.Errorf("a chat group changed: %+v", mon)
	}
	e.steps([]step{
		{as: "ana", channel: "c1", cmd: "group setup name:tuesday capacity:3", want: []string{"defined in tend.yaml", "edit its entry under groups:"}},
		{as: "ana", channel: "c1", cmd: "group facilitators add user:bo", want: []string{"defined in tend.yaml"}},
		{as: "ana", channel: "c1", cmd: "group show", want: []string{"Defined in: tend.yaml", "Time zone: Asia/Tokyo"}},
		// The roster of a config group is managed in chat.
		{as: "ana", channel: "c1", cmd: "roster add user:kim", want: []string{"Added @kim"}},
		// The chat facilitator lost the rights the file does not give.
		{as: "cat", channel: "c1", cmd: "group show", want: []string{"Only facilitators of tuesday"}},
	})

	// Applying again is harmless; dropping wednesday from the file hands it
	// to chat with its settings.
	if _, err := groups.ApplyConfig(ctx, e.db, declare(cfg("tuesday", "c1", "console:ana"))); err != nil {
		t.Fatal(err)
	}
	wed := e.group("wednesday")
	if wed.Source != bot.SourceChat || wed.Capacity != 8 || !slices.Equal(wed.Facilitators, []bot.Principal{"console:bo"}) {
		t.Errorf("wednesday after leaving the file: %+v", wed)
	}
	if got := e.run("bo", "c3", "group setup name:wednesday capacity:9"); !strings.Contains(got, "Group wednesday updated") {
		t.Errorf("wednesday is not editable in chat: %s", got)
	}

	// Every problem is reported, each naming its group; the good ones apply.
	bad := cfg("zone", "c5")
	bad.TimeZone = "Nowhere/Land"
	_, err = groups.ApplyConfig(ctx, e.db, declare(cfg("tuesday", "c1", "console:ana"), cfg("sunday", "c2"), bad, cfg("saturday", "c6")))
	if err == nil {
		t.Fatal("ApplyConfig accepted a group on a bound channel and a bad zone")
	}
	for _, w := range []string{"group sunday in the config file", `"monday"`, "group zone in the config file", "Nowhere/Land", "give it the existing group's name"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("ApplyConfig error %q does not mention %q", err, w)
		}
	}
	sat := e.group("saturday")
	if sat.Source != bot.SourceConfig {
		t.Errorf("saturday was not applied beside the failures: %+v", sat)
	}

	// Renamed in the file: same channel, new name; the roster follows.
	if _, err := groups.ApplyConfig(ctx, e.db, declare(cfg("tues", "c1", "console:ana"), cfg("saturday", "c6"))); err != nil {
		t.Fatal(err)
	}
	renamed := e.group("tues")
	if renamed.ID != tue.ID || renamed.Source != bot.SourceConfig {
		t.Errorf("after the rename: %+v, want group %d", renamed, tue.ID)
	}
	if ms, _ := e.db.ListMembers(ctx, renamed.ID); len(ms) != 2 {
		t.Errorf("the roster did not follow the rename: %+v", ms)
	}
	if _, err := e.db.GroupByName(ctx, "tuesday"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("the old name is still there: %v", err)
	}
}

// declare declares groups without digests: each is applied every time.
func declare(gs ...bot.Group) []groups.Declared {
	out := make([]groups.Declared, len(gs))
	for i, g := range gs {
		out[i] = groups.Declared{Group: g}
	}
	return out
}

func TestRegister(t *testing.T) {
	e := newEnv(t)
	var paths []string
	for _, c := range e.bot.Commands() {
		paths = append(paths, c.Path)
	}
	for _, p := range []string{"group setup", "group show", "group facilitators", "roster add", "roster remove", "roster list"} {
		if !slices.Contains(paths, p) {
			t.Errorf("command %q not registered: %v", p, paths)
		}
	}
	// Help lists them, setup included, for facilitators and owners only:
	// a member can run none of them.
	e.run(owner, "c1", "group setup name:tuesday")
	if got := e.run(owner, "c1", "help"); !strings.Contains(got, "/tend roster add") || !strings.Contains(got, "/tend group facilitators add|remove") ||
		!strings.Contains(got, "Facilitators: /tend group facilitators") || !strings.Contains(got, "/tend group setup name:<name>") {
		t.Errorf("help for the owner:\n%s", got)
	}
	if got := e.run("sam", "c1", "help"); strings.Contains(got, "/tend roster add") || strings.Contains(got, "/tend group setup") {
		t.Errorf("help for a member:\n%s", got)
	}
	if got := e.run("sam", "c9", "help"); strings.Contains(got, "/tend group setup name") || !strings.Contains(got, "A facilitator or the bot's owner can bind it with /tend group setup") {
		t.Errorf("help for a member in an unbound channel:\n%s", got)
	}
	again, err := groups.New(e.db, bot.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Register(e.bot, bot.NewRunner(bot.RunnerConfig{Store: e.db})); err == nil {
		t.Error("registering twice succeeded")
	}
	if _, err := groups.New(e.db, bot.Deps{TimeZone: "Mars/Base"}); err == nil {
		t.Error("a bad default time zone was accepted")
	}
	// Nothing in these commands posts through the sender.
	for _, r := range e.rec {
		if n := r.delivered(); n != 0 {
			t.Errorf("%s got %d deliveries", r.name, n)
		}
	}
}
