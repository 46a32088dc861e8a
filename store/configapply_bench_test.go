package store_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
)

// BenchmarkConfigFirstStart stores what a config file's first start
// stores for 100,000 groups, each with a weekly series, its next session
// and the session's four jobs (two reminders, start, end): groups in bulk
// (AddConfigGroups), then series, sessions and jobs in bulk (AddSeries),
// 5,000 groups at a time, as cmd/tend applies the file. It reports the
// wall time and the process's CPU time (user and system) of a start: on a
// shared machine the CPU time is the steadier figure.
//
//	go test -run '^$' -bench ConfigFirstStart -benchtime 1x ./store
func BenchmarkConfigFirstStart(b *testing.B) {
	const n, chunk = 100000, 5000
	now := time.Date(2030, 1, 7, 12, 0, 0, 0, time.UTC)
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for range b.N {
		b.StopTimer()
		db, err := store.Open(b.Context(), b.TempDir()+"/tend.db")
		if err != nil {
			b.Fatal(err)
		}
		db.Now = func() time.Time { return now }
		b.StartTimer()
		for c := range slices.Chunk(seq(n), chunk) {
			gs := make([]bot.Group, len(c))
			for k, i := range c {
				gs[k] = bot.Group{Name: "g" + strconv.Itoa(i), Address: bot.Address{Platform: "bench", Channel: bot.ChannelID("c" + strconv.Itoa(i))},
					Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard}
			}
			added, err := db.AddConfigGroups(b.Context(), "system:config", gs)
			if err != nil || len(added) != len(gs) {
				b.Fatalf("%d of %d groups added: %v", len(added), len(gs), err)
			}
			series := make([]bot.Series, len(added))
			for k, g := range added {
				series[k] = bot.Series{GroupID: g.ID, Schedule: bot.Schedule{Weekly: "mon 18:00", Duration: time.Hour, Starts: "2030-01-07"},
					Settings: bot.ReminderSettings{Leads: []time.Duration{24 * time.Hour, time.Hour}, RSVP: true}, Source: bot.SourceConfig}
			}
			skipped, err := db.AddSeries(b.Context(), now, series,
				func(s bot.Series) []bot.Session {
					// Spread over the week, as many groups' series are.
					start := now.Add(time.Duration(s.GroupID*7919%(7*24*60)) * time.Minute)
					return []bot.Session{{GroupID: s.GroupID, Number: 1, Start: start, End: start.Add(time.Hour), Status: bot.SessionScheduled}}
				},
				func(s bot.Series, ss bot.Session) []bot.Job {
					p, _ := json.Marshal(map[string]int64{"session": ss.ID})
					id := strconv.FormatInt(ss.ID, 10)
					return []bot.Job{
						{Kind: "reminders.reminder", Key: "reminders.reminder/" + id + "/24h", GroupID: s.GroupID, SessionID: ss.ID, DueAt: ss.Start.Add(-24 * time.Hour), Payload: p},
						{Kind: "reminders.reminder", Key: "reminders.reminder/" + id + "/1h", GroupID: s.GroupID, SessionID: ss.ID, DueAt: ss.Start.Add(-time.Hour), Payload: p},
						{Kind: "reminders.start", Key: "reminders.start/" + id, GroupID: s.GroupID, SessionID: ss.ID, DueAt: ss.Start, Payload: p},
						{Kind: "reminders.end", Key: "reminders.end/" + id, GroupID: s.GroupID, SessionID: ss.ID, DueAt: ss.End, Payload: p},
					}
				}, nil)
			if err != nil || len(skipped) != 0 {
				b.Fatalf("add series: %v (%d skipped)", err, len(skipped))
			}
		}
		b.StopTimer()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/start")
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime) - syscall.TimevalToNsec(ru0.Utime) + syscall.TimevalToNsec(ru1.Stime) - syscall.TimevalToNsec(ru0.Stime))
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/start")
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
