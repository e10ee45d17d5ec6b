//go:build sqlitecompare

package main

// The cgo driver, for the comparison in docs/PERFORMANCE.md only (see
// docs/STORAGE.md for why the store does not use it).
import _ "github.com/mattn/go-sqlite3" // registers "sqlite3"

const defaultDriver = "sqlite3"
