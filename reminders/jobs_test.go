package reminders

import (
	"fmt"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store/storetest"
)

func TestJobsFor_ShortNotice(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ser := bot.Series{Settings: bot.ReminderSettings{Leads: []time.Duration{24 * time.Hour, time.Hour}}}
	cases := []struct {
		name  string
		start time.Time
		want  []string // reminder key: due
	}{
		{"Ahead", now.Add(48 * time.Hour), []string{"reminders.reminder/7/1h@2026-12-03T11:00:00Z", "reminders.reminder/7/24h@2026-12-02T12:00:00Z"}},
		{"OneLeadPassed", now.Add(2 * time.Hour), []string{"reminders.reminder/7/1h@2026-12-01T13:00:00Z"}},
		{"AllPassed", now.Add(30 * time.Minute), []string{"reminders.reminder/7/1h@2026-12-01T12:00:00Z"}},
		{"AlreadyStarted", now.Add(-time.Minute), []string{"reminders.reminder/7/1h@2026-12-01T10:59:00Z", "reminders.reminder/7/24h@2026-11-30T11:59:00Z"}},
	}
	codec, err := bot.NewActionCodec(testKey)
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t)
	b, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: bot.NewSender(db, codec, nil, quiet(), &bottest.Platform{}), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	rm := &Reminders{b: b, clock: bottest.NewClock(now)}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, j := range rm.jobsFor(ser, now)(bot.Session{ID: 7, GroupID: 1, Start: c.start, End: c.start.Add(time.Hour)}) {
				if j.Kind == KindReminder {
					got = append(got, j.Key+"@"+j.DueAt.UTC().Format(time.RFC3339))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("reminder jobs %v; want %v", got, c.want)
			}
		})
	}
}
