package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// OutboxState is where one keyed delivery stands.
type OutboxState string

// Outbox states.
const (
	// OutboxSending: an attempt began; whether it reached the platform is
	// unknown until it is marked sent or failed.
	OutboxSending OutboxState = "sending"
	OutboxSent    OutboxState = "sent"
	// OutboxFailed: the platform refused for good; not retried.
	OutboxFailed OutboxState = "failed"
)

// OutboxEntry is the record of one keyed delivery.
type OutboxEntry struct {
	Key      string
	Platform string
	Kind     OutboundKind
	State    OutboxState
	Ref      MessageRef // set once sent
	Attempts int        // attempts begun, including the current one
	SentAt   time.Time
	Error    string // why it failed (never message content)
	// HandedAt is when the latest attempt whose outcome is unknown was
	// handed to the platform; zero when no attempt left the process (it
	// was only prepared) or those that did were looked for and not found.
	// Only such an attempt may have been delivered.
	HandedAt time.Time
}

// OutboxStore records keyed deliveries so that each is made once.
type OutboxStore interface {
	// BeginOutbox records an attempt to deliver key and returns the entry as
	// it now stands. For a new key it creates the entry in OutboxSending with
	// Attempts 1; for an entry not yet sent or failed it increments
	// Attempts; for a sent or failed entry it changes nothing.
	BeginOutbox(ctx context.Context, key string, platform string, kind OutboundKind) (OutboxEntry, error)
	// MarkOutboxSent records the platform's message reference.
	MarkOutboxSent(ctx context.Context, key string, d Delivered) error
	// MarkOutboxFailed records a permanent failure.
	MarkOutboxFailed(ctx context.Context, key string, reason string) error
	// MarkOutboxHandedOff records, before the platform is called, that an
	// attempt to deliver key is handed to the platform at at. It changes
	// nothing for a sent or failed entry; a missing key wraps ErrNotFound.
	MarkOutboxHandedOff(ctx context.Context, key string, at time.Time) error
	// ClearOutboxHandOff records that the handed-off attempts of key were
	// looked for on the platform and not found (HandedAt becomes zero) for
	// an entry still sending.
	ClearOutboxHandOff(ctx context.Context, key string) error
}

// SendResult tells what Send did.
type SendResult struct {
	Delivered
	// Duplicate: the key had already been delivered; nothing was sent now.
	Duplicate bool
	// Recovered: an earlier attempt's delivery was found on the platform
	// and recorded; nothing was sent now.
	Recovered bool
}

// Sender delivers outbounds to their platforms, exactly once per key for
// posts and DMs.
type Sender struct {
	outbox    OutboxStore
	platforms map[string]Platform
	codec     *ActionCodec
	clock     Clock
	log       *slog.Logger
	owners    []Principal
	obs       Observer
	// settle is how long after a hand-off its delivery is looked for.
	settle time.Duration
}

// HandOffSettle is how long after an attempt was handed to a platform the
// Sender waits before it looks there for that attempt's delivery (Finder),
// unless SettleHandOffs says otherwise. A request that a process handed
// over just before it died may still be in the platform's hands, and be
// processed after a look that found nothing: a look made too early would
// send the post again. Ten seconds is well past the time Discord and Slack
// take to create a message, even under load, and only posts that were in
// flight at a crash wait for it (systemd restarts tend after 5 s, so most
// of it has passed already).
const HandOffSettle = 10 * time.Second

// SettleHandOffs sets how long after a hand-off its delivery is looked for
// (HandOffSettle by default). Call it before the Sender is used.
func (s *Sender) SettleHandOffs(d time.Duration) { s.settle = max(d, 0) }

// Observe makes the Sender tell o the outcome of every delivery (counts by
// platform, kind, feature and outcome; never keys or content). Call it
// before the Sender is used.
func (s *Sender) Observe(o Observer) { s.obs = ObserverOr(o) }

// observe tells the observer how one delivery of out ended.
func (s *Sender) observe(out Outbound, o Outcome) {
	s.obs.Delivered(out.Platform(), out.Kind.String(), FeatureOfKey(out.Key), o)
}

