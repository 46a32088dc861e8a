package attendance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tend-bot/tend/bot"
)

// HereKey is the outbox key of a session's "I'm here" post.
func HereKey(sessionID int64) string { return "attendance.here/" + strconv.FormatInt(sessionID, 10) }

// voiceChannel is the voice channel a session of g counts presence in: the
// group's attendance setting, else the series' voice channel.
func voiceChannel(g bot.Group, s bot.Session, set Settings) (bot.Address, bool) {
	ch := set.VoiceChannel
	if ch == "" {
		ch = s.VoiceChannel
	}
	if ch == "" {
		return bot.Address{}, false
	}
	return bot.Address{Platform: g.Address.Platform, Channel: ch}, true
}

// started watches the session's voice channel, counting from the start
// everyone already in it, and posts the "I'm here" button. Running again
// (after a crash) changes nothing: the watch is stored once and the post
// has an outbox key.
func (f *Feature) started(ctx context.Context, g bot.Group, s bot.Session, set Settings) ([]bot.Outbound, error) {
	now := f.clock.Now()
	if !now.Before(s.End) {
		// The start reached attendance after the end (retries, a stop):
		// nothing to gather now; the end still closes it.
		return nil, nil
	}
	if ch, ok := voiceChannel(g, s, set); ok {
		present, err := f.b.InVoice(ctx, ch)
		switch {
		case errors.Is(err, bot.ErrNoVoice):
			present = nil // joins still count from here on
		case err != nil:
			return nil, fmt.Errorf("who is in the voice channel: %w", err)
		}
		tracked, err := f.b.Tracked(ctx, g)
		if err != nil {
			return nil, err
		}
		present = slices.DeleteFunc(present, func(u bot.UserID) bool { return !tracked(u) })
		if _, err := f.st.WatchVoice(ctx, s.ID, ch, s.End, present, s.Start); err != nil {
			return nil, err
		}
		f.minutesTooLong(ctx, g, s, set)
	}
	if !set.Button {
		return nil, nil
	}
	m := bot.Message{
		Title: fmt.Sprintf("Session %d has started", s.Number),
		Text: fmt.Sprintf("Here for it? Press **I'm here** so the facilitators know you came. It counts until the session ends, %s.",
			bot.Time(s.End, bot.TimeClock)),
		Buttons: []bot.Button{{Label: "I'm here", Style: bot.ButtonSuccess,
			Action: bot.Action{Name: ActionHere, Group: g.ID, Ref: strconv.FormatInt(s.ID, 10)}}},
	}
	return []bot.Outbound{bot.Post(HereKey(s.ID), g.Address, m)}, nil
}

// MinutesKey is the key of the note that tells the facilitators a
// session is shorter than min_minutes: once per group, minimum and length.
func MinutesKey(groupID int64, minMinutes int, length time.Duration) string {
	return fmt.Sprintf("attendance.minutes/%d/%d/%d", groupID, minMinutes, int(length.Minutes()))
}

// minutesTooLong tells the facilitators, once for each minimum and session
// length, when min_minutes is longer than session s: nobody can then count
// as present by voice. A failure to tell is logged; the session goes on.
func (f *Feature) minutesTooLong(ctx context.Context, g bot.Group, s bot.Session, set Settings) {
	length := s.End.Sub(s.Start)
	if time.Duration(set.MinMinutes)*time.Minute <= length {
		return
	}
	f.log.Warn("attendance min_minutes is longer than the session", bot.KeyGroup, g.Name, bot.KeySession, s.ID,
		"min_minutes", set.MinMinutes, "session_minutes", int(length.Minutes()))
	msg := bot.Message{
		Title: "Attendance by voice cannot count anyone — " + g.Name,
		Text: fmt.Sprintf("Attendance counts someone present by voice after %d minutes in the voice channel, but session %d lasts %d minutes, "+
			"so nobody can reach it by voice: they can still press \"I'm here\", answer a check-in, or be marked. "+
			"Lower attendance.min_minutes in the config file (or with /tend attendance settings) to %d or less.",
			set.MinMinutes, s.Number, int(length.Minutes()), int(length.Minutes())),
	}
	if _, err := f.b.TellFacilitators(ctx, g, MinutesKey(g.ID, set.MinMinutes, length), msg); err != nil {
		f.log.Warn("telling the facilitators about min_minutes failed", bot.KeyGroup, g.Name, bot.KeyErr, err)
	}
}

