package sqlite

import (
	"os"
	"path/filepath"
)

// readOnlyFolder reports whether the file and its folder were made
// read-only for everyone (chmod -R a-w, as for an auditor's copy): no write
// bit on either. Then no one but root, or the owner after a chmod, can
// create the -wal, -shm or -journal file a writer needs, so no writer can
// change the file while it is read, and SQLite may read it as immutable
// (without the -shm file it could not create there). A folder writable by
// anyone does not count: a writer with that right could be at work.
func readOnlyFolder(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return false
	}
	return fi.Mode().Perm()&0o222 == 0 && di.Mode().Perm()&0o222 == 0
}

// ReadOnlyError returns nil when the store can append, and otherwise the
// error an append would return: why the store is read-only, that nothing
// was written, and what to do. A program that only writes can call it
// before reading its input, to refuse once rather than once per command.
func (s *Store) ReadOnlyError() error {
	if !s.readOnly {
		return nil
	}
	return s.readOnlyError()
}
