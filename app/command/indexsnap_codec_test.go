package command

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// The index decoded from its encoding answers as a map would (the oracle
// of TestIndexAnswersLikeAMap), with its further streams, agreement
// numbers and number keys; every truncation of the encoding is refused.
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
	body := x.encode()
	y, err := decodeIndex(body, x.pos)
	if err != nil {
		t.Fatal(err)
	}
	checkLikeMap(t, y, want, rng)
	if y.pos != x.pos || len(y.more[twice]) != 1 || y.more[twice][0] != "agreement-legacy" {
		t.Fatalf("decoded position %s, further streams of %s %q", y.pos, twice, y.more[twice])
	}
	for _, k := range domain.NumberKeys("KNVOC-2022-2025") {
		if y.keys[k] != "KNVOC-2022-2025" {
			t.Fatalf("number key %q: %q, want KNVOC-2022-2025", k, y.keys[k])
		}
	}
	if y.numbers["agreement-M-1"] != "KNVOC-2022-2025" {
		t.Fatalf("agreement-M-1's number: %q", y.numbers["agreement-M-1"])
	}
	// New ids after decoding go to the right streams too.
	var fresh uuid.UUID
	binaryRand(rng, fresh[:])
	y.use(fresh, "agreement-new")
	if n, ok := y.cmds.get(fresh); !ok || y.streams[n] != "agreement-new" {
		t.Fatalf("an id added after decoding: %v %v", n, ok)
	}
	for _, cut := range []int{0, 1, 10, len(body) / 2, len(body) - 33, len(body) - 1} {
		if _, err := decodeIndex(body[:cut], x.pos); err == nil {
			t.Fatalf("the encoding cut to %d of %d bytes was decoded", cut, len(body))
		}
	}
}
