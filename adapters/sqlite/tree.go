package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// The Merkle log (schema version 3).
//
//	tree(idx INTEGER PRIMARY KEY, hash BLOB)   one row per leaf: leaf idx
//	    is the event at pos idx+1, and hash holds, 32 bytes each, the
//	    stored hashes of the RFC 6962 tree that appending that leaf
//	    completes, as golang.org/x/mod/sumdb/tlog numbers them
//	    (StoredHashIndex(0, idx), then one per level the leaf completes:
//	    1 + the trailing ones of idx, two on average). One row per event
//	    keeps the append to one more insert. Append-only, like events.
//	log_info(sealed INTEGER)   for a file that had events before it had a
//	    tree: how many it had when the tree was built on first open.
//
// Every append writes its events' stored hashes in the same transaction
// as the events, so the tree and the events commit or roll back together.
const treeSchema = `
CREATE TABLE IF NOT EXISTS tree (
	idx  INTEGER PRIMARY KEY,
	hash BLOB    NOT NULL
);
CREATE TRIGGER IF NOT EXISTS tree_no_update BEFORE UPDATE ON tree
BEGIN SELECT RAISE(ABORT, 'grantledger tree is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS tree_no_delete BEFORE DELETE ON tree
BEGIN SELECT RAISE(ABORT, 'grantledger tree is append-only: DELETE refused'); END;
CREATE TABLE IF NOT EXISTS log_info (
	sealed INTEGER NOT NULL
);
`

var (
	_ merkle.Log = (*Store)(nil)
)

// treeStmts are prepared on the writer connection.
type treeStmts struct {
	max, get, insChunk *sql.Stmt
	insN               map[int]*sql.Stmt // INSERT of n < treeChunk rows, prepared on first use
}

func (t *treeStmts) prepare(ctx context.Context, c *sql.Conn) error {
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&t.max, "SELECT COALESCE(MAX(idx), -1) FROM tree"},
		{&t.get, "SELECT hash FROM tree WHERE idx = ?"}, // idx is the leaf
		{&t.insChunk, "INSERT INTO tree (idx, hash) VALUES (?, ?)" + strings.Repeat(", (?, ?)", treeChunk-1)},
	} {
		st, err := c.PrepareContext(ctx, p.q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.q, err)
		}
		*p.st = st
	}
	return nil
}

