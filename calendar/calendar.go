// Package calendar gives each member of a group an iCalendar (RFC 5545)
// feed of the group's sessions at a private, unguessable URL, served on a
// listener of its own (calendar.listen) so that calendar services outside
// can fetch it while the operator's endpoint stays on loopback.
//
// The feed lists every session from 30 days ago to a year ahead as an
// event of its own, at the instant tend computes for it: stored sessions
// as they are (cancelled ones STATUS:CANCELLED, moved ones at their new
// time under their original's UID with a higher SEQUENCE) and the series'
// later occurrences from the same engine the reminders use (package
// schedule). There is no RRULE: a cron series does not map onto one, and
// a calendar expanding a rule across a DST change could disagree with the
// bot. Groups with privacy: minimal get no links in their feed.
//
// Links are per person: `/tend group calendar` gives the member who asks a
// link of their own, privately; asking again replaces it. Only the
// SHA-256 of each link's 256-bit random token is stored, so the database
// (or a backup of it) never holds a working link. `/tend group calendar
// rotate` (facilitators) removes every link of the group, for a link that
// leaked; a member who leaves the group loses theirs.
package calendar

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

// LinkStore keeps the hashes of calendar links; *store.DB implements it.
type LinkStore interface {
	// SetCalendarLink records a new link's hash for user, replacing the
	// link they had.
	SetCalendarLink(ctx context.Context, groupID int64, user bot.UserID, hash []byte, now time.Time) error
	// RevokeCalendarLinks removes every link of the group.
	RevokeCalendarLinks(ctx context.Context, groupID int64) (int, error)
	// RevokeCalendarLink removes user's link of the group.
	RevokeCalendarLink(ctx context.Context, groupID int64, user bot.UserID) (bool, error)
	// CalendarLinkGroup finds the group of a link by its hash; an unknown
	// hash wraps bot.ErrNotFound.
	CalendarLinkGroup(ctx context.Context, hash []byte) (int64, error)
}

// SessionStore reads what a feed shows; *store.DB implements it.
type SessionStore interface {
	GroupByID(ctx context.Context, id int64) (bot.Group, error)
	// Series returns the group's series; none wraps bot.ErrNotFound.
	Series(ctx context.Context, groupID int64) (bot.Series, error)
	// LastPlannedSession returns the latest stored session of the current
	// schedule with the start the schedule gave it.
	LastPlannedSession(ctx context.Context, groupID int64) (bot.Session, time.Time, bool, error)
	// SessionRecords returns the stored sessions starting, or planned to
	// start, in [from, to).
	SessionRecords(ctx context.Context, groupID int64, from, to time.Time) ([]bot.SessionRecord, error)
}

// Store is what the feature needs of the database.
type Store interface {
	LinkStore
	SessionStore
}

// Feature is the calendar feature.
type Feature struct {
	st    Store
	clock bot.Clock
	log   *slog.Logger
	// base is the public URL feed links start with; empty while feeds are
	// off (no calendar: section).
	base string
	// host names tend in event UIDs.
	host string
}

var _ bot.Feature = (*Feature)(nil)

// New returns the feature over its store. Feeds are off until Enable.
func New(st Store, d bot.Deps) (*Feature, error) {
	if st == nil {
		return nil, errors.New("calendar: a Store is required")
	}
	d = d.WithDefaults()
	return &Feature{st: st, clock: d.Clock, log: d.Logger, host: "tend"}, nil
}

// Enable turns feeds on: links start with baseURL (the public URL that
// reaches the calendar listener, without a trailing slash). Call it before
// the first event.
func (f *Feature) Enable(baseURL string) error {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("calendar: base URL %q is not an http or https URL", baseURL)
	}
	f.base = strings.TrimRight(baseURL, "/")
	f.host = u.Hostname()
	return nil
}

// Register adds `group calendar` and the subscriber that takes a leaving
// member's link away.
func (f *Feature) Register(b *bot.Bot, _ *bot.Runner) error {
	err := b.Register(bot.CommandSpec{
		Path:    "group calendar",
		Summary: "Your private link to the group's sessions in your calendar app (rotate: facilitators replace every link)",
		Access:  bot.AccessMember,
		Group:   bot.GroupRequired,
		Options: []bot.Option{{Name: "action", Description: "rotate: a facilitator replaces every link of the group", Choices: []string{"rotate"}, Positional: true}},
		Run:     f.cmdCalendar,
	})
	if err != nil {
		return fmt.Errorf("calendar: register: %w", err)
	}
	if err := b.OnMemberGone("calendar", f.onGone); err != nil {
		return fmt.Errorf("calendar: register: %w", err)
	}
	return nil
}

