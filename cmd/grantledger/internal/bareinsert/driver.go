//go:build !sqlitecompare

package main

import _ "modernc.org/sqlite" // registers "sqlite", the store's driver

const defaultDriver = "sqlite"
