package bottest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tend-bot/tend/bot"
)

// Platform is a recording fake bot.Platform for feature tests. It is safe
// for concurrent use. The zero value is ready: it is named "console", keeps
// every post it is given and numbers messages 1, 2, 3… Set its fields
// before first use.
type Platform struct {
	// PlatformName is what Name returns (default bot.PlatformConsole).
	PlatformName string
	// DedupeKeys models a platform that deduplicates sends by key, as
	// Discord does with a nonce: a post or DM whose Key was delivered before
	// returns the earlier Delivered and shows nothing new.
	DedupeKeys bool
	// DeliverHook, when set, is called with every outbound before it is
	// performed; a non-nil error is returned by Deliver and nothing is shown.
	// Return bot.Unreachable(…) to model a channel that is gone,
	// bot.Rejected(…) a payload the platform refuses. It may be called from
	// several goroutines at once.
	DeliverHook func(bot.Outbound) error
	// InspectHook, when set, is called with the channel of every
	// ChannelInspector call of an InspectorPlatform over it; a non-nil
	// error is returned instead of an answer (bot.Unreachable(…) models a
	// channel the bot cannot see).
	InspectHook func(bot.Address) error
	// Clock stamps deliveries (default bot.SystemClock).
	Clock bot.Clock

	mu         sync.Mutex
	nextID     int
	deliveries []Delivery
	byKey      map[string]bot.Delivered
	content    map[bot.MessageRef]bot.Message
	pinned     map[bot.MessageRef]bool
	private    map[bot.ChannelID]bool
	members    map[bot.ChannelID][]bot.User
	botOut     map[bot.ChannelID]bool  // channels the bot is not in
	roles      map[string]bot.RoleInfo // guild/role
	handler    bot.Handler
	ready      chan struct{} // closed while a Run is active
}

// Delivery is one call of Deliver as the fake recorded it.
type Delivery struct {
	Out       bot.Outbound
	Delivered bot.Delivered
	// Err is what Deliver returned; nothing was shown when it is set.
	Err error
	// Duplicate: the key had been delivered before (DedupeKeys) and nothing
	// new was shown.
	Duplicate bool
}

// Shown reports whether the delivery changed what people see.
func (d Delivery) Shown() bool { return d.Err == nil && !d.Duplicate }

var _ bot.Platform = (*Platform)(nil)

// Name implements bot.Platform.
func (p *Platform) Name() string {
	if p.PlatformName == "" {
		return bot.PlatformConsole
	}
	return p.PlatformName
}

func (p *Platform) initLocked() {
	if p.byKey == nil {
		p.byKey = map[string]bot.Delivered{}
		p.content = map[bot.MessageRef]bot.Message{}
		p.pinned = map[bot.MessageRef]bool{}
		p.private = map[bot.ChannelID]bool{}
		p.members = map[bot.ChannelID][]bot.User{}
	}
	if p.roles == nil {
		p.roles = map[string]bot.RoleInfo{}
		p.botOut = map[bot.ChannelID]bool{}
	}
	if p.ready == nil {
		p.ready = make(chan struct{})
	}
}

// Run implements bot.Platform: it makes h the target of Inject and blocks
// until ctx is done, then returns nil.
func (p *Platform) Run(ctx context.Context, h bot.Handler) error {
	p.mu.Lock()
	p.initLocked()
	if p.handler != nil {
		p.mu.Unlock()
		return errors.New("bottest: run platform: already running")
	}
	p.handler = h
	close(p.ready)
	p.mu.Unlock()

	<-ctx.Done()

	p.mu.Lock()
	p.handler = nil
	p.ready = make(chan struct{})
	p.mu.Unlock()
	return nil
}

// Inject hands ev to the Handler given to Run, as an adapter would, and
// returns the replies. It waits for Run to start, and returns nil when ctx
// is done first. Empty Platform and User.Platform fields are filled with the
// platform's name.
func (p *Platform) Inject(ctx context.Context, ev bot.Event) []bot.Outbound {
	for {
		p.mu.Lock()
		p.initLocked()
		h, ready := p.handler, p.ready
		p.mu.Unlock()
		if h != nil {
			m := ev.Meta()
			if m.Platform == "" {
				m.Platform = p.Name()
			}
			if m.User.Platform == "" {
				m.User.Platform = p.Name()
			}
			return h.Handle(ctx, ev)
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil
		}
	}
}

// Deliver implements bot.Platform and records the call. A post or DM is
// handed off first (bot.HandOff), as an adapter does before its network
// request.
func (p *Platform) Deliver(ctx context.Context, out bot.Outbound) (bot.Delivered, error) {
	if err := ctx.Err(); err != nil {
		return bot.Delivered{}, fmt.Errorf("deliver %s: %w", out.Kind, err)
	}
	if out.Kind == bot.OutPost || out.Kind == bot.OutDM {
		// As an adapter does right before its network request.
		if err := bot.HandOff(ctx); err != nil {
			return bot.Delivered{}, fmt.Errorf("deliver %s: %w", out.Kind, err)
		}
	}
	var hookErr error
	if p.DeliverHook != nil {
		hookErr = p.DeliverHook(out)
	}
	clock := p.Clock
	if clock == nil {
		clock = bot.SystemClock{}
	}
	now := clock.Now()

	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	rec := Delivery{Out: out}
	d, err := p.performLocked(out, now, hookErr, &rec)
	rec.Delivered, rec.Err = d, err
	p.deliveries = append(p.deliveries, rec)
	return d, err
}

