package sqlite

// Benchmarks behind docs/STORAGE.md and the "Embedded store" section of
// docs/PERFORMANCE.md. Each store benchmark runs once per driver in
// benchDrivers: the default build has only the product driver; build with
// -tags sqlitecompare to add the other one (compare_test.go).
//
//	go test -tags sqlitecompare -run '^$' -bench . -count 5 ./adapters/sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// benchDrivers are the drivers the benchmarks compare.
var benchDrivers = []string{defaultDriver}

// rowBytes is the size of each benchmark event's data.
const rowBytes = 300

// batchRows is the number of rows per transaction in the batched cases.
const batchRows = 1000

var payload = []byte(`{"pad":"` + strings.Repeat("x", rowBytes-10) + `"}`)

func benchEvents(n int) []domain.EventData {
	evs := make([]domain.EventData, n)
	for i := range evs {
		evs[i] = domain.EventData{ID: uuid.New(), Type: "SpendingRecorded", Data: payload, Metadata: []byte(`{}`)}
	}
	return evs
}

// BenchmarkFsync is the disk's floor: write a small record and fsync.
func BenchmarkFsync(b *testing.B) {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "fsync"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for b.Loop() {
		if _, err := f.Write(payload); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

// openBare opens a file with the same schema and pragmas as the store, for
// the bare-loop baselines.
func openBare(b *testing.B, driver string) *sql.DB {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "bare.db"), withDriver(driver))
	if err != nil {
		b.Fatal(err)
	}
	path := s.Path()
	s.Close()
	probe, _ := sql.Open(driver, "")
	drv := probe.Driver()
	probe.Close()
	db := sql.OpenDB(&connector{drv: drv, dsn: "file:" + path, pragmas: []string{"PRAGMA busy_timeout = 10000", "PRAGMA synchronous = FULL"}})
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkBareInsert is the baseline: a plain loop inserting batchRows
// rows per transaction with one prepared statement, no store logic.
func BenchmarkBareInsert(b *testing.B) {
	for _, driver := range benchDrivers {
		b.Run(driver, func(b *testing.B) {
			db := openBare(b, driver)
			ctx := context.Background()
			rev := 0
			for b.Loop() {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				st, err := tx.PrepareContext(ctx, "INSERT INTO events (stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)")
				if err != nil {
					b.Fatal(err)
				}
				for range batchRows {
					id := uuid.New()
					if _, err := st.ExecContext(ctx, "bare", rev, id[:], "SpendingRecorded", payload, []byte(`{}`), int64(1)); err != nil {
						b.Fatal(err)
					}
					rev++
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batchRows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkBareSingle is the baseline for one durable row: one insert in
// its own transaction.
func BenchmarkBareSingle(b *testing.B) {
	for _, driver := range benchDrivers {
		b.Run(driver, func(b *testing.B) {
			db := openBare(b, driver)
			ctx := context.Background()
			rev := 0
			for b.Loop() {
				id := uuid.New()
				if _, err := db.ExecContext(ctx, "INSERT INTO events (stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
					"bare", rev, id[:], "SpendingRecorded", payload, []byte(`{}`), int64(1)); err != nil {
					b.Fatal(err)
				}
				rev++
			}
		})
	}
}

// BenchmarkAppendSingle is one durable command: one Append of one event
// with an exact expected revision.
func BenchmarkAppendSingle(b *testing.B) {
	for _, driver := range benchDrivers {
		b.Run(driver, func(b *testing.B) {
			s := MustOpen(b, withDriver(driver))
			ctx := context.Background()
			exp := domain.NoStream
			for b.Loop() {
				res, err := s.Append(ctx, "agreement-1", exp, benchEvents(1))
				if err != nil {
					b.Fatal(err)
				}
				exp = domain.Exact(res.NextRevision)
			}
		})
	}
}

// BenchmarkAppendBatch is what an import or "apply" does: batchRows
// one-event appends, each with its expected revision, over 100 streams, in
// one AppendBatch (one transaction, one fsync).
func BenchmarkAppendBatch(b *testing.B) {
	for _, driver := range benchDrivers {
		b.Run(driver, func(b *testing.B) {
			s := MustOpen(b, withDriver(driver))
			next := make([]int64, 100)
			for i := range next {
				next[i] = -1
			}
			reqs := make([]domain.AppendRequest, batchRows)
			for b.Loop() {
				b.StopTimer()
				evs := benchEvents(batchRows)
				for i := range reqs {
					st := i % len(next)
					exp := domain.NoStream
					if next[st] >= 0 {
						exp = domain.Exact(uint64(next[st]))
					}
					reqs[i] = domain.AppendRequest{Stream: fmt.Sprintf("agreement-%d", st), Expected: exp, Events: evs[i : i+1]}
					next[st]++
				}
				b.StartTimer()
				mustAppendBatch(b, s, reqs)
			}
			b.ReportMetric(float64(b.N*batchRows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// mustAppendBatch appends reqs in one AppendBatch and fails on any error,
// of the batch or of one request.
func mustAppendBatch(b *testing.B, s *Store, reqs []domain.AppendRequest) {
	b.Helper()
	out, err := s.AppendBatch(context.Background(), reqs)
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range out {
		if o.Err != nil {
			b.Fatal(o.Err)
		}
	}
}

// readRows is the size of the store the read benchmarks scan.
const readRows = 50_000

func filled(b *testing.B, driver string) *Store {
	b.Helper()
	s := MustOpen(b, withDriver(driver))
	ctx := context.Background()
	for i := range readRows / batchRows {
		if _, err := s.Append(ctx, fmt.Sprintf("agreement-%d", i), domain.NoStream, benchEvents(batchRows)); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkReadAll is a projection rebuild: read every event in global
// order, in pages of 1 000.
func BenchmarkReadAll(b *testing.B) {
	for _, driver := range benchDrivers {
		b.Run(driver, func(b *testing.B) {
			s := filled(b, driver)
			ctx := context.Background()
			for b.Loop() {
				var from domain.Position
				n := 0
				for {
					evs, err := s.ReadAll(ctx, from, 1000)
					if err != nil {
						b.Fatal(err)
					}
					if len(evs) == 0 {
						break
					}
					n += len(evs)
					from = evs[len(evs)-1].Position
				}
				if n != readRows {
					b.Fatalf("read %d events, want %d", n, readRows)
				}
			}
			b.ReportMetric(float64(b.N*readRows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkBareScan is the read baseline: one SELECT over the same rows
// scanned into reused variables, no events built.
// bareScan reads every event row into reused variables, decoding nothing:
// the floor any read of the whole ledger is measured against. It returns
// the number of rows.
func bareScan(ctx context.Context, tb testing.TB, s *Store) int {
	rows, err := s.db.QueryContext(ctx, "SELECT "+cols+" FROM events ORDER BY pos")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var (
		pos, rev, created         int64
		stream, typ, id, data, md sql.RawBytes
	)
	n := 0
	for rows.Next() {
		if err := rows.Scan(&pos, &stream, &rev, &id, &typ, &data, &md, &created); err != nil {
			tb.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return n
}

func BenchmarkBareScan(b *testing.B) {
	for _, driver := range benchDrivers {
		b.Run(driver, func(b *testing.B) {
			s := filled(b, driver)
			ctx := context.Background()
			for b.Loop() {
				if n := bareScan(ctx, b, s); n != readRows {
					b.Fatalf("scanned %d rows, want %d", n, readRows)
				}
			}
			b.ReportMetric(float64(b.N*readRows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
