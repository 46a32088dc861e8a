//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errFileLocked means another open file description holds the OS lock.
var errFileLocked = errors.New("locked by another process")

// lockFile creates (0600) and flocks path exclusively without waiting. The
// lock lives as long as the returned file stays open: the kernel drops it
// when the process ends, however it ends. flock, unlike fcntl locks,
// belongs to the open file, so a second OpenLocked in the same process is
// refused too.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, errFileLocked
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("flock %s: %w", path, err)
	}
	return f, nil
}

// unlockFile releases the lock by closing the file. The file itself stays:
// removing it would let a process that opened the old one and one that
// creates a new one both hold "the" lock.
func unlockFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// processAlive reports whether pid names a running process on this host.
// EPERM means it exists but belongs to another user.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
