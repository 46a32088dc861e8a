package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/tend-bot/tend/bot"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Request paths in http mode; the app manifest points Slack at them.
const (
	PathCommands    = "/slack/commands"
	PathInteractive = "/slack/interactive"
	PathEvents      = "/slack/events"
)

// runHTTP serves Slack's signed requests until ctx is done.
func (a *Adapter) runHTTP(ctx context.Context, h bot.Handler) error {
	ln := a.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", a.cfg.Listen); err != nil {
			return fmt.Errorf("slack: listen on %s: %w", a.cfg.Listen, err)
		}
	}
	addr := ln.Addr()
	a.addr.Store(&addr)

	var wg sync.WaitGroup
	defer wg.Wait()
	mux := http.NewServeMux()
	mux.HandleFunc(PathCommands, func(w http.ResponseWriter, r *http.Request) { a.serveCommand(ctx, h, &wg, w, r) })
	mux.HandleFunc(PathInteractive, func(w http.ResponseWriter, r *http.Request) { a.serveInteractive(ctx, h, &wg, w, r) })
	mux.HandleFunc(PathEvents, func(w http.ResponseWriter, r *http.Request) { a.serveEvents(ctx, h, &wg, w, r) })
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	serveErr := make(chan error, 1)
	wg.Go(func() { serveErr <- srv.Serve(ln) })
	a.setConn(true, "")
	defer a.setConn(false, "not listening")
	a.log.Info("listening for Slack's requests", "addr", addr.String())
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			a.log.Warn("closing the HTTP server", bot.KeyErr, err)
		}
		return nil
	case err := <-serveErr:
		return fmt.Errorf("slack: serve http: %w", err)
	}
}

// verify checks a request's method, size and Slack signature and returns
// its body. On failure it has answered (405, 401 or 413) and the request
// must go no further.
func (a *Adapter) verify(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	if r.Header.Get("X-Slack-Signature") == "" || r.Header.Get("X-Slack-Request-Timestamp") == "" {
		a.log.Warn("refused an unsigned request", "path", r.URL.Path, "remote", r.RemoteAddr)
		http.Error(w, "unsigned request", http.StatusUnauthorized)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.log.Warn("refused an oversized request", "path", r.URL.Path, "limit", a.cfg.MaxBodyBytes)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return nil, false
	}
	// NewSecretsVerifier refuses timestamps more than five minutes off,
	// which stops replays of old requests.
	sv, err := slackgo.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
	if err == nil {
		_, _ = sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		a.log.Warn("refused a request whose signature did not verify", "path", r.URL.Path, "remote", r.RemoteAddr, "why", err.Error())
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// serveRequest dispatches r in a goroutine owned by wg and writes the
// acknowledgement as the HTTP response.
func (a *Adapter) serveRequest(ctx context.Context, h bot.Handler, wg *sync.WaitGroup, w http.ResponseWriter, r request) {
	acked := make(chan any, 1)
	wg.Go(func() {
		a.dispatch(ctx, h, r, func(p any) { acked <- p })
	})
	var payload any
	select {
	case payload = <-acked:
	case <-ctx.Done():
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if payload == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(payload); err != nil {
		a.log.Warn("writing a response failed", bot.KeyErr, err)
	}
}

func (a *Adapter) serveCommand(ctx context.Context, h bot.Handler, wg *sync.WaitGroup, w http.ResponseWriter, r *http.Request) {
	body, ok := a.verify(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	a.serveRequest(ctx, h, wg, w, a.commandRequest(slashCommand(form)))
}

func (a *Adapter) serveInteractive(ctx context.Context, h bot.Handler, wg *sync.WaitGroup, w http.ResponseWriter, r *http.Request) {
	body, ok := a.verify(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	var cb slackgo.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	req, ok := a.interactionRequest(cb)
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	a.serveRequest(ctx, h, wg, w, req)
}

func (a *Adapter) serveEvents(ctx context.Context, h bot.Handler, wg *sync.WaitGroup, w http.ResponseWriter, r *http.Request) {
	body, ok := a.verify(w, r)
	if !ok {
		return
	}
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
		EventID   string `json:"event_id"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	if outer.Type == slackevents.URLVerification {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, outer.Challenge)
		return
	}
	if !a.seen.add(outer.EventID) {
		w.WriteHeader(http.StatusOK) // a redelivery of an event already handled
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event kind slack-go does not know: acknowledge so that Slack
		// does not redeliver it.
		w.WriteHeader(http.StatusOK)
		return
	}
	req, ok := a.eventRequest(ev)
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	a.serveRequest(ctx, h, wg, w, req)
}

// postJSON posts body to u; a non-2xx answer is a slackgo.StatusCodeError
// so that call retries 5xx.
func postJSON(ctx context.Context, c *http.Client, u string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return slackgo.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	return nil
}
