package main

import (
	"errors"
	"log/slog"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
)

// newDiscord returns the Discord platform for cfg.Discord.
func newDiscord(cfg *config.Config, log *slog.Logger) (bot.Platform, error) {
	return nil, errors.New("discord support is not built into this version yet: remove the discord: section, or use the console")
}
