package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord/discordtest"
)

// normsWorld is a fake Discord server with a group channel that only its
// role can see, a facilitator who has the role, and a public channel.
type normsWorld struct {
	fake                          *discordtest.Server
	guild, role, channel, welcome string
	fran                          string
}

func newNormsWorld(t *testing.T) *normsWorld {
	t.Helper()
	w := &normsWorld{fake: discordtest.New(t, discordtest.Config{})}
	w.guild = w.fake.AddGuild("Peer support")
	w.role = w.fake.AddRole(w.guild, "tuesday")
	w.channel = w.fake.AddPrivateChannel(w.guild, "tuesday", w.role)
	w.welcome = w.fake.AddChannel(w.guild, "welcome", discordtest.ChannelText)
	w.fran = w.fake.AddUser("fran", false)
	w.fake.AddMember(w.guild, discordtest.Member{UserID: w.fran, Roles: []string{w.role}})
	return w
}

// config is tend.yaml for the world with one group whose norms section is
// norms. The group meets on Tuesdays at 18:00 UTC from a week ahead
// (firstSession) and keeps check-in answers 30 days.
func (w *normsWorld) config(admission string, capacity int, norms string) string {
	return discordConfig(w.fake, w.guild, []string{w.fran}, fmt.Sprintf(`groups:
  - name: tuesday
    platform: discord
    channel: %q
    guild: %q
    admission: %s
    capacity: %d
    timezone: UTC
    facilitators: ["discord:%s"]
    schedule: {weekly: "tue 18:00", duration: 90m, starts: %s, count: 4}
    retention_days: 30
    norms: %s
`, w.channel, w.guild, admission, capacity, w.fran, seriesStart().Format("2006-01-02"), norms))
}

