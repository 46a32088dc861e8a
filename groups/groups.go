// Package groups is the feature that binds channels to groups and keeps
// their settings, facilitators and rosters: the commands group setup, group
// show, group facilitators and roster add|remove|list, and ApplyConfig for
// the groups declared in the config file.
//
// It imports bot only. The store it needs is declared here (Store) and
// satisfied by store.DB; every change the store makes is written to the
// audit log in the same transaction, without content.
package groups

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/tend-bot/tend/bot"
)

// Groups finds, creates and changes groups. Lookups return an error
// wrapping bot.ErrNotFound when there is no such group; a taken name or an
// already bound channel wraps bot.ErrConflict. Changes are audited for the
// principal by. Safe for concurrent use.
type Groups interface {
	bot.GroupStore
	ListGroups(ctx context.Context) ([]bot.Group, error)
	// GroupsInGuild returns the groups on platform in a Discord guild or
	// Slack team.
	GroupsInGuild(ctx context.Context, platform, guild string) ([]bot.Group, error)
	CreateGroup(ctx context.Context, by bot.Principal, g bot.Group) (bot.Group, error)
	// UpdateGroup changes settings, not facilitators, and returns the
	// waitlisted members a larger capacity let in.
	UpdateGroup(ctx context.Context, by bot.Principal, g bot.Group) (bot.Group, []bot.Member, error)
}

// ConfigGroups applies groups declared in the config file.
type ConfigGroups interface {
	GroupByAddress(ctx context.Context, a bot.Address) (bot.Group, error)
	ListGroups(ctx context.Context) ([]bot.Group, error)
	UpdateGroup(ctx context.Context, by bot.Principal, g bot.Group) (bot.Group, []bot.Member, error)
	// UpsertConfigGroup creates or overwrites the group of g.Name with
	// everything g declares, facilitators included.
	UpsertConfigGroup(ctx context.Context, by bot.Principal, g bot.Group) (bot.Group, []bot.Member, error)
}

// Facilitators grants and takes facilitator rights. Adding a facilitator
// twice wraps bot.ErrConflict; removing one who is not wraps
// bot.ErrNotFound.
type Facilitators interface {
	AddFacilitator(ctx context.Context, by bot.Principal, groupID int64, p bot.Principal) error
	RemoveFacilitator(ctx context.Context, by bot.Principal, groupID int64, p bot.Principal) error
}

// Roster keeps a group's members. AddMemberThen decides the status (active, or
// waitlisted when the group is at capacity) and wraps bot.ErrConflict for a
// user or code already on the roster; RemoveMember returns the waitlisted
// members the freed place let in. MemberByUser and MemberByCode return
// removed entries too and wrap bot.ErrNotFound when there is none.
type Roster interface {
	// AddMemberThen adds m and enqueues the jobs then returns for the
	// entry as added, in one transaction.
	AddMemberThen(ctx context.Context, by bot.Principal, m bot.Member, then func(bot.Member) []bot.Job) (bot.Member, error)
	RemoveMember(ctx context.Context, by bot.Principal, groupID, id int64) ([]bot.Member, error)
	ListMembers(ctx context.Context, groupID int64) ([]bot.Member, error)
	MemberByUser(ctx context.Context, groupID int64, user bot.UserID) (bot.Member, error)
	MemberByCode(ctx context.Context, groupID int64, code string) (bot.Member, error)
}

// Store is everything the commands need.
type Store interface {
	Groups
	Facilitators
	Roster
}

// ConfigActor is the principal that config-file changes are audited as.
const ConfigActor bot.Principal = "system:config"

// Feature is the groups feature.
type Feature struct {
	st   Store
	deps bot.Deps
	log  *slog.Logger
	b    *bot.Bot
	r    *bot.Runner
	// configFile names the config file in refusals about groups it
	// declares.
	configFile string
}

var _ bot.Feature = (*Feature)(nil)

// New returns the feature over its store. d.TimeZone is the zone of a
// group set up without timezone: (the config's top-level timezone).
func New(st Store, d bot.Deps) (*Feature, error) {
	if st == nil {
		return nil, errors.New("groups: a store is required")
	}
	d = d.WithDefaults()
	if _, err := bot.LoadLocation(d.TimeZone); err != nil {
		return nil, fmt.Errorf("groups: default time zone: %w", err)
	}
	f := &Feature{st: st, deps: d, log: d.Logger, configFile: d.ConfigFile}
	if f.configFile == "" {
		f.configFile = "the config file"
	}
	return f, nil
}

