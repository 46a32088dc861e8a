package checkins

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tend-bot/tend/bot"
)

// answerWriter stores answers durably with group commit: an answer waits
// for the transaction that stores it, and the answers that arrive while one
// transaction commits share the next. A burst of members answering at once
// costs a few transactions instead of one each. There is no goroutine of
// its own: one waiting writer at a time has the turn to commit, for
// everyone queued; then it hands the turn to the next writer still waiting
// and returns with its own answer stored.
type answerWriter struct {
	st interface {
		RecordAnswers(ctx context.Context, answers []bot.CheckInAnswer) ([]bot.AnswerOutcome, error)
	}
	mu      sync.Mutex
	queue   []*pendingAnswer
	writing bool // a writer has the turn
	// commits counts the transactions, for the benchmark.
	commits atomic.Int64
}

type pendingAnswer struct {
	a   bot.CheckInAnswer
	out bot.AnswerOutcome
	err error
	// wake tells the writer either that its answer is committed (or
	// failed) or that it has the turn to commit: one channel, one receive,
	// so that an answer costs one channel rather than two and a select.
	wake chan wakeReason
}

type wakeReason uint8

const (
	wakeDone wakeReason = iota // committed, or failed: out and err are set
	wakeTurn                   // this writer commits next
)

// maxBatch bounds one transaction of answers; maxYields how often the
// committing writer lets more writers queue before it writes; commitLimit
// bounds one transaction.
const (
	maxBatch    = 256
	maxYields   = 4
	commitLimit = 30 * time.Second
)

// write stores a and returns its outcome once it is committed. It waits
// at most for the transactions ahead of it, each bounded by commitLimit
// (a writer that gives up would leave the others' answers without a
// committer, so the wait does not end with ctx).
func (w *answerWriter) write(ctx context.Context, a bot.CheckInAnswer) (bot.AnswerOutcome, error) {
	// Capacity 2: the turn and then "done" may both be sent before the
	// writer receives either; neither send ever blocks.
	p := &pendingAnswer{a: a, wake: make(chan wakeReason, 2)}
	w.mu.Lock()
	w.queue = append(w.queue, p)
	if !w.writing {
		w.writing = true
		p.wake <- wakeTurn
	}
	w.mu.Unlock()
	for {
		if <-p.wake == wakeDone {
			return p.out, p.err
		}
		// The batch is everyone's: it gets a bounded context of its own,
		// not this writer's.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitLimit)
		w.commit(bctx)
		cancel()
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.writing = false
		} else {
			w.queue[0].wake <- wakeTurn
		}
		w.mu.Unlock()
	}
}

// commit writes one batch from the front of the queue.
func (w *answerWriter) commit(ctx context.Context) {
	// Let the writers that the last commit released queue their next
	// answers first, while more keep coming (a few yields at most): the
	// batch is then as large as the load.
	for range maxYields {
		w.mu.Lock()
		before := len(w.queue)
		w.mu.Unlock()
		runtime.Gosched()
		w.mu.Lock()
		grew := len(w.queue) > before
		w.mu.Unlock()
		if !grew {
			break
		}
	}
	w.mu.Lock()
	n := min(len(w.queue), maxBatch)
	batch := w.queue[:n:n]
	w.queue = w.queue[n:]
	w.mu.Unlock()
	if n == 0 {
		return
	}
	as := make([]bot.CheckInAnswer, len(batch))
	for i, p := range batch {
		as[i] = p.a
	}
	outs, err := w.st.RecordAnswers(ctx, as)
	w.commits.Add(1)
	for i, p := range batch {
		if err != nil {
			p.err = err
		} else {
			p.out = outs[i]
		}
		p.wake <- wakeDone
	}
}

// parseRef reads an answer button's reference: "<check-in>.<what>".
func parseRef(ref string) (int64, string, bool) {
	idText, what, ok := strings.Cut(ref, ".")
	id, err := strconv.ParseInt(idText, 10, 64)
	return id, what, ok && err == nil && id > 0
}

