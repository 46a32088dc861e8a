package main

import (
	"log/slog"

	"github.com/tend-bot/tend/adapters/discord"
	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
)

// newDiscord returns the Discord platform for cfg.Discord.
func newDiscord(cfg *config.Config, log *slog.Logger, clock bot.Clock, obs bot.Observer) (bot.Platform, error) {
	d := cfg.Discord
	return discord.New(discord.Config{
		Token:         d.Token.Reveal(),
		ApplicationID: d.ApplicationID,
		GuildIDs:      d.GuildIDs,
		APIURL:        d.APIURL,
		Clock:         clock,
		Logger:        log,
		Observer:      obs,
	})
}