// outcomeOf classifies a delivery error for the observer.
func outcomeOf(err error) Outcome {
	if IsPermanent(err) {
		return OutcomeFailed
	}
	return OutcomeError
}

// ReportUnreachableTo makes the Sender tell these owners privately when a
// platform refuses for good, so that a facilitator's reminders do not
// silently stop: once per channel when a post finds the channel unreachable
// (it was deleted or the bot lost access), and once per key when a post or
// DM is rejected as invalid (a bug or an over-long message; the channel is
// fine). Call it before the Sender is used.
func (s *Sender) ReportUnreachableTo(owners []Principal) { s.owners = owners }

// NewSender returns a Sender over the given platforms.
func NewSender(outbox OutboxStore, codec *ActionCodec, clock Clock, log *slog.Logger, platforms ...Platform) *Sender {
	if clock == nil {
		clock = SystemClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Sender{outbox: outbox, codec: codec, clock: clock, log: log, platforms: map[string]Platform{}, obs: NopObserver{}, settle: HandOffSettle}
	for _, p := range platforms {
		s.platforms[p.Name()] = p
	}
	return s
}

// Inspector returns the named platform as a ChannelInspector, when it is
// running and can inspect channels.
func (s *Sender) Inspector(platform string) (ChannelInspector, bool) {
	p, ok := s.platforms[platform]
	if !ok {
		return nil, false
	}
	i, ok := p.(ChannelInspector)
	return i, ok
}

// Homer returns the named platform as a ChannelHomer, when it is running
// and can tell where a channel lives.
func (s *Sender) Homer(platform string) (ChannelHomer, bool) {
	p, ok := s.platforms[platform]
	if !ok {
		return nil, false
	}
	h, ok := p.(ChannelHomer)
	return h, ok
}

// ErrNoKey means a post or DM was sent without an outbox key.
var ErrNoKey = errors.New("a post or DM needs an outbox key")

// Send delivers out. Posts and DMs must carry a Key: a key already sent is
// not sent again (Duplicate), a key whose earlier attempt was handed to the
// platform with an unknown outcome is looked for there first when it can
// (Finder), and a key that failed for good is not retried. Other kinds
// (edits, pins, roles, invitations) are idempotent and are delivered every
// time.
//
// Send is Prepare followed by Deliver on the result.
func (s *Sender) Send(ctx context.Context, out Outbound) (SendResult, error) {
	pr, err := s.Prepare(ctx, out)
	if err != nil {
		return SendResult{}, err
	}
	return pr.Deliver(ctx)
}

// Preparer prepares deliveries ahead of their time; *Sender implements it.
type Preparer interface {
	Prepare(ctx context.Context, out Outbound) (*PreparedSend, error)
}

// PreparedSend is a delivery that Prepare made ready: its outbox attempt is
// recorded and its earlier deliveries looked for. Deliver it once.
type PreparedSend struct {
	s   *Sender
	p   Platform
	out Outbound
	// done: nothing is left to deliver; res says what happened.
	done bool
	res  SendResult
	// handed: Hand delivered it as delivered; Record is left.
	handed    bool
	delivered Delivered
}

// Done reports whether nothing is left to deliver: the key had already been
// delivered (Duplicate) or an earlier delivery was found (Recovered).
// Deliver then returns that result without sending.
func (pr *PreparedSend) Done() bool { return pr.done }

// Prepare does the part of Send that comes before the platform is called:
// it seals the buttons, records the outbox attempt of a post or DM and, for
// a key whose earlier attempt was handed to the platform and has an unknown
// outcome (the process died, or the platform's answer was lost), looks for
// that delivery on the platform. An earlier attempt that was only prepared
// never left the process and is not looked for. A key that failed for good
// is a *PermanentError. Nothing reaches the platform's channel until
// Deliver.
func (s *Sender) Prepare(ctx context.Context, out Outbound) (*PreparedSend, error) {
	if out.Kind == OutReply || out.Kind == OutModal {
		return nil, fmt.Errorf("send %s: replies go back to the adapter, not through the sender", out.Kind)
	}
	pname := out.Platform()
	p, ok := s.platforms[pname]
	if !ok {
		s.observe(out, OutcomeFailed)
		return nil, &PermanentError{Reason: fmt.Sprintf("platform %q is not running", pname)}
	}
	if s.codec != nil {
		if err := s.codec.Seal(&out); err != nil {
			return nil, err
		}
	}
	pr := &PreparedSend{s: s, p: p, out: out}
	keyed := out.Kind == OutPost || out.Kind == OutDM
	if !keyed {
		return pr, nil
	}
	if out.Key == "" {
		return nil, ErrNoKey
	}
	e, err := s.outbox.BeginOutbox(ctx, out.Key, pname, out.Kind)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", out.Key, err)
	}
	switch e.State {
	case OutboxSent:
		s.observe(out, OutcomeDuplicate)
		pr.done, pr.res = true, SendResult{Delivered: Delivered{Ref: e.Ref, At: e.SentAt}, Duplicate: true}
		return pr, nil
	case OutboxFailed:
		s.observe(out, OutcomeFailed)
		return nil, &PermanentError{Reason: e.Error}
	}
	if !e.HandedAt.IsZero() {
		if f, ok := p.(Finder); ok {
			// The hand-off is recorded to the second, before the request
			// left: wait until the request, if it was made, has surely
			// been processed by the platform.
			if wait := e.HandedAt.Truncate(time.Second).Add(time.Second + s.settle).Sub(s.clock.Now()); s.settle > 0 && wait > 0 {
				if !Sleep(ctx, s.clock, wait) {
					return nil, fmt.Errorf("look for earlier delivery of %s: %w", out.Key, ctx.Err())
				}
			}
			d, found, err := f.FindDelivered(ctx, out)
			if err != nil {
				return nil, fmt.Errorf("look for earlier delivery of %s: %w", out.Key, err)
			}
			if found {
				if err := s.outbox.MarkOutboxSent(ctx, out.Key, d); err != nil {
					return nil, err
				}
				s.log.Info("found an earlier delivery; not sending again", KeyKey, out.Key)
				s.observe(out, OutcomeRecovered)
				pr.done, pr.res = true, SendResult{Delivered: d, Recovered: true}
				return pr, nil
			}
			// Not delivered: should this attempt too end before it is
			// handed over, the next one need not look again.
			if err := s.outbox.ClearOutboxHandOff(ctx, out.Key); err != nil {
				return nil, err
			}
		}
	}
	return pr, nil
}

