package main

import (
	"errors"
	"log/slog"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
)

// newSlack returns the Slack platform for cfg.Slack.
func newSlack(cfg *config.Config, log *slog.Logger) (bot.Platform, error) {
	return nil, errors.New("slack support is not built into this version yet: remove the slack: section, or use the console")
}
