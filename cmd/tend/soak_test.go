package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
)

// The soak: a burst of reminders due at once, the real binary killed with
// SIGKILL at random points of it and started again on the same database,
// through a fake platform that does not de-duplicate anything itself.
// Every reminder must be posted before its session starts (none lost) and
// exactly once (none duplicated).

// soakSpec is one soak run.
type soakSpec struct {
	// N reminders, one per group and channel, all due at once.
	N int
	// Kills is how many SIGKILLs land at random points of the burst.
	Kills int
	// Lead is the reminders' lead time. "1m": the sessions start at the
	// first whole minute at least Setup plus a minute away, so the burst
	// is on time, prepared ahead of its due time (the case of the issue);
	// "1h": the sessions start within two minutes, so every reminder is
	// due when tend first starts and the whole burst is a backlog (short
	// and independent of the wall clock, for CI).
	Lead string
	// Setup is how long the first start may take before the burst is due
	// (lead 1m only).
	Setup time.Duration
	Seed  uint64
}

// soakReport is what a soak measured.
type soakReport struct {
	N, Posted, Lost, Duplicated int
	Restarts                    int
	// Bound is the rate the adapter allows for this burst (posts/s), and
	// DrainRate the rate at which posts went out after the restarts: the
	// posts of every run after a kill, from its first post to its last.
	Bound, DrainRate float64
	// FirstPost is, for each restart, the time from starting the process
	// to its first post (posts that land after the kill but were sent by
	// the process killed are not counted).
	FirstPost []time.Duration
	// MaxAttempts is the most attempts any reminder job recorded, and
	// Missed the reminder jobs recorded missed or failed (with their
	// notes): both read from the database after the soak.
	MaxAttempts int
	Missed      []string
	// Lookups counts history reads (Finder lookups) made by all runs, and
	// Limited the platform's own 429 answers (its rate limits, as the
	// fake enforces them).
	Lookups, Limited int
	// Elapsed is the time from the first start to the last post, and
	// Spare the time left from the last post to the sessions' start.
	Elapsed, Spare time.Duration
}

// Ratio is DrainRate as a share of Bound.
func (r soakReport) Ratio() float64 {
	if r.Bound == 0 {
		return 0
	}
	return r.DrainRate / r.Bound
}

func (r soakReport) String() string {
	med := median(r.FirstPost)
	return fmt.Sprintf("%d reminders, %d restarts: %d lost, %d duplicated; drain after restarts %.1f posts/s of %.0f (ratio %.2f); "+
		"first post %s after a restart (median); %d history reads; %d answers 429; max attempts %d; all posted %s after the first start, %s before the sessions",
		r.N, r.Restarts, r.Lost, r.Duplicated, r.DrainRate, r.Bound, r.Ratio(), med.Round(time.Millisecond), r.Lookups, r.Limited, r.MaxAttempts,
		r.Elapsed.Round(time.Millisecond), r.Spare.Round(time.Millisecond))
}

// soakPost is one reminder post the fake holds.
type soakPost struct {
	Key string // what identifies the reminder: its nonce or its metadata key
	At  time.Time
	// Before: the post was made before the session started.
	Before bool
}

// soakTarget is the fake platform a soak runs against.
type soakTarget interface {
	// group returns the config line of group i, bound to its channel.
	group(i int, weekly, lead string) string
	// config returns tend.yaml with groups.
	config(groups string) string
	// start runs tend in dir.
	start(tb testing.TB, bin, dir, config string) *tendProcess
	// posts returns the reminder posts, with whether each was made before
	// start.
	posts(start time.Time) []soakPost
	// wait waits until cond holds, rechecking when the fake changes.
	wait(ctx context.Context, cond func() bool) error
	// connected returns when a process started after after first called
	// the platform (its first request, before any post): posts between
	// after and then were made by the process killed before.
	connected(after time.Time) time.Time
	// bound is the rate the adapter allows for a burst over n channels.
	bound(n int) float64
	// lookups counts the history reads the fake answered, and limited the
	// 429s its own rate limits answered.
	lookups() int
	limited() int
	// check reports requests that broke the platform's spec.
	check(tb testing.TB)
}

