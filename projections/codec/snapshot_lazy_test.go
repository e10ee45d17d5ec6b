package codec_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// catchUp folds into l every event of store after l's position.
func catchUp(t *testing.T, store *memstore.Store, l *projections.Ledger) int {
	t.Helper()
	evs, err := store.ReadAll(context.Background(), l.Position(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	dec := codec.NewDecoder(nil)
	for _, e := range evs {
		pe, err := dec.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		l.Apply(pe)
	}
	return len(evs)
}

func restore(t *testing.T, blob []byte) *projections.Ledger {
	t.Helper()
	l, err := codec.Restore(blob)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func marshal(t *testing.T, l *projections.Ledger) []byte {
	t.Helper()
	blob, err := codec.Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

// same fails unless got answers everything exactly as want does: every
// report (projtest.Canonical), and the audit rows field by field.
func same(t *testing.T, what string, got, want *projections.Ledger) {
	t.Helper()
	if g, w := got.AuditRows(), want.AuditRows(); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: audit rows differ (%d rows, want %d)", what, len(g), len(w))
	}
	if g, w := projtest.Canonical(got), projtest.Canonical(want); g != w {
		t.Fatalf("%s: read models differ:\n got %.300s\nwant %.300s", what, g, w)
	}
}

// TestLazyAuditEqualsEager restores random read models from their
// snapshots, which leaves the audit trail encoded (a ledger holds it so
// whether folded or restored: only the open block of rows folded since is
// held as structs), and checks against the read model folded from the
// events: the audit rows read first, events folded before the rows are
// read, a new snapshot written without decoding anything (the old section
// kept, the new rows as one more chunk), reading the rows changing nothing
// (queries keep nothing decoded), and generation after generation of that
// until the chunks are merged.
func TestLazyAuditEqualsEager(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run("seed "+string(rune('0'+seed)), func(t *testing.T) {
			store := memstore.New()
			svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
			rng := rand.New(rand.NewPCG(seed, 5))
			projtest.Random(ctx, svc, rng, 3, 200)
			eager := projections.NewLedger(time.Time{})
			catchUp(t, store, eager)
			blob := marshal(t, eager)

			t.Run("audit rows read first", func(t *testing.T) {
				l := restore(t, blob)
				if n := codec.AuditHeld(l); n != 0 {
					t.Fatalf("restored ledger holds %d audit rows decoded before any was needed", n)
				}
				same(t, "restored", l, eager)
				if n := codec.AuditHeld(l); n != 0 {
					t.Errorf("restored ledger kept %d audit rows decoded after AuditRows", n)
				}
			})

			lazy := restore(t, blob)
			projtest.Random(ctx, svc, rng, 1, 60)
			n := catchUp(t, store, lazy)
			if n == 0 {
				t.Fatal("no new events to fold")
			}
			catchUp(t, store, eager)
			if held := codec.AuditHeld(lazy); held != n {
				t.Fatalf("after folding %d events into a restored ledger it holds %d audit rows decoded, want those %d", n, held, n)
			}
			again := marshal(t, lazy)
			if held := codec.AuditHeld(lazy); held != n {
				t.Errorf("Encode changed the rows held decoded: %d, want %d", held, n)
			}
			if v, chunks := codec.SnapshotAuditChunks(again); v != 6 || chunks != 2 {
				t.Errorf("snapshot after folding new events: version %d with %d audit chunks, want 6 with 2", v, chunks)
			}
			same(t, "events folded after the restore, before the rows were read", lazy, eager)
			same(t, "restored from a snapshot of a restored ledger", restore(t, again), eager)
			// Reading the rows decoded nothing for good: the same audit
			// section (the views' gob holds maps, in no fixed order).
			if read, before := codec.SnapshotAuditSection(marshal(t, lazy)), codec.SnapshotAuditSection(again); len(before) == 0 || !bytes.Equal(read, before) {
				t.Errorf("the audit section after the rows were read differs from the one before (%d bytes, %d before)", len(read), len(before))
			}
			// More events fold after the restored chunks.
			projtest.Random(ctx, svc, rng, 1, 40)
			catchUp(t, store, lazy)
			catchUp(t, store, eager)
			same(t, "the restored ledger after more events", lazy, eager)
			same(t, "restored after more events", restore(t, marshal(t, lazy)), eager)

			// Generations: restore, fold a few events, snapshot, until the
			// chunks are merged.
			blob, chunks, merged := again, 2, false
			for gen := 0; gen < codec.MaxAuditChunks+2; gen++ {
				l := restore(t, blob)
				for catchUp(t, store, l) == 0 { // some random commands are refused
					projtest.Random(ctx, svc, rng, 1, 3)
				}
				catchUp(t, store, eager)
				blob = marshal(t, l)
				want := chunks + 1
				if chunks == codec.MaxAuditChunks {
					want, merged = 1, true
				}
				if _, chunks = codec.SnapshotAuditChunks(blob); chunks != want {
					t.Fatalf("generation %d: %d audit chunks, want %d", gen, chunks, want)
				}
				if gen%8 == 0 || chunks == 1 {
					same(t, "a later generation", restore(t, blob), eager)
				}
			}
			if !merged {
				t.Error("the audit chunks were never merged")
			}
			same(t, "the last generation", restore(t, blob), eager)
		})
	}
}

// TestLazyAuditConcurrentReaders reads the audit trail of a restored
// ledger from several goroutines at once (run with -race): each decodes
// the chunks it reads (the restored section is split into its chunks by
// the first), every one sees all of it.
func TestLazyAuditConcurrentReaders(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
	projtest.Random(ctx, svc, rand.New(rand.NewPCG(9, 9)), 3, 300)
	eager := projections.NewLedger(time.Time{})
	catchUp(t, store, eager)
	want := eager.AuditRows()
	l := restore(t, marshal(t, eager))
	var wg sync.WaitGroup
	got := make([][]projections.AuditRow, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				got[i] = l.AuditRows()
			} else {
				got[i] = l.Audit(projections.AuditFilter{}).Rows
			}
		}()
	}
	wg.Wait()
	for i, g := range got {
		if !reflect.DeepEqual(g, want) {
			t.Errorf("reader %d saw %d rows, want the %d of the folded ledger", i, len(g), len(want))
		}
	}
}

// TestSnapshotChunkCounts: a snapshot counts only the audit chunks it
// holds: none for an empty ledger, and no extra chunk for a restored
// ledger snapshotted again before any new event; each restores to the
// same read model.
func TestSnapshotChunkCounts(t *testing.T) {
	empty := projections.NewLedger(time.Time{})
	blob := marshal(t, empty)
	if v, chunks := codec.SnapshotAuditChunks(blob); v != 6 || chunks != 0 {
		t.Errorf("empty ledger: version %d with %d audit chunks, want 6 with 0", v, chunks)
	}
	same(t, "empty ledger restored", restore(t, blob), empty)

	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
	projtest.Random(ctx, svc, rand.New(rand.NewPCG(9, 9)), 2, 50)
	eager := projections.NewLedger(time.Time{})
	catchUp(t, store, eager)
	blob = marshal(t, eager)
	again := marshal(t, restore(t, blob)) // restored, nothing folded, rows not read
	if v, chunks := codec.SnapshotAuditChunks(again); v != 6 || chunks != 1 {
		t.Errorf("restored ledger snapshotted again with no new event: version %d with %d audit chunks, want 6 with 1", v, chunks)
	}
	same(t, "restored from the second snapshot", restore(t, again), eager)
}
