package esdb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/esdb"
	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/internal/testsupport/storetest"
)

// realServerEnv names the variable that points the suite at a real
// EventStoreDB, e.g. esdb://localhost:2113?tls=false.
const realServerEnv = "GRANTLEDGER_ESDB_URL"

// startServer starts a test server for one test and stops it after.
func startServer(t testing.TB, opts esdbtest.Options) *esdbtest.Server {
	t.Helper()
	srv, err := esdbtest.Start(opts)
	if err != nil {
		t.Fatalf("start test server: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// mustOpen opens the adapter on url.
func mustOpen(t testing.TB, url string) *esdb.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := esdb.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	return s
}

// factory opens the adapter for each case with its own cache directory
// (snapshots and the Merkle log's hashes), which Reopen keeps: the second
// open loads the tree from its cache file and extends it.
func factory(url string) storetest.Factory {
	dirs := map[*testing.T]string{}
	withDir := func(t *testing.T) string {
		if dirs[t] == "" {
			dirs[t] = t.TempDir()
		}
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		return url + sep + "snapshotDir=" + dirs[t]
	}
	return storetest.Factory{
		New: func(t *testing.T) port.Store { return mustOpen(t, withDir(t)) },
		Reopen: func(t *testing.T, old port.Store) port.Store {
			old.Close()
			return mustOpen(t, withDir(t))
		},
		KeepsTree: true,
	}
}

// TestContractTestServer runs the store contract suite against the
// adapter talking to the in-process test server.
func TestContractTestServer(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	storetest.Run(t, factory(srv.URL()))
}
