package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// memRoster is a MemberFinder in memory: group id → user → status.
type memRoster map[int64]map[UserID]MemberStatus

func (m memRoster) MemberByUser(_ context.Context, g int64, u UserID) (Member, error) {
	if st, ok := m[g][u]; ok {
		return Member{GroupID: g, User: u, Status: st}, nil
	}
	return Member{}, fmt.Errorf("member %s: %w", u, ErrNotFound)
}

func (m memRoster) ListMembers(_ context.Context, g int64) ([]Member, error) {
	var out []Member
	for u, st := range m[g] {
		out = append(out, Member{GroupID: g, User: u, Status: st})
	}
	return out, nil
}

// channelPlatform is a Slack-like platform that knows who is in which
// channel and which channels are public.
type channelPlatform struct {
	*recPlatform
	in     map[ChannelID][]UserID
	public map[ChannelID]bool
}

func (p channelPlatform) ChannelPrivate(_ context.Context, a Address) (bool, error) {
	return !p.public[a.Channel], nil
}
func (p channelPlatform) InChannel(_ context.Context, a Address, u UserID) (bool, error) {
	for _, x := range p.in[a.Channel] {
		if x == u {
			return true, nil
		}
	}
	return false, nil
}
func (p channelPlatform) ChannelMembers(_ context.Context, a Address) ([]User, error) {
	var out []User
	for _, u := range p.in[a.Channel] {
		out = append(out, User{Platform: "slack", ID: u})
	}
	return append(out, User{Platform: "slack", ID: "UBOT", Bot: true}), nil
}

type authzFixture struct {
	bot   *Bot
	codec *ActionCodec
	// calls records what the features were asked: "rsvp yes clinic by U1".
	mu    sync.Mutex
	calls []string
}

