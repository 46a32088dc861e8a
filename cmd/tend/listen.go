package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/ops"
	"github.com/tend-bot/tend/store"
)

// listeners opens the configured HTTP listeners before tend serves, so
// that an address in use stops tend at start with the setting to change,
// and returns what serves each until the stop. The operator's endpoint
// (http.listen) is off unless configured.
func (m *Main) listeners(log *slog.Logger, db *store.DB, platforms []bot.Platform, metrics *ops.Metrics) ([]func(context.Context) error, error) {
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
