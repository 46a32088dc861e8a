package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord/discordtest"
)

// startTend writes config to a temp dir and runs `tend run` with the bot
// token in the environment. Cleanup stops it with SIGINT and expects exit 0.
func startTend(t testing.TB, bin, config, token string) *tendProcess {
	t.Helper()
	return startTendIn(t, bin, t.TempDir(), config, token)
}

// startTendIn is startTend with the working directory (and so the
// database) in dir, so that a second process can take over the first's.
func startTendIn(t testing.TB, bin, dir, config, token string) *tendProcess {
	t.Helper()
	return runTend(t, bin, dir, config, []string{"TEND_E2E_DISCORD_TOKEN=" + token}, []string{token})
}

func discordConfig(fake *discordtest.Server, guild string, owners []string, groups string) string {
	q := make([]string, len(owners))
	for i, o := range owners {
		q[i] = fmt.Sprintf("%q", "discord:"+o)
	}
	return fmt.Sprintf(`storage: {path: tend.db}
log: {level: info, format: text}
timezone: UTC
owners: [%s]
discord:
  token_env: TEND_E2E_DISCORD_TOKEN
  application_id: %q
  guild_ids: [%q]
  api_url: %q
console: {enabled: "off"}
%s`, strings.Join(q, ", "), fake.AppID(), guild, fake.APIURL(), groups)
}

func waitCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ask runs a command and returns its reply, checking Discord's deadline.
func ask(t *testing.T, fake *discordtest.Server, user, channel string, words []string, args map[string]string) discordtest.Shown {
	t.Helper()
	id, err := fake.Command(user, channel, "tend", words, args)
	if err != nil {
		t.Fatal(err)
	}
	return answer(t, fake, id)
}

