package slack

import (
	"context"
	"fmt"
	"io"
	"log"
	"sync"

	"github.com/tend-bot/tend/bot"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// runSocket serves Socket Mode until ctx is done. slack-go's client
// reconnects by itself after a disconnect envelope, a dropped socket or
// missing pings; Deliver does not depend on the socket, so nothing queued
// is lost meanwhile.
func (a *Adapter) runSocket(ctx context.Context, h bot.Handler) error {
	smc := socketmode.New(a.api,
		socketmode.OptionPingInterval(a.cfg.PingInterval),
		socketmode.OptionLog(log.New(io.Discard, "", 0)))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer a.setConn(false, "stopped")
	var wg sync.WaitGroup
	defer wg.Wait()
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- smc.RunContext(ctx) })

	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack: socket mode: %w", err)
		case evt := <-smc.Events:
			a.socketEvent(ctx, h, smc, evt, &wg)
		}
	}
}

func (a *Adapter) socketEvent(ctx context.Context, h bot.Handler, smc *socketmode.Client, evt socketmode.Event, wg *sync.WaitGroup) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.setConn(false, "socket mode connecting")
		a.log.Debug("socket mode connecting")
	case socketmode.EventTypeConnected:
		a.setConn(true, "")
		a.log.Info("socket mode connected")
	case socketmode.EventTypeDisconnect:
		a.setConn(false, "socket mode disconnected by Slack")
	case socketmode.EventTypeHello:
		a.log.Debug("socket mode hello")
	case socketmode.EventTypeConnectionError:
		a.setConn(false, "socket mode connection failing")
		if ce, ok := evt.Data.(*slackgo.ConnectionErrorEvent); ok {
			a.log.Warn("socket mode connection failed; retrying", "attempt", ce.Attempt, "in", ce.Backoff, bot.KeyErr, ce.ErrorObj)
		} else {
			a.log.Warn("socket mode connection failed; retrying")
		}
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
		// The data may hold the frame, which may hold a message body: log
		// the kind only.
		a.log.Warn("socket mode frame error", "kind", string(evt.Type))
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		env := *evt.Request
		ack := func(payload any) {
			if err := smc.AckCtx(ctx, env.EnvelopeID, payload); err != nil {
				a.log.Error("acknowledging an envelope failed", bot.KeyErr, err)
			}
		}
		r, ok := a.socketRequest(evt)
		if !ok {
			ack(nil)
			return
		}
		wg.Go(func() { a.dispatch(ctx, h, r, ack) })
	}
}

// socketRequest converts an envelope's data; ok is false for what the bot
// ignores, which is still acknowledged.
func (a *Adapter) socketRequest(evt socketmode.Event) (request, bool) {
	switch d := evt.Data.(type) {
	case slackgo.SlashCommand:
		return a.commandRequest(d), true
	case slackgo.InteractionCallback:
		return a.interactionRequest(d)
	case slackevents.EventsAPIEvent:
		var id string
		if cb, ok := d.Data.(*slackevents.EventsAPICallbackEvent); ok {
			id = cb.EventID
		}
		if !a.seen.add(id) {
			return request{}, false
		}
		return a.eventRequest(d)
	}
	return request{}, false
}
