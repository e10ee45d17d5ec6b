package groupcommit

import (
	"path/filepath"
	"testing"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/internal/testsupport/storetest"
)

// The group committer must keep the event store contract over a store that
// batches (SQLite) and one that does not (memstore).
func TestGroupCommitContract(t *testing.T) {
	t.Run("memstore", func(t *testing.T) {
		storetest.Run(t, storetest.Factory{New: func(t *testing.T) port.Store { return New(memstore.New(), 0) }})
	})
	t.Run("sqlite", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: the SQLite contract run fsyncs")
		}
		storetest.Run(t, storetest.Factory{
			New: func(t *testing.T) port.Store {
				s, err := sqlite.Open(filepath.Join(t.TempDir(), "gc.db"))
				if err != nil {
					t.Fatal(err)
				}
				return New(s, 0)
			},
			Reopen: func(t *testing.T, old port.Store) port.Store {
				path := old.(*Store).Inner.(*sqlite.Store).Path()
				old.Close()
				s, err := sqlite.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				return New(s, 0)
			},
		})
	})
}
