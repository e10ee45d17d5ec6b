package readmodel_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// TestSnapshotFromAnotherLogRefused saves, in one store, the snapshot
// folded from another store's events (as a forger copies a snapshots row
// from a falsified copy of the ledger): loading it is refused with a
// warning and the read model is rebuilt from this store's own events.
func TestSnapshotFromAnotherLogRefused(t *testing.T) {
	ctx := context.Background()
	real, _ := randomStore(t, 3, 4, 300)
	fake, _ := randomStore(t, 4, 4, 300)
	dir := t.TempDir()
	copyTo := func(src domain.EventStore, path string) *sqlite.Store {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := src.ReadAll(ctx, domain.Position{}, 0)
		for _, e := range evs {
			if _, err := s.Append(ctx, e.Stream, domain.Any, []domain.EventData{{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata}}); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	rs := copyTo(real, filepath.Join(dir, "real.db"))
	defer rs.Close()
	fs := copyTo(fake, filepath.Join(dir, "fake.db"))
	defer fs.Close()
	if _, err := readmodel.Open(ctx, fs, readmodel.Options{}); err != nil {
		t.Fatal(err)
	}
	pos, blob, ok, err := fs.LoadSnapshot(ctx, readmodel.DefaultSnapshotName)
	if err != nil || !ok {
		t.Fatalf("no snapshot in the fake: %v", err)
	}
	// The forger puts the fake's snapshot row in the real ledger.
	if err := rs.SaveSnapshot(ctx, readmodel.DefaultSnapshotName, pos, blob); err != nil {
		t.Fatal(err)
	}
	saved, problem, legacy, err := readmodel.CheckSnapshot(ctx, rs, "")
	if err != nil || !saved || problem == "" || legacy {
		t.Fatalf("CheckSnapshot = %v, %q, legacy %v, %v; want a refusal that is not legacy", saved, problem, legacy, err)
	}
	var warned string
	r, err := readmodel.Open(ctx, rs, readmodel.Options{Warn: func(m string) { warned = m }})
	if err != nil {
		t.Fatal(err)
	}
	if r.Restored() || !strings.Contains(warned, "refused") || r.SnapshotRefused() == "" {
		t.Fatalf("restored %v, warning %q: want the snapshot refused with a warning", r.Restored(), warned)
	}
	full, err := readmodel.Open(ctx, real, readmodel.Options{NoSnapshots: true})
	if err != nil {
		t.Fatal(err)
	}
	var got, want string
	r.View(func(l *projections.Ledger) error { got = projtest.Canonical(l); return nil })
	full.View(func(l *projections.Ledger) error { want = projtest.Canonical(l); return nil })
	if got != want {
		t.Fatal("the read model after the refusal is not the one folded from the store's own events")
	}
	// And the snapshot the rebuild saved is accepted next time.
	if saved, problem, _, err := readmodel.CheckSnapshot(ctx, rs, ""); err != nil || !saved || problem != "" {
		t.Fatalf("after the rebuild: %v, %q, %v", saved, problem, err)
	}
	r2, err := readmodel.Open(ctx, rs, readmodel.Options{})
	if err != nil || !r2.Restored() {
		t.Fatalf("second open: restored %v, %v", r2 != nil && r2.Restored(), err)
	}
}

// TestNoSaveUntilSaveNow: under NoSave nothing is saved while folding;
// SaveNow saves what was folded, and nothing when nothing was.
func TestNoSaveUntilSaveNow(t *testing.T) {
	ctx := context.Background()
	store, _ := randomStore(t, 5, 3, 200)
	snaps := &fakeSnapshots{}
	r, err := readmodel.Open(ctx, store, readmodel.Options{Snapshots: snaps, NoSave: true, SnapshotEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := snaps.LoadSnapshot(ctx, readmodel.DefaultSnapshotName); ok {
		t.Fatal("a snapshot was saved under NoSave")
	}
	if err := r.SaveNow(ctx); err != nil {
		t.Fatal(err)
	}
	pos, _, ok, _ := snaps.LoadSnapshot(ctx, readmodel.DefaultSnapshotName)
	if !ok || pos != r.Checkpoint() {
		t.Fatalf("SaveNow saved %v (ok %v), want the read model at %v", pos, ok, r.Checkpoint())
	}
	saves := snaps.saves
	if err := r.SaveNow(ctx); err != nil || snaps.saves != saves {
		t.Fatalf("SaveNow with nothing new saved again (%d saves, %v)", snaps.saves-saves, err)
	}
}
