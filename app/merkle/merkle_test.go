package merkle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/domain"
)

// The known answer is assembled by hand from the documented layout (see
// LeafBytes): tag, then each field as an 8-byte length and its bytes.
func TestLeafBytesKnownAnswer(t *testing.T) {
	e := domain.RecordedEvent{
		Stream: "agreement-A1", Revision: 2, Type: "X",
		ID:       uuid.MustParse("00112233-4455-6677-8899-aabbccddeeff"),
		Data:     []byte(`{}`),
		Metadata: []byte(`{"hash":"ab","prev_hash":"cd"}`),
		Created:  time.Unix(0, 1).UTC(),
	}
	want := strings.Join([]string{
		hex.EncodeToString([]byte("grantledger/event/v1")),
		"0000000000000010", "00112233445566778899aabbccddeeff",
		"000000000000000c", hex.EncodeToString([]byte("agreement-A1")),
		"0000000000000008", "0000000000000002",
		"0000000000000001", "58",
		"0000000000000002", "7b7d",
		"000000000000001e", hex.EncodeToString([]byte(`{"hash":"ab","prev_hash":"cd"}`)),
		"0000000000000008", "0000000000000001",
	}, "")
	if got := hex.EncodeToString(LeafBytes(e)); got != want {
		t.Fatalf("LeafBytes:\n got %s\nwant %s", got, want)
	}
	raw, _ := hex.DecodeString(want)
	sum := sha256.Sum256(append([]byte{0}, raw...)) // RFC 6962 leaf hash
	if h := LeafHash(e); hex.EncodeToString(h[:]) != hex.EncodeToString(sum[:]) {
		t.Fatalf("LeafHash = %x, want SHA-256(0x00||leaf) = %x", h, sum)
	}
	l, err := ParseLeaf(raw)
	if err != nil {
		t.Fatal(err)
	}
	if l.ID != e.ID.String() || l.Stream != e.Stream || l.Revision != 2 || l.Type != "X" || l.Metadata != `{"hash":"ab","prev_hash":"cd"}` || !l.Created.Equal(e.Created) {
		t.Fatalf("ParseLeaf = %+v", l)
	}
}

// memHashes stores what tlog.StoredHashes says to store: the library's own
// way of building the tree, the oracle for the Builder.
type memHashes []Hash

