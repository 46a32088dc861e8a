package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// inspectPlatform is a recPlatform that can tell which channels are
// private.
type inspectPlatform struct {
	*recPlatform
	private map[ChannelID]bool
}

func (p inspectPlatform) ChannelPrivate(_ context.Context, a Address) (bool, error) {
	v, ok := p.private[a.Channel]
	if !ok {
		return false, Unreachable("no such channel %s", a.Channel)
	}
	return v, nil
}
func (p inspectPlatform) InChannel(context.Context, Address, UserID) (bool, error) { return false, nil }
func (p inspectPlatform) ChannelMembers(context.Context, Address) ([]User, error)  { return nil, nil }

func newNotifyFixture(t *testing.T, g Group, closed ...UserID) (*Bot, *recPlatform) {
	t.Helper()
	codec, err := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recPlatform{name: "slack", fail: func(o Outbound) error {
		for _, u := range closed {
			if o.Kind == OutDM && o.User == u {
				return Unreachable("DMs closed")
			}
		}
		return nil
	}}
	plat := inspectPlatform{recPlatform: rec, private: map[ChannelID]bool{"GSTAFF": true, "CPUBLIC": false}}
	sender := NewSender(&memOutbox{}, codec, nil, discardLog, plat)
	b, err := New(Config{Groups: &memGroups{groups: []Group{g}}, Owners: []Principal{"slack:UOWNER", "discord:1234567"}, Codec: codec, Sender: sender, Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	return b, rec
}

func slackGroup(ch ChannelID, facilitators ...Principal) Group {
	return Group{ID: 3, Name: "clinic", Address: Address{Platform: "slack", Channel: "CGROUP"}, Kind: KindTherapy,
		Admission: AdmissionClosed, TimeZone: "UTC", Privacy: PrivacyMinimal, Facilitators: facilitators, FacilitatorsChannel: ch}
}

func TestTellFacilitators(t *testing.T) {
	ctx := context.Background()
	msg := Message{Title: "Check-in summary", Text: "C-014 passed"}

	t.Run("PrivateChannel", func(t *testing.T) {
		b, rec := newNotifyFixture(t, slackGroup("GSTAFF", "slack:UFAC1", "slack:UFAC2"))
		for range 2 {
			r, err := b.TellFacilitators(ctx, slackGroup("GSTAFF", "slack:UFAC1", "slack:UFAC2"), "summary/1", msg)
			if err != nil || !r.Channel || r.DMs != 0 {
				t.Fatalf("reach %+v, %v; want the private channel", r, err)
			}
		}
		d := rec.delivered()
		if len(d) != 1 || d[0].Kind != OutPost || d[0].To.Channel != "GSTAFF" {
			t.Fatalf("delivered %+v; want one post in the private channel, once", d)
		}
	})

	t.Run("PublicChannelRefused", func(t *testing.T) {
		g := slackGroup("CPUBLIC", "slack:UFAC1", "slack:UFAC2")
		b, rec := newNotifyFixture(t, g)
		if err := b.CheckFacilitatorsChannel(ctx, g, "CPUBLIC"); err == nil || !strings.Contains(err.Error(), "not private") {
			t.Fatalf("check of a public channel: %v; want refused as not private", err)
		}
		if err := b.CheckFacilitatorsChannel(ctx, g, "CGROUP"); err == nil || !strings.Contains(err.Error(), "own channel") {
			t.Fatalf("check of the group's own channel: %v", err)
		}
		r, err := b.TellFacilitators(ctx, g, "summary/1", msg)
		if err != nil || r.Channel || r.DMs != 2 {
			t.Fatalf("reach %+v, %v; want DMs, not the public channel", r, err)
		}
		var dms, owner int
		for _, o := range rec.delivered() {
			switch {
			case o.Kind == OutPost:
				t.Fatalf("posted in a channel: %+v", o)
			case o.Kind == OutDM && o.User == "UOWNER":
				owner++
				if !strings.Contains(o.Message.Text, "not private") {
					t.Errorf("owner notice %q", o.Message.Text)
				}
			case o.Kind == OutDM:
				dms++
				if o.Message.Text != msg.Text {
					t.Errorf("facilitator DM %+v", o.Message)
				}
			}
		}
		if dms != 2 || owner != 1 {
			t.Fatalf("%d facilitator DMs, %d owner notices; want 2 and 1", dms, owner)
		}
	})

	t.Run("ClosedDMs", func(t *testing.T) {
		g := slackGroup("", "slack:UFAC1", "slack:UFAC2", "role:999")
		b, rec := newNotifyFixture(t, g, "UFAC2")
		r, err := b.TellFacilitators(ctx, g, "alert/7", msg)
		if err != nil || r.DMs != 1 || len(r.Unreachable) != 1 || r.Unreachable[0] != "slack:UFAC2" {
			t.Fatalf("reach %+v, %v", r, err)
		}
		for _, o := range rec.delivered() {
			if o.Kind == OutPost {
				t.Fatalf("a closed DM fell back to a channel post: %+v", o)
			}
			if o.Kind == OutDM && o.User == "UOWNER" && !strings.Contains(o.Message.Text, "<@UFAC2>") {
				t.Errorf("owner notice does not name the facilitator: %q", o.Message.Text)
			}
		}
	})

	t.Run("NobodyButOwners", func(t *testing.T) {
		g := slackGroup("", "role:999")
		b, rec := newNotifyFixture(t, g)
		r, err := b.TellFacilitators(ctx, g, "alert/8", msg)
		if err != nil || !r.Owners || r.DMs != 0 {
			t.Fatalf("reach %+v, %v; want the owners told instead", r, err)
		}
		d := rec.delivered()
		if len(d) != 1 || d[0].User != "UOWNER" || !strings.Contains(d[0].Message.Title, "clinic") {
			t.Fatalf("delivered %+v; want the slack owner, with the group named", d)
		}
	})

	t.Run("TransientRetried", func(t *testing.T) {
		g := slackGroup("", "slack:UFAC1")
		b, rec := newNotifyFixture(t, g)
		rec.fail = func(Outbound) error { return errors.New("503") }
		if _, err := b.TellFacilitators(ctx, g, "alert/9", msg); err == nil {
			t.Fatal("a transient failure was swallowed; the calling job must retry")
		}
	})
}

// TestAlertFacilitators: an alert is TellFacilitators in the urgent lane:
// the post in the private channel, each facilitator's DM and the owners'
// stand-in DMs are all Urgent; TellFacilitators' are not.
func TestAlertFacilitators(t *testing.T) {
	ctx := context.Background()
	msg := Message{Title: "Safety alert", Text: "C-014 may be at risk"}
	for name, tc := range map[string]struct {
		g      Group
		closed []UserID
		kinds  []OutboundKind
	}{
		"Channel":  {g: slackGroup("GSTAFF", "slack:UFAC1"), kinds: []OutboundKind{OutPost}},
		"DMs":      {g: slackGroup("", "slack:UFAC1", "slack:UFAC2"), kinds: []OutboundKind{OutDM, OutDM}},
		"OwnersIn": {g: slackGroup("", "slack:UFAC1"), closed: []UserID{"UFAC1"}, kinds: []OutboundKind{OutDM}},
	} {
		t.Run(name, func(t *testing.T) {
			b, rec := newNotifyFixture(t, tc.g, tc.closed...)
			r, err := b.AlertFacilitators(ctx, tc.g, "safety/alert/1/post", msg)
			if err != nil || !r.Reached() {
				t.Fatalf("reach %+v, %v", r, err)
			}
			var got []OutboundKind
			for _, o := range rec.delivered() {
				if o.Message.Title != msg.Title && !strings.Contains(o.Message.Title, msg.Title) {
					continue // a note to the owners about a closed DM
				}
				if !o.Urgent {
					t.Errorf("%s to %s%s is not urgent", o.Kind, o.To.Channel, o.User)
				}
				got = append(got, o.Kind)
			}
			if len(got) != len(tc.kinds) {
				t.Fatalf("alert delivered as %v; want %v", got, tc.kinds)
			}
		})
	}
	b, rec := newNotifyFixture(t, slackGroup("GSTAFF", "slack:UFAC1"))
	if _, err := b.TellFacilitators(ctx, slackGroup("GSTAFF", "slack:UFAC1"), "summary/1", msg); err != nil {
		t.Fatal(err)
	}
	if d := rec.delivered(); len(d) != 1 || d[0].Urgent {
		t.Fatalf("a summary went %+v; want one post, not urgent", d)
	}
}

// homePlatform is an inspectPlatform that also knows where channels live.
type homePlatform struct {
	inspectPlatform
	homes map[ChannelID]string // "" with direct[ch] for a DM
	dm    map[ChannelID]bool
}

func (p homePlatform) ChannelHome(_ context.Context, a Address) (string, bool, error) {
	return p.homes[a.Channel], p.dm[a.Channel], nil
}

// TestTellFacilitators_RejectedPayload: a platform refusing the message
// itself (too long, say) is neither a channel that is not private nor a
// facilitator whose DMs are closed: no such notice goes to the owners, the
// channel stays the facilitators' channel, and a plain version of the
// message still reaches it.
func TestTellFacilitators_RejectedPayload(t *testing.T) {
	ctx := context.Background()
	g := slackGroup("GSTAFF", "slack:UFAC1")
	b, rec := newNotifyFixture(t, g)
	rec.fail = func(o Outbound) error {
		if len(o.Message.Fields) > 0 {
			return Rejected("msg_too_long")
		}
		return nil
	}
	msg := Message{Title: "Someone may be at risk", Text: "C-014 wrote to tend.", Fields: []Field{{Name: "What to do now", Value: strings.Repeat("reach out ", 300)}},
		Buttons: []Button{{Label: "I'm on it", Action: Action{Name: "checkins.take", Group: 3}}}}
	r, err := b.TellFacilitators(ctx, g, "alert/1", msg)
	if err != nil || !r.Channel {
		t.Fatalf("reach %+v, %v; want the plain version in the facilitators' channel", r, err)
	}
	var plain int
	for _, o := range rec.delivered() {
		switch {
		case o.Kind == OutDM && o.User == "UOWNER" && (strings.Contains(o.Message.Text, "not private") || strings.Contains(o.Message.Text, "DMs may be closed")):
			t.Errorf("the owners were told something false: %q", o.Message.Text)
		case o.Kind == OutDM && o.User == "UFAC1":
			t.Errorf("a refused payload moved the message to DMs: %+v", o)
		case o.Kind == OutPost && o.To.Channel == "GSTAFF" && o.Key == "alert/1/plain":
			plain++
			if len(o.Message.Buttons) != 1 || !strings.Contains(o.Message.Text, "What to do now") || len([]rune(o.Message.Text)) > 1501 {
				t.Errorf("plain version %+v", o.Message)
			}
		}
	}
	if plain != 1 {
		t.Fatalf("%d plain versions posted; want 1", plain)
	}
	// Refused even plain: an error to retry or fail on, still no false notice.
	rec.fail = func(Outbound) error { return Rejected("invalid_blocks") }
	if _, err := b.TellFacilitators(ctx, g, "alert/2", msg); !errors.Is(err, ErrRejected) {
		t.Fatalf("err %v; want ErrRejected", err)
	}
}

// TestCheckFacilitatorsChannel_SameCommunity: a DM, or a private channel of
// another server, cannot be a group's facilitators' channel.
func TestCheckFacilitatorsChannel_SameCommunity(t *testing.T) {
	codec, _ := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	g := Group{ID: 3, Name: "clinic", Address: Address{Platform: "discord", Channel: "100"}, Kind: KindTherapy,
		Admission: AdmissionClosed, TimeZone: "UTC", Privacy: PrivacyStandard}
	plat := homePlatform{
		inspectPlatform: inspectPlatform{recPlatform: &recPlatform{name: "discord"}, private: map[ChannelID]bool{"200": true, "300": true, "400": true}},
		homes:           map[ChannelID]string{"100": "guildA", "200": "guildA", "300": "guildB"},
		dm:              map[ChannelID]bool{"400": true},
	}
	b, err := New(Config{Groups: &memGroups{groups: []Group{g}}, Codec: codec, Sender: NewSender(&memOutbox{}, codec, nil, discardLog, plat), Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.CheckFacilitatorsChannel(ctx, g, "200"); err != nil {
		t.Errorf("a private channel of the group's server: %v", err)
	}
	if err := b.CheckFacilitatorsChannel(ctx, g, "300"); err == nil || !strings.Contains(err.Error(), "another server") {
		t.Errorf("a private channel of another server: %v; want refused", err)
	}
	if err := b.CheckFacilitatorsChannel(ctx, g, "400"); err == nil || !strings.Contains(err.Error(), "direct conversation") {
		t.Errorf("a DM: %v; want refused", err)
	}
}
