package store_test

import (
	"errors"
	"testing"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store/storetest"
)

// TestSender_PrepareDeliverAbandon drives bot.Sender's two steps over the
// real outbox: Prepare records the attempt and sends nothing; Deliver sends
// once; Abandon takes an attempt back; a sent key prepares as Done.
func TestSender_PrepareDeliverAbandon(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	rec := &bottest.Platform{}
	s := bot.NewSender(db, nil, nil, quietLog(), rec)
	to := bot.Address{Platform: rec.Name(), Channel: "c"}
	post := bot.Post("k1", to, bot.Message{Text: "hello"})

	pr, err := s.Prepare(ctx, post)
	if err != nil || pr.Done() {
		t.Fatalf("prepare: %v, done %v", err, pr != nil && pr.Done())
	}
	if n := len(rec.Deliveries()); n != 0 {
		t.Fatalf("prepare delivered %d outbounds", n)
	}
	if e, err := db.OutboxEntry(ctx, "k1"); err != nil || e.State != bot.OutboxSending || e.Attempts != 1 {
		t.Fatalf("outbox after prepare: %+v, %v", e, err)
	}
	if err := pr.Replace(bot.Post("other", to, bot.Message{Text: "x"})); err == nil {
		t.Fatal("Replace accepted another key")
	}
	if err := pr.Replace(bot.Post("k1", to, bot.Message{Text: "hello again"})); err != nil {
		t.Fatal(err)
	}
	res, err := pr.Deliver(ctx)
	if err != nil || res.Duplicate {
		t.Fatalf("deliver: %+v, %v", res, err)
	}
	if posts := rec.Posts(); len(posts) != 1 || posts[0].Out.Message.Text != "hello again" {
		t.Fatalf("posts %+v; want the replaced message once", posts)
	}
	if e, err := db.OutboxEntry(ctx, "k1"); err != nil || e.State != bot.OutboxSent || e.Attempts != 1 {
		t.Fatalf("outbox after deliver: %+v, %v", e, err)
	}
	// A second Deliver of the same preparation, or a new one, sends nothing.
	if res, err := pr.Deliver(ctx); err != nil || !res.Duplicate {
		t.Fatalf("second deliver: %+v, %v; want a duplicate", res, err)
	}
	pr2, err := s.Prepare(ctx, post)
	if err != nil || !pr2.Done() {
		t.Fatalf("prepare of a sent key: %v, done %v; want done", err, pr2 != nil && pr2.Done())
	}
	if err := pr2.Abandon(ctx); err != nil {
		t.Fatal(err)
	}
	if e, err := db.OutboxEntry(ctx, "k1"); err != nil || e.State != bot.OutboxSent {
		t.Fatalf("abandoning a done preparation changed the sent entry: %+v, %v", e, err)
	}
	if n := len(rec.Posts()); n != 1 {
		t.Fatalf("%d posts; want 1", n)
	}

	// Abandon takes back exactly the attempt Prepare began.
	if _, err := db.BeginOutbox(ctx, "k2", rec.Name(), bot.OutPost); err != nil { // an earlier, unknown attempt
		t.Fatal(err)
	}
	pr3, err := s.Prepare(ctx, bot.Post("k2", to, bot.Message{Text: "x"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := pr3.Abandon(ctx); err != nil {
		t.Fatal(err)
	}
	if e, err := db.OutboxEntry(ctx, "k2"); err != nil || e.State != bot.OutboxSending || e.Attempts != 1 {
		t.Fatalf("outbox after abandoning a second attempt: %+v, %v; want the first attempt kept", e, err)
	}
	pr4, err := s.Prepare(ctx, bot.Post("k3", to, bot.Message{Text: "x"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := pr4.Abandon(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OutboxEntry(ctx, "k3"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("outbox after abandoning the only attempt: %v; want no entry", err)
	}
	if n := len(rec.Deliveries()); n != 1 {
		t.Fatalf("%d deliveries; want only the one post", n)
	}
}
