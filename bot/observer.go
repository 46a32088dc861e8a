package bot

import (
	"strings"
	"time"
)

// Observer is told what tend does, for the operator's metrics: deliveries
// and their outcomes, the platforms' rate limits and retries, how quickly
// interactions are answered, how late reminders go out and how quickly
// safety alerts reach facilitators. The core (Sender), the adapters and the
// features call it; cmd/tend wires ops.Metrics, which turns the calls into
// Prometheus series, and everything else gets NopObserver.
//
// Observers receive counts, durations and a few bounded words (platform
// names, feature names, kinds, outcomes), never a key, an id, a name or any
// content, so that no metric can tell who did what. Every method must be
// quick and safe for concurrent use; it must not block.
type Observer interface {
	// Delivered is one delivery attempt through the Sender: platform
	// ("discord"), kind ("post", "dm", "edit" …), feature (FeatureOfKey of
	// its outbox key; "" for unkeyed kinds) and outcome (one of the
	// Outcome constants).
	Delivered(platform, kind, feature string, outcome Outcome)
	// RateLimited is one 429 answer from platform.
	RateLimited(platform string)
	// Retried is one call to platform retried after a 5xx answer or a
	// network error.
	Retried(platform string)
	// InteractionAnswered is one command, button or form answered on
	// platform (the first response, or the deferral that stands in for it),
	// d after it arrived.
	InteractionAnswered(platform string, d time.Duration)
	// ReminderLateness is how long after its due time a reminder was
	// handed to its platform (0 when on time or early).
	ReminderLateness(d time.Duration)
	// JobFinished is one run of a durable job of kind ("reminders.reminder")
	// that ended in state: done, missed, skipped or failed for good, or
	// pending again to be retried.
	JobFinished(kind string, state JobState)
	// AlertDelivered is one safety alert to facilitators delivered, d after
	// the member's answer or message that raised it arrived.
	AlertDelivered(d time.Duration)
}

// Outcome is how one delivery ended, as Observer.Delivered reports it.
type Outcome string

// Delivery outcomes.
const (
	// OutcomeSent: the platform took it now.
	OutcomeSent Outcome = "sent"
	// OutcomeDuplicate: its key had been delivered before; nothing was sent.
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeRecovered: an earlier attempt's delivery was found on the
	// platform and recorded; nothing was sent.
	OutcomeRecovered Outcome = "recovered"
	// OutcomeFailed: refused for good (unreachable or rejected); not retried.
	OutcomeFailed Outcome = "failed"
	// OutcomeError: failed this time (an outage, a timeout); the job that
	// made it retries.
	OutcomeError Outcome = "error"
)

// NopObserver is an Observer that does nothing: the default everywhere.
type NopObserver struct{}

// Delivered does nothing.
func (NopObserver) Delivered(string, string, string, Outcome) {}

// RateLimited does nothing.
func (NopObserver) RateLimited(string) {}

// Retried does nothing.
func (NopObserver) Retried(string) {}

// InteractionAnswered does nothing.
func (NopObserver) InteractionAnswered(string, time.Duration) {}

// ReminderLateness does nothing.
func (NopObserver) ReminderLateness(time.Duration) {}

// JobFinished does nothing.
func (NopObserver) JobFinished(string, JobState) {}

// AlertDelivered does nothing.
func (NopObserver) AlertDelivered(time.Duration) {}

var _ Observer = NopObserver{}

// ObserverOr returns o, or NopObserver when o is nil.
func ObserverOr(o Observer) Observer {
	if o == nil {
		return NopObserver{}
	}
	return o
}

// keyFeatures names the feature of outbox keys whose first segment is not
// the feature's own name (keys made before kinds were namespaced).
var keyFeatures = map[string]string{
	"reminder": "reminders",
	"dm":       "reminders", // a reminder by DM: dm/reminder/…
	"now":      "reminders",
	"move":     "reminders",
	"cancel":   "reminders",
	"replaced": "reminders",
	// The Sender's own notices to owners.
	"unreachable": "core",
	"rejected":    "core",
}

// FeatureOfKey names the feature that made a delivery from its outbox key,
// for metrics: the key's first segment ("norms/ask/…" is norms,
// "checkins.alert/…" is checkins), with the older reminder keys mapped to
// reminders. Only a segment of letters, '-' and '_' is used, so that no id
// or name in a key can become a metric label: anything else is "other",
// and an empty key is "".
func FeatureOfKey(key string) string {
	if key == "" {
		return ""
	}
	seg, _, _ := strings.Cut(key, "/")
	seg, _, _ = strings.Cut(seg, ".")
	if f, ok := keyFeatures[seg]; ok {
		return f
	}
	if seg == "" || len(seg) > 20 {
		return "other"
	}
	for _, c := range seg {
		if !(c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return "other"
		}
	}
	return seg
}

// Health is an optional Platform capability: whether the platform is
// connected now, for the operator's readiness check (/readyz). A platform
// without it counts as connected.
type Health interface {
	// Connected reports whether the platform can take events and deliver
	// now, and when it cannot, why in a few words ("gateway disconnected
	// since 12:03:04"). It must be quick and must not call the platform.
	Connected() (ok bool, why string)
}
