package config

import (
	"fmt"
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
	byName := map[string]int{}
	byChannel := map[bot.Address]int{}
	for i, it := range items {
		path := index("groups", i)
		g, m, ok := d.decodeGroup(it, path, cfg)
		if !ok {
			continue
		}
		if first, dup := byName[g.Name]; dup {
			d.fail(m["name"].val, path+".name", fmt.Sprintf("group name %q is already used by groups[%d] on line %d", g.Name, first, cfg.Groups[groupIndex(cfg, g.Name)].Line), "give each group its own name")
			continue
		}
		if first, dup := byChannel[g.Address]; dup {
			n := m["channel"].val
			if n == nil {
				n = it
			}
			d.fail(n, path+".channel", fmt.Sprintf("channel %s is already bound to groups[%d]", g.Address, first), "bind each group to its own channel")
			continue
		}
		byName[g.Name] = i
		byChannel[g.Address] = i
		cfg.Groups = append(cfg.Groups, g)
	}
}

func groupIndex(cfg *Config, name string) int {
	for i, g := range cfg.Groups {
		if g.Name == name {
			return i
		}
	}
	return 0
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
		Reminders:     Reminders{Leads: DefaultLead(), RSVP: true},
		Norms:         Norms{Repost: "never"},
		Attendance:    Attendance{MinMinutes: 10, LateAfter: 10 * time.Minute, AbsenceAlertAfter: 2},
		RetentionDays: DefaultRetentionDays,
		Line:          deref(n).Line,
	}
	m := d.mapping(n, path, groupKeys)
	if m == nil {
		return g, nil, false
	}
	if !m["name"].set() {
		d.fail(n, path+".name", "a group needs a name", "add name: such as tuesday-support")
	} else if s, ok := d.str(m["name"], path+".name"); ok {
		if err := bot.ValidName(s); err != nil {
			d.failErr(m["name"].val, path+".name", err, "use lowercase letters, digits and dashes, such as tuesday-support")
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
	if s, ok := d.str(m["timezone"], path+".timezone"); ok {
		if _, err := bot.LoadLocation(s); err != nil {
			d.failErr(m["timezone"].val, path+".timezone", err, zoneFix)
		} else {
			g.TimeZone = s
		}
	}
	if s, ok := d.oneOf(m["privacy"], path+".privacy", []string{string(bot.PrivacyStandard), string(bot.PrivacyMinimal)}); ok {
		g.Privacy = bot.Privacy(s)
	}
	d.decodeFacilitators(m["facilitators"], path+".facilitators", platform, &g)
	if e := m["schedule"]; e.val != nil {
		g.Schedule = d.decodeSchedule(e, path+".schedule", g.TimeZone)
	}
	d.decodeReminders(m["reminders"], path+".reminders", &g.Reminders)
	d.decodeNorms(m["norms"], path+".norms", platform, &g.Norms)
	d.decodeCheckIns(m["checkins"], path+".checkins", &g)
	d.decodeAttendance(m["attendance"], path+".attendance", &g.Attendance)
	if v, ok := d.integer(m["retention_days"], path+".retention_days", 1, 3650, "90"); ok {
		g.RetentionDays = v
	}
	if len(d.errs) > before {
		return g, m, false
	}
	// A safety net: the core's own rules must agree.
	if err := g.Group.Validate(); err != nil {
		d.failErr(n, path, err, "see config.example.yaml")
		return g, m, false
	}
	return g, m, true
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
	if v, ok := d.duration(m["duration"], path+".duration"); ok {
		if v > 24*time.Hour {
			d.fail(m["duration"].val, path+".duration", fmt.Sprintf("%s is longer than a day", v), "write the length of one session, such as 90m")
		}
		s.Duration = v
	}
	if v, ok := d.date(m["starts"], path+".starts"); ok {
		s.Starts = v
	}
	if v, ok := d.date(m["until"], path+".until"); ok {
		s.Until = v
		if s.Starts != "" && v < s.Starts {
			d.fail(m["until"].val, path+".until", fmt.Sprintf("until %s is before starts %s", v, s.Starts), "write an end date after the start date")
		}
	}
	if m["count"].set() {
		if v, ok := d.integer(m["count"], path+".count", 0, 10000, "8"); ok {
			if v == 0 {
				d.fail(m["count"].val, path+".count", "count: 0 gives no sessions", "write the number of sessions, such as 8, or leave count out for a series without end")
			}
			s.Count = v
		}
		if m["until"].set() {
			d.fail(m["until"].key, path+".until", "both count and until are set", "end the series by count or by until, not both")
		}
	}
	if v, ok := d.strs(m["topics"], path+".topics", `["Welcome and agreements", "Understanding stress"]`); ok {
		s.Topics = v
	}
	if v, ok := d.str(m["link"], path+".link"); ok {
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
	at, field := weekly, path+".weekly"
	if cron.set() {
		at, field = cron, path+".cron"
	}
	if err := d.checkSchedule(*s, loc); err != nil {
		d.failErr(at.val, field, err, scheduleFix)
	}
	return s
}

// checkSchedule calls the injected hook, turning a panic (the cron parser
// panics on some malformed input) into an error.
func (d *decoder) checkSchedule(s bot.Schedule, loc *time.Location) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the schedule could not be read (%v)", r)
		}
	}()
	return d.opts.CheckSchedule(s, loc)
}

