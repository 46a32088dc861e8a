package calendar

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/schedule"
)

// The feed's window: from Past ago to Ahead from now.
const (
	Past  = 30 * 24 * time.Hour
	Ahead = 365 * 24 * time.Hour
)

// MaxConcurrentFeeds bounds how many feeds Handler builds at once.
const MaxConcurrentFeeds = 4

// maxEvents bounds one feed: a session every hour for a year and a month
// is far more than any group meets, and keeps a pathological cron from
// making a feed of megabytes.
const maxEvents = 10000

// entry is one event of a feed: a session as stored, or an occurrence of
// the series that is not stored yet.
type entry struct {
	uid     string
	number  int
	start   time.Time
	end     time.Time
	topic   string
	link    string
	status  bot.SessionStatus
	moves   int       // how often it was moved
	planned time.Time // where the series put it
}

// entries returns the group's sessions in [now-Past, now+Ahead), one per
// session (a moved session under its original's UID), earliest first.
func (f *Feature) entries(ctx context.Context, g bot.Group, now time.Time) ([]entry, error) {
	from, to := now.Add(-Past), now.Add(Ahead)
	recs, err := f.st.SessionRecords(ctx, g.ID, from, to)
	if err != nil {
		return nil, err
	}
	// Stored sessions, grouped by the instant their series planned them:
	// a session and the ones it was moved to are one event.
	byUID := map[string]*entry{}
	var order []string
	for _, r := range recs {
		uid := f.uid(g, r.PlannedAt)
		e, seen := byUID[uid]
		if !seen {
			e = &entry{uid: uid}
			byUID[uid] = e
			order = append(order, uid)
		}
		if r.MovedFrom != 0 {
			e.moves++
		}
		// The live row wins: one that is not cancelled, else the latest.
		if !seen || e.status == bot.SessionCancelled || r.Status != bot.SessionCancelled {
			e.number, e.start, e.end, e.topic, e.link, e.status, e.planned = r.Number, r.Start, r.End, r.Topic, r.Link, r.Status, r.PlannedAt
		}
	}
	// The series' later occurrences, from the same engine the reminders
	// use, after the last session stored of the current schedule.
	ser, err := f.st.Series(ctx, g.ID)
	switch {
	case errors.Is(err, bot.ErrNotFound):
	case err != nil:
		return nil, err
	case ser.Paused:
		// No sessions until the series resumes: the ones stored ahead
		// are not held as planned either.
		for _, uid := range order {
			if e := byUID[uid]; e.status == bot.SessionScheduled && e.start.After(now) {
				delete(byUID, uid)
			}
		}
	default:
		if err := f.planned(ctx, g, ser, now, to, byUID, &order); err != nil {
			return nil, err
		}
	}
	out := make([]entry, 0, len(byUID))
	for _, uid := range order {
		if e, ok := byUID[uid]; ok && e.start.Before(to) && !e.end.Before(from) {
			out = append(out, *e)
		}
	}
	slices.SortStableFunc(out, func(a, b entry) int { return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.uid, b.uid)) })
	if len(out) > maxEvents {
		out = out[:maxEvents]
	}
	return out, nil
}

// planned adds the series' occurrences after the last stored one, up to to.
func (f *Feature) planned(ctx context.Context, g bot.Group, ser bot.Series, now, to time.Time, byUID map[string]*entry, order *[]string) error {
	loc, err := g.Location()
	if err != nil {
		return err
	}
	plan, err := schedule.ParsePlan(ser.Schedule, loc)
	if err != nil {
		return fmt.Errorf("stored schedule of group %s no longer parses: %w", g.Name, err)
	}
	last, planned, have, err := f.st.LastPlannedSession(ctx, g.ID)
	if err != nil {
		return err
	}
	var (
		o  schedule.Occurrence
		ok bool
	)
	if have {
		o, ok = plan.After(schedule.Occurrence{Number: last.Number, Start: planned})
	} else {
		// As the reminders start a new series: with its first session
		// that has not ended.
		o, ok = plan.Next(now.Add(-plan.Duration()))
	}
	for n := 0; ok && o.Start.Before(to) && n < maxEvents; n++ {
		uid := f.uid(g, o.Start)
		if e, seen := byUID[uid]; !seen || e.status == bot.SessionCancelled {
			if !seen {
				*order = append(*order, uid)
			}
			byUID[uid] = &entry{uid: uid, number: o.Number, start: o.Start, end: o.End, topic: plan.Topic(o.Number),
				link: ser.Schedule.Link, status: bot.SessionScheduled, planned: o.Start}
		}
		o, ok = plan.After(o)
	}
	return nil
}

