package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tend-bot/tend/bot"
)

const scheduleFix = `write for example weekly: tue 18:00 (or "mon,thu 09:30"), or cron: "0 18 * * TUE" (minute hour day month weekday)`

func (d *decoder) decodeGroups(e entry, cfg *Config) {
	items, ok := d.list(e, "groups", "- name: tuesday-support (one mapping per group)")
	if !ok {
		return
	}
	// Duplicates are checked for every group whose name or channel could be
	// read, also when it has other problems, so that all are reported at
	// once.
	type first struct{ index, line int }
	byName := map[string]first{}
	byChannel := map[bot.Address]first{}
	for i, it := range items {
		path := index("groups", i)
		g, m, ok := d.decodeGroup(it, path, cfg)
		if m == nil {
			continue // not a mapping: reported
		}
		here := first{i, deref(it).Line}
		if g.Name != "" {
			if f, dup := byName[g.Name]; dup {
				d.fail(m["name"].val, path+".name", fmt.Sprintf("group name %q is already used by groups[%d] on line %d", g.Name, f.index, f.line), "give each group its own name")
				continue
			}
			byName[g.Name] = here
		}
		if g.Address.Platform != "" && g.Address.Channel != "" {
			if f, dup := byChannel[g.Address]; dup {
				n := m["channel"].val
				if n == nil {
					n = it
				}
				d.fail(n, path+".channel", fmt.Sprintf("channel %s is already bound to groups[%d]", g.Address, f.index), "bind each group to its own channel")
				continue
			}
			byChannel[g.Address] = here
		}
		if ok {
			cfg.Groups = append(cfg.Groups, g)
		}
	}
}

// decodeGroup reads one group; ok is false when it had a problem (already
// reported).
func (d *decoder) decodeGroup(n *yaml.Node, path string, cfg *Config) (Group, map[string]entry, bool) {
	before := len(d.errs)
	g := Group{
		Group: bot.Group{
			Kind:      bot.KindSupport,
			Admission: bot.AdmissionOpen,
			Privacy:   bot.PrivacyStandard,
			TimeZone:  cfg.TimeZone,
			Source:    bot.SourceConfig,
		},
		Reminders: Reminders{Leads: DefaultLead(), RSVP: true},
		Line:      deref(n).Line,
	}
	m := d.mapping(n, path, d.sectionKeys(groupKeys, false, ""))
	if m == nil {
		return g, nil, false
	}
	if !m["name"].set() {
		d.fail(n, path+".name", "a group needs a name", "add name: such as tuesday-support")
	} else if s, ok := d.str(m["name"], path+".name"); ok {
		if err := bot.ValidName(s); err != nil {
			d.failErr(m["name"].val, path+".name", err, "use 1 to 40 lowercase letters, digits and dashes, such as tuesday-support")
		} else {
			g.Name = s
		}
	}
	platform := ""
	if !m["platform"].set() {
		d.fail(n, path+".platform", "a group needs a platform", "add platform: discord, slack or console")
	} else if s, ok := d.oneOf(m["platform"], path+".platform", platforms); ok {
		platform = s
		switch {
		case s == bot.PlatformDiscord && cfg.Discord == nil:
			d.fail(m["platform"].val, path+".platform", "the group is on discord but the file has no discord: section", "add a discord: section (see config.example.yaml) or change the platform")
		case s == bot.PlatformSlack && cfg.Slack == nil:
			d.fail(m["platform"].val, path+".platform", "the group is on slack but the file has no slack: section", "add a slack: section (see config.example.yaml) or change the platform")
		case s == bot.PlatformConsole && !cfg.ConsoleEnabled():
			d.fail(m["platform"].val, path+".platform", "the group is on the console but the console adapter is off (auto turns it off when discord or slack is configured)", "set console: {enabled: on}, or change the platform")
		}
	}
	g.Address.Platform = platform
	if s, ok := d.str(m["channel"], path+".channel"); ok {
		switch {
		case platform == bot.PlatformDiscord && !bot.IsSnowflake(s):
			d.fail(m["channel"].val, path+".channel", fmt.Sprintf("%q is not a Discord channel id", s), "with Developer Mode on, right-click the channel and Copy Channel ID (a long number)")
		case platform == bot.PlatformSlack && !bot.IsSlackID(s):
			d.fail(m["channel"].val, path+".channel", fmt.Sprintf("%q is not a Slack channel id", s), "open the channel's details in Slack and copy the Channel ID at the bottom (such as C0123ABCD)")
		case s == "" || strings.ContainsAny(s, " \t"):
			d.fail(m["channel"].val, path+".channel", fmt.Sprintf("%q is not a channel name", s), "write one word, such as tuesday-support")
		default:
			g.Address.Channel = bot.ChannelID(strings.TrimPrefix(s, "#"))
		}
	} else if !m["channel"].set() {
		if platform == bot.PlatformConsole {
			// In the console, /in NAME switches to the group's channel.
			g.Address.Channel = bot.ChannelID(g.Name)
		} else if platform != "" {
			d.fail(n, path+".channel", "a "+platform+" group needs the channel it is bound to", "add channel: with the channel's id")
		}
	}
	if s, ok := d.str(m["guild"], path+".guild"); ok {
		g.Guild = s
	}
	if s, ok := d.oneOf(m["kind"], path+".kind", kinds()); ok {
		g.Kind = bot.GroupKind(s)
	}
	if s, ok := d.oneOf(m["admission"], path+".admission", []string{string(bot.AdmissionOpen), string(bot.AdmissionClosed)}); ok {
		g.Admission = bot.Admission(s)
	}
	if v, ok := d.integer(m["capacity"], path+".capacity", 0, 10000, "12 (0 for no limit)"); ok {
		g.Capacity = v
	}
	if s, ok := d.zone(m["timezone"], path+".timezone"); ok {
		g.TimeZone = s
	}
	if s, ok := d.oneOf(m["privacy"], path+".privacy", []string{string(bot.PrivacyStandard), string(bot.PrivacyMinimal)}); ok {
		g.Privacy = bot.Privacy(s)
	}
	d.decodeFacilitators(m["facilitators"], path+".facilitators", platform, &g)
	if e := m["schedule"]; e.val != nil {
		g.Schedule = d.decodeSchedule(e, path+".schedule", g.TimeZone)
	}
	d.decodeReminders(m["reminders"], path+".reminders", &g.Reminders)
	if s, ok := d.str(m["facilitators_channel"], path+".facilitators_channel"); ok {
		switch {
		case platform == bot.PlatformDiscord && !bot.IsSnowflake(s):
			d.fail(m["facilitators_channel"].val, path+".facilitators_channel", fmt.Sprintf("%q is not a Discord channel id", s), "with Developer Mode on, right-click the private channel and Copy Channel ID")
		case platform == bot.PlatformSlack && !bot.IsSlackID(s):
			d.fail(m["facilitators_channel"].val, path+".facilitators_channel", fmt.Sprintf("%q is not a Slack channel id", s), "open the private channel's details in Slack and copy its Channel ID (such as G0123ABCD or C0123ABCD)")
		case s == "" || strings.ContainsAny(s, " \t"):
			d.fail(m["facilitators_channel"].val, path+".facilitators_channel", fmt.Sprintf("%q is not a channel", s), "write one word")
		case bot.ChannelID(strings.TrimPrefix(s, "#")) == g.Address.Channel:
			d.fail(m["facilitators_channel"].val, path+".facilitators_channel", "is the group's own channel, which members read", "name a private channel that only the facilitators are in, or leave it out to reach them by DM")
		default:
			g.FacilitatorsChannel = bot.ChannelID(strings.TrimPrefix(s, "#"))
		}
	}
	if len(d.errs) > before {
		return g, m, false
	}
	// A safety net: the core's own rules must agree.
	if err := g.Group.Validate(); err != nil {
		d.failErr(n, path, err, "see config.example.yaml")
		return g, m, false
	}
	// The features check their own sections, knowing the group.
	g.Sections = d.decodeSections(m, path, false, "", g.Group, d.opts.Sections)
	return g, m, len(d.errs) == before
}

