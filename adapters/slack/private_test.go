package slack_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/bot"
)

// waitLogCount waits until the log holds want n times.
func waitLogCount(t *testing.T, logs *syncBuffer, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(logs.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the log did not say %q %d times:\n%s", want, n, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAdapter_FailedPrivateReplyNamesNobody: when the answer to a
// person's DM fails, transiently until the retries give up or at once
// (Slack refuses the channel), no log line at any level, debug included,
// names the person or their DM channel.
func TestAdapter_FailedPrivateReplyNamesNobody(t *testing.T) {
	logs := &syncBuffer{}
	e := newEnv(t, envOpts{tweak: func(c *slack.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.MaxRetries = 2
	}})
	e.fake.Fail("chat.postMessage", 500, 3) // the first try and both retries
	if _, err := e.fake.DirectMessage(e.ctx, member1, "I feel low today"); err != nil {
		t.Fatal(err)
	}
	waitLogCount(t, logs, "answering an event failed", 1)
	e.fake.FailWith("chat.postMessage", "channel_not_found", 1)
	if _, err := e.fake.DirectMessage(e.ctx, member1, "still low"); err != nil {
		t.Fatal(err)
	}
	waitLogCount(t, logs, "answering an event failed", 2)
	out := logs.String()
	if !strings.Contains(out, "retrying") {
		t.Errorf("the transient failure was not retried:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, member1) || strings.Contains(l, "D0MEM1") {
			t.Errorf("a log line names the member or their DM channel: %s", l)
		}
	}
}

// TestAdapter_FileShareAndEditedDMExamined: a DM that shares a file
// carries words (subtype file_share) and an edited DM carries new words
// (message_changed): both reach the core as direct messages, the edit
// marked edited; a file shared without words does not.
func TestAdapter_FileShareAndEditedDMExamined(t *testing.T) {
	for _, mode := range []string{slack.ModeSocket, slack.ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, envOpts{mode: mode})
			if _, err := e.fake.DirectMessageFile(e.ctx, member1, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := e.fake.DirectMessageFile(e.ctx, member1, "this is the note i wrote for them"); err != nil {
				t.Fatal(err)
			}
			d, ok := e.event().(*bot.DirectMessage)
			if !ok || d.Text != "this is the note i wrote for them" || d.Edited || d.User.ID != member1 || !d.DM {
				t.Fatalf("event %#v; want the words shared with the file (the file alone is not a message)", d)
			}
			if _, err := e.fake.EditDirectMessage(e.ctx, member1, "see you tuesday", "i dont want to be here anymore"); err != nil {
				t.Fatal(err)
			}
			d, ok = e.event().(*bot.DirectMessage)
			if !ok || d.Text != "i dont want to be here anymore" || !d.Edited || d.User.ID != member1 || d.Channel != "D0MEM1" {
				t.Fatalf("event %#v; want the edit's new text from the member", d)
			}
			if v := e.fake.Violations(); len(v) > 0 {
				t.Errorf("spec violations: %v", v)
			}
		})
	}
}
