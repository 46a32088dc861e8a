package main

import (
	"log/slog"

	"github.com/tend-bot/tend/adapters/slack"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
)

// newSlack returns the Slack platform for cfg.Slack: Socket Mode with the
// app-level token, or signed HTTP requests on cfg.Slack.Listen.
func newSlack(cfg *config.Config, log *slog.Logger, clock bot.Clock, obs bot.Observer) (bot.Platform, error) {
	s := cfg.Slack
	return slack.New(slack.Config{
		Mode:          s.Mode,
		BotToken:      s.BotToken.Reveal(),
		AppToken:      s.AppToken.Reveal(),
		SigningSecret: s.SigningSecret.Reveal(),
		Listen:        s.Listen,
		APIURL:        s.APIURL,
		Clock:         clock,
		Logger:        log,
		Observer:      obs,
	})
}
