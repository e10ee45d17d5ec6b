package esdb_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/domain"
)

// The probes of docs/EVENTSTOREDB.md's real-server checklist. Each runs
// against the test server in CI, so that the probe itself is known to
// work, and against the server GRANTLEDGER_ESDB_URL names under the build
// tag esdbserver (realserver_esdbserver_test.go).

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
