package checkins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/checkins/safety"
	"github.com/tend-bot/tend/schedule"
)

// Config section keys.
const (
	SectionCheckIns       = "checkins"
	SectionRetention      = "retention_days"
	SectionCrisisPhrases  = "safety.crisis_phrases"
	SectionAroundTheClock = "safety.around_the_clock"
)

// Sections returns the feature's config sections: a group's checkins: and
// retention_days:, and the global safety.crisis_phrases and
// safety.around_the_clock.
func Sections() []bot.ConfigSection {
	return []bot.ConfigSection{
		{Key: SectionCheckIns, Check: func(g bot.Group, n *bot.Node, path string) []bot.ConfigProblem {
			var r bot.NodeReader
			readCheckIns(&r, g, n, path)
			return r.Problems
		}, Summary: func(g bot.Group, n *bot.Node) string {
			var r bot.NodeReader
			s := readCheckIns(&r, g, n, "checkins")
			return describeSettings(s)
		}},
		{Key: SectionRetention, Check: func(g bot.Group, n *bot.Node, path string) []bot.ConfigProblem {
			var r bot.NodeReader
			r.Int(n, path, 1, 3650)
			return r.Problems
		}, Summary: func(g bot.Group, n *bot.Node) string {
			var r bot.NodeReader
			if d, ok := r.Int(n, "retention_days", 1, 3650); ok {
				return fmt.Sprintf("check-in answers and alerts kept %d days", d)
			}
			return ""
		}},
		{Key: SectionCrisisPhrases, Global: true, Check: func(_ bot.Group, n *bot.Node, path string) []bot.ConfigProblem {
			var r bot.NodeReader
			readPhrases(&r, n, path)
			return r.Problems
		}, Summary: func(_ bot.Group, n *bot.Node) string {
			var r bot.NodeReader
			ps := readPhrases(&r, n, SectionCrisisPhrases)
			return fmt.Sprintf("%d crisis phrases added to tend's own lexicon", len(ps))
		}},
		{Key: SectionAroundTheClock, Global: true, Check: func(_ bot.Group, n *bot.Node, path string) []bot.ConfigProblem {
			var r bot.NodeReader
			r.Bool(n, path)
			return r.Problems
		}},
	}
}

func readPhrases(r *bot.NodeReader, n *bot.Node, path string) []string {
	ps, _ := r.Strings(n, path, `["kill myself", "end my life"]`, 200)
	var out []string
	for i, p := range ps {
		if err := safety.CheckPhrase(p); err != nil {
			item := n
			if n != nil && i < len(n.Items) {
				item = n.Items[i]
			}
			r.Fail(item, fmt.Sprintf("%s[%d]", path, i), err.Error(), "write words a member might send, such as \"end my life\"")
			continue
		}
		out = append(out, p)
	}
	return out
}

var (
	checkInKeys = []string{"at_start", "between", "share_tally", "escalate_after"}
	specKeys    = []string{"kind", "prompt", "delivery", "choices", "window"}
	kindNames   = func() []string {
		out := make([]string, len(bot.CheckInKinds))
		for i, k := range bot.CheckInKinds {
			out[i] = string(k)
		}
		return out
	}()
)

// readCheckIns reads a group's checkins: section into settings, recording
// every problem in r. n nil gives the defaults: no check-ins.
func readCheckIns(r *bot.NodeReader, g bot.Group, n *bot.Node, path string) bot.CheckInSettings {
	s := bot.CheckInSettings{GroupID: g.ID, EscalateAfter: DefaultEscalateAfter, RetentionDays: DefaultRetentionDays, Source: bot.SourceConfig}
	m := r.Map(n, path, checkInKeys)
	if m == nil {
		return s
	}
	if v := m["at_start"]; !v.IsNull() {
		s.AtStart = readSpec(r, g, v, path+".at_start", false)
	}
	if v := m["between"]; !v.IsNull() {
		s.Between = readSpec(r, g, v, path+".between", true)
	}
	if b, ok := r.Bool(m["share_tally"], path+".share_tally"); ok {
		s.ShareTally = b
	}
	if d, ok := r.Duration(m["escalate_after"], path+".escalate_after", time.Minute, 24*time.Hour); ok {
		s.EscalateAfter = d
	}
	return s
}

