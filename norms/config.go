package norms

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tend-bot/tend/bot"
)

// sectionKeys returns the keys of a group's norms: section.
func sectionKeys() []string {
	return []string{"template", "items", "require", "role", "repost", "lobby_channel"}
}

// Section returns the norms: section of a group's entry in the config
// file, for the config package to check and `tend check` to summarise.
func Section() bot.ConfigSection {
	return bot.ConfigSection{
		Key: "norms",
		Check: func(g bot.Group, n *bot.Node, path string) []bot.ConfigProblem {
			_, problems := readSection(g, n, path)
			return problems
		},
		Summary: summary,
	}
}

// fileSection is a group's norms: section as read.
type fileSection struct {
	template string
	items    []string
	text     bool // template or items given
	require  bool
	role     bot.RoleID
	repost   string
	lobby    bot.ChannelID
	declared []string // the settings the section sets, as NormsSettings.FromFile names them
}

// readSection reads and checks a norms: section for group g. A nil n is
// no section.
func readSection(g bot.Group, n *bot.Node, path string) (fileSection, []bot.ConfigProblem) {
	var (
		fs fileSection
		r  bot.NodeReader
	)
	if n == nil {
		return fs, nil
	}
	m := r.Map(n, path, sectionKeys())
	if m == nil {
		return fs, r.Problems
	}
	if t, ok := r.OneOf(m["template"], path+".template", TemplateNames()); ok {
		fs.template, fs.text = t, true
	}
	if it := m["items"]; !it.IsNull() {
		items, ok := r.Strings(it, path+".items", `["What is shared here stays here.", "Speak from your own experience."]`, 0)
		if ok {
			// As in chat: an agreement is read without the spaces around
			// it (a YAML block scalar ends with a line break).
			for i := range items {
				items[i] = strings.TrimSpace(bot.StripPlaceholderRunes(items[i]))
			}
			checkFileItems(&r, it, path+".items", items)
			fs.items, fs.text = items, true
		}
		if fs.template != "" {
			r.Fail(it, path+".items", "is set together with template", "give template: (a built-in set) or items: (your own list), not both")
		}
	}
	if fs.text {
		fs.declared = append(fs.declared, "text")
	}
	if v, ok := r.Bool(m["require"], path+".require"); ok {
		fs.require = v
		fs.declared = append(fs.declared, "require")
	}
	platform := g.Address.Platform
	if rn := m["role"]; !rn.IsNull() {
		if s, ok := r.String(rn, path+".role"); ok {
			id := strings.TrimSuffix(strings.TrimPrefix(s, "<@&"), ">")
			switch {
			case platform != "" && platform != bot.PlatformDiscord:
				r.Fail(rn, path+".role", "roles are a Discord feature; this group is on "+platform,
					"remove role:; on Slack and the console, name a public lobby_channel: where newcomers arrive, and agreeing invites them to the group's channel")
			case !bot.IsSnowflake(id):
				r.Fail(rn, path+".role", fmt.Sprintf("%q is not a Discord role id", s),
					"write the role's id in quotes, such as \"333444555666777888\" (Server Settings → Roles → ⋯ → Copy Role ID, with Developer Mode on)")
			case !fs.require:
				r.Fail(rn, path+".role", "a role is granted on agreeing, which needs require: true",
					"add require: true, or remove role:")
			case g.Guild == "":
				r.Fail(rn, path+".role", "tend needs the group's server to welcome newcomers there and grant the role",
					"set guild: on the group to its server id (right-click the server → Copy Server ID)")
			case id == g.Guild:
				r.Fail(rn, path+".role", "is the server's @everyone role (its id is the server's): everybody has it, so it gates nothing",
					"make a role for the group (Server Settings → Roles) that alone can see its channel, and give that role's id")
			default:
				fs.role = bot.RoleID(id)
			}
			fs.declared = append(fs.declared, "role")
		}
	}
	if v, ok := r.OneOf(m["repost"], path+".repost", []string{bot.RepostNever, bot.RepostEachSession}); ok {
		fs.repost = v
		fs.declared = append(fs.declared, "repost")
	}
	if ln := m["lobby_channel"]; !ln.IsNull() {
		if s, ok := r.String(ln, path+".lobby_channel"); ok {
			ch := bot.ChannelID(strings.TrimPrefix(s, "#"))
			switch {
			case platform == bot.PlatformDiscord:
				r.Fail(ln, path+".lobby_channel", "on Discord newcomers arrive in the server, not a lobby channel",
					"remove lobby_channel: and name the role that opens the group's channel with role:")
			case ch == g.Address.Channel:
				r.Fail(ln, path+".lobby_channel", "is the group's own channel",
					"name a public channel newcomers can join; agreeing there invites them to the group's (private) channel")
			case platform == bot.PlatformSlack && !bot.IsSlackID(string(ch)):
				r.Fail(ln, path+".lobby_channel", fmt.Sprintf("%q is not a Slack channel id", s),
					"write the channel's id, such as C0123ABCD (channel details → bottom of the About tab)")
			case !fs.require:
				r.Fail(ln, path+".lobby_channel", "newcomers are invited from the lobby on agreeing, which needs require: true",
					"add require: true, or remove lobby_channel:")
			default:
				fs.lobby = ch
			}
			fs.declared = append(fs.declared, "lobby_channel")
		}
	}
	return fs, r.Problems
}

