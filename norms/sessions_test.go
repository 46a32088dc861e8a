package norms

import (
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/bot/bottest"
)

// The synctest clock starts at 2000-01-01 00:00 UTC, a Saturday. Sessions
// are on Tuesdays at 18:00 London (GMT then) from 4 January.
const weekly = `session schedule weekly:"tue 18:00" duration:90m starts:2000-01-04 count:3 lead:1h`

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func sleepUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
	synctest.Wait()
}

// normsPosts returns the norms posts shown in the group's channel.
func (e *env) normsPosts() []bottest.Delivery {
	var out []bottest.Delivery
	for _, d := range e.rec.PostsIn(e.group.Address.Channel) {
		if strings.HasPrefix(d.Out.Key, "norms/") {
			out = append(out, d)
		}
	}
	return out
}

// TestSessions_ContractSession: the first session of a closed group always
// posts the norms (the contract session), with what the group's privacy
// is; later sessions do not unless the group asks; a restart repeats
// nothing.
func TestSessions_ContractSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.Group{Name: "course", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "course"}, Admission: bot.AdmissionClosed, Kind: bot.KindPsychoeducation})
		wantIn(t, "use", e.cmd(fac, "norms use psychoeducation"), "Saved version 1")
		wantIn(t, "schedule", e.cmd(fac, weekly), "Schedule saved")
		sleepUntil(at(t, "2000-01-04 17:59"))
		if n := len(e.normsPosts()); n != 0 {
			t.Fatalf("%d norms posts before the first session", n)
		}
		sleepUntil(at(t, "2000-01-04 18:01"))
		posts := e.normsPosts()
		if len(posts) != 1 {
			t.Fatalf("%d norms posts at the first session; want 1", len(posts))
		}
		wantIn(t, "contract", render(posts[0].Out.Message), "Our agreements: course", "Welcome to the first session", "1. What others share stays in the group",
			"Privacy in this group", "[I agree]")
		if !posts[0].Delivered.At.Equal(at(t, "2000-01-04 18:00")) {
			t.Errorf("posted at %v; want the session's start", posts[0].Delivered.At)
		}
		// A member agrees from the channel's post.
		e.rec.AddMember("course", e.user("ann"))
		wantIn(t, "agree in channel", e.press("ann", posts[0].Delivered.Ref, "I agree"), "you agreed to version 1")
		e.restart()
		sleepUntil(at(t, "2000-01-11 19:00"))
		if n := len(e.normsPosts()); n != 1 {
			t.Fatalf("%d norms posts after session 2 and a restart; want only the contract session's", n)
		}
	})
}

