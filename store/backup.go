package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// BackupInfo describes a backup Backup wrote.
type BackupInfo struct {
	Path          string
	Bytes         int64
	SchemaVersion int
	// Held tells whether a tend run held the database when the backup was
	// taken (it was copied beside it, consistently).
	Held bool
}

// ErrBackupExists means the backup's file exists already; Backup never
// overwrites one.
var ErrBackupExists = errors.New("the backup file exists already")

// Backup writes a consistent copy of the database at src to dst, which
// must not exist, with mode 0600. It runs beside a tend that holds src:
// it takes neither the holder row nor the OS lock, and reads src through
// a read-only connection of its own, in one read transaction (SQLite's
// VACUUM INTO), so the copy is the database as it was at one instant,
// whatever tend writes meanwhile. The copy is written to a temporary file
// in dst's directory and linked to dst only when complete and checked
// (PRAGMA quick_check), so dst is never a partial backup; the link fails
// rather than replace a file that appeared meanwhile. The copy holds no
// holder row: a tend started on a restored backup does not wait for the
// process that held the original.
func Backup(ctx context.Context, src, dst string) (BackupInfo, error) {
	info := BackupInfo{Path: dst}
	if fi, err := os.Stat(src); err != nil || fi.Size() == 0 {
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return info, fmt.Errorf("store: backup: %s is not a tend database (it is missing or empty); check storage.path or --config", src)
		}
		return info, fmt.Errorf("store: backup: %w", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return info, fmt.Errorf("store: backup: %s: %w; give a new file name, or remove the old backup first", dst, ErrBackupExists)
	}
	if err := checkNotNewer(ctx, src); err != nil {
		return info, err
	}
	if _, held, err := ReadHolder(ctx, src); err == nil && held {
		info.Held = true
	}
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".partial-*")
	if err != nil {
		return info, fmt.Errorf("store: backup: create a file in %s: %w", dir, err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpPath) // gone once linked to dst, or on failure
	// CreateTemp makes it 0600 already; say so for any umask.
	if err := os.Chmod(tmpPath, 0o600); err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}

	ro, err := sql.Open("sqlite", "file:"+(&url.URL{Path: src}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return info, fmt.Errorf("store: backup: open %s: %w", src, err)
	}
	defer ro.Close()
	// VACUUM INTO writes into an empty file: the one made above, 0600
	// from its first byte.
	if _, err := ro.ExecContext(ctx, `VACUUM INTO ?`, tmpPath); err != nil {
		return info, fmt.Errorf("store: backup: copy %s: %w", src, err)
	}
	if err := ro.Close(); err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}
	if err := finishBackup(ctx, tmpPath, &info); err != nil {
		return info, err
	}
	if err := syncFile(tmpPath); err != nil {
		return info, err
	}
	// Link, not rename: a file that appeared at dst meanwhile is kept.
	if err := os.Link(tmpPath, dst); err != nil {
		if errors.Is(err, os.ErrExist) {
			return info, fmt.Errorf("store: backup: %s: %w; give a new file name", dst, ErrBackupExists)
		}
		return info, fmt.Errorf("store: backup: %w", err)
	}
	if err := syncFile(dir); err != nil {
		return info, err
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}
	info.Bytes = fi.Size()
	return info, nil
}

// finishBackup checks the copy and removes its holder row.
func finishBackup(ctx context.Context, path string, info *BackupInfo) error {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("store: backup: open the copy: %w", err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return fmt.Errorf("store: backup: check the copy: %w", err)
	}
	if check != "ok" {
		return fmt.Errorf("store: backup: the copy fails its check (%s); the database itself may be damaged: run PRAGMA integrity_check on it", strings.TrimSpace(check))
	}
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&info.SchemaVersion); err != nil {
		return fmt.Errorf("store: backup: read the copy's schema version: %w", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'holder'`).Scan(&n); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if n > 0 {
		if _, err := db.ExecContext(ctx, `DELETE FROM holder`); err != nil {
			return fmt.Errorf("store: backup: clear the copy's holder: %w", err)
		}
	}
	return db.Close()
}

// syncFile flushes a file or directory to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("store: backup: sync %s: %w", path, err)
	}
	return nil
}