func (t *treeStmts) close() {
	for _, st := range []*sql.Stmt{t.max, t.get, t.insChunk} {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range t.insN {
		st.Close()
	}
	t.insN = nil
}

// TreeProgress is told how far building the tree of an older file has
// come: done of total events.
type TreeProgress func(done, total int64)

// WithTreeProgress sets what is told, while a file written before schema
// version 3 gets its tree on first open, how far that has come.
func WithTreeProgress(f TreeProgress) Option { return func(o *options) { o.progress = f } }

// upgradeToTree gives a file of schema version 1 or 2 its tree: the stored
// hashes of every event already there, and log_info.sealed, in one
// transaction. The file is then at version 3.
func (s *Store) upgradeToTree(ctx context.Context, w *sql.Conn, progress TreeProgress) (err error) {
	if _, err := w.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("build the Merkle tree: begin: %w", err)
	}
	defer func() {
		if err != nil {
			w.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if _, err := w.ExecContext(ctx, treeSchema); err != nil {
		return fmt.Errorf("build the Merkle tree: create tables: %w", err)
	}
	var total int64
	if err := w.QueryRowContext(ctx, "SELECT COUNT(*) FROM events").Scan(&total); err != nil {
		return fmt.Errorf("build the Merkle tree: count events: %w", err)
	}
	b := merkle.NewBuilder(0, nil)
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	var last int64
	const chunk = 8192
	for {
		rows, err := w.QueryContext(ctx, "SELECT "+cols+" FROM events WHERE pos > ? ORDER BY pos LIMIT ?", last, chunk)
		if err != nil {
			return fmt.Errorf("build the Merkle tree: read after position %d: %w", last, err)
		}
		evs, err := scanEvents(rows, chunk)
		rows.Close()
		if err != nil {
			return fmt.Errorf("build the Merkle tree: read after position %d: %w", last, err)
		}
		if len(evs) == 0 {
			break
		}
		trows := make([]treeRow, 0, len(evs))
		for _, e := range evs {
			if int64(e.Position.Commit) != b.Size()+1 {
				return fmt.Errorf("build the Merkle tree: the event after position %d is at position %d: the events table has a gap, so events were deleted; "+
					"the tree was not built and the file was left at its old schema", b.Size(), e.Position.Commit)
			}
			n := b.Size()
			hs, err := b.Add(merkle.LeafHash(e))
			if err != nil {
				return fmt.Errorf("build the Merkle tree: %w", err)
			}
			row := make([]byte, 0, len(hs)*len(hs[0]))
			for _, h := range hs {
				row = append(row, h[:]...)
			}
			trows = append(trows, treeRow{leaf: n, hash: row})
		}
		if full == nil {
			if full, err = w.PrepareContext(ctx, "INSERT INTO tree (idx, hash) VALUES (?, ?)"+strings.Repeat(", (?, ?)", treeChunk-1)); err != nil {
				return fmt.Errorf("build the Merkle tree: %w", err)
			}
		}
		if err := insertTreeRows(ctx, w, full, trows, nil); err != nil {
			return fmt.Errorf("build the Merkle tree: %w", err)
		}
		last = int64(evs[len(evs)-1].Position.Commit)
		if progress != nil {
			progress(b.Size(), total)
		}
	}
	if _, err := w.ExecContext(ctx, "INSERT INTO log_info (sealed) VALUES (?)", b.Size()); err != nil {
		return fmt.Errorf("build the Merkle tree: %w", err)
	}
	if _, err := w.ExecContext(ctx, "PRAGMA user_version = 3"); err != nil {
		return fmt.Errorf("build the Merkle tree: set schema version: %w", err)
	}
	if _, err := w.ExecContext(context.WithoutCancel(ctx), "COMMIT"); err != nil {
		return fmt.Errorf("build the Merkle tree: commit: %w", err)
	}
	return nil
}

// treeBuilder returns the writer's builder, loading the tree's size from
// the file when it is not known (after open, a rollback, or a commit by
// another process). Called inside the write transaction.
func (s *Store) treeBuilder(ctx context.Context) (*merkle.Builder, error) {
	if s.tree != nil {
		return s.tree, nil
	}
	var max int64
	if err := s.tst.max.QueryRowContext(ctx).Scan(&max); err != nil {
		return nil, fmt.Errorf("read the tree's size: %w", err)
	}
	s.tree = merkle.NewBuilder(max+1, tlog.HashReaderFunc(func(idx []int64) ([]merkle.Hash, error) {
		return readHashes(idx, func(leaf int64) ([]byte, error) {
			var b []byte
			err := s.tst.get.QueryRowContext(context.Background(), leaf).Scan(&b)
			return b, err
		})
	}))
	return s.tree, nil
}

// treeRow is a tree row waiting for the end of the write transaction.
type treeRow struct {
	leaf int64
	hash []byte
}

// treeChunk is how many tree rows one INSERT statement writes.
const treeChunk = 128

// flushTree inserts the pending tree rows, many per statement (one
// statement per row would cost about as much as the event inserts
// themselves), in the open write transaction, just before it commits.
func (s *Store) flushTree(ctx context.Context) error {
	rows := s.pendingTree
	s.pendingTree = s.pendingTree[:0]
	if n := len(rows) % treeChunk; n > 0 && s.tst.insN[n] == nil {
		// The statement for the last, partial chunk (one row for a single
		// command) is prepared once per size and kept.
		st, err := s.w.PrepareContext(ctx, "INSERT INTO tree (idx, hash) VALUES (?, ?)"+strings.Repeat(", (?, ?)", n-1))
		if err != nil {
			return fmt.Errorf("store the tree: %w", err)
		}
		if s.tst.insN == nil {
			s.tst.insN = map[int]*sql.Stmt{}
		}
		s.tst.insN[n] = st
	}
	return insertTreeRows(ctx, s.w, s.tst.insChunk, rows, s.tst.insN)
}

// insertTreeRows inserts rows on c, treeChunk per statement (full is the
// prepared statement for a whole chunk, or nil).
func insertTreeRows(ctx context.Context, c *sql.Conn, full *sql.Stmt, rows []treeRow, partial map[int]*sql.Stmt) error {
	for len(rows) > 0 {
		n := min(len(rows), treeChunk)
		st := full
		if n < treeChunk {
			st = partial[n]
		}
		if st == nil {
			q := "INSERT INTO tree (idx, hash) VALUES (?, ?)" + strings.Repeat(", (?, ?)", n-1)
			var err error
			if st, err = c.PrepareContext(ctx, q); err != nil {
				return fmt.Errorf("store the tree: %w", err)
			}
			if n == treeChunk {
				full = st
			}
			defer st.Close()
		}
		args := make([]any, 0, 2*n)
		for _, r := range rows[:n] {
			args = append(args, r.leaf, r.hash)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("store the tree hashes of leaves %d to %d: %w", rows[0].leaf, rows[n-1].leaf, err)
		}
		rows = rows[n:]
	}
	return nil
}

// appendLeaves adds the leaves of events just inserted, whose last is at
// position last, to the tree; their rows are written by flushTree before
// the transaction commits.
func (s *Store) appendLeaves(ctx context.Context, stream string, first int64, events []domain.EventData, now int64, last int64) error {
	b, err := s.treeBuilder(ctx)
	if err != nil {
		return err
	}
	if want := last - int64(len(events)); b.Size() != want {
		return domain.Errorf(domain.ETampered, "the Merkle tree has %d leaves but the events before this append end at position %d: the tree and the events disagree; nothing was written", b.Size(), want)
	}
	created := time.Unix(0, now).UTC()
	for i := range events {
		e := &events[i]
		meta, data := e.Metadata, e.Data
		if meta == nil {
			meta = []byte{}
		}
		if data == nil {
			data = []byte{}
		}
		leaf := merkle.LeafHash(domain.RecordedEvent{Stream: stream, Revision: uint64(first + int64(i)), ID: e.ID, Type: e.Type, Data: data, Metadata: meta, Created: created})
		n := b.Size()
		hs, err := b.Add(leaf)
		if err != nil {
			return err
		}
		row := make([]byte, 0, len(hs)*len(hs[0]))
		for _, h := range hs {
			row = append(row, h[:]...)
		}
		s.pendingTree = append(s.pendingTree, treeRow{leaf: n, hash: row})
	}
	s.recent.add(stream, first, events, created, last)
	return nil
}

// TreeSize implements merkle.Log: the number of leaves of the stored tree.
func (s *Store) TreeSize(ctx context.Context) (int64, error) {
	if !s.hasTree {
		return 0, s.noTreeError()
	}
	var max int64
	if err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(idx), -1) FROM tree").Scan(&max); err != nil {
		return 0, fmt.Errorf("read the tree's size: %w", err)
	}
	return max + 1, nil
}