// onVoice records people entering and leaving a voice channel that a
// running session watches. It is quick: one small transaction.
func (f *Feature) onVoice(ctx context.Context, ev bot.Event) ([]bot.Outbound, error) {
	var joined bool
	switch ev.(type) {
	case *bot.VoiceJoined:
		joined = true
	case *bot.VoiceLeft:
	default:
		return nil, nil
	}
	m := ev.Meta()
	if m.User.ID == "" || m.Channel == "" {
		return nil, nil
	}
	// The time tend heard of it, on the clock that times the sessions.
	now := f.clock.Now()
	groups, err := f.st.VoiceWatchGroups(ctx, m.Address(), now)
	if err != nil || len(groups) == 0 {
		return nil, err // no session watches the channel: nothing to record
	}
	// Only the groups where tend may track them: where they asked tend to
	// forget them, not a row about them (the other groups sharing the
	// channel still count them).
	keep := groups[:0]
	for _, id := range groups {
		g, err := f.st.GroupByID(ctx, id)
		if err != nil {
			return nil, err
		}
		tracked, err := f.b.Tracked(ctx, g)
		if err != nil {
			return nil, err
		}
		if tracked(m.User.ID) {
			keep = append(keep, id)
		}
	}
	if len(keep) == 0 {
		return nil, nil
	}
	n, err := f.st.VoiceEvent(ctx, m.Address(), m.User.ID, joined, now, keep...)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		f.log.Debug("voice presence recorded", bot.KeyPlatform, m.Platform, bot.KeyChannel, string(m.Channel), "joined", joined, "sessions", n)
	}
	return nil, nil
}

// onPresence records a presence another feature saw (a check-in answer)
// when it falls in the session's window.
func (f *Feature) onPresence(ctx context.Context, ev *bot.Presence) ([]bot.Outbound, error) {
	if ev.Source != SourceCheckin && ev.Source != SourceButton {
		return nil, nil
	}
	s, err := f.st.Session(ctx, ev.SessionID)
	if errors.Is(err, bot.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if s.GroupID != ev.Group.ID || s.Status == bot.SessionCancelled || ev.At.Before(s.Start) || ev.At.After(s.End) {
		f.log.Debug("presence outside the session's window; not counted", bot.KeyGroup, ev.Group.Name, bot.KeySession, s.ID, "source", ev.Source)
		return nil, nil
	}
	set, err := f.settings(ctx, ev.Group)
	if err != nil || !set.Enabled {
		return nil, err
	}
	_, err = f.present(ctx, ev.Group, s, set, ev.User, ev.Source, ev.At)
	return nil, err
}

// present records user's presence at s by source at at and, when s was
// closed meanwhile, applies it to their mark. It reports whether it was
// the first presence by that source.
func (f *Feature) present(ctx context.Context, g bot.Group, s bot.Session, set Settings, user bot.UserID, source string, at time.Time) (bool, error) {
	tracked, err := f.b.Tracked(ctx, g)
	if err != nil || !tracked(user) {
		return false, err // they asked tend to forget them: not a row about them
	}
	first, err := f.st.RecordPresence(ctx, s.ID, user, source, at)
	if err != nil {
		return false, err
	}
	id, counted, err := f.counted(ctx, g, user)
	if err != nil || !counted {
		return first, err
	}
	m := bot.AttendanceMark{SessionID: s.ID, GroupID: g.ID, Attendee: bot.Attendee{User: user, MemberID: id}, Status: arrival(s, set, at), Source: source, At: at}
	if _, err := f.st.LatePresence(ctx, m); err != nil {
		return first, err
	}
	return first, nil
}

// pressHere is the "I'm here" button.
func (f *Feature) pressHere(ctx context.Context, req *bot.Request) ([]bot.Outbound, error) {
	id, err := strconv.ParseInt(req.Action.Ref, 10, 64)
	if err != nil || req.Group == nil {
		return nil, bot.Errorf("This button is not valid. Tell a facilitator you are here: they can mark you with /tend attendance mark.")
	}
	g := *req.Group
	s, err := f.st.Session(ctx, id)
	if errors.Is(err, bot.ErrNotFound) || (err == nil && s.GroupID != g.ID) {
		return nil, bot.Errorf("This session no longer exists. /tend next shows the next one.")
	} else if err != nil {
		return nil, err
	}
	switch {
	case s.Status == bot.SessionCancelled:
		return nil, bot.Errorf("Session %d was cancelled, so there is no attendance to record. /tend next shows the next one.", s.Number)
	case req.Now.Before(s.Start):
		return nil, bot.Errorf("Session %d has not started yet (it starts %s). Press the button once it has.", s.Number, bot.Time(s.Start, bot.TimeFull))
	case req.Now.After(s.End):
		return nil, bot.Errorf("Session %d has ended, so this button no longer records attendance. If you were there, tell a facilitator: they can mark you with /tend attendance mark.", s.Number)
	}
	set, err := f.settings(ctx, g)
	if err != nil {
		return nil, err
	}
	if !set.Enabled {
		return nil, bot.Errorf("%s does not record attendance any more, so there is nothing to press. Thanks for coming!", g.Name)
	}
	tracked, err := f.b.Tracked(ctx, g)
	if err != nil {
		return nil, err
	}
	if !tracked(req.Actor.ID) {
		return nil, bot.Errorf("You asked tend to forget you, so it does not record your attendance, and nothing was recorded now. "+
			"To be counted again, run %s.", optInCommand)
	}
	first, err := f.present(ctx, g, s, set, req.Actor.ID, SourceButton, req.Now)
	if err != nil {
		return nil, err
	}
	if !first {
		return []bot.Outbound{bot.Reply(fmt.Sprintf("You're already down as here for session %d. Thanks!", s.Number))}, nil
	}
	return []bot.Outbound{bot.Reply(fmt.Sprintf("Thanks — you're down as here for session %d (arrived %s).", s.Number, bot.Time(req.Now, bot.TimeClock)))}, nil
}