// TestSessions_EachSession: repost each_session posts the norms at every
// session's start, exactly once each; norms post posts and pins them, and
// unpins the copy pinned before.
func TestSessions_EachSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, bot.Group{Name: "tuesday", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "tuesday"}})
		wantIn(t, "post without norms", e.cmd(fac, "norms post"), "has no norms yet", "/tend norms use support")
		wantIn(t, "use", e.cmd(fac, "norms use support"), "Saved version 1")
		wantIn(t, "post", e.cmd(fac, "norms post repost:each_session"), "Posting version 1 of the norms in #tuesday and pinning it", "at the start of each session")
		first := e.normsPosts()
		if len(first) != 1 || !e.rec.Pinned(first[0].Delivered.Ref) {
			t.Fatalf("norms posts %d, pinned %v; want one, pinned", len(first), len(first) == 1 && e.rec.Pinned(first[0].Delivered.Ref))
		}
		wantIn(t, "posted", render(first[0].Out.Message), "These are the agreements group tuesday works by", "Privacy in this group")
		wantIn(t, "edit", e.cmd(fac, `norms edit items:"One; Two"`), "Saved version 2")
		e.cmd(fac, "norms post")
		posts := e.normsPosts()
		if len(posts) != 2 || !e.rec.Pinned(posts[1].Delivered.Ref) || e.rec.Pinned(posts[0].Delivered.Ref) {
			t.Fatalf("after posting version 2: %d posts; want the new one pinned and the old one unpinned", len(posts))
		}
		wantIn(t, "version 2 posted", render(posts[1].Out.Message), "Norms of tuesday (version 2)", "1. One\n2. Two")
		if got, _ := e.db.NormsSettings(t.Context(), e.group.ID); got.Pinned != posts[1].Delivered.Ref {
			t.Fatalf("pinned recorded %+v; want %+v", got.Pinned, posts[1].Delivered.Ref)
		}

		wantIn(t, "schedule", e.cmd(fac, weekly), "Schedule saved")
		sleepUntil(at(t, "2000-01-04 18:01"))
		e.restart()
		sleepUntil(at(t, "2000-01-11 18:01"))
		var sessionPosts []string
		for _, p := range e.normsPosts() {
			if strings.HasPrefix(p.Out.Key, "norms/session/") {
				sessionPosts = append(sessionPosts, p.Out.Key)
				wantIn(t, "session post", render(p.Out.Message), "starts now. A reminder of the agreements we work by", "1. One")
			}
		}
		if len(sessionPosts) != 2 || sessionPosts[0] == sessionPosts[1] {
			t.Fatalf("session posts %q; want one for each of sessions 1 and 2", sessionPosts)
		}
		// The session log names the norms' job in a facilitator's words.
		wantIn(t, "session log", e.cmd(fac, "session log 1"), "norms at the start: done")
		ss, err := e.db.RecentSessions(t.Context(), e.group.ID, at(t, "2001-01-01 00:00"), 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if s.Number == 1 && sessionPosts[0] != "norms/session/"+strconv.FormatInt(s.ID, 10) {
				t.Errorf("session 1's post key %q; want its session id", sessionPosts[0])
			}
		}
	})
}

// TestSessions_ContractIsFirstHeld: the contract session is the first
// session a closed group holds, whatever its number: with a series that
// began long before tend ran it, the first that starts now; with session 1
// cancelled, session 2. Later sessions post nothing.
func TestSessions_ContractIsFirstHeld(t *testing.T) {
	contracts := func(e *env) []string {
		var out []string
		for _, p := range e.normsPosts() {
			if strings.Contains(p.Out.Message.Title, "Our agreements") {
				out = append(out, p.Delivered.At.UTC().Format("2006-01-02 15:04"))
			}
		}
		return out
	}
	newCourse := func(t *testing.T) *env {
		e := newEnv(t, bot.Group{Name: "course", Address: bot.Address{Platform: bot.PlatformConsole, Channel: "course"}, Admission: bot.AdmissionClosed, Kind: bot.KindPsychoeducation})
		wantIn(t, "use", e.cmd(fac, "norms use psychoeducation"), "Saved version 1")
		return e
	}
	t.Run("StartsLongPast", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newCourse(t)
			// Weekly since 5 October 1999: session 14 is the first on 4
			// January 2000, the first tend sees start.
			wantIn(t, "schedule", e.cmd(fac, `session schedule weekly:"tue 18:00" duration:90m starts:1999-10-05 count:20 lead:1h`), "Schedule saved")
			sleepUntil(at(t, "2000-01-11 19:00"))
			if got := contracts(e); len(got) != 1 || got[0] != "2000-01-04 18:00" {
				t.Fatalf("contract posts at %q; want one, at the first session held (2000-01-04 18:00)", got)
			}
			if n := len(e.normsPosts()); n != 1 {
				t.Fatalf("%d norms posts; the next session posts nothing", n)
			}
		})
	})
	t.Run("FirstCancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newCourse(t)
			wantIn(t, "schedule", e.cmd(fac, weekly), "Schedule saved")
			wantIn(t, "cancel", e.cmd(fac, "session cancel 1"), "ancelled")
			sleepUntil(at(t, "2000-01-18 19:00"))
			if got := contracts(e); len(got) != 1 || got[0] != "2000-01-11 18:00" {
				t.Fatalf("contract posts at %q; want one, at session 2 (2000-01-11 18:00)", got)
			}
		})
	})
}
