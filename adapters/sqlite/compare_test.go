//go:build sqlitecompare

package sqlite

import (
	"testing"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3" (cgo), for comparison only

	"github.com/grantledger/grantledger/internal/testsupport/storetest"
)

func init() { benchDrivers = append(benchDrivers, "sqlite3") }

// TestContractMattn runs the contract suite on the cgo driver too, so the
// comparison is between two stores that behave the same.
func TestContractMattn(t *testing.T) {
	storetest.Run(t, factory("sqlite3"))
}
