package discord_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/tend-bot/tend/adapters/discord"
	"github.com/tend-bot/tend/adapters/discord/discordtest"
	"github.com/tend-bot/tend/bot"
)

func memberIDs(us []bot.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, string(u.ID))
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestAdapter_ChannelInspector(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	f := w.fake
	facRole := f.AddRole(w.guild, "facilitators")
	muted := f.AddRole(w.guild, "muted")
	admin := f.AddRoleWith(w.guild, "admins", discordtest.PermAdministrator)
	f.SetMemberRoles(w.guild, w.facil, facRole)
	boss := f.AddUser("boss", false)
	f.AddMember(w.guild, discordtest.Member{UserID: boss, Roles: []string{admin}})
	owner := f.AddUser("owner", false)
	f.AddMember(w.guild, discordtest.Member{UserID: owner})
	f.SetOwner(w.guild, owner)
	helper := f.AddUser("helperbot", true)
	f.AddMember(w.guild, discordtest.Member{UserID: helper})
	stranger := f.AddUser("stranger", false) // not in the guild

	private := f.AddPrivateChannel(w.guild, "facilitators", facRole)
	// A private channel one member sees by a member overwrite.
	oneToOne := f.AddPrivateChannel(w.guild, "one-to-one", w.member2)
	// A public channel a role may not see, except one of its holders.
	quiet := f.AddChannel(w.guild, "quiet", discordtest.ChannelText)
	f.SetOverwrite(quiet, discordtest.Overwrite{ID: muted, Type: discordtest.OverwriteRole, Deny: discordtest.PermViewChannel})
	f.SetMemberRoles(w.guild, w.member, muted)
	f.SetMemberRoles(w.guild, w.member2, muted)
	f.SetOverwrite(quiet, discordtest.Overwrite{ID: w.member2, Type: discordtest.OverwriteMember, Allow: discordtest.PermViewChannel})

	addr := func(ch string) bot.Address {
		return bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(ch)}
	}
	for _, tc := range []struct {
		name    string
		ch      string
		private bool
		members []string // who can view it, bots excluded
	}{
		{"Public", w.channel, false, []string{w.facil, w.member, w.member2, boss, owner}},
		{"PrivateByRole", private, true, []string{w.facil, boss, owner}},
		{"PrivateByMemberOverwrite", oneToOne, true, []string{w.member2, boss, owner}},
		{"RoleDenyMemberAllow", quiet, false, []string{w.facil, w.member2, boss, owner}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			priv, err := w.ad.ChannelPrivate(ctx, addr(tc.ch))
			if err != nil || priv != tc.private {
				t.Errorf("ChannelPrivate = %v, %v; want %v", priv, err, tc.private)
			}
			got, err := w.ad.ChannelMembers(ctx, addr(tc.ch))
			if err != nil {
				t.Fatal(err)
			}
			if ids := memberIDs(got); !slices.Equal(ids, sorted(tc.members...)) {
				t.Errorf("ChannelMembers = %v; want %v", ids, sorted(tc.members...))
			}
			for _, u := range []string{w.facil, w.member, w.member2, boss, owner, stranger} {
				in, err := w.ad.InChannel(ctx, addr(tc.ch), bot.UserID(u))
				if want := slices.Contains(tc.members, u); err != nil || in != want {
					t.Errorf("InChannel(%s) = %v, %v; want %v", u, in, err, want)
				}
			}
		})
	}
	t.Run("CachedForAWhile", func(t *testing.T) {
		before := len(f.Requests())
		if _, err := w.ad.ChannelMembers(ctx, addr(private)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.ad.ChannelPrivate(ctx, addr(private)); err != nil {
			t.Fatal(err)
		}
		if n := len(f.Requests()) - before; n != 0 {
			t.Errorf("asking again within the TTL made %d requests; want 0", n)
		}
	})
	t.Run("UnreachableChannel", func(t *testing.T) {
		hidden := f.AddChannel(w.guild, "hidden", discordtest.ChannelText)
		f.Forbid(hidden)
		if _, err := w.ad.ChannelPrivate(ctx, addr(hidden)); !errors.Is(err, bot.ErrUnreachable) {
			t.Errorf("ChannelPrivate of a channel the bot cannot see = %v; want ErrUnreachable", err)
		}
		if _, err := w.ad.ChannelMembers(ctx, addr("1100000000000000000")); !errors.Is(err, bot.ErrUnreachable) {
			t.Errorf("ChannelMembers of an unknown channel = %v; want ErrUnreachable", err)
		}
	})
	t.Run("Home", func(t *testing.T) {
		other := f.AddGuild("another server")
		elsewhere := f.AddChannel(other, "their-staff", discordtest.ChannelText)
		for _, c := range []struct {
			ch     string
			home   string
			direct bool
		}{{private, w.guild, false}, {w.channel, w.guild, false}, {elsewhere, other, false}, {f.DMChannel(w.member), "", true}} {
			home, direct, err := w.ad.ChannelHome(ctx, addr(c.ch))
			if err != nil || home != c.home || direct != c.direct {
				t.Errorf("ChannelHome(%s) = %q, %v, %v; want %q, %v", c.ch, home, direct, err, c.home, c.direct)
			}
		}
	})
	t.Run("DirectMessage", func(t *testing.T) {
		dm := f.DMChannel(w.member)
		priv, err := w.ad.ChannelPrivate(ctx, addr(dm))
		if err != nil || !priv {
			t.Errorf("ChannelPrivate(DM) = %v, %v; want true", priv, err)
		}
		in, err := w.ad.InChannel(ctx, addr(dm), bot.UserID(w.member))
		if err != nil || !in {
			t.Errorf("InChannel(DM, its recipient) = %v, %v; want true", in, err)
		}
		if in, _ := w.ad.InChannel(ctx, addr(dm), bot.UserID(w.member2)); in {
			t.Error("InChannel(DM, someone else) = true")
		}
	})
}