// tokenBytes is the size of a link's random token: 256 bits.
const tokenBytes = 32

// newToken returns a new random token and the hash that is stored.
func newToken() (string, []byte, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("calendar: random token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, hashToken(b), nil
}

// hashToken is what the store keeps of a token's bytes.
func hashToken(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// parseToken decodes a token from a URL; ok is false for anything that
// cannot be one.
func parseToken(s string) ([]byte, bool) {
	if len(s) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != tokenBytes {
		return nil, false
	}
	return b, true
}

// FeedPath is where the listener serves a feed: FeedPath + token + ".ics".
const FeedPath = "/calendar/"

func (f *Feature) link(tok string) string { return f.base + FeedPath + tok + ".ics" }

func (f *Feature) cmdCalendar(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := *req.Group
	if f.base == "" {
		return nil, bot.Errorf("Calendar feeds are not turned on in this tend. The operator can turn them on with a calendar: section (listen and base_url) in the config file.")
	}
	if req.Arg("action") == "rotate" {
		return f.rotate(ctx, req, g)
	}
	if req.Actor.Platform != g.Address.Platform {
		return nil, bot.Errorf("Ask for the calendar link on %s, where group %s meets.", g.Address.Platform, g.Name)
	}
	tok, hash, err := newToken()
	if err != nil {
		return nil, err
	}
	if err := f.st.SetCalendarLink(ctx, g.ID, req.Actor.ID, hash, req.Now); err != nil {
		return nil, err
	}
	f.log.Info("gave a calendar link", bot.KeyGroup, g.Name, bot.KeyUser, string(req.Actor.ID))
	text := "Your own link to " + g.Name + "'s sessions, for your calendar app. Keep it to yourself: anyone with it can see when the group meets.\n\n" +
		f.link(tok) + "\n\n" +
		"Add it as a subscription, not an import, so that cancelled and moved sessions update: Google Calendar: Other calendars → + → From URL. " +
		"Apple Calendar: File → New Calendar Subscription. Outlook: Add calendar → Subscribe from web.\n" +
		"Asking again gives you a new link and stops this one; if you leave the group, it stops working."
	return []bot.Outbound{bot.ReplyMessage(bot.Message{Title: "Calendar link for " + g.Name, Text: text})}, nil
}

func (f *Feature) rotate(ctx context.Context, req *bot.Request, g bot.Group) ([]bot.Outbound, error) {
	if !req.Facilitator && !req.Owner {
		return nil, bot.Errorf("Only facilitators of %s can replace every calendar link. /tend group calendar gives you a new link of your own, which stops your old one.", g.Name)
	}
	n, err := f.st.RevokeCalendarLinks(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	f.log.Info("rotated the calendar links", bot.KeyGroup, g.Name, "count", n)
	msg := fmt.Sprintf("Replaced: the %s of %s no longer work. Each member gets a new link with /tend group calendar.", bot.Plural(n, "calendar link", "calendar links"), g.Name)
	if n == 0 {
		msg = fmt.Sprintf("%s had no calendar links, so nothing changed. Members get a link with /tend group calendar.", g.Name)
	}
	if req.Actor.Platform == g.Address.Platform {
		tok, hash, err := newToken()
		if err != nil {
			return nil, err
		}
		if err := f.st.SetCalendarLink(ctx, g.ID, req.Actor.ID, hash, req.Now); err != nil {
			return nil, err
		}
		msg += "\n\nYour new link (keep it to yourself):\n" + f.link(tok)
	}
	return []bot.Outbound{bot.Reply(msg)}, nil
}

// onGone takes a leaving member's link away.
func (f *Feature) onGone(ctx context.Context, ev *bot.MemberGone) ([]bot.Outbound, error) {
	had, err := f.st.RevokeCalendarLink(ctx, ev.Group.ID, ev.User)
	if err != nil {
		return nil, err
	}
	if had {
		f.log.Info("a leaving member's calendar link stopped working", bot.KeyGroup, ev.Group.Name, bot.KeyUser, string(ev.User))
	}
	return nil, nil
}
