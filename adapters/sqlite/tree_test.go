package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// libraryRoot is the root the library computes over the events read back.
func libraryRoot(t *testing.T, s *Store) (int64, merkle.Hash) {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var hs []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hs[x]
		}
		return out, nil
	})
	for i, e := range evs {
		h, err := tlog.StoredHashes(int64(i), merkle.LeafBytes(e), r)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h...)
	}
	root, err := tlog.TreeHash(int64(len(evs)), r)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(evs)), root
}

// TestOlderFileGetsItsTree makes a file of schema version 2 (a version 3
// file whose tree tables are dropped, as a file written before this
// change has none) and opens it: the tree is built, the file says from
// which position it was sealed, and appends go on extending the tree.
func TestOlderFileGetsItsTree(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		if _, err := s.Append(ctx, fmt.Sprintf("grantledger-agreement-%d", i%3), domain.Any, evs(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	db, err := sql.Open(defaultDriver, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE tree; DROP TABLE log_info; PRAGMA user_version = 2"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	var calls int
	var last [2]int64
	s, err = Open(path, WithTreeProgress(func(done, total int64) { calls++; last = [2]int64{done, total} }))
	if err != nil {
		t.Fatalf("open a version 2 file: %v", err)
	}
	defer s.Close()
	if calls == 0 || last != [2]int64{28, 28} {
		t.Errorf("progress: %d calls, last %v; want at least one, ending at 28 of 28", calls, last)
	}
	if v, _ := fileFacts(t, path); v != 3 {
		t.Errorf("schema version %d after the upgrade, want 3", v)
	}
	sealed, err := s.Sealed(ctx)
	if err != nil || sealed != 28 {
		t.Errorf("Sealed = %d, %v; want 28 (the events the file held)", sealed, err)
	}
	n, want := libraryRoot(t, s)
	got, err := merkle.Root(ctx, s, n)
	if err != nil || got != want {
		t.Fatalf("root after the upgrade = %s, %v; the library says %s", got, err, want)
	}
	if _, err := s.Append(ctx, "grantledger-agreement-9", domain.NoStream, evs(3)); err != nil {
		t.Fatal(err)
	}
	n, want = libraryRoot(t, s)
	if got, err := merkle.Root(ctx, s, n); err != nil || got != want || n != 31 {
		t.Fatalf("root after one more append = %s, %v at %d; the library says %s", got, err, n, want)
	}
}

// TestTreeFollowsAnotherProcess appends through two stores on one file,
// as two processes would: each must extend the tree the other left.
func TestTreeFollowsAnotherProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "two.db")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 10 {
		w := a
		if i%3 == 1 {
			w = b
		}
		if _, err := w.Append(ctx, "grantledger-agreement-x", domain.Any, evs(i%4+1)); err != nil {
			t.Fatal(err)
		}
	}
	n, want := libraryRoot(t, a)
	for _, s := range []*Store{a, b} {
		if got, err := merkle.Root(ctx, s, n); err != nil || got != want {
			t.Fatalf("root = %s, %v; the library says %s", got, err, want)
		}
	}
}
