package readmodel_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// A forger who has read the code folds a snapshot from a falsified copy of
// the events (here: one spending left out) and writes this log's own size
// and root into its header, so the header check passes (docs/PROOFS.md,
// threat model). verify's snapshot check (CheckSnapshot) must still see
// that the read model is not the fold of the events up to its position;
// the honest snapshot passes.
func TestSnapshotWithTheRealRootButForgedFiguresRefusedByCheck(t *testing.T) {
	ctx := context.Background()
	mem, _ := randomStore(t, 3, 4, 300)
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, _ := mem.ReadAll(ctx, domain.Position{}, 0)
	for _, e := range evs {
		if _, err := s.Append(ctx, e.Stream, domain.Any, []domain.EventData{{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := readmodel.Open(ctx, s, readmodel.Options{}); err != nil {
		t.Fatal(err)
	}
	if saved, problem, _, err := readmodel.CheckSnapshot(ctx, s, ""); err != nil || !saved || problem != "" {
		t.Fatalf("the honest snapshot: saved %v, problem %q, %v", saved, problem, err)
	}
	pos, blob, _, err := s.LoadSnapshot(ctx, readmodel.DefaultSnapshotName)
	if err != nil {
		t.Fatal(err)
	}
	// Fold every event but one spending, to the same position.
	all, _ := s.ReadAll(ctx, domain.Position{}, 0)
	dec := codec.NewDecoder(nil)
	forged := projections.NewLedger(time.Time{})
	left := false
	for _, e := range all {
		if !left && e.Type == domain.TypeSpendingRecorded {
			left = true
			continue
		}
		pe, err := dec.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		forged.Apply(pe)
	}
	if !left || forged.Position() != pos {
		t.Fatalf("forgery: left out a spending %v, position %v want %v", left, forged.Position(), pos)
	}
	inner, err := codec.Encode(forged)
	if err != nil {
		t.Fatal(err)
	}
	// The header, as treebind.go documents it: "GLTREE1\n", the tree
	// size (8 bytes), the root (32 bytes).
	header := blob[:len("GLTREE1\n")+8+32]
	if err := s.SaveSnapshot(ctx, readmodel.DefaultSnapshotName, pos, append(append([]byte(nil), header...), inner...)); err != nil {
		t.Fatal(err)
	}
	if size, root, ok, err := readmodel.SnapshotTree(ctx, s, ""); err != nil || !ok {
		t.Fatalf("the forged snapshot's header: %v %v", ok, err)
	} else if want, _ := merkle.Root(ctx, s, size); want != root {
		t.Fatal("the forged header does not carry the real root: the test forges the wrong thing")
	}
	saved, problem, legacy, err := readmodel.CheckSnapshot(ctx, s, "")
	if err != nil || !saved || problem == "" || legacy {
		t.Fatalf("CheckSnapshot of a snapshot with the real root but forged figures: saved %v, problem %q, legacy %v, %v; want it refused", saved, problem, legacy, err)
	}
}

// The refold finds honest snapshots equal, whatever the ledger holds.
func TestHonestSnapshotsPassTheRefold(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 4; seed++ {
		mem, _ := randomStore(t, seed, 5, 400)
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "l.db"))
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := mem.ReadAll(ctx, domain.Position{}, 0)
		for _, e := range evs {
			if _, err := s.Append(ctx, e.Stream, domain.Any, []domain.EventData{{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := readmodel.Open(ctx, s, readmodel.Options{}); err != nil {
			t.Fatal(err)
		}
		saved, problem, _, err := readmodel.CheckSnapshot(ctx, s, "")
		s.Close()
		if err != nil || !saved || problem != "" {
			t.Fatalf("seed %d (%d events): saved %v, problem %q, %v", seed, len(evs), saved, problem, err)
		}
	}
}