func (f *authzFixture) did(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *authzFixture) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// newAuthzFixture: three Slack groups. clinic (closed, minimal privacy) in
// the private channel CCLINIC with UANA in the channel and UBEN on the
// roster; café (open, standard) in the public channel CCAFE with UCAT in
// the channel; lounge (open, standard) in the private channel CLOUNGE with
// UDAN in it. Facilitator UFAC runs clinic.
func newAuthzFixture(t *testing.T) *authzFixture {
	t.Helper()
	codec, err := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	clinic := Group{ID: 1, Name: "clinic", Address: Address{Platform: "slack", Channel: "CCLINIC"}, Kind: KindTherapy,
		Admission: AdmissionClosed, TimeZone: "UTC", Privacy: PrivacyMinimal, Facilitators: []Principal{"slack:UFAC"}}
	cafe := Group{ID: 2, Name: "cafe", Address: Address{Platform: "slack", Channel: "CCAFE"}, Kind: KindSupport,
		Admission: AdmissionOpen, TimeZone: "UTC", Privacy: PrivacyStandard}
	lounge := Group{ID: 3, Name: "lounge", Address: Address{Platform: "slack", Channel: "CLOUNGE"}, Kind: KindSupport,
		Admission: AdmissionOpen, TimeZone: "UTC", Privacy: PrivacyStandard}
	plat := channelPlatform{recPlatform: &recPlatform{name: "slack"},
		in:     map[ChannelID][]UserID{"CCLINIC": {"UANA"}, "CCAFE": {"UCAT"}, "CLOUNGE": {"UDAN"}},
		public: map[ChannelID]bool{"CCAFE": true, "COTHER": true}}
	sender := NewSender(&memOutbox{}, codec, nil, discardLog, plat)
	b, err := New(Config{Groups: &memGroups{groups: []Group{clinic, cafe, lounge}}, Codec: codec, Sender: sender, Logger: discardLog,
		Members: memRoster{1: {"UBEN": MemberActive, "UWAIT": MemberWaitlisted}}})
	if err != nil {
		t.Fatal(err)
	}
	f := &authzFixture{bot: b, codec: codec}
	note := func(what string) func(context.Context, *Request) ([]Outbound, error) {
		return func(_ context.Context, req *Request) ([]Outbound, error) {
			extra := ""
			if !req.Member {
				extra = " (outsider)"
			}
			if req.Applicant {
				extra = " (applicant)"
			}
			f.did(fmt.Sprintf("%s %s by %s%s", what, req.Group.Name, req.Actor.ID, extra))
			return []Outbound{Reply("done: " + what)}, nil
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.Register(CommandSpec{Path: "next", Access: AccessAnyone, Group: GroupRequired, Run: note("next")}))
	must(b.Register(CommandSpec{Path: "rsvp", Group: GroupRequired, Run: note("rsvp")}))
	must(b.Register(CommandSpec{Path: "norms agree", Group: GroupRequired, Applicants: true, Run: note("agree")}))
	must(b.RegisterAction(ActionSpec{Name: "rsvp.yes", Run: note("rsvp button")}))
	must(b.RegisterAction(ActionSpec{Name: "norms.agree", Applicants: true, Run: note("agree button")}))
	b.SetApplicantCheck(func(_ context.Context, g Group, u UserID) (bool, error) {
		return g.ID == 1 && u == "UNEW", nil
	})
	return f
}

func (f *authzFixture) command(user UserID, ch ChannelID, dm bool, text string) string {
	words, args, err := ParseCommandText(text)
	if err != nil {
		panic(err)
	}
	outs := f.bot.Handle(context.Background(), &Command{
		EventMeta: EventMeta{Platform: "slack", Channel: ch, DM: dm, User: User{Platform: "slack", ID: user}},
		Words:     words, Args: args,
	})
	var b strings.Builder
	for _, o := range outs {
		b.WriteString(o.Message.Text)
	}
	return b.String()
}

func (f *authzFixture) press(t *testing.T, user UserID, ch ChannelID, dm bool, a Action) string {
	t.Helper()
	id, err := f.codec.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	outs := f.bot.Handle(context.Background(), &ButtonPress{
		EventMeta: EventMeta{Platform: "slack", Channel: ch, DM: dm, User: User{Platform: "slack", ID: user}}, ID: id,
	})
	var b strings.Builder
	for _, o := range outs {
		b.WriteString(o.Message.Text)
	}
	return b.String()
}

// TestAuthz_GroupsAreForTheirMembers: what a group holds is for its
// members, facilitators and owners. To anyone else a closed or minimal
// group does not exist — the same answer as a name nobody uses — and an
// open group shows only what its channel shows publicly.
func TestAuthz_GroupsAreForTheirMembers(t *testing.T) {
	cases := []struct {
		name      string
		user      UserID
		channel   ChannelID
		dm        bool
		text      string
		want      string // substring of the reply
		wantCall  string // what the feature was asked; "" for nothing
		sameAsNil bool   // the reply must equal the one for a group that does not exist
	}{
		{"StrangerNextClosed", "UEVE", "COTHER", false, "next group:clinic", "no group named", "", true},
		{"StrangerRSVPClosed", "UEVE", "COTHER", false, "rsvp group:clinic", "no group named", "", true},
		{"StrangerFromDM", "UEVE", "D1", true, "next group:clinic", "no group named", "", true},
		{"WaitlistedIsNotMember", "UWAIT", "D1", true, "rsvp group:clinic", "no group named", "", true},
		{"MemberByChannel", "UANA", "D1", true, "rsvp group:clinic", "done: rsvp", "rsvp clinic by UANA", false},
		{"MemberByRoster", "UBEN", "COTHER", false, "next group:clinic", "done: next", "next clinic by UBEN", false},
		{"Facilitator", "UFAC", "D1", true, "rsvp group:clinic", "done: rsvp", "rsvp clinic by UFAC", false},
		{"InBoundChannelButNotIn", "UEVE", "CCLINIC", false, "rsvp", "is for members of group clinic", "", false},
		{"OpenGroupPublicView", "UEVE", "COTHER", false, "next group:cafe", "done: next", "next cafe by UEVE (outsider)", false},
		{"OpenGroupNoActing", "UEVE", "COTHER", false, "rsvp group:cafe", "is for members of group cafe", "", false},
		// An open group in a private channel shows outsiders no more than
		// its channel does: nothing.
		{"OpenGroupPrivateChannel", "UEVE", "COTHER", false, "next group:lounge", "no group named", "", true},
		{"OpenGroupPrivateChannelNoActing", "UEVE", "COTHER", false, "rsvp group:lounge", "no group named", "", true},
		{"OpenGroupPrivateChannelMember", "UDAN", "COTHER", false, "next group:lounge", "done: next", "next lounge by UDAN", false},
		{"ApplicantMayAgree", "UNEW", "D1", true, "norms agree group:clinic", "done: agree", "agree clinic by UNEW (applicant)", false},
		{"ApplicantNothingMore", "UNEW", "D1", true, "rsvp group:clinic", "no group named", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newAuthzFixture(t)
			got := f.command(c.user, c.channel, c.dm, c.text)
			if !strings.Contains(got, c.want) {
				t.Fatalf("reply %q; want %q", got, c.want)
			}
			calls := f.called()
			switch {
			case c.wantCall == "" && len(calls) > 0:
				t.Fatalf("the feature ran: %v", calls)
			case c.wantCall != "" && (len(calls) != 1 || calls[0] != c.wantCall):
				t.Fatalf("feature calls %v; want [%s]", calls, c.wantCall)
			}
			if c.sameAsNil {
				word := strings.Fields(c.text)[0]
				if word == "norms" {
					word = "norms agree"
				}
				none := f.command(c.user, c.channel, c.dm, word+" group:nosuchgroup")
				name := strings.TrimPrefix(strings.Fields(c.text)[len(strings.Fields(c.text))-1], "group:")
				if strings.ReplaceAll(got, name, "X") != strings.ReplaceAll(none, "nosuchgroup", "X") {
					t.Fatalf("an outsider can tell the group exists:\n%q\n%q", got, none)
				}
			}
		})
	}
}

