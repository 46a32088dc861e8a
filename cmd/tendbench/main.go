// Command tendbench measures the reminders feature at scale, side by side
// with robfig/cron's own runner given the same schedules:
//
//   - load: how long until N groups declared in a config file, each with a
//     weekly series (two lead times), are stored and scheduled at a first
//     start into an empty database (groups, series, sessions and jobs, as
//     cmd/tend applies the file); how long a restart over that database
//     takes until the runner knows its next due job; and how long applying
//     the same file again takes — against cron.New plus AddFunc for the
//     same N entries on a running cron, which keeps nothing across restarts
//     and so pays this at every start;
//   - memory: the peak heap while loading and firing, for each, and tend's
//     peak resident set;
//   - lateness: p50/p99/max delay of the reminders when D of them fall due
//     at the same second (platform sends stubbed as instant).
//
// Timing is reported, never asserted. Run it with -runs 5 to get medians:
//
//	go run ./cmd/tendbench -groups 100000 -due 5000 -runs 5
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
	"github.com/tend-bot/tend/groups"
	"github.com/tend-bot/tend/reminders"
	"github.com/tend-bot/tend/store"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tendbench:", err)
		os.Exit(1)
	}
}

type benchConfig struct {
	groups, due, runs int
	dir               string
	skipCron          bool
	workers           int
	lookahead         time.Duration
	cpuprofile        string
	startprofile      string
}

