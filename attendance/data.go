package attendance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tend-bot/tend/bot"
)

// DataStore keeps a member's data rights: what tend holds about them, and
// erasing it.
type DataStore interface {
	PersonalData(ctx context.Context, platform string, user bot.UserID) ([]bot.PersonalRecord, error)
	// Erase removes every row that names the person in one transaction,
	// enqueueing the jobs then returns in it.
	Erase(ctx context.Context, req bot.EraseRequest, then func(bot.Erasure) []bot.Job) (bot.Erasure, error)
	// JobsNaming counts pending or running jobs (other than except) that
	// name the account, in a group or (0) anywhere on the platform.
	JobsNaming(ctx context.Context, platform string, user bot.UserID, groupID, except int64) (int, error)
	Audit(ctx context.Context, e bot.AuditEntry) error
	// TrackingFilter tells, for a group, the accounts tend may track
	// there: not those who asked it to forget them (EraseRequest's
	// StopTracking).
	TrackingFilter(ctx context.Context, platform string, groupID int64) (func(bot.UserID) bool, error)
	// OptIn lets tend track the account again everywhere on platform; it
	// returns how many markers it removed.
	OptIn(ctx context.Context, platform string, user bot.UserID) (int, error)
}

// Erasure passes.
const (
	// erasePassEvery is how long a pass waits for the jobs that still
	// name the person (the features being told) before the next.
	erasePassEvery = 30 * time.Second
	// maxErasePasses bounds the passes: after them, whatever is still
	// pending is left, and the operator is told in the log.
	maxErasePasses = 20
)

// erasePayload is an erasure pass's job payload. It names the person, so
// each pass clears its own payload when it finishes.
type erasePayload struct {
	Platform string  `json:"platform"`
	User     string  `json:"user"`
	Group    int64   `json:"group,omitempty"` // 0: every group (the member asked)
	Number   int64   `json:"number"`
	Groups   []int64 `json:"groups,omitempty"` // to tell the features (pass 1)
	At       int64   `json:"at"`
	Pass     int     `json:"pass"`
}

// eraseJob is the job of one pass.
func eraseJob(p erasePayload, due time.Time) bot.Job {
	b, _ := json.Marshal(p) // strings and numbers
	return bot.Job{Kind: KindErase, Key: KindErase + "/" + strconv.FormatInt(p.Number, 10) + "/" + strconv.Itoa(p.Pass), GroupID: p.Group, DueAt: due, Payload: b}
}

// passes returns, for a new erasure of an account, the job of its first
// pass, which tells the features (MemberGone: an access role revoked) and
// then removes what they leave behind. It is enqueued in the erasure's own
// transaction, so that a crash right after it loses nothing.
func (f *Feature) passes(req bot.EraseRequest, now time.Time) func(bot.Erasure) []bot.Job {
	return func(er bot.Erasure) []bot.Job {
		if req.User == "" || er.Number == 0 {
			return nil
		}
		p := erasePayload{Platform: req.Platform, User: string(req.User), Group: req.GroupID, Number: er.Number, Groups: er.Groups, At: now.Unix(), Pass: 1}
		return []bot.Job{eraseJob(p, now)}
	}
}

// pressForget erases the presser's own data, everywhere on the platform.
func (f *Feature) pressForget(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	platform := req.Event.Meta().Platform
	r := bot.EraseRequest{Platform: platform, User: req.Actor.ID, StopTracking: true}
	er, err := f.st.Erase(ctx, r, f.passes(r, req.Now))
	if err != nil {
		return nil, err
	}
	stopped := fmt.Sprintf("tend will not count your attendance, ask you to check in or message you on its own here, even where you stay in a group's channel; "+
		"%s turns that back on.", optInCommand)
	if er.Number == 0 {
		return []bot.Outbound{bot.Reply(fmt.Sprintf("tend holds nothing about you on %s, and %s", platform, stopped))}, nil
	}
	f.r.Notify()
	f.log.Info("a member erased their data", bot.KeyPlatform, platform, "erasure", er.Number, "groups", len(er.Groups))
	return []bot.Outbound{bot.Reply(fmt.Sprintf("Done: tend erased %s about you. Audit lines that named you now read %q. "+
		"If you were given an access role, it is being taken back. From now on %s", rowsText(er), bot.ErasedLabel(er.Number), stopped))}, nil
}