// checkFileItems reports agreements that break the limits, at the item.
func checkFileItems(r *bot.NodeReader, n *bot.Node, field string, items []string) {
	if len(items) == 0 {
		r.Fail(n, field, "is empty", "write at least one agreement, or use template: instead")
		return
	}
	if len(items) > MaxItems {
		r.Fail(n, field, fmt.Sprintf("has %d agreements; the most is %d", len(items), MaxItems), fmt.Sprintf("merge or drop %d of them", len(items)-MaxItems))
	}
	for i, it := range items {
		at := n
		if i < len(n.Items) {
			at = n.Items[i]
		}
		name := fmt.Sprintf("%s[%d]", field, i)
		switch c := utf8.RuneCountInString(it); {
		case it == "":
			r.Fail(at, name, "is empty (or only spaces)", "write the agreement, or remove the item")
		case c > MaxItemLen:
			r.Fail(at, name, fmt.Sprintf("is %d characters long", c), fmt.Sprintf("keep each agreement to %d characters: split it or shorten it", MaxItemLen))
		case strings.IndexFunc(it, unicode.IsControl) >= 0:
			r.Fail(at, name, "holds a control character (a tab or a line break)", "write each agreement as plain text on one line; give another agreement its own item")
		}
	}
	if c := utf8.RuneCountInString(listText(items)); c > MaxText {
		r.Fail(n, field, fmt.Sprintf("comes to %d characters as a numbered list; the most is %d (Slack's limit for the edit form)", c, MaxText),
			fmt.Sprintf("shorten the agreements by %d characters in all", c-MaxText))
	}
}

// summary describes a checked section in one line for `tend check`.
func summary(g bot.Group, n *bot.Node) string {
	fs, problems := readSection(g, n, "norms")
	if n == nil || len(problems) > 0 {
		return ""
	}
	var parts []string
	switch {
	case fs.template != "":
		parts = append(parts, "template "+fs.template)
	case fs.items != nil:
		parts = append(parts, bot.Plural(len(fs.items), "agreement", "agreements")+" of the group's own")
	default:
		parts = append(parts, "template "+defaultTemplate(g.Kind)+" unless set in chat")
	}
	if fs.require {
		parts = append(parts, "agreement required")
	}
	if fs.role != "" {
		parts = append(parts, "role "+string(fs.role)+" on agreeing")
	}
	if fs.lobby != "" {
		parts = append(parts, "newcomers arrive in "+string(fs.lobby))
	}
	if fs.repost == bot.RepostEachSession {
		parts = append(parts, "posted at each session")
	} else if g.Admission == bot.AdmissionClosed {
		parts = append(parts, "posted at the first session")
	}
	return strings.Join(parts, ", ")
}

// ApplyConfig applies a group's norms: section at start. The file wins for
// the settings it declares (chat commands refuse to change them); its text
// (template: or items:) becomes a new version only when it differs from
// what the file said when last applied, so that edits made in chat since
// survive a restart with the same file. A section without text gives a
// group without norms the template for its kind. A group whose section was
// removed from the file keeps its settings, from then on changed in chat.
// Applying the same file again changes nothing.
func (f *Feature) ApplyConfig(ctx context.Context, g bot.Group, n *bot.Node) error {
	s, err := f.settings(ctx, g)
	if err != nil {
		return err
	}
	if n == nil {
		if len(s.FromFile) == 0 {
			return nil
		}
		s.FromFile = nil
		return f.st.SaveNormsSettings(ctx, ConfigActor, s, nil)
	}
	fs, problems := readSection(g, n, "norms")
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = p
		}
		return errors.Join(errs...)
	}
	wasRequired := s.Require
	s.FromFile = fs.declared
	for _, d := range fs.declared {
		switch d {
		case "require":
			s.Require = fs.require
		case "role":
			s.Role = fs.role
		case "repost":
			s.Repost = fs.repost
		case "lobby_channel":
			s.Lobby = fs.lobby
		}
	}
	cur, have, err := f.current(ctx, g)
	if err != nil {
		return err
	}
	var items []string
	source := "config"
	switch {
	case fs.items != nil:
		items = fs.items
	case fs.template != "":
		t, _ := LookupTemplate(fs.template)
		items, source = t.Items, "template:"+t.Name
	case !have:
		t, _ := LookupTemplate(defaultTemplate(g.Kind))
		items, source = t.Items, "template:"+t.Name
	}
	asked := false
	if items != nil {
		fp := fingerprint(items)
		if fs.text && s.FileText == fp {
			items = nil // applied before; chat may have changed it since
		}
		if fs.text {
			s.FileText = fp
		}
	}
	if items != nil && (!have || !sameItems(cur.Items, items)) {
		v, err := f.st.AddNormsVersion(ctx, bot.NormsVersion{GroupID: g.ID, Items: items, Author: ConfigActor, Source: source},
			func(v bot.NormsVersion) []bot.Job {
				if !s.Require {
					return nil
				}
				return []bot.Job{askJob(g.ID, v.Version)}
			})
		if err != nil {
			return err
		}
		cur, have, asked = v, true, s.Require
	}
	var jobs []bot.Job
	if s.Require && !wasRequired && have && !asked {
		jobs = append(jobs, askJob(g.ID, cur.Version))
	}
	if err := f.st.SaveNormsSettings(ctx, ConfigActor, s, jobs); err != nil {
		return err
	}
	f.r.Notify()
	return nil
}
