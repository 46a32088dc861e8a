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
	GroupByName(ctx context.Context, name string) (bot.Group, error)
	UpdateGroup(ctx context.Context, by bot.Principal, g bot.Group) (bot.Group, []bot.Member, error)
	// UpsertConfigGroup creates or overwrites the group of g.Name with
	// everything g declares, facilitators included.
	UpsertConfigGroup(ctx context.Context, by bot.Principal, g bot.Group) (bot.Group, []bot.Member, error)
	ConfigDigests
}

// ConfigDigests are the bulk paths of applying the file: every group it
// declared with the digest of the declaration it was last applied from,
// and many groups created at once.
type ConfigDigests interface {
	// ConfigDigests returns, by name, the digest of the declaration each
	// group from the file (source config) was last applied from; "" when
	// none is recorded. Any change to a group made otherwise clears it.
	ConfigDigests(ctx context.Context) (map[string]string, error)
	// AddConfigGroups creates groups declared in the file, many per
	// transaction, as UpsertConfigGroup creates one; a group that is not
	// valid or whose name or channel is taken is left out. It returns
	// those it created.
	AddConfigGroups(ctx context.Context, by bot.Principal, gs []bot.Group) ([]bot.Group, error)
	// RecordConfigDigests stores, by group id, the digest each group's
	// declaration was applied from.
	RecordConfigDigests(ctx context.Context, digests map[int64]string) error
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

// Declared is a group as the config file declares it, with a digest of
// everything the file declares for it: its settings, its schedule and every
// feature's section (config.Group.Digest).
type Declared struct {
	bot.Group
	// Digest identifies the declaration; "" applies it at every start.
	Digest string
}

// Applied says, for each group of a chunk of declared groups, in order,
// whether its declaration changed since it was last applied, and the group
// as stored when it did.
type Applied struct {
	// Changed: the group is new in the file, or its declaration differs
	// from the one it was last applied from (or none was recorded). The
	// features apply their parts of it; then Record records it. A group
	// whose declaration did not change is neither read nor written, by
	// groups or by any feature.
	Changed []bool
	// Groups are the changed groups as stored (zero for the others).
	Groups  []bot.Group
	digests []string
}

// Record stores the digests of the changed groups, once every feature has
// applied its parts of them: the next start with the same declarations
// skips them. Until then a start applies them again.
func (a Applied) Record(ctx context.Context, st ConfigDigests) error {
	ds := map[int64]string{}
	for i, changed := range a.Changed {
		if changed && a.digests[i] != "" && a.Groups[i].ID != 0 {
			ds[a.Groups[i].ID] = a.digests[i]
		}
	}
	if len(ds) == 0 {
		return nil
	}
	if err := st.RecordConfigDigests(ctx, ds); err != nil {
		return fmt.Errorf("groups: record the applied config: %w", err)
	}
	return nil
}

// ConfigRun applies the groups declared in the config file at start, a
// chunk at a time, so that a file of any size is applied in bounded
// memory: BeginConfig reads what was applied before, Apply applies each
// chunk of the declared groups, End hands over the groups the file no
// longer declares. The file wins for what it declares, and groups created
// by chat stay. A group whose declaration has not changed since it was
// last applied is skipped (see Applied); the groups new to the database
// are created many at once. A group renamed in the file (same channel, a
// name no longer declared) keeps its roster and history under the new
// name. A group that was declared in the file earlier but no longer is
// stays too, with its members and history, and is from then on managed in
// chat.
type ConfigRun struct {
	st ConfigGroups
	// stored: the digest each group the file declared before was applied
	// from, by name.
	stored map[string]string
	// declared: every name the file declares now.
	declared map[string]bool
}

// BeginConfig starts applying a config file that declares the groups
// named names.
func BeginConfig(ctx context.Context, st ConfigGroups, names []string) (*ConfigRun, error) {
	stored, err := st.ConfigDigests(ctx)
	if err != nil {
		return nil, fmt.Errorf("groups: apply config: %w", err)
	}
	declared := make(map[string]bool, len(names))
	for _, n := range names {
		declared[n] = true
	}
	return &ConfigRun{st: st, stored: stored, declared: declared}, nil
}

// Apply applies one chunk of the declared groups. It tries every group and
// returns every failure, each naming its group.
func (r *ConfigRun) Apply(ctx context.Context, decl []Declared) (Applied, error) {
	st := r.st
	out := Applied{Changed: make([]bool, len(decl)), Groups: make([]bot.Group, len(decl)), digests: make([]string, len(decl))}
	var fresh, known []int
	for i, d := range decl {
		out.digests[i] = d.Digest
		dg, ok := r.stored[d.Name]
		switch {
		case ok && d.Digest != "" && dg == d.Digest:
			// Applied before from this very declaration.
		case ok:
			out.Changed[i] = true
			known = append(known, i)
		default:
			out.Changed[i] = true
			fresh = append(fresh, i)
		}
	}
	// Names the file did not declare before: created in bulk; those whose
	// name (a chat group) or channel (a rename, a clash) is taken go one by
	// one.
	if len(fresh) > 0 {
		gs := make([]bot.Group, len(fresh))
		for k, i := range fresh {
			gs[k] = decl[i].Group
		}
		added, err := st.AddConfigGroups(ctx, ConfigActor, gs)
		if err != nil {
			return out, fmt.Errorf("groups: apply config: %w", err)
		}
		byName := make(map[string]bot.Group, len(added))
		for _, g := range added {
			byName[g.Name] = g
		}
		for _, i := range fresh {
			if g, ok := byName[decl[i].Name]; ok {
				out.Groups[i] = g
			} else {
				known = append(known, i)
			}
		}
		slices.Sort(known)
	}
	var errs []error
	for _, i := range known {
		g, err := applyOne(ctx, st, decl[i].Group, r.declared)
		if err != nil {
			out.Changed[i] = false
			errs = append(errs, err)
			continue
		}
		out.Groups[i] = g
	}
	return out, errors.Join(errs...)
}

// End hands the groups that the file declared before and no longer does
// over to chat, with their members and history.
func (r *ConfigRun) End(ctx context.Context) error {
	names := make([]string, 0, len(r.stored))
	for name := range r.stored {
		if !r.declared[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		g, err := r.st.GroupByName(ctx, name)
		if errors.Is(err, bot.ErrNotFound) {
			continue // renamed in the file
		}
		if err == nil && g.Source == bot.SourceConfig {
			g.Source = bot.SourceChat
			_, _, err = r.st.UpdateGroup(ctx, ConfigActor, g)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("group %s, no longer in the config file: hand it over to chat: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// ApplyConfig applies the groups declared in the config file in one go
// (see ConfigRun), trying every group and returning every failure.
func ApplyConfig(ctx context.Context, st ConfigGroups, decl []Declared) (Applied, error) {
	names := make([]string, len(decl))
	for i, d := range decl {
		names[i] = d.Name
	}
	r, err := BeginConfig(ctx, st, names)
	if err != nil {
		return Applied{}, err
	}
	out, err := r.Apply(ctx, decl)
	return out, errors.Join(err, r.End(ctx))
}

// applyOne applies one declared group: renamed when its channel's group
// had another name the file no longer declares, then created or
// overwritten by name.
func applyOne(ctx context.Context, st ConfigGroups, g bot.Group, declared map[string]bool) (bot.Group, error) {
	g.Source = bot.SourceConfig
	cur, err := st.GroupByAddress(ctx, g.Address)
	switch {
	case err == nil && cur.Name != g.Name && cur.Source == bot.SourceConfig && !declared[cur.Name]:
		// Renamed in the file.
		cur.Name = g.Name
		if _, _, err := st.UpdateGroup(ctx, ConfigActor, cur); err != nil {
			return bot.Group{}, fmt.Errorf("group %s in the config file: rename from the name it had in the file before: %w", g.Name, err)
		}
	case err != nil && !errors.Is(err, bot.ErrNotFound):
		return bot.Group{}, fmt.Errorf("group %s in the config file: %w", g.Name, err)
	}
	stored, _, err := st.UpsertConfigGroup(ctx, ConfigActor, g)
	if err != nil {
		if errors.Is(err, bot.ErrConflict) {
			return bot.Group{}, fmt.Errorf("group %s in the config file: %w. A channel holds one group: bind %s to another channel in the file, or give it the existing group's name to take that group over (its roster is kept)", g.Name, err, g.Name)
		}
		return bot.Group{}, fmt.Errorf("group %s in the config file: %w", g.Name, err)
	}
	return stored, nil
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