// ReadTreeHashes implements merkle.Log.
func (s *Store) ReadTreeHashes(ctx context.Context, indexes []int64) ([]merkle.Hash, error) {
	if !s.hasTree {
		return nil, s.noTreeError()
	}
	// One query for all the rows needed (a proof or a root needs about
	// log2(size) of them).
	leaves := make([]any, 0, len(indexes))
	seen := map[int64]bool{}
	for _, x := range indexes {
		level, k := tlog.SplitStoredHashIndex(x)
		if leaf := (k+1)<<uint(level) - 1; !seen[leaf] {
			seen[leaf] = true
			leaves = append(leaves, leaf)
		}
	}
	rowsOf := make(map[int64][]byte, len(leaves))
	for len(leaves) > 0 {
		n := min(len(leaves), 500)
		q := "SELECT idx, hash FROM tree WHERE idx IN (?" + strings.Repeat(", ?", n-1) + ")"
		rows, err := s.db.QueryContext(ctx, q, leaves[:n]...)
		if err != nil {
			return nil, fmt.Errorf("read the tree: %w", err)
		}
		for rows.Next() {
			var leaf int64
			var b []byte
			if err := rows.Scan(&leaf, &b); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read the tree: %w", err)
			}
			rowsOf[leaf] = b
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read the tree: %w", err)
		}
		leaves = leaves[n:]
	}
	return readHashes(indexes, func(leaf int64) ([]byte, error) {
		b, ok := rowsOf[leaf]
		if !ok {
			return nil, sql.ErrNoRows
		}
		return b, nil
	})
}

