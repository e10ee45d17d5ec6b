package command

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// encodeV1 writes the body of a version 1 index snapshot as the program
// at e78bc84 did (every command id in it), so that tests can hand the
// loader an old snapshot.
func (x *ledgerIndex) encodeV1() []byte {
	x.cmds.merge()
	n := len(x.cmds.ids)
	b := binary.AppendUvarint(nil, uint64(len(x.streams)))
	for _, s := range x.streams {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(n))
	for _, id := range x.cmds.ids {
		b = append(b, id[:]...)
	}
	for _, s := range x.cmds.strm {
		b = binary.AppendUvarint(b, uint64(s))
	}
	ids := slices.SortedFunc(maps.Keys(x.more), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = append(b, id[:]...)
		b = binary.AppendUvarint(b, uint64(len(x.more[id])))
		for _, s := range x.more[id] {
			b = appendString(b, s)
		}
	}
	b = appendMap(b, x.numbers)
	b = appendMap(b, x.keys)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// A version 1 body (every id) decodes into an index that answers as a
// map would (the oracle of TestIndexAnswersLikeAMap), with its further
// streams, agreement numbers and number keys; the names part and
// directory of a version 2 body decode likewise; every truncation of
// either encoding is refused.
func TestIndexCodecRoundTripsLikeAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 3))
	x := newLedgerIndex()
	want := map[uuid.UUID]string{}
	for i := 0; i < 30_000; i++ {
		var id uuid.UUID
		binaryRand(rng, id[:])
		stream := fmt.Sprintf("agreement-M-%d", rng.IntN(300))
		x.use(id, stream)
		want[id] = stream
	}
	var twice uuid.UUID
	for id := range want {
		twice = id
		break
	}
	x.use(twice, "agreement-legacy") // a ledger from before the rule
	x.register("agreement-M-1", "KNVOC-2022-2025")
	x.pos = domain.Position{Commit: 30_002, Prepare: 30_002}
	body := x.encodeV1()
	y, err := decodeIndexV1(body, x.pos)
	if err != nil {
		t.Fatal(err)
	}
	checkLikeMap(t, y, want, rng)
	check := func(y *ledgerIndex) {
		t.Helper()
		if y.pos != x.pos || len(y.more[twice]) != 1 || y.more[twice][0] != "agreement-legacy" {
			t.Fatalf("decoded position %s, further streams of %s %q", y.pos, twice, y.more[twice])
		}
		for _, k := range domain.NumberKeys("KNVOC-2022-2025") {
			if y.keys[k] != "KNVOC-2022-2025" {
				t.Fatalf("number key %q: %q, want KNVOC-2022-2025", k, y.keys[k])
			}
		}
		if y.nums()["agreement-M-1"] != "KNVOC-2022-2025" {
			t.Fatalf("agreement-M-1's number: %q", y.nums()["agreement-M-1"])
		}
	}
	check(y)
	// New ids after decoding go to the right streams too.
	var fresh uuid.UUID
	binaryRand(rng, fresh[:])
	y.use(fresh, "agreement-new")
	if n, ok := y.cmds.get(fresh); !ok || y.streams[n] != "agreement-new" {
		t.Fatalf("an id added after decoding: %v %v", n, ok)
	}
	for _, cut := range []int{0, 1, 10, len(body) / 2, len(body) - 33, len(body) - 1} {
		if _, err := decodeIndexV1(body[:cut], x.pos); err == nil {
			t.Fatalf("the version 1 encoding cut to %d of %d bytes was decoded", cut, len(body))
		}
	}

	run := []blockRef{{first: uuid.UUID{1}, n: 3, slot: 4}, {first: uuid.UUID{9}, n: 4096, slot: 0}}
	run[0].sum[0], run[1].sum[31] = 7, 8
	keysRef := &blockRef{n: 2, slot: 7}
	runs := [2][]blockRef{run, {{first: uuid.UUID{5}, n: 9, slot: 2}}}
	v2 := appendTail(x.encodeNames(), x.more, keysRef, runs)
	z, err := decodeIndexV2(v2, x.pos)
	if err != nil {
		t.Fatal(err)
	}
	z.keys = x.keys // read from their own snapshot (TestIndexBlocksAnswerLikeAMap, checkRules)
	check(z)
	if z.keysOK || z.keysRef == nil || *z.keysRef != *keysRef {
		t.Fatalf("number keys %+v (in memory %v), want them named by %+v", z.keysRef, z.keysOK, keysRef)
	}
	if !slices.Equal(z.runs[0], run) || !slices.Equal(z.runs[1], runs[1]) || !slices.Equal(z.streams, x.streams) {
		t.Fatalf("directories %+v, want %+v; %d streams, want %d", z.runs, runs, len(z.streams), len(x.streams))
	}
	for _, cut := range []int{0, 1, 10, len(v2) / 2, len(v2) - 33, len(v2) - 1} {
		if _, err := decodeIndexV2(v2[:cut], x.pos); err == nil {
			t.Fatalf("the version 2 encoding cut to %d of %d bytes was decoded", cut, len(v2))
		}
	}
}