// runSoak runs spec against target and returns what it measured. It fails
// tb only when the soak could not run (tend would not start, a kill did not
// take); lost and duplicated reminders are in the report, for the caller to
// judge.
func runSoak(tb testing.TB, target soakTarget, spec soakSpec) soakReport {
	tb.Helper()
	bin := buildTend(tb)
	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	now := time.Now().UTC()
	var start time.Time
	switch spec.Lead {
	case "1m":
		start = now.Add(spec.Setup + time.Minute).Truncate(time.Minute).Add(time.Minute)
	case "1h":
		// At least 45 s away, so that a healthy drain is never late.
		start = now.Add(45 * time.Second).Truncate(time.Minute).Add(time.Minute)
	default:
		tb.Fatalf("soak: lead %q is not 1m or 1h", spec.Lead)
	}
	weekly := strings.ToLower(start.Format("Mon")) + " " + start.Format("15:04")
	var groups strings.Builder
	groups.WriteString("groups:\n")
	for i := range spec.N {
		groups.WriteString(target.group(i, weekly, "["+spec.Lead+"]"))
	}
	cfg := target.config(groups.String())
	dir := tb.TempDir()

	// Kill points: distinct post counts, spread at random over the burst.
	var points []int
	if spec.Kills > 0 {
		perm := rng.Perm(spec.N - 1)
		points = perm[:min(spec.Kills, spec.N-1)]
		for i := range points {
			points[i]++
		}
		sort.Ints(points)
	}

	ctx, cancel := context.WithDeadline(context.Background(), start.Add(10*time.Second))
	defer cancel()
	distinct := func() int {
		seen := map[string]bool{}
		for _, p := range target.posts(start) {
			seen[p.Key] = true
		}
		return len(seen)
	}
	type run struct {
		started, ended time.Time
	}
	var runs []run
	began := time.Now()
	p := target.start(tb, bin, dir, cfg)
	runs = append(runs, run{started: began})
	restarts := 0
	for _, at := range points {
		if err := target.wait(ctx, func() bool { return distinct() >= at }); err != nil {
			// Too slow: the sessions have started. What was lost is
			// counted below.
			tb.Logf("soak: waiting for %d of %d reminders before a kill: %v (%d posted); no more kills", at, spec.N, err, distinct())
			break
		}
		p.alive(tb)
		p.kill(tb)
		restarts++
		runs[len(runs)-1].ended = time.Now()
		runs = append(runs, run{started: time.Now()})
		p = target.start(tb, bin, dir, cfg)
	}
	if err := target.wait(ctx, func() bool { return distinct() >= spec.N }); err != nil {
		tb.Logf("soak: %v: %d of %d reminders posted", err, distinct(), spec.N)
	}
	runs[len(runs)-1].ended = time.Now()
	p.alive(tb)

	// Let the last run record what it posted, then stop it: a late
	// duplicate would show in the count after the stop.
	waitRecorded(tb, dir, distinct())
	stopTend(tb, p)

	rep := soakReport{N: spec.N, Restarts: restarts, Bound: target.bound(spec.N), Lookups: target.lookups(), Limited: target.limited()}
	posts := target.posts(start)
	perKey := map[string]int{}
	before := map[string]bool{}
	var last time.Time
	for _, ps := range posts {
		perKey[ps.Key]++
		if ps.Before {
			before[ps.Key] = true
		}
		if ps.At.After(last) {
			last = ps.At
		}
	}
	rep.Posted = len(perKey)
	rep.Lost = spec.N - len(before)
	for _, c := range perKey {
		rep.Duplicated += c - 1
	}
	rep.Elapsed, rep.Spare = last.Sub(began), start.Sub(last)
	var n int
	var d time.Duration
	for i, r := range runs {
		from := r.started
		if i > 0 {
			from = target.connected(r.started)
		}
		var in []time.Time
		for _, ps := range posts {
			if ps.At.After(from) && !ps.At.After(r.ended) {
				in = append(in, ps.At)
			}
		}
		slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
		if i == 0 || len(in) == 0 {
			continue
		}
		rep.FirstPost = append(rep.FirstPost, in[0].Sub(r.started))
		if len(in) >= 2 {
			n += len(in) - 1
			d += in[len(in)-1].Sub(in[0])
		}
	}
	if d > 0 {
		rep.DrainRate = float64(n) / d.Seconds()
	}
	rep.MaxAttempts, rep.Missed = soakJobs(tb, dir, start)
	target.check(tb)
	return rep
}