// TestAuthz_ButtonsActOnlyWhereTheyBelong: a validly signed button of one
// group pressed in another group's channel changes nothing; a button sent
// to one person does nothing for anyone else; a DM button must name its
// recipient; an applicant can press only what applicants may.
func TestAuthz_ButtonsActOnlyWhereTheyBelong(t *testing.T) {
	cases := []struct {
		name     string
		user     UserID
		channel  ChannelID
		dm       bool
		action   Action
		want     string
		wantCall string
	}{
		{"OwnChannel", "UCAT", "CCAFE", false, Action{Name: "rsvp.yes", Group: 2, Ref: "5"}, "done", "rsvp button cafe by UCAT"},
		{"OtherGroupsButtonInThisChannel", "UCAT", "CCAFE", false, Action{Name: "rsvp.yes", Group: 1, Ref: "9"}, "does not belong to this channel's group", ""},
		{"MemberOfBothStillBound", "UANA", "CCAFE", false, Action{Name: "rsvp.yes", Group: 1, Ref: "9"}, "does not belong to this channel's group", ""},
		{"UnboundChannel", "UANA", "COTHER", false, Action{Name: "rsvp.yes", Group: 1, Ref: "9"}, "does not belong to this channel's group", ""},
		{"NotInTheChannel", "UEVE", "CCLINIC", false, Action{Name: "rsvp.yes", Group: 1, Ref: "9"}, "is for members of group clinic", ""},
		{"DMToRecipient", "UANA", "D1", true, Action{Name: "rsvp.yes", Group: 1, User: "UANA", Ref: "9"}, "done", "rsvp button clinic by UANA"},
		{"DMSentToSomeoneElse", "UEVE", "D2", true, Action{Name: "rsvp.yes", Group: 1, User: "UANA", Ref: "9"}, "sent to someone else", ""},
		{"DMWithoutRecipient", "UANA", "D1", true, Action{Name: "rsvp.yes", Group: 1, Ref: "9"}, "older message", ""},
		{"PrivateReplyOfAnother", "UCAT", "CCAFE", false, Action{Name: "rsvp.yes", Group: 2, User: "UDAN", Ref: "5"}, "sent to someone else", ""},
		{"PrivateReplyElsewhere", "UANA", "COTHER", false, Action{Name: "rsvp.yes", Group: 1, User: "UANA", Ref: "9"}, "done", "rsvp button clinic by UANA"},
		{"PrivateReplyElsewhereNotAMember", "UEVE", "COTHER", false, Action{Name: "rsvp.yes", Group: 1, User: "UEVE", Ref: "9"}, "is for members of group clinic", ""},
		{"ApplicantAgreesInLobby", "UNEW", "CLOBBY", false, Action{Name: "norms.agree", Group: 1, User: "UNEW", Ref: "1"}, "done", "agree button clinic by UNEW (applicant)"},
		{"ApplicantAgrees", "UNEW", "D3", true, Action{Name: "norms.agree", Group: 1, User: "UNEW", Ref: "1"}, "done", "agree button clinic by UNEW (applicant)"},
		{"ApplicantCannotRSVP", "UNEW", "D3", true, Action{Name: "rsvp.yes", Group: 1, User: "UNEW", Ref: "9"}, "is for members", ""},
		{"NonApplicantCannotAgree", "UEVE", "D4", true, Action{Name: "norms.agree", Group: 1, User: "UEVE", Ref: "1"}, "is for members", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newAuthzFixture(t)
			got := f.press(t, c.user, c.channel, c.dm, c.action)
			if !strings.Contains(got, c.want) {
				t.Fatalf("reply %q; want %q", got, c.want)
			}
			calls := f.called()
			switch {
			case c.wantCall == "" && len(calls) > 0:
				t.Fatalf("the feature ran: %v", calls)
			case c.wantCall != "" && (len(calls) != 1 || calls[0] != c.wantCall):
				t.Fatalf("feature calls %v; want [%s]", calls, c.wantCall)
			}
		})
	}
}

