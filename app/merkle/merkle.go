// Package merkle keeps grantledger's one Merkle log over every event of
// the ledger, in global order, with RFC 6962 hashing, and its signed
// checkpoints and proofs.
//
// The tree arithmetic, the proofs and their checks are those of
// golang.org/x/mod/sumdb/tlog, the package behind Go's checksum database;
// checkpoints are C2SP tlog-checkpoint texts signed as notes with
// golang.org/x/mod/sumdb/note (Ed25519). See docs/PROOFS.md.
//
// The package does no I/O of its own: a store keeps the tree's stored
// hashes (in tlog's numbering) and hands them out through Log; a Builder
// turns leaves, fed in global order, into the hashes to store.
package merkle

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/domain"
)

// Hash is a node of the tree (SHA-256).
type Hash = tlog.Hash

// leafTag starts every leaf's canonical bytes; a new encoding gets a new
// tag, so two encodings never give the same bytes.
const leafTag = "grantledger/event/v1"

// LeafBytes returns the canonical bytes of a recorded event, the data of
// its leaf in the log: the tag "grantledger/event/v1", then seven fields,
// each an 8-byte big-endian length followed by that many bytes:
//
//	1 event id (16 bytes)        5 data JSON, exactly as stored
//	2 stream name (UTF-8)        6 metadata JSON, exactly as stored: it
//	3 revision (8-byte BE)         holds the stream chain hash ("hash") and
//	4 type (UTF-8)                 its link ("prev_hash")
//	                             7 store time, 8-byte big-endian Unix ns UTC
//
// The global position is not in the leaf: it is the leaf's index, so the
// same events give the same tree in every store. The per-stream chain hash
// is not copied out of the metadata into a field of its own: that would
// mean parsing the metadata JSON on every append (about 10 µs an event)
// for bytes the leaf already holds.
func LeafBytes(e domain.RecordedEvent) []byte {
	n := len(leafTag) + 7*8 + 16 + len(e.Stream) + 8 + len(e.Type) + len(e.Data) + len(e.Metadata) + 8
	return appendLeaf(make([]byte, 0, n), &e)
}

// appendLeaf appends LeafBytes(e) to b.
func appendLeaf(b []byte, e *domain.RecordedEvent) []byte {
	b = append(b, leafTag...)
	b = binary.BigEndian.AppendUint64(b, 16)
	b = append(b, e.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(e.Stream)))
	b = append(b, e.Stream...)
	b = binary.BigEndian.AppendUint64(b, 8)
	b = binary.BigEndian.AppendUint64(b, e.Revision)
	b = binary.BigEndian.AppendUint64(b, uint64(len(e.Type)))
	b = append(b, e.Type...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(e.Data)))
	b = append(b, e.Data...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(e.Metadata)))
	b = append(b, e.Metadata...)
	b = binary.BigEndian.AppendUint64(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(e.Created.UTC().UnixNano()))
}

// Leaf is an event as read back from its canonical bytes.
type Leaf struct {
	ID       string    `json:"id"`
	Stream   string    `json:"stream"`
	Revision uint64    `json:"revision"`
	Type     string    `json:"type"`
	Data     string    `json:"data"`
	Metadata string    `json:"metadata"`
	Created  time.Time `json:"created"`
}

// ParseLeaf reads canonical bytes back into their fields, so that whoever
// checks a proof sees what the proven leaf says.
func ParseLeaf(b []byte) (Leaf, error) {
	if len(b) < len(leafTag) || string(b[:len(leafTag)]) != leafTag {
		return Leaf{}, errors.New("leaf: does not start with " + leafTag)
	}
	b = b[len(leafTag):]
	var f [7][]byte
	for i := range f {
		if len(b) < 8 {
			return Leaf{}, fmt.Errorf("leaf: field %d: truncated length", i+1)
		}
		n := binary.BigEndian.Uint64(b)
		b = b[8:]
		if uint64(len(b)) < n {
			return Leaf{}, fmt.Errorf("leaf: field %d: %d bytes announced, %d left", i+1, n, len(b))
		}
		f[i], b = b[:n], b[n:]
	}
	if len(b) != 0 {
		return Leaf{}, fmt.Errorf("leaf: %d bytes after the last field", len(b))
	}
	if len(f[0]) != 16 || len(f[2]) != 8 || len(f[6]) != 8 {
		return Leaf{}, errors.New("leaf: id, revision or time has the wrong length")
	}
	var id [16]byte
	copy(id[:], f[0])
	return Leaf{
		ID:     fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16]),
		Stream: string(f[1]), Revision: binary.BigEndian.Uint64(f[2]), Type: string(f[3]),
		Data: string(f[4]), Metadata: string(f[5]),
		Created: time.Unix(0, int64(binary.BigEndian.Uint64(f[6]))).UTC(),
	}, nil
}

