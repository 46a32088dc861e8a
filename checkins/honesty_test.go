package checkins_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/synctest"

	"go.yaml.in/yaml/v3"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
)

// exampleResources returns safety.resources as config.example.yaml sets
// it, folded as YAML folds it.
func exampleResources(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Safety struct {
			Resources string `yaml:"resources"`
		} `yaml:"safety"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Safety.Resources == "" {
		t.Fatal("config.example.yaml sets no safety.resources")
	}
	return doc.Safety.Resources
}

// TestSafety_RepliesSayWhatHappened: with the example file's resources,
// tend never tells a member something false. The example's resources
// claim nothing about who was told or who watches; a harmless DM's answer
// and the answer when nothing could be passed on carry them and claim no
// telling; the careful reply says who was told only when they were, that
// tend is still trying while it is, and that nobody knows when nobody
// could be reached.
func TestSafety_RepliesSayWhatHappened(t *testing.T) {
	res := exampleResources(t)
	if claim := config.ResourcesClaim(res); claim != "" {
		t.Fatalf("config.example.yaml's safety.resources claims %q: it is shown also when nobody was told", claim)
	}
	// claimsTelling reports whether a reply says someone was told.
	claimsTelling := func(s string) bool {
		for _, c := range []string{"I've let", "passing this on", "been told", "informed", "notified"} {
			if strings.Contains(s, c) {
				return true
			}
		}
		return false
	}
	start := func(t *testing.T) *env {
		e := newEnv(t, bot.PrivacyStandard)
		e.resources = res
		e.restart()
		return e
	}

	t.Run("HarmlessDM", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := start(t)
			r := replyText(e.dm("ann", "thanks, see you on tuesday"))
			if !strings.Contains(r, res) || claimsTelling(r) || len(e.alerts()) != 0 {
				t.Errorf("reply to a harmless DM:\n%s", r)
			}
		})
	})
	t.Run("NotRecorded", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := start(t)
			fail := func() error { return errors.New("disk full") }
			e.st.recordSignal.Store(&fail)
			r := replyText(e.dm("ann", "i want to die"))
			if !has(r, "could not pass this on", "nobody knows yet", res) || claimsTelling(r) {
				t.Errorf("reply when the signal could not be recorded:\n%s", r)
			}
		})
	})
	t.Run("Told", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := start(t)
			r := replyText(e.dm("ann", "i want to die"))
			if !has(r, "I've let your facilitators in tuesday know privately", "They will see what you wrote", res, "not watched around the clock") {
				t.Errorf("careful reply:\n%s", r)
			}
			if len(e.alerts()) != 1 {
				t.Errorf("the reply says they were told, but %d alerts were posted", len(e.alerts()))
			}
		})
	})
	t.Run("NotDeliveredYet", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := start(t)
			e.setHook(func(o bot.Outbound) error {
				if o.Kind == bot.OutPost && o.To.Channel == facsChannel {
					return errors.New("503 from the platform")
				}
				return nil
			})
			r := replyText(e.dm("ann", "i want to die"))
			if !has(r, "I'm passing this on to your facilitators in tuesday privately; it hasn't reached them yet", res) || strings.Contains(r, "I've let") {
				t.Errorf("reply while the alert is not delivered:\n%s", r)
			}
		})
	})
	t.Run("OwnersInstead", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := start(t)
			noFacilitators(t, e)
			r := replyText(e.dm("ann", "i want to die"))
			if !has(r, "I've let the people who run this bot know privately", "couldn't reach the facilitators of tuesday directly", res) ||
				strings.Contains(r, "your facilitators in") {
				t.Errorf("reply when only the owners could be told:\n%s", r)
			}
			if len(e.dmsTo("owner")) != 1 {
				t.Errorf("the owner got %d DMs; want the alert", len(e.dmsTo("owner")))
			}
		})
	})
	t.Run("Nobody", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := start(t)
			e.owners = nil
			e.restart()
			noFacilitators(t, e)
			r := replyText(e.dm("ann", "i want to die"))
			if !has(r, "could not pass this on", "nobody knows yet", res) || claimsTelling(r) {
				t.Errorf("reply when nobody could be reached:\n%s", r)
			}
		})
	})
	t.Run("Minimal", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, bot.PrivacyMinimal)
			r := replyText(e.dm("bob", "i want to die"))
			if !has(r, "not your words") || strings.Contains(r, "They will see what you wrote") {
				t.Errorf("careful reply in a minimal group:\n%s", r)
			}
		})
	})
}

// noFacilitators leaves the group with no facilitators' channel and no
// facilitator tend can message.
func noFacilitators(t *testing.T, e *env) {
	t.Helper()
	g := e.group
	g.FacilitatorsChannel = ""
	if _, _, err := e.db.UpdateGroup(t.Context(), "console:owner", g); err != nil {
		t.Fatal(err)
	}
	for _, p := range g.Facilitators {
		if err := e.db.RemoveFacilitator(t.Context(), "console:owner", g.ID, p); err != nil {
			t.Fatal(err)
		}
	}
}
