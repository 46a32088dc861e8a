package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/tend-bot/tend/bot"
	"github.com/tend-bot/tend/config"
)

// writeWarnings prints what the config accepts but the operator should
// look at, one per line under the OK line of tend check.
func writeWarnings(w io.Writer, cfg *config.Config) {
	if len(cfg.Warnings) == 0 {
		return
	}
	fmt.Fprintf(w, "  %s to look at:\n", bot.Plural(len(cfg.Warnings), "warning", "warnings"))
	for _, e := range cfg.Warnings {
		fmt.Fprintf(w, "  - %s\n", e)
	}
}

// logWarnings logs the config's warnings at start, one record each.
func logWarnings(log *slog.Logger, cfg *config.Config) {
	for _, e := range cfg.Warnings {
		log.Warn("config: "+e.Problem, "at", fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column), "field", e.Field, "fix", e.Fix)
	}
}
