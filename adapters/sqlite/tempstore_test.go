package sqlite

import (
	"context"
	"testing"
)

// TestWriterTempStoreInMemory: the writer connection keeps its statement
// journals (and any temporary table) in memory, so that a multi-row
// INSERT's journal never becomes a file created and removed in every
// commit; the readers keep SQLite's default (0, DEFAULT: files past the
// cache), so a large sort of a read does not grow the process instead.
// TestBatchRunWithAConstraintFailure checks that a statement the
// journal undoes is still undone alone.
func TestWriterTempStoreInMemory(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var w, r int
	if err := s.w.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&w); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&r); err != nil {
		t.Fatal(err)
	}
	if w != 2 || r != 0 {
		t.Errorf("temp_store: writer %d, reader %d; want 2 (MEMORY) and 0 (DEFAULT)", w, r)
	}
}