// seriesStart is the first day of the norms worlds' series: a week ahead.
func seriesStart() time.Time {
	y, m, d := time.Now().UTC().AddDate(0, 0, 7).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// firstSession is when the norms worlds' first session starts: the first
// Tuesday on or after seriesStart, at 18:00 UTC.
func firstSession() time.Time {
	t := seriesStart().Add(18 * time.Hour)
	for t.Weekday() != time.Tuesday {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// dm waits for a DM to user whose text contains want.
func (w *normsWorld) dm(t *testing.T, ctx context.Context, user, want string) discordtest.Message {
	t.Helper()
	var got discordtest.Message
	if err := w.fake.WaitFor(ctx, "a DM to "+user+" saying "+want, func() bool {
		for _, s := range w.fake.Shown() {
			if s.Kind == "dm" && s.OnlyFor == user && strings.Contains(s.Message.Text(), want) {
				got = s.Message
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// roleGrants returns how many times user was given the group's role, as
// the fake applied it.
func (w *normsWorld) roleGrants(user string) int {
	n := 0
	for _, s := range w.fake.Shown() {
		if s.Kind == "role" && s.OnlyFor == user && s.Message.Content == "+"+w.role {
			n++
		}
	}
	return n
}

// grantRequests returns how many requests to give user the group's role
// reached the fake, whatever their answer: a grant made twice shows here
// even though Discord would not add the role twice.
func (w *normsWorld) grantRequests(user string) int {
	n := 0
	for _, r := range w.fake.Requests() {
		if r.Method == "PUT" && strings.HasSuffix(r.Path, "/guilds/"+w.guild+"/members/"+user+"/roles/"+w.role) {
			n++
		}
	}
	return n
}

func (w *normsWorld) hasRole(user string) bool {
	m, _ := w.fake.Member(w.guild, user)
	return slices.Contains(m.Roles, w.role)
}

// press clicks the button labelled label on m as user and returns the
// private answer.
func (w *normsWorld) press(t *testing.T, user string, m discordtest.Message, label string) discordtest.Shown {
	t.Helper()
	for _, b := range m.Buttons() {
		if b.Label == label {
			id, err := w.fake.Press(user, m.ID, b.CustomID)
			if err != nil {
				t.Fatal(err)
			}
			return answer(t, w.fake, id)
		}
	}
	t.Fatalf("message %s has no button %q", m.ID, label)
	return discordtest.Shown{}
}

func (w *normsWorld) start(t *testing.T, bin, dir, cfg string) *tendProcess {
	t.Helper()
	p := startTendIn(t, bin, dir, cfg, w.fake.Token())
	ctx := waitCtx(t)
	if err := w.fake.WaitFor(ctx, "/tend registered", func() bool { return len(w.fake.Commands(w.guild)) == 1 }); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitLog waits until the process's output holds s.
func waitLog(t *testing.T, ctx context.Context, p *tendProcess, s string) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(p.stderr.String(), s) {
		select {
		case <-ctx.Done():
			t.Fatalf("tend never logged %q", s)
		case <-tick.C:
		}
	}
}

// TestNormsE2E_Discord runs the flow on the real binary through the
// fake Discord: a member joins with rules screening pending → welcome DM,
// no role; presses I agree → still no role; screening clears → role
// granted; a facilitator edits the norms in the modal → the member is
// asked again privately; norms status shows both versions, and the member
// keeps the role meanwhile. Then a closed group at capacity waitlists the
// next joiner and tells the facilitators.
func TestNormsE2E_Discord(t *testing.T) {
	bin := buildTend(t)

	t.Run("Onboarding", func(t *testing.T) {
		w := newNormsWorld(t)
		p := w.start(t, bin, t.TempDir(), w.config("open", 0, fmt.Sprintf("{template: support, require: true, role: %q}", w.role)))
		ctx := waitCtx(t)
		sam := w.fake.AddUser("sam", false)
		w.fake.Join(w.guild, sam, true)
		welcome := w.dm(t, ctx, sam, "Welcome to tuesday")
		for _, want := range []string{"What is shared here stays here", "rules screening", "Check-in answers are seen only by the facilitators",
			"deleted after 30 days", "goes on to the people who run tend", "In a crisis",
			fmt.Sprintf("Next session\n<t:%d:F>", firstSession().Unix())} {
			if !strings.Contains(welcome.Text(), want) {
				t.Errorf("welcome lacks %q:\n%s", want, welcome.Text())
			}
		}
		if w.hasRole(sam) {
			t.Fatal("a pending member has the role")
		}
		if r := w.press(t, sam, welcome, "I agree"); !strings.Contains(r.Message.Text(), "you agreed to version 1") {
			t.Fatalf("agreeing answered %q", r.Message.Text())
		}
		waitLog(t, ctx, p, "a newcomer's role waits for Discord's rules screening")
		if w.hasRole(sam) {
			t.Fatal("the role was granted while screening was pending")
		}
		w.fake.PassScreening(w.guild, sam)
		if err := w.fake.WaitFor(ctx, "the role after screening", func() bool { return w.hasRole(sam) }); err != nil {
			t.Fatal(err)
		}
		w.dm(t, ctx, sam, "You're in")

		// The facilitator edits the norms in Discord's modal.
		id, err := w.fake.Command(w.fran, w.channel, "tend", []string{"norms", "edit"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		it, err := w.fake.WaitAnswered(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var modal struct {
			CustomID   string `json:"custom_id"`
			Components []struct {
				Components []struct {
					CustomID string `json:"custom_id"`
					Value    string `json:"value"`
					Style    int    `json:"style"`
				} `json:"components"`
			} `json:"components"`
		}
		if err := json.Unmarshal(it.Callback, &modal); err != nil || it.CallbackType != 9 || len(modal.Components) != 1 {
			t.Fatalf("norms edit answered type %d %s; want a modal (9)", it.CallbackType, it.Callback)
		}
		input := modal.Components[0].Components[0]
		if input.Style != 2 || !strings.HasPrefix(input.Value, "1. What is shared here stays here") {
			t.Fatalf("the modal's text input %+v; want the current norms, multi-line", input)
		}
		sid, err := w.fake.SubmitModal(w.fran, w.channel, modal.CustomID, map[string]string{input.CustomID: input.Value + "\n10. Phones on silent."})
		if err != nil {
			t.Fatal(err)
		}
		if r := answer(t, w.fake, sid); !strings.Contains(r.Message.Text(), "Saved version 2") {
			t.Fatalf("submitting the modal answered %q", r.Message.Text())
		}
		w.dm(t, ctx, sam, "changed (version 2)")
		st := ask(t, w.fake, w.fran, w.channel, []string{"norms", "status"}, nil)
		for _, want := range []string{"Version 2", "Version 1", "On an older version", "sam — version 1"} {
			if !strings.Contains(st.Message.Text(), want) {
				t.Errorf("status lacks %q:\n%s", want, st.Message.Text())
			}
		}
		if !st.Ephemeral {
			t.Error("norms status was not private")
		}
		if !w.hasRole(sam) || w.grantRequests(sam) != 1 {
			t.Fatalf("sam has the role %v, asked for %d times; want kept, asked for once", w.hasRole(sam), w.grantRequests(sam))
		}
		if n := len(w.fake.Messages(w.channel)) + len(w.fake.Messages(w.welcome)); n != 0 {
			t.Errorf("%d messages in the server's channels; onboarding is private", n)
		}
		if inv := w.fake.Invalid(); len(inv) > 0 {
			t.Errorf("requests failing Discord's spec: %v", inv)
		}
		p.alive(t)
	})

	t.Run("Forget", func(t *testing.T) {
		// A member who erases their data (attendance's forget) has the
		// group's role taken back.
		w := newNormsWorld(t)
		p := w.start(t, bin, t.TempDir(), w.config("open", 0, fmt.Sprintf("{template: support, require: true, role: %q}", w.role)))
		ctx := waitCtx(t)
		sam := w.fake.AddUser("sam", false)
		w.fake.Join(w.guild, sam, false)
		w.press(t, sam, w.dm(t, ctx, sam, "Welcome to tuesday"), "I agree")
		if err := w.fake.WaitFor(ctx, "sam's role", func() bool { return w.hasRole(sam) }); err != nil {
			t.Fatal(err)
		}
		id, err := w.fake.Command(sam, w.welcome, "tend", []string{"forget"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		confirm := answer(t, w.fake, id)
		if r := w.press(t, sam, confirm.Message, "Erase my data"); !strings.Contains(r.Message.Text(), "it is being taken back") {
			t.Fatalf("erasing answered %q", r.Message.Text())
		}
		if err := w.fake.WaitFor(ctx, "the role taken back", func() bool { return !w.hasRole(sam) }); err != nil {
			t.Fatalf("%v\n%s", err, p.stderr.String())
		}
		if inv := w.fake.Invalid(); len(inv) > 0 {
			t.Errorf("requests failing Discord's spec: %v", inv)
		}
		p.alive(t)
	})

	t.Run("Waitlist", func(t *testing.T) {
		w := newNormsWorld(t)
		p := w.start(t, bin, t.TempDir(), w.config("closed", 1, fmt.Sprintf("{template: therapy, require: true, role: %q}", w.role)))
		ctx := waitCtx(t)
		sam, lee := w.fake.AddUser("sam", false), w.fake.AddUser("lee", false)
		w.fake.Join(w.guild, sam, false)
		w.press(t, sam, w.dm(t, ctx, sam, "Welcome to tuesday"), "I agree")
		if err := w.fake.WaitFor(ctx, "sam's role", func() bool { return w.hasRole(sam) }); err != nil {
			t.Fatal(err)
		}
		w.fake.Join(w.guild, lee, false)
		welcome := w.dm(t, ctx, lee, "The group is full just now: agreeing puts you on its waitlist")
		if r := w.press(t, lee, welcome, "I agree"); !strings.Contains(r.Message.Text(), "you are number 1 on its waitlist") {
			t.Errorf("lee agreeing answered %q", r.Message.Text())
		}
		told := w.dm(t, ctx, w.fran, "A newcomer is on the waitlist of tuesday")
		if !strings.Contains(told.Text(), "<@"+lee+"> agreed to the norms") || !strings.Contains(told.Text(), "the group is full (1 place)") {
			t.Errorf("the facilitator was told %q", told.Text())
		}
		// sam leaves the server: the place is lee's, who agreed already.
		w.fake.Leave(w.guild, sam)
		w.dm(t, ctx, lee, "A place is free for you in tuesday")
		if err := w.fake.WaitFor(ctx, "lee's role", func() bool { return w.hasRole(lee) }); err != nil {
			t.Fatal(err)
		}
		// A round trip through tend before counting, so that a second
		// grant would have had time to show.
		ask(t, w.fake, w.fran, w.channel, []string{"norms", "status"}, nil)
		if a, b := w.grantRequests(sam), w.grantRequests(lee); a != 1 || b != 1 {
			t.Errorf("role requests: sam %d, lee %d; want one each", a, b)
		}
		if inv := w.fake.Invalid(); len(inv) > 0 {
			t.Errorf("requests failing Discord's spec: %v", inv)
		}
		p.alive(t)
	})
}

// TestNormsE2E_DiscordKilledBeforeGrant kills the real binary with SIGKILL
// after a newcomer agreed and before the role could be granted (screening
// was pending), clears the screening while tend is down (Discord does not
// send that event again), and starts tend on the same database: the role
// is granted, once.
func TestNormsE2E_DiscordKilledBeforeGrant(t *testing.T) {
	bin := buildTend(t)
	w := newNormsWorld(t)
	dir := t.TempDir()
	cfg := w.config("open", 0, fmt.Sprintf("{template: support, require: true, role: %q}", w.role))
	first := w.start(t, bin, dir, cfg)
	ctx := waitCtx(t)
	sam := w.fake.AddUser("sam", false)
	w.fake.Join(w.guild, sam, true)
	w.press(t, sam, w.dm(t, ctx, sam, "Welcome to tuesday"), "I agree")
	waitLog(t, ctx, first, "a newcomer's role waits for Discord's rules screening")
	first.kill(t)
	w.fake.PassScreening(w.guild, sam) // nobody is connected to hear it
	second := w.start(t, bin, dir, cfg)
	if err := w.fake.WaitFor(ctx, "the role after the restart", func() bool { return w.hasRole(sam) }); err != nil {
		t.Fatalf("%v\n%s", err, second.stderr.String())
	}
	w.dm(t, ctx, sam, "You're in")
	// A round trip through tend before counting, so that a second grant
	// would have had time to show.
	st := ask(t, w.fake, w.fran, w.channel, []string{"norms", "status"}, nil)
	if !strings.Contains(st.Message.Text(), "Agreed to version 1 (current)") {
		t.Errorf("status after the restart:\n%s", st.Message.Text())
	}
	if n, m := w.roleGrants(sam), w.grantRequests(sam); n != 1 || m != 1 {
		t.Fatalf("the role was granted %d times in %d requests; want once, in one", n, m)
	}
	welcomes := 0
	for _, s := range w.fake.Shown() {
		if s.Kind == "dm" && s.OnlyFor == sam && strings.Contains(s.Message.Text(), "Welcome to tuesday") {
			welcomes++
		}
	}
	if welcomes != 1 {
		t.Errorf("%d welcomes; want 1 across the restart", welcomes)
	}
	if inv := w.fake.Invalid(); len(inv) > 0 {
		t.Errorf("requests failing Discord's spec: %v", inv)
	}
	second.alive(t)
}

// TestNormsE2E_DiscordKilledMidGrant kills the real binary with SIGKILL
// while its request for a newcomer's role is on its way (no rules
// screening involved): Discord never acted on it, and after a restart on
// the same database the role is granted once — one request lost to the
// kill, one that gives it, and no third.
func TestNormsE2E_DiscordKilledMidGrant(t *testing.T) {
	bin := buildTend(t)
	w := newNormsWorld(t)
	dir := t.TempDir()
	cfg := w.config("open", 0, fmt.Sprintf("{template: support, require: true, role: %q}", w.role))
	first := w.start(t, bin, dir, cfg)
	ctx := waitCtx(t)
	sam := w.fake.AddUser("sam", false)
	w.fake.Join(w.guild, sam, false)
	welcome := w.dm(t, ctx, sam, "Welcome to tuesday")
	w.fake.HoldRoleChanges()
	w.press(t, sam, welcome, "I agree")
	if err := w.fake.WaitFor(ctx, "the role request on its way", func() bool { return w.fake.HeldRoleChanges() == 1 }); err != nil {
		t.Fatal(err)
	}
	first.kill(t)
	if err := w.fake.WaitFor(ctx, "the request dropped with its sender", func() bool { return w.fake.HeldRoleChanges() == 0 }); err != nil {
		t.Fatal(err)
	}
	w.fake.ReleaseRoleChanges(true)
	if w.hasRole(sam) {
		t.Fatal("Discord acted on the request of a killed process")
	}
	second := w.start(t, bin, dir, cfg)
	if err := w.fake.WaitFor(ctx, "the role after the restart", func() bool { return w.hasRole(sam) }); err != nil {
		t.Fatalf("%v\n%s", err, second.stderr.String())
	}
	w.dm(t, ctx, sam, "You're in")
	ask(t, w.fake, w.fran, w.channel, []string{"norms", "status"}, nil)
	if n, m := w.roleGrants(sam), w.grantRequests(sam); n != 1 || m != 2 {
		t.Fatalf("the role was granted %d times in %d requests; want once, in two (one lost to the kill)", n, m)
	}
	count := func(want string) int {
		n := 0
		for _, s := range w.fake.Shown() {
			if s.Kind == "dm" && s.OnlyFor == sam && strings.Contains(s.Message.Text(), want) {
				n++
			}
		}
		return n
	}
	if a, b := count("Welcome to tuesday"), count("You're in"); a != 1 || b != 1 {
		t.Errorf("%d welcomes and %d access notes; want one each across the kill", a, b)
	}
	if inv := w.fake.Invalid(); len(inv) > 0 {
		t.Errorf("requests failing Discord's spec: %v", inv)
	}
	second.alive(t)
}

// TestNormsE2E_DiscordRoleAboveTend: the config names a role that sits
// above tend's own. At start the facilitators are told privately that
// newcomers may not get access; a newcomer who agrees is told privately
// that a facilitator will sort it out, and the facilitators why Discord
// refused. Nothing is said in the server's channels.
func TestNormsE2E_DiscordRoleAboveTend(t *testing.T) {
	bin := buildTend(t)
	w := newNormsWorld(t)
	w.fake.PlaceRoleAboveBot(w.guild, w.role)
	p := w.start(t, bin, t.TempDir(), w.config("open", 0, fmt.Sprintf("{template: support, require: true, role: %q}", w.role)))
	ctx := waitCtx(t)
	told := w.dm(t, ctx, w.fran, "Newcomers to tuesday may not get access")
	if !strings.Contains(told.Text(), "sits above tend's own role") {
		t.Errorf("the facilitator was told %q", told.Text())
	}
	sam := w.fake.AddUser("sam", false)
	w.fake.Join(w.guild, sam, false)
	w.press(t, sam, w.dm(t, ctx, sam, "Welcome to tuesday"), "I agree")
	w.dm(t, ctx, sam, "The facilitators have been told and will sort it out")
	w.dm(t, ctx, w.fran, "tend could not give a member the group's role")
	if w.hasRole(sam) {
		t.Fatal("sam has a role Discord would not let tend give")
	}
	if n := len(w.fake.Messages(w.channel)) + len(w.fake.Messages(w.welcome)); n != 0 {
		t.Errorf("%d messages in the server's channels; all of this is private", n)
	}
	if inv := w.fake.Invalid(); len(inv) > 0 {
		t.Errorf("requests failing Discord's spec: %v", inv)
	}
	p.alive(t)
}
