package slack

import (
	"log/slog"
	"testing"
	"time"

	"github.com/tend-bot/tend/bot/bottest"
)

// TestAdapter_PostsStartAtTheirPace: a process cannot know how much of
// chat.postMessage's workspace limit the process before it spent just
// before a crash, so a new adapter's posts start at their steady pace (480
// a minute) with no burst; methods that answer people start with theirs.
func TestAdapter_PostsStartAtTheirPace(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := bottest.NewClock(start)
	a, err := New(Config{BotToken: "xoxb-x", AppToken: "xapp-x", Clock: clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	posts := a.methodLimiters["chat.postMessage"]
	if n := posts.TokensAt(start); n > 0.01 {
		t.Errorf("chat.postMessage starts with %.1f posts of burst; want none", n)
	}
	if n := posts.TokensAt(start.Add(time.Second)); n < 7.9 || n > 8.1 {
		t.Errorf("chat.postMessage allows %.1f posts in its first second; want its pace, 8", n)
	}
	if n := a.methodLimiters["conversations.members"].TokensAt(start); n < 20 {
		t.Errorf("conversations.members starts with %.1f calls; want its burst of 20", n)
	}
}
