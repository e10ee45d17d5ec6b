package storetest

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// testNotOfferedSaysSo checks every store against its own Offers: a
// method of a capability the store does not offer answers a
// *domain.NotOfferedError (errors.Is domain.ErrNotOffered) and writes
// nothing, so that a caller that skipped Offers learns what is missing
// instead of getting a wrong answer.
func testNotOfferedSaysSo(t *testing.T, h *harness) {
	o := h.store.Offers()
	a := h.stream("a")
	h.mustAppend(t, a, domain.NoStream, events("a", 1))
	notOffered := func(method string, err error) {
		t.Helper()
		var ne *domain.NotOfferedError
		if !errors.Is(err, domain.ErrNotOffered) || !errors.As(err, &ne) || ne.Method != method {
			t.Errorf("%T offers no %s (Offers %+v), but it answered %v, want a *domain.NotOfferedError naming it", h.store, method, o, err)
		}
	}
	req := []domain.AppendRequest{{Stream: h.stream("b"), Expected: domain.NoStream, Events: events("b", 1)}}
	if !o.Batch {
		_, err := h.store.AppendBatch(h.ctx, req)
		notOffered("AppendBatch", err)
	}
	if !o.Guards {
		_, err := h.store.AppendGuarded(h.ctx, req, domain.AppendGuard{})
		notOffered("AppendGuarded", err)
	}
	if !o.Batch || !o.Guards {
		if _, err := h.store.ReadStream(h.ctx, req[0].Stream, 0, domain.Forwards, 1); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("a batch the store does not offer wrote %s (ReadStream: %v)", req[0].Stream, err)
		}
	}
	if !o.Snapshots {
		notOffered("SaveSnapshot", h.store.SaveSnapshot(h.ctx, h.prefix+"snap", domain.Position{}, []byte("x")))
		_, _, _, err := h.store.LoadSnapshot(h.ctx, h.prefix+"snap")
		notOffered("LoadSnapshot", err)
	}
	if !o.SnapshotBatches {
		notOffered("SaveSnapshots", h.store.SaveSnapshots(h.ctx, []port.NamedSnapshot{{Name: h.prefix + "batch", Blob: []byte("x")}}))
		if o.Snapshots {
			if _, _, ok, err := h.store.LoadSnapshot(h.ctx, h.prefix+"batch"); ok || err != nil {
				t.Errorf("a snapshot batch the store does not offer saved %sbatch (LoadSnapshot: ok %v, %v)", h.prefix, ok, err)
			}
		}
	}
	if !o.LendsSnapshots {
		_, err := h.store.ReadSnapshot(h.ctx, h.prefix+"snap", func(domain.Position, []byte) error { return nil })
		notOffered("ReadSnapshot", err)
	}
	if !o.LendsPages {
		_, _, err := h.store.ReadAllInto(h.ctx, domain.Position{}, 1, nil, nil)
		notOffered("ReadAllInto", err)
	}
	if !o.TreeRange {
		notOffered("ReadTreeRange", h.store.ReadTreeRange(h.ctx, 0, func(int64, merkle.Hash) bool { return true }))
	}
	if !o.TreeRows {
		notOffered("ReadTreeRows", h.store.ReadTreeRows(h.ctx, 0, 1, func(int64, []byte) error { return nil }))
	}
	if !o.Backup {
		notOffered("Backup", h.store.Backup(h.ctx, filepath.Join(t.TempDir(), "copy.db")))
	}
	if !o.Guards && h.store.GuardsUnderLock() {
		t.Errorf("%T offers no guards but says it checks them under its lock", h.store)
	}
}
