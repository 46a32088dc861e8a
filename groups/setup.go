package groups

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tend-bot/tend/bot"
)

// setup binds the channel to a new group, or changes the settings of the
// group bound to it.
func (f *Feature) setup(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	meta := req.Event.Meta()
	if req.Arg("group") != "" {
		return nil, bot.Errorf("/tend group setup binds the channel where you run it, so it takes no group: argument. Run it in the group's own channel.")
	}
	if meta.DM {
		return nil, bot.Errorf("/tend group setup binds the channel where you run it, and this is a direct message. Run it in the channel the group will use.")
	}
	name := strings.ToLower(strings.TrimSpace(req.Arg("name")))
	if err := bot.ValidName(name); err != nil {
		return nil, bot.Errorf("%s.", capitalize(err.Error()))
	}
	if req.Group != nil {
		return f.update(ctx, req, *req.Group, name)
	}
	return f.create(ctx, req, name)
}

func (f *Feature) create(ctx context.Context, req *bot.Request, name string) ([]bot.Outbound, error) {
	meta := req.Event.Meta()
	here := req.Address()
	if !req.Owner {
		ok, err := f.facilitatesOn(ctx, req.Actor)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, bot.Errorf("Only the bot's owners and facilitators of a group on %s can set up a new group. Ask an owner (the operator lists them under owners: in the config file) to run /tend group setup here, or to make you a facilitator of a group first.", here.Platform)
		}
	}
	if other, err := f.st.GroupByName(ctx, name); err == nil {
		if req.Owner || other.IsFacilitator(req.Actor) {
			return nil, bot.Errorf("The name %s is taken by another group (in %s). Choose another name; to change %s itself, run /tend group setup in its own channel.", name, where(other), name)
		}
		// Whether, and where, another group uses the name is for those
		// who run it: anyone else learns only that it is not available.
		return nil, bot.Errorf("The name %s is not available. Choose another name for this group.", name)
	} else if !errors.Is(err, bot.ErrNotFound) {
		return nil, err
	}
	g := bot.Group{
		Name:         name,
		Address:      here,
		Guild:        meta.Guild,
		Kind:         bot.KindSupport,
		Admission:    bot.AdmissionOpen,
		TimeZone:     f.deps.TimeZone,
		Privacy:      bot.PrivacyStandard,
		Facilitators: []bot.Principal{req.Actor.Principal()},
		Source:       bot.SourceChat,
	}
	if err := applyArgs(&g, req); err != nil {
		return nil, err
	}
	if err := f.b.CheckFacilitatorsChannel(ctx, g, g.FacilitatorsChannel); err != nil {
		return nil, err
	}
	created, err := f.st.CreateGroup(ctx, req.Actor.Principal(), g)
	if errors.Is(err, bot.ErrConflict) {
		return nil, &bot.UserError{Msg: "Another group took that name or this channel a moment ago. Run /tend group show here to see which, then try again with another name if needed.", Err: err}
	}
	if err != nil {
		return nil, err
	}
	f.log.Info("group set up", bot.KeyGroup, created.Name, bot.KeyPlatform, here.Platform, bot.KeyChannel, string(here.Channel))
	msg := settingsMessage(created)
	msg.Title = "This channel is now group " + created.Name
	msg.Text = fmt.Sprintf("You are its first facilitator. Next: add people with /tend roster add user:@name (or code:C-101 for someone not on %s), and more facilitators with /tend group facilitators add user:@name. Change a setting by running /tend group setup name:%s again with it.", here.Platform, created.Name)
	if note := zoneNote(created, req); note != "" {
		msg.Text += "\n" + note
	}
	return []bot.Outbound{bot.ReplyMessage(msg)}, nil
}

