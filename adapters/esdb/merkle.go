package esdb

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// The Merkle log on EventStoreDB (docs/PROOFS.md, docs/EVENTSTOREDB.md).
//
// The log's leaves are the events ReadAll returns, in $all order: every
// event of every stream whose name and type do not start with "$" (the
// server's own). The server keeps no tree: the tree's hashes live in a
// local cache file beside the snapshot files (SnapshotDir), named
// merkle.<hash of the server>.tree, extended from $all after the last
// cached leaf whenever the log is asked its size. The cache holds, per
// leaf, the event's $all position, its id and its leaf hash; the interior
// hashes are recomputed from the leaves when the file is loaded.
//
// The cache is only a cache. On load it is refused, and rebuilt from $all,
// when its header is not this format, its records do not hash to the
// digest in its header, the root recomputed from its leaves is not the
// root in its header, or the first and last cached events are not at
// their cached positions in this server's $all (a cache of another
// database, or of this one before it was wiped). What it cannot tell on
// its own is a cache forged consistently by someone who can write the
// cache directory: the reads' incremental check and `verify` recompute
// the leaves of the events against it and report the first that differs,
// and the auditor's checkpoint decides, as on the embedded store.

const (
	treeFormat  = "grantledger-esdb-merkle"
	treeVersion = 1
	// treeRecord is the size of one leaf's record in the cache file:
	// commit and prepare position (8 bytes each, big-endian), event id
	// (16), leaf hash (32).
	treeRecord = 64
)

// treeHeader is the first line of the cache file (JSON).
type treeHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Server  string `json:"server_sha256"`
	Size    int64  `json:"size"`
	Root    string `json:"root_hash"`
	Records string `json:"records_sha256"`
}

// leafRef is where a leaf's event is in $all.
type leafRef struct {
	pos domain.Position
	id  uuid.UUID
}

// treeCache is the store's tree, in memory.
type treeCache struct {
	mu     sync.Mutex
	loaded bool
	leaves []leafRef
	hashes []merkle.Hash // stored hashes in tlog's numbering
	digest hash.Hash     // SHA-256 over the records of the leaves so far
	// rebuilt says why the cache file was refused on load ("" if it was
	// used or there was none).
	rebuilt string
}

func (t *treeCache) reset() {
	t.leaves, t.hashes, t.digest = nil, nil, sha256.New()
}

// ReadHashes implements tlog.HashReader over the cached hashes.
func (t *treeCache) ReadHashes(idx []int64) ([]merkle.Hash, error) {
	out := make([]merkle.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("esdb: stored hash %d is not in the tree of %d leaves", x, len(t.leaves))
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}

// add appends one leaf.
func (t *treeCache) add(ref leafRef, leaf merkle.Hash) error {
	hs, err := tlog.StoredHashesForRecordHash(int64(len(t.leaves)), leaf, t)
	if err != nil {
		return err
	}
	t.hashes = append(t.hashes, hs...)
	t.leaves = append(t.leaves, ref)
	t.digest.Write(record(ref, leaf))
	return nil
}

func record(ref leafRef, leaf merkle.Hash) []byte {
	b := make([]byte, 0, treeRecord)
	b = binary.BigEndian.AppendUint64(b, ref.pos.Commit)
	b = binary.BigEndian.AppendUint64(b, ref.pos.Prepare)
	b = append(b, ref.id[:]...)
	return append(b, leaf[:]...)
}

// treePath is the cache file of this server's tree ("" without a
// snapshot directory: the tree is then kept in memory only).
func (s *Store) treePath() string {
	if s.SnapshotDir == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s.server))
	return filepath.Join(s.SnapshotDir, "merkle."+hex.EncodeToString(sum[:8])+".tree")
}

func (s *Store) serverSum() string {
	sum := sha256.Sum256([]byte(s.server))
	return hex.EncodeToString(sum[:])
}

