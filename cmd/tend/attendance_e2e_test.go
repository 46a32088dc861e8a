package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
	"github.com/tend-bot/tend/store"
)

// fastClock is the clock of a tend built with -tags tendtestclock: it
// reads base at the real instant epoch and runs speed times faster, so a
// 20-minute session lasts 20 seconds at 60×.
type fastClock struct {
	epoch, base time.Time
	speed       float64
}

func newFastClock(t *testing.T, base string) fastClock {
	t.Helper()
	b, err := time.Parse("2006-01-02 15:04", base)
	if err != nil {
		t.Fatal(err)
	}
	return fastClock{epoch: time.Now(), base: b, speed: 60}
}

// env is the TEND_TEST_CLOCK setting for tend.
func (c fastClock) env() string {
	return fmt.Sprintf("TEND_TEST_CLOCK=%g %s %s", c.speed, c.epoch.Format(time.RFC3339Nano), c.base.Format(time.RFC3339Nano))
}

// at reads "18:02" on the base's day as tend's time.
func (c fastClock) at(t *testing.T, hm string) time.Time {
	t.Helper()
	v, err := time.Parse("15:04:05", hm+":00")
	if err != nil {
		v, err = time.Parse("15:04:05", hm)
	}
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := c.base.Date()
	return time.Date(y, m, d, v.Hour(), v.Minute(), v.Second(), 0, time.UTC)
}

// sleepUntil sleeps until tend's clock reads hm.
func (c fastClock) sleepUntil(t *testing.T, hm string) {
	t.Helper()
	real := c.epoch.Add(time.Duration(float64(c.at(t, hm).Sub(c.base)) / c.speed))
	if d := time.Until(real); d > 0 {
		time.Sleep(d)
	} else if d < -2*time.Second {
		t.Fatalf("the test is %s (real) behind tend's clock at %s; the machine is too busy for this timeline", -d, hm)
	}
}

