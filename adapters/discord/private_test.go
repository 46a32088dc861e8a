package discord_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/discord"
	"github.com/tend-bot/tend/bot"
)

// lockedLog is a log sink safe for the adapter's goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitLog waits until the log holds want.
func waitLog(t *testing.T, logs *lockedLog, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(logs.String(), want) {
		select {
		case <-ctx.Done():
			t.Fatalf("the log never said %q:\n%s", want, logs.String())
		case <-tick.C:
		}
	}
}

// TestAdapter_FailedPrivateReplyNamesNobody: when the private reply to a
// person's DM fails (Discord refuses the payload; later, their DMs are
// closed; then the DM channel refuses the bot), the log says so, at every
// level down to debug, without their user id or their DM channel.
func TestAdapter_FailedPrivateReplyNamesNobody(t *testing.T) {
	logs := &lockedLog{}
	w := newWorld(t, worldOpts{tweak: func(c *discord.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	dm := w.fake.DMChannel(w.member)
	w.fake.RejectCreates(dm, 1)
	w.fake.UserMessage(w.member, dm, "hello")
	waitLog(t, logs, "replying privately to an event failed")
	w.fake.CloseDMs(w.member)
	w.fake.UserMessage(w.member, dm, "hello")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for strings.Count(logs.String(), "replying privately to an event failed") < 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("the second failed reply was not logged:\n%s", logs.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	// The DM channel itself refuses the bot (403 Missing Access).
	w.fake.Forbid(dm)
	w.fake.UserMessage(w.member, dm, "hello")
	for strings.Count(logs.String(), "replying privately to an event failed") < 3 {
		select {
		case <-ctx.Done():
			t.Fatalf("the third failed reply was not logged:\n%s", logs.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, w.member) || strings.Contains(l, dm) {
			t.Errorf("a log line names the member or their DM channel: %s", l)
		}
	}
}

// TestAdapter_EditedDMExamined: a person's edit of a DM to the bot
// (MESSAGE_UPDATE) reaches the core with its new text, marked edited; an
// update that is not an edit (no edited_timestamp: a link preview) and
// the bot's own edits do not.
func TestAdapter_EditedDMExamined(t *testing.T) {
	w := newWorld(t, worldOpts{})
	dm := w.fake.DMChannel(w.member)
	id := w.fake.UserMessage(w.member, dm, "see you tuesday")
	w.waitEvent(t, "the DM", func(e bot.Event) bool {
		d, ok := e.(*bot.DirectMessage)
		return ok && d.Text == "see you tuesday" && !d.Edited
	})
	w.fake.Dispatch("MESSAGE_UPDATE", map[string]any{"id": id, "channel_id": dm, "embeds": []any{}})
	w.fake.EditMessage(id, "i dont want to be here anymore")
	d := w.waitEvent(t, "the edited DM", func(e bot.Event) bool {
		d, ok := e.(*bot.DirectMessage)
		return ok && d.Edited
	}).(*bot.DirectMessage)
	if d.Text != "i dont want to be here anymore" || !d.DM || d.User.ID != bot.UserID(w.member) || d.Channel != bot.ChannelID(dm) {
		t.Errorf("edited DM %+v; want the new text from the member", d)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, e := range w.events {
		if _, ok := e.(*bot.DirectMessage); ok {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d direct messages reached the core; want the message and its edit (not the preview update)", n)
	}
}

// TestAdapter_DMRefusalsNameNobody: a DM the bot opened and then cannot
// post in or edit (the DM channel answers 403 Missing Access) fails with
// errors, and logs, that name neither the person nor their DM channel;
// the DM channel is not marked unreachable, and the next DM is tried.
func TestAdapter_DMRefusalsNameNobody(t *testing.T) {
	logs := &lockedLog{}
	w := newWorld(t, worldOpts{tweak: func(c *discord.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	d, err := w.ad.Deliver(ctx, bot.DM("", bot.PlatformDiscord, bot.UserID(w.member), bot.Message{Text: "a note for you"}))
	if err != nil {
		t.Fatal(err)
	}
	dm := string(d.Ref.Channel)
	w.fake.Forbid(dm)
	var errs []error
	_, err = w.ad.Deliver(ctx, bot.Outbound{Kind: bot.OutEdit, Ref: d.Ref, Message: bot.Message{Text: "edited"}})
	errs = append(errs, err)
	_, err = w.ad.Deliver(ctx, bot.DM("", bot.PlatformDiscord, bot.UserID(w.member), bot.Message{Text: "another"}))
	errs = append(errs, err)
	_, err = w.ad.Deliver(ctx, bot.DM("", bot.PlatformDiscord, bot.UserID(w.member), bot.Message{Text: "and another"}))
	errs = append(errs, err)
	n := 0
	for _, r := range w.fake.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/channels/"+dm+"/messages") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d posts reached the DM channel; want 3 (a refusal must not stop the next try)", n)
	}
	for _, err := range errs {
		if err == nil || !errors.Is(err, bot.ErrUnreachable) {
			t.Errorf("a refused DM: %v; want ErrUnreachable", err)
			continue
		}
		if strings.Contains(err.Error(), dm) || strings.Contains(err.Error(), w.member) {
			t.Errorf("the error names the DM channel or the person: %v", err)
		}
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, w.member) || strings.Contains(l, dm) {
			t.Errorf("a log line names the member or their DM channel: %s", l)
		}
	}
}