func (p *Platform) performLocked(out bot.Outbound, now time.Time, hookErr error, rec *Delivery) (bot.Delivered, error) {
	if hookErr != nil {
		return bot.Delivered{}, hookErr
	}
	keyed := (out.Kind == bot.OutPost || out.Kind == bot.OutDM) && out.Key != ""
	if keyed && p.DedupeKeys {
		if d, ok := p.byKey[out.Key]; ok {
			rec.Duplicate = true
			return d, nil
		}
	}
	var d bot.Delivered
	switch out.Kind {
	case bot.OutPost:
		if out.To.Channel == "" {
			return d, fmt.Errorf("deliver post: no channel")
		}
		d.Ref = p.newRefLocked(out.To.Channel)
		p.content[d.Ref] = out.Message
	case bot.OutDM:
		if out.User == "" {
			return d, fmt.Errorf("deliver dm: no user")
		}
		d.Ref = p.newRefLocked(bot.ChannelID("dm-" + string(out.User)))
		p.content[d.Ref] = out.Message
	case bot.OutEdit, bot.OutPin, bot.OutUnpin:
		if _, ok := p.content[out.Ref]; !ok {
			return d, bot.Unreachable("%s: unknown message %s", out.Kind, out.Ref.ID)
		}
		switch out.Kind {
		case bot.OutEdit:
			p.content[out.Ref] = out.Message
		case bot.OutPin:
			p.pinned[out.Ref] = true
		default:
			delete(p.pinned, out.Ref)
		}
		d.Ref = out.Ref
	case bot.OutGrantRole, bot.OutRevokeRole, bot.OutInvite:
	case bot.OutReply, bot.OutModal:
		return d, fmt.Errorf("deliver %s: replies are returned by the handler, not delivered", out.Kind)
	default:
		return d, fmt.Errorf("deliver kind %d: %w", out.Kind, errors.ErrUnsupported)
	}
	d.At = now
	if keyed {
		p.byKey[out.Key] = d
	}
	return d, nil
}

func (p *Platform) newRefLocked(ch bot.ChannelID) bot.MessageRef {
	p.nextID++
	return bot.MessageRef{Platform: p.Name(), Channel: ch, ID: bot.MessageID(strconv.Itoa(p.nextID))}
}

// Deliveries returns every Deliver call so far, in order, failed and
// duplicate ones included.
func (p *Platform) Deliveries() []Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.deliveries)
}

func (p *Platform) shown(keep func(Delivery) bool) []Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Delivery
	for _, d := range p.deliveries {
		if d.Shown() && keep(d) {
			out = append(out, d)
		}
	}
	return out
}

// Posts returns the posts people saw, in order (not failed or duplicate
// ones).
func (p *Platform) Posts() []Delivery {
	return p.shown(func(d Delivery) bool { return d.Out.Kind == bot.OutPost })
}

// PostsIn returns the posts people saw in channel ch.
func (p *Platform) PostsIn(ch bot.ChannelID) []Delivery {
	return p.shown(func(d Delivery) bool { return d.Out.Kind == bot.OutPost && d.Out.To.Channel == ch })
}

// DMs returns the direct messages people got, in order.
func (p *Platform) DMs() []Delivery {
	return p.shown(func(d Delivery) bool { return d.Out.Kind == bot.OutDM })
}

// DMsTo returns the direct messages user got.
func (p *Platform) DMsTo(user bot.UserID) []Delivery {
	return p.shown(func(d Delivery) bool { return d.Out.Kind == bot.OutDM && d.Out.User == user })
}

// Edits returns the edits made to the message ref, in order.
func (p *Platform) Edits(ref bot.MessageRef) []Delivery {
	return p.shown(func(d Delivery) bool { return d.Out.Kind == bot.OutEdit && d.Out.Ref == ref })
}

// Of returns the successful deliveries of kind (roles, invitations, pins).
func (p *Platform) Of(kind bot.OutboundKind) []Delivery {
	return p.shown(func(d Delivery) bool { return d.Out.Kind == kind })
}

// Content returns what the message ref shows now, after any edits.
func (p *Platform) Content(ref bot.MessageRef) (bot.Message, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.content[ref]
	return m, ok
}

// Pinned reports whether the message ref is pinned.
func (p *Platform) Pinned(ref bot.MessageRef) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pinned[ref]
}

// FinderPlatform is a Platform that also implements bot.Finder: it finds an
// earlier shown post or DM by its Key, as an adapter that can search its
// recent messages would.
type FinderPlatform struct {
	*Platform
}

