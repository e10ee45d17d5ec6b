package sqlite

import (
	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// defaultDriver is the database/sql driver the store uses; see
// docs/STORAGE.md for why.
const defaultDriver = "sqlite"
