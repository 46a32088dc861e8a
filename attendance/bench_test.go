package attendance

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store"
)

// BenchmarkSessionEnd_10000 measures recording attendance for a group of
// 10,000 members at one session's end: reading the roster and the evidence
// (half pressed "I'm here", a fifth were in the voice channel, a tenth
// answered the check-in, one in twenty said they could not come), storing
// every mark in one transaction, the facilitators' summary and the drift
// check. Each iteration closes a new session of the same group.
//
//	go test ./attendance -run '^$' -bench SessionEnd -benchtime 20x
func BenchmarkSessionEnd_10000(b *testing.B) {
	const members = 10000
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "tend.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	codec, _ := bot.NewActionCodec(testKey)
	rec := &bottest.Platform{}
	sender := bot.NewSender(db, codec, nil, quiet(), rec)
	r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quiet()})
	bb, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: sender, Logger: quiet(), Runner: r})
	if err != nil {
		b.Fatal(err)
	}
	f, err := New(db, bot.Deps{Sender: sender, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Register(bb, r); err != nil {
		b.Fatal(err)
	}
	g, err := db.CreateGroup(ctx, "console:fac", bot.Group{Name: "big", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "big"},
		Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard, Facilitators: []bot.Principal{"console:fac"}})
	if err != nil {
		b.Fatal(err)
	}
	users := make([]bot.UserID, members)
	for i := range users {
		users[i] = bot.UserID(fmt.Sprintf("member%05d", i))
		if _, err := db.AddMember(ctx, "console:fac", bot.Member{GroupID: g.ID, User: users[i], Name: fmt.Sprintf("Member %d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	set := Defaults()
	set.VoiceChannel, set.MinMinutes = "voice", 5
	start := time.Date(2027, 1, 5, 18, 0, 0, 0, time.UTC)
	ser := bot.Series{GroupID: g.ID, Schedule: bot.Schedule{Weekly: "tue 18:00", Duration: time.Hour, Starts: "2027-01-05"}}
	if _, err := db.SaveSeries(ctx, ser, start, nil); err != nil {
		b.Fatal(err)
	}
	voice := bot.Address{Platform: bot.PlatformConsole, Channel: "voice"}
	// session prepares session n with its evidence, outside the timer.
	session := func(n int) bot.Session {
		st := start.AddDate(0, 0, 7*n)
		s, _, err := db.MaterializeSession(ctx, bot.Session{GroupID: g.ID, Number: n + 1, Start: st, End: st.Add(time.Hour), Status: bot.SessionScheduled},
			func(bot.Session) []bot.Job { return nil })
		if err != nil {
			b.Fatal(err)
		}
		if err := db.SetSessionStatus(ctx, s.ID, bot.SessionDone); err != nil {
			b.Fatal(err)
		}
		var inVoice []bot.UserID
		for i, u := range users {
			switch {
			case i%2 == 0:
				if _, err := db.RecordPresence(ctx, s.ID, u, SourceButton, st.Add(time.Duration(i%20)*time.Minute)); err != nil {
					b.Fatal(err)
				}
			case i%5 == 1:
				inVoice = append(inVoice, u)
			case i%10 == 3:
				if _, err := db.RecordPresence(ctx, s.ID, u, SourceCheckin, st.Add(3*time.Minute)); err != nil {
					b.Fatal(err)
				}
			case i%20 == 5:
				if err := db.SetRSVP(ctx, bot.RSVP{SessionID: s.ID, User: u, Answer: bot.RSVPNo, At: st.Add(-time.Hour)}); err != nil {
					b.Fatal(err)
				}
			}
		}
		if _, err := db.WatchVoice(ctx, s.ID, voice, s.End, inVoice, st); err != nil {
			b.Fatal(err)
		}
		return s
	}
	b.ResetTimer()
	marks := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := session(i)
		b.StartTimer()
		if err := f.ended(ctx, g, s, set); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		ms, err := db.SessionMarks(ctx, s.ID)
		if err != nil || len(ms) != members {
			b.Fatalf("%d marks, %v; want %d", len(ms), err, members)
		}
		marks += len(ms)
		b.StartTimer()
	}
	b.ReportMetric(float64(marks)/b.Elapsed().Seconds(), "marks/s")
}