func (m memHashes) ReadHashes(idx []int64) ([]Hash, error) {
	out := make([]Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(m)) {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

func TestBuilderMatchesLibrary(t *testing.T) {
	var lib memHashes
	var mine memHashes
	b := NewBuilder(0, nil)
	for n := int64(0); n < 300; n++ {
		data := []byte(fmt.Sprintf("leaf %d", n))
		hs, err := tlog.StoredHashes(n, data, lib)
		if err != nil {
			t.Fatal(err)
		}
		lib = append(lib, hs...)
		got, err := b.Add(tlog.RecordHash(data))
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, got...)
		want, err := tlog.TreeHash(n+1, lib)
		if err != nil {
			t.Fatal(err)
		}
		root, err := b.Root()
		if err != nil {
			t.Fatal(err)
		}
		if root != want {
			t.Fatalf("root after %d leaves = %s, library says %s", n+1, root, want)
		}
	}
	if len(mine) != len(lib) {
		t.Fatalf("builder stored %d hashes, library %d", len(mine), len(lib))
	}
	for i := range lib {
		if mine[i] != lib[i] {
			t.Fatalf("stored hash %d differs", i)
		}
	}
	// A builder resumed in the middle, reading older hashes back, goes on
	// the same way.
	r := NewBuilder(150, lib[:tlog.StoredHashCount(150)])
	for n := int64(150); n < 300; n++ {
		if _, err := r.Add(tlog.RecordHash([]byte(fmt.Sprintf("leaf %d", n)))); err != nil {
			t.Fatal(err)
		}
	}
	if a, _ := r.Root(); a != mustRoot(t, 300, lib) {
		t.Fatal("resumed builder disagrees")
	}
}

func mustRoot(t *testing.T, n int64, r tlog.HashReader) Hash {
	h, err := tlog.TreeHash(n, r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestCheckpointSignAndProofs(t *testing.T) {
	skey, vkey, err := GenerateKey("ledger.example/test")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	var lib memHashes
	var events []domain.RecordedEvent
	for n := int64(0); n < 37; n++ {
		e := domain.RecordedEvent{Stream: "s", Revision: uint64(n), ID: uuid.New(), Type: "T", Data: []byte(fmt.Sprint(n)), Metadata: []byte(`{}`), Created: time.Unix(int64(n), 0)}
		events = append(events, e)
		hs, err := tlog.StoredHashes(n, LeafBytes(e), lib)
		if err != nil {
			t.Fatal(err)
		}
		lib = append(lib, hs...)
	}
	root := mustRoot(t, 37, lib)
	msg, err := Sign(Checkpoint{Size: 37, Root: root, Time: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Sealed: 5}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(msg), "ledger.example/test\n37\n") {
		t.Fatalf("checkpoint text:\n%s", msg)
	}
	c, err := OpenSigned(msg, verifier)
	if err != nil || c.Size != 37 || c.Root != root || c.Sealed != 5 {
		t.Fatalf("OpenSigned = %+v, %v", c, err)
	}
	// A bad signature and another key are refused.
	bad := []byte(strings.Replace(string(msg), "\n37\n", "\n36\n", 1))
	if _, err := OpenSigned(bad, verifier); err == nil {
		t.Fatal("an edited checkpoint was accepted")
	}
	_, other, _ := GenerateKey("ledger.example/test")
	ov, _ := note.NewVerifier(other)
	if _, err := OpenSigned(msg, ov); err == nil {
		t.Fatal("a checkpoint was accepted under another key")
	}
	// Inclusion proofs check with the library's CheckRecord and with ours.
	for _, i := range []int64{0, 17, 36} {
		path, err := ProveInclusion(i, 37, lib)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(path, 37, root, i, LeafHash(events[i])); err != nil {
			t.Fatalf("library refuses proof of %d: %v", i, err)
		}
		p := InclusionProof{LeafIndex: i, TreeSize: 37, LeafHash: LeafHash(events[i]), Leaf: HexLeaf(events[i]), AuditPath: path, Checkpoint: string(msg)}
		if _, l, err := CheckInclusionProof(p, verifier); err != nil || l.Revision != uint64(i) {
			t.Fatalf("proof of %d: %v", i, err)
		}
		p.Leaf = HexLeaf(events[(i+1)%37])
		if _, _, err := CheckInclusionProof(p, verifier); err == nil {
			t.Fatal("a proof with another leaf's bytes was accepted")
		}
		p.Leaf, p.LeafHash = HexLeaf(events[(i+1)%37]), LeafHash(events[(i+1)%37])
		if _, _, err := CheckInclusionProof(p, verifier); err == nil {
			t.Fatal("a proof of another leaf at this index was accepted")
		}
	}
	// Consistency from every smaller size.
	for m := int64(1); m <= 37; m++ {
		proof, err := ProveConsistency(m, 37, lib)
		if err != nil {
			t.Fatal(err)
		}
		old := Checkpoint{Size: m, Root: mustRoot(t, m, lib)}
		if err := CheckConsistency(old, c, proof); err != nil {
			t.Fatalf("consistency %d->37: %v", m, err)
		}
		old.Root[0] ^= 1
		if err := CheckConsistency(old, c, proof); err == nil {
			t.Fatalf("consistency %d->37 accepted a changed old root", m)
		}
	}
}

// LeafHash streams the leaf into SHA-256 instead of building LeafBytes;
// the library's own leaf hash of the built bytes is the oracle, over
// events with empty, long and non-ASCII fields and times before 1970.
func TestLeafHashIsTheLibrarysRecordHashOfTheLeafBytes(t *testing.T) {
	long := []byte(`{"x":"` + strings.Repeat("é", 5000) + `"}`)
	for i, e := range []domain.RecordedEvent{
		{},
		{Stream: "s", Type: "t", Data: []byte{}, Metadata: nil, Created: time.Unix(0, 0).UTC()},
		{ID: uuid.New(), Stream: "grantledger-agreement-ü", Revision: 1 << 40, Type: "spending_recorded", Data: long, Metadata: []byte(`{"hash":"00"}`), Created: time.Date(1969, 12, 31, 23, 59, 59, 5, time.UTC)},
		{ID: uuid.New(), Stream: strings.Repeat("s", 300), Revision: 7, Type: "x", Data: []byte(`{}`), Metadata: long, Created: time.Now()},
	} {
		if got, want := LeafHash(e), tlog.RecordHash(LeafBytes(e)); got != want {
			t.Errorf("event %d: LeafHash %s, tlog.RecordHash(LeafBytes) %s", i, got, want)
		}
	}
}
