// Command bareinsert is the baseline of the whole-process import figure in
// docs/PERFORMANCE.md: a bare Go program that inserts N event rows into a
// new SQLite file of the embedded store's kind (modernc.org/sqlite, WAL,
// synchronous=FULL, the events table with its unique key), 1 000 rows per
// transaction, and nothing else: no decoding, no decisions, no hashes, no
// Merkle tree. Each row has the given sizes of data and metadata (take
// them from the ledger apply wrote, docs/PERFORMANCE.md says how), and
// each stream gets --per-stream rows, as the generated agreements do.
//
//	go run ./cmd/grantledger/internal/bareinsert --db /tmp/bare.db --rows 67000 --data 139 --meta 531
//
// With --existing it appends to a file it wrote before (each row one
// revision past its stream's last), which with --rows 1 is the floor of
// one command per process: open, insert one row, commit, close. Built
// with -tags sqlitecompare (and cgo) it uses the cgo driver
// docs/STORAGE.md compares the store's driver with instead, and links
// only that one, so that a process's start-up is the driver's own.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	db := flag.String("db", "", "the new file to write (must not exist)")
	rows := flag.Int("rows", 67000, "rows to insert")
	data := flag.Int("data", 139, "bytes of data per row")
	meta := flag.Int("meta", 531, "bytes of metadata per row")
	perStream := flag.Int("per-stream", 67, "rows per stream")
	batch := flag.Int("batch", 1000, "rows per transaction")
	existing := flag.Bool("existing", false, "append to a file written before instead of writing a new one")
	driverName := flag.String("driver", defaultDriver, "database/sql driver: sqlite (modernc, the store's), or sqlite3 (cgo) when built with -tags sqlitecompare, which links only that one")
	flag.Parse()
	if err := run(*driverName, *db, *existing, *rows, *data, *meta, *perStream, *batch); err != nil {
		fmt.Fprintln(os.Stderr, "bareinsert:", err)
		os.Exit(1)
	}
}

func run(driverName, path string, existing bool, rows, dataLen, metaLen, perStream, batch int) error {
	if path == "" {
		return fmt.Errorf("--db is required")
	}
	_, err := os.Stat(path)
	switch {
	case existing && err != nil:
		return fmt.Errorf("--existing: %w", err)
	case !existing && err == nil:
		return fmt.Errorf("%s exists; the baseline writes a new file (--existing appends to it)", path)
	}
	db, err := sql.Open(driverName, "file:"+path)
	if err != nil {
		return fmt.Errorf("--driver %s: %w", driverName, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	stmts := []string{"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"}
	if !existing {
		stmts = append(stmts, `CREATE TABLE events (
		pos INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, event_id BLOB NOT NULL,
		type TEXT NOT NULL, data BLOB NOT NULL, metadata BLOB NOT NULL, created INTEGER NOT NULL,
		UNIQUE (stream, revision))`)
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			return err
		}
	}
	insert := "INSERT INTO events (stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)"
	if existing {
		// Each row one past its stream's last revision, read in the
		// statement (?2, the revision the loop counts, goes unused): the
		// unique key holds whatever the file has.
		insert = "INSERT INTO events (stream, revision, event_id, type, data, metadata, created) " +
			"SELECT ?1, COALESCE(MAX(revision), -1) + 1, ?3, ?4, ?5, ?6, ?7 FROM events WHERE stream = ?1"
	}
	data, meta := filler(dataLen, 'd'), filler(metaLen, 'm')
	id := make([]byte, 16)
	now := time.Now().UnixNano()
	for i := 0; i < rows; i += batch {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		st, err := tx.Prepare(insert)
		if err != nil {
			return err
		}
		for j := i; j < min(i+batch, rows); j++ {
			id[0], id[1], id[2], id[3] = byte(j>>24), byte(j>>16), byte(j>>8), byte(j)
			k := mix(uint64(j / perStream))
			stream := fmt.Sprintf("grantledger-agreement-%08x-%04x-5%03x-8%03x-%012x", k>>32, k>>16&0xffff, k>>4&0xfff, k&0xfff, mix(k)>>16)
			if _, err := st.Exec(stream, j%perStream, id, "SpendingRecorded", data, meta, now+int64(j)); err != nil {
				return err
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// mix scatters stream numbers, as the uuids of the generated agreements
// scatter their streams over the (stream, revision) index.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	return x ^ x>>33
}

// filler is n bytes of JSON-ish text.
func filler(n int, c byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c + byte(i%7)
	}
	return b
}
