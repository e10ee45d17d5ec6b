package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// BenchmarkLogMillion is the docs/PERFORMANCE.md "Merkle log" section: on a
// ledger of GRANTLEDGER_BENCH_EVENTS events (default 1 000 000; 50 000
// with -short) with ledger-sized metadata, it measures once, in one run:
//
//   - building the tree of a file written before it kept one (schema 2,
//     first open);
//
//   - merkle.Verify: every leaf recomputed from the events, every stored
//     hash compared, the root computed;
//
//   - the baseline: a bare SELECT of the same rows scanned into reused
//     variables.
//
//     go test -run '^$' -bench LogMillion -benchtime 1x -timeout 60m ./adapters/sqlite
func BenchmarkLogMillion(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 50_000
	}
	if v := os.Getenv("GRANTLEDGER_BENCH_EVENTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "million.db")
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	// Metadata of the size the ledger writes (about 420 bytes).
	meta := []byte(`{"event_id":"6f1c1b9e-3c4e-4bd5-9f0e-6a7b8c9d0e1f","command_id":"0d5a8c0e-6d55-4c4e-a1a8-7f0f6f3a9a01","command_type":"record_spending","command_hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","correlation_id":"0d5a8c0e-6d55-4c4e-a1a8-7f0f6f3a9a01","actor":"accountant@ngo.example","recorded_at":"2026-11-30T17:00:00.123456789Z","schema_version":1,"prev_hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","hash":"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"}`)
	const streams, batch = 1000, 10_000
	next := make([]int64, streams)
	for i := range next {
		next[i] = -1
	}
	start := time.Now()
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		evs := benchEvents(k)
		reqs := make([]domain.AppendRequest, k)
		for i := range reqs {
			evs[i].Metadata = meta
			st := (done + i) % streams
			exp := domain.NoStream
			if next[st] >= 0 {
				exp = domain.Exact(uint64(next[st]))
			}
			next[st]++
			reqs[i] = domain.AppendRequest{Stream: fmt.Sprintf("grantledger-agreement-%d", st), Expected: exp, Events: evs[i : i+1]}
		}
		mustAppendBatch(b, s, reqs)
	}
	b.Logf("wrote %d events in %s (%.0f events/s, tree included)", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	s.Close()

	// The same file as schema 2: no tree. First open builds it.
	db, err := sql.Open(defaultDriver, "file:"+path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE tree; DROP TABLE log_info; PRAGMA user_version = 2"); err != nil {
		b.Fatal(err)
	}
	db.Close()
	for b.Loop() {
		start = time.Now()
		s, err = Open(path)
		if err != nil {
			b.Fatal(err)
		}
		build := time.Since(start)

		start = time.Now()
		res, err := merkle.Verify(ctx, s, nil, nil)
		if err != nil || !res.OK || res.Events != int64(n) {
			b.Fatalf("verify: %+v, %v", res.FirstBad, err)
		}
		verify := time.Since(start)

		start = time.Now()
		read := bareScan(ctx, b, s)
		bare := time.Since(start)
		s.Close()
		vr, br := float64(n)/verify.Seconds(), float64(read)/bare.Seconds()
		b.ReportMetric(build.Seconds(), "build-s")
		b.ReportMetric(vr, "verify-events/s")
		b.ReportMetric(br, "bare-read-rows/s")
		b.ReportMetric(vr/br, "ratio")
		b.Logf("%d events: tree built on first open in %s; verify %s (%.0f events/s); bare read %s (%.0f rows/s); ratio %.2f",
			n, build.Round(time.Millisecond), verify.Round(time.Millisecond), vr, bare.Round(time.Millisecond), br, vr/br)
	}
}
