package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the whole ledger (events, the Merkle
// tree, snapshots, tokens) to path as one file, with the commits that are
// still in the -wal file (NoCheckpointOnClose) included: SQLite's
// VACUUM INTO, read in one read transaction, so writers may go on. The
// copy is written beside path under a temporary name with mode 0600,
// fsynced, and renamed into place, so path holds the whole copy or
// nothing. An existing path is refused (an error that is fs.ErrExist),
// never overwritten.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup: %s: %w; give a new file name (nothing was written)", path, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	name := tmp.Name()
	done := false
	defer func() {
		if !done {
			os.Remove(name)
		}
	}()
	// CreateTemp makes the file 0600 and empty, which VACUUM INTO accepts.
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", name); err != nil {
		return fmt.Errorf("backup: copy the ledger into %s: %w", name, err)
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// Link, not rename: a file created at path meanwhile is not replaced.
	if err := os.Link(name, path); err != nil {
		return fmt.Errorf("backup: %w (nothing was written to %s)", err, path)
	}
	done = true
	os.Remove(name)
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
