package bot

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// voicePlatform is a recPlatform that knows who is in voice channels.
type voicePlatform struct {
	*recPlatform
	in map[ChannelID][]UserID
}

func (p voicePlatform) VoiceMembers(_ context.Context, a Address) ([]UserID, error) {
	return slices.Clone(p.in[a.Channel]), nil
}

func TestBot_InVoice(t *testing.T) {
	codec, err := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	disc := voicePlatform{recPlatform: &recPlatform{name: PlatformDiscord}, in: map[ChannelID][]UserID{"V1": {"111", "222"}}}
	slack := &recPlatform{name: PlatformSlack}
	sender := NewSender(&memOutbox{}, codec, nil, discardLog, disc, slack)
	b, err := New(Config{Groups: &memGroups{}, Codec: codec, Sender: sender, Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	got, err := b.InVoice(ctx, Address{Platform: PlatformDiscord, Channel: "V1"})
	if err != nil || !slices.Equal(got, []UserID{"111", "222"}) {
		t.Fatalf("InVoice(V1) = %v, %v; want 111 and 222", got, err)
	}
	if got, err := b.InVoice(ctx, Address{Platform: PlatformDiscord, Channel: "V2"}); err != nil || len(got) != 0 {
		t.Fatalf("InVoice(empty channel) = %v, %v; want nobody", got, err)
	}
	for _, p := range []string{PlatformSlack, PlatformConsole} {
		if _, err := b.InVoice(ctx, Address{Platform: p, Channel: "C1"}); !errors.Is(err, ErrNoVoice) {
			t.Errorf("InVoice on %s: %v; want ErrNoVoice (no voice channels there)", p, err)
		}
	}
}

func TestAttendee_Key(t *testing.T) {
	for _, a := range []Attendee{{User: "123456789"}, {User: "sam", MemberID: 4}, {MemberID: 17}} {
		got, ok := ParseAttendeeKey(a.Key())
		want := a
		if a.User != "" {
			want.MemberID = 0 // an account's key names the account only
		}
		if !ok || got != want {
			t.Errorf("ParseAttendeeKey(%q) = %+v, %v; want %+v", a.Key(), got, ok, want)
		}
	}
	for _, bad := range []string{"", "u:", "m:", "m:x", "m:-1", "x:1"} {
		if _, ok := ParseAttendeeKey(bad); ok {
			t.Errorf("ParseAttendeeKey(%q) accepted", bad)
		}
	}
}
