package ops

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/store"
)

// StatsReader reads the counts that /metrics shows at each scrape;
// *store.DB implements it.
type StatsReader interface {
	OpsStats(ctx context.Context, now time.Time) (store.OpsStats, error)
}

// Metrics is tend's bot.Observer for Prometheus: counters and histograms
// of what the core, the adapters and the features report, and, at each
// scrape, the store's job and outbox counts and each platform's
// connection. It has its own registry (never Prometheus's global one), so
// that two in one process (tests) do not collide. Labels are platform,
// feature, kind, outcome and state only: never a name, an id or content.
type Metrics struct {
	reg *prometheus.Registry

	deliveries   *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	retries      *prometheus.CounterVec
	interactions *prometheus.HistogramVec
	lateness     prometheus.Histogram
	alerts       prometheus.Histogram
	jobs         *prometheus.CounterVec
	scrape       *scrapeCollector
}

var _ bot.Observer = (*Metrics)(nil)

// MetricsConfig configures NewMetrics.
type MetricsConfig struct {
	// Stats is read at each scrape; nil shows no store counts.
	Stats  StatsReader
	Clock  bot.Clock
	Logger *slog.Logger
	// Version is shown as tend_build_info{version=…}.
	Version string
}

// Histogram buckets, in seconds.
var (
	// Discord and Slack want an answer within 3 s: the buckets are finest
	// below it.
	interactionBuckets = []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3, 5, 10}
	// A reminder is on time within tens of milliseconds; a platform
	// outage makes it minutes late.
	latenessBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900}
	// A safety alert should reach facilitators within seconds.
	alertBuckets = []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300}
)

// NewMetrics returns the metrics, registered with their own registry
// together with the Go runtime's and the process's collectors.
func NewMetrics(cfg MetricsConfig) (*Metrics, error) {
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tend_deliveries_total",
			Help: "Deliveries through the sender (posts, DMs, edits, pins, roles, invitations) by platform, kind, feature and outcome: sent, duplicate (already delivered; nothing sent), recovered (an earlier attempt found on the platform), failed (refused for good), error (retried).",
		}, []string{"platform", "kind", "feature", "outcome"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tend_rate_limited_total",
			Help: "429 Too Many Requests answers from each platform.",
		}, []string{"platform"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tend_retries_total",
			Help: "Platform calls retried after a 5xx answer or a network error.",
		}, []string{"platform"}),
		interactions: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tend_interaction_answer_seconds",
			Help:    "Time from a command, button or form arriving to its first answer (or the deferral standing in for it); the platforms allow 3 s.",
			Buckets: interactionBuckets,
		}, []string{"platform"}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tend_reminder_lateness_seconds",
			Help:    "How long after its due time each reminder was handed to its platform.",
			Buckets: latenessBuckets,
		}),
		alerts: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tend_safety_alert_seconds",
			Help:    "Time from a member's answer or message raising a safety alert to the alert's delivery to the facilitators; its count is the alerts sent.",
			Buckets: alertBuckets,
		}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tend_jobs_finished_total",
			Help: "Runs of durable jobs by kind and how they ended: done, missed, skipped, failed (given up), pending (to be retried).",
		}, []string{"kind", "state"}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "tend_build_info",
		Help:        "The running tend's version; always 1.",
		ConstLabels: prometheus.Labels{"version": cfg.Version},
	})
	info.Set(1)
	m.scrape = &scrapeCollector{stats: cfg.Stats, clock: cfg.Clock, log: cfg.Logger}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.deliveries, m.rateLimited, m.retries, m.interactions, m.lateness, m.alerts, m.jobs, info,
		m.scrape,
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("ops: register metrics: %w", err)
		}
	}
	return m, nil
}

// WatchPlatforms makes each scrape ask these platforms whether they are
// connected (tend_platform_connected). The platforms are built with the
// metrics as their observer, so they are handed over afterwards: call it
// before the metrics are served.
func (m *Metrics) WatchPlatforms(ps []bot.Platform) { m.scrape.platforms = ps }

// Registry returns the registry the metrics are served from.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Delivered implements bot.Observer.
func (m *Metrics) Delivered(platform, kind, feature string, outcome bot.Outcome) {
	m.deliveries.WithLabelValues(platform, kind, feature, string(outcome)).Inc()
}