// syncTree loads the cache (once) and extends it from $all. Called with
// t.mu held.
func (s *Store) syncTree(ctx context.Context) error {
	t := &s.tree
	if !t.loaded {
		t.reset()
		if why := s.loadTree(ctx); why != "" {
			t.rebuilt = why
			t.reset()
		}
		t.loaded = true
	}
	before := len(t.leaves)
	var from domain.Position
	if n := len(t.leaves); n > 0 {
		from = t.leaves[n-1].pos
	}
	for {
		evs, err := s.ReadAll(ctx, from, readPage)
		if err != nil {
			return fmt.Errorf("extend the Merkle log from $all after %s: %w", from, err)
		}
		for _, e := range evs {
			if err := t.add(leafRef{pos: e.Position, id: e.ID}, merkle.LeafHash(e)); err != nil {
				return fmt.Errorf("extend the Merkle log: %w", err)
			}
		}
		if len(evs) < readPage {
			break
		}
		from = evs[len(evs)-1].Position
	}
	if len(t.leaves) != before || t.rebuilt != "" && before == 0 {
		if err := s.saveTree(); err != nil {
			// Only a cache: the next process recomputes what is missing.
			t.rebuilt += fmt.Sprintf(" (the cache file could not be written: %v)", err)
		}
	}
	return nil
}

