//go:build esdbserver

package esdb_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/grantledger/grantledger/internal/testsupport/storetest"
)

// The tests against a real EventStoreDB (docs/EVENTSTOREDB.md, "Running
// the tests" and the real-server checklist). No EventStoreDB server can be
// installed on CI's machines, so they are behind the build tag esdbserver
// instead of skipping in every run; with the tag, a missing
// GRANTLEDGER_ESDB_URL fails:
//
//	GRANTLEDGER_ESDB_URL='esdb://localhost:2113?tls=false' go test -tags esdbserver -count=1 -run RealServer -v ./adapters/esdb/

// realURL returns the real server's connection string; without one the
// test fails: asked for with the tag, it must not pass without running.
func realURL(t *testing.T) string {
	url := os.Getenv(realServerEnv)
	if url == "" {
		t.Fatal(realServerEnv + " is not set: the esdbserver tests need a real EventStoreDB (see docs/EVENTSTOREDB.md, real-server checklist)")
	}
	return url
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// TestContractRealServer runs the store contract suite against a real
// EventStoreDB.
func TestContractRealServer(t *testing.T) {
	storetest.Run(t, factory(realURL(t)))
}

// TestProbeSubscriptionRealServer: the subscription-loss probe on a real
// server: GRANTLEDGER_ESDB_PROBE_ROUNDS rounds (default 20) of 300
// non-matching events and one matching, GRANTLEDGER_ESDB_PROBE_PAUSE_MS
// apart (default 1000). Restart the server, or kill the cluster's leader,
// while it runs: every matching event must still arrive once.
func TestProbeSubscriptionRealServer(t *testing.T) {
	s := mustOpen(t, realURL(t))
	defer s.Close()
	rounds := envInt(t, "GRANTLEDGER_ESDB_PROBE_ROUNDS", 20)
	pause := time.Duration(envInt(t, "GRANTLEDGER_ESDB_PROBE_PAUSE_MS", 1000)) * time.Millisecond
	probeSubscription(t, s, probe{rounds: rounds, noise: 300, pause: pause, wait: time.Minute})
}

// TestProbeSizeLimitRealServer: the server takes an append of exactly its
// MaxAppendSize (GRANTLEDGER_ESDB_MAX_APPEND, default 1 048 576) and
// refuses one byte more with an error the adapter maps (it is told a
// larger limit, so the append is sent).
func TestProbeSizeLimitRealServer(t *testing.T) {
	probeSizeLimit(t, realURL(t), envInt(t, "GRANTLEDGER_ESDB_MAX_APPEND", 1<<20))
}

// TestProbeReservationsRealServer: the same on a real server
// (GRANTLEDGER_ESDB_URL; docs/EVENTSTOREDB.md, real-server checklist).
// Its agreement numbers carry a random suffix, so it can run again on the
// same server.
func TestProbeReservationsRealServer(t *testing.T) {
	ledgerWideRules(t, realURL(t))
}
