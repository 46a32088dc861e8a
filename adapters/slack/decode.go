package slack

import (
	"encoding/json"
	"fmt"
	"net/url"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// decodeFrame reads one Socket Mode frame as slack-go's socketmode client
// does (socketmode's parseEvent: the envelope, then its payload by type)
// and converts it with socketRequest, as socketEvent does. ok is false for
// a frame that carries no request (hello, disconnect, what the bot
// ignores). It is the Socket Mode inbound path from the wire to a core
// event, with nothing recovered, so that FuzzDecodeFrame sees any panic on
// it.
func (a *Adapter) decodeFrame(frame []byte) (r request, ok bool, err error) {
	var env socketmode.Request
	if err := json.Unmarshal(frame, &env); err != nil {
		return request{}, false, fmt.Errorf("slack: read frame: %w", err)
	}
	evt := socketmode.Event{Request: &env}
	switch env.Type {
	case socketmode.RequestTypeEventsAPI:
		e, err := slackevents.ParseEvent(env.Payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			return request{}, false, fmt.Errorf("slack: read events_api payload: %w", err)
		}
		evt.Type, evt.Data = socketmode.EventTypeEventsAPI, e
	case socketmode.RequestTypeSlashCommands:
		var c slackgo.SlashCommand
		if err := json.Unmarshal(env.Payload, &c); err != nil {
			return request{}, false, fmt.Errorf("slack: read slash_commands payload: %w", err)
		}
		evt.Type, evt.Data = socketmode.EventTypeSlashCommand, c
	case socketmode.RequestTypeInteractive:
		var cb slackgo.InteractionCallback
		if err := json.Unmarshal(env.Payload, &cb); err != nil {
			return request{}, false, fmt.Errorf("slack: read interactive payload: %w", err)
		}
		evt.Type, evt.Data = socketmode.EventTypeInteractive, cb
	default:
		return request{}, false, nil
	}
	r, ok = a.socketRequest(evt)
	return r, ok, nil
}

// decodeHTTP reads the body of a signed request to one of the HTTP
// endpoints (PathCommands, PathInteractive, PathEvents) as serveCommand,
// serveInteractive and serveEvents do once its signature is verified, and
// converts it. ok is false for a body that carries no request (a URL
// verification, an event the bot ignores).
func (a *Adapter) decodeHTTP(path string, body []byte) (r request, ok bool, err error) {
	switch path {
	case PathCommands:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return request{}, false, fmt.Errorf("slack: read command form: %w", err)
		}
		return a.commandRequest(slashCommand(form)), true, nil
	case PathInteractive:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return request{}, false, fmt.Errorf("slack: read interaction form: %w", err)
		}
		var cb slackgo.InteractionCallback
		if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
			return request{}, false, fmt.Errorf("slack: read interaction payload: %w", err)
		}
		r, ok = a.interactionRequest(cb)
		return r, ok, nil
	case PathEvents:
		var outer struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(body, &outer); err != nil {
			return request{}, false, fmt.Errorf("slack: read event: %w", err)
		}
		if outer.Type == slackevents.URLVerification {
			return request{}, false, nil
		}
		e, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
		if err != nil {
			return request{}, false, fmt.Errorf("slack: read event: %w", err)
		}
		r, ok = a.eventRequest(e)
		return r, ok, nil
	}
	return request{}, false, fmt.Errorf("slack: no endpoint %s", path)
}

// slashCommand reads a slash command's form fields.
func slashCommand(form url.Values) slackgo.SlashCommand {
	return slackgo.SlashCommand{
		TeamID: form.Get("team_id"), ChannelID: form.Get("channel_id"), ChannelName: form.Get("channel_name"),
		UserID: form.Get("user_id"), UserName: form.Get("user_name"), Command: form.Get("command"),
		Text: form.Get("text"), ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"),
		APIAppID: form.Get("api_app_id"),
	}
}
