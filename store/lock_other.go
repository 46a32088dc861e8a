//go:build !unix

package store

import (
	"errors"
	"os"
)

// errFileLocked is never returned here: this platform has no flock, and the
// holder row alone decides (see lock.go).
var errFileLocked = errors.New("locked by another process")

// lockFile takes no OS lock on this platform.
func lockFile(string) (*os.File, error) { return nil, nil }

func unlockFile(*os.File) {}

// processAlive cannot tell here; a holder ages out by its heartbeat only.
func processAlive(int) bool { return true }
