package esdb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/adapters/esdb"
	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

func treeCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func treeEvents(tag string, n int) []domain.EventData {
	out := make([]domain.EventData, n)
	for i := range out {
		out[i] = domain.EventData{ID: uuid.New(), Type: "Test", Data: []byte(fmt.Sprintf(`{"t":%q,"i":%d}`, tag, i)), Metadata: []byte(`{"hash":"x"}`)}
	}
	return out
}

// libraryRoot is the oracle: tlog's own tree over the leaves of every
// event ReadAll returns, in order.
func libraryRoot(t *testing.T, ctx context.Context, s domain.EventStore) (int64, tlog.Hash) {
	t.Helper()
	var lib hashes
	var from domain.Position
	for range 1000 {
		page, err := s.ReadAll(ctx, from, 500)
		if err != nil {
			t.Fatalf("ReadAll: %v", err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			hs, err := tlog.StoredHashes(int64(lib.leaves), merkle.LeafBytes(e), lib)
			if err != nil {
				t.Fatal(err)
			}
			lib.h = append(lib.h, hs...)
			lib.leaves++
		}
		from = page[len(page)-1].Position
	}
	root, err := tlog.TreeHash(int64(lib.leaves), lib)
	if err != nil {
		t.Fatal(err)
	}
	return int64(lib.leaves), root
}

type hashes struct {
	h      []tlog.Hash
	leaves int
}

func (m hashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m.h[x]
	}
	return out, nil
}

func storeRoot(t testing.TB, ctx context.Context, s *esdb.Store) (int64, tlog.Hash) {
	t.Helper()
	n, err := s.TreeSize(ctx)
	if err != nil {
		t.Fatalf("TreeSize: %v", err)
	}
	root, err := merkle.Root(ctx, s, n)
	if err != nil {
		t.Fatalf("Root: %v", err)
	}
	return n, root
}

// openWithDir opens the adapter with its cache files in dir.
func openWithDir(t testing.TB, srv *esdbtest.Server, dir string) *esdb.Store {
	t.Helper()
	s := mustOpen(t, srv.URL()+"&snapshotDir="+dir)
	t.Cleanup(func() { s.Close() })
	return s
}

func fill(t testing.TB, ctx context.Context, s domain.EventStore, stream string, from, n int) {
	t.Helper()
	exp := domain.NoStream
	if from > 0 {
		exp = domain.Exact(uint64(from - 1))
	}
	if _, err := s.Append(ctx, stream, exp, treeEvents(stream, n)); err != nil {
		t.Fatalf("append to %s: %v", stream, err)
	}
}

func cacheFile(t testing.TB, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "merkle.*.tree"))
	if len(m) != 1 {
		t.Fatalf("want one tree cache file in %s, found %v", dir, m)
	}
	return m[0]
}

// The tree after appends, extended across processes from the cache file,
// is the library's tree over every event in $all order, including the
// token stream.
func TestTreeRootMatchesLibraryAcrossReopen(t *testing.T) {
	ctx := treeCtx(t)
	srv := startServer(t, esdbtest.Options{})
	dir := t.TempDir()
	s := openWithDir(t, srv, dir)
	fill(t, ctx, s, "agreement-a", 0, 5)
	fill(t, ctx, s, "grantledger-tokens", 0, 2)
	fill(t, ctx, s, "agreement-b", 0, 3)
	n, root := storeRoot(t, ctx, s)
	if wn, wroot := libraryRoot(t, ctx, s); n != wn || root != wroot || n != 10 {
		t.Fatalf("tree of %d leaves, root %s; library: %d leaves, root %s (10 events appended)", n, root, wn, wroot)
	}
	s.Close()
	s2 := openWithDir(t, srv, dir)
	fill(t, ctx, s2, "agreement-a", 5, 4)
	n, root = storeRoot(t, ctx, s2)
	if why := s2.TreeCacheRebuilt(); why != "" {
		t.Fatalf("an untouched cache was refused: %s", why)
	}
	if wn, wroot := libraryRoot(t, ctx, s2); n != wn || root != wroot || n != 14 {
		t.Fatalf("after reopen: tree of %d leaves, root %s; library: %d leaves, root %s", n, root, wn, wroot)
	}
	// Positions map to tree sizes and back.
	evs, _ := s2.ReadAll(ctx, domain.Position{}, 0)
	for i, e := range evs {
		if k, err := s2.TreeSizeAt(ctx, e.Position); err != nil || k != int64(i+1) {
			t.Fatalf("TreeSizeAt(event %d) = %d, %v", i, k, err)
		}
		if li, err := s2.LeafIndex(ctx, e.ID); err != nil || li != int64(i) {
			t.Fatalf("LeafIndex(event %d) = %d, %v", i, li, err)
		}
	}
}