func TestAdapter_ChannelMembersPagesAndCap(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int
		want int
	}{
		{"AllPages", 0, 1203}, // 1200 added, and fran, sam and alex
		{"Capped", 1100, 1100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, worldOpts{tweak: func(c *discord.Config) { c.MaxMembers = tc.max }})
			for i := range 1200 {
				u := w.fake.AddUser(fmt.Sprintf("m%d", i), false)
				w.fake.AddMember(w.guild, discordtest.Member{UserID: u})
			}
			got, err := w.ad.ChannelMembers(t.Context(), bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)})
			if err != nil {
				t.Fatal(err)
			}
			// The bot itself is a member of the guild; with the cap it may
			// be among those read, so at most one fewer person.
			if n := len(got); n != tc.want && !(tc.max > 0 && n == tc.want-1) {
				t.Errorf("%d members; want %d", n, tc.want)
			}
			seen := map[bot.UserID]bool{}
			for _, u := range got {
				if seen[u.ID] || u.Bot || strings.HasPrefix(u.Name, "tend") {
					t.Fatalf("member %+v listed twice or a bot", u)
				}
				seen[u.ID] = true
			}
			pages := 0
			for _, r := range w.fake.Requests() {
				if strings.HasSuffix(r.Path, "/guilds/"+w.guild+"/members") {
					pages++
				}
			}
			if pages != 2 {
				t.Errorf("%d member pages read; want 2", pages)
			}
		})
	}
}

func TestAdapter_InChannelFollowsMembersLeavingAndJoining(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	at := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(w.channel)}
	if in, err := w.ad.InChannel(ctx, at, bot.UserID(w.member)); err != nil || !in {
		t.Fatalf("InChannel before leaving = %v, %v", in, err)
	}
	if _, err := w.ad.ChannelMembers(ctx, at); err != nil {
		t.Fatal(err)
	}
	w.fake.Leave(w.guild, w.member)
	w.waitEvent(t, "member left", func(e bot.Event) bool { _, ok := e.(*bot.MemberLeft); return ok })
	// The cached answers are dropped when the member leaves, not after
	// the TTL.
	if in, err := w.ad.InChannel(ctx, at, bot.UserID(w.member)); err != nil || in {
		t.Errorf("InChannel after leaving = %v, %v; want false", in, err)
	}
	got, err := w.ad.ChannelMembers(ctx, at)
	if err != nil || slices.Contains(memberIDs(got), w.member) {
		t.Errorf("ChannelMembers after leaving = %v, %v; want without %s", memberIDs(got), err, w.member)
	}
	w.fake.Join(w.guild, w.member, false)
	w.waitEvent(t, "member joined", func(e bot.Event) bool { _, ok := e.(*bot.MemberJoined); return ok })
	if in, err := w.ad.InChannel(ctx, at, bot.UserID(w.member)); err != nil || !in {
		t.Errorf("InChannel after joining again = %v, %v; want true", in, err)
	}
}

// TestAdapter_InChannelFollowsRolesItGrants: a role tend grants or takes
// back may open or close a channel; the next answer about the member is
// fresh, without waiting for the gateway's update.
func TestAdapter_InChannelFollowsRolesItGrants(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	private := w.fake.AddPrivateChannel(w.guild, "members-only", w.role)
	at := bot.Address{Platform: bot.PlatformDiscord, Channel: bot.ChannelID(private)}
	if in, err := w.ad.InChannel(ctx, at, bot.UserID(w.member)); err != nil || in {
		t.Fatalf("InChannel before the role = %v, %v; want false", in, err)
	}
	if _, err := w.ad.ChannelMembers(ctx, at); err != nil {
		t.Fatal(err)
	}
	grant := bot.Outbound{Kind: bot.OutGrantRole, Guild: w.guild, User: bot.UserID(w.member), Role: bot.RoleID(w.role)}
	if _, err := w.ad.Deliver(ctx, grant); err != nil {
		t.Fatal(err)
	}
	if in, err := w.ad.InChannel(ctx, at, bot.UserID(w.member)); err != nil || !in {
		t.Errorf("InChannel after granting the role = %v, %v; want true", in, err)
	}
	revoke := grant
	revoke.Kind = bot.OutRevokeRole
	if _, err := w.ad.Deliver(ctx, revoke); err != nil {
		t.Fatal(err)
	}
	if in, err := w.ad.InChannel(ctx, at, bot.UserID(w.member)); err != nil || in {
		t.Errorf("InChannel after taking the role back = %v, %v; want false", in, err)
	}
}