// facilitatesOn reports whether u facilitates any group on u's platform.
func (f *Feature) facilitatesOn(ctx context.Context, u bot.User) (bool, error) {
	gs, err := f.st.ListGroups(ctx)
	if err != nil {
		return false, err
	}
	for _, g := range gs {
		if g.Address.Platform == u.Platform && g.IsFacilitator(u) {
			return true, nil
		}
	}
	return false, nil
}

func (f *Feature) update(ctx context.Context, req *bot.Request, old bot.Group, name string) ([]bot.Outbound, error) {
	if !req.Owner && !old.IsFacilitator(req.Actor) {
		return nil, bot.Errorf("This channel is group %s, and only its facilitators can change its settings. If you facilitate it, ask another facilitator or the bot's owner to add you with /tend group facilitators add.", old.Name)
	}
	if old.Source == bot.SourceConfig {
		return nil, editInFile(&old, f.configFile)
	}
	if name != old.Name {
		return nil, bot.Errorf("This channel is already bound to group %s; a channel holds one group. To change %s, run /tend group setup name:%s here; to set up %s, run the command in the channel it will use.", old.Name, old.Name, old.Name, name)
	}
	g := old
	if err := applyArgs(&g, req); err != nil {
		return nil, err
	}
	if g.FacilitatorsChannel != old.FacilitatorsChannel {
		if err := f.b.CheckFacilitatorsChannel(ctx, g, g.FacilitatorsChannel); err != nil {
			return nil, err
		}
	}
	if g.Privacy == bot.PrivacyMinimal && old.Privacy != bot.PrivacyMinimal {
		ms, err := f.st.ListMembers(ctx, g.ID)
		if err != nil {
			return nil, err
		}
		var named int
		for _, m := range ms {
			if m.Name != "" || m.Code == "" {
				named++
			}
		}
		if named > 0 {
			entries := bot.Plural(named, "roster entry has", "roster entries have")
			return nil, bot.Errorf("Minimal privacy keeps no names, but %s a name or no code. Remove them with /tend roster remove and add them back with code: only, then set privacy:minimal.", entries)
		}
	}
	if sameSettings(g, old) {
		msg := settingsMessage(old)
		msg.Title = "Group " + old.Name + ": nothing changed"
		msg.Text = "Give the settings to change, for example /tend group setup name:" + old.Name + " capacity:12."
		return []bot.Outbound{bot.ReplyMessage(msg)}, nil
	}
	updated, promoted, err := f.st.UpdateGroup(ctx, req.Actor.Principal(), g)
	if err != nil {
		return nil, err
	}
	msg := settingsMessage(updated)
	msg.Title = "Group " + updated.Name + " updated"
	var notes []string
	if len(promoted) > 0 {
		notes = append(notes, fmt.Sprintf("Moved from the waitlist to the roster: %s.", labels(updated.Address.Platform, updated.Privacy, promoted)))
		notes = append(notes, f.publishPromoted(ctx, updated, promoted, req.Actor.Principal())...)
	}
	if updated.Capacity > 0 {
		ms, err := f.st.ListMembers(ctx, updated.ID)
		if err != nil {
			return nil, err
		}
		if active, _ := memberCounts(ms); active > updated.Capacity {
			notes = append(notes, fmt.Sprintf("The roster has %d active members, more than the new capacity of %d: nobody is removed, and newcomers go on the waitlist until there is room.", active, updated.Capacity))
		}
	}
	if updated.TimeZone != old.TimeZone {
		if note := zoneNote(updated, req); note != "" {
			notes = append(notes, note)
		}
	}
	msg.Text = strings.Join(notes, "\n")
	return []bot.Outbound{bot.ReplyMessage(msg)}, nil
}

