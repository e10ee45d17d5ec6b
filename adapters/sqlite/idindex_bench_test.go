package sqlite

import (
	"crypto/rand"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkIDIndexCost measures what a unique index on a random id costs
// an insert (issue 17: "answer command-id idempotency from the store's
// index"). Schema version 2 dropped the index on (stream, event_id) for
// this cost; the benchmark inserts 100 000 event-sized rows (130 bytes of
// data, 525 of metadata, batches of 1 000, WAL, synchronous=FULL) into the
// events table alone and, in the other run, also a 16-byte random id per
// row into a WITHOUT ROWID table, as a command-id index would, and reports
// both rates and their ratio. docs/PERFORMANCE.md quotes it.
func BenchmarkIDIndexCost(b *testing.B) {
	const n = 100_000
	var plain, indexed []float64
	for i := 0; b.Loop(); i++ {
		plain = append(plain, insertRows(b, filepath.Join(b.TempDir(), fmt.Sprintf("plain-%d.db", i)), n, false))
		indexed = append(indexed, insertRows(b, filepath.Join(b.TempDir(), fmt.Sprintf("indexed-%d.db", i)), n, true))
	}
	p, x := medianOf(plain), medianOf(indexed)
	b.ReportMetric(p, "plain-rows/s")
	b.ReportMetric(x, "indexed-rows/s")
	b.ReportMetric(x/p, "ratio")
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func insertRows(b *testing.B, path string, n int, withIndex bool) float64 {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", `CREATE TABLE events (
		pos INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, event_id BLOB NOT NULL,
		type TEXT NOT NULL, data BLOB NOT NULL, metadata BLOB NOT NULL, created INTEGER NOT NULL,
		UNIQUE (stream, revision))`, `CREATE TABLE ids (id BLOB PRIMARY KEY, pos INTEGER NOT NULL) WITHOUT ROWID`} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	data, meta := make([]byte, 130), make([]byte, 525)
	revs := make([]int, 1000)
	start := time.Now()
	for i := 0; i < n; i += 1000 {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		ins, _ := tx.Prepare("INSERT INTO events (stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)")
		idx, _ := tx.Prepare("INSERT INTO ids (id, pos) VALUES (?, ?)")
		for k := 0; k < 1000; k++ {
			var id [16]byte
			rand.Read(id[:])
			a := (i + k) % len(revs)
			revs[a]++
			res, err := ins.Exec(fmt.Sprintf("grantledger-agreement-%d", a), revs[a], id[:], "SpendingRecorded", data, meta, 1)
			if err != nil {
				b.Fatal(err)
			}
			if withIndex {
				pos, _ := res.LastInsertId()
				if _, err := idx.Exec(id[:], pos); err != nil {
					b.Fatal(err)
				}
			}
		}
		ins.Close()
		idx.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}
