package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tend-bot/tend/store"
)

// backup writes a consistent copy of the database to m.BackupFile, beside
// a running tend or not: it never takes the database (see store.Backup).
func (m *Main) backup(ctx context.Context) error {
	src := m.BackupDB
	if src == "" {
		src = m.Config.Storage.Path
	}
	src, dst := m.path(src), m.path(m.BackupFile)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	start := time.Now()
	info, err := store.Backup(ctx, src, dst)
	if errors.Is(err, store.ErrBackupExists) {
		return &usageError{msg: err.Error()}
	}
	if err != nil {
		return err
	}
	beside := "no tend run held it"
	if info.Held {
		beside = "copied beside the tend run that holds it"
	}
	fmt.Fprintf(m.Stdout, "backup of %s written to %s: %d bytes, schema version %d, in %s (%s); checked, mode 0600.\n",
		src, info.Path, info.Bytes, info.SchemaVersion, time.Since(start).Round(time.Millisecond), beside)
	fmt.Fprintf(m.Stdout, "To restore: stop tend, move the database and its -wal and -shm files aside, copy this file to %s, start tend.\n", src)
	return nil
}