// TestAdapter_InspectRole: what the bot may do with a role, from the
// guild's roles and the bot's own member: a role below the bot's is
// grantable; one above it, @everyone, the bot's own (managed) role or one
// that does not exist is not; nor is any without Manage Roles, unless the
// bot owns the guild.
func TestAdapter_InspectRole(t *testing.T) {
	w := newWorld(t, worldOpts{})
	ctx := t.Context()
	f := w.fake
	above := f.AddRole(w.guild, "moderators")
	f.PlaceRoleAboveBot(w.guild, above)
	for _, tc := range []struct {
		name      string
		role      string
		want      bot.RoleInfo
		grantable bool
	}{
		{"BelowBot", w.role, bot.RoleInfo{Exists: true, Name: "role" + w.role, CanManage: true, BelowBot: true}, true},
		{"AboveBot", above, bot.RoleInfo{Exists: true, Name: "role" + above, CanManage: true}, false},
		{"Everyone", w.guild, bot.RoleInfo{Exists: true, Name: "@everyone", Everyone: true, CanManage: true, BelowBot: true}, false},
		{"BotsOwn", f.BotRole(w.guild), bot.RoleInfo{Exists: true, Name: "tend", Managed: true, CanManage: true}, false},
		{"Missing", "123456789012345678", bot.RoleInfo{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := w.ad.InspectRole(ctx, w.guild, bot.RoleID(tc.role))
			if err != nil || got != tc.want || got.Grantable() != tc.grantable {
				t.Fatalf("InspectRole = %+v, %v (grantable %v); want %+v (grantable %v)", got, err, got.Grantable(), tc.want, tc.grantable)
			}
		})
	}

	t.Run("NoManageRoles", func(t *testing.T) {
		w := newWorld(t, worldOpts{})
		w.fake.SetRolePermissions(w.guild, w.fake.BotRole(w.guild), discordtest.DefaultEveryone)
		got, err := w.ad.InspectRole(t.Context(), w.guild, bot.RoleID(w.role))
		if err != nil || got.CanManage || got.Grantable() {
			t.Fatalf("InspectRole without Manage Roles = %+v, %v; want not grantable", got, err)
		}
		// The refusal says to give tend Manage Roles and try again: a
		// retry right after the fix is not answered from the cache.
		w.fake.SetRolePermissions(w.guild, w.fake.BotRole(w.guild), discordtest.DefaultEveryone|discordgo.PermissionManageRoles)
		if got, err := w.ad.InspectRole(t.Context(), w.guild, bot.RoleID(w.role)); err != nil || !got.Grantable() {
			t.Fatalf("InspectRole right after giving Manage Roles = %+v, %v; want grantable", got, err)
		}
		// A grantable answer is cached as before.
		guildReads := func() int {
			n := 0
			for _, r := range w.fake.Requests() {
				if r.Method == "GET" && strings.HasSuffix(r.Path, "/guilds/"+w.guild) {
					n++
				}
			}
			return n
		}
		reads := guildReads()
		if reads == 0 {
			t.Fatal("no guild reads recorded")
		}
		if _, err := w.ad.InspectRole(t.Context(), w.guild, bot.RoleID(w.role)); err != nil {
			t.Fatal(err)
		}
		if n := guildReads(); n != reads {
			t.Errorf("%d guild reads for a grantable role asked twice; want %d (cached)", n, reads)
		}
	})
	t.Run("Owner", func(t *testing.T) {
		w := newWorld(t, worldOpts{})
		w.fake.SetRolePermissions(w.guild, w.fake.BotRole(w.guild), discordtest.DefaultEveryone)
		above := w.fake.AddRole(w.guild, "moderators")
		w.fake.PlaceRoleAboveBot(w.guild, above)
		w.fake.SetOwner(w.guild, w.fake.BotUserID())
		got, err := w.ad.InspectRole(t.Context(), w.guild, bot.RoleID(above))
		if err != nil || !got.Grantable() {
			t.Fatalf("InspectRole as the guild's owner = %+v, %v; want grantable", got, err)
		}
	})
}
