package store_test

import (
	"testing"

	"github.com/tend-bot/tend/bot"
)

// handle registers a plain job kind or fails the test.
func handle(t testing.TB, r *bot.Runner, name string, run bot.JobHandler) {
	t.Helper()
	if err := r.Register(bot.JobKind{Name: name, Run: run}); err != nil {
		t.Fatal(err)
	}
}

// handleEarly registers a job kind that may start early or fails the test.
func handleEarly(t testing.TB, r *bot.Runner, name string, run bot.JobHandler) {
	t.Helper()
	if err := r.Register(bot.JobKind{Name: name, Run: run, Early: true}); err != nil {
		t.Fatal(err)
	}
}
