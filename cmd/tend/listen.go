package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/calendar"
	"github.com/tend-bot/tend/ops"
	"github.com/tend-bot/tend/store"
)

// listeners opens the configured HTTP listeners before tend serves, so
// that an address in use stops tend at start with the setting to change,
// and returns what serves each until the stop. The operator's endpoint
// (http.listen) and the calendar feeds (calendar.listen) are off unless
// configured; they never share a listener, since calendar services reach
// the feeds from outside while the operator's endpoint stays on loopback.
func (m *Main) listeners(log *slog.Logger, db *store.DB, platforms []bot.Platform, metrics *ops.Metrics, feats []builtFeature) ([]func(context.Context) error, error) {
	cfg := m.Config
	var out []func(context.Context) error
	if cfg.HTTP != nil {
		ln, err := listen(cfg.HTTP.Listen, "http.listen")
		if err != nil {
			return nil, err
		}
		m.closers = append(m.closers, func() error { ln.Close(); return nil })
		metrics.WatchPlatforms(platforms)
		h := ops.Handler(ops.Config{Platforms: platforms, DB: db, Metrics: metrics, Logger: log})
		log.Info("serving the operator's endpoint", "addr", ln.Addr().String(), "paths", "/healthz /readyz /metrics")
		out = append(out, func(ctx context.Context) error { return ops.Serve(ctx, ln, h, log) })
	}
	if cfg.Calendar != nil {
		var cal *calendar.Feature
		for _, f := range feats {
			if c, ok := f.Feature.(*calendar.Feature); ok {
				cal = c
			}
		}
		if cal == nil {
			return nil, fmt.Errorf("calendar: the feature is not built into this tend")
		}
		ln, err := listen(cfg.Calendar.Listen, "calendar.listen")
		if err != nil {
			return nil, err
		}
		m.closers = append(m.closers, func() error { ln.Close(); return nil })
		h := cal.Handler()
		log.Info("serving calendar feeds", "addr", ln.Addr().String(), "base_url", cfg.Calendar.BaseURL)
		out = append(out, func(ctx context.Context) error { return ops.Serve(ctx, ln, h, log) })
	}
	return out, nil
}

// listen opens addr for the setting that names it.
func listen(addr, setting string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot listen on %s: %w; free that address, or set %s to another one", setting, addr, err, setting)
	}
	return ln, nil
}
