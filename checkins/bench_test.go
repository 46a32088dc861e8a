package checkins

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the raw baseline talks to SQLite directly

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
	"github.com/tend-bot/tend/store/storetest"
)

// answerBench is one database with an open check-in, written to through
// the feature's writer (durable) and through a raw connection to the same
// file (the baseline).
type answerBench struct {
	db   *store.DB
	raw  *sql.DB
	c    bot.CheckIn
	next int // the next user number: every answer is a new member's
}

func newAnswerBench(b *testing.B) *answerBench {
	db := storetest.Open(b)
	ctx := context.Background()
	g, err := db.CreateGroup(ctx, "console:fac", bot.Group{Name: "bench", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "bench"},
		Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	c, _, err := db.OpenCheckIn(ctx, bot.CheckIn{GroupID: g.ID, Origin: bot.OriginDemand, Key: "bench", Spec: bot.CheckInSpec{Kind: bot.CheckInScale, Delivery: bot.DeliverChannel},
		OpenedAt: now, ClosesAt: now.Add(24 * time.Hour)}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	// The same pragmas as the store's DSN.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	raw, err := sql.Open("sqlite", "file:"+db.Path()+"?"+q.Encode())
	if err != nil {
		b.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	b.Cleanup(func() { raw.Close() })
	return &answerBench{db: db, raw: raw, c: c}
}

func (ab *answerBench) users(n int) []bot.UserID {
	out := make([]bot.UserID, n)
	for i := range out {
		out[i] = bot.UserID(fmt.Sprintf("u%d", ab.next))
		ab.next++
	}
	return out
}

// writers is how many members answer at once in the durable run.
const writers = 64

// durable writes n answers through the feature's writer, from writers
// goroutines at once, each answer committed before its writer goes on;
// it returns the time taken and the transactions used.
func (ab *answerBench) durable(b *testing.B, n int) (time.Duration, int64) {
	us := ab.users(n)
	w := &answerWriter{st: ab.db}
	ctx := context.Background()
	now := time.Now()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	start := time.Now()
	for range writers {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				out, err := w.write(ctx, bot.CheckInAnswer{CheckInID: ab.c.ID, User: us[i], Level: i%5 + 1, At: now})
				if err == nil {
					err = out.Err
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), w.commits.Load()
}

// rawBatched inserts the same n rows into the same table with prepared
// single-row INSERTs (the same six values each) in transactions of 256.
func (ab *answerBench) rawBatched(b *testing.B, n int) time.Duration {
	us := ab.users(n)
	ctx := context.Background()
	now := time.Now().Unix()
	start := time.Now()
	for done := 0; done < n; {
		tx, err := ab.raw.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO checkin_answers (checkin_id, user_id, level, text, pass, at) VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 256 && done < n; i++ {
			if _, err := st.ExecContext(ctx, ab.c.ID, string(us[done]), done%5+1, "", false, now); err != nil {
				b.Fatal(err)
			}
			done++
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// BenchmarkAnswers compares durable answer writes — each answer committed
// before its member is answered, through the feature's writer and the
// store, 64 members answering at once — with raw batched inserts of the
// same rows into the same table (its keys and foreign key) on the same
// machine: prepared single-row INSERTs in transactions of 256. The
// machine is shared, so "ratio" interleaves the two, 5,000 answers each
// per round, and reports the median of the rounds' throughput ratios
// (durable / raw). Run:
//
//	go test ./checkins -run '^$' -bench Answers/ratio -benchtime 10x
//
// The target is a ratio ≥ 0.5 (see the README). "durable" and
// "raw-batched" measure each alone.
func BenchmarkAnswers(b *testing.B) {
	b.Run("durable", func(b *testing.B) {
		ab := newAnswerBench(b)
		b.ResetTimer()
		_, commits := ab.durable(b, b.N)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s")
		b.ReportMetric(float64(b.N)/float64(commits), "answers/commit")
	})
	b.Run("raw-batched", func(b *testing.B) {
		ab := newAnswerBench(b)
		b.ResetTimer()
		ab.rawBatched(b, b.N)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s")
	})
	b.Run("ratio", func(b *testing.B) {
		const n = 5000
		ab := newAnswerBench(b)
		var ratios, durable, raw []float64
		for range b.N {
			d, _ := ab.durable(b, n)
			r := ab.rawBatched(b, n)
			durable = append(durable, n/d.Seconds())
			raw = append(raw, n/r.Seconds())
			ratios = append(ratios, r.Seconds()/d.Seconds())
		}
		med := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
		b.ReportMetric(med(ratios), "durable/raw")
		b.ReportMetric(med(durable), "durable-answers/s")
		b.ReportMetric(med(raw), "raw-answers/s")
		b.ReportMetric(0, "ns/op")
	})
}