// RateLimited implements bot.Observer.
func (m *Metrics) RateLimited(platform string) { m.rateLimited.WithLabelValues(platform).Inc() }

// Retried implements bot.Observer.
func (m *Metrics) Retried(platform string) { m.retries.WithLabelValues(platform).Inc() }

// InteractionAnswered implements bot.Observer.
func (m *Metrics) InteractionAnswered(platform string, d time.Duration) {
	m.interactions.WithLabelValues(platform).Observe(d.Seconds())
}

// ReminderLateness implements bot.Observer.
func (m *Metrics) ReminderLateness(d time.Duration) { m.lateness.Observe(max(d, 0).Seconds()) }

// AlertDelivered implements bot.Observer.
func (m *Metrics) AlertDelivered(d time.Duration) { m.alerts.Observe(max(d, 0).Seconds()) }

// JobFinished implements bot.Observer.
func (m *Metrics) JobFinished(kind string, state bot.JobState) {
	m.jobs.WithLabelValues(kind, string(state)).Inc()
}

// scrapeTimeout bounds the store's counts at one scrape: Prometheus's
// default scrape timeout is 10 s.
const scrapeTimeout = 5 * time.Second

// scrapeCollector reads the store's counts and the platforms' connections
// when Prometheus scrapes.
type scrapeCollector struct {
	stats     StatsReader
	platforms []bot.Platform
	clock     bot.Clock
	log       *slog.Logger
}

var (
	descDue = prometheus.NewDesc("tend_jobs_due",
		"Pending jobs whose due time has come (the backlog), by kind.", []string{"kind"}, nil)
	descLag = prometheus.NewDesc("tend_job_lag_seconds",
		"How long the oldest due pending job has waited past its due time; 0 when none is waiting.", nil, nil)
	descPending = prometheus.NewDesc("tend_jobs_pending",
		"Pending jobs, due or not.", nil, nil)
	descRunning = prometheus.NewDesc("tend_jobs_running",
		"Jobs claimed by the runner and not finished.", nil, nil)
	descOutbox = prometheus.NewDesc("tend_outbox_entries",
		"Keyed deliveries not sent, by state: sending (an attempt whose outcome is not recorded yet), failed (refused for good).", []string{"state"}, nil)
	descDBUp = prometheus.NewDesc("tend_database_up",
		"1 when the database answered this scrape's counts, else 0.", nil, nil)
	descConnected = prometheus.NewDesc("tend_platform_connected",
		"1 while the platform is connected, else 0.", []string{"platform"}, nil)
)

// Describe implements prometheus.Collector.
func (c *scrapeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDue, descLag, descPending, descRunning, descOutbox, descDBUp, descConnected} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Prometheus gives it no context;
// its own bounded one keeps a slow database from holding a scrape.
func (c *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.platforms {
		v := 1.0
		if h, ok := p.(bot.Health); ok {
			if up, _ := h.Connected(); !up {
				v = 0
			}
		}
		ch <- gauge(descConnected, v, p.Name())
	}
	if c.stats == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	now := c.clock.Now()
	st, err := c.stats.OpsStats(ctx, now)
	if err != nil {
		c.log.Warn("reading the job and outbox counts for /metrics failed", bot.KeyErr, err)
		ch <- gauge(descDBUp, 0)
		return
	}
	ch <- gauge(descDBUp, 1)
	for kind, n := range st.Due {
		ch <- gauge(descDue, float64(n), kind)
	}
	lag := 0.0
	if !st.OldestDue.IsZero() {
		lag = max(now.Sub(st.OldestDue), 0).Seconds()
	}
	ch <- gauge(descLag, lag)
	ch <- gauge(descPending, float64(st.Pending))
	ch <- gauge(descRunning, float64(st.Running))
	for _, state := range []bot.OutboxState{bot.OutboxSending, bot.OutboxFailed} {
		ch <- gauge(descOutbox, float64(st.Outbox[state]), string(state))
	}
}

// gauge is one gauge sample; a sample that cannot be made (labels that do
// not fit desc: a bug) is reported to Prometheus as invalid, failing the
// scrape visibly instead of ending the process.
func gauge(desc *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(desc, err)
	}
	return m
}
