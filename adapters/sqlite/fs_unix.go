//go:build unix

package sqlite

import (
	"errors"
	"syscall"
)

// onReadOnlyFS reports whether path is on a file system mounted read-only.
// access(2) asks without opening the file, so it cannot drop the POSIX
// locks SQLite holds on it in this process.
func onReadOnlyFS(path string) bool {
	return errors.Is(syscall.Access(path, 2 /* W_OK */), syscall.EROFS)
}

// mayWrite returns why this process may not write path, or nil.
func mayWrite(path string) error { return syscall.Access(path, 2 /* W_OK */) }

// isNoSpace reports whether err is the file system being out of space.
func isNoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
