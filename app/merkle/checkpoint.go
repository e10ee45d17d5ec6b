package merkle

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is the state of the log at one size: the C2SP tlog-checkpoint
// body
//
//	<origin>
//	<tree size, decimal>
//	<root hash, base64>
//	time <RFC 3339 UTC>                   (extension line)
//	sealed <n>                            (extension line, see Sealed)
//
// signed as a note (Ed25519) by the key whose name is the origin.
type Checkpoint struct {
	Origin string    `json:"origin"`
	Size   int64     `json:"size"`
	Root   Hash      `json:"root_hash"`
	Time   time.Time `json:"time"`
	// Sealed is, for a ledger that had events before it kept a tree, how
	// many events it held when the tree was first built: those events are
	// in the log from then on, but nothing attests to them before.
	Sealed int64 `json:"sealed_from,omitempty"`
}

// Text is the checkpoint body, each line ended by a newline.
func (c Checkpoint) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
	if !c.Time.IsZero() {
		fmt.Fprintf(&b, "time %s\n", c.Time.UTC().Format(time.RFC3339))
	}
	if c.Sealed > 0 {
		fmt.Fprintf(&b, "sealed %d\n", c.Sealed)
	}
	return b.String()
}

// ParseCheckpoint reads a checkpoint body.
func ParseCheckpoint(text string) (Checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, errors.New("checkpoint: the text does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("checkpoint: %d lines; origin, size and root hash are needed", len(lines))
	}
	var c Checkpoint
	c.Origin = lines[0]
	if c.Origin == "" {
		return c, errors.New("checkpoint: line 1: empty origin")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return c, fmt.Errorf("checkpoint: line 2: tree size %q is not a decimal number", lines[1])
	}
	c.Size = n
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != len(c.Root) {
		return c, fmt.Errorf("checkpoint: line 3: root hash %q is not 32 bytes of base64", lines[2])
	}
	copy(c.Root[:], root)
	for i, l := range lines[3:] {
		switch k, v, _ := strings.Cut(l, " "); k {
		case "time":
			if c.Time, err = time.Parse(time.RFC3339, v); err != nil {
				return c, fmt.Errorf("checkpoint: line %d: time %q: %v", i+4, v, err)
			}
		case "sealed":
			if c.Sealed, err = strconv.ParseInt(v, 10, 64); err != nil {
				return c, fmt.Errorf("checkpoint: line %d: sealed %q: %v", i+4, v, err)
			}
		}
	}
	return c, nil
}

// Sign signs the checkpoint as a note with signer, whose name becomes the
// checkpoint's origin.
func Sign(c Checkpoint, signer note.Signer) ([]byte, error) {
	c.Origin = signer.Name()
	return note.Sign(&note.Note{Text: c.Text()}, signer)
}

// OpenSigned checks a signed checkpoint against the verifier key and
// reads it. It refuses a note not signed by that key, a bad signature, and
// a checkpoint whose origin is not the key's name.
func OpenSigned(msg []byte, verifier note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return c, err
	}
	if c.Origin != verifier.Name() {
		return c, fmt.Errorf("checkpoint: origin %q is not the verifier key's name %q", c.Origin, verifier.Name())
	}
	return c, nil
}

// GenerateKey makes an Ed25519 note key pair named name (the log's origin).
func GenerateKey(name string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, name)
}

// InclusionProof proves that one event is the leaf at LeafIndex of the log
// of the checkpoint. Leaf is the event's canonical bytes in hex (see
// LeafBytes), so the proof says what it proves.
type InclusionProof struct {
	LeafIndex  int64    `json:"leaf_index"`
	TreeSize   int64    `json:"tree_size"`
	LeafHash   Hash     `json:"leaf_hash"`
	Leaf       string   `json:"leaf"`
	AuditPath  []Hash   `json:"audit_path"`
	Checkpoint string   `json:"checkpoint"`
	Event      *Leaf    `json:"event,omitempty"`
	Note       []string `json:"note,omitempty"`
}

// SignedCheckpoint is a checkpoint with its signed text ("" when unsigned).
type SignedCheckpoint struct {
	Checkpoint
	Note string `json:"note,omitempty"`
}

// ConsistencyResponse is a consistency proof with both roots and the
// signed checkpoint of the newer size.
type ConsistencyResponse struct {
	ConsistencyProof
	FromRoot Hash   `json:"from_root"`
	ToRoot   Hash   `json:"to_root"`
	Note     string `json:"note,omitempty"`
}

// ConsistencyProof proves that the log at size To extends the log at size
// From.
type ConsistencyProof struct {
	From  int64  `json:"from"`
	To    int64  `json:"to"`
	Proof []Hash `json:"proof"`
}

// ProveInclusion builds the audit path of leaf i in the tree of size n
// from the stored hashes r.
func ProveInclusion(i, n int64, r tlog.HashReader) ([]Hash, error) {
	if i < 0 || i >= n {
		return nil, fmt.Errorf("inclusion proof: leaf %d is not in a tree of %d leaves", i, n)
	}
	p, err := tlog.ProveRecord(n, i, r)
	return p, err
}

// ProveConsistency builds the consistency proof from size m to size n.
func ProveConsistency(m, n int64, r tlog.HashReader) ([]Hash, error) {
	if m < 1 || m > n {
		return nil, fmt.Errorf("consistency proof: from %d to %d: need 1 <= from <= to", m, n)
	}
	return tlog.ProveTree(n, m, r)
}

// CheckInclusionProof checks p offline against the verifier key alone: the
// checkpoint's signature, the leaf hash of the leaf bytes, and the audit
// path up to the checkpoint's root. It returns the checkpoint and the
// leaf it proved.
func CheckInclusionProof(p InclusionProof, verifier note.Verifier) (Checkpoint, Leaf, error) {
	c, err := OpenSigned([]byte(p.Checkpoint), verifier)
	if err != nil {
		return c, Leaf{}, err
	}
	if p.TreeSize != c.Size {
		return c, Leaf{}, fmt.Errorf("proof: tree_size %d differs from the checkpoint's size %d", p.TreeSize, c.Size)
	}
	raw, err := hexDecode(p.Leaf)
	if err != nil {
		return c, Leaf{}, fmt.Errorf("proof: leaf: %v", err)
	}
	if h := tlog.RecordHash(raw); h != p.LeafHash {
		return c, Leaf{}, fmt.Errorf("proof: leaf_hash %s is not the hash of the leaf bytes (%s)", p.LeafHash, h)
	}
	l, err := ParseLeaf(raw)
	if err != nil {
		return c, l, fmt.Errorf("proof: %v", err)
	}
	if err := tlog.CheckRecord(p.AuditPath, c.Size, c.Root, p.LeafIndex, p.LeafHash); err != nil {
		return c, l, fmt.Errorf("proof: leaf %d is not proven in the checkpoint of size %d: %v", p.LeafIndex, c.Size, err)
	}
	return c, l, nil
}

// CheckConsistency checks that the log of newer extends the log of older
// with proof.
func CheckConsistency(older, newer Checkpoint, proof []Hash) error {
	if older.Size > newer.Size {
		return fmt.Errorf("consistency: the older checkpoint has %d leaves, more than the newer one's %d", older.Size, newer.Size)
	}
	if older.Size == 0 {
		return nil
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("consistency: the log of %d leaves does not extend the checkpoint of %d leaves: %v", newer.Size, older.Size, err)
	}
	return nil
}

func hexDecode(s string) ([]byte, error) {
	return hex.DecodeString(s)
}
