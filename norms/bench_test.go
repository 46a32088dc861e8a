package norms

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store"
)

// benchGroup is a group of n members on a real database file: it requires
// agreement, every other member agreed, and one in ten is a newcomer who
// agreed and waits for access. It returns the feature, its
// bot and the group.
func benchGroup(b *testing.B, n int) (*Feature, *bot.Bot, bot.Group) {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "tend.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	rec := &bottest.Platform{}
	plat := bottest.InspectorPlatform{Platform: rec}
	codec, _ := bot.NewActionCodec(testKey)
	sender := bot.NewSender(db, codec, nil, quiet(), plat)
	r := bot.NewRunner(bot.RunnerConfig{Store: db, Logger: quiet()})
	bt, err := bot.New(bot.Config{Groups: db, Codec: codec, Sender: sender, Logger: quiet(), Runner: r})
	if err != nil {
		b.Fatal(err)
	}
	f, err := New(db, bot.Deps{Sender: sender, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Register(bt, r); err != nil {
		b.Fatal(err)
	}
	g, err := db.CreateGroup(ctx, "console:fac", bot.Group{Name: "big", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "big"},
		Kind: bot.KindSupport, Admission: bot.AdmissionOpen, TimeZone: "UTC", Privacy: bot.PrivacyStandard, Facilitators: []bot.Principal{"console:fac"}})
	if err != nil {
		b.Fatal(err)
	}
	t, _ := LookupTemplate("support")
	v, err := db.AddNormsVersion(ctx, bot.NormsVersion{GroupID: g.ID, Items: t.Items, Author: "console:fac"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.SaveNormsSettings(ctx, "console:fac", bot.NormsSettings{GroupID: g.ID, Require: true}, nil); err != nil {
		b.Fatal(err)
	}
	users := make([]bot.User, n)
	for i := range n {
		u := bot.UserID(fmt.Sprintf("m%05d", i))
		users[i] = bot.User{Platform: bot.PlatformConsole, ID: u, Name: string(u)}
		if i%2 == 0 {
			if _, _, err := db.AgreeToNorms(ctx, bot.NormsAck{GroupID: g.ID, User: u, Version: v.Version, At: v.CreatedAt}, "", nil); err != nil {
				b.Fatal(err)
			}
		}
		if i%10 == 0 {
			// A newcomer who agreed and waits for access (the longest
			// path of the participation check).
			if _, err := db.UpdateApplicant(ctx, g.ID, u, func(a *bot.Applicant, _ bool) ([]bot.Job, error) {
				a.State, a.Round, a.Pending = bot.ApplicantWaiting, 1, true
				return nil, nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	rec.SetMembers("big", users...)
	return f, bt, g
}

// BenchmarkTakesPart is the participation check that check-ins and
// attendance ask once per member and session, in a group of 1,000.
func BenchmarkTakesPart(b *testing.B) {
	_, bt, g := benchGroup(b, 1000)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, _, err := bt.TakesPart(ctx, g, bot.UserID(fmt.Sprintf("m%05d", i%1000))); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkStatus renders norms status for a group of 1,000 members, half
// of whom agreed (a hundred of them newcomers waiting for access).
func BenchmarkStatus(b *testing.B) {
	f, _, g := benchGroup(b, 1000)
	ctx := context.Background()
	req := &bot.Request{Group: &g, Actor: bot.User{Platform: bot.PlatformConsole, ID: "fac"}, Facilitator: true}
	for b.Loop() {
		outs, err := f.cmdStatus(ctx, req)
		if err != nil || len(outs) != 1 {
			b.Fatal(err)
		}
	}
}
