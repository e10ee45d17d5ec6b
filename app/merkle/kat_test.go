package merkle

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Known answers from outside this code: the RFC 6962 test vectors that the
// Certificate Transparency reference implementation publishes (also in
// transparency-dev/merkle, testonly/constants.go): eight leaves, the tree
// head after each, two audit paths and two consistency proofs of the tree
// of eight.
var (
	rfcLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	// rfcRoots[n-1] is the tree head of the first n leaves.
	rfcRoots = []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	rfcInclusion = []struct {
		index, size int64
		path        []string
	}{
		{0, 8, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{5, 8, []string{
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
	}
	rfcConsistency = []struct {
		from, to int64
		proof    []string
	}{
		{2, 8, []string{
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{6, 8, []string{
			"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
	}
)

func mustHash(t *testing.T, s string) Hash {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(Hash{}) {
		t.Fatalf("bad hash literal %q", s)
	}
	var h Hash
	copy(h[:], b)
	return h
}

func hexHashes(hs []Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// rfcTree builds the tree of the eight RFC leaves with the Builder, the
// code every store uses to keep its tree.
func rfcTree(t *testing.T) (memHashes, []Hash) {
	t.Helper()
	var stored memHashes
	var leafHashes []Hash
	b := NewBuilder(0, nil)
	// The empty tree's head is SHA-256 of the empty string (RFC 6962, 2.1).
	if root, err := b.Root(); err != nil || hex.EncodeToString(root[:]) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("Builder: tree head of no leaves = %x, %v; want SHA-256 of the empty string", root, err)
	}
	for i, l := range rfcLeaves {
		raw, _ := hex.DecodeString(l)
		h := tlog.RecordHash(raw)
		leafHashes = append(leafHashes, h)
		hs, err := b.Add(h)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		root, err := b.Root()
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(root[:]); got != rfcRoots[i] {
			t.Errorf("Builder: tree head of %d leaves = %s, RFC 6962 vectors say %s", i+1, got, rfcRoots[i])
		}
	}
	return stored, leafHashes
}

// TestRFC6962Vectors: leaf hashes (0x00 prefix: the leaf "" hashes to the
// first tree head), node hashes (0x01 prefix: the tree head of two), tree
// heads of 0..8 leaves, audit paths and consistency proofs, each against
// the published vectors, made by our Builder and proof functions and
// checked by ours.
func TestRFC6962Vectors(t *testing.T) {
	stored, leafHashes := rfcTree(t)
	if got := hex.EncodeToString(leafHashes[0][:]); got != rfcRoots[0] {
		t.Errorf("leaf hash of the empty leaf = %s, want %s", got, rfcRoots[0])
	}
	for _, v := range rfcInclusion {
		path, err := ProveInclusion(v.index, v.size, stored)
		if err != nil {
			t.Fatal(err)
		}
		if got := hexHashes(path); strings.Join(got, ",") != strings.Join(v.path, ",") {
			t.Errorf("audit path of leaf %d in %d: %v, RFC vectors say %v", v.index, v.size, got, v.path)
		}
		root := mustHash(t, rfcRoots[v.size-1])
		var want []Hash
		for _, s := range v.path {
			want = append(want, mustHash(t, s))
		}
		if err := tlog.CheckRecord(want, v.size, root, v.index, leafHashes[v.index]); err != nil {
			t.Errorf("the published path of leaf %d does not check: %v", v.index, err)
		}
	}
	for _, v := range rfcConsistency {
		proof, err := ProveConsistency(v.from, v.to, stored)
		if err != nil {
			t.Fatal(err)
		}
		if got := hexHashes(proof); strings.Join(got, ",") != strings.Join(v.proof, ",") {
			t.Errorf("consistency %d->%d: %v, RFC vectors say %v", v.from, v.to, got, v.proof)
		}
		var want []Hash
		for _, s := range v.proof {
			want = append(want, mustHash(t, s))
		}
		older := Checkpoint{Size: v.from, Root: mustHash(t, rfcRoots[v.from-1])}
		newer := Checkpoint{Size: v.to, Root: mustHash(t, rfcRoots[v.to-1])}
		if err := CheckConsistency(older, newer, want); err != nil {
			t.Errorf("consistency %d->%d: the published proof is refused: %v", v.from, v.to, err)
		}
		older.Root[0] ^= 1
		if err := CheckConsistency(older, newer, want); err == nil {
			t.Errorf("consistency %d->%d: accepted with a wrong older root", v.from, v.to)
		}
	}
}

// The signed-checkpoint known answer. The key is Ed25519 with the seed
// 00 01 02 … 1f; the signed note was computed outside Go (Python's
// cryptography, i.e. OpenSSL, for Ed25519; hashlib for the key hash, the
// first four bytes of SHA-256(name "\n" 0x01 public key)) from the C2SP
// signed-note and tlog-checkpoint formats: origin, size 8, the RFC tree
// head of the eight leaves above in base64, the time extension line, a
// blank line, then "— <name> <base64(key hash || signature)>". Ed25519
// signatures are deterministic, so the text is fixed.
const (
	katOrigin = "grantledger.example/kat"
	katSkey   = "PRIVATE+KEY+grantledger.example/kat+c372f8f3+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
	katVkey   = "grantledger.example/kat+c372f8f3+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
	katNote   = "grantledger.example/kat\n" +
		"8\n" +
		"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n" +
		"time 2026-11-30T12:00:00Z\n" +
		"\n" +
		"— grantledger.example/kat w3L487nTRBkHetDGVXFCuRAPKQC/OV6JazKdFAFluLzd5n9jKfznW2AaoxX9XoW59RYxE7zc6Gxt/kWyxj7ARjK4YwA=\n"
)

// TestSignedCheckpointKnownAnswer: our Sign gives the note above byte for
// byte; the library's own verifier (golang.org/x/mod/sumdb/note.Open)
// accepts it under the public key and refuses it edited; our OpenSigned
// reads back size, root and time.
func TestSignedCheckpointKnownAnswer(t *testing.T) {
	stored, _ := rfcTree(t)
	root, err := tlog.TreeHash(8, stored)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(katSkey)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	msg, err := Sign(Checkpoint{Size: 8, Root: root, Time: at}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg) != katNote {
		t.Errorf("signed checkpoint:\n%s\nwant:\n%s", msg, katNote)
	}

	verifier, err := note.NewVerifier(katVkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(katNote), note.VerifierList(verifier))
	if err != nil {
		t.Fatalf("note.Open refuses the known answer: %v", err)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != katOrigin || n.Text != katNote[:strings.Index(katNote, "\n\n")+1] {
		t.Errorf("note.Open = %+v", n)
	}
	for _, edit := range []struct{ from, to string }{
		{"\n8\n", "\n9\n"},
		{"Xcna", "Xcnb"},
		{"12:00:00Z", "12:00:01Z"},
		{"w3L487nT", "w3L487nU"},
	} {
		bad := strings.Replace(katNote, edit.from, edit.to, 1)
		if _, err := note.Open([]byte(bad), note.VerifierList(verifier)); err == nil {
			t.Errorf("note.Open accepts the note with %q made %q", edit.from, edit.to)
		}
		if _, err := OpenSigned([]byte(bad), verifier); err == nil {
			t.Errorf("OpenSigned accepts the note with %q made %q", edit.from, edit.to)
		}
	}

	c, err := OpenSigned([]byte(katNote), verifier)
	if err != nil {
		t.Fatalf("OpenSigned: %v", err)
	}
	if c.Origin != katOrigin || c.Size != 8 || hex.EncodeToString(c.Root[:]) != rfcRoots[7] || !c.Time.Equal(at) || c.Sealed != 0 {
		t.Errorf("OpenSigned = %+v", c)
	}
}