var _ bot.Finder = FinderPlatform{}

// FindDelivered implements bot.Finder.
func (f FinderPlatform) FindDelivered(ctx context.Context, out bot.Outbound) (bot.Delivered, bool, error) {
	if err := ctx.Err(); err != nil {
		return bot.Delivered{}, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.deliveries {
		if d.Shown() && d.Out.Key != "" && d.Out.Key == out.Key && d.Out.Kind == out.Kind {
			return d.Delivered, true, nil
		}
	}
	return bot.Delivered{}, false, nil
}

// SetPrivate makes an InspectorPlatform over p report channel ch private
// (channels are public until set).
func (p *Platform) SetPrivate(ch bot.ChannelID, private bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	p.private[ch] = private
}

// SetMembers makes users the people (and bots) an InspectorPlatform over p
// reports in channel ch, replacing those set before; channels are empty
// until set.
func (p *Platform) SetMembers(ch bot.ChannelID, users ...bot.User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	p.members[ch] = slices.Clone(users)
}

// AddMember puts u in channel ch, unless they are there already.
func (p *Platform) AddMember(ch bot.ChannelID, u bot.User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	if !slices.ContainsFunc(p.members[ch], func(m bot.User) bool { return m.ID == u.ID }) {
		p.members[ch] = append(p.members[ch], u)
	}
}

// RemoveMember takes user out of channel ch.
func (p *Platform) RemoveMember(ch bot.ChannelID, user bot.UserID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	p.members[ch] = slices.DeleteFunc(p.members[ch], func(m bot.User) bool { return m.ID == user })
}

// SetBotIn makes an InspectorPlatform over p report whether the bot is a
// member of channel ch (it is in every channel until set).
func (p *Platform) SetBotIn(ch bot.ChannelID, in bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	p.botOut[ch] = !in
}

// SetRole makes an InspectorPlatform over p describe role of guild as
// info (with Exists set); roles do not exist until set.
func (p *Platform) SetRole(guild string, role bot.RoleID, info bot.RoleInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	info.Exists = true
	p.roles[guild+"/"+string(role)] = info
}

// InspectorPlatform is a Platform that also implements
// bot.ChannelInspector, bot.RoleInspector and bot.BotPresence, answering
// with the privacy, members, roles and the bot's channels set on the
// Platform (SetPrivate, SetMembers, AddMember, RemoveMember, SetRole,
// SetBotIn) and failing with its InspectHook. A plain Platform is no ChannelInspector, so that
// the core falls back to what it does on platforms that cannot tell (acting
// in a group's channel counts as being in it).
type InspectorPlatform struct {
	*Platform
}

var (
	_ bot.ChannelInspector = InspectorPlatform{}
	_ bot.RoleInspector    = InspectorPlatform{}
	_ bot.BotPresence      = InspectorPlatform{}
)

// BotInChannel implements bot.BotPresence with what SetBotIn set.
func (i InspectorPlatform) BotInChannel(ctx context.Context, a bot.Address) (bool, error) {
	p := i.Platform
	if err := p.inspect(ctx, a); err != nil {
		return false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	return !p.botOut[a.Channel], nil
}

// InspectRole implements bot.RoleInspector with what SetRole set.
func (i InspectorPlatform) InspectRole(ctx context.Context, guild string, role bot.RoleID) (bot.RoleInfo, error) {
	if err := ctx.Err(); err != nil {
		return bot.RoleInfo{}, err
	}
	p := i.Platform
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	return p.roles[guild+"/"+string(role)], nil
}

func (p *Platform) inspect(ctx context.Context, a bot.Address) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inspect %s: %w", a.Channel, err)
	}
	if p.InspectHook != nil {
		return p.InspectHook(a)
	}
	return nil
}

// ChannelPrivate implements bot.ChannelInspector with what SetPrivate set.
func (i InspectorPlatform) ChannelPrivate(ctx context.Context, a bot.Address) (bool, error) {
	p := i.Platform
	if err := p.inspect(ctx, a); err != nil {
		return false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	return p.private[a.Channel], nil
}

// InChannel implements bot.ChannelInspector with the members set.
func (i InspectorPlatform) InChannel(ctx context.Context, a bot.Address, u bot.UserID) (bool, error) {
	p := i.Platform
	if err := p.inspect(ctx, a); err != nil {
		return false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	return slices.ContainsFunc(p.members[a.Channel], func(m bot.User) bool { return m.ID == u }), nil
}

// ChannelMembers implements bot.ChannelInspector: the members set, bots
// left out, in the order they were added.
func (i InspectorPlatform) ChannelMembers(ctx context.Context, a bot.Address) ([]bot.User, error) {
	p := i.Platform
	if err := p.inspect(ctx, a); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initLocked()
	var out []bot.User
	for _, m := range p.members[a.Channel] {
		if !m.Bot {
			out = append(out, m)
		}
	}
	return out, nil
}