// readMarks opens tend's database beside the running process (read only)
// and returns the marks of the group's closed sessions, by session number:
// user or "m:<id>" → status/source.
func readMarks(t *testing.T, path, group string) map[int]map[string]string {
	t.Helper()
	ctx := t.Context()
	db, err := store.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g, err := db.GroupByName(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := db.ClosedSessions(ctx, g.ID, time.Unix(0, 0), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]map[string]string{}
	for _, s := range ss {
		ms, err := db.SessionMarks(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[s.Number] = map[string]string{}
		for _, m := range ms {
			who := string(m.User)
			if who == "" {
				who = m.Key()
			}
			out[s.Number][who] = string(m.Status) + "/" + m.Source
		}
	}
	return out
}

// dms returns the messages in user's DM channel whose text contains want.
func dms(fake *discordtest.Server, user, want string) []discordtest.Message {
	var out []discordtest.Message
	for _, m := range fake.Messages(fake.DMChannel(user)) {
		if strings.Contains(m.Text(), want) {
			out = append(out, m)
		}
	}
	return out
}

// hereButton waits for the "I'm here" post of session n in channel.
func hereButton(t *testing.T, ctx context.Context, fake *discordtest.Server, channel string, n int) (discordtest.Message, discordtest.Component) {
	t.Helper()
	var msg discordtest.Message
	title := fmt.Sprintf("Session %d has started", n)
	if err := fake.WaitFor(ctx, title, func() bool {
		for _, m := range fake.Messages(channel) {
			if strings.Contains(m.Text(), title) && len(m.Buttons()) == 1 {
				msg = m
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	return msg, msg.Buttons()[0]
}

func press(t *testing.T, fake *discordtest.Server, user string, m discordtest.Message, b discordtest.Component, want string) {
	t.Helper()
	id, err := fake.Press(user, m.ID, b.CustomID)
	if err != nil {
		t.Fatal(err)
	}
	if r := answer(t, fake, id); !r.Ephemeral || !strings.Contains(r.Message.Text(), want) {
		t.Fatalf("%s pressed %q: %+v; want a private %q", user, b.Label, r, want)
	}
}

// TestDiscordE2E_Attendance runs two sessions of a course on the real
// binary against the fake Discord, with min_minutes 5 and late_after 10m:
// a member who joins voice at +12 min and stays is late; one in the voice
// channel from before the start who leaves after 3 minutes is absent; one
// who presses "I'm here" is present; one who answered RSVP "no" is
// excused; one silent member is absent — and, silent again at the second
// session, is flagged to the facilitator once.
func TestDiscordE2E_Attendance(t *testing.T) {
	bin := buildFastTend(t)
	fake := discordtest.New(t, discordtest.Config{})
	guild := fake.AddGuild("Course")
	channel := fake.AddChannel(guild, "course", discordtest.ChannelText)
	voice := fake.AddChannel(guild, "Course room", discordtest.ChannelVoice)
	facil := fake.AddUser("fran", false)
	ann, bob, cat, dan, eve := fake.AddUser("ann", false), fake.AddUser("bob", false), fake.AddUser("cat", false), fake.AddUser("dan", false), fake.AddUser("eve", false)
	for _, u := range []string{facil, ann, bob, cat, dan, eve} {
		fake.AddMember(guild, discordtest.Member{UserID: u})
	}
	clock := newFastClock(t, "2027-01-05 17:50")
	groups := fmt.Sprintf(`groups:
  - name: course
    platform: discord
    channel: %q
    guild: %q
    kind: psychoeducation
    admission: closed
    timezone: UTC
    facilitators: ["discord:%s"]
    schedule: {cron: "0,30 18 * * *", duration: 20m, count: 2, starts: 2027-01-05, voice_channel: %q}
    reminders: {lead: [1h]}
    attendance: {min_minutes: 5, late_after: 10m, absence_alert_after: 2}
`, channel, guild, facil, voice)
	dir := t.TempDir()
	p := runTend(t, bin, dir, discordConfig(fake, guild, []string{facil}, groups), []string{"TEND_E2E_DISCORD_TOKEN=" + fake.Token(), clock.env()}, []string{fake.Token()})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if err := fake.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, "/tend registered", func() bool { return len(fake.Commands(guild)) == 1 }); err != nil {
		t.Fatal(err)
	}
	t.Logf("/tend registration: %d characters of Discord's 8000", discordtest.CommandChars(fake.Commands(guild)[0]))
	for _, u := range []string{ann, bob, cat, dan, eve} {
		r := ask(t, fake, facil, channel, []string{"roster", "add"}, map[string]string{"user": u})
		if !strings.Contains(r.Message.Text(), "Added") {
			t.Fatalf("roster add: %q", r.Message.Text())
		}
	}
	if r := ask(t, fake, dan, channel, []string{"rsvp"}, map[string]string{"answer": "no"}); !strings.Contains(r.Message.Text(), "excused") {
		t.Fatalf("rsvp no: %q", r.Message.Text())
	}
	// cat is in the voice channel before the session starts.
	clock.sleepUntil(t, "17:58")
	fake.Voice(guild, cat, voice)

	// Session 1, 18:00–18:20.
	m1, here1 := hereButton(t, ctx, fake, channel, 1)
	clock.sleepUntil(t, "18:02")
	press(t, fake, ann, m1, here1, "you're down as here for session 1")
	clock.sleepUntil(t, "18:03")
	fake.Voice(guild, cat, "") // 3 minutes: not enough
	clock.sleepUntil(t, "18:12")
	fake.Voice(guild, bob, voice) // stays: 8 minutes, after the first 10
	var sum1 []discordtest.Message
	if err := fake.WaitFor(ctx, "the summary of session 1", func() bool {
		sum1 = dms(fake, facil, "course, session 1")
		return len(sum1) > 0
	}); err != nil {
		t.Fatal(err)
	}
	text := sum1[0].Text()
	for _, w := range []string{"1 present, 1 late, 1 excused, 2 absent", "Present\n<@" + ann + ">", "Late\n<@" + bob + "> (<t:",
		"Excused\n<@" + dan + "> (said they couldn't come)", "Absent\n"} {
		if !strings.Contains(text, w) {
			t.Errorf("summary of session 1 lacks %q:\n%s", w, text)
		}
	}
	if !strings.Contains(text, "<@"+cat+">") || !strings.Contains(text, "<@"+eve+">") {
		t.Errorf("summary of session 1 does not name cat and eve absent:\n%s", text)
	}

	// Session 2, 18:30–18:50: everyone but eve comes; bob is still in the
	// voice channel from before.
	m2, here2 := hereButton(t, ctx, fake, channel, 2)
	clock.sleepUntil(t, "18:31")
	for _, u := range []string{ann, cat, dan} {
		press(t, fake, u, m2, here2, "you're down as here for session 2")
	}
	if err := fake.WaitFor(ctx, "the drift alert", func() bool { return len(dms(fake, facil, "Members missing sessions")) > 0 }); err != nil {
		t.Fatal(err)
	}
	clock.sleepUntil(t, "18:55")
	drift := dms(fake, facil, "Members missing sessions")
	if len(drift) != 1 || !strings.Contains(drift[0].Text(), "<@"+eve+"> — 2 sessions in a row without an excuse, since session 1") {
		t.Fatalf("drift alerts %d: %+v; want one, flagging eve", len(drift), drift)
	}
	if strings.Contains(drift[0].Text(), "<@"+cat+">") {
		t.Errorf("cat came to session 2 but was flagged:\n%s", drift[0].Text())
	}
	if n := len(dms(fake, facil, "course, session")); n != 2 {
		t.Errorf("%d summaries; want one per session", n)
	}
	marks := readMarks(t, filepath.Join(dir, "tend.db"), "course")
	for n, want := range map[int]map[string]string{
		1: {ann: "present/button", bob: "late/voice", cat: "absent/none", dan: "excused/rsvp", eve: "absent/none"},
		2: {ann: "present/button", bob: "present/voice", cat: "present/button", dan: "present/button", eve: "absent/none"},
	} {
		if len(marks[n]) != len(want) {
			t.Errorf("session %d marks %v; want %v", n, marks[n], want)
		}
		for u, w := range want {
			if marks[n][u] != w {
				t.Errorf("session %d: %s %q; want %q", n, u, marks[n][u], w)
			}
		}
	}
	// Nothing about attendance reached the group's channel but the buttons.
	for _, m := range fake.Messages(channel) {
		if strings.Contains(m.Text(), "absent") || strings.Contains(m.Text(), "missing") {
			t.Errorf("the group's channel shows %q", m.Text())
		}
	}
	if inv := fake.Invalid(); len(inv) > 0 {
		t.Errorf("requests failing Discord's spec: %v", inv)
	}
	p.alive(t)
}

// TestDiscordE2E_KilledDuringSessionEnd kills the real binary with SIGKILL
// while it tells thirty facilitators the summary of a session, after the
// marks were stored, and starts it again on the same database: no mark is
// lost or doubled, and each facilitator gets the summary exactly once.
func TestDiscordE2E_KilledDuringSessionEnd(t *testing.T) {
	bin := buildFastTend(t)
	fake := discordtest.New(t, discordtest.Config{})
	guild := fake.AddGuild("Course")
	channel := fake.AddChannel(guild, "course", discordtest.ChannelText)
	var facils, quoted []string
	for i := range 30 {
		f := fake.AddUser(fmt.Sprintf("fac%d", i), false)
		fake.AddMember(guild, discordtest.Member{UserID: f})
		facils = append(facils, f)
		quoted = append(quoted, fmt.Sprintf("%q", "discord:"+f))
	}
	ann, bob := fake.AddUser("ann", false), fake.AddUser("bob", false)
	for _, u := range []string{ann, bob} {
		fake.AddMember(guild, discordtest.Member{UserID: u})
	}
	clock := newFastClock(t, "2027-01-05 17:55")
	groups := fmt.Sprintf(`groups:
  - name: course
    platform: discord
    channel: %q
    guild: %q
    timezone: UTC
    facilitators: [%s]
    schedule: {cron: "0 18 * * *", duration: 10m, count: 2, starts: 2027-01-05}
    reminders: {lead: [1h]}
`, channel, guild, strings.Join(quoted, ", "))
	cfg := discordConfig(fake, guild, []string{facils[0]}, groups)
	dir := t.TempDir()
	env := []string{"TEND_E2E_DISCORD_TOKEN=" + fake.Token(), clock.env()}
	first := runTend(t, bin, dir, cfg, env, []string{fake.Token()})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if err := fake.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, "/tend registered", func() bool { return len(fake.Commands(guild)) == 1 }); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{ann, bob} {
		ask(t, fake, facils[0], channel, []string{"roster", "add"}, map[string]string{"user": u})
	}
	m, here := hereButton(t, ctx, fake, channel, 1)
	clock.sleepUntil(t, "18:01")
	press(t, fake, ann, m, here, "you're down as here")
	told := func() int {
		n := 0
		for _, f := range facils {
			n += len(dms(fake, f, "course, session 1"))
		}
		return n
	}
	if err := fake.WaitFor(ctx, "the first summary", func() bool { return told() > 0 }); err != nil {
		t.Fatal(err)
	}
	first.kill(t)
	atKill := told()
	if atKill >= len(facils) {
		t.Fatalf("every facilitator was told before the kill (%d); the test proves nothing", atKill)
	}
	second := runTend(t, bin, dir, cfg, env, []string{fake.Token()})
	if err := fake.WaitFor(ctx, "every facilitator told", func() bool { return told() >= len(facils) }); err != nil {
		t.Fatalf("%v: %d of %d told", err, told(), len(facils))
	}
	// Give a duplicate the chance to appear before counting.
	ask(t, fake, facils[0], channel, []string{"session", "log"}, nil)
	for i, f := range facils {
		if n := len(dms(fake, f, "course, session 1")); n != 1 {
			t.Errorf("facilitator %d got %d summaries; want exactly 1", i, n)
		}
	}
	marks := readMarks(t, filepath.Join(dir, "tend.db"), "course")
	if len(marks) != 1 || len(marks[1]) != 2 || marks[1][ann] != "present/button" || marks[1][bob] != "absent/none" {
		t.Errorf("marks after the restart: %v; want ann present and bob absent, once each", marks)
	}
	if n := len(fake.Messages(channel)); n < 2 {
		t.Errorf("%d posts in the channel", n)
	}
	heres := 0
	for _, msg := range fake.Messages(channel) {
		if strings.Contains(msg.Text(), "Session 1 has started") {
			heres++
		}
	}
	if heres != 1 {
		t.Errorf("%d \"I'm here\" posts; want 1", heres)
	}
	t.Logf("killed after %d of %d facilitators were told", atKill, len(facils))
	second.alive(t)
}

// TestSlackE2E_Attendance is the same kind of session on the fake Slack, in
// a minimal-privacy clinic group: the "I'm here" button, an RSVP "no", a
// silent member, and a facilitator's marks for two code-only roster
// members; the summary names codes only.
func TestSlackE2E_Attendance(t *testing.T) {
	bin := buildFastTend(t)
	const (
		owner   = "U0OWNER"
		facil   = "U0FAC"
		ann     = "U0ANN"
		dan     = "U0DAN"
		eve     = "U0EVE"
		channel = "C0CLINIC"
	)
	fake := fakeslack.New(t, fakeslack.Options{})
	for _, u := range []string{owner, facil, ann, dan, eve} {
		fake.AddUser(u, strings.ToLower(u[3:]))
	}
	fake.AddChannel(channel, "clinic", true, facil, ann, dan, eve)
	clock := newFastClock(t, "2027-01-05 17:52")
	groups := fmt.Sprintf(`groups:
  - name: clinic
    platform: slack
    channel: %q
    kind: therapy
    admission: closed
    timezone: UTC
    privacy: minimal
    facilitators: ["slack:%s"]
    schedule: {cron: "0 18 * * *", duration: 20m, count: 1, starts: 2027-01-05}
    reminders: {lead: [1h]}
    attendance: {late_after: 10m}
`, channel, facil)
	dir := t.TempDir()
	o := fake.Opts()
	env := []string{"TEND_E2E_SLACK_BOT=" + o.BotToken, "TEND_E2E_SLACK_APP=" + o.AppToken, clock.env()}
	p := runTend(t, bin, dir, slackConfig(t, fake, "socket", owner, groups), env, []string{o.BotToken, o.AppToken})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	slackReady(t, ctx, fake, "socket")
	for _, add := range []string{"user:<@" + ann + "> code:C-3", "user:<@" + dan + "> code:C-4", "user:<@" + eve + "> code:C-5", "code:C-1", "code:C-2"} {
		slackAsk(t, ctx, fake, facil, channel, "roster add "+add, "Added")
	}
	slackAsk(t, ctx, fake, dan, channel, "rsvp no", "excused")

	// Session 1, 18:00–18:20.
	var here fakeslack.Message
	if err := fake.Wait(ctx, func() bool {
		for _, m := range fake.Messages(channel) {
			if strings.Contains(fakeslack.BlockText(m.Blocks), "Session 1 has started") && len(fakeslack.Buttons(m.Blocks)) == 1 {
				here = m
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no \"I'm here\" post: %v", err)
	}
	clock.sleepUntil(t, "18:02")
	res, err := fake.Click(ctx, ann, here, fakeslack.Buttons(here.Blocks)[0].ActionID)
	if err != nil || res.Late {
		t.Fatalf("I'm here: %v (late %v)", err, res.Late)
	}
	if _, err := fake.WaitEphemeral(ctx, ann, func(e fakeslack.Ephemeral) bool { return strings.Contains(e.Text, "you're down as here") }); err != nil {
		t.Fatalf("no private thanks: %v", err)
	}
	clock.sleepUntil(t, "18:05")
	slackAsk(t, ctx, fake, facil, channel, "attendance mark present code:C-1", "Marked C-1 present at session 1")
	clock.sleepUntil(t, "18:15")
	slackAsk(t, ctx, fake, facil, channel, "attendance mark late code:C-2", "Marked C-2 late at session 1")

	// The summary reaches the facilitator privately, with codes only.
	var summary string
	if err := fake.Wait(ctx, func() bool {
		for _, m := range fake.Messages("D" + strings.TrimPrefix(facil, "U")) {
			if s := m.Text + "\n" + fakeslack.BlockText(m.Blocks); strings.Contains(s, "clinic, session 1") {
				summary = s
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no summary to the facilitator: %v", err)
	}
	for _, w := range []string{"2 present, 1 late, 1 excused, 1 absent", "C-1, C-3", "C-2", "C-4 (said they couldn't come)", "C-5"} {
		if !strings.Contains(summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, summary)
		}
	}
	for _, name := range []string{ann, dan, eve, "@ann", "@dan", "@eve"} {
		if strings.Contains(summary, name) {
			t.Errorf("a minimal-privacy summary names %q:\n%s", name, summary)
		}
	}
	marks := readMarks(t, filepath.Join(dir, "tend.db"), "clinic")
	want := map[string]string{ann: "present/button", dan: "excused/rsvp", eve: "absent/none"}
	if len(marks[1]) != 5 {
		t.Errorf("marks %v; want 5", marks[1])
	}
	for u, w := range want {
		if marks[1][u] != w {
			t.Errorf("%s: %q; want %q", u, marks[1][u], w)
		}
	}
	facilitatorMarks := 0
	for who, m := range marks[1] {
		if strings.HasPrefix(who, "m:") && (m == "present/facilitator" || m == "late/facilitator") {
			facilitatorMarks++
		}
	}
	if facilitatorMarks != 2 {
		t.Errorf("marks %v; want the two code-only entries marked by the facilitator", marks[1])
	}
	r := slackAsk(t, ctx, fake, facil, channel, "attendance report", "Attendance — clinic")
	if s := r.Text + fakeslack.BlockText(r.Blocks); !strings.Contains(s, "C-2 — 100% (1 of 1)") {
		t.Errorf("report:\n%s", s)
	}
	if v := fake.Violations(); len(v) > 0 {
		t.Errorf("requests failing Slack's spec: %q", v)
	}
	p.alive(t)
}