func (d *decoder) decodeReminders(e entry, path string, r *Reminders) {
	m := d.mapping(e.val, path, remindersKeys)
	if m == nil {
		return
	}
	if items, ok := d.list(m["lead"], path+".lead", "[24h, 1h]"); ok {
		r.Leads = r.Leads[:0:0]
		seen := map[time.Duration]bool{}
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
			if v > 30*24*time.Hour {
				d.fail(it, f, fmt.Sprintf("%s is more than 30 days ahead", v), "write a lead time of at most 720h")
				continue
			}
			if seen[v] {
				d.fail(it, f, fmt.Sprintf("lead %s is listed twice", v), "list each lead time once")
				continue
			}
			seen[v] = true
			r.Leads = append(r.Leads, v)
		}
	} else if !m["lead"].set() && m["lead"].val != nil {
		r.Leads = nil // "lead:" with nothing: no reminders
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

func (d *decoder) decodeNorms(e entry, path, platform string, n *Norms) {
	m := d.mapping(e.val, path, normsKeys)
	if m == nil {
		return
	}
	if s, ok := d.oneOf(m["template"], path+".template", NormTemplates); ok {
		n.Template = s
	}
	if v, ok := d.strs(m["items"], path+".items", `["What is shared here stays here.", "Speak from your own experience."]`); ok {
		n.Items = v
	}
	if v, ok := d.boolean(m["require"], path+".require"); ok {
		n.Require = v
	}
	if s, ok := d.str(m["role"], path+".role"); ok {
		if platform != "" && platform != bot.PlatformDiscord {
			d.fail(m["role"].val, path+".role", "roles are a Discord feature; this group is on "+platform, "remove role:; on Slack, gating invites members to the group's private channel")
		} else if !bot.IsSnowflake(s) {
			d.fail(m["role"].val, path+".role", fmt.Sprintf("%q is not a Discord role id", s), "with Developer Mode on, right-click the role in Server Settings → Roles and Copy Role ID")
		} else {
			n.Role = bot.RoleID(s)
		}
	}
	if s, ok := d.oneOf(m["repost"], path+".repost", []string{"never", "each_session"}); ok {
		n.Repost = s
	}
}

func (d *decoder) decodeCheckIns(e entry, path string, g *Group) {
	m := d.mapping(e.val, path, checkinsKeys)
	if m == nil {
		return
	}
	if m["at_start"].set() {
		g.CheckIns.AtStart = d.decodePrompt(m["at_start"], path+".at_start", atStartKeys, g)
	}
	if m["between"].set() {
		g.CheckIns.Between = d.decodePrompt(m["between"], path+".between", betweenKeys, g)
	}
	if v, ok := d.boolean(m["share_tally"], path+".share_tally"); ok {
		g.CheckIns.ShareTally = v
	}
}

func (d *decoder) decodePrompt(e entry, path string, keys []string, g *Group) *Prompt {
	m := d.mapping(e.val, path, keys)
	if m == nil {
		return nil
	}
	p := &Prompt{Kind: "traffic", Delivery: "channel"}
	if s, ok := d.oneOf(m["kind"], path+".kind", PromptKinds); ok {
		p.Kind = s
		if g.Privacy == bot.PrivacyMinimal && (s == "word" || s == "text") {
			d.fail(m["kind"].val, path+".kind", "free-text check-ins are off under privacy: minimal", "use scale, traffic or choice")
		}
	}
	if s, ok := d.str(m["prompt"], path+".prompt"); ok {
		p.Text = s
	}
	if v, ok := d.strs(m["choices"], path+".choices", `["calm", "tired", "anxious"]`); ok {
		p.Choices = v
	}
	if p.Kind == "choice" && len(p.Choices) < 2 {
		d.fail(deref(e.val), path+".choices", "a choice check-in needs at least two choices", `add choices: such as ["calm", "tired", "anxious"]`)
	}
	if s, ok := d.oneOf(m["delivery"], path+".delivery", []string{"channel", "dm"}); ok {
		p.Delivery = s
	}
	if v, ok := d.boolean(m["nudge"], path+".nudge"); ok {
		p.Nudge = v
	}
	if contains(keys, "cron") {
		if !m["cron"].set() {
			d.fail(deref(e.val), path+".cron", "a between-session check-in needs its own cron", `add cron: such as "0 12 * * FRI" (Fridays at noon)`)
		} else if s, ok := d.str(m["cron"], path+".cron"); ok {
			p.Cron = s
			if d.opts.CheckSchedule != nil {
				if loc, err := bot.LoadLocation(g.TimeZone); err == nil {
					if err := d.checkSchedule(bot.Schedule{Cron: s, Duration: time.Minute}, loc); err != nil {
						d.failErr(m["cron"].val, path+".cron", err, `write a five-field cron expression such as "0 12 * * FRI"`)
					}
				}
			}
		}
	}
	return p
}

func (d *decoder) decodeAttendance(e entry, path string, a *Attendance) {
	m := d.mapping(e.val, path, attendanceKeys)
	if m == nil {
		return
	}
	if s, ok := d.str(m["voice_channel"], path+".voice_channel"); ok {
		a.VoiceChannel = bot.ChannelID(s)
	}
	if v, ok := d.integer(m["min_minutes"], path+".min_minutes", 0, 1440, "10"); ok {
		a.MinMinutes = v
	}
	if v, ok := d.duration(m["late_after"], path+".late_after"); ok {
		a.LateAfter = v
	}
	if v, ok := d.integer(m["absence_alert_after"], path+".absence_alert_after", 0, 100, "2 (0 for no alerts)"); ok {
		a.AbsenceAlertAfter = v
	}
	if v, ok := d.boolean(m["missed_you_dm"], path+".missed_you_dm"); ok {
		a.MissedYouDM = v
	}
}
