package norms

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tend-bot/tend/bot"
)

// label names a member to the facilitators: a code under minimal privacy,
// never a name there.
func label(g bot.Group, m bot.Member) string {
	if g.Privacy == bot.PrivacyMinimal && m.Code == "" && m.User != "" {
		return bot.Mention(g.Address.Platform, m.User)
	}
	return m.Label(g.Address.Platform, g.Privacy)
}

// cmdStatus shows the facilitators, privately, who agreed to which version
// and when, who is on an older version, who has not agreed, and the
// newcomers waiting and why.
func (f *Feature) cmdStatus(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	v, ok, err := f.current(ctx, g)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noNorms(g, true)
	}
	s, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	versions, err := f.st.NormsVersions(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	acks, err := f.st.LatestNormsAcks(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	agreed := map[bot.UserID]bot.NormsAck{}
	for _, a := range acks {
		agreed[a.User] = a
	}
	people, err := f.b.People(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("list the group's members: %w", err)
	}
	applicants, err := f.st.Applicants(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	waiting := map[bot.UserID]bot.Applicant{}
	for _, a := range applicants {
		if a.State == bot.ApplicantWaiting {
			waiting[a.User] = a
		}
	}
	var onCurrent, onOlder, notAgreed, newcomers []string
	codeOnly, facilitators := 0, 0
	seen := map[bot.UserID]bool{}
	for _, a := range applicants {
		// Let in by tend: members, even where the platform's list of the
		// channel has not caught up yet.
		if a.State == bot.ApplicantAdmitted && !slices.ContainsFunc(people, func(m bot.Member) bool { return m.User == a.User }) {
			people = append(people, bot.Member{GroupID: g.ID, User: a.User, Status: bot.MemberActive})
		}
	}
	for _, m := range people {
		switch {
		case m.User == "":
			codeOnly++
			continue
		case seen[m.User]:
			continue
		case f.isFacilitator(g, m.User):
			facilitators++
			continue
		}
		seen[m.User] = true
		if _, ok := waiting[m.User]; ok {
			continue // listed with the newcomers
		}
		who := label(g, m)
		a, ok := agreed[m.User]
		switch {
		case !ok:
			notAgreed = append(notAgreed, who)
		case a.Version == v.Version:
			onCurrent = append(onCurrent, who+" — "+bot.Time(a.At, bot.TimeShort))
		default:
			onOlder = append(onOlder, who+" — "+agreedLine(a))
		}
	}
	for _, a := range applicants {
		if a.State != bot.ApplicantWaiting {
			continue
		}
		who := label(g, bot.Member{User: a.User})
		var why []string
		if ack, ok := agreed[a.User]; ok {
			if ack.Version < v.Version {
				why = append(why, fmt.Sprintf("agreed to version %d, needs version %d", ack.Version, v.Version))
			} else {
				why = append(why, "agreed "+bot.Time(ack.At, bot.TimeShort))
			}
		} else {
			why = append(why, "not agreed yet")
		}
		if a.Pending {
			why = append(why, "Discord rules screening pending")
		}
		if a.Waitlisted {
			why = append(why, "on the waitlist")
		}
		if a.DMClosed {
			why = append(why, "welcome not delivered (DMs closed)")
		}
		newcomers = append(newcomers, who+" — arrived "+bot.Time(a.JoinedAt, bot.TimeShort)+"; "+strings.Join(why, "; "))
	}

	var b strings.Builder
	members := len(onCurrent) + len(onOlder) + len(notAgreed)
	fmt.Fprintf(&b, "%d of %s agreed to the current version (%d)", len(onCurrent), bot.Plural(members, "member", "members"), v.Version)
	if len(onOlder) > 0 {
		fmt.Fprintf(&b, "; %d on an older version (they keep their access and are asked again)", len(onOlder))
	}
	if len(notAgreed) > 0 {
		fmt.Fprintf(&b, "; %d not agreed", len(notAgreed))
	}
	b.WriteString(".")
	if s.Require {
		b.WriteString(" Agreement is required: members take part (check-ins, attendance) once they agree")
		switch {
		case s.Role != "":
			b.WriteString(", and newcomers get the role " + roleRef(s.Role) + " after agreeing to the current version.")
		case s.Lobby != "":
			b.WriteString(", and newcomers in " + channelRef(bot.Address{Platform: g.Address.Platform, Channel: s.Lobby}) + " are invited after agreeing to the current version.")
		default:
			b.WriteString(".")
		}
	} else {
		b.WriteString(" Agreement is not required (/tend norms require on to require it).")
	}
	if facilitators > 0 || codeOnly > 0 {
		var not []string
		if facilitators > 0 {
			not = append(not, bot.Plural(facilitators, "facilitator", "facilitators"))
		}
		if codeOnly > 0 {
			not = append(not, bot.Plural(codeOnly, "code-only roster entry", "code-only roster entries")+" (not on "+g.Address.Platform+")")
		}
		b.WriteString(" Not counted: " + strings.Join(not, ", ") + ".")
	}

	vlines := make([]string, 0, len(versions))
	for _, ver := range slices.Backward(versions) {
		vlines = append(vlines, versionLine(g, ver))
	}
	msg := bot.Message{Title: fmt.Sprintf("Norms of %s: version %d", g.Name, v.Version), Text: b.String()}
	msg.Fields = append(msg.Fields, bot.LineFields("Versions", vlines)...)
	msg.Fields = append(msg.Fields, bot.LineFields(fmt.Sprintf("Agreed to version %d (current)", v.Version), onCurrent)...)
	msg.Fields = append(msg.Fields, bot.LineFields("On an older version", onOlder)...)
	msg.Fields = append(msg.Fields, bot.LineFields("Not agreed yet", notAgreed)...)
	msg.Fields = append(msg.Fields, bot.LineFields("Newcomers waiting", newcomers)...)
	return []bot.Outbound{bot.ReplyMessage(msg)}, nil
}