// uid names a session for calendar clients: the group and the instant its
// series planned it, which a move does not change.
func (f *Feature) uid(g bot.Group, planned time.Time) string {
	return "session-" + strconv.FormatInt(g.ID, 10) + "-" + strconv.FormatInt(planned.Unix(), 10) + "@" + f.host
}

// Feed renders the group's feed at now.
func (f *Feature) Feed(ctx context.Context, groupID int64, now time.Time) (*ics.Calendar, error) {
	g, err := f.st.GroupByID(ctx, groupID)
	if err != nil {
		return nil, err
	}
	es, err := f.entries(ctx, g, now)
	if err != nil {
		return nil, err
	}
	cal := ics.NewCalendarFor("tend")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName(g.Name)
	cal.SetXWRCalName(g.Name)
	cal.SetXWRCalDesc("Sessions of " + g.Name + ", as tend schedules them.")
	// Calendar services fetch it again about this often.
	cal.SetRefreshInterval("PT1H")
	cal.SetXPublishedTTL("PT1H")
	stamp := now.UTC().Truncate(time.Second)
	for _, e := range es {
		ev := cal.AddEvent(e.uid)
		ev.SetDtStampTime(stamp)
		ev.SetStartAt(e.start.UTC())
		ev.SetEndAt(e.end.UTC())
		title := g.Name + ": session " + strconv.Itoa(e.number)
		topic, bring, _ := strings.Cut(e.topic, "|")
		topic, bring = strings.TrimSpace(bot.StripPlaceholderRunes(topic)), strings.TrimSpace(bot.StripPlaceholderRunes(bring))
		var desc []string
		if topic != "" {
			title += " — " + topic
			desc = append(desc, "Session "+strconv.Itoa(e.number)+": "+topic)
		}
		if bring != "" {
			desc = append(desc, "Bring: "+bring)
		}
		seq := e.moves
		switch {
		case e.status == bot.SessionCancelled:
			ev.SetStatus(ics.ObjectStatusCancelled)
			title = "Cancelled: " + title
			desc = append(desc, "This session is cancelled.")
			seq++
		default:
			ev.SetStatus(ics.ObjectStatusConfirmed)
		}
		if e.moves > 0 && !e.start.Equal(e.planned) {
			desc = append(desc, "Moved from "+e.planned.UTC().Format("2006-01-02 15:04 UTC")+".")
		}
		ev.SetSequence(seq)
		ev.SetSummary(title)
		if e.link != "" && g.Privacy != bot.PrivacyMinimal {
			ev.SetLocation(e.link)
			ev.SetURL(e.link)
			desc = append(desc, "Join: "+e.link)
		}
		if len(desc) > 0 {
			ev.SetDescription(strings.Join(desc, "\n"))
		}
	}
	return cal, nil
}

// Handler serves the feeds: GET FeedPath + token + ".ics". An unknown or
// malformed token is 404 Not Found, the same answer as a path that
// serves nothing, so that the answers tell nothing about which tokens
// exist. Nothing it logs holds a token.
//
// At most MaxConcurrentFeeds feeds are built at once; a request beyond them
// is answered 503 with Retry-After at once: the listener faces the
// internet, and the database that builds feeds is the one the reminders
// need.
func (f *Feature) Handler() http.Handler {
	busy := make(chan struct{}, MaxConcurrentFeeds)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+FeedPath+"{file}", func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
		tok, valid := parseToken(name)
		if !ok || !valid {
			http.NotFound(w, r)
			return
		}
		select {
		case busy <- struct{}{}:
			defer func() { <-busy }()
		default:
			w.Header().Set("Retry-After", "30")
			http.Error(w, "tend is busy; try again shortly", http.StatusServiceUnavailable)
			return
		}
		gid, err := f.st.CalendarLinkGroup(r.Context(), hashToken(tok))
		if errors.Is(err, bot.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			f.log.Error("looking up a calendar link failed", bot.KeyErr, err)
			http.Error(w, "tend could not read its database; try again later", http.StatusServiceUnavailable)
			return
		}
		cal, err := f.Feed(r.Context(), gid, f.clock.Now())
		if err != nil {
			f.log.Error("building a calendar feed failed", "group_id", gid, bot.KeyErr, err)
			http.Error(w, "tend could not build this calendar; try again later", http.StatusServiceUnavailable)
			return
		}
		body := cal.Serialize()
		h := w.Header()
		h.Set("Content-Type", "text/calendar; charset=utf-8")
		h.Set("Content-Disposition", `inline; filename="sessions.ics"`)
		h.Set("Cache-Control", "private, max-age=300")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(body))
		}
	})
	mux.HandleFunc("/", http.NotFound)
	return mux
}