func kinds() []string {
	out := make([]string, len(bot.GroupKinds))
	for i, k := range bot.GroupKinds {
		out[i] = string(k)
	}
	return out
}

func (d *decoder) decodeFacilitators(e entry, path, platform string, g *Group) {
	items, ok := d.list(e, path, `["discord:111222333444555666", "role:222333444555666777"]`)
	if !ok {
		return
	}
	for i, it := range items {
		f := index(path, i)
		s, ok := d.scalar(it, f, "text", `write platform:id or role:id, such as "discord:111222333444555666"`)
		if !ok {
			continue
		}
		p, err := bot.ParsePrincipal(strings.TrimSpace(s))
		if err != nil {
			d.failErr(it, f, err, "write platform:id or role:id, such as discord:111222333444555666 or role:222333444555666777")
			continue
		}
		switch {
		case p.IsRole() && platform != "" && platform != bot.PlatformDiscord:
			d.fail(it, f, "roles are a Discord feature; this group is on "+platform, "name each facilitator as "+platform+":id")
			continue
		case !p.IsRole() && platform != "" && p.Kind() != platform:
			d.fail(it, f, fmt.Sprintf("%s is a %s account but the group is on %s", p, p.Kind(), platform), "name facilitators by their "+platform+" id, as "+platform+":id")
			continue
		case !d.principalShape(it, f, p):
			continue
		}
		g.Facilitators = append(g.Facilitators, p)
	}
}