// pressErase erases a roster entry of the button's group, for a
// facilitator.
func (f *Feature) pressErase(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	g := req.Group
	id, err := strconv.ParseInt(req.Action.Ref, 10, 64)
	if err != nil || g == nil {
		return nil, bot.Errorf("This button is not valid. Run /tend forget user:@name (or code:) again.")
	}
	m, err := f.rosterEntry(ctx, g.ID, id)
	if err != nil {
		return nil, err
	}
	r := bot.EraseRequest{Platform: g.Address.Platform, User: m.User, GroupID: g.ID, MemberID: m.ID, By: req.Actor.Principal(), StopTracking: m.User != ""}
	er, err := f.st.Erase(ctx, r, f.passes(r, req.Now))
	if errors.Is(err, bot.ErrNotFound) {
		return nil, bot.Errorf("That roster entry was erased already.")
	} else if err != nil {
		return nil, err
	}
	f.r.Notify()
	f.log.Info("a facilitator erased a roster entry", bot.KeyGroup, g.Name, "erasure", er.Number)
	return []bot.Outbound{bot.Reply(fmt.Sprintf("Erased %s from %s. The audit log names them %q.", rowsText(er), g.Name, bot.ErasedLabel(er.Number)))}, nil
}

// rosterEntry finds roster entry id of group groupID, removed or not.
func (f *Feature) rosterEntry(ctx context.Context, groupID, id int64) (bot.Member, error) {
	all, err := f.st.RosterEntries(ctx, groupID)
	if err != nil {
		return bot.Member{}, err
	}
	for _, m := range all {
		if m.ID == id {
			return m, nil
		}
	}
	return bot.Member{}, bot.Errorf("That roster entry was erased already.")
}

// runErase is one later pass of an erasure: the first tells the features
// that the person is gone (once: the events' keys are stable); every pass
// then waits while jobs that name the person are still to run, and erases
// what finished. Each pass clears its own payload.
func (f *Feature) runErase(ctx context.Context, j bot.Job) (bot.JobResult, error) {
	var p erasePayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Number == 0 || p.User == "" {
		return bot.JobResult{State: bot.JobSkipped, Note: "nothing left to erase"}, nil
	}
	user := bot.UserID(p.User)
	if p.Pass == 1 {
		var errs []error
		for _, gid := range p.Groups {
			g, err := f.st.GroupByID(ctx, gid)
			if errors.Is(err, bot.ErrNotFound) {
				continue
			} else if err != nil {
				return bot.JobResult{}, err
			}
			ev := &bot.MemberGone{Group: g, User: user, Why: "asked tend to erase their data", At: time.Unix(p.At, 0).UTC()}
			if g.ID == p.Group || p.Group == 0 {
				errs = append(errs, f.b.PublishMemberGone(ctx, ev))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return bot.JobResult{}, err
		}
	}
	waiting, err := f.st.JobsNaming(ctx, p.Platform, user, p.Group, j.ID)
	if err != nil {
		return bot.JobResult{}, err
	}
	note := fmt.Sprintf("pass %d of %s", p.Pass, bot.ErasedLabel(p.Number))
	if waiting > 0 {
		if p.Pass < maxErasePasses {
			next := p
			next.Pass, next.Groups = p.Pass+1, nil
			if _, err := f.r.Enqueue(ctx, eraseJob(next, f.clock.Now().Add(erasePassEvery))); err != nil {
				return bot.JobResult{}, err
			}
			note += fmt.Sprintf("; %d jobs about them still to run, another pass follows", waiting)
		} else {
			f.log.Warn("jobs naming an erased member were still pending after the last pass; they are left", "erasure", p.Number, "jobs", waiting)
			note += fmt.Sprintf("; %d jobs about them were still pending and are left", waiting)
		}
	}
	er, err := f.st.Erase(ctx, bot.EraseRequest{Platform: p.Platform, User: user, GroupID: p.Group, Number: p.Number, KeepJob: j.ID}, nil)
	if err != nil {
		return bot.JobResult{}, err
	}
	n := 0
	for _, c := range er.Rows {
		n += c
	}
	return bot.JobResult{State: bot.JobDone, Note: fmt.Sprintf("%s; removed %d more records", note, n)}, nil
}
