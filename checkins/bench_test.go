package checkins

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the raw baseline talks to SQLite directly

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store/storetest"
)

// BenchmarkAnswers compares durable answer writes — each answer committed
// before its member is answered, through the feature's writer and the
// store, many members answering at once — with raw batched inserts of the
// same rows into the same kind of table on the same machine, in
// transactions of 256. Run:
//
//	go test ./checkins -run '^$' -bench Answers -benchtime 20000x
//
// The target is durable ≥ 0.5 × raw (see the README).
func BenchmarkAnswers(b *testing.B) {
	b.Run("durable", func(b *testing.B) {
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
		w := answerWriter{st: db}
		var n atomic.Int64
		b.SetParallelism(32) // many members pressing at once
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				out, err := w.write(ctx, bot.CheckInAnswer{CheckInID: c.ID, User: bot.UserID(fmt.Sprintf("u%d", i)), Level: int(i%5) + 1, At: now})
				if err == nil {
					err = out.Err
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s")
		b.ReportMetric(float64(b.N)/float64(w.commits.Load()), "answers/commit")
	})
	b.Run("raw-batched", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "raw.db")
		q := url.Values{}
		for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		raw, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			b.Fatal(err)
		}
		defer raw.Close()
		raw.SetMaxOpenConns(1)
		ctx := context.Background()
		if _, err := raw.ExecContext(ctx, `CREATE TABLE answers (checkin_id INTEGER NOT NULL, user_id TEXT NOT NULL, level INTEGER NOT NULL DEFAULT 0,
			text TEXT NOT NULL DEFAULT '', pass INTEGER NOT NULL DEFAULT 0, at INTEGER NOT NULL, PRIMARY KEY (checkin_id, user_id)) WITHOUT ROWID`); err != nil {
			b.Fatal(err)
		}
		now := time.Now().Unix()
		b.ResetTimer()
		for done := 0; done < b.N; {
			tx, err := raw.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			st, err := tx.PrepareContext(ctx, `INSERT INTO answers (checkin_id, user_id, level, text, pass, at) VALUES (?, ?, ?, '', 0, ?)`)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 256 && done < b.N; i++ {
				if _, err := st.ExecContext(ctx, 1, fmt.Sprintf("u%d", done), done%5+1, now); err != nil {
					b.Fatal(err)
				}
				done++
			}
			st.Close()
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s")
	})
}