// readHashes returns the stored hashes at indexes, reading the row of the
// leaf that completed each with row.
func readHashes(indexes []int64, row func(leaf int64) ([]byte, error)) ([]merkle.Hash, error) {
	out := make([]merkle.Hash, len(indexes))
	for i, x := range indexes {
		level, k := tlog.SplitStoredHashIndex(x)
		leaf := (k+1)<<uint(level) - 1 // appending this leaf completed the node
		b, err := row(leaf)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("tree hash %d (leaf %d, level %d) is missing", x, leaf, level)
		}
		if err != nil {
			return nil, fmt.Errorf("read tree hash %d: %w", x, err)
		}
		h := out[i][:]
		if len(b) < (level+1)*len(h) {
			return nil, domain.Errorf(domain.ETampered, "the tree row of leaf %d has %d bytes, too few for its hash at level %d", leaf, len(b), level)
		}
		copy(h, b[level*len(h):])
	}
	return out, nil
}

// ReadTreeRange calls fn with every stored hash from index from on, in
// order, until fn returns false or the table ends.
func (s *Store) ReadTreeRange(ctx context.Context, from int64, fn func(idx int64, h merkle.Hash) bool) error {
	if !s.hasTree {
		return s.noTreeError()
	}
	level, k := tlog.SplitStoredHashIndex(from)
	first := (k+1)<<uint(level) - 1
	rows, err := s.db.QueryContext(ctx, "SELECT idx, hash FROM tree WHERE idx >= ? ORDER BY idx", first)
	if err != nil {
		return fmt.Errorf("read the tree: %w", err)
	}
	defer rows.Close()
	next := first
	for rows.Next() {
		var leaf int64
		var b sql.RawBytes
		if err := rows.Scan(&leaf, &b); err != nil {
			return fmt.Errorf("read the tree: %w", err)
		}
		if leaf != next {
			return domain.Errorf(domain.ETampered, "the tree has no row for leaf %d (the next row is leaf %d): rows were removed", next, leaf)
		}
		next++
		var h merkle.Hash
		if len(b) == 0 || len(b)%len(h) != 0 {
			return domain.Errorf(domain.ETampered, "the tree row of leaf %d has %d bytes, not a whole number of hashes", leaf, len(b))
		}
		at := tlog.StoredHashIndex(0, leaf)
		for j := 0; j*len(h) < len(b); j++ {
			if at+int64(j) < from {
				continue
			}
			copy(h[:], b[j*len(h):])
			if !fn(at+int64(j), h) {
				return nil
			}
		}
	}
	return rows.Err()
}

// Sealed implements the optional part of merkle.Log: how many events the
// file held when its tree was first built (0 for a file that always had
// one).
func (s *Store) Sealed(ctx context.Context) (int64, error) {
	if !s.hasTree {
		return 0, s.noTreeError()
	}
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(sealed), 0) FROM log_info").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read log_info: %w", err)
	}
	return n, nil
}

// LeafIndex implements the optional part of merkle.Log: the leaf index of
// an event (its position minus one).
func (s *Store) LeafIndex(ctx context.Context, id [16]byte) (int64, error) {
	var pos int64
	err := s.db.QueryRowContext(ctx, "SELECT pos FROM events WHERE event_id = ?", id[:]).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("no event with id %x: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("look up event %x: %w", id, err)
	}
	return pos - 1, nil
}

func (s *Store) noTreeError() error {
	return domain.Errorf(domain.EUnavailable, "the ledger file %s was written before it kept a Merkle tree and is open read-only, so the tree could not be built; open it once writable (any command such as verify) to build it", s.path)
}
