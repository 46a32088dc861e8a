package groups

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tend-bot/tend/bot"
)

// parseCode checks a roster code and returns it in upper case, so that
// c-104 and C-104 are one person.
func parseCode(v string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(v))
	if c == "" || len(c) > 20 {
		return "", bot.Errorf("A roster code is 1 to 20 letters, digits or dashes, such as code:C-104.")
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", bot.Errorf("Roster code %s may use only letters, digits and dashes, such as code:C-104.", bot.Excerpt(v, 40))
		}
	}
	return c, nil
}

func parseName(v string) (string, error) {
	n := strings.TrimSpace(bot.StripPlaceholderRunes(v))
	if l := utf8.RuneCountInString(n); l > bot.MaxNameLen {
		return "", bot.Errorf("That name is %d characters long; a display name may be at most %d. Give a shorter one.", l, bot.MaxNameLen)
	}
	if strings.IndexFunc(n, unicode.IsControl) >= 0 {
		return "", bot.Errorf("A name must be one line: give it without line breaks.")
	}
	return n, nil
}

// target reads user: and code: into the member they name (not yet looked
// up), and how to call them in a reply.
func target(req *bot.Request, g bot.Group) (bot.Member, error) {
	m := bot.Member{GroupID: g.ID}
	if v := req.Arg("user"); v != "" {
		id, err := parseUser(g.Address.Platform, v)
		if err != nil {
			return m, err
		}
		m.User = id
	}
	if v := req.Arg("code"); v != "" {
		c, err := parseCode(v)
		if err != nil {
			return m, err
		}
		m.Code = c
	}
	return m, nil
}

// rosterAdd puts a person or a code-only entry on the roster.
func (f *Feature) rosterAdd(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	platform := g.Address.Platform
	m, err := target(req, g)
	if err != nil {
		return nil, err
	}
	if m.Name, err = parseName(req.Arg("name")); err != nil {
		return nil, err
	}
	if g.Privacy == bot.PrivacyMinimal {
		if m.Name != "" {
			return nil, bot.Errorf("Group %s uses minimal privacy, so tend keeps no names: run the command again without name:, identifying the person by code:.", g.Name)
		}
		if m.Code == "" {
			return nil, bot.Errorf("Group %s uses minimal privacy, so every roster entry needs a code: add code:C-104 (any code your records use).", g.Name)
		}
	}
	if m.User == "" && m.Code == "" {
		return nil, bot.Errorf("Say who to add: user:@name for someone on %s, or code:C-104 for someone who is not (a code-only roster entry).", platform)
	}
	// Already on the roster? Say how, rather than a bare refusal.
	for _, look := range []func() (bot.Member, error){
		func() (bot.Member, error) {
			if m.User == "" {
				return bot.Member{}, bot.ErrNotFound
			}
			return f.st.MemberByUser(ctx, g.ID, m.User)
		},
		func() (bot.Member, error) {
			if m.Code == "" {
				return bot.Member{}, bot.ErrNotFound
			}
			return f.st.MemberByCode(ctx, g.ID, m.Code)
		},
	} {
		prev, err := look()
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if prev.Status != bot.MemberRemoved {
			state := "on the roster"
			if prev.Status == bot.MemberWaitlisted {
				state = "on the waitlist"
			}
			return nil, bot.Errorf("%s is already %s of %s. /tend roster list shows everyone; to change an entry, remove it and add it again.", prev.Label(platform, g.Privacy), state, g.Name)
		}
	}
	// Every feature hears of an account put on the roster (norms welcomes
	// them with the norms), through jobs written with the roster entry, and
	// says what it will do: the notes are read before those jobs can run.
	ev := &bot.MemberAdded{Group: g, User: m.User, By: req.Actor.Principal(), At: req.Now}
	var notes []string
	if m.User != "" {
		ms, err := f.st.ListMembers(ctx, g.ID)
		if err != nil {
			return nil, err
		}
		active, _ := memberCounts(ms)
		ev.Waitlisted = g.Capacity > 0 && active >= g.Capacity // as the store decides
		notes = f.b.MemberAddedNotes(ctx, ev)
	}
	predicted := ev.Waitlisted
	added, err := f.st.AddMemberThen(ctx, req.Actor.Principal(), m, func(added bot.Member) []bot.Job {
		if added.User == "" {
			return nil
		}
		ev.User, ev.Waitlisted = added.User, added.Status == bot.MemberWaitlisted
		return f.b.MemberAddedJobs(ev)
	})
	if errors.Is(err, bot.ErrConflict) {
		return nil, &bot.UserError{Msg: "That person or code is already on the roster, or was just added by someone else. /tend roster list shows everyone.", Err: err}
	}
	if err != nil {
		return nil, err
	}
	if added.User != "" {
		if m.User == "" || ev.Waitlisted != predicted {
			// A code that brought back an entry with an account, or a
			// place taken meanwhile: the notes say what happens now.
			notes = f.b.MemberAddedNotes(ctx, ev)
		}
		if f.r != nil {
			f.r.Notify()
		}
	}
	who := added.Label(platform, g.Privacy)
	text := fmt.Sprintf("Added %s to the roster of %s.", who, g.Name)
	if added.Status == bot.MemberWaitlisted {
		text = fmt.Sprintf(
			"Group %s is full (%s), so %s is on the waitlist. They move onto the roster, earliest first, when a place frees up (/tend roster remove) or the capacity is raised (/tend group setup name:%s capacity:N).",
			g.Name, bot.Plural(g.Capacity, "place", "places"), who, g.Name)
	}
	for _, n := range notes {
		text += " " + n
	}
	return []bot.Outbound{bot.Reply(text)}, nil
}

