package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/adapters/esdb"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// startESDBTestServer builds and starts esdbtestd (the in-process test
// server on its own, 127.0.0.1 only) and returns its connection string.
func startESDBTestServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "esdbtestd")
	build := exec.Command("go", "build", "-o", bin, "../../adapters/esdb/internal/esdbtest/esdbtestd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build esdbtestd: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start esdbtestd: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case url := <-line:
		if !strings.HasPrefix(url, "esdb://") {
			t.Fatalf("esdbtestd printed %q, not a connection string", url)
		}
		return url
	case <-time.After(30 * time.Second):
		t.Fatal("esdbtestd printed no connection string in 30 s")
	}
	return ""
}

// On EventStoreDB the Merkle log is kept (in the local cache), so a report
// names its checkpoint: the size and root of the events in $all, which
// the library's own tree over those events confirms, and verify
// --checkpoint holds against a signed checkpoint.
func TestESDBReportNamesItsCheckpoint(t *testing.T) {
	url := startESDBTestServer(t)
	dir := t.TempDir()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	store := url + sep + "snapshotDir=" + filepath.Join(dir, "cache")
	key := filepath.Join(dir, "signing.key")
	vkey, errs, code := runCLI(t, "", "key", "generate", "--out", key)
	if code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--store", store, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	cp := filepath.Join(dir, "day1.checkpoint")
	if _, errs, code := runCLI(t, "", "checkpoint", "--store", store, "--signing-key", key, "--dir", filepath.Join(dir, "cps"), "--out", cp); code != 0 {
		t.Fatalf("checkpoint: %s", errs)
	}
	out, errs, code := runCLI(t, "", "report", "--store", store, "--agreement", "DEMO-1", "--year", "1", "--format", "json")
	if code != 0 {
		t.Fatalf("report: %s", errs)
	}
	// The tree's cache and the read model's snapshot, beside each other;
	// the report restored the snapshot, bound to the tree on EventStoreDB.
	for _, pat := range []string{"merkle.*.tree", "*.snap"} {
		if m, _ := filepath.Glob(filepath.Join(dir, "cache", pat)); len(m) != 1 {
			t.Fatalf("cache directory: %d files %s, want 1", len(m), pat)
		}
	}
	var rep struct {
		Checkpoint *struct {
			Size     int64  `json:"size"`
			Root     string `json:"root_hash"`
			Verified bool   `json:"verified"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Checkpoint == nil {
		t.Fatalf("a report on EventStoreDB carries no checkpoint:\n%s", out)
	}
	// The oracle: tlog's tree over every event the store returns.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := esdb.Open(ctx, url+sep+"snapshotDir=off")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, err := s.ReadAll(ctx, domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var lib libHashes
	for i, e := range evs {
		hs, err := tlog.StoredHashes(int64(i), merkle.LeafBytes(e), lib)
		if err != nil {
			t.Fatal(err)
		}
		lib = append(lib, hs...)
	}
	want, err := tlog.TreeHash(int64(len(evs)), lib)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checkpoint.Size != int64(len(evs)) || rep.Checkpoint.Root != want.String() || !rep.Checkpoint.Verified {
		t.Fatalf("report checkpoint %+v; the library's tree over the %d events has root %s", *rep.Checkpoint, len(evs), want)
	}
	if out, errs, code := runCLI(t, "", "verify", "--store", store, "--checkpoint", cp, "--verifier-key", strings.TrimSpace(vkey)); code != 0 {
		t.Fatalf("verify --checkpoint: exit %d\n%s%s", code, out, errs)
	}
}

type libHashes []tlog.Hash

func (m libHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

// A read-model snapshot on EventStoreDB whose tree header names a root
// that is not the log's (one folded from other events, its file checksum
// recomputed) is refused by plain verify, as on the embedded store.
func TestESDBForgedSnapshotRefused(t *testing.T) {
	url := startESDBTestServer(t)
	dir := t.TempDir()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	store := url + sep + "snapshotDir=" + filepath.Join(dir, "cache")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--store", store, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	if out, errs, code := runCLI(t, "", "report", "--store", store, "--agreement", "DEMO-1", "--year", "1"); code != 0 {
		t.Fatalf("report: exit %d\n%s%s", code, out, errs)
	}
	if out, errs, code := runCLI(t, "", "verify", "--store", store); code != 0 {
		t.Fatalf("verify before the forgery: exit %d\n%s%s", code, out, errs)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "cache", "*.snap"))
	if len(m) != 1 {
		t.Fatalf("%d snapshot files, want 1", len(m))
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	nl := bytes.IndexByte(b, '\n')
	var head map[string]any
	if err := json.Unmarshal(b[:nl], &head); err != nil {
		t.Fatal(err)
	}
	blob := append([]byte(nil), b[nl+1:]...)
	const tag = "GLTREE1\n"
	if !bytes.HasPrefix(blob, []byte(tag)) {
		t.Fatalf("the snapshot's read model has no tree header (docs/PROOFS.md)")
	}
	blob[len(tag)+8] ^= 0xff // the first byte of the root hash
	sum := sha256.Sum256(blob)
	head["blob_sha256"] = hex.EncodeToString(sum[:])
	nh, _ := json.Marshal(head)
	if err := os.WriteFile(m[0], append(append(nh, '\n'), blob...), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, "", "verify", "--store", store)
	if code != exitTampered {
		t.Fatalf("verify with a forged snapshot: exit %d, want %d\n%s%s", code, exitTampered, out, errs)
	}
	if !strings.Contains(out+errs, "snapshot") {
		t.Fatalf("verify refused, but does not name the snapshot:\n%s%s", out, errs)
	}
}
