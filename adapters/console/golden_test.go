package console

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // golden output must not depend on the machine's zone files

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
	"github.com/tend-bot/tend/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// testBot is a real bot.Bot over a real SQLite store and Sender, with a
// couple of test-registered commands and a button action, driven through
// the console.
type testBot struct {
	bot     *bot.Bot
	console *Adapter
	clock   *bottest.Clock
	out     *syncBuffer

	mu      sync.Mutex
	going   map[bot.UserID]bool
	presses []*bot.ButtonPress
	dms     int
}

const groupChannel = "tuesday-support"

func newTestBot(t *testing.T, script string) *testBot {
	t.Helper()
	ctx := t.Context()
	db := storetest.Open(t)
	g, err := db.CreateGroup(ctx, "console:owner", bot.Group{
		Name:         "tuesday-support",
		Address:      bot.Address{Platform: bot.PlatformConsole, Channel: groupChannel},
		Kind:         bot.KindSupport,
		Admission:    bot.AdmissionOpen,
		TimeZone:     "Europe/London",
		Privacy:      bot.PrivacyStandard,
		Facilitators: []bot.Principal{"console:ana"},
	})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := db.CreateGroup(ctx, "console:owner", bot.Group{
		Name:         "thursday-skills",
		Address:      bot.Address{Platform: bot.PlatformConsole, Channel: "thursday-skills"},
		Kind:         bot.KindSkills,
		Admission:    bot.AdmissionClosed,
		TimeZone:     "Europe/London",
		Privacy:      bot.PrivacyStandard,
		Facilitators: []bot.Principal{"console:lee"},
	})
	if err != nil {
		t.Fatal(err)
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tb := &testBot{clock: bottest.NewClock(t0), out: &syncBuffer{}, going: map[bot.UserID]bool{}}
	tb.console, err = New(Config{
		In:       strings.NewReader(script),
		Out:      tb.out,
		Channels: []bot.ChannelID{g.Address.Channel, g2.Address.Channel},
		Location: london,
		Echo:     true,
		Clock:    tb.clock,
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	codec, err := bot.NewActionCodec([]byte("golden-test-action-key-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	sender := bot.NewSender(db, codec, tb.clock, log, tb.console)
	tb.bot, err = bot.New(bot.Config{
		Groups: db,
		Owners: []bot.Principal{"console:owner"},
		Codec:  codec,
		Sender: sender,
		Clock:  tb.clock,
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	tb.register(t)
	return tb
}

// sessionStart is the next session's start in the tests: 18:00 London.
var sessionStart = time.Date(2026, time.December, 1, 18, 0, 0, 0, time.UTC)

func (tb *testBot) announcement(groupID int64) bot.Message {
	tb.mu.Lock()
	n := 0
	for _, yes := range tb.going {
		if yes {
			n++
		}
	}
	tb.mu.Unlock()
	return bot.Message{
		Title: "Session 4: Sleep and mood",
		Text:  "Starts " + bot.Time(sessionStart, bot.TimeFull) + ".",
		Fields: []bot.Field{
			{Name: "Coming", Value: fmt.Sprint(n), Inline: true},
			{Name: "Ends", Value: bot.Time(sessionStart.Add(90*time.Minute), bot.TimeClock), Inline: true},
		},
		Buttons: []bot.Button{
			{Label: "I'll be there", Style: bot.ButtonSuccess, Action: bot.Action{Name: "rsvp", Group: groupID, Ref: "yes"}},
			{Label: "Can't make it", Action: bot.Action{Name: "rsvp", Group: groupID, Ref: "no"}},
		},
		Footer: "Reply privately any time with /tend checkin",
	}
}

func (tb *testBot) register(t *testing.T) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tb.bot.Register(bot.CommandSpec{
		Path:    "session announce",
		Summary: "Post the next session with RSVP buttons",
		Access:  bot.AccessFacilitator,
		Group:   bot.GroupRequired,
		Options: []bot.Option{{Name: "round", Description: "which announcement", Type: bot.OptInt}},
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			key := "announce/" + req.Group.Name + "/" + req.Arg("round")
			return []bot.Outbound{
				bot.Post(key, req.Group.Address, tb.announcement(req.Group.ID)),
				bot.Reply("Announced the next session in #" + string(req.Group.Address.Channel) + "."),
			}, nil
		},
	}))
	must(tb.bot.Register(bot.CommandSpec{
		Path:    "checkin",
		Summary: "Get a private check-in question",
		Group:   bot.GroupOptional,
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			return []bot.Outbound{
				bot.DM("checkin/"+string(req.Actor.ID), bot.PlatformConsole, req.Actor.ID, bot.Message{
					Text: "How are you arriving today? Answer in a private message; only the facilitators see it.",
				}),
				bot.Reply("I sent you a private check-in question."),
			}, nil
		},
	}))
	must(tb.bot.Register(bot.CommandSpec{
		Path:    "group role",
		Summary: "Give someone the group's role",
		Access:  bot.AccessFacilitator,
		Group:   bot.GroupRequired,
		Options: []bot.Option{{Name: "who", Description: "the person", Type: bot.OptUser, Positional: true, Required: true}},
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			who, _ := bot.ParseMention(req.Arg("who"))
			if who == "" {
				who = bot.UserID(req.Arg("who"))
			}
			return []bot.Outbound{
				{Kind: bot.OutGrantRole, User: who, Role: "member", To: req.Group.Address},
				{Kind: bot.OutInvite, User: who, To: bot.Address{Platform: bot.PlatformConsole, Channel: "tuesday-private"}},
				bot.Reply("Done."),
			}, nil
		},
	}))
	must(tb.bot.RegisterAction(bot.ActionSpec{
		Name: "rsvp",
		Run: func(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
			press := req.Event.(*bot.ButtonPress)
			tb.mu.Lock()
			tb.presses = append(tb.presses, press)
			tb.going[req.Actor.ID] = req.Action.Ref == "yes"
			tb.mu.Unlock()
			word := "not coming"
			if req.Action.Ref == "yes" {
				word = "coming"
			}
			return []bot.Outbound{
				bot.Edit(press.Message, tb.announcement(req.Group.ID)),
				bot.Reply(fmt.Sprintf("Thanks, %s: you're down as %s.", req.Actor.Name, word)),
			}, nil
		},
	}))
	tb.bot.Subscribe("dm", func(ctx context.Context, ev bot.Event) ([]bot.Outbound, error) {
		if _, ok := ev.(*bot.DirectMessage); !ok {
			return nil, nil
		}
		tb.mu.Lock()
		tb.dms++
		tb.mu.Unlock()
		return []bot.Outbound{bot.Reply("Thank you. Your answer is saved; only the facilitators of your group can see it.")}, nil
	})
}

// run runs the console over its script until end of input.
func (tb *testBot) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := tb.console.Run(ctx, tb.bot); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Run returned because its context ended, not at end of input")
	}
	tb.console.readers.Wait()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update to accept it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

const sessionScript = `/help
/tend session announce
/in tuesday-support
/tend session announce round:1
/as ana
/tend session announce round:1
/as sam
/click 1
/as kim
/click 2
/tend checkin
I have been sleeping badly this week
/as sam
/click 2
/click 9
/leave
/leave
/as ana
/tend group role @kim
/tend bogus
/tend session announce round:"2
/as tend
/tend session announce round:3
/as ana
/quit
/tend session announce round:4
`

func TestGolden_Session(t *testing.T) {
	tb := newTestBot(t, sessionScript)
	tb.run(t)
	out := tb.out.String()
	golden(t, "session", out)

	// Checks that hold whatever the golden file says.
	if strings.ContainsAny(out, "\uE000\uE001") {
		t.Error("output leaks a raw time placeholder")
	}
	if strings.Contains(out, "round:4") {
		t.Error("a line after /quit was read")
	}
	// Owner and ana announce the same round: posted once. The line typed
	// as the bot itself and the malformed one post nothing.
	if n := strings.Count(out, "in #tuesday-support:\n  Session 4"); n != 1 {
		t.Errorf("announcement posted %d times; want once", n)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.presses) != 3 {
		t.Fatalf("%d presses reached the action; want 3 (sam yes, kim no, sam no)", len(tb.presses))
	}
	for _, p := range tb.presses {
		if p.Message.ID != "2" || p.Message.Channel != groupChannel {
			t.Errorf("press on %+v; want the announcement, message #2 in #%s", p.Message, groupChannel)
		}
	}
	if tb.going["sam"] || tb.going["kim"] {
		t.Errorf("going = %v; want both not coming after sam changed their answer", tb.going)
	}
	if tb.dms != 1 {
		t.Errorf("%d private messages reached the bot; want 1", tb.dms)
	}
	if strings.Contains(out, "(only kim sees this) I have been sleeping") {
		t.Error("a private answer was shown back")
	}
}

const groupsScript = `/as lee
/in thursday-skills
/tend help
/tend session announce round:1
/in tuesday-support
/tend session announce round:1
/as ana
/tend session announce round:1
/as sam
/in thursday-skills
/click 1
/tend session announce round:2
/in console
/tend checkin
/click 2
`

// TestGolden_Groups: two groups, facilitators refused outside their own,
// and a choice pressed from another channel acting on its own message.
func TestGolden_Groups(t *testing.T) {
	tb := newTestBot(t, groupsScript)
	tb.run(t)
	golden(t, "groups", tb.out.String())
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.presses) != 2 {
		t.Fatalf("%d presses; want 2", len(tb.presses))
	}
	for _, p := range tb.presses {
		if p.Message.Channel != "thursday-skills" || p.Channel != "thursday-skills" {
			t.Errorf("press from %s on %+v; want both in thursday-skills, where the message is", p.Channel, p.Message)
		}
	}
}
