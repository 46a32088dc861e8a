//go:build !tendtestclock

package main

import "github.com/tend-bot/tend/bot"

// testClock is nil in a release binary: only binaries built with -tags
// tendtestclock (the end-to-end tests) can run faster than real time.
func testClock(func(string) (string, bool)) (bot.Clock, error) { return nil, nil }