func answer(t *testing.T, fake *discordtest.Server, id string) discordtest.Shown {
	t.Helper()
	ctx := waitCtx(t)
	it, err := fake.WaitAnswered(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if it.CallbackLate {
		t.Fatalf("interaction %s answered after Discord's 3 s deadline", id)
	}
	var got discordtest.Shown
	if err := fake.WaitFor(ctx, "reply to "+id, func() bool {
		for _, s := range fake.Shown() {
			if s.Kind == "reply" && s.Message.InteractionID == id && s.Message.Text() != "" {
				got = s
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestDiscordE2E(t *testing.T) {
	bin := buildTend(t)

	t.Run("FacilitatorAndMembers", func(t *testing.T) {
		fake := discordtest.New(t, discordtest.Config{})
		guild := fake.AddGuild("Peer support")
		channel := fake.AddChannel(guild, "tuesday", discordtest.ChannelText)
		facil, sam, alex := fake.AddUser("fran", false), fake.AddUser("sam", false), fake.AddUser("alex", false)
		for _, u := range []string{facil, sam, alex} {
			fake.AddMember(guild, discordtest.Member{UserID: u})
		}
		p := startTend(t, bin, discordConfig(fake, guild, []string{facil}, ""), fake.Token())
		ctx := waitCtx(t)
		if err := fake.WaitConnected(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if err := fake.WaitFor(ctx, "/tend registered", func() bool { return len(fake.Commands(guild)) == 1 }); err != nil {
			t.Fatal(err)
		}
		t.Logf("/tend registration: %d characters of Discord's 8000", discordtest.CommandChars(fake.Commands(guild)[0]))
		if got := fake.Intents(); got != 1<<0|1<<1|1<<7|1<<12 {
			t.Errorf("intents %b; want GUILDS, GUILD_MEMBERS, GUILD_VOICE_STATES, DIRECT_MESSAGES", got)
		}

		help := ask(t, fake, sam, channel, []string{"help"}, nil)
		if !help.Ephemeral || help.OnlyFor != sam || !strings.Contains(help.Message.Text(), "what you can do here") {
			t.Fatalf("help: %+v; want an ephemeral help for sam", help)
		}

		setup := ask(t, fake, facil, channel, []string{"group", "setup"}, map[string]string{"name": "tuesday-support", "timezone": "UTC"})
		if !strings.Contains(setup.Message.Text(), "tuesday-support") {
			t.Fatalf("group setup answered %q", setup.Message.Text())
		}
		start := time.Now().UTC().Add(30 * time.Minute).Truncate(time.Minute)
		weekly := strings.ToLower(start.Format("Mon")) + " " + start.Format("15:04")
		sched := ask(t, fake, facil, channel, []string{"session", "schedule"}, map[string]string{"weekly": weekly, "duration": "90m", "count": "4"})
		if strings.Contains(sched.Message.Text(), "Sorry") || strings.Contains(sched.Message.Text(), "Only") {
			t.Fatalf("session schedule answered %q", sched.Message.Text())
		}

		// Both reminders of the session half an hour away have passed: the
		// latest (1 h) goes out at once, while still useful.
		var reminder discordtest.Message
		if err := fake.WaitFor(ctx, "the reminder", func() bool {
			for _, m := range fake.Messages(channel) {
				if m.InteractionID == "" && len(m.Embeds) == 1 && len(m.Buttons()) >= 2 {
					reminder = m
					return true
				}
			}
			return false
		}); err != nil {
			for _, m := range fake.Messages(channel) {
				t.Logf("message %s (interaction %q): %q, %d buttons", m.ID, m.InteractionID, m.Text(), len(m.Buttons()))
			}
			t.Fatalf("%v; schedule answered %q", err, sched.Message.Text())
		}
		e := reminder.Embeds[0]
		all := e.Title + "\n" + e.Description
		for _, f := range e.Fields {
			all += "\n" + f.Name + "\n" + f.Value
		}
		if want := fmt.Sprintf("<t:%d:", start.Unix()); !strings.Contains(all, want) {
			t.Errorf("reminder %q does not show the session time as %s…>", all, want)
		}
		if reminder.Nonce == "" {
			t.Errorf("reminder posted without a nonce")
		}
		btns := reminder.Buttons()
		yes := btns[0]
		for _, u := range []string{sam, alex} {
			id, err := fake.Press(u, reminder.ID, yes.CustomID)
			if err != nil {
				t.Fatal(err)
			}
			r := answer(t, fake, id)
			if !r.Ephemeral || r.OnlyFor != u {
				t.Errorf("RSVP answer %+v; want ephemeral for %s", r, u)
			}
		}
		if err := fake.WaitFor(ctx, "the count edited in place", func() bool {
			m, _ := fake.Message(reminder.ID)
			return m.Edits >= 2 && strings.Contains(m.Text(), "2 coming")
		}); err != nil {
			m, _ := fake.Message(reminder.ID)
			t.Fatalf("%v; reminder now reads %q", err, m.Text())
		}
		posts := 0
		for _, m := range fake.Messages(channel) {
			if m.InteractionID == "" && len(m.Buttons()) > 0 {
				posts++
			}
		}
		if posts != 1 {
			t.Errorf("%d reminder posts; want 1 (RSVPs edit in place)", posts)
		}

		refused := ask(t, fake, sam, channel, []string{"session", "list"}, nil)
		if !refused.Ephemeral || !strings.Contains(refused.Message.Text(), "Only facilitators") {
			t.Errorf("member running a facilitator command got %+v; want an ephemeral refusal", refused)
		}

		i := strings.LastIndexByte(yes.CustomID, '|')
		crafted := yes.CustomID[:i+1] + strings.Repeat("A", len(yes.CustomID)-i-1)
		id, err := fake.Press(sam, reminder.ID, crafted)
		if err != nil {
			t.Fatal(err)
		}
		if r := answer(t, fake, id); !r.Ephemeral || !strings.Contains(r.Message.Text(), "not valid") {
			t.Errorf("crafted custom_id answered %+v; want an ephemeral refusal", r)
		}
		if inv := fake.Invalid(); len(inv) > 0 {
			t.Errorf("requests failing Discord's spec: %v", inv)
		}
		p.alive(t)
	})

	t.Run("FaultsDuringABurstOfReminders", func(t *testing.T) {
		const n = 150
		fake, guild, owner, channels, groups, posted := burstWorld(t, n, "[24h, 1h]")
		// Faults armed before start: the first REST calls (gateway
		// lookup, command registration, the first posts) meet them too.
		fake.Storm429(30)
		fake.Fail5xx(3, 500)
		fake.LoseCreateResponses(5) // stored, but answered 500: the nonce must catch the retry
		p := startTend(t, bin, discordConfig(fake, guild, []string{owner}, groups), fake.Token())
		ctx := waitCtx(t)
		if err := fake.WaitConnected(ctx, 1); err != nil {
			t.Fatal(err)
		}
		// Mid-burst: a dropped socket, then op 7 with a second storm.
		if err := fake.WaitFor(ctx, "the burst under way", func() bool { return posted() >= 10 }); err != nil {
			t.Fatal(err)
		}
		fake.DropSocket()
		atDrop := posted()
		if err := fake.WaitConnected(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if err := fake.WaitFor(ctx, "the burst under way", func() bool { return posted() >= 40 }); err != nil {
			t.Fatal(err)
		}
		fake.Storm429(20)
		fake.Fail5xx(3, 503)
		fake.Reconnect()
		atOp7 := posted()
		if err := fake.WaitConnected(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if err := fake.WaitFor(ctx, "every reminder", func() bool { return posted() >= n }); err != nil {
			t.Fatalf("%v: %d of %d posted", err, posted(), n)
		}
		// The process keeps serving after the faults.
		r := ask(t, fake, owner, channels[0], []string{"help"}, nil)
		if !r.Ephemeral {
			t.Errorf("help after faults not ephemeral")
		}
		for i, ch := range channels {
			ms := fake.Messages(ch)
			if len(ms) != 1 {
				t.Errorf("group-%d got %d reminders; want exactly 1", i, len(ms))
			}
		}
		t.Logf("socket dropped after %d of %d reminders, op 7 after %d", atDrop, n, atOp7)
		st := fake.Stats()
		if st.Injected429 != 50 || st.Injected5xx != 11 {
			t.Errorf("faults consumed: %d 429s, %d 5xx; want 50 and 11 (all during the run)", st.Injected429, st.Injected5xx)
		}
		if st.NonceDuplicate != 5 {
			t.Errorf("%d retries answered from the nonce; want 5 (one per lost response)", st.NonceDuplicate)
		}
		t.Logf("fake: %d requests, %d injected 429s, %d injected 5xx, %d limit 429s, %d nonce repeats, %d identifies, %d resumes",
			st.Requests, st.Injected429, st.Injected5xx, st.GlobalTooMany+st.RouteTooMany, st.NonceDuplicate, st.Identifies, st.Resumes)
		if st.Resumes < 2 {
			t.Errorf("resumes %d; want the dropped socket and op 7 both resumed", st.Resumes)
		}
		if inv := fake.Invalid(); len(inv) > 0 {
			t.Errorf("requests failing Discord's spec: %v", inv)
		}
		p.alive(t)
	})
}

// TestDiscordE2E_KilledMidBurst kills the real binary with SIGKILL in the
// middle of a burst of reminders and starts it again on the same database:
// every reminder is posted exactly once, none lost, none repeated.
func TestDiscordE2E_KilledMidBurst(t *testing.T) {
	bin := buildTend(t)
	const n = 120
	fake, guild, owner, channels, groups, posted := burstWorld(t, n, "[1h]")
	cfg := discordConfig(fake, guild, []string{owner}, groups)
	dir := t.TempDir()
	// Slow the burst down so that the kill lands in its middle.
	fake.Storm429(40)
	first := startTendIn(t, bin, dir, cfg, fake.Token())
	ctx := waitCtx(t)
	if err := fake.WaitFor(ctx, "the burst under way", func() bool { return posted() >= 10 }); err != nil {
		t.Fatal(err)
	}
	first.kill(t)
	atKill := posted()
	if atKill >= n {
		t.Fatalf("the burst finished before the kill (%d posts); the test proves nothing", atKill)
	}
	second := startTendIn(t, bin, dir, cfg, fake.Token())
	if err := fake.WaitFor(ctx, "every reminder", func() bool { return posted() >= n }); err != nil {
		t.Fatalf("%v: %d of %d posted", err, posted(), n)
	}
	// Give a duplicate the chance to appear before counting.
	r := ask(t, fake, owner, channels[0], []string{"session", "log"}, nil)
	for i, ch := range channels {
		if ms := fake.Messages(ch); len(ms) != 1 {
			t.Errorf("group-%d got %d reminders; want exactly 1", i, len(ms))
		}
	}
	if !strings.Contains(fmt.Sprintf("%+v", r.Message), "1h before") {
		t.Errorf("session log after the restart does not show the reminder:\n%+v", r)
	}
	t.Logf("killed after %d of %d reminders; %d nonce repeats caught by Discord", atKill, n, fake.Stats().NonceDuplicate)
	second.alive(t)
}

// burstWorld makes a fake Discord with n channels and the config of n
// groups, one per channel, whose sessions start in 30 minutes, so that their
// reminders (leads as YAML) all fall due at once when tend starts. posted
// counts the messages in those channels.
func burstWorld(t *testing.T, n int, leads string) (fake *discordtest.Server, guild, owner string, channels []string, groups string, posted func() int) {
	t.Helper()
	fake = discordtest.New(t, discordtest.Config{})
	guild = fake.AddGuild("Many groups")
	owner = fake.AddUser("owner", false)
	fake.AddMember(guild, discordtest.Member{UserID: owner})
	start := time.Now().UTC().Add(30 * time.Minute).Truncate(time.Minute)
	weekly := strings.ToLower(start.Format("Mon")) + " " + start.Format("15:04")
	var b strings.Builder
	b.WriteString("groups:\n")
	channels = make([]string, n)
	for i := range n {
		channels[i] = fake.AddChannel(guild, fmt.Sprintf("g%d", i), discordtest.ChannelText)
		fmt.Fprintf(&b, "  - {name: group-%d, platform: discord, channel: %q, guild: %q, timezone: UTC, schedule: {weekly: %q, duration: 60m, count: 2}, reminders: {lead: %s}}\n",
			i, channels[i], guild, weekly, leads)
	}
	posted = func() int {
		c := 0
		for _, ch := range channels {
			c += len(fake.Messages(ch))
		}
		return c
	}
	return fake, guild, owner, channels, b.String(), posted
}

// TestDiscordE2E_WrongAPIURLExits2: an api_url whose gateway lookup answers
// 404 is a configuration mistake no retry fixes: tend says which setting
// and exits 2, as for any configuration error, instead of retrying for
// ever.
func TestDiscordE2E_WrongAPIURLExits2(t *testing.T) {
	bin := buildTend(t)
	fake := discordtest.New(t, discordtest.Config{})
	guild := fake.AddGuild("Peer support")
	wrong := strings.TrimSuffix(fake.APIURL(), "/api") + "/not-the-api/v10"
	cfg := strings.Replace(discordConfig(fake, guild, []string{"100000000000000001"}, ""), fake.APIURL(), wrong, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "tend.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := waitCtx(t)
	cmd := exec.CommandContext(ctx, bin, "run", "--config", path)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "TZ=UTC", "TEND_E2E_DISCORD_TOKEN=" + fake.Token()}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || ctx.Err() != nil {
		t.Fatalf("tend with a wrong api_url: %v (ctx %v); want exit status 2 (a configuration error) at once\n%s", err, ctx.Err(), out)
	}
	if !strings.Contains(string(out), "discord.api_url") || !strings.Contains(string(out), "404") {
		t.Errorf("output does not name discord.api_url and the 404:\n%s", out)
	}
	if strings.Contains(string(out), fake.Token()) {
		t.Error("tend printed the token")
	}
}
