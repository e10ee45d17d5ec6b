package storetest

import (
	"context"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// testKeepsTree checks a store that keeps the Merkle log (Factory.KeepsTree)
// after single appends, a refused append, a retry, a batch with a failing
// request, and a reopen: its tree must be the one the library
// (golang.org/x/mod/sumdb/tlog) builds over the canonical bytes of every
// event read back in global order, hash for hash, with the same root.
func testKeepsTree(t *testing.T, h *harness) {
	if !h.f.KeepsTree {
		t.Fatalf("%T is not declared to keep the Merkle log (Factory.KeepsTree); Run registers this case only for such stores", h.store)
	}
	a, b := h.stream("a"), h.stream("b")
	h.mustAppend(t, a, domain.NoStream, events("a", 3))
	retry := events("b", 2)
	h.mustAppend(t, b, domain.NoStream, retry)
	h.mustAppend(t, b, domain.NoStream, retry) // identical retry: writes nothing
	if _, err := h.store.Append(h.ctx, a, domain.Exact(0), events("x", 2)); err == nil {
		t.Fatal("append with a stale revision was accepted")
	}
	h.mustAppend(t, a, domain.Exact(2), events("a2", 1))
	h.checkTree(t)
	if h.store.Offers().Batch {
		c := h.stream("c")
		_, err := h.store.AppendBatch(h.ctx, []domain.AppendRequest{
			{Stream: c, Expected: domain.NoStream, Events: events("c", 4)},
			{Stream: a, Expected: domain.Exact(0), Events: events("stale", 2)}, // fails, writes nothing
			{Stream: b, Expected: domain.Exact(1), Events: events("b2", 3)},
		})
		if err != nil {
			t.Fatalf("AppendBatch: %v", err)
		}
		h.checkTree(t)
	}
	if h.f.Reopen != nil {
		h.store = h.f.Reopen(t, h.store)
		h.checkTree(t)
		h.mustAppend(t, a, domain.Exact(3), events("a3", 5))
		h.checkTree(t)
	}
}

// checkTree compares the store's tree with the library's over all its
// events.
func (h *harness) checkTree(t *testing.T) {
	t.Helper()
	var all []domain.RecordedEvent
	var from domain.Position
	for range 100_000 {
		page, err := h.store.ReadAll(h.ctx, from, pageSize)
		if err != nil {
			t.Fatalf("ReadAll: %v", err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		from = page[len(page)-1].Position
	}
	var lib memHashes
	for i, e := range all {
		hs, err := tlog.StoredHashes(int64(i), merkle.LeafBytes(e), lib)
		if err != nil {
			t.Fatal(err)
		}
		lib = append(lib, hs...)
	}
	var l merkle.Log = h.store
	n, err := l.TreeSize(h.ctx)
	if err != nil {
		t.Fatalf("TreeSize: %v", err)
	}
	if n != int64(len(all)) {
		t.Fatalf("TreeSize = %d, but the store holds %d events", n, len(all))
	}
	idx := make([]int64, len(lib))
	for i := range idx {
		idx[i] = int64(i)
	}
	got, err := l.ReadTreeHashes(h.ctx, idx)
	if err != nil {
		t.Fatalf("ReadTreeHashes: %v", err)
	}
	for i := range lib {
		if got[i] != lib[i] {
			t.Fatalf("stored hash %d of %d: store has %s, library computes %s", i, len(lib), got[i], lib[i])
		}
	}
	want, err := tlog.TreeHash(n, lib)
	if err != nil {
		t.Fatal(err)
	}
	root, err := merkle.Root(context.Background(), l, n)
	if err != nil || root != want {
		t.Fatalf("root of %d leaves = %s, %v; library says %s", n, root, err, want)
	}
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}