// openCheckIn reads the check-in an answer is for and checks that the
// member may answer it now.
func (f *Feature) openCheckIn(ctx context.Context, req *bot.Request, id int64) (bot.CheckIn, error) {
	if req.Group == nil {
		return bot.CheckIn{}, bot.Errorf("This check-in button is not valid here. Use /tend checkin in your group's channel.")
	}
	c, err := f.st.CheckIn(ctx, id)
	if errors.Is(err, bot.ErrNotFound) || (err == nil && c.GroupID != req.Group.ID) {
		return bot.CheckIn{}, bot.Errorf("This check-in no longer exists. /tend checkin shows the open one, if there is one.")
	} else if err != nil {
		return bot.CheckIn{}, err
	}
	if !c.Open(req.Now) {
		return bot.CheckIn{}, bot.Errorf("This check-in closed %s, so it takes no more answers. Thank you all the same — if something is on your mind, you can tell a facilitator directly.",
			bot.Time(c.ClosesAt, bot.TimeRelative))
	}
	ok, _, err := f.b.TakesPart(ctx, *req.Group, req.Actor.ID)
	if err != nil {
		return bot.CheckIn{}, err
	}
	if !ok {
		return bot.CheckIn{}, bot.Errorf("You can check in once you have agreed to group %s's agreements. /tend help shows how to read and agree to them.", req.Group.Name)
	}
	return c, nil
}

// answerButton records a press of a check-in's button, or opens the form
// for a word or text answer.
func (f *Feature) answerButton(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	id, what, ok := parseRef(req.Action.Ref)
	if !ok {
		return nil, bot.Errorf("This check-in button is not valid. Use /tend checkin in your group's channel.")
	}
	c, err := f.openCheckIn(ctx, req, id)
	if err != nil {
		return nil, err
	}
	a := bot.CheckInAnswer{CheckInID: c.ID, User: req.Actor.ID, At: req.Now}
	switch what {
	case "p":
		a.Pass = true
	case "t":
		if !c.Spec.Kind.FreeText() {
			return nil, bot.Errorf("This check-in has no form. Use its buttons.")
		}
		if err := noTypedAnswers(*req.Group); err != nil {
			return nil, err
		}
		return []bot.Outbound{{Kind: bot.OutModal, Modal: answerForm(req.Group.ID, c)}}, nil
	default:
		l, err := strconv.Atoi(what)
		if err != nil || l < 1 || l > maxLevel(c.Spec) || c.Spec.Kind.FreeText() {
			return nil, bot.Errorf("This check-in button is not valid. Use /tend checkin in your group's channel.")
		}
		a.Level = l
	}
	return f.answer(ctx, req, c, a)
}

// answerText records a word or text answer typed in the form.
func (f *Feature) answerText(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	id, err := strconv.ParseInt(req.Action.Ref, 10, 64)
	if err != nil {
		return nil, bot.Errorf("This form is not valid. Use /tend checkin in your group's channel.")
	}
	c, err := f.openCheckIn(ctx, req, id)
	if err != nil {
		return nil, err
	}
	if !c.Spec.Kind.FreeText() {
		return nil, bot.Errorf("This check-in takes its answer by its buttons, not a form.")
	}
	if err := noTypedAnswers(*req.Group); err != nil {
		// Nothing typed is stored in a minimal group, whenever the check-in
		// was opened.
		return nil, err
	}
	text := strings.TrimSpace(bot.StripPlaceholderRunes(req.Values["answer"]))
	limit := maxAnswerLen
	if c.Spec.Kind == bot.CheckInWord {
		limit = maxWordLen
	}
	switch {
	case text == "":
		return nil, bot.Errorf("The answer was empty. Write a word or two, or press Pass.")
	case len([]rune(text)) > limit:
		return nil, bot.Errorf("The answer is longer than %d characters. Shorten it and send it again.", limit)
	}
	return f.answer(ctx, req, c, bot.CheckInAnswer{CheckInID: c.ID, User: req.Actor.ID, Text: text, At: req.Now})
}

// noTypedAnswers refuses a typed answer in a group with privacy:
// minimal (a word or text check-in opened before it became minimal).
func noTypedAnswers(g bot.Group) error {
	if g.Privacy != bot.PrivacyMinimal {
		return nil
	}
	return bot.Errorf("Group %s has privacy: minimal, which keeps typed answers out, so this answer was not recorded. Press Pass, or tell a facilitator directly.", g.Name)
}