func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("tendbench", flag.ContinueOnError)
	var c benchConfig
	fs.IntVar(&c.groups, "groups", 100000, "groups, each with a weekly series and two lead times")
	fs.IntVar(&c.due, "due", 5000, "reminders that fall due at the same second")
	fs.IntVar(&c.runs, "runs", 1, "repetitions; medians are reported")
	fs.StringVar(&c.dir, "dir", "", "directory for the database files (default: a temporary one)")
	fs.BoolVar(&c.skipCron, "skip-cron", false, "measure tend only")
	fs.IntVar(&c.workers, "workers", 0, "runner workers (default: the runner's)")
	fs.DurationVar(&c.lookahead, "lookahead", 5*time.Second, "how early reminder jobs start to prepare (cmd/tend uses 5s; 0: only once due)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of tend's firing phase (first run) to this file")
	fs.StringVar(&c.startprofile, "startprofile", "", "write a CPU profile of tend's first start (first run) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.due > c.groups {
		return fmt.Errorf("-due %d is more than -groups %d", c.due, c.groups)
	}
	if c.dir == "" {
		d, err := os.MkdirTemp("", "tendbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		c.dir = d
	}
	var results []result
	for i := range c.runs {
		r, err := once(c, i)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "run %d: %s\n", i+1, r)
		results = append(results, r)
	}
	fmt.Fprintf(w, "\nmedians over %d run(s), %d groups, %d due at once, GOMAXPROCS=%d:\n", len(results), c.groups, c.due, runtime.GOMAXPROCS(0))
	med := func(f func(result) float64) float64 {
		v := make([]float64, len(results))
		for i, r := range results {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	fmt.Fprintf(w, "  tend  schedule from config (empty db): %10.0f ms\n", med(func(r result) float64 { return ms(r.tendSchedule) }))
	fmt.Fprintf(w, "  tend  load at restart (ready to fire): %10.2f ms\n", med(func(r result) float64 { return ms(r.tendRestart) }))
	fmt.Fprintf(w, "  tend  unchanged config re-applied:     %10.0f ms\n", med(func(r result) float64 { return ms(r.tendReapply) }))
	fmt.Fprintf(w, "  tend  peak heap:                       %10.1f MB\n", med(func(r result) float64 { return r.tendPeakMB }))
	fmt.Fprintf(w, "  tend  peak RSS (process, so far):      %10.1f MB\n", med(func(r result) float64 { return r.tendRSSMB }))
	fmt.Fprintf(w, "  tend  lateness p50 / p99 / max:        %8.1f / %8.1f / %8.1f ms\n",
		med(func(r result) float64 { return ms(r.tendLate.p50) }), med(func(r result) float64 { return ms(r.tendLate.p99) }), med(func(r result) float64 { return ms(r.tendLate.max) }))
	if !c.skipCron {
		fmt.Fprintf(w, "  cron  load at start (AddFunc, Start):  %10.0f ms\n", med(func(r result) float64 { return ms(r.cronStartLoad) }))
		fmt.Fprintf(w, "  cron  load (AddFunc on a running cron): %9.0f ms\n", med(func(r result) float64 { return ms(r.cronLoad) }))
		fmt.Fprintf(w, "  cron  peak heap:                       %10.1f MB\n", med(func(r result) float64 { return r.cronPeakMB }))
		fmt.Fprintf(w, "  cron  lateness p50 / p99 / max:        %8.1f / %8.1f / %8.1f ms\n",
			med(func(r result) float64 { return ms(r.cronLate.p50) }), med(func(r result) float64 { return ms(r.cronLate.p99) }), med(func(r result) float64 { return ms(r.cronLate.max) }))
		fmt.Fprintf(w, "  load at start, cron / tend restart:    %10.0f×\n", med(func(r result) float64 { return float64(r.cronStartLoad) / float64(r.tendRestart) }))
		fmt.Fprintf(w, "  load, running cron / tend restart:     %10.0f×\n", med(func(r result) float64 { return float64(r.cronLoad) / float64(r.tendRestart) }))
	}
	var ru runtimeMem
	ru.read()
	fmt.Fprintf(w, "  process peak RSS (both, whole run):    %10.1f MB\n", ru.hwmMB)
	return nil
}

type lateStats struct{ p50, p99, max time.Duration }

func (l lateStats) String() string {
	return fmt.Sprintf("p50 %s p99 %s max %s", l.p50.Round(time.Microsecond), l.p99.Round(time.Microsecond), l.max.Round(time.Microsecond))
}

func stats(ds []time.Duration) lateStats {
	if len(ds) == 0 {
		return lateStats{}
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return lateStats{p50: at(0.50), p99: at(0.99), max: ds[len(ds)-1]}
}

type result struct {
	tendSchedule, tendRestart time.Duration
	tendReapply               time.Duration
	tendPeakMB                float64
	tendRSSMB                 float64
	tendLate                  lateStats
	cronLoad                  time.Duration
	cronStartLoad             time.Duration
	cronPeakMB                float64
	cronLate                  lateStats
}

func (r result) String() string {
	s := fmt.Sprintf("tend schedule %s, restart load %s, config re-applied %s, peak heap %.1f MB, peak RSS %.1f MB, lateness %s",
		r.tendSchedule.Round(time.Millisecond), r.tendRestart.Round(time.Microsecond), r.tendReapply.Round(time.Millisecond), r.tendPeakMB, r.tendRSSMB, r.tendLate)
	if r.cronLoad > 0 {
		s += fmt.Sprintf("; cron load before Start %s, into a running cron %s, peak heap %.1f MB, lateness %s",
			r.cronStartLoad.Round(time.Millisecond), r.cronLoad.Round(time.Millisecond), r.cronPeakMB, r.cronLate)
	}
	return s
}

// zones the groups are spread over.
var zones = []string{"Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Santiago", "Europe/Berlin", "UTC"}

var days = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// spec returns group i's weekly spec. The first `due` groups meet in UTC at
// dueAt + 1h so that their 1h reminders all fall due at dueAt; the others
// meet at spread times that are not due during the run.
func spec(i, due int, dueAt time.Time) (zone, weekly string) {
	if i < due {
		s := dueAt.Add(time.Hour)
		return "UTC", fmt.Sprintf("%s %02d:%02d", days[s.Weekday()], s.Hour(), s.Minute())
	}
	// Avoid the next 26 hours of weekdays: the day after tomorrow on.
	d := (int(dueAt.Weekday()) + 2 + i%5) % 7
	return zones[i%len(zones)], fmt.Sprintf("%s %02d:%02d", days[d], 8+i%12, (i*7)%60)
}

// cronSpec is the same schedule's 1h reminder as a cron entry.
func cronSpec(zone, weekly string) string {
	day, clock, _ := strings.Cut(weekly, " ")
	h, _ := strconv.Atoi(clock[:2])
	m, _ := strconv.Atoi(clock[3:])
	di := slices.Index(days, day)
	h--
	if h < 0 {
		h, di = 23, (di+6)%7
	}
	return fmt.Sprintf("CRON_TZ=%s %d %d * * %d", zone, m, h, di)
}

// memSampler records the peak heap in use while it runs, read through
// runtime/metrics, which (unlike runtime.ReadMemStats) does not stop the
// world at every sample.
type memSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

// heapInUse is the heap's in-use spans, as MemStats.HeapInuse: the bytes
// of objects and the unused bytes of the spans they are in.
var heapInUse = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

func sample() *memSampler {
	s := &memSampler{stop: make(chan struct{})}
	runtime.GC()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		ms := make([]metrics.Sample, len(heapInUse))
		for i, name := range heapInUse {
			ms[i].Name = name
		}
		for {
			metrics.Read(ms)
			var inUse uint64
			for _, m := range ms {
				inUse += m.Value.Uint64()
			}
			if inUse > s.peak.Load() {
				s.peak.Store(inUse)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *memSampler) done() float64 {
	close(s.stop)
	s.wg.Wait()
	return float64(s.peak.Load()) / (1 << 20)
}

// runtimeMem reads the process's peak resident set (Linux).
type runtimeMem struct{ hwmMB float64 }

func (r *runtimeMem) read() {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			r.hwmMB = kb / 1024
		}
	}
}

// stubPlatform delivers instantly and records when each reminder post was
// handed to it.
type stubPlatform struct {
	mu    sync.Mutex
	n     int
	at    map[string]time.Time
	count atomic.Int64
}

func (p *stubPlatform) Name() string { return "bench" }

func (p *stubPlatform) Run(ctx context.Context, _ bot.Handler) error {
	<-ctx.Done()
	return nil
}

func (p *stubPlatform) Deliver(_ context.Context, out bot.Outbound) (bot.Delivered, error) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if out.Kind == bot.OutPost && strings.HasPrefix(out.Key, "reminder/") {
		if _, dup := p.at[out.Key]; !dup {
			p.at[out.Key] = now
			p.count.Add(1)
		}
	}
	return bot.Delivered{Ref: bot.MessageRef{Platform: "bench", Channel: out.To.Channel, ID: bot.MessageID(strconv.Itoa(p.n))}, At: now}, nil
}

type tend struct {
	db     *store.DB
	runner *bot.Runner
	rm     *reminders.Reminders
}

// applyChunk is how many groups are applied at a time, as in cmd/tend.
const applyChunk = 5000

// apply applies n declared groups as cmd/tend applies a config file at
// start, a chunk at a time: each group's declaration digested, the groups
// stored (those whose declaration changed), their series scheduled, the
// digests recorded. group returns the i-th group of the file: the file is
// made a chunk at a time, as it is applied, so that the peak memory is
// tend's and not a copy of the whole file (cmd/tend holds the parsed file
// as its config).
func (td *tend) apply(ctx context.Context, n int, group func(i int) config.Group) error {
	names := make([]string, n)
	for i := range n {
		names[i] = group(i).Name
	}
	run, err := groups.BeginConfig(ctx, td.db, names)
	if err != nil {
		return err
	}
	for off := 0; off < n; off += applyChunk {
		file := make([]config.Group, min(applyChunk, n-off))
		decl := make([]groups.Declared, len(file))
		for k := range file {
			file[k] = group(off + k)
			decl[k] = groups.Declared{Group: file[k].Group, Digest: file[k].Digest("tendbench")}
		}
		applied, err := run.Apply(ctx, decl)
		if err != nil {
			return err
		}
		var scheds []reminders.ConfigSchedule
		for k, g := range file {
			if applied.Changed[k] {
				scheds = append(scheds, reminders.ConfigSchedule{Group: applied.Groups[k], Schedule: *g.Schedule, Settings: g.Reminders})
			}
		}
		if len(scheds) > 0 {
			if err := td.rm.ApplyConfigs(ctx, scheds); err != nil {
				return err
			}
		}
		if err := applied.Record(ctx, td.db); err != nil {
			return err
		}
	}
	return run.End(ctx)
}

func open(ctx context.Context, path string, plat *stubPlatform, workers int, lookahead time.Duration) (*tend, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	key, err := db.ActionKey(ctx)
	if err != nil {
		return nil, err
	}
	codec, err := bot.NewActionCodec(key)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sender := bot.NewSender(db, codec, nil, log, plat)
	r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: log, Workers: workers, Lookahead: lookahead})
	b, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: sender, Logger: log, Runner: r})
	if err != nil {
		return nil, err
	}
	rm, err := reminders.New(db, bot.Deps{Sender: sender, Logger: log})
	if err == nil {
		err = rm.Register(b, r)
	}
	if err != nil {
		return nil, err
	}
	return &tend{db: db, runner: r, rm: rm}, nil
}

