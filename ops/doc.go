// Package ops serves tend's operator endpoint (http.listen in the config):
// /healthz, /readyz and /metrics in the Prometheus format. It is the only
// package that imports Prometheus: the core, the adapters and the features
// report through the neutral bot.Observer, which Metrics implements, and
// the store's job and outbox counts are read at scrape time (counts only).
// Readiness asks each platform through the optional bot.Health capability
// and pings the database.
//
// Nothing it serves names a person, a group or a channel, or holds what
// anyone wrote: labels are platform, feature, kind, outcome and state.
package ops