func maxLevel(s bot.CheckInSpec) int {
	switch s.Kind {
	case bot.CheckInScale:
		return 5
	case bot.CheckInTraffic:
		return 3
	case bot.CheckInChoice:
		return len(s.Choices)
	}
	return 0
}

// lowest reports whether a is at the bottom of its scale: a signal by
// itself.
func lowest(s bot.CheckInSpec, a bot.CheckInAnswer) bool {
	return !a.Pass && a.Level == 1 && (s.Kind == bot.CheckInScale || s.Kind == bot.CheckInTraffic)
}

// answer stores a durably, tells attendance the member was there (an
// answer during the session), raises a signal when the answer is one, and
// confirms privately.
func (f *Feature) answer(ctx context.Context, req *bot.Request, c bot.CheckIn, a bot.CheckInAnswer) ([]bot.Outbound, error) {
	g := *req.Group
	out, err := f.writer.write(ctx, a)
	if err == nil {
		err = out.Err
	}
	switch {
	case errors.Is(err, bot.ErrConflict):
		return nil, bot.Errorf("This check-in closed just now, so your answer was not recorded. Thank you all the same.")
	case errors.Is(err, bot.ErrNotFound):
		return nil, bot.Errorf("This check-in no longer exists. /tend checkin shows the open one, if there is one.")
	case err != nil:
		return nil, err
	}
	// No user id: a reader of the log must not tie a person to an answer
	// (and so to a safety signal).
	f.log.Debug("check-in answered", bot.KeyGroup, g.Name, "checkin", c.ID)
	if c.SessionID != 0 {
		if s, err := f.st.Session(ctx, c.SessionID); err == nil && !a.At.Before(s.Start) && a.At.Before(s.End) {
			if err := f.b.PublishPresence(ctx, &bot.Presence{Group: g, SessionID: s.ID, User: a.User, Source: "checkin", At: a.At}); err != nil {
				f.log.Error("telling attendance of a check-in answer failed", bot.KeyGroup, g.Name, bot.KeyErr, err)
			}
		}
	}
	var b strings.Builder
	switch {
	case a.Pass:
		b.WriteString("Recorded as a pass — that's always fine.")
	default:
		fmt.Fprintf(&b, "Thank you — recorded: %s.", confirmText(c.Spec, a))
	}
	if out.Prev != nil {
		fmt.Fprintf(&b, " (It replaces your earlier %s.)", confirmText(c.Spec, *out.Prev))
	}
	b.WriteString(" Only you and the facilitators see it; you can change it until " + bot.Time(c.ClosesAt, bot.TimeClock) + ".")
	confirm := bot.Message{Text: b.String()}

	var sig *bot.SafetySignal
	switch {
	case lowest(c.Spec, a):
		sig = &bot.SafetySignal{Families: []string{familyLevel}, Level: levelName(c.Spec, a.Level) + levelSuffix(c.Spec)}
	case c.Spec.Kind.FreeText():
		if res := f.lexicon.Load().Examine(a.Text); res.Signal() {
			sig = &bot.SafetySignal{Families: res.Strings(), Words: a.Text}
		}
	}
	if sig == nil {
		return []bot.Outbound{bot.ReplyMessage(confirm)}, nil
	}
	sig.GroupID, sig.Platform, sig.User, sig.At, sig.Source, sig.CheckInID = g.ID, g.Address.Platform, a.User, a.At, sourceCheckIn, c.ID
	reply := f.replyFor(f.raise(ctx, []bot.Group{g}, *sig), *sig)
	reply.Message.Text = confirm.Text + "\n\n" + reply.Message.Text
	return []bot.Outbound{reply}, nil
}

func levelSuffix(s bot.CheckInSpec) string {
	if s.Kind == bot.CheckInScale {
		return " of 5"
	}
	return ""
}

// confirmText shows an answer to the member who gave it.
func confirmText(s bot.CheckInSpec, a bot.CheckInAnswer) string {
	switch {
	case a.Pass:
		return "pass"
	case s.Kind.FreeText():
		return "your answer"
	}
	return answerText(s, a)
}
