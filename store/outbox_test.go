package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot"
)

func TestOutbox_BeginSentFailed(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()

	e, err := db.BeginOutbox(ctx, "reminder/1/24h", bot.PlatformDiscord, bot.OutPost)
	if err != nil {
		t.Fatal(err)
	}
	if e.State != bot.OutboxSending || e.Attempts != 1 || e.Kind != bot.OutPost || e.Platform != bot.PlatformDiscord || !e.Ref.IsZero() {
		t.Fatalf("new entry %+v; want sending, attempt 1", e)
	}
	// An attempt whose outcome is unknown: the next begin counts it.
	e, err = db.BeginOutbox(ctx, "reminder/1/24h", bot.PlatformDiscord, bot.OutPost)
	if err != nil || e.State != bot.OutboxSending || e.Attempts != 2 {
		t.Fatalf("second begin %+v, %v; want sending, attempt 2", e, err)
	}
	sentAt := t0.Add(time.Minute)
	d := bot.Delivered{Ref: bot.MessageRef{Platform: bot.PlatformDiscord, Channel: "c1", ID: "m1"}, At: sentAt}
	if err := db.MarkOutboxSent(ctx, "reminder/1/24h", d); err != nil {
		t.Fatal(err)
	}
	// Sent: begin changes nothing and reports where the message is.
	for range 2 {
		e, err = db.BeginOutbox(ctx, "reminder/1/24h", bot.PlatformDiscord, bot.OutPost)
		if err != nil || e.State != bot.OutboxSent || e.Attempts != 2 || e.Ref != d.Ref || !e.SentAt.Equal(sentAt) {
			t.Fatalf("begin after sent %+v, %v; want sent, attempts 2, ref %v", e, err, d.Ref)
		}
	}
	// A late failure report does not unsend a sent message.
	if err := db.MarkOutboxFailed(ctx, "reminder/1/24h", "403"); err != nil {
		t.Fatal(err)
	}
	if e, _ := db.OutboxEntry(ctx, "reminder/1/24h"); e.State != bot.OutboxSent || e.Error != "" {
		t.Errorf("after a late failure: %+v; want still sent", e)
	}

	// A DM that fails for good is not retried.
	if _, err := db.BeginOutbox(ctx, "checkin/2/sam", bot.PlatformSlack, bot.OutDM); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkOutboxFailed(ctx, "checkin/2/sam", "cannot_dm_bot"); err != nil {
		t.Fatal(err)
	}
	e, err = db.BeginOutbox(ctx, "checkin/2/sam", bot.PlatformSlack, bot.OutDM)
	if err != nil || e.State != bot.OutboxFailed || e.Attempts != 1 || e.Error != "cannot_dm_bot" || e.Kind != bot.OutDM {
		t.Fatalf("begin after failed %+v, %v; want failed, attempt 1, the reason", e, err)
	}

	for name, err := range map[string]error{
		"MarkOutboxSent":   db.MarkOutboxSent(ctx, "nope", d),
		"MarkOutboxFailed": db.MarkOutboxFailed(ctx, "nope", "x"),
		"OutboxEntry":      second(db.OutboxEntry(ctx, "nope")),
	} {
		if !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("%s of a missing key: %v, want ErrNotFound", name, err)
		}
	}
	if _, err := db.BeginOutbox(ctx, "", bot.PlatformSlack, bot.OutDM); err == nil {
		t.Error("BeginOutbox accepted an empty key")
	}
}

// TestOutbox_HandOff: an attempt is handed off once it may reach the
// platform; later attempts keep that until a lookup finds nothing; a sent
// entry is not touched.
func TestOutbox_HandOff(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	const key = "reminder/5/1m"
	e, err := db.BeginOutbox(ctx, key, bot.PlatformDiscord, bot.OutPost)
	if err != nil || !e.HandedAt.IsZero() {
		t.Fatalf("new entry %+v, %v; want not handed off", e, err)
	}
	// Prepared again (a restart before the hand-off): still not handed.
	if e, _ = db.BeginOutbox(ctx, key, bot.PlatformDiscord, bot.OutPost); e.Attempts != 2 || !e.HandedAt.IsZero() {
		t.Fatalf("second begin %+v; want 2 attempts, not handed off", e)
	}
	at := t0.Add(time.Minute)
	if err := db.MarkOutboxHandedOff(ctx, key, at); err != nil {
		t.Fatal(err)
	}
	// The next attempt sees that one may have been delivered.
	if e, _ = db.BeginOutbox(ctx, key, bot.PlatformDiscord, bot.OutPost); e.Attempts != 3 || !e.HandedAt.Equal(at) {
		t.Fatalf("begin after a hand-off %+v; want 3 attempts, handed off at %v", e, at)
	}
	// Looked for and not found: the next attempt need not look again.
	if err := db.ClearOutboxHandOff(ctx, key); err != nil {
		t.Fatal(err)
	}
	if e, _ = db.OutboxEntry(ctx, key); !e.HandedAt.IsZero() {
		t.Fatalf("after clearing %+v; want not handed off", e)
	}
	if err := db.MarkOutboxHandedOff(ctx, key, at); err != nil {
		t.Fatal(err)
	}
	d := bot.Delivered{Ref: bot.MessageRef{Platform: bot.PlatformDiscord, Channel: "c1", ID: "m1"}, At: at}
	if err := db.MarkOutboxSent(ctx, key, d); err != nil {
		t.Fatal(err)
	}
	// A sent entry stays as it is.
	if err := db.MarkOutboxHandedOff(ctx, key, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.ClearOutboxHandOff(ctx, key); err != nil {
		t.Fatal(err)
	}
	if e, _ = db.OutboxEntry(ctx, key); e.State != bot.OutboxSent || !e.HandedAt.Equal(at) {
		t.Errorf("sent entry after late hand-off calls: %+v; want unchanged", e)
	}
	if err := db.MarkOutboxHandedOff(ctx, "nope", at); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("hand-off of a missing key: %v; want ErrNotFound", err)
	}
}

// TestOutbox_WithSender runs the real bot.Sender over the store: a key is
// delivered once however often it is sent.
func TestOutbox_WithSender(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	p := &countingPlatform{}
	s := bot.NewSender(db, nil, nil, nil, p)
	post := bot.Post("k1", bot.Address{Platform: "console", Channel: "c1"}, bot.Message{Text: "hello"})
	for i := range 3 {
		res, err := s.Send(ctx, post)
		if err != nil {
			t.Fatal(err)
		}
		if res.Duplicate != (i > 0) || res.Ref.ID != "m1" {
			t.Errorf("send %d: %+v", i, res)
		}
	}
	if p.n != 1 {
		t.Errorf("platform got %d deliveries, want 1", p.n)
	}
}

type countingPlatform struct{ n int }

func (p *countingPlatform) Name() string { return "console" }

func (p *countingPlatform) Run(ctx context.Context, _ bot.Handler) error {
	<-ctx.Done()
	return nil
}

func (p *countingPlatform) Deliver(_ context.Context, out bot.Outbound) (bot.Delivered, error) {
	p.n++
	return bot.Delivered{Ref: bot.MessageRef{Platform: "console", Channel: out.To.Channel, ID: bot.MessageID(fmt.Sprint("m", p.n))}}, nil
}
