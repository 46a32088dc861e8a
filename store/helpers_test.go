package store_test

import (
	"context"
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

// handleEarly registers an early job kind or fails the test.
func handleEarly(t testing.TB, r *bot.Runner, name string, prepare bot.PrepareHandler) {
	t.Helper()
	if err := r.Register(bot.JobKind{Name: name, Prepare: prepare}); err != nil {
		t.Fatal(err)
	}
}

// steps is a bot.Prepared made of functions; nil ones do nothing.
type steps struct {
	fire    func(ctx context.Context) error
	finish  func(ctx context.Context) (bot.JobResult, error)
	abandon func(ctx context.Context)
}

func (s steps) Fire(ctx context.Context) error {
	if s.fire == nil {
		return nil
	}
	return s.fire(ctx)
}

func (s steps) Finish(ctx context.Context) (bot.JobResult, error) {
	if s.finish == nil {
		return bot.JobResult{}, nil
	}
	return s.finish(ctx)
}

func (s steps) Abandon(ctx context.Context) {
	if s.abandon != nil {
		s.abandon(ctx)
	}
}