func readSpec(r *bot.NodeReader, g bot.Group, n *bot.Node, path string, between bool) *bot.CheckInSpec {
	keys := specKeys
	if between {
		keys = append(slices.Clone(specKeys), "cron", "nudge")
	}
	m := r.Map(n, path, keys)
	if m == nil {
		return nil
	}
	spec := &bot.CheckInSpec{Kind: bot.CheckInTraffic, Delivery: bot.DeliverChannel, Window: DefaultStartWindow}
	if between {
		spec.Kind, spec.Delivery, spec.Window = bot.CheckInScale, bot.DeliverDM, DefaultBetweenWindow
	}
	if k, ok := r.OneOf(m["kind"], path+".kind", kindNames); ok {
		spec.Kind = bot.CheckInKind(k)
	}
	if spec.Kind.FreeText() && g.Privacy == bot.PrivacyMinimal {
		r.Fail(m["kind"], path+".kind", fmt.Sprintf("kind %s asks members to type, and group %s has privacy: minimal, which keeps free text out", spec.Kind, g.Name),
			"use scale, traffic or choice, or set privacy: standard")
	}
	if p, ok := r.String(m["prompt"], path+".prompt"); ok {
		if err := checkPrompt(p); err != nil {
			r.Fail(m["prompt"], path+".prompt", err.Error(), "keep the question to one line of at most 200 characters")
		} else {
			spec.Prompt = p
		}
	}
	if spec.Prompt == "" {
		spec.Prompt = defaultPrompt(spec.Kind, between)
	}
	if d, ok := r.OneOf(m["delivery"], path+".delivery", []string{bot.DeliverChannel, bot.DeliverDM}); ok {
		spec.Delivery = d
	}
	if cs, ok := r.Strings(m["choices"], path+".choices", `["calm", "tired", "anxious"]`, 40); ok {
		spec.Choices = cs
	}
	switch {
	case spec.Kind == bot.CheckInChoice && len(spec.Choices) < 2:
		r.Fail(n, path+".choices", "a choice check-in needs at least two choices", `write choices: ["calm", "tired", "anxious"]`)
	case spec.Kind == bot.CheckInChoice && len(spec.Choices) > maxChoices:
		r.Fail(m["choices"], path+".choices", fmt.Sprintf("%d choices are too many for buttons", len(spec.Choices)), fmt.Sprintf("keep at most %d", maxChoices))
	case spec.Kind != bot.CheckInChoice && len(spec.Choices) > 0:
		r.Fail(m["choices"], path+".choices", "only a choice check-in has choices", "set kind: choice, or remove choices:")
	}
	lo, hi := time.Minute, maxStartWindow
	if between {
		hi = maxLongWindow
	}
	if d, ok := r.Duration(m["window"], path+".window", lo, hi); ok {
		spec.Window = d
	}
	if !between {
		return spec
	}
	if b, ok := r.Bool(m["nudge"], path+".nudge"); ok {
		spec.Nudge = b
	}
	c, ok := r.String(m["cron"], path+".cron")
	if !ok {
		if m["cron"].IsNull() {
			r.Fail(n, path+".cron", "a between-session check-in needs its own schedule", `write cron: "0 12 * * FRI" (Fridays at noon, in the group's zone)`)
		}
		return spec
	}
	spec.Cron = c
	loc, err := g.Location()
	if err != nil {
		// The group's zone is reported where it is written.
		return spec
	}
	if err := schedule.CheckCron(c, loc); err != nil {
		r.Fail(m["cron"], path+".cron", err.Error(), `write a five-field cron expression such as "0 12 * * FRI"`)
	}
	return spec
}

func checkPrompt(p string) error {
	switch {
	case strings.TrimSpace(p) == "":
		return errors.New("the question is empty")
	case len([]rune(p)) > 200:
		return fmt.Errorf("the question is %d characters long", len([]rune(p)))
	case strings.ContainsAny(p, "\n\r"):
		return errors.New("the question has more than one line")
	}
	return nil
}

func defaultPrompt(k bot.CheckInKind, between bool) string {
	switch k {
	case bot.CheckInScale:
		if between {
			return "How has your week been, from 1 (very hard) to 5 (very good)?"
		}
		return "How are you arriving today, from 1 (very hard) to 5 (very good)?"
	case bot.CheckInChoice:
		return "Which word fits you best right now?"
	case bot.CheckInWord:
		return "One word for how you are right now?"
	case bot.CheckInText:
		return "How are you doing? A line or two is plenty."
	}
	if between {
		return "How has your week been?"
	}
	return "How are you arriving today?"
}

