package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// MemberFinder reads a group's roster; *store.DB implements it.
type MemberFinder interface {
	// MemberByUser returns the roster entry of a platform account, removed
	// ones included; a missing entry wraps ErrNotFound.
	MemberByUser(ctx context.Context, groupID int64, user UserID) (Member, error)
	// ListMembers returns the active members, then the waitlist.
	ListMembers(ctx context.Context, groupID int64) ([]Member, error)
}

// ApplicantCheck reports whether user was welcomed to group g and waits to
// be admitted (the norms feature registers one).
type ApplicantCheck func(ctx context.Context, g Group, user UserID) (bool, error)

// GroupStore finds groups. Each method returns an error wrapping ErrNotFound
// when there is no such group.
type GroupStore interface {
	GroupByID(ctx context.Context, id int64) (Group, error)
	GroupByAddress(ctx context.Context, a Address) (Group, error)
	GroupByName(ctx context.Context, name string) (Group, error)
}

// Deliverer sends outbounds that are not replies (posts, DMs, edits, pins,
// roles, invitations). *Sender implements it.
type Deliverer interface {
	Send(ctx context.Context, out Outbound) (SendResult, error)
}

// Subscriber reacts to an inbound event other than a command or an action:
// members joining, leaving or changing, voice presence, direct messages.
// It runs while the adapter waits, so it must be quick: work that must
// survive a crash is enqueued as a job. It returns outbounds to deliver:
// replies answer a direct message, the rest are sent. Session events and
// members leaving or added to a group go to OnSession, OnMemberGone and
// OnMemberAdded subscribers, durably.
type Subscriber func(ctx context.Context, ev Event) ([]Outbound, error)

// Config configures a Bot.
type Config struct {
	Groups GroupStore
	// Owners hold every facilitator right in every group.
	Owners []Principal
	Codec  *ActionCodec
	// Sender delivers non-reply outbounds returned by handlers.
	Sender Deliverer
	Clock  Clock
	Logger *slog.Logger
	// Version is shown by help.
	Version string
	// Runner delivers session events and members leaving durably, one job
	// per subscriber; New registers the KindEvent job kind on it. Without
	// it, publishing such an event is an error.
	Runner *Runner
	// Sessions reads sessions for session events; nil uses Groups when it
	// implements SessionFinder.
	Sessions SessionFinder
	// Members reads rosters, to tell members from outsiders; nil uses
	// Groups when it implements MemberFinder.
	Members MemberFinder
	// Resources are the operator's crisis resources (safety.resources),
	// shown privately to a member who may be in crisis, including when
	// tend fails to take in what they sent.
	Resources string
}

// Bot is the platform-neutral dispatcher. It resolves the group and actor of
// each event, checks permissions, routes to the feature that registered the
// command, button or event, recovers from a panicking handler, and turns
// errors into replies. Register everything before the first event.
type Bot struct {
	cfg Config
	log *slog.Logger

	mu           sync.RWMutex
	commands     map[string]CommandSpec
	actions      map[string]ActionSpec
	subs         []namedSub
	sessionSubs  []sessionSub
	goneSubs     []goneSub
	addedSubs    []addedSub
	presenceSubs []presenceSub
	applicants   ApplicantCheck
	takesPart    ParticipationCheck
	tracking     TrackingFilter
	// watched: the operator says someone watches safety alerts around the
	// clock (safety.around_the_clock).
	watched atomic.Bool
}

// ParticipationCheck reports whether user may take part in group g's
// activities now (be asked to check in, be counted absent). The norms
// feature registers one: a member who has not agreed to norms the group
// requires does not take part yet; why says so in a log's words.
type ParticipationCheck func(ctx context.Context, g Group, user UserID) (ok bool, why string, err error)

// SetParticipationCheck registers the participation check. Call it before
// the first event.
func (b *Bot) SetParticipationCheck(f ParticipationCheck) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.takesPart = f
}

// TakesPart reports whether user takes part in g's activities now: true
// unless a registered ParticipationCheck says otherwise (with why).
func (b *Bot) TakesPart(ctx context.Context, g Group, user UserID) (bool, string, error) {
	b.mu.RLock()
	f := b.takesPart
	b.mu.RUnlock()
	if f == nil {
		return true, "", nil
	}
	return f(ctx, g, user)
}

// SetApplicantCheck registers how to tell an applicant (see
// Request.Applicant). Call it before the first event.
func (b *Bot) SetApplicantCheck(f ApplicantCheck) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.applicants = f
}