func (d *decoder) decodeSchedule(e entry, path, zone string) *bot.Schedule {
	before := len(d.errs)
	m := d.mapping(e.val, path, scheduleKeys)
	if m == nil {
		return nil
	}
	s := &bot.Schedule{Duration: time.Hour}
	weekly, cron := m["weekly"], m["cron"]
	switch {
	case weekly.set() && cron.set():
		d.fail(cron.key, path+".cron", "both weekly and cron are set", "keep one of them")
	case !weekly.set() && !cron.set():
		at := e.val
		if isNull(at) {
			at = e.key
		}
		d.fail(at, path+".weekly", "a schedule needs weekly: or cron:", scheduleFix)
	}
	if v, ok := d.str(weekly, path+".weekly"); ok {
		s.Weekly = v
	}
	if v, ok := d.str(cron, path+".cron"); ok {
		s.Cron = v
	}
	// The limits (a session's length, the number of sessions, how far
	// ahead a series may start, count: with until: …) are the schedule
	// package's, applied by the CheckSchedule hook below, so that chat and
	// the file keep the same ones.
	if v, ok := d.duration(m["duration"], path+".duration"); ok {
		s.Duration = v
	}
	if v, ok := d.date(m["starts"], path+".starts"); ok {
		s.Starts = v
	}
	if v, ok := d.date(m["until"], path+".until"); ok {
		s.Until = v
	}
	if m["count"].set() {
		if v, ok := d.integer(m["count"], path+".count", 0, math.MaxInt32, "8"); ok {
			if v == 0 {
				d.fail(m["count"].val, path+".count", "count: 0 gives no sessions", "write the number of sessions, such as 8, or leave count out for a series without end")
			}
			s.Count = v
		}
	}
	if v, ok := d.strs(m["topics"], path+".topics", `["Welcome and agreements", "Understanding stress"]`); ok {
		for i, t := range v {
			d.limit(deref(m["topics"].val).Content[i], index(path+".topics", i), t, bot.MaxTopicLen, `shorten the topic; what to bring goes after "|" in the same text`)
		}
		s.Topics = v
	}
	if v, ok := d.str(m["link"], path+".link"); ok && d.limit(m["link"].val, path+".link", v, bot.MaxLinkLen, "use the meeting's short link") {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			d.fail(m["link"].val, path+".link", fmt.Sprintf("%q is not a web link", v), "write the meeting link in full, such as https://meet.example.org/tuesday")
		} else {
			s.Link = v
		}
	}
	if v, ok := d.str(m["voice_channel"], path+".voice_channel"); ok {
		s.VoiceChannel = bot.ChannelID(v)
	}
	if len(d.errs) > before || d.opts.CheckSchedule == nil {
		return s
	}
	loc, err := bot.LoadLocation(zone)
	if err != nil {
		return s // reported at the zone
	}
	if err := d.check(func() error { return d.opts.CheckSchedule(*s, loc) }); err != nil {
		// Point at the setting the problem is about, else at what says
		// when (weekly: or cron:).
		at, field := weekly, path+".weekly"
		if cron.set() {
			at, field = cron, path+".cron"
		}
		if name := settingOf(err); m[name].set() {
			at, field = m[name], path+"."+name
		}
		d.failErr(at.val, field, err, scheduleFix)
	}
	return s
}

// settingOf returns the setting a schedule check's error names (the
// schedule package's *Error), or "".
func settingOf(err error) string {
	var se interface{ Setting() string }
	if errors.As(err, &se) {
		return se.Setting()
	}
	return ""
}

// check calls an injected hook, turning a panic (the cron parser panics on
// some malformed input) into an error.
func (d *decoder) check(hook func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the schedule could not be read (%v)", r)
		}
	}()
	return hook()
}

func (d *decoder) decodeReminders(e entry, path string, r *Reminders) {
	m := d.mapping(e.val, path, remindersKeys)
	if m == nil {
		return
	}
	if items, ok := d.list(m["lead"], path+".lead", "[24h, 1h]"); ok {
		r.Leads = []time.Duration{} // lead: [] sends none
		nodes := make([]*yaml.Node, 0, len(items))
		for i, it := range items {
			f := index(path+".lead", i)
			s, ok := d.scalar(it, f, "a duration", durationFix)
			if !ok {
				continue
			}
			v, ok := d.parseDuration(it, f, s)
			if !ok {
				continue
			}
			r.Leads = append(r.Leads, v)
			nodes = append(nodes, it)
		}
		if len(nodes) == len(items) && d.opts.CheckLeads != nil {
			if err := d.check(func() error { return d.opts.CheckLeads(r.Leads) }); err != nil {
				// "lead[1]" names the item; "lead", the list.
				at, field := deref(m["lead"].val), path+".lead"
				var i int
				if _, err := fmt.Sscanf(settingOf(err), "lead[%d]", &i); err == nil && i >= 0 && i < len(nodes) {
					at, field = nodes[i], index(path+".lead", i)
				}
				d.failErr(at, field, err, "write lead times such as [24h, 1h], or [] for no reminders")
			}
		}
	} else if !m["lead"].set() && m["lead"].val != nil {
		r.Leads = []time.Duration{} // "lead:" with nothing: no reminders, as []
	}
	if v, ok := d.boolean(m["rsvp"], path+".rsvp"); ok {
		r.RSVP = v
	}
	if v, ok := d.boolean(m["dm"], path+".dm"); ok {
		r.DM = v
	}
	if v, ok := d.boolean(m["starting_now"], path+".starting_now"); ok {
		r.StartingNow = v
	}
}