// describeSettings says what a group's check-ins are, in one line.
func describeSettings(s bot.CheckInSettings) string {
	var parts []string
	if s.AtStart != nil {
		parts = append(parts, fmt.Sprintf("%s check-in at each session's start by %s", s.AtStart.Kind, s.AtStart.Delivery))
	}
	if s.Between != nil {
		nudge := ""
		if s.Between.Nudge {
			nudge = ", with a nudge"
		}
		parts = append(parts, fmt.Sprintf("%s check-in on %q by %s%s", s.Between.Kind, s.Between.Cron, s.Between.Delivery, nudge))
	}
	if len(parts) == 0 {
		parts = append(parts, "no check-ins")
	}
	if s.ShareTally {
		parts = append(parts, "anonymous tally shared")
	}
	parts = append(parts, "alerts escalate after "+shortDuration(s.EscalateAfter))
	return strings.Join(parts, "; ")
}

// ApplySection implements bot.SectionApplier: the global sections set the
// lexicon and the around-the-clock statement; a group's checkins: and
// retention_days: are stored as its settings (the file wins), and a
// between-session check-in's next time is scheduled.
func (f *Feature) ApplySection(ctx context.Context, key string, g bot.Group, n *bot.Node) error {
	var r bot.NodeReader
	switch key {
	case SectionCrisisPhrases:
		ps := readPhrases(&r, n, key)
		if len(r.Problems) > 0 {
			return r.Problems[0]
		}
		lex, err := safety.New(ps)
		if err != nil {
			return err
		}
		f.lexicon.Store(lex)
		// Applied once at every start: the daily retention job of today
		// must be waiting (enqueueing it again changes nothing).
		if _, err := f.r.Enqueue(ctx, retentionJob(f.clock.Now())); err != nil {
			return fmt.Errorf("schedule the retention job: %w", err)
		}
		return nil
	case SectionAroundTheClock:
		b, _ := r.Bool(n, key)
		if len(r.Problems) > 0 {
			return r.Problems[0]
		}
		f.watched.Store(b)
		// What other features tell members (norms' privacy note) follows
		// the same statement.
		f.b.SetAroundTheClock(b)
		return nil
	case SectionCheckIns:
		s := readCheckIns(&r, g, n, key)
		if len(r.Problems) > 0 {
			return r.Problems[0]
		}
		old, err := f.settings(ctx, g.ID)
		if err != nil {
			return err
		}
		s.GroupID, s.RetentionDays = g.ID, old.RetentionDays
		if n.IsNull() && old.Source != bot.SourceConfig {
			// A group without checkins: in the file keeps what chat set.
			return nil
		}
		return f.save(ctx, "system:config", g, s)
	case SectionRetention:
		days := DefaultRetentionDays
		if d, ok := r.Int(n, key, 1, 3650); ok {
			days = d
		}
		if len(r.Problems) > 0 {
			return r.Problems[0]
		}
		old, err := f.settings(ctx, g.ID)
		if err != nil {
			return err
		}
		if n.IsNull() && old.Source != bot.SourceConfig {
			// Not declared: what chat set stays.
			return nil
		}
		if old.RetentionDays == days {
			return nil
		}
		old.RetentionDays = days
		return f.save(ctx, "system:config", g, old)
	}
	return nil
}

// save stores a group's settings and schedules the next between-session
// check-in of the schedule saved, in the same transaction.
func (f *Feature) save(ctx context.Context, by bot.Principal, g bot.Group, s bot.CheckInSettings) error {
	now := f.clock.Now()
	_, _, err := f.st.SaveCheckInSettings(ctx, by, s, func(saved bot.CheckInSettings) []bot.Job {
		j, ok := f.nextBetween(g, saved, now)
		if !ok {
			return nil
		}
		return []bot.Job{j}
	})
	if err != nil {
		return err
	}
	f.r.Notify()
	return nil
}

// AroundTheClock reports whether the operator said alerts are watched
// around the clock (safety.around_the_clock).
func (f *Feature) AroundTheClock() bool { return f.watched.Load() }

func shortDuration(d time.Duration) string {
	s := d.String() // "10m0s", "1h0m0s", "1h30m0s", "45s"
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