// publishPromoted tells every feature, durably, about the members a
// larger capacity let onto g's roster from the waitlist (norms offers them
// the place and gives access to those who agreed), and returns what the
// features say they will do, each note once. A failure is logged: the
// capacity is raised, and norms offers the places at the next start.
func (f *Feature) publishPromoted(ctx context.Context, g bot.Group, promoted []bot.Member, by bot.Principal) []string {
	var notes []string
	for _, m := range promoted {
		if m.User == "" {
			continue
		}
		ns, err := f.b.PublishMemberAdded(ctx, &bot.MemberAdded{Group: g, User: m.User, By: by, FromWaitlist: true})
		if err != nil {
			f.log.Warn("telling the features about a member let in from the waitlist failed", bot.KeyGroup, g.Name, bot.KeyErr, err)
			continue
		}
		for _, n := range ns {
			if !slices.Contains(notes, n) {
				notes = append(notes, n)
			}
		}
	}
	return notes
}

// zoneNote is bot.ZoneNote for g's zone, as a sentence with how to change
// it: "EST is a fixed offset … such as America/New_York: /tend group setup
// name:g timezone:…".
func zoneNote(g bot.Group, req *bot.Request) string {
	note := bot.ZoneNote(g.TimeZone, req.Now)
	if note == "" {
		return ""
	}
	return fmt.Sprintf("Note: %s (/tend group setup name:%s timezone:…).", note, g.Name)
}

// sameSettings compares the settings setup can change.
func sameSettings(a, b bot.Group) bool {
	return a.Kind == b.Kind && a.Admission == b.Admission && a.Capacity == b.Capacity &&
		a.TimeZone == b.TimeZone && a.Privacy == b.Privacy && a.FacilitatorsChannel == b.FacilitatorsChannel
}

