package slack_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/adapters/slack/fakeslack"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store/storetest"
)

// BenchmarkReminderBurst delivers 500 reminders, all due in the same
// minute, to 500 channels through the real Runner, store, Sender and
// adapter against the fake Slack, which limits chat.postMessage per
// channel. It reports the makespan (first due to last posted), the 429s
// the fake answered and the posts lost or doubled.
//
//	go test -run '^$' -bench ReminderBurst -benchtime 1x -count 3 ./adapters/slack/
func BenchmarkReminderBurst(b *testing.B) {
	const n = 500
	for b.Loop() {
		b.StopTimer()
		fake := fakeslack.New(b, fakeslack.Options{})
		channels := make([]string, n)
		for i := range channels {
			channels[i] = fmt.Sprintf("C%07d", i)
			fake.AddChannel(channels[i], "g"+strconv.Itoa(i), false)
		}
		fo := fake.Opts()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a, err := slack.New(slack.Config{BotToken: fo.BotToken, AppToken: fo.AppToken, APIURL: fake.APIURL(), Logger: log})
		if err != nil {
			b.Fatal(err)
		}
		db := storetest.Open(b)
		codec, err := bot.NewActionCodec([]byte("benchmark-action-key-0123456789"))
		if err != nil {
			b.Fatal(err)
		}
		sender := bot.NewSender(db, codec, nil, log, a)
		runner := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: log})
		registerKind(b, runner, "test.bench-reminder", func(ctx context.Context, j bot.Job) (bot.JobResult, error) {
			ch := string(j.Payload)
			_, err := sender.Send(ctx, bot.Post("reminder/"+j.Key, bot.Address{Platform: bot.PlatformSlack, Channel: bot.ChannelID(ch)},
				bot.Message{Title: "Session 1 of 8", Text: "Starts " + bot.Time(time.Now().Add(time.Hour), bot.TimeFull),
					Buttons: []bot.Button{{Label: "I'll be there", Action: bot.Action{Name: "rsvp.yes", Group: 1, Ref: "1"}}}}))
			return bot.JobResult{}, err
		})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		due := time.Now()
		for i, ch := range channels {
			// All due within a tenth of a second, as reminders for sessions
			// that all start at 18:00 are.
			at := due.Add(time.Duration(i) * 100 * time.Millisecond / n)
			if _, err := db.EnqueueJob(ctx, bot.Job{Kind: "test.bench-reminder", Key: "test.bench-reminder/" + ch, DueAt: at, Payload: []byte(ch)}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		wg.Go(func() { _ = runner.Run(ctx) })
		if err := fake.Wait(ctx, func() bool { return len(fake.Messages("")) >= n }); err != nil {
			b.Fatalf("%v: %d of %d posted", err, len(fake.Messages("")), n)
		}
		makespan := time.Since(start)
		b.StopTimer()
		cancel()
		wg.Wait()
		seen := map[string]int{}
		for _, m := range fake.Messages("") {
			seen[m.Channel]++
		}
		lost, doubled := 0, 0
		for _, ch := range channels {
			switch seen[ch] {
			case 0:
				lost++
			case 1:
			default:
				doubled++
			}
		}
		got429 := 0
		for _, c := range fake.Calls() {
			if c.Status == 429 {
				got429++
			}
		}
		b.ReportMetric(makespan.Seconds(), "makespan-s")
		b.ReportMetric(float64(got429), "429s")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(doubled), "doubled")
		if lost+doubled > 0 {
			b.Errorf("%d reminders lost, %d doubled", lost, doubled)
		}
		b.StartTimer()
	}
}

// BenchmarkCommandAck sends /tend help at 100 commands a second for 5
// seconds and reports the p50 and p99 time from Slack sending a command to
// receiving its acknowledgement (which carries the answer).
//
//	go test -run '^$' -bench CommandAck -benchtime 1x -count 5 ./adapters/slack/
func BenchmarkCommandAck(b *testing.B) {
	for _, mode := range []string{slack.ModeSocket, slack.ModeHTTP} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				lat := commandAckRun(b, mode, 100, 5*time.Second)
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				b.StartTimer()
			}
		})
	}
}

func commandAckRun(b *testing.B, mode string, perSecond int, d time.Duration) []time.Duration {
	fake := fakeslack.New(b, fakeslack.Options{})
	fake.AddUser(member1, "mem1")
	fake.AddChannel(groupChan, "g", false, member1)
	fo := fake.Opts()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := slack.Config{Mode: mode, BotToken: fo.BotToken, AppToken: fo.AppToken, SigningSecret: fo.SigningSecret, APIURL: fake.APIURL(), Logger: log}
	if mode == slack.ModeHTTP {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		cfg.Listener = ln
		fake.SetHTTPTarget("http://" + ln.Addr().String())
	}
	a, err := slack.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	db := storetest.Open(b)
	codec, err := bot.NewActionCodec([]byte("benchmark-action-key-0123456789"))
	if err != nil {
		b.Fatal(err)
	}
	bt, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: bot.NewSender(db, codec, nil, log, a), Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var run sync.WaitGroup
	defer run.Wait()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	run.Go(func() { _ = a.Run(runCtx, bt) })
	if mode == slack.ModeSocket {
		if _, err := fake.Connected(ctx); err != nil {
			b.Fatal(err)
		}
	} else if _, err := fake.SlashCommand(ctx, member1, groupChan, "help"); err != nil { // warm up: listening
		b.Fatal(err)
	}

	total := int(d.Seconds()) * perSecond
	lat := make([]time.Duration, total)
	errs := make(chan error, total)
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := range total {
		<-tick.C
		wg.Go(func() {
			res, err := fake.SlashCommand(ctx, member1, groupChan, "help")
			if err != nil {
				errs <- err
				return
			}
			lat[i] = res.Latency
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return lat
}

// registerKind registers a job kind or fails the benchmark.
func registerKind(tb testing.TB, r *bot.Runner, name string, run bot.JobHandler) {
	tb.Helper()
	if err := r.Register(bot.JobKind{Name: name, Run: run}); err != nil {
		tb.Fatal(err)
	}
}