// rosterRemove takes a member off the roster.
func (f *Feature) rosterRemove(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	platform := g.Address.Platform
	m, err := target(req, g)
	if err != nil {
		return nil, err
	}
	var found bot.Member
	switch {
	case m.User != "" && m.Code != "":
		return nil, bot.Errorf("Give user: or code:, not both: either one finds the entry.")
	case m.User != "":
		found, err = f.st.MemberByUser(ctx, g.ID, m.User)
	case m.Code != "":
		found, err = f.st.MemberByCode(ctx, g.ID, m.Code)
	default:
		return nil, bot.Errorf("Say who to remove: user:@name or code:C-104. /tend roster list shows everyone.")
	}
	if err == nil && found.Status == bot.MemberRemoved {
		err = bot.ErrNotFound
	}
	if errors.Is(err, bot.ErrNotFound) {
		who := m.Code
		if m.User != "" {
			who = bot.Mention(platform, m.User)
		}
		return nil, bot.Errorf("%s is not on the roster of %s. /tend roster list shows who is.", who, g.Name)
	}
	if err != nil {
		return nil, err
	}
	promoted, err := f.st.RemoveMember(ctx, req.Actor.Principal(), g.ID, found.ID)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, &bot.UserError{Msg: fmt.Sprintf("%s was just removed by someone else. /tend roster list shows who is on the roster now.", found.Label(platform, g.Privacy)), Err: err}
	}
	if err != nil {
		return nil, err
	}
	if found.User != "" {
		// Every feature hears of it: no more prompts or DMs, an access
		// role revoked.
		if err := f.b.PublishMemberGone(ctx, &bot.MemberGone{Group: g, User: found.User, Why: "removed by " + string(req.Actor.Principal())}); err != nil {
			return nil, err
		}
	}
	text := fmt.Sprintf("Removed %s from the roster of %s.", found.Label(platform, g.Privacy), g.Name)
	if len(promoted) > 0 {
		text += fmt.Sprintf(" Moved from the waitlist to the roster: %s.", labels(platform, g.Privacy, promoted))
	}
	return []bot.Outbound{bot.Reply(text)}, nil
}

// rosterList shows the roster and the waitlist, privately.
func (f *Feature) rosterList(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	platform := g.Address.Platform
	ms, err := f.st.ListMembers(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return []bot.Outbound{bot.Reply(fmt.Sprintf("The roster of %s is empty. Add people with /tend roster add user:@name, or code:C-104 for someone not on %s.", g.Name, platform))}, nil
	}
	var active, waiting []string
	for _, m := range ms {
		line := m.Label(platform, g.Privacy)
		if m.Code != "" && line != m.Code {
			line += " (" + m.Code + ")"
		}
		if m.User != "" && g.Privacy != bot.PrivacyMinimal && m.Name != "" {
			line += " " + bot.Mention(platform, m.User)
		}
		line += " — added " + bot.Time(m.AddedAt, bot.TimeDate)
		if m.Status == bot.MemberWaitlisted {
			waiting = append(waiting, fmt.Sprintf("%d. %s", len(waiting)+1, line))
		} else {
			active = append(active, line)
		}
	}
	title := fmt.Sprintf("Roster of %s: %d", g.Name, len(active))
	if g.Capacity > 0 {
		title += fmt.Sprintf(" of %d", g.Capacity)
	}
	msg := bot.Message{Title: title}
	msg.Fields = append(msg.Fields, bot.LineFields("Members", active)...)
	if len(waiting) > 0 {
		msg.Fields = append(msg.Fields, bot.LineFields("Waitlist, in order", waiting)...)
	}
	return []bot.Outbound{bot.ReplyMessage(msg)}, nil
}