// applyArgs sets the settings given as arguments and checks the result.
func applyArgs(g *bot.Group, req *bot.Request) error {
	if v := req.Arg("kind"); v != "" {
		g.Kind = bot.GroupKind(v)
	}
	if v := req.Arg("admission"); v != "" {
		g.Admission = bot.Admission(v)
	}
	if v := req.Arg("capacity"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return bot.Errorf("capacity %q is not a whole number: write for example capacity:12, or capacity:0 for no limit.", v)
		}
		g.Capacity = n
	}
	if v := strings.TrimSpace(req.Arg("timezone")); v != "" {
		if _, err := bot.LoadLocation(v); err != nil {
			return bot.Errorf("%s.", capitalize(err.Error()))
		}
		g.TimeZone = v
	}
	if v := req.Arg("privacy"); v != "" {
		g.Privacy = bot.Privacy(v)
	}
	switch v := strings.TrimSpace(req.Arg("facilitators_channel")); {
	case v == "":
	case strings.EqualFold(v, "none"):
		g.FacilitatorsChannel = ""
	default:
		ch, ok := bot.ParseChannelMention(v)
		if !ok && !strings.ContainsAny(v, " <>") {
			ch, ok = bot.ChannelID(strings.TrimPrefix(v, "#")), true
		}
		if !ok || ch == "" {
			return bot.Errorf("facilitators_channel:%s does not name a channel: mention it (#staff-room), give its id, or write none to reach the facilitators by DM.", v)
		}
		g.FacilitatorsChannel = ch
	}
	if err := g.Validate(); err != nil {
		return bot.Errorf("%s.", capitalize(err.Error()))
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// where says where a group lives, for refusals.
func where(g bot.Group) string {
	return g.Address.Platform + " channel " + channelName(g.Address)
}

func channelName(a bot.Address) string {
	switch a.Platform {
	case bot.PlatformDiscord, bot.PlatformSlack:
		return "<#" + string(a.Channel) + ">"
	}
	return "#" + string(a.Channel)
}

func settingsMessage(g bot.Group) bot.Message {
	capacity := "no limit"
	if g.Capacity > 0 {
		capacity = strconv.Itoa(g.Capacity)
	}
	return bot.Message{Fields: []bot.Field{
		{Name: "Kind", Value: string(g.Kind), Inline: true},
		{Name: "Admission", Value: string(g.Admission), Inline: true},
		{Name: "Capacity", Value: capacity, Inline: true},
		{Name: "Time zone", Value: g.TimeZone, Inline: true},
		{Name: "Privacy", Value: string(g.Privacy), Inline: true},
		{Name: "Facilitators", Value: describeAll(g.Address.Platform, g.Facilitators)},
		{Name: "Facilitators are told privately", Value: facilitatorsReach(g)},
	}}
}

// show describes the group.
func (f *Feature) show(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	ms, err := f.st.ListMembers(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	active, waiting := memberCounts(ms)
	msg := settingsMessage(g)
	msg.Title = "Group " + g.Name
	members := fmt.Sprintf("%d active", active)
	if g.Capacity > 0 {
		members = fmt.Sprintf("%d of %d active", active, g.Capacity)
	}
	if waiting > 0 {
		members += fmt.Sprintf(", %d on the waitlist", waiting)
	}
	defined := "chat: change it with /tend group setup name:" + g.Name
	if g.Source == bot.SourceConfig {
		defined = f.configFile + ": change it there and restart tend"
	}
	msg.Fields = append(msg.Fields,
		bot.Field{Name: "Members", Value: members + " (/tend roster list shows them)"},
		bot.Field{Name: "Channel", Value: where(g)},
		bot.Field{Name: "Defined in", Value: defined},
	)
	return []bot.Outbound{bot.ReplyMessage(msg)}, nil
}

// facilitators adds or removes a facilitator.
func (f *Feature) facilitators(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	platform := g.Address.Platform
	action := req.Arg("action")
	var p bot.Principal
	switch user, role := req.Arg("user"), req.Arg("role"); {
	case user != "" && role != "":
		return nil, bot.Errorf("Give user: or role:, not both: run the command once for each.")
	case user != "":
		id, err := parseUser(platform, user)
		if err != nil {
			return nil, err
		}
		p = bot.Principal(platform + ":" + string(id))
	case role != "":
		r, err := parseRole(platform, role)
		if err != nil {
			return nil, err
		}
		p = r
	default:
		return nil, bot.Errorf("Say who: /tend group facilitators %s user:@name (or role:@role on Discord).", action)
	}
	if g.Source == bot.SourceConfig {
		return nil, editInFile(&g, f.configFile)
	}
	who := describe(platform, p)
	by := req.Actor.Principal()
	if action == "add" {
		err := f.st.AddFacilitator(ctx, by, g.ID, p)
		if errors.Is(err, bot.ErrConflict) {
			return nil, &bot.UserError{Msg: fmt.Sprintf("%s is already a facilitator of %s. /tend group show lists them.", who, g.Name), Err: err}
		}
		if err != nil {
			return nil, err
		}
		return []bot.Outbound{bot.Reply(fmt.Sprintf("%s is now a facilitator of %s.", who, g.Name))}, nil
	}
	if !hasPrincipal(g.Facilitators, p) {
		return nil, bot.Errorf("%s is not a facilitator of %s, so there is nothing to remove. /tend group show lists them.", who, g.Name)
	}
	if len(g.Facilitators) == 1 {
		return nil, bot.Errorf("%s is the last facilitator of %s. Add another with /tend group facilitators add user:@name first, so that someone can still run the group.", who, g.Name)
	}
	err := f.st.RemoveFacilitator(ctx, by, g.ID, p)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, &bot.UserError{Msg: fmt.Sprintf("%s is no longer a facilitator of %s.", who, g.Name), Err: err}
	}
	if err != nil {
		return nil, err
	}
	return []bot.Outbound{bot.Reply(fmt.Sprintf("%s is no longer a facilitator of %s.", who, g.Name))}, nil
}

// facilitatorsReach says where tend tells the facilitators things.
func facilitatorsReach(g bot.Group) string {
	if g.FacilitatorsChannel == "" {
		return "by DM to each facilitator"
	}
	return "in " + channelName(bot.Address{Platform: g.Address.Platform, Channel: g.FacilitatorsChannel}) + " (private)"
}
