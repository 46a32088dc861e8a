package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tend-bot/tend/bot"
)

// Pinger is what readiness asks of the database; *store.DB implements it.
type Pinger interface {
	// Ping returns nil when the database answers a query.
	Ping(ctx context.Context) error
}

// Config configures the operator's endpoint.
type Config struct {
	// Platforms are the configured platforms: /readyz is 200 only while
	// every one is connected (those without bot.Health count as
	// connected).
	Platforms []bot.Platform
	// DB must answer a query within PingTimeout for /readyz to be 200.
	DB Pinger
	// Metrics is served at /metrics; nil serves no /metrics.
	Metrics *Metrics
	// PingTimeout bounds the database check of one /readyz (default 2 s).
	PingTimeout time.Duration
	Logger      *slog.Logger
}

// Handler returns the operator's endpoint:
//
//   - /healthz: 200 while the process is alive and serving HTTP;
//   - /readyz: 200 only while every configured platform is connected and
//     the database answers, else 503; the body says which is not, one line
//     each, in the same order every time;
//   - /metrics: the Prometheus metrics.
//
// Every answer is plain text with counts and states only: no names, no
// content. Only GET and HEAD are served.
func Handler(cfg Config) http.Handler {
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		lines, ready := readiness(r.Context(), cfg)
		code := http.StatusOK
		if !ready {
			code = http.StatusServiceUnavailable
		}
		plain(w, code, strings.Join(lines, "\n")+"\n")
	})
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Metrics.Registry(), promhttp.HandlerOpts{
			ErrorLog:          slogErrorLog{cfg.Logger},
			ErrorHandling:     promhttp.ContinueOnError,
			EnableOpenMetrics: true,
		}))
	}
	return mux
}

// readiness checks each platform and the database, and returns one line
// for each and whether all are ready.
func readiness(ctx context.Context, cfg Config) ([]string, bool) {
	ready := true
	var lines []string
	for _, p := range cfg.Platforms {
		ok, why := true, ""
		if h, has := p.(bot.Health); has {
			ok, why = h.Connected()
		}
		if ok {
			lines = append(lines, p.Name()+": connected")
			continue
		}
		ready = false
		if why == "" {
			why = "not connected"
		}
		lines = append(lines, p.Name()+": NOT READY: "+why)
	}
	if cfg.DB == nil {
		return append(lines, "database: NOT READY: not open"), false
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.PingTimeout)
	defer cancel()
	if err := cfg.DB.Ping(pctx); err != nil {
		why := "does not answer"
		if errors.Is(err, context.DeadlineExceeded) {
			why = fmt.Sprintf("did not answer within %s", cfg.PingTimeout)
		}
		cfg.Logger.Warn("the readiness check's database query failed", bot.KeyErr, err)
		return append(lines, "database: NOT READY: "+why), false
	}
	return append(lines, "database: answers"), ready
}

func plain(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// slogErrorLog hands promhttp's errors to the logger.
type slogErrorLog struct{ log *slog.Logger }

// Println implements promhttp.Logger.
func (l slogErrorLog) Println(v ...any) {
	l.log.Warn("serving /metrics", bot.KeyErr, strings.TrimSpace(fmt.Sprintln(v...)))
}

// Serve serves h on ln until ctx is done, then shuts the server down within
// a few seconds. Its timeouts keep a slow or idle client from holding a
// connection; it returns nil after a shutdown asked for by ctx.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("shut down %s: %w", ln.Addr(), err)
	}
	return nil
}
