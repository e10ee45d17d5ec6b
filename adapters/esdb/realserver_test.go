package esdb_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/domain"
)

// The probes of docs/EVENTSTOREDB.md's real-server checklist. Each runs
// against the server GRANTLEDGER_ESDB_URL names, and, so that the probe
// itself is known to work, against the test server in CI.

// realURL returns the real server's connection string or skips: no real
// EventStoreDB can run on CI's machines (see TestContractRealServer).
func realURL(t *testing.T) string {
	url := os.Getenv(realServerEnv)
	if url == "" {
		t.Skip(realServerEnv + " is not set: no real EventStoreDB to probe (see docs/EVENTSTOREDB.md, real-server checklist)")
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

// TestProbeSizeLimitTestServer runs the size probe on the test server.
func TestProbeSizeLimitTestServer(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	probeSizeLimit(t, srv.URL(), 1<<20)
}

func probeSizeLimit(t *testing.T, url string, limit int) {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s := mustOpen(t, url+sep+"maxAppendSize="+strconv.Itoa(4*limit))
	defer s.Close()
	ctx := ctxT(t)
	at, over := "gl-size-probe-at-"+strconv.FormatInt(time.Now().UnixNano(), 36), "gl-size-probe-over-"+strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := s.Append(ctx, at, domain.NoStream, sizedEvents(4, limit)); err != nil {
		t.Errorf("append of exactly %d bytes: %v", limit, err)
	}
	_, err := s.Append(ctx, over, domain.NoStream, sizedEvents(4, limit+1))
	if err == nil {
		t.Fatalf("append of %d bytes was written: the server's MaxAppendSize is larger than %d (set GRANTLEDGER_ESDB_MAX_APPEND)", limit+1, limit)
	}
	if domain.ErrorCode(err) != domain.EInvalid || !strings.Contains(err.Error(), "MaxAppendSize") {
		t.Errorf("append of %d bytes: got %v, want the adapter's size error quoting the server", limit+1, err)
	}
	if _, err := s.ReadStream(ctx, over, 0, domain.Forwards, 1); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the refused append left events: %v", err)
	}
}