// LeafHash is the RFC 6962 leaf hash of an event: SHA-256(0x00 || LeafBytes).
//
// It is SHA-256 over 0x00 and LeafBytes(e), as tlog.RecordHash(LeafBytes(e))
// computes it, but streamed into the hash without building the bytes: the
// store calls it for every event it appends (a copy of each event's data
// per append showed in apply's allocation profile).
func LeafHash(e domain.RecordedEvent) Hash {
	h := sha256.New()
	var u [8]byte
	h.Write([]byte{0x00})
	h.Write([]byte(leafTag))
	field := func(p []byte) {
		binary.BigEndian.PutUint64(u[:], uint64(len(p)))
		h.Write(u[:])
		h.Write(p)
	}
	fieldString := func(p string) {
		binary.BigEndian.PutUint64(u[:], uint64(len(p)))
		h.Write(u[:])
		io.WriteString(h, p)
	}
	var n [8]byte
	field(e.ID[:])
	fieldString(e.Stream)
	binary.BigEndian.PutUint64(n[:], e.Revision)
	field(n[:])
	fieldString(e.Type)
	field(e.Data)
	field(e.Metadata)
	binary.BigEndian.PutUint64(n[:], uint64(e.Created.UTC().UnixNano()))
	field(n[:])
	var out Hash
	h.Sum(out[:0])
	return out
}

// HexLeaf is LeafBytes in hex, as proofs carry it.
func HexLeaf(e domain.RecordedEvent) string { return hex.EncodeToString(LeafBytes(e)) }

// Log is implemented by a store that keeps the tree beside its events:
// the stored hashes in tlog's numbering (tlog.StoredHashIndex), written in
// the same transaction as the events.
type Log interface {
	// TreeSize is the number of leaves in the stored tree.
	TreeSize(ctx context.Context) (int64, error)
	// ReadTreeHashes returns the stored hashes at the given indexes.
	ReadTreeHashes(ctx context.Context, indexes []int64) ([]Hash, error)
}

// Reader adapts a Log to tlog.HashReader.
func Reader(ctx context.Context, l Log) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]Hash, error) { return l.ReadTreeHashes(ctx, idx) })
}

// Root is the tree hash of the first n leaves of l.
func Root(ctx context.Context, l Log, n int64) (Hash, error) {
	return tlog.TreeHash(n, Reader(ctx, l))
}

// Builder turns leaves, added in global order, into the stored hashes of
// the tree. It remembers the last finished node of every level, which is
// all that adding a leaf or computing the root needs; any other hash is
// asked of the fallback reader (nil when the builder started from an empty
// tree and saw every leaf).
type Builder struct {
	n        int64
	front    [64]frontNode
	fallback tlog.HashReader
}

type frontNode struct {
	index int64 // stored-hash index; -1 when none
	hash  Hash
}

// NewBuilder returns a builder for a tree that already has n leaves, whose
// stored hashes fallback reads (nil for n == 0).
func NewBuilder(n int64, fallback tlog.HashReader) *Builder {
	b := &Builder{n: n, fallback: fallback}
	for i := range b.front {
		b.front[i].index = -1
	}
	return b
}

// Size is the number of leaves added so far.
func (b *Builder) Size() int64 { return b.n }

// Add adds the next leaf, by its leaf hash, and returns the hashes to
// store for it, which go at stored indexes tlog.StoredHashIndex(0, n) and
// on (n being the leaf's index, Size before the call).
func (b *Builder) Add(leaf Hash) ([]Hash, error) {
	n := b.n
	hs, err := tlog.StoredHashesForRecordHash(n, leaf, b)
	if err != nil {
		return nil, fmt.Errorf("merkle: add leaf %d: %w", n, err)
	}
	for level, h := range hs {
		b.front[level] = frontNode{index: tlog.StoredHashIndex(level, n>>uint(level)), hash: h}
	}
	b.n++
	return hs, nil
}

// Root is the tree hash of the leaves added so far.
func (b *Builder) Root() (Hash, error) { return tlog.TreeHash(b.n, b) }

// ReadHashes implements tlog.HashReader from the last finished nodes and
// the fallback.
func (b *Builder) ReadHashes(indexes []int64) ([]Hash, error) {
	out := make([]Hash, len(indexes))
	var miss []int64
	var at []int
	for i, x := range indexes {
		level, _ := tlog.SplitStoredHashIndex(x)
		if level < len(b.front) && b.front[level].index == x {
			out[i] = b.front[level].hash
			continue
		}
		miss = append(miss, x)
		at = append(at, i)
	}
	if len(miss) == 0 {
		return out, nil
	}
	if b.fallback == nil {
		return nil, fmt.Errorf("merkle: stored hashes %v are not known to the builder", miss)
	}
	hs, err := b.fallback.ReadHashes(miss)
	if err != nil {
		return nil, err
	}
	if len(hs) != len(miss) {
		return nil, fmt.Errorf("merkle: asked for %d stored hashes, got %d", len(miss), len(hs))
	}
	for j, i := range at {
		out[i] = hs[j]
	}
	return out, nil
}

// Clone returns a copy of b that shares only its fallback.
func (b *Builder) Clone() *Builder { c := *b; return &c }
