package sqlite

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// TestReadSnapshot checks the lending read: nothing saved calls nothing,
// a saved blob is lent with its position, an error of the callback comes
// back as it is, and LoadSnapshot's blob is the caller's own.
func TestReadSnapshot(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	ok, err := s.ReadSnapshot(ctx, "m", func(domain.Position, []byte) error {
		t.Error("fn called for a name with nothing saved")
		return nil
	})
	if ok || err != nil {
		t.Fatalf("ReadSnapshot(missing): ok %v, err %v; want false, nil", ok, err)
	}
	want := bytes.Repeat([]byte("snapshot "), 100_000) // spans many overflow pages
	if err := s.SaveSnapshot(ctx, "m", domain.Position{Commit: 7, Prepare: 6}, want); err != nil {
		t.Fatal(err)
	}
	calls := 0
	ok, err = s.ReadSnapshot(ctx, "m", func(pos domain.Position, blob []byte) error {
		calls++
		if pos != (domain.Position{Commit: 7, Prepare: 6}) || !bytes.Equal(blob, want) {
			t.Errorf("lent position %v and %d bytes, want 7/6 and the %d saved", pos, len(blob), len(want))
		}
		return nil
	})
	if !ok || err != nil || calls != 1 {
		t.Fatalf("ReadSnapshot: ok %v, err %v, %d calls; want true, nil, 1", ok, err, calls)
	}
	boom := errors.New("boom")
	if ok, err := s.ReadSnapshot(ctx, "m", func(domain.Position, []byte) error { return boom }); !ok || err != boom {
		t.Errorf("ReadSnapshot with a failing fn: ok %v, err %v; want true and the fn's error unwrapped", ok, err)
	}
	_, first, _, err := s.LoadSnapshot(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	first[0] = 'X'
	if _, second, _, _ := s.LoadSnapshot(ctx, "m"); !bytes.Equal(second, want) {
		t.Error("changing one loaded blob changed the next one")
	}
}

// TestSaveSnapshotsAllOrNone: a batch whose third snapshot cannot be
// saved saves none of it: the snapshots the batch would have replaced
// keep their blobs, the new names stay unsaved, and the error names the
// snapshot refused and says what was kept (docs/STORAGE.md, the store
// port: SaveSnapshots).
func TestSaveSnapshotsAllOrNone(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	if err := s.SaveSnapshot(ctx, "kept", domain.Position{Commit: 1, Prepare: 1}, []byte("before")); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("b"), 3*snapshotPart) // saved in parts
	err := s.SaveSnapshots(ctx, []port.NamedSnapshot{
		{Name: "kept", Blob: []byte("after")},
		{Name: "new", Blob: big},
		{Name: "bad" + partSep + "1", Blob: []byte("x")},
	})
	if err == nil || !strings.Contains(err.Error(), `"bad`+partSep+`1"`) || !strings.Contains(err.Error(), "none of the batch was saved") {
		t.Fatalf("SaveSnapshots with a refused name: %v; want an error naming it and saying none of the batch was saved", err)
	}
	pos, blob, ok, err := s.LoadSnapshot(ctx, "kept")
	if err != nil || !ok || string(blob) != "before" || pos != (domain.Position{Commit: 1, Prepare: 1}) {
		t.Fatalf("kept after the refused batch: %q at %v (ok %v, %v), want \"before\" at 1/1", blob, pos, ok, err)
	}
	if _, _, ok, err := s.LoadSnapshot(ctx, "new"); ok || err != nil {
		t.Fatalf("new after the refused batch: ok %v, %v; want nothing saved", ok, err)
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM snapshots").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("%d snapshot rows after the refused batch, want the 1 saved before", rows)
	}
}
