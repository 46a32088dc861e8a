package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
)

// check prints what the (already validated) config sets up, and with
// --count the next sessions and reminders of each group.
func (m *Main) check(ctx context.Context) error {
	cfg := m.Config
	src := m.ConfigPath
	if src == "" {
		src = "built-in defaults (no tend.yaml here)"
	}
	w := m.Stdout
	fmt.Fprintf(w, "%s: OK\n", src)
	writeWarnings(w, cfg)
	writeSummary(w, cfg, m.path(cfg.Storage.Path), m.sections())
	m.writeHolder(ctx, w, m.path(cfg.Storage.Path))
	if m.Count == 0 {
		return nil
	}
	fmt.Fprintln(w)
	return printPreview(w, cfg, m.From, m.FromDate, m.Count)
}

// writeSummary describes cfg in a few lines an operator can check by eye.
// It never prints secrets, only where they come from.
func writeSummary(w io.Writer, cfg *config.Config, dbPath string, sections []bot.ConfigSection) {
	fmt.Fprintf(w, "  database:  %s\n", dbPath)
	fmt.Fprintf(w, "  log:       %s, %s, to standard error\n", strings.ToLower(cfg.Log.Level.String()), cfg.Log.Format)
	fmt.Fprintf(w, "  time zone: %s (for groups that set none)\n", cfg.TimeZone)
	var plats []string
	if cfg.Discord != nil {
		s := "discord"
		if len(cfg.Discord.GuildIDs) > 0 {
			s += " (commands in " + bot.Plural(len(cfg.Discord.GuildIDs), "server", "servers") + ")"
		}
		plats = append(plats, s)
	}
	if cfg.Slack != nil {
		s := "slack (" + cfg.Slack.Mode + " mode"
		if cfg.Slack.Mode == config.SlackHTTP {
			s += ", listening on " + cfg.Slack.Listen
		}
		plats = append(plats, s+")")
	}
	if cfg.ConsoleEnabled() {
		plats = append(plats, "console")
	}
	if len(plats) == 0 {
		plats = append(plats, "none: nothing would run")
	}
	fmt.Fprintf(w, "  platforms: %s\n", strings.Join(plats, ", "))
	owners := make([]string, len(cfg.Owners))
	for i, o := range cfg.Owners {
		owners[i] = string(o)
	}
	if len(owners) == 0 {
		owners = append(owners, "none (the console's user is always one)")
	}
	fmt.Fprintf(w, "  owners:    %s\n", strings.Join(owners, ", "))
	resources := "resources set"
	if cfg.Safety.Resources == config.DefaultCrisisResources {
		resources = "resources are the built-in placeholder: set safety.resources to a crisis line for your members' region"
	}
	fmt.Fprintf(w, "  safety:    %s\n", resources)
	if cfg.HTTP != nil {
		fmt.Fprintf(w, "  http:      /healthz, /readyz and /metrics on %s\n", cfg.HTTP.Listen)
	}
	if cfg.Calendar != nil {
		fmt.Fprintf(w, "  calendar:  feeds served on %s, linked as %s/calendar/…\n", cfg.Calendar.Listen, cfg.Calendar.BaseURL)
	}
	for _, sec := range sections {
		if n := cfg.Sections[sec.Key]; sec.Global && n != nil && sec.Summary != nil {
			if s := sec.Summary(bot.Group{}, n); s != "" {
				fmt.Fprintf(w, "  %s: %s\n", sec.Key, s)
			}
		}
	}
	if len(cfg.Groups) == 0 {
		fmt.Fprintln(w, "  groups:    none in the file (set them up in chat with /tend group setup)")
		return
	}
	fmt.Fprintf(w, "  groups:    %d\n", len(cfg.Groups))
	for _, g := range cfg.Groups {
		fmt.Fprintf(w, "  - %s on %s, %s group, %s", g.Name, g.Address, g.Kind, g.Admission)
		if g.Capacity > 0 {
			fmt.Fprintf(w, ", up to %s", bot.Plural(g.Capacity, "member", "members"))
		}
		fmt.Fprintf(w, ", %s, privacy %s\n", g.TimeZone, g.Privacy)
		if len(g.Facilitators) > 0 {
			fs := make([]string, len(g.Facilitators))
			for i, f := range g.Facilitators {
				fs[i] = string(f)
			}
			fmt.Fprintf(w, "      facilitators: %s\n", strings.Join(fs, ", "))
		}
		if s := g.Schedule; s != nil {
			fmt.Fprintf(w, "      series: %s\n", describeSchedule(*s))
			fmt.Fprintf(w, "      reminders: %s\n", describeReminders(g.Reminders))
		}
		for _, sec := range sections {
			if n := g.Sections[sec.Key]; !sec.Global && n != nil && sec.Summary != nil {
				if s := sec.Summary(g.Group, n); s != "" {
					fmt.Fprintf(w, "      %s: %s\n", sec.Key, s)
				}
			}
		}
	}
}

func describeSchedule(s bot.Schedule) string {
	var b strings.Builder
	if s.Weekly != "" {
		b.WriteString("weekly " + s.Weekly)
	} else {
		b.WriteString("cron " + s.Cron)
	}
	fmt.Fprintf(&b, ", %s each", shortDuration(s.Duration))
	if s.Starts != "" {
		b.WriteString(", from " + s.Starts)
	}
	switch {
	case s.Count > 0:
		b.WriteString(", " + bot.Plural(s.Count, "session", "sessions"))
	case s.Until != "":
		b.WriteString(", until " + s.Until)
	default:
		b.WriteString(", no end")
	}
	if len(s.Topics) > 0 {
		b.WriteString(", " + bot.Plural(len(s.Topics), "topic", "topics"))
	}
	if s.Link != "" {
		b.WriteString(", with a meeting link")
	}
	return b.String()
}

func describeReminders(r config.Reminders) string {
	if len(r.Leads) == 0 {
		return "none"
	}
	leads := make([]string, len(r.Leads))
	for i, d := range r.Leads {
		leads[i] = shortDuration(d)
	}
	s := strings.Join(leads, " and ") + " before"
	if r.RSVP {
		s += ", with RSVP buttons"
	}
	if r.DM {
		s += ", DMs for members who ask"
	}
	if r.StartingNow {
		s += ", \"starting now\" post"
	}
	return s
}

// shortDuration prints 24h0m0s as 24h and 1h30m0s as 1h30m.
func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}