func once(c benchConfig, run int) (result, error) {
	ctx := context.Background()
	var res result
	path := filepath.Join(c.dir, fmt.Sprintf("bench-%d.db", run))
	plat := &stubPlatform{at: map[string]time.Time{}}
	td, err := open(ctx, path, plat, c.workers, c.lookahead)
	if err != nil {
		return res, err
	}
	// The file: every group with its weekly series. The due second is a
	// whole minute far enough ahead for the three phases below.
	dueAt := time.Now().Add(90*time.Second + time.Duration(c.groups)*50*time.Microsecond).Truncate(time.Minute).Add(time.Minute)
	settings := reminders.Settings{Leads: []time.Duration{24 * time.Hour, time.Hour}, RSVP: true}
	starts := time.Now().UTC().Format(time.DateOnly)
	group := func(i int) config.Group {
		zone, weekly := spec(i, c.due, dueAt)
		return config.Group{
			Group: bot.Group{
				Name: "g" + strconv.Itoa(i), Address: bot.Address{Platform: "bench", Channel: bot.ChannelID("c" + strconv.Itoa(i))},
				Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: zone, Privacy: bot.PrivacyStandard,
			},
			Schedule:  &bot.Schedule{Weekly: weekly, Duration: time.Hour, Starts: starts},
			Reminders: settings,
		}
	}

	// tend: the first start with the file, into an empty database.
	mem := sample()
	if c.startprofile != "" && run == 0 {
		f, err := os.Create(c.startprofile)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
	}
	start := time.Now()
	if err := td.apply(ctx, c.groups, group); err != nil {
		return res, fmt.Errorf("first start: %w", err)
	}
	res.tendSchedule = time.Since(start)
	if c.startprofile != "" && run == 0 {
		pprof.StopCPUProfile()
	}
	if err := td.db.Close(); err != nil {
		return res, err
	}

	// tend: restart over the database, until the runner knows its next
	// due job. This is all a start costs, however many series there are.
	start = time.Now()
	td, err = open(ctx, path, plat, c.workers, c.lookahead)
	if err != nil {
		return res, err
	}
	if _, err := td.db.ResetRunningJobs(ctx); err != nil {
		return res, err
	}
	if _, _, err := td.db.NextJobDue(ctx); err != nil {
		return res, err
	}
	res.tendRestart = time.Since(start)

	// tend: the same file applied again at that start; unchanged, it only
	// reads the digests.
	start = time.Now()
	if err := td.apply(ctx, c.groups, group); err != nil {
		return res, fmt.Errorf("start again: %w", err)
	}
	res.tendReapply = time.Since(start)
	if time.Until(dueAt) < c.lookahead {
		return res, fmt.Errorf("the due second %s came before the runner started; try fewer groups", dueAt.Format(time.TimeOnly))
	}

	// Fire: run tend's runner through the due second.
	stopProfile := func() {}
	if c.cpuprofile != "" && run == 0 {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if d := time.Until(dueAt); d > 0 {
			time.Sleep(d - min(d, 100*time.Millisecond))
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
		stopProfile = pprof.StopCPUProfile
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := td.runner.Run(rctx); err != nil {
			fmt.Fprintln(os.Stderr, "runner:", err)
		}
	}()
	deadline := dueAt.Add(5 * time.Minute)
	for plat.count.Load() < int64(c.due) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	stopProfile()
	res.tendPeakMB = mem.done()
	var ru runtimeMem
	ru.read()
	res.tendRSSMB = ru.hwmMB
	plat.mu.Lock()
	var late []time.Duration
	for _, at := range plat.at {
		late = append(late, at.Sub(dueAt))
	}
	plat.mu.Unlock()
	if err := td.db.Close(); err != nil {
		return res, err
	}
	if len(late) < c.due {
		return res, fmt.Errorf("only %d of %d reminders were sent within 5 minutes", len(late), c.due)
	}
	res.tendLate = stats(late)
	if c.skipCron {
		return res, nil
	}

	// cron, as a bot would load it at start: every entry added, then
	// Start (which computes each entry's next time).
	{
		start := time.Now()
		cr := cron.New()
		for i := range c.groups {
			zone, weekly := spec(i, c.due, dueAt)
			if _, err := cr.AddFunc(cronSpec(zone, weekly), func() {}); err != nil {
				return res, fmt.Errorf("cron entry %d: %w", i, err)
			}
		}
		cr.Start()
		_ = cr.Entries() // answered once the run loop has computed every next time
		res.cronStartLoad = time.Since(start)
		<-cr.Stop().Done()
	}

	// cron: the same schedules (each group's 1h reminder) added to a
	// running cron, the ones not due first, then the due ones.
	runtime.GC()
	cmem := sample()
	var (
		cronMu    sync.Mutex
		cronFired []time.Duration
	)
	cr := cron.New()
	cr.Start()
	add := func(i int, dueAt time.Time) error {
		zone, weekly := spec(i, c.due, dueAt)
		_, err := cr.AddFunc(cronSpec(zone, weekly), func() {
			late := time.Since(dueAt)
			cronMu.Lock()
			cronFired = append(cronFired, late)
			cronMu.Unlock()
		})
		return err
	}
	start = time.Now()
	for i := c.due; i < c.groups; i++ {
		if err := add(i, time.Now()); err != nil {
			return res, fmt.Errorf("cron entry %d: %w", i, err)
		}
	}
	// Adding to a running cron gets slower as it grows: leave twice the
	// measured time per entry for the due ones.
	perAdd := time.Since(start) / time.Duration(max(1, c.groups-c.due))
	cronDue := time.Now().Add(20*time.Second + 2*perAdd*time.Duration(c.due)).Truncate(time.Minute).Add(time.Minute)
	for i := range c.due {
		if err := add(i, cronDue); err != nil {
			return res, fmt.Errorf("cron entry %d: %w", i, err)
		}
	}
	// AddFunc returns once the entry is handed over; a snapshot is
	// answered only after the run loop has taken every earlier addition.
	_ = cr.Entries()
	res.cronLoad = time.Since(start)
	deadline = cronDue.Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		cronMu.Lock()
		n := len(cronFired)
		cronMu.Unlock()
		if n >= c.due {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-cr.Stop().Done()
	res.cronPeakMB = cmem.done()
	cronMu.Lock()
	res.cronLate = stats(cronFired)
	cronMu.Unlock()
	return res, nil
}
