package slack_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/bot"
)

func addr(ch string) bot.Address {
	return bot.Address{Platform: bot.PlatformSlack, Channel: bot.ChannelID(ch)}
}

func ids(us []bot.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, string(u.ID))
	}
	slices.Sort(out)
	return out
}

func TestChannelInspector(t *testing.T) {
	e := newEnv(t, envOpts{mode: slack.ModeSocket})
	const otherBot = "U0OTHERBOT"
	e.fake.AddBotUser(otherBot, "reminders-app")
	e.fake.AddMember(groupChan, otherBot)
	e.fake.AddChannel("G0SECRET", "not-for-the-bot", true, owner)
	e.fake.RemoveBot("G0SECRET")

	t.Run("Private", func(t *testing.T) {
		for ch, want := range map[string]bool{groupChan: false, privateChan: true} {
			got, err := e.a.ChannelPrivate(e.ctx, addr(ch))
			if err != nil || got != want {
				t.Errorf("ChannelPrivate(%s) = %v, %v; want %v", ch, got, err, want)
			}
		}
		dm, err := e.a.Deliver(e.ctx, bot.DM("dm/inspect", bot.PlatformSlack, member1, bot.Message{Text: "hello"}))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.a.ChannelPrivate(e.ctx, addr(string(dm.Ref.Channel))); err != nil || !got {
			t.Errorf("ChannelPrivate(DM) = %v, %v; want true", got, err)
		}
		// A DM is a direct conversation; the private channel is not.
		if _, direct, err := e.a.ChannelHome(e.ctx, addr(string(dm.Ref.Channel))); err != nil || !direct {
			t.Errorf("ChannelHome(DM) direct = %v, %v; want true", direct, err)
		}
		if _, direct, err := e.a.ChannelHome(e.ctx, addr(privateChan)); err != nil || direct {
			t.Errorf("ChannelHome(private channel) direct = %v, %v; want false", direct, err)
		}
	})
	t.Run("Members", func(t *testing.T) {
		got, err := e.a.ChannelMembers(e.ctx, addr(groupChan))
		if err != nil {
			t.Fatal(err)
		}
		// The bot itself and the other app's bot are left out.
		if want := []string{facilitator, member1, member2, owner}; !slices.Equal(ids(got), want) {
			t.Errorf("ChannelMembers = %v; want %v", ids(got), want)
		}
		for _, u := range got {
			if u.Name == "" || u.Platform != bot.PlatformSlack {
				t.Errorf("member %+v; want a name and the platform", u)
			}
		}
		got, err = e.a.ChannelMembers(e.ctx, addr(privateChan))
		if err != nil || !slices.Equal(ids(got), []string{facilitator}) {
			t.Errorf("ChannelMembers(private) = %v, %v; want the facilitator", ids(got), err)
		}
		for u, want := range map[bot.UserID]bool{facilitator: true, member1: false} {
			if in, err := e.a.InChannel(e.ctx, addr(privateChan), u); err != nil || in != want {
				t.Errorf("InChannel(private, %s) = %v, %v; want %v", u, in, err, want)
			}
		}
	})
	t.Run("CachedThenForgottenOnLeave", func(t *testing.T) {
		before := callsOf(e.fake, "conversations.members") + callsOf(e.fake, "users.info")
		if in, err := e.a.InChannel(e.ctx, addr(groupChan), member1); err != nil || !in {
			t.Fatalf("InChannel = %v, %v", in, err)
		}
		if _, err := e.a.ChannelMembers(e.ctx, addr(groupChan)); err != nil {
			t.Fatal(err)
		}
		if n := callsOf(e.fake, "conversations.members") + callsOf(e.fake, "users.info") - before; n != 0 {
			t.Errorf("asking again within the TTL made %d calls; want 0", n)
		}
		// member_left_channel makes the next answer fresh.
		if _, err := e.fake.MemberLeft(e.ctx, member1, groupChan); err != nil {
			t.Fatal(err)
		}
		if _, ok := e.event().(*bot.MemberLeft); !ok {
			t.Fatal("no MemberLeft event")
		}
		if in, err := e.a.InChannel(e.ctx, addr(groupChan), member1); err != nil || in {
			t.Errorf("InChannel after member_left_channel = %v, %v; want false", in, err)
		}
	})
	t.Run("ForgottenOnInvite", func(t *testing.T) {
		if in, err := e.a.InChannel(e.ctx, addr(privateChan), member2); err != nil || in {
			t.Fatalf("InChannel(private, member2) = %v, %v; want false", in, err)
		}
		// tend's own invitation changes who is in the channel: the next
		// answer is fresh, not the list cached before it.
		if _, err := e.a.Deliver(e.ctx, bot.Outbound{Kind: bot.OutInvite, To: addr(privateChan), User: member2}); err != nil {
			t.Fatal(err)
		}
		if in, err := e.a.InChannel(e.ctx, addr(privateChan), member2); err != nil || !in {
			t.Errorf("InChannel after the invitation = %v, %v; want true", in, err)
		}
	})
	t.Run("Paginated", func(t *testing.T) {
		e.fake.AddChannel("C0BIG", "big", false)
		for i := range 450 {
			e.fake.AddMember("C0BIG", fmt.Sprintf("U1%05d", i))
		}
		before := callsOf(e.fake, "conversations.members")
		in, err := e.a.InChannel(e.ctx, addr("C0BIG"), "U100449")
		if err != nil || !in {
			t.Errorf("InChannel(last of 450) = %v, %v; want true", in, err)
		}
		if n := callsOf(e.fake, "conversations.members") - before; n != 3 {
			t.Errorf("%d pages read; want 3 of 200", n)
		}
	})
	// Slack sends member_joined_channel only for channels the app is in:
	// BotInChannel tells, and inviting tend makes the next answer fresh;
	// the bot's own arrival is nobody arriving.
	t.Run("BotInChannel", func(t *testing.T) {
		e.fake.AddChannel("C0LOBBY", "lobby", false)
		e.fake.RemoveBot("C0LOBBY")
		for ch, want := range map[string]bool{groupChan: true, privateChan: true, "C0LOBBY": false} {
			if in, err := e.a.BotInChannel(e.ctx, addr(ch)); err != nil || in != want {
				t.Errorf("BotInChannel(%s) = %v, %v; want %v", ch, in, err, want)
			}
		}
		if res, err := e.fake.MemberJoined(e.ctx, member1, "C0LOBBY"); err != nil || res.Status != 0 {
			t.Fatalf("joining a channel without the bot: %+v, %v; want nothing delivered", res, err)
		}
		if _, err := e.fake.InviteBot(e.ctx, "C0LOBBY"); err != nil {
			t.Fatal(err)
		}
		if in, err := e.a.BotInChannel(e.ctx, addr("C0LOBBY")); err != nil || !in {
			t.Errorf("BotInChannel after the invitation = %v, %v; want true", in, err)
		}
		if _, err := e.fake.MemberJoined(e.ctx, member2, "C0LOBBY"); err != nil {
			t.Fatal(err)
		}
		// The first event is member2's: neither member1's join (the bot
		// was not there) nor the bot's own reached the subscribers.
		if j, ok := e.event().(*bot.MemberJoined); !ok || j.User.ID != member2 || j.Channel != "C0LOBBY" {
			t.Errorf("event %#v; want member2 joining the lobby, and nothing before", j)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		for _, ch := range []string{"G0SECRET", "C0GONE"} {
			if _, err := e.a.ChannelPrivate(e.ctx, addr(ch)); !errors.Is(err, bot.ErrUnreachable) {
				t.Errorf("ChannelPrivate(%s) = %v; want ErrUnreachable", ch, err)
			}
			if _, err := e.a.ChannelMembers(e.ctx, addr(ch)); !errors.Is(err, bot.ErrUnreachable) {
				t.Errorf("ChannelMembers(%s) = %v; want ErrUnreachable", ch, err)
			}
		}
	})
}
