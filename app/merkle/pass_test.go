package merkle_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// libraryRoot is the oracle: the root tlog builds over the canonical bytes
// of the events read back (tlog.StoredHashes, then tlog.TreeHash).
func libraryRoot(t *testing.T, evs []domain.RecordedEvent) merkle.Hash {
	t.Helper()
	var stored []merkle.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]merkle.Hash, error) {
		out := make([]merkle.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, e := range evs {
		hs, err := tlog.StoredHashes(int64(i), merkle.LeafBytes(e), r)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	root, err := tlog.TreeHash(int64(len(evs)), r)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func readAll(t *testing.T, s domain.EventStore) []domain.RecordedEvent {
	t.Helper()
	var out []domain.RecordedEvent
	var from domain.Position
	for {
		evs, err := s.ReadAll(context.Background(), from, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		from = evs[len(evs)-1].Position
	}
}

// check runs a LeafCheck from last over the events after it, in batches of
// size batch, as the read model's catch-up hands them over.
func check(t *testing.T, s domain.EventStore, l merkle.Tree, last merkle.Verified, batch int) (merkle.Verified, *merkle.Bad) {
	t.Helper()
	ctx := context.Background()
	c, bad, err := merkle.NewLeafCheck(ctx, l, last, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bad != nil {
		return merkle.Verified{}, bad
	}
	from, _ := merkle.PositionOf(ctx, l, last.Size)
	for {
		evs, err := s.ReadAll(ctx, from, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		if bad, err := c.Check(evs); err != nil {
			t.Fatal(err)
		} else if bad != nil {
			return merkle.Verified{}, bad
		}
		from = evs[len(evs)-1].Position
	}
	v, bad, err := c.Done()
	if err != nil {
		t.Fatal(err)
	}
	return v, bad
}

func TestLeafHasherIsTheLibrarysRecordHash(t *testing.T) {
	var h merkle.LeafHasher
	evs := []domain.RecordedEvent{
		{Stream: "s", ID: uuid.New(), Type: "T", Data: []byte(`{"a":1}`), Metadata: []byte(`{}`), Created: time.Unix(5, 6)},
		{Stream: "", Type: "", Data: nil, Metadata: nil, Created: time.Unix(0, 0)},
		{Stream: "agreement-ÄĀ", Revision: 1 << 40, ID: uuid.New(), Type: "SpendingRecorded", Data: make([]byte, 5000), Metadata: []byte(`{"hash":"x"}`), Created: time.Date(2026, 11, 30, 23, 0, 0, 1, time.FixedZone("x", 3600))},
	}
	for i := range evs {
		if got, want := h.Hash(&evs[i]), tlog.RecordHash(merkle.LeafBytes(evs[i])); got != want {
			t.Errorf("event %d: LeafHasher %s, tlog.RecordHash(LeafBytes) %s", i, got, want)
		}
	}
}

func TestLeafCheckOverBatches(t *testing.T) {
	ctx := context.Background()
	s := filledStore(t, 40)
	all := readAll(t, s)
	for _, from := range []int64{0, 1, 6, 16, 20, 39, 40} {
		root, _ := merkle.Root(ctx, s, from)
		last := merkle.Verified{Size: from, Root: root}
		for _, batch := range []int{1, 5, 4096} {
			v, bad := check(t, s, s, last, batch)
			if bad != nil || v.Size != 40 || v.Root != libraryRoot(t, all) {
				t.Fatalf("from %d, batches of %d: %+v %+v, want size 40 and the library's root", from, batch, v, bad)
			}
		}
	}
	// An edited event (position 13, leaf 12) is named when it is after the
	// starting point.
	ed := editing{s, 13}
	for _, batch := range []int{1, 5, 4096} {
		if _, bad := check(t, ed, s, merkle.Verified{}, batch); bad == nil || bad.Index != 12 || bad.Position.Commit != 13 {
			t.Fatalf("batches of %d: an edited event at leaf 12 gave %+v", batch, bad)
		}
	}
}

// tamperedTree changes one stored hash as it is read.
type tamperedTree struct {
	*memstore.Store
	at int64
}

func (s tamperedTree) ReadTreeHashes(ctx context.Context, idx []int64) ([]merkle.Hash, error) {
	hs, err := s.Store.ReadTreeHashes(ctx, idx)
	for i, x := range idx {
		if x == s.at {
			hs[i][0] ^= 1
		}
	}
	return hs, err
}

// A stored tree whose leaves are right but whose hash above them is not
// (the root's 32-leaf subtree of a 40-leaf tree) is caught at the end: the
// root recomputed from the events is not the stored one.
func TestLeafCheckRecomputesTheRoot(t *testing.T) {
	s := filledStore(t, 40)
	v, bad := check(t, s, tamperedTree{s, tlog.StoredHashIndex(5, 0)}, merkle.Verified{}, 4096)
	if bad == nil || bad.Index != 40 {
		t.Fatalf("a rewritten 32-leaf subtree hash: %+v %+v, want a break at 40", v, bad)
	}
}

// On the embedded store every stored hash a leaf completes is compared,
// from the tree rows.
func TestLeafCheckComparesEveryTreeRow(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		leaf  int64
		level int
		want  int64 // the leaf named
	}{
		{"a leaf hash", 9, 0, 9},
		{"a level-2 node", 11, 2, 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "l.db")
			s, err := sqlite.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 20; i++ {
				if _, err := s.Append(ctx, fmt.Sprintf("s-%d", i%3), domain.Any,
					[]domain.EventData{{ID: uuid.New(), Type: "T", Data: []byte(fmt.Sprintf(`{"i":%d}`, i)), Metadata: []byte(`{}`)}}); err != nil {
					t.Fatal(err)
				}
			}
			if v, bad := check(t, s, s, merkle.Verified{}, 4); bad != nil || v.Root != libraryRoot(t, readAll(t, s)) {
				t.Fatalf("intact: %+v %+v", v, bad)
			}
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, q := range []string{
				`DROP TRIGGER tree_no_update`,
				fmt.Sprintf(`UPDATE tree SET hash = substr(hash, 1, %d) || zeroblob(32) || substr(hash, %d) WHERE idx = %d`, 32*tc.level, 32*tc.level+33, tc.leaf),
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			if _, bad := check(t, s, s, merkle.Verified{}, 4); bad == nil || bad.Index != tc.want {
				t.Fatalf("tree row %d changed at level %d: %+v, want leaf %d named", tc.leaf, tc.level, bad, tc.want)
			}
			s.Close()
		})
	}
}