// TestAuthz_PrivateButtonsBoundToTheirReader: buttons in a DM are sealed
// for its recipient and buttons in a private reply for the person it
// answers, so that neither can be pressed by anyone else.
func TestAuthz_PrivateButtonsBoundToTheirReader(t *testing.T) {
	f := newAuthzFixture(t)
	if err := f.bot.Register(CommandSpec{Path: "checkin", Group: GroupRequired, Run: func(context.Context, *Request) ([]Outbound, error) {
		return []Outbound{
			{Kind: OutReply, Ephemeral: true, Message: Message{Text: "how are you?", Buttons: []Button{{Label: "ok", Action: Action{Name: "rsvp.yes", Group: 1}}}}},
			DM("checkin/1/UANA", "slack", "UANA", Message{Text: "how are you?", Buttons: []Button{{Label: "ok", Action: Action{Name: "rsvp.yes", Group: 1}}}}),
		}, nil
	}}); err != nil {
		t.Fatal(err)
	}
	outs := f.bot.Handle(context.Background(), &Command{EventMeta: EventMeta{Platform: "slack", Channel: "CCLINIC", User: User{Platform: "slack", ID: "UANA"}}, Words: []string{"checkin"}})
	if len(outs) != 1 {
		t.Fatalf("replies %+v", outs)
	}
	a, err := f.codec.Decode(outs[0].Message.Buttons[0].ID)
	if err != nil || a.User != "UANA" {
		t.Fatalf("private reply's button decodes to %+v, %v; want bound to UANA", a, err)
	}
	sent := f.bot.cfg.Sender.(*Sender).platforms["slack"].(channelPlatform).delivered()
	if len(sent) != 1 {
		t.Fatalf("delivered %+v", sent)
	}
	if a, err := f.codec.Decode(sent[0].Message.Buttons[0].ID); err != nil || a.User != "UANA" {
		t.Fatalf("DM's button decodes to %+v, %v; want bound to its recipient", a, err)
	}
}