type namedSub struct {
	name string
	fn   Subscriber
}

// New returns a Bot with the built-in help command registered.
func New(cfg Config) (*Bot, error) {
	if cfg.Groups == nil || cfg.Codec == nil || cfg.Sender == nil {
		return nil, errors.New("bot: Groups, Codec and Sender are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	b := &Bot{cfg: cfg, log: cfg.Logger, commands: map[string]CommandSpec{}, actions: map[string]ActionSpec{}}
	err := b.Register(CommandSpec{
		Path:    "help",
		Summary: "What you can do here",
		Access:  AccessAnyone,
		Group:   GroupOptional,
		Options: []Option{{Name: "topic", Description: "a command word such as session or roster", Positional: true, Placeholder: "command word"}},
		Run:     b.help,
	})
	if err != nil {
		return nil, err
	}
	if cfg.Runner != nil {
		if err := cfg.Runner.Register(JobKind{Name: KindEvent, Run: b.runEvent, Label: eventLabel}); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Resources returns the operator's crisis resources.
func (b *Bot) Resources() string { return b.cfg.Resources }

// SetAroundTheClock records whether the operator says someone watches
// safety alerts around the clock (safety.around_the_clock; the check-ins
// feature applies it). What members are told about who watches follows it.
func (b *Bot) SetAroundTheClock(watched bool) { b.watched.Store(watched) }

// AroundTheClock reports whether the operator says someone watches safety
// alerts around the clock.
func (b *Bot) AroundTheClock() bool { return b.watched.Load() }

// Owners returns the configured owners.
func (b *Bot) Owners() []Principal { return slices.Clone(b.cfg.Owners) }

// Sender returns the deliverer of posts, DMs and edits.
func (b *Bot) Sender() Deliverer { return b.cfg.Sender }

// Clock returns the bot's clock.
func (b *Bot) Clock() Clock { return b.cfg.Clock }

// Codec returns the bot's action codec.
func (b *Bot) Codec() *ActionCodec { return b.cfg.Codec }

// Register adds a command. A path registered twice is an error.
func (b *Bot) Register(spec CommandSpec) error {
	path := strings.Join(strings.Fields(strings.ToLower(spec.Path)), " ")
	if path == "" || spec.Run == nil {
		return fmt.Errorf("bot: command %q needs a path and Run", spec.Path)
	}
	if n := len(strings.Fields(path)); n > 2 {
		return fmt.Errorf("bot: command %q has %d words; at most 2", path, n)
	}
	spec.Path = path
	seen := map[string]bool{}
	for _, o := range spec.Options {
		if o.Name == "" || o.Name == "group" || seen[o.Name] {
			return fmt.Errorf("bot: command %q: option %q is empty, reserved or repeated", path, o.Name)
		}
		seen[o.Name] = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.commands[path]; dup {
		return fmt.Errorf("bot: command %q registered twice", path)
	}
	b.commands[path] = spec
	return nil
}

// RegisterAction adds a button or modal handler.
func (b *Bot) RegisterAction(spec ActionSpec) error {
	if spec.Name == "" || spec.Run == nil {
		return fmt.Errorf("bot: action %q needs a name and Run", spec.Name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.actions[spec.Name]; dup {
		return fmt.Errorf("bot: action %q registered twice", spec.Name)
	}
	b.actions[spec.Name] = spec
	return nil
}

// Subscribe adds a reaction to events other than commands and actions.
func (b *Bot) Subscribe(name string, fn Subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, namedSub{name, fn})
}

// Commands lists the registered commands sorted by path.
func (b *Bot) Commands() []CommandSpec {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]CommandSpec, 0, len(b.commands))
	for _, c := range b.commands {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// IsOwner reports whether u is a configured owner.
func (b *Bot) IsOwner(u User) bool {
	for _, p := range b.cfg.Owners {
		if !p.IsRole() && p.Matches(u) {
			return true
		}
	}
	return false
}

// Handle implements Handler.
func (b *Bot) Handle(ctx context.Context, ev Event) (replies []Outbound) {
	m := ev.Meta()
	if m.User.Bot {
		return nil
	}
	if m.At.IsZero() {
		m.At = b.cfg.Clock.Now()
	}
	// What a person tells the bot privately (a DM, a check-in answer) is
	// logged without who they are, nor their DM channel, which names them
	// as well as their id does.
	log := b.log.With(KeyPlatform, m.Platform)
	if !b.privateEvent(ev) {
		log = log.With(KeyChannel, string(m.Channel), KeyUser, string(m.User.ID))
	} else if !m.DM {
		log = log.With(KeyChannel, string(m.Channel))
	}
	defer func() {
		if r := recover(); r != nil {
			log.Error("handler panicked", KeyErr, fmt.Sprint(r), "stack", string(debug.Stack()))
			replies = []Outbound{Reply(apology)}
		}
	}()
	var outs []Outbound
	var err error
	switch e := ev.(type) {
	case *Command:
		outs, err = b.handleCommand(ctx, e)
	case *ButtonPress:
		outs, err = b.handleAction(ctx, e, e.ID, &e.Action, nil)
	case *ModalSubmit:
		outs, err = b.handleAction(ctx, e, e.ID, &e.Action, e.Values)
	default:
		outs, err = b.publish(ctx, ev)
		if err != nil {
			return b.passiveFailed(ctx, ev, outs, err, log)
		}
	}
	if err != nil {
		if msg, ok := UserMessage(err); ok {
			// A refusal's text often quotes what the person typed: log
			// what kind of refusal it was, never its words or its cause.
			log.Debug("refused", b.refusalAttrs(ev, err)...)
			return []Outbound{Reply(msg)}
		}
		log.Error("handling event failed", "event", fmt.Sprintf("%T", ev), KeyErr, err)
		return []Outbound{Reply(apology)}
	}
	return b.split(ctx, outs, m.User.ID, log)
}

// privateAttrs are the log attributes of a refused press of spec: the
// platform, the channel and who pressed, but not who for a Private action.
func privateAttrs(spec ActionSpec, m EventMeta, more ...any) []any {
	attrs := []any{KeyPlatform, m.Platform, KeyChannel, string(m.Channel)}
	if !spec.Private {
		attrs = append(attrs, KeyUser, string(m.User.ID))
	} else if m.DM {
		attrs = attrs[:2]
	}
	return append(attrs, more...)
}

// privateEvent reports whether ev is something a person tells the bot
// privately: a direct message, or a press or form of an action registered
// Private.
func (b *Bot) privateEvent(ev Event) bool {
	var id string
	switch e := ev.(type) {
	case *DirectMessage:
		return true
	case *ButtonPress:
		id = e.ID
	case *ModalSubmit:
		id = e.ID
	default:
		return false
	}
	a, err := b.cfg.Codec.Decode(id)
	if err != nil {
		return false
	}
	b.mu.RLock()
	spec, ok := b.actions[a.Name]
	b.mu.RUnlock()
	return ok && spec.Private
}

// passiveFailed handles a subscriber failing on an inbound event that is
// not a command or a button. Nobody asked for anything when a member joined
// or left or entered a voice channel, so nobody is sent an apology: the
// failure is logged for the operator, and what the other subscribers
// returned is still delivered. A direct message is someone talking to the
// bot, maybe in distress: they are told it was not taken in, with the
// crisis resources.
func (b *Bot) passiveFailed(ctx context.Context, ev Event, outs []Outbound, err error, log *slog.Logger) []Outbound {
	log.Error("a reaction to an event failed", "event", fmt.Sprintf("%T", ev), KeyErr, err)
	replies := b.split(ctx, outs, ev.Meta().User.ID, log)
	if _, dm := ev.(*DirectMessage); dm && len(replies) == 0 {
		msg := "Sorry, tend could not take in your message just now. It has been logged for the operator."
		if b.cfg.Resources != "" {
			msg += "\n\nIf you are in danger or thinking of harming yourself, please reach out now:\n" + b.cfg.Resources
		}
		replies = append(replies, Reply(msg))
	}
	return replies
}

// Refusal kinds, logged instead of a refusal's text.
const (
	refusedUnknown    = "unknown_command"
	refusedUsage      = "usage"
	refusedGroup      = "group"
	refusedPermission = "permission"
	refusedButton     = "button"
	refusedFeature    = "feature" // the command or button itself refused
)

// refusedErr marks where the dispatcher refused an event.
type refusedErr struct {
	kind string
	err  error
}

func (e *refusedErr) Error() string { return e.err.Error() }
func (e *refusedErr) Unwrap() error { return e.err }

// refusal marks err, a refusal by the dispatcher, with its kind. A nil err
// stays nil.
func refusal(kind string, err error) error {
	if err == nil {
		return nil
	}
	return &refusedErr{kind: kind, err: err}
}

// refusalAttrs describes a refusal for the log without anything the person
// typed: the event's type, the registered command path or action name (not
// the words typed), the refusal's kind, and whether it was about something
// missing or clashing.
func (b *Bot) refusalAttrs(ev Event, err error) []any {
	attrs := []any{"event", fmt.Sprintf("%T", ev)}
	switch e := ev.(type) {
	case *Command:
		if spec, _, ok := b.lookup(e.Words); ok {
			attrs = append(attrs, "command", spec.Path)
		}
	case *ButtonPress:
		if e.Action.Name != "" {
			attrs = append(attrs, "action", e.Action.Name)
		}
	case *ModalSubmit:
		if e.Action.Name != "" {
			attrs = append(attrs, "action", e.Action.Name)
		}
	}
	kind := refusedFeature
	var re *refusedErr
	if errors.As(err, &re) {
		kind = re.kind
	}
	attrs = append(attrs, "refusal", kind)
	switch {
	case errors.Is(err, ErrNotFound):
		attrs = append(attrs, "cause", "not_found")
	case errors.Is(err, ErrConflict):
		attrs = append(attrs, "cause", "conflict")
	}
	return attrs
}

const apology = "Sorry, something went wrong on our side. It has been logged; please try again in a moment, and tell the bot's operator if it keeps happening."

func (b *Bot) publish(ctx context.Context, ev Event) (outs []Outbound, err error) {
	b.mu.RLock()
	subs := slices.Clone(b.subs)
	b.mu.RUnlock()
	var errs []error
	for _, s := range subs {
		o, err := b.runSub(ctx, s, ev)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
		outs = append(outs, o...)
	}
	return outs, errors.Join(errs...)
}

func (b *Bot) runSub(ctx context.Context, s namedSub, ev Event) (outs []Outbound, err error) {
	defer recoverInto(&err)
	return s.fn(ctx, ev)
}

// recoverInto turns a panic into *err, with the stack, for the log.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = &PanicError{Value: fmt.Sprint(r), Stack: debug.Stack()}
	}
}

// PanicError is a handler's or subscriber's panic, recovered. Its Error is
// one short line, fit for a job's note in a session log; the stack is for
// the operator's log only.
type PanicError struct {
	Value string
	Stack []byte
}

func (e *PanicError) Error() string { return "a bug in tend (it has been logged): " + cut(e.Value, 80) }

// split returns the replies and sends the rest. Buttons are sealed.
func (b *Bot) split(ctx context.Context, outs []Outbound, actor UserID, log *slog.Logger) []Outbound {
	var replies []Outbound
	for _, o := range outs {
		// A private reply's buttons and forms belong to the person it
		// answers.
		var err error
		if (o.Kind == OutReply && o.Ephemeral) || o.Kind == OutModal {
			err = b.cfg.Codec.SealFor(&o, actor)
		} else {
			err = b.cfg.Codec.Seal(&o)
		}
		if err != nil {
			log.Error("sealing buttons failed", KeyErr, err)
			continue
		}
		if o.Kind == OutReply || o.Kind == OutModal {
			replies = append(replies, o)
			continue
		}
		if _, err := b.cfg.Sender.Send(ctx, o); err != nil {
			log.Error("delivering failed", "kind", o.Kind.String(), KeyKey, o.Key, KeyErr, err)
		}
	}
	return replies
}

// lookup finds the longest registered path that prefixes words.
func (b *Bot) lookup(words []string) (CommandSpec, []string, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for n := min(2, len(words)); n >= 1; n-- {
		path := strings.ToLower(strings.Join(words[:n], " "))
		if c, ok := b.commands[path]; ok {
			return c, words[n:], true
		}
	}
	return CommandSpec{}, nil, false
}

func (b *Bot) handleCommand(ctx context.Context, e *Command) ([]Outbound, error) {
	if len(e.Words) == 0 {
		e.Words = []string{"help"}
	}
	spec, rest, ok := b.lookup(e.Words)
	if !ok {
		return nil, refusal(refusedUnknown, b.unknownCommand(e.Words))
	}
	args, err := bindArgs(spec, rest, e.Args, b.cfg.Clock.Now())
	if err != nil {
		return nil, refusal(refusedUsage, err)
	}
	req := &Request{Event: e, Actor: e.User, Args: args, Now: b.cfg.Clock.Now()}
	req.Owner = b.IsOwner(e.User)
	if err := b.resolveGroup(ctx, spec, req, args["group"], e.Address()); err != nil {
		return nil, refusal(refusedGroup, err)
	}
	if err := b.admitApplicant(ctx, spec.Access, spec.Applicants, req); err != nil {
		return nil, err
	}
	if err := b.permit(spec.Access, "/tend "+spec.Path, req); err != nil {
		return nil, refusal(refusedPermission, err)
	}
	return spec.Run(ctx, req)
}

func (b *Bot) handleAction(ctx context.Context, ev Event, id string, act *Action, values map[string]string) ([]Outbound, error) {
	m := ev.Meta()
	a, err := b.cfg.Codec.Decode(id)
	if err != nil {
		b.log.Warn("refused a button or form with a bad id", KeyPlatform, m.Platform, KeyUser, string(m.User.ID))
		return nil, refusal(refusedButton, &UserError{Msg: "This button is not valid: it may come from an old or altered message. Use the latest message, or ask a facilitator to post it again."})
	}
	*act = a
	b.mu.RLock()
	spec, ok := b.actions[a.Name]
	b.mu.RUnlock()
	if !ok {
		return nil, &UserError{Msg: "This button no longer does anything. Use the latest message, or try /tend help."}
	}
	req := &Request{Event: ev, Actor: m.User, Action: a, Values: values, Now: b.cfg.Clock.Now()}
	req.Owner = b.IsOwner(req.Actor)
	// A button sent to one person (a DM, a private reply) is theirs alone.
	if a.User != "" && a.User != m.User.ID {
		b.log.Warn("refused a button sent to someone else", privateAttrs(spec, *m, "action", a.Name)...)
		return nil, &UserError{Msg: "This button was sent to someone else, so it does nothing for you. /tend help shows what you can do here."}
	}
	if a.Group != 0 {
		g, err := b.cfg.Groups.GroupByID(ctx, a.Group)
		if errors.Is(err, ErrNotFound) {
			return nil, &UserError{Msg: "The group this button belongs to no longer exists."}
		} else if err != nil {
			return nil, err
		}
		if g.Address.Platform != m.Platform {
			return nil, &UserError{Msg: "This button is not valid here."}
		}
		switch {
		case m.DM && a.User == "":
			// A DM binds no group: only a button naming its recipient
			// can act on one.
			return nil, &UserError{Msg: "This button is from an older message and cannot be used here. Use the newest message, or the /tend commands in the group's channel."}
		case !m.DM && a.User == "":
			// In a channel, a button everyone sees acts only on the group
			// bound to that channel. One bound to its reader (a private
			// reply to a command run with group:NAME, say in a lobby)
			// acts on its group wherever it is shown: only they can press
			// it, and their rights are checked as for the command.
			bound, err := b.cfg.Groups.GroupByAddress(ctx, m.Address())
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			if err != nil || bound.ID != g.ID {
				b.log.Warn("refused a button of another group's message", privateAttrs(spec, *m, "action", a.Name)...)
				return nil, &UserError{Msg: "This button does not belong to this channel's group, so it changed nothing. Use the buttons on this channel's own messages."}
			}
		}
		req.Group = &g
		req.Facilitator = req.Owner || g.IsFacilitator(req.Actor)
		if req.Member, err = b.isMember(ctx, g, req); err != nil {
			return nil, err
		}
	}
	if err := b.admitApplicant(ctx, spec.Access, spec.Applicants, req); err != nil {
		return nil, err
	}
	if err := b.permit(spec.Access, "this button", req); err != nil {
		return nil, refusal(refusedPermission, err)
	}
	return spec.Run(ctx, req)
}

// isMember reports whether the actor of req belongs to g: a facilitator or
// owner, an active roster entry, or someone in g's channel on its platform
// (asked of the platform when it can tell; otherwise, acting in the
// channel itself counts).
func (b *Bot) isMember(ctx context.Context, g Group, req *Request) (bool, error) {
	if req.Owner || req.Facilitator {
		return true, nil
	}
	u := req.Actor
	if u.Platform != g.Address.Platform || u.ID == "" {
		return false, nil
	}
	if mf, ok := b.members(); ok {
		m, err := mf.MemberByUser(ctx, g.ID, u.ID)
		switch {
		case err == nil && m.Status == MemberActive:
			return true, nil
		case err != nil && !errors.Is(err, ErrNotFound):
			return false, err
		}
	}
	if ins, ok := b.inspector(g.Address.Platform); ok {
		in, err := ins.InChannel(ctx, g.Address, u.ID)
		if err != nil {
			return false, &UserError{Msg: "tend could not check that you are in this group just now. Try again in a moment.", Err: err}
		}
		return in, nil
	}
	here := req.Event.Meta()
	return !here.DM && here.Address() == g.Address, nil
}

func (b *Bot) members() (MemberFinder, bool) {
	if b.cfg.Members != nil {
		return b.cfg.Members, true
	}
	m, ok := b.cfg.Groups.(MemberFinder)
	return m, ok
}

// admitApplicant marks req's actor an applicant of its group when the
// command or button lets applicants in and they are one.
func (b *Bot) admitApplicant(ctx context.Context, a Access, applicants bool, req *Request) error {
	if !applicants || req.Group == nil || req.Member {
		return nil
	}
	b.mu.RLock()
	check := b.applicants
	b.mu.RUnlock()
	if check == nil {
		return nil
	}
	ok, err := check(ctx, *req.Group, req.Actor.ID)
	if err != nil {
		return err
	}
	req.Applicant = ok
	return nil
}

func (b *Bot) resolveGroup(ctx context.Context, spec CommandSpec, req *Request, name string, where Address) error {
	if spec.Group == GroupNone {
		return nil
	}
	var (
		g   Group
		err error
	)
	noSuch := &UserError{Msg: fmt.Sprintf("There is no group named %s that you can use. Check the name, or run the command in the group's own channel.", Excerpt(name, 40))}
	if name != "" {
		g, err = b.cfg.Groups.GroupByName(ctx, strings.ToLower(name))
		if errors.Is(err, ErrNotFound) {
			return noSuch
		}
		if err == nil && g.Address.Platform != where.Platform {
			// Only its members learn where a group lives.
			req.Group = &g
			req.Facilitator = req.Owner || g.IsFacilitator(req.Actor)
			if req.Owner || req.Facilitator {
				return &UserError{Msg: fmt.Sprintf("Group %s lives on %s; run the command there.", g.Name, g.Address.Platform)}
			}
			return noSuch
		}
	} else {
		g, err = b.cfg.Groups.GroupByAddress(ctx, where)
		if errors.Is(err, ErrNotFound) {
			if spec.Group == GroupOptional {
				return nil
			}
			return &UserError{Msg: fmt.Sprintf("This channel is not bound to a group, so /tend %s does not know which group you mean. Run it in the group's channel, add group:NAME, or bind this channel with /tend group setup name:NAME.", spec.Path)}
		}
	}
	if err != nil {
		return err
	}
	req.Group = &g
	req.Facilitator = req.Owner || g.IsFacilitator(req.Actor)
	if req.Member, err = b.isMember(ctx, g, req); err != nil {
		return err
	}
	if !req.Member && name != "" && !b.publicToOutsiders(ctx, g) {
		// To an outsider a group shows only what its channel shows
		// publicly: one that is closed, minimal or in a private channel
		// does not exist for them — the same answer as a name nobody
		// uses, whatever they try.
		if spec.Applicants {
			if err := b.admitApplicant(ctx, spec.Access, true, req); err != nil {
				return err
			}
			if req.Applicant {
				return nil
			}
		}
		req.Group = nil
		return noSuch
	}
	return nil
}

// publicToOutsiders reports whether g exists for someone outside it: only
// an open, standard-privacy group whose channel its platform reports public.
// A platform that cannot tell, or a failed check, counts as private, so a
// doubt never shows a group.
func (b *Bot) publicToOutsiders(ctx context.Context, g Group) bool {
	if g.Admission != AdmissionOpen || g.Privacy != PrivacyStandard {
		return false
	}
	ins, ok := b.inspector(g.Address.Platform)
	if !ok {
		return false
	}
	private, err := ins.ChannelPrivate(ctx, g.Address)
	if err != nil {
		b.log.Warn("could not tell whether a group's channel is public; treating it as private",
			KeyPlatform, g.Address.Platform, KeyChannel, string(g.Address.Channel), KeyGroup, g.ID, KeyErr, err)
		return false
	}
	return !private
}

func (b *Bot) permit(a Access, what string, req *Request) error {
	switch a {
	case AccessMember:
		if req.Group == nil || req.Member || req.Applicant {
			return nil
		}
		return &UserError{Msg: fmt.Sprintf("%s is for members of group %s. Join the group's channel (%s) to take part, or ask a facilitator to add you.",
			capitalizeFirst(what), req.Group.Name, channelRef(req.Group.Address))}
	case AccessOwner:
		if !req.Owner {
			return &UserError{Msg: fmt.Sprintf("Only the bot's owners can use %s. The operator lists owners under owners: in the config file.", what)}
		}
	case AccessFacilitator:
		if req.Facilitator || req.Owner {
			return nil
		}
		if req.Group == nil {
			return &UserError{Msg: fmt.Sprintf("Only facilitators can use %s, and this channel has no group. Run it in the group's channel or add group:NAME.", what)}
		}
		return &UserError{Msg: fmt.Sprintf("Only facilitators of %s can use %s. If you facilitate this group, ask another facilitator or the bot's owner to add you with /tend group facilitators add.", req.Group.Name, what)}
	}
	return nil
}

// bindArgs maps positional words to positional options, checks names and
// types, and returns the arguments by name. now dates the examples in
// refusals.
func bindArgs(spec CommandSpec, words []string, named map[string]string, now time.Time) (map[string]string, error) {
	args := map[string]string{}
	byName := map[string]Option{}
	for _, o := range spec.Options {
		byName[o.Name] = o
	}
	for k, v := range named {
		if k == "group" && spec.Group != GroupNone {
			args[k] = v
			continue
		}
		if _, ok := byName[k]; !ok {
			return nil, &UserError{Msg: fmt.Sprintf("/tend %s has no argument %s. Usage: %s", spec.Path, Excerpt(k, 40), spec.Usage())}
		}
		args[k] = v
	}
	pos := 0
	for _, w := range words {
		for pos < len(spec.Options) && (!spec.Options[pos].Positional || args[spec.Options[pos].Name] != "") {
			pos++
		}
		if pos >= len(spec.Options) {
			return nil, &UserError{Msg: fmt.Sprintf("I did not understand %s in /tend %s. Usage: %s", Excerpt(w, 40), spec.Path, spec.Usage())}
		}
		args[spec.Options[pos].Name] = w
		pos++
	}
	for _, o := range spec.Options {
		v, ok := args[o.Name]
		if !ok || v == "" {
			if o.Required {
				return nil, &UserError{Msg: fmt.Sprintf("/tend %s needs %s. Usage: %s", spec.Path, o.wanted(), spec.Usage())}
			}
			continue
		}
		if err := checkOption(o, v, now); err != nil {
			what := ""
			if !o.Positional {
				what = o.Name + ": "
			}
			msg := err.Error()
			if what == "" && !strings.HasPrefix(msg, `"`) {
				msg = capitalizeFirst(msg)
			}
			return nil, &UserError{Msg: fmt.Sprintf("%s%s. Usage: %s", what, msg, spec.Usage())}
		}
		if len(o.Choices) > 0 {
			args[o.Name] = strings.ToLower(v)
		}
	}
	return args, nil
}

// wanted says what a missing option is, in the words of the command
// surface rather than its internal name: "yes or no", "the session's number
// or date", "duration: (length of each session, e.g. 90m)".
func (o Option) wanted() string {
	switch {
	case o.Positional && len(o.Choices) > 0:
		return strings.Join(o.Choices, " or ")
	case o.Positional && o.Description != "":
		return o.Description
	case o.Positional:
		return "<" + o.placeholder() + ">"
	case o.Description != "":
		return o.Name + ": (" + o.Description + ")"
	}
	return o.Name + ":<" + o.placeholder() + ">"
}

// maxMentionLen bounds what can name a person: a Slack mention with a name
// (<@U0123ABCD|name>, names up to 80) is the longest.
const maxMentionLen = 100

func checkOption(o Option, v string, now time.Time) error {
	if len(o.Choices) > 0 {
		for _, c := range o.Choices {
			if strings.EqualFold(c, v) {
				return nil
			}
		}
		if len(o.Choices) == 1 {
			// "is not one of off" reads as a slip: one word is asked for.
			return fmt.Errorf("I did not understand %s: the only word accepted there is %s", Excerpt(v, 40), o.Choices[0])
		}
		return fmt.Errorf("%s is not one of %s", Excerpt(v, 40), strings.Join(o.Choices, ", "))
	}
	switch o.Type {
	case OptInt:
		if _, err := strconv.Atoi(v); err != nil {
			return fmt.Errorf("%s is not a whole number", Excerpt(v, 40))
		}
	case OptBool:
		_, err := ParseBool(v)
		return err
	case OptDuration:
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			return fmt.Errorf("%s is not a duration: write for example 90m, 1h30m or 24h", Excerpt(v, 40))
		}
	case OptDate:
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return fmt.Errorf("%s is not a date: write YYYY-MM-DD, for example %s", Excerpt(v, 40), ExampleDate(now))
		}
	case OptUser:
		if _, ok := ParseMention(v); (!ok && strings.ContainsAny(v, " <>")) || utf8.RuneCountInString(v) > maxMentionLen {
			return fmt.Errorf("%s does not name a person: mention them, for example @sam", Excerpt(v, 40))
		}
	}
	return nil
}

func (b *Bot) unknownCommand(words []string) error {
	b.mu.RLock()
	var near []string
	first := strings.ToLower(words[0])
	for p := range b.commands {
		if strings.HasPrefix(p, first+" ") || p == first {
			near = append(near, "/tend "+p)
		}
	}
	b.mu.RUnlock()
	sort.Strings(near)
	typed := strings.Join(words, " ")
	if r := []rune(typed); len(r) > 60 {
		typed = string(r[:60]) + "…"
	}
	if len(near) > 0 {
		return &UserError{Msg: fmt.Sprintf("I don't know /tend %s. Did you mean: %s? /tend help lists everything.", typed, strings.Join(near, ", "))}
	}
	return &UserError{Msg: fmt.Sprintf("I don't know /tend %s. /tend help lists what you can do here.", typed)}
}

// help lists the commands the actor may use here, built from what is
// registered: the commands for everyone, then, for facilitators and owners,
// theirs. A command is listed for the stricter of its Access and Audience.
func (b *Bot) help(_ context.Context, req *Request) ([]Outbound, error) {
	topic := strings.ToLower(req.Arg("topic"))
	var member, facil []string
	matched := 0
	for _, c := range b.Commands() {
		if topic != "" && c.Path != topic && !strings.HasPrefix(c.Path, topic+" ") {
			continue
		}
		matched++
		line := c.Usage() + " — " + c.Summary
		switch c.listedFor() {
		case AccessAnyone, AccessMember:
			member = append(member, line)
		case AccessFacilitator:
			if req.Facilitator || req.Owner {
				facil = append(facil, line)
			}
		case AccessOwner:
			if req.Owner {
				facil = append(facil, line)
			}
		}
	}
	if len(member)+len(facil) == 0 {
		if matched > 0 {
			return nil, &UserError{Msg: fmt.Sprintf("The /tend %s commands are for a group's facilitators. /tend help lists what you can do here.", topic)}
		}
		return nil, &UserError{Msg: fmt.Sprintf("There is no command about %s. /tend help lists them all.", Excerpt(topic, 40))}
	}
	var sb strings.Builder
	switch {
	case req.Group != nil:
		fmt.Fprintf(&sb, "This channel is group %s.\n", req.Group.Name)
	case req.Owner:
		sb.WriteString("This channel is not bound to a group yet: bind it with /tend group setup name:NAME.\n")
	default:
		sb.WriteString("This channel is not bound to a group yet. A facilitator or the bot's owner can bind it with /tend group setup.\n")
	}
	var fields []Field
	if len(member) > 0 {
		fields = append(fields, Field{Name: "Everyone", Value: strings.Join(member, "\n")})
	}
	if len(facil) > 0 {
		fields = append(fields, Field{Name: "Facilitators", Value: strings.Join(facil, "\n")})
	}
	sb.WriteString("Arguments are name:value. Put a value with spaces in double quotes, like weekly:\"tue 18:00\"; an apostrophe is part of the value, as in name:O'Brien. " +
		"In a group's channel a command acts on that group; from anywhere else (a DM, another channel) add group:NAME, for example /tend next group:tuesday-support.")
	return []Outbound{ReplyMessage(Message{Title: "tend — what you can do here", Text: sb.String(), Fields: fields})}, nil
}

// capitalizeFirst upper-cases the first letter of s.
func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// channelRef names a channel so that each platform renders a link to it.
func channelRef(a Address) string {
	switch a.Platform {
	case PlatformDiscord, PlatformSlack:
		return "<#" + string(a.Channel) + ">"
	}
	return "#" + string(a.Channel)
}