// handOffKey is the context key of a Deliver's hand-off record.
type handOffKey struct{}

// handOff records, once per Deliver, that a keyed delivery is handed to
// the platform.
type handOff struct {
	mu   sync.Mutex
	done bool
	mark func(ctx context.Context) error
}

// HandOff tells the Sender that the post or DM being delivered with ctx is
// about to leave the process: a platform calls it right before each network
// request that may deliver it, after any wait for its pacing, and does not
// make the request when it returns an error (the hand-off could not be
// recorded). The Sender records the first call in the outbox, so that after
// a crash only attempts that may have reached the platform are looked for
// there (Finder), and one still waiting for its turn is simply made again.
// Outside a Sender's Deliver of a post or DM it does nothing. It is safe for
// concurrent use.
func HandOff(ctx context.Context) error {
	h, ok := ctx.Value(handOffKey{}).(*handOff)
	if !ok {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return nil
	}
	if err := h.mark(ctx); err != nil {
		return fmt.Errorf("record the hand-off to the platform: %w", err)
	}
	h.done = true
	return nil
}

// OutboxWithdrawer is an OutboxStore that can take back an attempt that
// was begun and never handed to the platform; *store.DB implements it.
type OutboxWithdrawer interface {
	// WithdrawOutbox undoes one BeginOutbox of key while it is sending: it
	// decrements Attempts and removes the entry when none is left. A sent
	// or failed entry is left as it is.
	WithdrawOutbox(ctx context.Context, key string) error
}

