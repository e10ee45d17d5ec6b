package storetest

import (
	"bytes"
	"testing"

	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// testSnapshotBatch: SaveSnapshots (Offers.SnapshotBatches) saves every
// snapshot of the batch, each as SaveSnapshot would: a large blob whole,
// positions as given, a name given twice keeping its last blob, and a
// later batch replacing what an earlier one saved.
func testSnapshotBatch(t *testing.T, h *harness) {
	res := h.mustAppend(t, h.stream("a"), domain.NoStream, events("a", 1))
	evs := h.readAllOurs(t, domain.Position{})
	if len(evs) != 1 {
		t.Fatalf("read %d events of the case, want the 1 appended (%v)", len(evs), res)
	}
	pos := evs[0].Position
	large := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16) // 3 MiB: more than one row or page of any store
	large[len(large)-1] = 'z'
	first := []port.NamedSnapshot{
		{Name: h.prefix + "one", Position: pos, Blob: []byte("first of one")},
		{Name: h.prefix + "large", Blob: large},
		{Name: h.prefix + "one", Position: pos, Blob: []byte("second of one")},
		{Name: h.prefix + "empty", Blob: []byte{}},
	}
	if err := h.store.SaveSnapshots(h.ctx, first); err != nil {
		t.Fatalf("SaveSnapshots of %d: %v", len(first), err)
	}
	want := func(name string, p domain.Position, blob []byte) {
		t.Helper()
		gotPos, got, ok, err := h.store.LoadSnapshot(h.ctx, h.prefix+name)
		if err != nil || !ok {
			t.Fatalf("LoadSnapshot(%s) after SaveSnapshots: ok %v, %v", name, ok, err)
		}
		if gotPos != p || !bytes.Equal(got, blob) {
			t.Fatalf("LoadSnapshot(%s): position %v and %d bytes (%.20q), want %v and %d bytes (%.20q)", name, gotPos, len(got), got, p, len(blob), blob)
		}
	}
	want("one", pos, []byte("second of one"))
	want("large", domain.Position{}, large)
	want("empty", domain.Position{}, []byte{})
	if err := h.store.SaveSnapshots(h.ctx, []port.NamedSnapshot{{Name: h.prefix + "large", Blob: []byte("small now")}}); err != nil {
		t.Fatalf("SaveSnapshots replacing one: %v", err)
	}
	want("large", domain.Position{}, []byte("small now"))
	want("one", pos, []byte("second of one"))
	if err := h.store.SaveSnapshots(h.ctx, nil); err != nil {
		t.Fatalf("SaveSnapshots of none: %v", err)
	}
}