// Register adds the group and roster commands to b, and the core's
// handling of members leaving.
func (f *Feature) Register(b *bot.Bot, r *bot.Runner) error {
	f.b, f.r = b, r
	b.Subscribe("groups", f.memberLeft)
	kinds := make([]string, len(bot.GroupKinds))
	for i, k := range bot.GroupKinds {
		kinds[i] = string(k)
	}
	userOpt := bot.Option{Name: "user", Description: "the person, by mention (@name)", Type: bot.OptUser}
	specs := []bot.CommandSpec{
		{
			Path:    "group setup",
			Summary: "Bind this channel to a group, or change its settings",
			// Who may run it depends on whether the channel is bound
			// already; setup checks that itself. Help lists it for
			// facilitators and owners, the only people it serves.
			Access:   bot.AccessAnyone,
			Audience: bot.AccessFacilitator,
			Group:    bot.GroupOptional,
			Options: []bot.Option{
				{Name: "name", Description: "the group's name: lowercase letters, digits, dashes", Placeholder: "name", Required: true},
				{Name: "kind", Description: "what sort of group meets", Choices: kinds},
				{Name: "admission", Description: "open: rolling admission; closed: fixed roster", Choices: []string{string(bot.AdmissionOpen), string(bot.AdmissionClosed)}},
				{Name: "capacity", Description: "most active members; 0 for no limit", Type: bot.OptInt},
				{Name: "timezone", Description: "IANA time zone, such as Europe/London", Placeholder: "zone"},
				{Name: "privacy", Description: "minimal: roster by code only, no names", Choices: []string{string(bot.PrivacyStandard), string(bot.PrivacyMinimal)}},
				{Name: "facilitators_channel", Description: "a private channel where tend tells the facilitators things; none: by DM", Type: bot.OptChannel},
			},
			Run: f.setup,
		},
		{
			Path:    "group show",
			Summary: "This group's settings, facilitators and roster size",
			Access:  bot.AccessFacilitator,
			Group:   bot.GroupRequired,
			Run:     f.show,
		},
		{
			Path:    "group facilitators",
			Summary: "Add or remove a facilitator of this group",
			Access:  bot.AccessFacilitator,
			Group:   bot.GroupRequired,
			Options: []bot.Option{
				{Name: "action", Description: "add or remove", Required: true, Positional: true, Choices: []string{"add", "remove"}},
				userOpt,
				{Name: "role", Description: "a Discord role (mention or id): everyone with it", Placeholder: "@role"},
			},
			Run: f.facilitators,
		},
		{
			Path:    "roster add",
			Summary: "Add a member, or a code-only roster entry",
			Access:  bot.AccessFacilitator,
			Group:   bot.GroupRequired,
			Options: []bot.Option{
				userOpt,
				{Name: "code", Description: "roster code, such as C-104 (for someone not on this platform)", Placeholder: "code"},
				{Name: "name", Description: "display name (not under minimal privacy)", Placeholder: "name"},
			},
			Run: f.rosterAdd,
		},
		{
			Path:    "roster remove",
			Summary: "Take a member off the roster",
			Access:  bot.AccessFacilitator,
			Group:   bot.GroupRequired,
			Options: []bot.Option{userOpt, {Name: "code", Description: "roster code", Placeholder: "code"}},
			Run:     f.rosterRemove,
		},
		{
			Path:    "roster list",
			Summary: "Who is on the roster and the waitlist",
			Access:  bot.AccessFacilitator,
			Group:   bot.GroupRequired,
			Run:     f.rosterList,
		},
	}
	for _, s := range specs {
		if err := b.Register(s); err != nil {
			return fmt.Errorf("groups: %w", err)
		}
	}
	return nil
}

