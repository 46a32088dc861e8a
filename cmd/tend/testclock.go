//go:build tendtestclock

package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tend-bot/tend/bot"
)

// testClock reads TEND_TEST_CLOCK, "<speed> <epoch> <base>" (speed a
// number, epoch and base RFC 3339 times): a clock that reads base at the
// real instant epoch and runs speed times faster than real time, so that
// the end-to-end tests live through sessions of the real binary in
// seconds. Two processes given the same value agree on the time (a
// restart continues it). Only binaries built with -tags tendtestclock have
// this; a release binary never reads the variable.
func testClock(lookup func(string) (string, bool)) (bot.Clock, error) {
	v, ok := lookup("TEND_TEST_CLOCK")
	if !ok || v == "" {
		return nil, nil
	}
	f := strings.Fields(v)
	if len(f) != 3 {
		return nil, fmt.Errorf("TEND_TEST_CLOCK %q: want \"<speed> <epoch> <base>\"", v)
	}
	speed, err := strconv.ParseFloat(f[0], 64)
	if err != nil || speed <= 0 {
		return nil, fmt.Errorf("TEND_TEST_CLOCK: speed %q is not a positive number", f[0])
	}
	epoch, err := time.Parse(time.RFC3339Nano, f[1])
	if err != nil {
		return nil, fmt.Errorf("TEND_TEST_CLOCK: epoch: %w", err)
	}
	base, err := time.Parse(time.RFC3339Nano, f[2])
	if err != nil {
		return nil, fmt.Errorf("TEND_TEST_CLOCK: base: %w", err)
	}
	return scaledClock{epoch: epoch, base: base, speed: speed}, nil
}

// scaledClock is base + (real time since epoch) × speed.
type scaledClock struct {
	epoch, base time.Time
	speed       float64
}

// Now is base plus the real time since epoch, times speed.
func (c scaledClock) Now() time.Time {
	return c.base.Add(time.Duration(float64(time.Since(c.epoch)) * c.speed)).UTC()
}

// real is how long d of this clock's time lasts in real time.
func (c scaledClock) real(d time.Duration) time.Duration { return time.Duration(float64(d) / c.speed) }

// NewTimer fires after d of this clock's time.
func (c scaledClock) NewTimer(d time.Duration) bot.Timer {
	return scaledTimer{t: time.NewTimer(c.real(d)), c: c}
}

// scaledTimer is a real timer whose durations are in the clock's time.
type scaledTimer struct {
	t *time.Timer
	c scaledClock
}

func (t scaledTimer) C() <-chan time.Time        { return t.t.C }
func (t scaledTimer) Stop() bool                 { return t.t.Stop() }
func (t scaledTimer) Reset(d time.Duration) bool { return t.t.Reset(t.c.real(d)) }
