package discord_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord"
	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store/storetest"
)

// benchRig is the real adapter, store, Sender, Bot and job Runner against a
// fake Discord that enforces the global 50 requests/s and the per-channel
// buckets and validates every request against Discord's spec.
type benchRig struct {
	fake   *discordtest.Server
	ad     *discord.Adapter
	sender *bot.Sender
	runner *bot.Runner
	bot    *bot.Bot
	guild  string
	stop   func()
}

func newBenchRig(b *testing.B) *benchRig {
	b.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fake := discordtest.New(b, discordtest.Config{SkipValidation: !*benchValidate})
	r := &benchRig{fake: fake, guild: fake.AddGuild("bench")}
	db := storetest.Open(b)
	ctx := context.Background()
	key, err := db.ActionKey(ctx)
	if err != nil {
		b.Fatal(err)
	}
	codec, err := bot.NewActionCodec(key)
	if err != nil {
		b.Fatal(err)
	}
	r.ad, err = discord.New(discord.Config{Token: fake.Token(), ApplicationID: fake.AppID(), GuildIDs: []string{r.guild}, APIURL: fake.APIURL(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	r.sender = bot.NewSender(db, codec, nil, quiet, r.ad)
	r.bot, err = bot.New(bot.Config{Groups: db, Codec: codec, Sender: r.sender, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	r.runner = bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quiet})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { _ = r.ad.Run(runCtx, r.bot); done <- struct{}{} }()
	go func() { _ = r.runner.Run(runCtx); done <- struct{}{} }()
	var once sync.Once
	r.stop = func() { once.Do(func() { cancel(); <-done; <-done }) }
	b.Cleanup(r.stop)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := fake.WaitConnected(wctx, 1); err != nil {
		b.Fatal(err)
	}
	if err := fake.WaitFor(wctx, "/tend registered", func() bool { return len(fake.Commands(r.guild)) == 1 }); err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkReminderBurst: 5,000 reminders due within one minute, one per
// channel, through the durable job runner and the exactly-once Sender. The
// bound is Discord's global limit: 5,000 requests at 50/s take 100 s.
// Reported: makespan from the first due time to the last post, its ratio to
// the bound, 429s received and posts lost.
//
//	go test -run '^$' -bench ReminderBurst -benchtime 1x -timeout 30m ./adapters/discord/
func BenchmarkReminderBurst(b *testing.B) {
	const n = 5000
	for range b.N {
		b.StopTimer()
		r := newBenchRig(b)
		channels := make([]string, n)
		for i := range channels {
			channels[i] = r.fake.AddChannel(r.guild, fmt.Sprintf("c%d", i), discordtest.ChannelText)
		}
		registerKind(b, r.runner, "test.bench-reminder", func(ctx context.Context, j bot.Job) (bot.JobResult, error) {
			ch := string(j.Payload)
			at := time.Now().Add(time.Hour)
			msg := bot.Message{
				Title:  "Session 3 of 8: distress tolerance",
				Text:   "Starts " + bot.Time(at, bot.TimeFull) + " (" + bot.Time(at, bot.TimeRelative) + ")",
				Fields: []bot.Field{{Name: "Coming", Value: "0 coming · 0 can't make it", Inline: true}},
				Buttons: []bot.Button{
					{Label: "I'll be there", Style: bot.ButtonSuccess, Action: bot.Action{Name: "rsvp.yes", Group: 1, Ref: j.Key}},
					{Label: "Can't make it", Action: bot.Action{Name: "rsvp.no", Group: 1, Ref: j.Key}},
				},
			}
			_, err := r.sender.Send(ctx, bot.Post("reminder/"+j.Key, bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(ch)}, msg))
			return bot.JobResult{}, err
		})
		ctx := context.Background()
		first := time.Now().Add(2 * time.Second)
		for i, ch := range channels {
			due := first.Add(time.Duration(i) * time.Minute / n)
			if _, err := r.runner.Enqueue(ctx, bot.Job{Kind: "test.bench-reminder", Key: "test.bench-reminder/" + fmt.Sprint(i), DueAt: due, Payload: []byte(ch)}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		err := r.fake.WaitFor(wctx, "every reminder", func() bool { return r.fake.Stats().Created >= n })
		cancel()
		b.StopTimer()
		if err != nil {
			b.Fatalf("%v: %d of %d posted", err, r.fake.Stats().Created, n)
		}
		var last time.Time
		for _, s := range r.fake.Shown() {
			if s.Kind == "post" && s.At.After(last) {
				last = s.At
			}
		}
		lost := 0
		for _, ch := range channels {
			if len(r.fake.Messages(ch)) != 1 {
				lost++
			}
		}
		st := r.fake.Stats()
		makespan := last.Sub(first)
		bound := time.Duration(n) * time.Second / 50
		b.ReportMetric(makespan.Seconds(), "makespan-s")
		b.ReportMetric(makespan.Seconds()/bound.Seconds(), "x-bound")
		b.ReportMetric(float64(st.TooMany), "429s")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(st.Invalid), "invalid")
		r.stop()
	}
}

// BenchmarkInteractionLatency: 200 interactions/s for 10 s (/tend help
// through the real Bot), measured at the fake from INTERACTION_CREATE
// dispatch to the callback's arrival.
//
//	go test -run '^$' -bench InteractionLatency -benchtime 1x ./adapters/discord/
func BenchmarkInteractionLatency(b *testing.B) {
	const rate, seconds = 200, 10
	for range b.N {
		b.StopTimer()
		r := newBenchRig(b)
		ch := r.fake.AddChannel(r.guild, "group", discordtest.ChannelText)
		user := r.fake.AddUser("sam", false)
		r.fake.AddMember(r.guild, discordtest.Member{UserID: user})
		b.StartTimer()
		tick := time.NewTicker(time.Second / rate)
		ids := make([]string, 0, rate*seconds)
		for len(ids) < rate*seconds {
			<-tick.C
			id, err := r.fake.Command(user, ch, "tend", []string{"help"}, nil)
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, id)
		}
		tick.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var lat []time.Duration
		for _, id := range ids {
			it, err := r.fake.WaitAnswered(ctx, id)
			if err != nil {
				cancel()
				b.Fatal(err)
			}
			lat = append(lat, it.CallbackAt.Sub(it.ArrivedAt))
		}
		cancel()
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		r.stop()
	}
}

// The fake's OpenAPI validation costs about 15 ms of CPU per request, on the
// same cores as the adapter, so benchmarks leave it off unless asked; the
// tests validate every request the benchmarks make.
var benchValidate = flag.Bool("validate", false, "benchmarks: validate every request against Discord's OpenAPI spec")

// registerKind registers a job kind or fails the benchmark.
func registerKind(tb testing.TB, r *bot.Runner, name string, run bot.JobHandler) {
	tb.Helper()
	if err := r.Register(bot.JobKind{Name: name, Run: run}); err != nil {
		tb.Fatal(err)
	}
}