func TestPeople_RosterAndChannel(t *testing.T) {
	f := newAuthzFixture(t)
	ps, err := f.bot.People(context.Background(), Group{ID: 1, Address: Address{Platform: "slack", Channel: "CCLINIC"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, string(p.User))
	}
	if fmt.Sprint(got) != "[UBEN UANA]" {
		t.Fatalf("people %v; want the active roster entry, then the channel's people, and not the waitlist", got)
	}
}

// TestAuthz_OpenGroupPlatformCannotTell: on a platform that cannot say
// whether a channel is public, or when the check fails, an open group's
// channel counts as private, so an outsider gets the answer for a name
// nobody uses.
func TestAuthz_OpenGroupPlatformCannotTell(t *testing.T) {
	codec, err := NewActionCodec([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	cafe := Group{ID: 2, Name: "cafe", Address: Address{Platform: "slack", Channel: "CCAFE"}, Kind: KindSupport,
		Admission: AdmissionOpen, TimeZone: "UTC", Privacy: PrivacyStandard}
	for name, plat := range map[string]Platform{
		"NoInspector": &recPlatform{name: "slack"},
		"CheckFails":  failingInspector{channelPlatform{recPlatform: &recPlatform{name: "slack"}, public: map[ChannelID]bool{"CCAFE": true}}},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := New(Config{Groups: &memGroups{groups: []Group{cafe}}, Codec: codec, Logger: discardLog,
				Sender: NewSender(&memOutbox{}, codec, nil, discardLog, plat)})
			if err != nil {
				t.Fatal(err)
			}
			ran := false
			if err := b.Register(CommandSpec{Path: "next", Access: AccessAnyone, Group: GroupRequired, Run: func(context.Context, *Request) ([]Outbound, error) {
				ran = true
				return []Outbound{Reply("done")}, nil
			}}); err != nil {
				t.Fatal(err)
			}
			ask := func(name string) string {
				outs := b.Handle(context.Background(), &Command{
					EventMeta: EventMeta{Platform: "slack", Channel: "COTHER", User: User{Platform: "slack", ID: "UEVE"}},
					Words:     []string{"next"}, Args: map[string]string{"group": name},
				})
				if len(outs) != 1 {
					t.Fatalf("replies %+v", outs)
				}
				return outs[0].Message.Text
			}
			got, none := ask("cafe"), ask("nosuchgroup")
			if ran || strings.ReplaceAll(got, "cafe", "X") != strings.ReplaceAll(none, "nosuchgroup", "X") {
				t.Fatalf("an outsider can tell the group exists (ran %v):\n%q\n%q", ran, got, none)
			}
		})
	}
}

// failingInspector is a channelPlatform whose channel checks fail.
type failingInspector struct{ channelPlatform }

func (failingInspector) ChannelPrivate(context.Context, Address) (bool, error) {
	return false, fmt.Errorf("conversations.info: %w", ErrUnreachable)
}

// TestPeople_NotThoseWhoOptedOut: an account the tracking filter refuses
// (they asked tend to forget them) is not listed, on the roster or in the
// channel, so that no feature counts, asks or messages them.
func TestPeople_NotThoseWhoOptedOut(t *testing.T) {
	f := newAuthzFixture(t)
	g := Group{ID: 1, Address: Address{Platform: "slack", Channel: "CCLINIC"}}
	for _, gone := range []UserID{"UBEN", "UANA"} {
		f.bot.SetTrackingFilter(func(_ context.Context, got Group) (func(UserID) bool, error) {
			if got.ID != g.ID {
				t.Errorf("filter asked for group %d", got.ID)
			}
			return func(u UserID) bool { return u != gone }, nil
		})
		ps, err := f.bot.People(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.User == gone {
				t.Errorf("%s opted out and is still listed: %+v", gone, ps)
			}
		}
		if len(ps) != 1 {
			t.Errorf("people %+v; want the other one only", ps)
		}
	}
}