// Abandon takes back a prepared post or DM that will not be delivered, so
// that the outbox does not show an attempt whose outcome is unknown and a
// later attempt does not need to look for it on the platform. It does
// nothing for a PreparedSend that is Done or not keyed, or when the outbox
// cannot withdraw. Call it instead of Deliver, never after.
func (pr *PreparedSend) Abandon(ctx context.Context) error {
	if pr.done || pr.handed || (pr.out.Kind != OutPost && pr.out.Kind != OutDM) {
		return nil
	}
	pr.done = true
	w, ok := pr.s.outbox.(OutboxWithdrawer)
	if !ok {
		return nil
	}
	if err := w.WithdrawOutbox(ctx, pr.out.Key); err != nil {
		return fmt.Errorf("withdraw %s: %w", pr.out.Key, err)
	}
	return nil
}

// Replace makes Deliver send out instead, for content that changed after
// Prepare (a fresher render). out must have the same kind, key and
// platform as the prepared outbound; its buttons are sealed here. It
// changes nothing when the PreparedSend is Done.
func (pr *PreparedSend) Replace(out Outbound) error {
	if pr.done {
		return nil
	}
	if pr.handed {
		return fmt.Errorf("replace prepared %s %s: it was handed to the platform already", pr.out.Kind, pr.out.Key)
	}
	if out.Kind != pr.out.Kind || out.Key != pr.out.Key || out.Platform() != pr.out.Platform() {
		return fmt.Errorf("replace prepared %s %s: the kind, key and platform must stay the same", pr.out.Kind, pr.out.Key)
	}
	if pr.s.codec != nil {
		if err := pr.s.codec.Seal(&out); err != nil {
			return err
		}
	}
	pr.out = out
	return nil
}

// Deliver sends the prepared outbound to its platform and records the
// delivery in the outbox; for a PreparedSend that is Done (already
// delivered, by an earlier Deliver too) it returns that delivery as a
// Duplicate or Recovered result without sending. It is Hand followed by
// Record.
func (pr *PreparedSend) Deliver(ctx context.Context) (SendResult, error) {
	if err := pr.Hand(ctx); err != nil {
		return SendResult{}, err
	}
	return pr.Record(ctx)
}

// Hand makes the delivery's irreversible step alone: it hands the prepared
// outbound to its platform, and leaves recording the delivery to Record,
// so that a caller with many deliveries due at the same instant can make
// them all before it records any. A platform's permanent refusal is
// recorded (and reported) here. It does nothing for a PreparedSend that is
// Done or was handed already.
func (pr *PreparedSend) Hand(ctx context.Context) error {
	if pr.done || pr.handed {
		return nil
	}
	s, p, out := pr.s, pr.p, pr.out
	keyed := out.Kind == OutPost || out.Kind == OutDM
	if !keyed {
		d, err := p.Deliver(ctx, out)
		if err != nil {
			s.observe(out, outcomeOf(err))
			return err
		}
		s.observe(out, OutcomeSent)
		pr.handed, pr.delivered = true, d
		return nil
	}
	ho := &handOff{mark: func(ctx context.Context) error {
		return s.outbox.MarkOutboxHandedOff(ctx, out.Key, s.clock.Now())
	}}
	d, err := p.Deliver(context.WithValue(ctx, handOffKey{}, ho), out)
	if err != nil {
		s.observe(out, outcomeOf(err))
		if IsPermanent(err) {
			// The reason is the adapter's description of the refusal,
			// never the message's content.
			if merr := s.outbox.MarkOutboxFailed(ctx, out.Key, err.Error()); merr != nil {
				return errors.Join(err, merr)
			}
			switch {
			case errors.Is(err, ErrRejected):
				s.reportRejected(ctx, out, err)
			case out.Kind == OutPost:
				s.reportUnreachable(ctx, p, out.To, err)
			}
		}
		return err
	}
	if d.At.IsZero() {
		d.At = s.clock.Now()
	}
	s.observe(out, OutcomeSent)
	pr.handed, pr.delivered = true, d
	return nil
}

