package main

import (
	"errors"
	"io"
	"time"

	"github.com/tend-bot/tend/config"
)

// preview prints the next sessions and reminders of each group.
func preview(w io.Writer, cfg *config.Config, from time.Time, count int) error {
	return errors.New("this build of tend cannot preview sessions yet; run tend check without --from and --count")
}
