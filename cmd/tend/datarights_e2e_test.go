package main

import (
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
)

// seeded counts what seedWeeks wrote about the member, by the words
// mydata shows each record with.
var seededPhrases = map[string]string{
	"rsvp":       `you answered "yes"`,
	"attendance": ": present, from button",
	"presence":   `you pressed "I'm here" at`,
	"voice":      "in the voice channel from",
	"checkin":    `you wrote "`,
}

// seedWeeks writes, beside the running tend (through its own connection),
// weeks weekly sessions of group in the past with the member on its roster
// and every kind of record about them at each: an RSVP, a press of "I'm
// here", time in the voice channel, the mark; and a check-in answer at the
// last checkins of them (within the retention period). It returns how many
// of each kind it wrote.
func seedWeeks(t *testing.T, path, group string, facilitator bot.Principal, user bot.UserID, voice bot.Address, weeks, checkins int) map[string]int {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g, err := db.GroupByName(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.AddMember(ctx, facilitator, bot.Member{GroupID: g.ID, User: user, Name: "Sam Seeded"})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Now().UTC().Truncate(time.Hour).AddDate(0, 0, -7*(weeks+1))
	if _, err := db.SaveSeries(ctx, bot.Series{GroupID: g.ID, Schedule: bot.Schedule{Weekly: strings.ToLower(first.Format("Mon 15:04")), Duration: time.Hour,
		Starts: first.Format(time.DateOnly), Count: weeks}}, first, nil); err != nil {
		t.Fatal(err)
	}
	for i := range weeks {
		start := first.AddDate(0, 0, 7*i)
		s, _, err := db.MaterializeSession(ctx, bot.Session{GroupID: g.ID, Number: i + 1, Start: start, End: start.Add(time.Hour), Status: bot.SessionScheduled},
			func(bot.Session) []bot.Job { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetSessionStatus(ctx, s.ID, bot.SessionDone); err != nil {
			t.Fatal(err)
		}
		if err := db.SetRSVP(ctx, bot.RSVP{SessionID: s.ID, User: user, Answer: bot.RSVPYes, At: start.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordPresence(ctx, s.ID, user, "button", start.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.WatchVoice(ctx, s.ID, voice, s.End, nil, s.Start); err != nil {
			t.Fatal(err)
		}
		for _, ev := range []struct {
			join bool
			at   time.Duration
		}{{true, time.Minute}, {false, 50 * time.Minute}} {
			if _, err := db.VoiceEvent(ctx, voice, user, ev.join, start.Add(ev.at)); err != nil {
				t.Fatal(err)
			}
		}
		mark := bot.AttendanceMark{Attendee: bot.Attendee{User: user, MemberID: m.ID}, Status: bot.AttendPresent, Source: "button", At: start.Add(2 * time.Minute)}
		if _, err := db.CloseAttendance(ctx, s.ID, g.ID, []bot.AttendanceMark{mark}, s.End); err != nil {
			t.Fatal(err)
		}
		if i >= weeks-checkins {
			c, _, err := db.OpenCheckIn(ctx, bot.CheckIn{GroupID: g.ID, Origin: bot.OriginDemand, Key: fmt.Sprintf("demand/seed/%d", i),
				Spec:     bot.CheckInSpec{Kind: bot.CheckInText, Prompt: "How was your week?", Delivery: bot.DeliverDM},
				OpenedAt: start, ClosesAt: start.Add(time.Hour)}, []bot.UserID{user}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.RecordAnswers(ctx, []bot.CheckInAnswer{{CheckInID: c.ID, User: user, Text: fmt.Sprintf("week %d: hard & long, <but> better", i+1), At: start.Add(5 * time.Minute)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return map[string]int{"rsvp": weeks, "attendance": weeks, "presence": weeks, "voice": weeks, "checkin": checkins}
}

// checkAllShown fails unless text shows every seeded record once.
func checkAllShown(t *testing.T, text string, want map[string]int) {
	t.Helper()
	for kind, n := range want {
		if got := strings.Count(text, seededPhrases[kind]); got != n {
			t.Errorf("%s: %d records shown; want all %d", kind, got, n)
		}
	}
	if strings.Contains(text, "more records that do not fit") {
		t.Errorf("records were left out:\n%s", text)
	}
}

// auditExports returns the attendance.export lines of group's audit log.
func auditExports(t *testing.T, path, group string) []bot.AuditEntry {
	t.Helper()
	db, err := store.OpenReadOnly(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g, err := db.GroupByName(t.Context(), group)
	if err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(t.Context(), g.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []bot.AuditEntry
	for _, e := range log {
		if e.Action == "attendance.export" {
			out = append(out, e)
		}
	}
	return out
}

// checkExportCSV parses an export and checks it has a row per seeded
// session.
func checkExportCSV(t *testing.T, data []byte, weeks int) {
	t.Helper()
	if !strings.HasPrefix(string(data), "\ufeff") {
		t.Errorf("the export does not start with a UTF-8 byte order mark (Excel needs it for names like José)")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("the export does not parse as CSV: %v", err)
	}
	if len(recs) != 1+weeks || recs[0][0] != "group" || recs[1][5] != "Sam Seeded" {
		t.Fatalf("export has %d records (first %q); want the header and %d rows of Sam Seeded", len(recs), recs[0], weeks)
	}
}

// TestDiscordE2E_DataRights: on the real binary through the fake Discord,
// a member with 30 weekly sessions of records asks for mydata and sees
// every record — in several private replies, each within Discord's limits
// as the real adapter renders it — and a facilitator's attendance export
// arrives as a CSV attached to a reply only they see, noted in the audit
// log.
func TestDiscordE2E_DataRights(t *testing.T) {
	bin := buildTend(t)
	fake := discordtest.New(t, discordtest.Config{})
	guild := fake.AddGuild("Peer support")
	channel := fake.AddChannel(guild, "tuesday", discordtest.ChannelText)
	voice := fake.AddChannel(guild, "Room", discordtest.ChannelVoice)
	fran, sam := fake.AddUser("fran", false), fake.AddUser("sam", false)
	for _, u := range []string{fran, sam} {
		fake.AddMember(guild, discordtest.Member{UserID: u})
	}
	dir := t.TempDir()
	p := startTendIn(t, bin, dir, discordConfig(fake, guild, []string{fran}, fmt.Sprintf(`groups:
  - name: tuesday
    platform: discord
    channel: %q
    guild: %q
    admission: open
    timezone: UTC
    facilitators: ["discord:%s"]
`, channel, guild, fran)), fake.Token())
	ctx := waitCtx(t)
	if err := fake.WaitFor(ctx, "/tend registered", func() bool { return len(fake.Commands(guild)) == 1 }); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tend.db")
	const weeks = 30
	want := seedWeeks(t, path, "tuesday", bot.Principal("discord:"+fran), bot.UserID(sam), bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(voice)}, weeks, 10)

	id, err := fake.Command(sam, channel, "tend", []string{"mydata"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var replies []discordtest.Shown
	if err := fake.WaitFor(ctx, "the last part of mydata", func() bool {
		replies = nil
		last := false
		for _, s := range fake.Shown() {
			if s.Kind == "reply" && s.Message.InteractionID == id {
				replies = append(replies, s)
				last = last || strings.Contains(s.Message.Text(), "/tend forget erases all of it.")
			}
		}
		return last
	}); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, r := range replies {
		if !r.Ephemeral || r.OnlyFor != sam {
			t.Errorf("a part of mydata was not private to sam: %+v", r)
		}
		all.WriteString(r.Message.Text() + "\n")
	}
	if len(replies) < 2 || len(replies) > bot.MaxReplies {
		t.Errorf("mydata in %d replies; want several, at most %d", len(replies), bot.MaxReplies)
	}
	checkAllShown(t, all.String(), want)

	id, err = fake.Command(fran, channel, "tend", []string{"attendance", "export"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var export discordtest.Shown
	if err := fake.WaitFor(ctx, "the export", func() bool {
		for _, s := range fake.Shown() {
			if s.Kind == "reply" && s.Message.InteractionID == id && len(s.Message.Attachments) > 0 {
				export = s
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if !export.Ephemeral || export.OnlyFor != fran || export.Message.Attachments[0].Filename != "tuesday-attendance.csv" {
		t.Fatalf("export shown %+v; want tuesday-attendance.csv attached to a reply only fran sees", export)
	}
	checkExportCSV(t, export.Message.Attachments[0].Data, weeks)
	if n := len(fake.Messages(channel)); n != 0 {
		t.Errorf("%d messages in the group's channel", n)
	}
	lines := auditExports(t, path, "tuesday")
	if len(lines) != 1 || string(lines[0].Actor) != "discord:"+fran || lines[0].Detail != fmt.Sprintf("range=all sessions=%d rows=%d via=chat format=csv", weeks, weeks) {
		t.Fatalf("export audit lines %+v", lines)
	}
	if inv := fake.Invalid(); len(inv) > 0 {
		t.Errorf("requests failing Discord's spec: %v", inv)
	}
	p.alive(t)
}

// TestSlackE2E_DataRights: the same on the real binary through the fake
// Slack: 30 weekly sessions of a member's records all shown by mydata in
// private answers of at most 50 blocks; the export as a file in the
// facilitator's direct messages, audited; and for a member with more than
// fits in chat, the last answer says how many more and mydata.txt with
// every record arrives in their direct messages.
func TestSlackE2E_DataRights(t *testing.T) {
	bin := buildTend(t)
	const (
		facil   = "U0FRAN"
		sam     = "U0SAM"
		lee     = "U0LEE"
		channel = "C0TUESDAY"
		big     = "C0BIGGROUP"
	)
	fake := fakeslack.New(t, fakeslack.Options{})
	for _, u := range []string{facil, sam, lee} {
		fake.AddUser(u, strings.ToLower(u[3:]))
	}
	fake.AddChannel(channel, "tuesday", false, facil, sam)
	fake.AddChannel(big, "big", false, facil, lee)
	groups := fmt.Sprintf(`groups:
  - name: tuesday
    platform: slack
    channel: %q
    timezone: UTC
    facilitators: ["slack:%s"]
  - name: big
    platform: slack
    channel: %q
    timezone: UTC
    facilitators: ["slack:%s"]
`, channel, facil, big, facil)
	p := startSlackTend(t, bin, slackConfig(t, fake, "socket", facil, groups), fake)
	ctx := slackWaitCtx(t)
	slackReady(t, ctx, fake, "socket")
	p.waitLog(t, ctx, "tend started")
	path := filepath.Join(p.cmd.Dir, "tend.db")
	const weeks = 30
	want := seedWeeks(t, path, "tuesday", "slack:"+facil, sam, bot.Address{Platform: bot.PlatformSlack, Channel: "C0VOICE"}, weeks, 10)

	before := len(fake.Ephemerals(sam))
	slackAsk(t, ctx, fake, sam, channel, "mydata", "/tend forget erases all of it.")
	var all strings.Builder
	parts := fake.Ephemerals(sam)[before:]
	for _, e := range parts {
		all.WriteString(e.Text + "\n" + fakeslack.BlockText(e.Blocks) + "\n")
	}
	if len(parts) < 2 || len(parts) > bot.MaxReplies {
		t.Errorf("mydata in %d answers; want several, at most %d", len(parts), bot.MaxReplies)
	}
	// Slack escapes < > & in text: count the phrases in BlockText only once
	// per record (the fallback text holds the title and text, not fields).
	checkAllShown(t, all.String(), want)

	slackAsk(t, ctx, fake, facil, channel, "attendance export", "in your direct messages with tend")
	if err := fake.Wait(ctx, func() bool { return len(fake.Files()) == 1 }); err != nil {
		t.Fatalf("no export file: %v", err)
	}
	f := fake.Files()[0]
	if f.User != facil || f.Name != "tuesday-attendance.csv" {
		t.Fatalf("export file %+v; want tuesday-attendance.csv in the facilitator's DM", f)
	}
	checkExportCSV(t, f.Data, weeks)
	if lines := auditExports(t, path, "tuesday"); len(lines) != 1 || string(lines[0].Actor) != "slack:"+facil {
		t.Fatalf("export audit lines %+v", lines)
	}

	// More than fits: 100 weeks with check-ins at the last 12.
	seedWeeks(t, path, "big", "slack:"+facil, lee, bot.Address{Platform: bot.PlatformSlack, Channel: "C0VOICE2"}, 100, 12)
	before = len(fake.Ephemerals(lee))
	last := slackAsk(t, ctx, fake, lee, big, "mydata", "more records that do not fit here")
	if n := len(fake.Ephemerals(lee)) - before; n > bot.MaxReplies {
		t.Errorf("mydata in %d answers; at most %d", n, bot.MaxReplies)
	}
	if !strings.Contains(fakeslack.BlockText(last.Blocks), "mydata.txt") {
		t.Errorf("the last answer does not say where the rest is:\n%s", fakeslack.BlockText(last.Blocks))
	}
	if err := fake.Wait(ctx, func() bool { return len(fake.Files()) == 2 }); err != nil {
		t.Fatalf("no mydata.txt: %v", err)
	}
	full := fake.Files()[1]
	if full.User != lee || full.Name != "mydata.txt" {
		t.Fatalf("file %+v; want mydata.txt in lee's DM", full)
	}
	for kind, n := range map[string]int{"rsvp": 100, "attendance": 100, "presence": 100, "voice": 100, "checkin": 12} {
		if got := strings.Count(string(full.Data), seededPhrases[kind]); got != n {
			t.Errorf("mydata.txt: %d %s records; want all %d", got, kind, n)
		}
	}
	if v := fake.Violations(); len(v) != 0 {
		t.Errorf("requests failing Slack's spec: %v", v)
	}
	p.alive(t)
}

// TestNormsE2E_DiscordForgetRevokesRole: in an open group that requires
// agreement, a member has no roster entry — only their agreement names
// them. After they agree and get the role, forget erases the agreement
// and takes the role back (the erasure tells every group that named them,
// MemberGone, and the real norms feature revokes), with the erasure's
// audit line in that group.
func TestNormsE2E_DiscordForgetRevokesRole(t *testing.T) {
	bin := buildTend(t)
	w := newNormsWorld(t)
	dir := t.TempDir()
	p := w.start(t, bin, dir, w.config("open", 0, fmt.Sprintf("{template: support, require: true, role: %q}", w.role)))
	ctx := waitCtx(t)
	sam := w.fake.AddUser("sam", false)
	w.fake.Join(w.guild, sam, false)
	w.press(t, sam, w.dm(t, ctx, sam, "Welcome to tuesday"), "I agree")
	if err := w.fake.WaitFor(ctx, "sam's role", func() bool { return w.hasRole(sam) }); err != nil {
		t.Fatal(err)
	}
	confirm := ask(t, w.fake, sam, w.channel, []string{"forget"}, nil)
	if !confirm.Ephemeral || !strings.Contains(confirm.Message.Text(), "Erase everything tend holds about you?") {
		t.Fatalf("forget answered %+v", confirm)
	}
	if r := w.press(t, sam, confirm.Message, "Erase my data"); !strings.Contains(r.Message.Text(), "Done: tend erased") {
		t.Fatalf("erasing answered %q", r.Message.Text())
	}
	if err := w.fake.WaitFor(ctx, "the role taken back", func() bool { return !w.hasRole(sam) }); err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenReadOnly(ctx, filepath.Join(dir, "tend.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g, err := db.GroupByName(ctx, "tuesday")
	if err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(ctx, g.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	erased := false
	for _, e := range log {
		erased = erased || (e.Action == "member.erase" && strings.HasPrefix(e.Detail, "erased member #1"))
		if strings.Contains(string(e.Actor)+e.Detail, sam) {
			t.Errorf("an audit line still names sam: %+v", e)
		}
	}
	if !erased {
		t.Errorf("no erasure line in the group's audit log: %+v", log)
	}
	if inv := w.fake.Invalid(); len(inv) > 0 {
		t.Errorf("requests failing Discord's spec: %v", inv)
	}
	p.alive(t)
}