// A cache file with one byte changed is refused and rebuilt from $all.
func TestTreeCacheTamperedIsRebuilt(t *testing.T) {
	ctx := treeCtx(t)
	srv := startServer(t, esdbtest.Options{})
	dir := t.TempDir()
	s := openWithDir(t, srv, dir)
	fill(t, ctx, s, "agreement-a", 0, 6)
	storeRoot(t, ctx, s)
	s.Close()
	path := cacheFile(t, dir)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1 // the last leaf hash
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := openWithDir(t, srv, dir)
	n, root := storeRoot(t, ctx, s2)
	if why := s2.TreeCacheRebuilt(); !strings.Contains(why, "the file was changed") {
		t.Fatalf("tampered cache: rebuilt = %q, want it refused as changed", why)
	}
	if wn, wroot := libraryRoot(t, ctx, s2); n != wn || root != wroot {
		t.Fatalf("rebuilt tree: %d leaves root %s; library %d root %s", n, root, wn, wroot)
	}
	if b2, _ := os.ReadFile(path); bytes.Equal(b, b2) {
		t.Fatal("the tampered cache file was not rewritten")
	}
}

// A cache whose records, checksum and root agree, but that belongs to
// another log (its events are not at its positions in this server's
// $all), is refused and rebuilt.
func TestTreeCacheOfAnotherLogIsRebuilt(t *testing.T) {
	ctx := treeCtx(t)
	other := startServer(t, esdbtest.Options{})
	srv := startServer(t, esdbtest.Options{})
	dirOther, dir := t.TempDir(), t.TempDir()
	so := openWithDir(t, other, dirOther)
	fill(t, ctx, so, "agreement-x", 0, 4)
	storeRoot(t, ctx, so)
	s := openWithDir(t, srv, dir)
	fill(t, ctx, s, "agreement-y", 0, 4)
	storeRoot(t, ctx, s)
	s.Close()
	// The other server's cache, relabelled as this server's.
	ob, _ := os.ReadFile(cacheFile(t, dirOther))
	mine, _ := os.ReadFile(cacheFile(t, dir))
	head := func(b []byte) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(b[:bytes.IndexByte(b, '\n')], &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	h := head(ob)
	h["server_sha256"] = head(mine)["server_sha256"]
	nh, _ := json.Marshal(h)
	forged := append(append(nh, '\n'), ob[bytes.IndexByte(ob, '\n')+1:]...)
	if err := os.WriteFile(cacheFile(t, dir), forged, 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := openWithDir(t, srv, dir)
	n, root := storeRoot(t, ctx, s2)
	if why := s2.TreeCacheRebuilt(); !strings.Contains(why, "a cache of another log") {
		t.Fatalf("foreign cache: rebuilt = %q, want it refused as another log's", why)
	}
	if wn, wroot := libraryRoot(t, ctx, s2); n != wn || root != wroot {
		t.Fatalf("rebuilt tree: %d leaves root %s; library %d root %s", n, root, wn, wroot)
	}
}

// An event edited on the server after a checkpoint: Verify (what verify
// --checkpoint runs) names it, and the incremental check of the reads
// does too once the tree was cached before the edit.
func TestTreeServerSideEditCaught(t *testing.T) {
	ctx := treeCtx(t)
	srv := startServer(t, esdbtest.Options{})
	dir := t.TempDir()
	s := openWithDir(t, srv, dir)
	fill(t, ctx, s, "agreement-a", 0, 3)
	fill(t, ctx, s, "agreement-b", 0, 3)
	n, root := storeRoot(t, ctx, s)
	cp := merkle.Checkpoint{Origin: "test", Size: n, Root: root}
	if !srv.ForgeData("agreement-a", 1, []byte(`{"t":"agreement-a","i":999}`)) {
		t.Fatal("the test server has no event to forge")
	}
	s.Close()
	for _, fresh := range []bool{false, true} {
		d := dir
		if fresh {
			d = t.TempDir() // no cache: the tree is rebuilt from the edited log
		}
		s2 := openWithDir(t, srv, d)
		res, err := merkle.Verify(ctx, s2, []merkle.Checkpoint{cp}, nil)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if res.OK || len(res.Checkpoints) != 1 || res.Checkpoints[0].OK {
			t.Fatalf("fresh cache %v: Verify of an edited log against the earlier checkpoint: %+v", fresh, res)
		}
		_, bad, err := merkle.CheckFrom(ctx, s2, s2, merkle.Verified{}, []merkle.Checkpoint{cp})
		if err != nil || bad == nil {
			t.Fatalf("fresh cache %v: CheckFrom = %v, %v; want the edit named", fresh, bad, err)
		}
	}
}

// A snapshot's header names the Merkle tree (size and root) at its
// position; a snapshot whose header names another tree is not loaded.
func TestSnapshotHeaderBindsTheTree(t *testing.T) {
	ctx := treeCtx(t)
	srv := startServer(t, esdbtest.Options{})
	dir := t.TempDir()
	s := openWithDir(t, srv, dir)
	fill(t, ctx, s, "agreement-a", 0, 3)
	fill(t, ctx, s, "agreement-b", 0, 2)
	evs, err := s.ReadAll(ctx, domain.Position{}, 0)
	if err != nil || len(evs) != 5 {
		t.Fatalf("ReadAll: %d events, %v", len(evs), err)
	}
	var lib hashes
	for i, e := range evs[:3] {
		hs, err := tlog.StoredHashes(int64(i), merkle.LeafBytes(e), lib)
		if err != nil {
			t.Fatal(err)
		}
		lib.h = append(lib.h, hs...)
	}
	want, err := tlog.TreeHash(3, lib)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSnapshot(ctx, "rm", evs[2].Position, []byte("read model")); err != nil {
		t.Fatal(err)
	}
	path := s.SnapshotPath("rm")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nl := bytes.IndexByte(b, '\n')
	var h struct {
		Extra map[string]struct {
			Size int64  `json:"size"`
			Root string `json:"root_hash"`
		} `json:"extra"`
	}
	if err := json.Unmarshal(b[:nl], &h); err != nil {
		t.Fatal(err)
	}
	if m := h.Extra["merkle"]; m.Size != 3 || m.Root != want.String() {
		t.Fatalf("snapshot header extra.merkle = %+v, want size 3 root %s", m, want)
	}
	if _, _, ok, err := s.LoadSnapshot(ctx, "rm"); !ok || err != nil {
		t.Fatalf("untouched snapshot not loaded: %v", err)
	}
	forged := bytes.Replace(b, []byte(want.String()), []byte(tlog.Hash{}.String()), 1)
	if bytes.Equal(forged, b) {
		t.Fatal("the root is not in the header")
	}
	if err := os.WriteFile(path, forged, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := s.LoadSnapshot(ctx, "rm"); ok || err != nil {
		t.Fatalf("snapshot naming another tree: ok %v, err %v; want it refused", ok, err)
	}
}
