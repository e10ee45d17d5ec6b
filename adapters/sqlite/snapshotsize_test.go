package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// TestSnapshotRewriteLeavesNoFreePages (issue 17): a read model saved again
// after new events, round after round, takes the place of the one before
// in the file. Two ledgers get the same events; one also saves a snapshot
// after every round, a little larger each time, as reports after new
// events do. The file that keeps snapshots may be larger by the snapshot
// it holds (its bytes, plus the 4-byte link of each overflow page), not by
// two snapshots, and holds next to no free pages.
func TestSnapshotRewriteLeavesNoFreePages(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func(name string) (*Store, *sql.DB) {
		path := filepath.Join(dir, name)
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close(); s.Close() })
		return s, raw
	}
	with, rawWith := open("with.db")
	without, rawWithout := open("without.db")
	pragma := func(db *sql.DB, p string) int64 {
		var n int64
		if err := db.QueryRow("PRAGMA " + p).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	rng := rand.New(rand.NewPCG(17, 2))
	size := 3 << 20
	for round := 0; round < 5; round++ {
		for i := 0; i < 200; i++ {
			ev := []domain.EventData{{ID: uuid.New(), Type: "T", Data: fmt.Appendf(nil, `{"round":%d,"i":%d,"pad":"%0300d"}`, round, i, i), Metadata: []byte(`{}`)}}
			for _, s := range []*Store{with, without} {
				if _, err := s.Append(ctx, fmt.Sprintf("s-%d", i%7), domain.Any, ev); err != nil {
					t.Fatal(err)
				}
			}
		}
		size += size / 20 // the read model grows with the events
		blob := make([]byte, size)
		for i := range blob {
			blob[i] = byte(rng.Uint32())
		}
		if err := with.SaveSnapshot(ctx, "m", domain.Position{Commit: uint64(200 * (round + 1)), Prepare: uint64(200 * (round + 1))}, blob); err != nil {
			t.Fatal(err)
		}
		page := pragma(rawWith, "page_size")
		extra := (pragma(rawWith, "page_count") - pragma(rawWithout, "page_count")) * page
		overflow := int64(size)/(page-4) + 1 // an overflow page holds page_size-4 bytes
		bound := int64(size) + overflow*4 + 8*page
		free := pragma(rawWith, "freelist_count") * page
		t.Logf("round %d: snapshot %d bytes, file larger by %d, %d bytes of free pages", round, size, extra, free)
		if extra > bound {
			t.Errorf("round %d: the file that keeps a snapshot of %d bytes is %d bytes larger than the one without, want at most %d", round, size, extra, bound)
		}
		if free > 8*page {
			t.Errorf("round %d: %d bytes of free pages after saving a snapshot of %d bytes", round, free, size)
		}
	}
}
