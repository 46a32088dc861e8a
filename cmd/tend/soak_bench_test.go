package main

import (
	"flag"
	"slices"
	"testing"
	"time"
)

// The soak in full, as the issue ran it: 1,000 reminders on Discord and 100
// on Slack, a 1-minute lead, 20 SIGKILLs at random points of the burst.
// Each run waits for the next whole minute, so it takes one to two minutes:
//
//	go test ./cmd/tend -run '^$' -bench Soak -benchtime 1x -count 3 -timeout 30m
//
// It reports lost and duplicated reminders (want 0), the drain rate after
// the restarts as a share of the rate the adapter allows (drain-ratio; want
// at least 0.9), the median time from a restart to its first post, and the
// history reads made. -soak.n, -soak.kills and -soak.lead change the shape.
var (
	soakN     = flag.Int("soak.n", 0, "reminders in BenchmarkSoak's burst (default 1000 on Discord, 100 on Slack)")
	soakKills = flag.Int("soak.kills", 20, "SIGKILLs during BenchmarkSoak's burst")
	soakLead  = flag.String("soak.lead", "1m", "lead of BenchmarkSoak's reminders: 1m (on time, prepared ahead) or 1h (a backlog from the start)")
	soakSeed  = flag.Uint64("soak.seed", 0, "seed of the kill points (default: the time)")
)

func BenchmarkSoak(b *testing.B) {
	b.Run("Discord", func(b *testing.B) {
		n := *soakN
		if n == 0 {
			n = 1000
		}
		benchSoak(b, func() soakTarget { return newDiscordSoak(b, n, false) }, n)
	})
	b.Run("Slack", func(b *testing.B) {
		n := *soakN
		if n == 0 {
			n = 100
		}
		benchSoak(b, func() soakTarget { return newSlackSoak(b, n) }, n)
	})
}

func benchSoak(b *testing.B, target func() soakTarget, n int) {
	var rep soakReport
	for i := 0; b.Loop(); i++ {
		seed := *soakSeed
		if seed == 0 {
			seed = uint64(time.Now().UnixNano())
		}
		b.Logf("seed %d", seed)
		rep = runSoak(b, target(), soakSpec{N: n, Kills: *soakKills, Lead: *soakLead, Setup: setupFor(n), Seed: seed})
		b.Log(rep)
	}
	b.ReportMetric(float64(rep.Lost), "lost")
	b.ReportMetric(float64(rep.Duplicated), "duplicated")
	b.ReportMetric(rep.Ratio(), "drain-ratio")
	b.ReportMetric(rep.DrainRate, "drain-posts/s")
	b.ReportMetric(median(rep.FirstPost).Seconds(), "s-to-first-post")
	b.ReportMetric(float64(rep.Lookups), "history-reads")
	b.ReportMetric(rep.Spare.Seconds(), "s-spare")
	judgeSoak(b, rep)
}

// setupFor is how long the first start may take with n groups before the
// burst is due.
func setupFor(n int) time.Duration {
	return 10*time.Second + time.Duration(n)*10*time.Millisecond
}

// median returns the middle of ds, or 0.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