// loadTree reads the cache file into s.tree and returns why it was
// refused ("" when it was used or there was none).
func (s *Store) loadTree(ctx context.Context) string {
	path := s.treePath()
	if path == "" {
		return ""
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		return fmt.Sprintf("%s: %v", path, err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return fmt.Sprintf("%s: no header line", path)
	}
	var h treeHeader
	if err := json.Unmarshal(line, &h); err != nil || h.Format != treeFormat || h.Version != treeVersion {
		return fmt.Sprintf("%s: not a version %d %s file", path, treeVersion, treeFormat)
	}
	if h.Server != s.serverSum() || h.Size < 0 {
		return fmt.Sprintf("%s: made for another server", path)
	}
	t := &s.tree
	rec := make([]byte, treeRecord)
	for i := int64(0); i < h.Size; i++ {
		if _, err := io.ReadFull(br, rec); err != nil {
			return fmt.Sprintf("%s: %d leaves announced, the file ends at leaf %d", path, h.Size, i)
		}
		var ref leafRef
		ref.pos = domain.Position{Commit: binary.BigEndian.Uint64(rec), Prepare: binary.BigEndian.Uint64(rec[8:])}
		copy(ref.id[:], rec[16:32])
		var leaf merkle.Hash
		copy(leaf[:], rec[32:])
		if i > 0 && !t.leaves[i-1].pos.Less(ref.pos) {
			return fmt.Sprintf("%s: leaf %d is not after leaf %d in $all", path, i, i-1)
		}
		if err := t.add(ref, leaf); err != nil {
			return fmt.Sprintf("%s: %v", path, err)
		}
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return fmt.Sprintf("%s: bytes after the %d leaves announced", path, h.Size)
	}
	if got := hex.EncodeToString(t.digest.Sum(nil)); got != h.Records {
		return fmt.Sprintf("%s: its records hash to %s, not the %s of its header: the file was changed", path, got, h.Records)
	}
	root, err := tlog.TreeHash(h.Size, t)
	if err != nil || root.String() != h.Root {
		return fmt.Sprintf("%s: the root recomputed from its %d leaves is %s, not the %s of its header: the file was changed", path, h.Size, root, h.Root)
	}
	for _, i := range []int64{0, h.Size - 1} {
		if i < 0 {
			continue
		}
		ref := t.leaves[i]
		e, err := s.eventAt(ctx, ref.pos)
		if err != nil {
			return fmt.Sprintf("%s: check leaf %d against $all: %v", path, i, err)
		}
		if e == nil || e.ID != ref.id {
			return fmt.Sprintf("%s: leaf %d is event %s at %s, which is not there in $all of %s: a cache of another log", path, i, ref.id, ref.pos, s.redacted)
		}
	}
	return ""
}

// saveTree writes the cache file whole (a new file renamed over the old).
func (s *Store) saveTree() error {
	path := s.treePath()
	if path == "" {
		return nil
	}
	t := &s.tree
	n := int64(len(t.leaves))
	root, err := tlog.TreeHash(n, t)
	if err != nil {
		return err
	}
	head, err := json.Marshal(treeHeader{Format: treeFormat, Version: treeVersion, Server: s.serverSum(),
		Size: n, Root: root.String(), Records: hex.EncodeToString(t.digest.Sum(nil))})
	if err != nil {
		return err
	}
	var body bytes.Buffer
	body.Grow(int(n) * treeRecord)
	for i, ref := range t.leaves {
		leaf := t.hashes[tlog.StoredHashIndex(0, int64(i))]
		body.Write(record(ref, leaf))
	}
	return writeFileAtomic(path, head, body.Bytes())
}

// TreeSize implements merkle.Log: the events of the log, after the cache
// was extended from $all.
func (s *Store) TreeSize(ctx context.Context) (int64, error) {
	s.tree.mu.Lock()
	defer s.tree.mu.Unlock()
	if err := s.syncTree(ctx); err != nil {
		return 0, s.wrap("Merkle log", err)
	}
	return int64(len(s.tree.leaves)), nil
}

// ReadTreeHashes implements merkle.Log from the cache.
func (s *Store) ReadTreeHashes(ctx context.Context, indexes []int64) ([]merkle.Hash, error) {
	s.tree.mu.Lock()
	defer s.tree.mu.Unlock()
	if !s.tree.loaded {
		if err := s.syncTree(ctx); err != nil {
			return nil, s.wrap("Merkle log", err)
		}
	}
	return s.tree.ReadHashes(indexes)
}

// TreeSizeAt implements merkle.Positioner: how many leaves are at or
// before position in $all.
func (s *Store) TreeSizeAt(ctx context.Context, position domain.Position) (int64, error) {
	s.tree.mu.Lock()
	defer s.tree.mu.Unlock()
	l := s.tree.leaves
	if !s.tree.loaded || len(l) == 0 || l[len(l)-1].pos.Less(position) {
		if err := s.syncTree(ctx); err != nil {
			return 0, s.wrap("Merkle log", err)
		}
		l = s.tree.leaves
	}
	return int64(sort.Search(len(l), func(i int) bool { return position.Less(l[i].pos) })), nil
}

// LeafPosition implements merkle.Positioner: the $all position of leaf i.
func (s *Store) LeafPosition(ctx context.Context, i int64) (domain.Position, error) {
	s.tree.mu.Lock()
	defer s.tree.mu.Unlock()
	if !s.tree.loaded || i >= int64(len(s.tree.leaves)) {
		if err := s.syncTree(ctx); err != nil {
			return domain.Position{}, s.wrap("Merkle log", err)
		}
	}
	if i < 0 || i >= int64(len(s.tree.leaves)) {
		return domain.Position{}, fmt.Errorf("esdb: leaf %d is not in the Merkle log of %d events", i, len(s.tree.leaves))
	}
	return s.tree.leaves[i].pos, nil
}

// LeafIndex implements merkle.Indexer: the leaf of the event with id.
func (s *Store) LeafIndex(ctx context.Context, id [16]byte) (int64, error) {
	s.tree.mu.Lock()
	defer s.tree.mu.Unlock()
	if err := s.syncTree(ctx); err != nil {
		return 0, s.wrap("Merkle log", err)
	}
	for i, l := range s.tree.leaves {
		if l.id == id {
			return int64(i), nil
		}
	}
	return 0, fmt.Errorf("event %s: %w", uuid.UUID(id), domain.ErrNotFound)
}

// TreeCacheRebuilt says why the tree cache file was refused and rebuilt
// when this store loaded it ("" when it was used, or there was none).
func (s *Store) TreeCacheRebuilt() string {
	s.tree.mu.Lock()
	defer s.tree.mu.Unlock()
	return s.tree.rebuilt
}

// extraMerkle is the key, in a snapshot header's Extra, of the Merkle
// tree's size and root at the snapshot's position: LoadSnapshot refuses a
// snapshot whose tree is not this log's there.
const extraMerkle = "merkle"

type snapshotTree struct {
	Size int64  `json:"size"`
	Root string `json:"root_hash"`
}

// treeAt is the tree's size and root at position, as JSON for Extra.
func (s *Store) treeAt(ctx context.Context, position domain.Position) (json.RawMessage, error) {
	n, err := s.TreeSizeAt(ctx, position)
	if err != nil {
		return nil, err
	}
	root, err := merkle.Root(ctx, s, n)
	if err != nil {
		return nil, fmt.Errorf("the Merkle tree at %d events: %w", n, err)
	}
	return json.Marshal(snapshotTree{Size: n, Root: root.String()})
}

// sameTree reports whether two Extra records name the same tree.
func sameTree(a, b json.RawMessage) bool {
	var x, y snapshotTree
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && x == y
}