// ApplyConfig applies the groups declared in the config file at start: the
// file wins for what it declares, and groups created by chat stay. A group
// renamed in the file (same channel, a name no longer declared) keeps its
// roster and history under the new name. A group that was declared in the
// file earlier but no longer is stays too, with its members and history,
// and is from then on managed in chat. ApplyConfig tries every group and
// returns every failure, each naming its group.
func ApplyConfig(ctx context.Context, st ConfigGroups, groups []bot.Group) error {
	var errs []error
	declared := map[string]bool{}
	for _, g := range groups {
		declared[g.Name] = true
	}
	for _, g := range groups {
		g.Source = bot.SourceConfig
		cur, err := st.GroupByAddress(ctx, g.Address)
		switch {
		case err == nil && cur.Name != g.Name && cur.Source == bot.SourceConfig && !declared[cur.Name]:
			// Renamed in the file.
			cur.Name = g.Name
			if _, _, err := st.UpdateGroup(ctx, ConfigActor, cur); err != nil {
				errs = append(errs, fmt.Errorf("group %s in the config file: rename from the name it had in the file before: %w", g.Name, err))
				continue
			}
		case err != nil && !errors.Is(err, bot.ErrNotFound):
			errs = append(errs, fmt.Errorf("group %s in the config file: %w", g.Name, err))
			continue
		}
		if _, _, err := st.UpsertConfigGroup(ctx, ConfigActor, g); err != nil {
			if errors.Is(err, bot.ErrConflict) {
				err = fmt.Errorf("group %s in the config file: %w. A channel holds one group: bind %s to another channel in the file, or give it the existing group's name to take that group over (its roster is kept)", g.Name, err, g.Name)
			} else {
				err = fmt.Errorf("group %s in the config file: %w", g.Name, err)
			}
			errs = append(errs, err)
		}
	}
	all, err := st.ListGroups(ctx)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("groups: apply config: %w", err))...)
	}
	for _, g := range all {
		if g.Source != bot.SourceConfig || declared[g.Name] {
			continue
		}
		g.Source = bot.SourceChat
		if _, _, err := st.UpdateGroup(ctx, ConfigActor, g); err != nil {
			errs = append(errs, fmt.Errorf("group %s, no longer in the config file: hand it over to chat: %w", g.Name, err))
		}
	}
	return errors.Join(errs...)
}

// describe renders a principal for a reply on platform.
func describe(platform string, p bot.Principal) string {
	switch {
	case p.IsRole() && platform == bot.PlatformDiscord:
		return "<@&" + p.ID() + ">"
	case p.IsRole():
		return "role " + p.ID()
	case p.Kind() == platform:
		return bot.Mention(platform, bot.UserID(p.ID()))
	}
	return string(p)
}

func describeAll(platform string, ps []bot.Principal) string {
	if len(ps) == 0 {
		return "none (only the bot's owners can run facilitator commands)"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = describe(platform, p)
	}
	return strings.Join(out, ", ")
}

// parseUser reads the user: option. Discord and Slack need a mention (or a
// raw account id of the platform's shape: a snowflake, a U… or W… id); the
// console names people plainly, as /as does.
func parseUser(platform, v string) (bot.UserID, error) {
	v = strings.TrimSpace(v)
	id, ok := bot.ParseMention(v)
	if !ok {
		id = bot.UserID(v)
	}
	if bot.CheckUserID(platform, id) == nil {
		return id, nil
	}
	if platform == bot.PlatformConsole {
		return "", bot.Errorf("%s does not name a person: write their name in 1 to %d letters, digits, dots, dashes or underscores, for example user:sam.", bot.Excerpt(v, 40), bot.MaxConsoleNameLen)
	}
	return "", bot.Errorf("%s does not name an account on %s: mention the person (type @ and pick them from the list), for example user:@sam.", bot.Excerpt(v, 40), platform)
}

// parseRole reads the role: option: a Discord role mention or id.
func parseRole(platform, v string) (bot.Principal, error) {
	if platform != bot.PlatformDiscord {
		return "", bot.Errorf("Roles are a Discord feature; on %s add facilitators one by one with user:@name.", platform)
	}
	id := strings.TrimSpace(v)
	if strings.HasPrefix(id, "<@&") && strings.HasSuffix(id, ">") {
		id = id[3 : len(id)-1]
	}
	if !bot.IsSnowflake(id) {
		return "", bot.Errorf("%s is not a Discord role: mention it (type @ and pick the role) or give its id, for example role:222333444555666777.", bot.Excerpt(v, 40))
	}
	return bot.Principal("role:" + id), nil
}

func editInFile(g *bot.Group, file string) error {
	return bot.Errorf("Group %s is defined in %s, so its settings and facilitators are changed there: edit its entry under groups: and restart tend.", g.Name, file)
}

// memberCounts counts active and waitlisted members.
func memberCounts(ms []bot.Member) (active, waiting int) {
	for _, m := range ms {
		switch m.Status {
		case bot.MemberActive:
			active++
		case bot.MemberWaitlisted:
			waiting++
		}
	}
	return active, waiting
}

func labels(platform string, p bot.Privacy, ms []bot.Member) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Label(platform, p)
	}
	return strings.Join(out, ", ")
}

func hasPrincipal(ps []bot.Principal, p bot.Principal) bool { return slices.Contains(ps, p) }
