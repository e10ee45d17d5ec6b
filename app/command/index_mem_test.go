package command

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/google/uuid"
)

// Issue 17: the ledger-wide index kept every command id in a Go map
// (about 45 MB at 670 000 commands, the largest part of an import's
// memory). docs/PERFORMANCE.md states its cost now: at most 24 bytes per
// command (a 16-byte id and a 4-byte agreement number in sorted arrays
// with at most 1/16 of room to grow, and at most 1/16 as many again in a
// small map of the newest ids, not yet merged). The test folds 300 000
// command ids over 1 000 agreements and measures the live heap.
func TestIndexMemoryPerCommand(t *testing.T) {
	const n, agreements = 300_000, 1000
	const perCommand = 24 // bytes, as stated in docs/PERFORMANCE.md
	streams := make([]string, agreements)
	for i := range streams {
		streams[i] = fmt.Sprintf("agreement-T-%d", i)
	}
	ids := make([]uuid.UUID, n)
	rng := rand.New(rand.NewPCG(17, 1))
	for i := range ids {
		binaryRand(rng, ids[i][:])
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := newLedgerIndex()
	for i, id := range ids {
		x.use(id, streams[i%agreements])
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	// The stream names and their numbering are per agreement, not per
	// command: allow them 200 bytes each.
	limit := int64(n*perCommand + agreements*200)
	t.Logf("index of %d command ids: %d bytes live, %.1f per command", n, grew, float64(grew)/n)
	if grew > limit {
		t.Fatalf("the index of %d command ids holds %d bytes (%.1f per command); docs/PERFORMANCE.md states at most %d per command", n, grew, float64(grew)/n, perCommand)
	}
	runtime.KeepAlive(x)
	runtime.KeepAlive(ids)
}

// The compact index answers as a map would (the oracle), across the
// merges of its newest ids into the sorted part.
func TestIndexAnswersLikeAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 2))
	x := newLedgerIndex()
	want := map[uuid.UUID]string{}
	var all []uuid.UUID
	for i := 0; i < 100_000; i++ {
		var id uuid.UUID
		if len(all) > 0 && rng.IntN(10) == 0 {
			id = all[rng.IntN(len(all))] // a command id used again
		} else {
			binaryRand(rng, id[:])
			all = append(all, id)
		}
		stream := fmt.Sprintf("agreement-M-%d", rng.IntN(300))
		x.use(id, stream)
		if _, ok := want[id]; !ok {
			want[id] = stream
		}
		if i%9973 == 0 {
			checkLikeMap(t, x, want, rng)
		}
	}
	checkLikeMap(t, x, want, rng)
}

func checkLikeMap(t *testing.T, x *ledgerIndex, want map[uuid.UUID]string, rng *rand.Rand) {
	t.Helper()
	for id, s := range want {
		n, ok := x.cmds.get(id)
		if !ok || x.streams[n] != s {
			t.Fatalf("command id %s: index gives (%v, %v), want stream %s", id, n, ok, s)
		}
	}
	for k := 0; k < 100; k++ {
		var id uuid.UUID
		binaryRand(rng, id[:])
		if _, used := want[id]; used {
			continue
		}
		if n, ok := x.cmds.get(id); ok {
			t.Fatalf("command id %s was never used, index gives stream %d", id, n)
		}
	}
}

func binaryRand(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}
