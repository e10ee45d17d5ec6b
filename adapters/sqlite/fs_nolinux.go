//go:build !linux

package sqlite

// freeBytes cannot tell on this platform; a full disk is then recognised
// by SQLite's own SQLITE_FULL only.
func freeBytes(string) (uint64, bool) { return 0, false }