// Record records the delivery that Hand made in the outbox and returns
// it; for a PreparedSend that is Done it returns that result. Calling it
// before Hand is an error.
func (pr *PreparedSend) Record(ctx context.Context) (SendResult, error) {
	if pr.done {
		return pr.res, nil
	}
	if !pr.handed {
		return SendResult{}, fmt.Errorf("record %s: it was not handed to the platform", pr.out.Key)
	}
	d, out := pr.delivered, pr.out
	if out.Kind != OutPost && out.Kind != OutDM {
		return SendResult{Delivered: d}, nil
	}
	if err := pr.s.outbox.MarkOutboxSent(ctx, out.Key, d); err != nil {
		return SendResult{}, fmt.Errorf("record delivery of %s: %w", out.Key, err)
	}
	pr.done, pr.res = true, SendResult{Delivered: d, Duplicate: true}
	return SendResult{Delivered: d}, nil
}

// reportUnreachable DMs each owner on the channel's platform, once per
// channel (the outbox key makes it once across restarts too).
func (s *Sender) reportUnreachable(ctx context.Context, p Platform, to Address, cause error) {
	s.log.Error("a channel refused the bot; its posts are not retried", KeyPlatform, to.Platform, KeyChannel, string(to.Channel), KeyErr, cause)
	for _, o := range s.owners {
		if o.Kind() != to.Platform {
			continue
		}
		msg := Message{
			Title: "tend cannot post in a channel",
			Text: fmt.Sprintf("%s refused tend's posts in channel %s (%v). Reminders and notices for that channel are not being delivered. "+
				"Check that the channel still exists and that tend may post there, then rebind the group with /tend group setup in the right channel.",
				to.Platform, to.Channel, cause),
		}
		dm := DM(keyUnreachableNotice+to.Platform+"/"+string(to.Channel)+"/"+o.ID(), to.Platform, UserID(o.ID()), msg)
		if _, err := s.Send(ctx, dm); err != nil {
			s.log.Error("telling an owner about an unreachable channel failed", KeyUser, o.ID(), KeyErr, err)
		}
	}
}

// Key prefixes of the Sender's own notices to owners.
const (
	keyUnreachableNotice = "unreachable/"
	keyRejectedNotice    = "rejected/"
)

// reportRejected DMs each owner on the platform that a post or DM was
// refused as invalid, once per key (the notice's outbox key makes it once
// across restarts too). A refused notice is not itself reported: that
// would repeat without end.
func (s *Sender) reportRejected(ctx context.Context, out Outbound, cause error) {
	pname := out.Platform()
	s.log.Error("the platform refused a delivery as invalid; it is not retried, other deliveries continue",
		KeyPlatform, pname, KeyChannel, string(out.To.Channel), KeyKey, out.Key, "kind", out.Kind.String(), KeyErr, cause)
	if strings.HasPrefix(out.Key, keyRejectedNotice) || strings.HasPrefix(out.Key, keyUnreachableNotice) {
		return
	}
	what := fmt.Sprintf("a post to channel %s", out.To.Channel)
	if out.Kind == OutDM {
		what = "a direct message"
	}
	for _, o := range s.owners {
		if o.Kind() != pname {
			continue
		}
		msg := Message{
			Title: "tend's message was refused as invalid",
			Text: fmt.Sprintf("%s refused %s from tend as invalid (%v). This is likely a bug in tend or an over-long message, not a problem with the channel: "+
				"the channel is fine and tend's other posts continue. This one message is not sent again. "+
				"Look for the key %q in tend's logs, and report it if it keeps happening.",
				pname, what, cause, out.Key),
		}
		dm := DM(keyRejectedNotice+out.Key+"/"+o.ID(), pname, UserID(o.ID()), msg)
		if _, err := s.Send(ctx, dm); err != nil {
			s.log.Error("telling an owner about a refused delivery failed", KeyUser, o.ID(), KeyErr, err)
		}
	}
}