// waitRecorded waits, for up to 15 s, until the database records n
// reminder posts as sent.
func waitRecorded(tb testing.TB, dir string, n int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	db, err := store.Open(ctx, filepath.Join(dir, "tend.db"))
	if err != nil {
		tb.Fatalf("soak: open the database beside tend: %v", err)
	}
	defer db.Close()
	for {
		sent, err := db.SentMessages(ctx, "reminder/")
		if err == nil && len(sent) >= n {
			return
		}
		select {
		case <-ctx.Done():
			tb.Logf("soak: %d of %d reminders recorded sent when the wait ended (%v)", len(sent), n, err)
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stopTend stops p with SIGINT and waits for it to exit.
func stopTend(tb testing.TB, p *tendProcess) {
	tb.Helper()
	p.killed = true // the cleanup must not stop it again
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		tb.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			tb.Errorf("tend exited with %v after SIGINT; want 0\n%s", err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		tb.Fatal("tend did not stop within 30 s of SIGINT")
	}
}

// soakJobs reads the reminder jobs of the sessions starting at start: the
// most attempts any recorded, and those recorded missed or failed.
func soakJobs(tb testing.TB, dir string, start time.Time) (maxAttempts int, missed []string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, filepath.Join(dir, "tend.db"))
	if err != nil {
		tb.Fatalf("soak: open the database: %v", err)
	}
	defer db.Close()
	groups, err := db.ListGroups(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	for _, g := range groups {
		ss, err := db.UpcomingSessions(ctx, g.ID, start.Add(-time.Second), 1)
		if err != nil || len(ss) == 0 {
			tb.Fatalf("soak: the session of %s: %v", g.Name, err)
		}
		jobs, err := db.SessionJobs(ctx, ss[0].ID)
		if err != nil {
			tb.Fatal(err)
		}
		for _, j := range jobs {
			if j.Kind != "reminders.reminder" {
				continue
			}
			maxAttempts = max(maxAttempts, j.Attempts)
			if j.State == bot.JobMissed || j.State == bot.JobFailed {
				missed = append(missed, g.Name+": "+string(j.State)+": "+j.Note)
			}
		}
	}
	return maxAttempts, missed
}

// discordSoak runs the soak through the fake Discord, its nonce
// de-duplication off.
type discordSoak struct {
	fake   *discordtest.Server
	guilds []string
	chans  []string
	owner  string
}

// discordGuildChannels is how many channels the soak puts in one guild:
// Discord allows 500.
const discordGuildChannels = 500

func newDiscordSoak(tb testing.TB, n int, validate bool) *discordSoak {
	fake := discordtest.New(tb, discordtest.Config{IgnoreNonces: true, SkipValidation: !validate})
	d := &discordSoak{fake: fake, owner: fake.AddUser("owner", false)}
	for i := range n {
		if i%discordGuildChannels == 0 {
			g := fake.AddGuild(fmt.Sprintf("Guild %d", len(d.guilds)))
			fake.AddMember(g, discordtest.Member{UserID: d.owner})
			d.guilds = append(d.guilds, g)
		}
		d.chans = append(d.chans, fake.AddChannel(d.guilds[len(d.guilds)-1], fmt.Sprintf("g%d", i), discordtest.ChannelText))
	}
	return d
}

func (d *discordSoak) group(i int, weekly, lead string) string {
	return fmt.Sprintf("  - {name: group-%d, platform: discord, channel: %q, guild: %q, timezone: UTC, schedule: {weekly: %q, duration: 60m, count: 2}, reminders: {lead: %s}}\n",
		i, d.chans[i], d.guilds[i/discordGuildChannels], weekly, lead)
}

func (d *discordSoak) config(groups string) string {
	q := make([]string, len(d.guilds))
	for i, g := range d.guilds {
		q[i] = fmt.Sprintf("%q", g)
	}
	return fmt.Sprintf(`storage: {path: tend.db}
log: {level: info, format: text}
timezone: UTC
owners: ["discord:%s"]
discord:
  token_env: TEND_E2E_DISCORD_TOKEN
  application_id: %q
  guild_ids: [%s]
  api_url: %q
console: {enabled: "off"}
%s`, d.owner, d.fake.AppID(), strings.Join(q, ", "), d.fake.APIURL(), groups)
}

func (d *discordSoak) start(tb testing.TB, bin, dir, config string) *tendProcess {
	return runTend(tb, bin, dir, config, []string{"TEND_E2E_DISCORD_TOKEN=" + d.fake.Token()}, []string{d.fake.Token()})
}

func (d *discordSoak) posts(start time.Time) []soakPost {
	var out []soakPost
	for _, ch := range d.chans {
		for _, m := range d.fake.Messages(ch) {
			if m.InteractionID != "" || m.Nonce == "" || len(m.Buttons()) == 0 {
				continue // not a reminder
			}
			out = append(out, soakPost{Key: ch + "/" + m.Nonce, At: m.CreatedAt, Before: m.CreatedAt.Before(start)})
		}
	}
	return out
}

func (d *discordSoak) wait(ctx context.Context, cond func() bool) error {
	return d.fake.WaitFor(ctx, "reminders", cond)
}

// bound: the adapter's global limit (50 requests in any 1.04 s: 48.1 a
// second); every channel has one reminder, well within its own pacing.
func (d *discordSoak) bound(int) float64 { return 50 / 1.04 }

func (d *discordSoak) lookups() int {
	n := 0
	for _, r := range d.fake.Requests() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/messages") {
			n++
		}
	}
	return n
}

func (d *discordSoak) connected(after time.Time) time.Time {
	for _, r := range d.fake.Requests() {
		if r.At.After(after) && (strings.HasSuffix(r.Path, "/gateway") || strings.HasSuffix(r.Path, "/gateway/bot")) {
			return r.At
		}
	}
	return after
}

func (d *discordSoak) limited() int {
	st := d.fake.Stats()
	return st.GlobalTooMany + st.RouteTooMany
}

func (d *discordSoak) check(tb testing.TB) {
	if inv := d.fake.Invalid(); len(inv) > 0 {
		tb.Errorf("requests failing Discord's spec: %v", inv)
	}
}

// slackSoak runs the soak through the fake Slack, which has no
// de-duplication of its own.
type slackSoak struct {
	fake  *fakeslack.Server
	chans []string
	owner string
}

func newSlackSoak(tb testing.TB, n int) *slackSoak {
	s := &slackSoak{fake: fakeslack.New(tb, fakeslack.Options{}), owner: "U0OWNER"}
	s.fake.AddUser(s.owner, "owner")
	for i := range n {
		ch := fmt.Sprintf("C0S%05d", i)
		s.fake.AddChannel(ch, fmt.Sprintf("g%d", i), false, s.owner)
		s.chans = append(s.chans, ch)
	}
	return s
}

func (s *slackSoak) group(i int, weekly, lead string) string {
	return fmt.Sprintf("  - {name: group-%d, platform: slack, channel: %q, timezone: UTC, schedule: {weekly: %q, duration: 60m, count: 2}, reminders: {lead: %s}}\n",
		i, s.chans[i], weekly, lead)
}

func (s *slackSoak) config(groups string) string {
	return fmt.Sprintf(`storage: {path: tend.db}
log: {level: info, format: text}
timezone: UTC
owners: ["slack:%s"]
slack:
  mode: socket
  bot_token_env: TEND_E2E_SLACK_BOT
  app_token_env: TEND_E2E_SLACK_APP
  api_url: %q
console: {enabled: "off"}
%s`, s.owner, s.fake.APIURL(), groups)
}

func (s *slackSoak) start(tb testing.TB, bin, dir, config string) *tendProcess {
	o := s.fake.Opts()
	return runTend(tb, bin, dir, config, []string{"TEND_E2E_SLACK_BOT=" + o.BotToken, "TEND_E2E_SLACK_APP=" + o.AppToken},
		[]string{o.BotToken, o.AppToken})
}

func (s *slackSoak) posts(start time.Time) []soakPost {
	// A message's time is its ts, to the second; the call log has the
	// precise time of each successful post, in the same order.
	var at []time.Time
	for _, c := range s.fake.Calls() {
		if c.Method == "chat.postMessage" && c.Status == 200 && c.Error == "" {
			at = append(at, c.At)
		}
	}
	var out []soakPost
	i := 0
	for _, m := range s.fake.Messages("") {
		if m.Via != "chat.postMessage" {
			continue
		}
		t := time.Time{}
		if i < len(at) {
			t = at[i]
		}
		i++
		if m.Metadata == nil {
			continue
		}
		key, _ := m.Metadata.EventPayload["key"].(string)
		if !strings.HasPrefix(key, "reminder/") {
			continue
		}
		sec, _, _ := strings.Cut(m.TS, ".")
		unix, err := strconv.ParseInt(sec, 10, 64)
		out = append(out, soakPost{Key: m.Channel + "/" + key, At: t, Before: err == nil && unix < start.Unix()})
	}
	return out
}

func (s *slackSoak) wait(ctx context.Context, cond func() bool) error { return s.fake.Wait(ctx, cond) }

// bound: the adapter's workspace pace of chat.postMessage (480 a minute),
// unless there are fewer channels than that at one post per second each.
func (s *slackSoak) bound(n int) float64 { return min(8, float64(n)) }

func (s *slackSoak) lookups() int {
	n := 0
	for _, c := range s.fake.Calls() {
		if c.Method == "conversations.history" {
			n++
		}
	}
	return n
}

func (s *slackSoak) connected(after time.Time) time.Time {
	for _, c := range s.fake.Calls() {
		if c.At.After(after) && c.Method == "auth.test" {
			return c.At
		}
	}
	return after
}

func (s *slackSoak) limited() int { return s.fake.RateLimited() }

func (s *slackSoak) check(tb testing.TB) {
	if v := s.fake.Violations(); len(v) > 0 {
		tb.Errorf("requests failing Slack's spec: %q", v)
	}
}

// TestSoak is the soak's short form, run with every test run: a few kills
// during a burst that is due when tend first starts. BenchmarkSoak runs the
// full one.
func TestSoak(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Run("Discord", func(t *testing.T) {
		t.Logf("seed %d", seed)
		rep := runSoak(t, newDiscordSoak(t, 60, true), soakSpec{N: 60, Kills: 3, Lead: "1h", Seed: seed})
		t.Log(rep)
		judgeSoak(t, rep)
	})
	t.Run("Slack", func(t *testing.T) {
		t.Logf("seed %d", seed)
		rep := runSoak(t, newSlackSoak(t, 24), soakSpec{N: 24, Kills: 3, Lead: "1h", Seed: seed})
		t.Log(rep)
		judgeSoak(t, rep)
	})
}

// judgeSoak fails t for a lost or duplicated reminder, a reminder job
// recorded missed or failed, or one that used up attempts on restarts.
func judgeSoak(t testing.TB, rep soakReport) {
	t.Helper()
	if rep.Lost != 0 || rep.Duplicated != 0 {
		t.Errorf("%d lost, %d duplicated; want none", rep.Lost, rep.Duplicated)
	}
	if len(rep.Missed) > 0 {
		t.Errorf("reminder jobs recorded missed or failed: %q", rep.Missed)
	}
	if rep.MaxAttempts > 2 {
		// Restarts do not count as attempts: one, or two after a
		// transient error.
		t.Errorf("a reminder job recorded %d attempts after %d restarts; interrupted runs must not count", rep.MaxAttempts, rep.Restarts)
	}
}
