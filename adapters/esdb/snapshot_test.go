package esdb_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/esdb"
	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// recordSeed writes seed 004's ledger to store.
func recordSeed(t *testing.T, store *esdb.Store) {
	t.Helper()
	clock := projtest.NewClock(time.Date(2022, 7, 15, 9, 0, 0, 0, time.UTC))
	if err := projtest.RecordSeed004(ctxT(t), command.New(store, command.Options{Clock: clock.Now}), clock); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotSparesReplay: a new process (a new store, the same
// snapshot directory) restores the read model from the snapshot the last
// one saved and folds no event again; the restored model equals a rebuild.
func TestSnapshotSparesReplay(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	dir := t.TempDir()
	url := srv.URL() + "&snapshotDir=" + dir
	s1 := mustOpen(t, url)
	recordSeed(t, s1)
	r1, err := readmodel.Open(ctxT(t), s1, readmodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Restored() {
		t.Error("first open restored a snapshot, want a rebuild")
	}
	want := r1.Checkpoint()
	s1.Close()

	s2 := mustOpen(t, url)
	defer s2.Close()
	n := 0
	r2, err := readmodel.Open(ctxT(t), s2, readmodel.Options{OnApply: func(projections.Event) { n++ }})
	if err != nil {
		t.Fatal(err)
	}
	if !r2.Restored() || r2.Checkpoint() != want || n != 0 {
		t.Errorf("new process: restored %v at %v after folding %d events, want restored at %v after 0", r2.Restored(), r2.Checkpoint(), n, want)
	}
	rebuilt, err := readmodel.Open(ctxT(t), s2, readmodel.Options{NoSnapshots: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, exp := marshal(t, r2), marshal(t, rebuilt); got != exp || got == "" {
		t.Error("the restored read model differs from a rebuild")
	}
}

// TestSnapshotBoundToItsLog: a snapshot file from another database (here
// another server, its file copied to where this one looks) is not applied:
// the event at its position is not the one it names, so the read model is
// rebuilt from this log's events.
func TestSnapshotBoundToItsLog(t *testing.T) {
	dir := t.TempDir()
	a := startServer(t, esdbtest.Options{})
	sa := mustOpen(t, a.URL()+"&snapshotDir="+dir)
	defer sa.Close()
	recordSeed(t, sa)
	if _, err := readmodel.Open(ctxT(t), sa, readmodel.Options{}); err != nil {
		t.Fatal(err)
	}

	b := startServer(t, esdbtest.Options{})
	sb := mustOpen(t, b.URL()+"&snapshotDir="+dir)
	defer sb.Close()
	recordSeed(t, sb) // the same commands, other event ids: positions alike
	from, to := sa.SnapshotPath(readmodel.DefaultSnapshotName), sb.SnapshotPath(readmodel.DefaultSnapshotName)
	raw, err := os.ReadFile(from)
	if err != nil {
		t.Fatalf("server A's snapshot: %v", err)
	}
	if err := os.WriteFile(to, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := readmodel.Open(ctxT(t), sb, readmodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Restored() {
		t.Error("a snapshot of another log was restored")
	}
	if filepath.Dir(from) != dir {
		t.Errorf("snapshot written to %s, want under %s", from, dir)
	}
}

// TestSnapshotDamagedIgnored: a damaged snapshot file is ignored, not an
// error: the read model is rebuilt.
func TestSnapshotDamagedIgnored(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	dir := t.TempDir()
	s := mustOpen(t, srv.URL()+"&snapshotDir="+dir)
	defer s.Close()
	recordSeed(t, s)
	if _, err := readmodel.Open(ctxT(t), s, readmodel.Options{}); err != nil {
		t.Fatal(err)
	}
	path := s.SnapshotPath(readmodel.DefaultSnapshotName)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 0xff
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := readmodel.Open(ctxT(t), s, readmodel.Options{})
	if err != nil || r.Restored() {
		t.Errorf("damaged snapshot: restored %v, err %v; want a rebuild", r != nil && r.Restored(), err)
	}
}

func marshal(t *testing.T, r *readmodel.Runner) string {
	t.Helper()
	var out string
	r.View(func(l *projections.Ledger) error { out = projtest.Canonical(l); return nil })
	return out
}
