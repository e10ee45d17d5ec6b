package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// Issue 11, item 2: "A checkpoint is made after commits (at most every N
// events or T seconds, configurable), at every close_year". docs/PROOFS.md
// ("API"): with GRANTLEDGER_SIGNING_KEY and GRANTLEDGER_CHECKPOINT_DIR set,
// serve adds checkpoints to the directory on its own, after every
// close_year, and once GRANTLEDGER_CHECKPOINT_EVENTS events or
// GRANTLEDGER_CHECKPOINT_INTERVAL have passed since the newest one.
//
// The commands are written by 'apply' beside the running server (with the
// directory unset for apply, so that apply's own checkpoints do not count):
// the server's loop must find them in the ledger as it finds its own.
// Every checkpoint is checked with golang.org/x/mod/sumdb/note's verifier
// and the public key alone, its root recomputed with tlog from the events.

// servedLedger is a ledger with a signing key, served with the automatic
// checkpoints of the given policy.
type servedLedger struct {
	t        *testing.T
	db, cps  string
	verifier note.Verifier
	base     string
	token    string
	next     int // spendings recorded so far
}

func startCheckpointServe(t *testing.T, events, interval string) *servedLedger {
	t.Helper()
	return startCheckpointServeAfter(t, events, interval, nil)
}

// startCheckpointServeAfter runs before(l) between preparing the ledger
// and starting the server.
func startCheckpointServeAfter(t *testing.T, events, interval string, before func(*servedLedger)) *servedLedger {
	t.Helper()
	dir := t.TempDir()
	l := &servedLedger{t: t, db: filepath.Join(dir, "l.db"), cps: filepath.Join(dir, "cps")}
	key := filepath.Join(dir, "signing.key")
	vkey, errs, code := runCLI(t, "", "key", "generate", "--out", key, "--name", "ledger.test.example")
	if code != 0 {
		t.Fatalf("key generate: %s", errs)
	}
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		t.Fatalf("the printed verifier key does not parse: %v", err)
	}
	l.verifier = v
	t.Setenv("GRANTLEDGER_SIGNING_KEY", key)
	t.Setenv("GRANTLEDGER_CHECKPOINT_DIR", "")
	t.Setenv("GRANTLEDGER_TOKENS", "")
	// The agreement, its budget and one spending, before the server starts.
	l.apply(strings.Join(strings.SplitAfter(walkJSONL, "\n")[:4], ""))
	l.spend(1)
	l.token = mustToken(t, l.db, "--role", "auditor", "--name", "auditor")
	if before != nil {
		before(l)
	}
	t.Setenv("GRANTLEDGER_CHECKPOINT_DIR", l.cps)
	t.Setenv("GRANTLEDGER_CHECKPOINT_EVENTS", events)
	t.Setenv("GRANTLEDGER_CHECKPOINT_INTERVAL", interval)
	l.base, _ = startServe(t, "--db", l.db)
	// From here on, apply writes without checkpoints of its own.
	os.Setenv("GRANTLEDGER_CHECKPOINT_DIR", "")
	return l
}

func (l *servedLedger) apply(jsonl string) {
	l.t.Helper()
	if _, errs, code := runCLI(l.t, jsonl, "apply", "--db", l.db, "-"); code != 0 {
		l.t.Fatalf("apply: exit %d: %s", code, errs)
	}
}

// spend records n spendings of 1,00 (one event each), in one apply.
func (l *servedLedger) spend(n int) {
	l.t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		l.next++
		fmt.Fprintf(&b, `{"type":"record_spending","command_id":%q,"actor":"accountant@ngo.example","data":{"agreement":"DEMO-1","line":"training","year":1,"amount":"1,00","date":"2024-07-01","document":"CP-%d"}}`+"\n", uuid.NewString(), l.next)
	}
	l.apply(b.String())
}

// treeSize is the number of events in the ledger.
func (l *servedLedger) treeSize() int64 {
	l.t.Helper()
	s, err := sqlite.Open(l.db)
	if err != nil {
		l.t.Fatal(err)
	}
	defer s.Close()
	evs, err := s.ReadAll(context.Background(), domain.Position{}, 0)
	if err != nil {
		l.t.Fatal(err)
	}
	return int64(len(evs))
}

// rootOf is the RFC 6962 root of the ledger's first n events, computed
// with tlog from the leaves' canonical bytes.
func (l *servedLedger) rootOf(n int64) tlog.Hash {
	l.t.Helper()
	s, err := sqlite.Open(l.db)
	if err != nil {
		l.t.Fatal(err)
	}
	defer s.Close()
	evs, err := s.ReadAll(context.Background(), domain.Position{}, 0)
	if err != nil {
		l.t.Fatal(err)
	}
	var stored []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, e := range evs[:n] {
		hs, err := tlog.StoredHashes(int64(i), merkle.LeafBytes(e), r)
		if err != nil {
			l.t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	root, err := tlog.TreeHash(n, r)
	if err != nil {
		l.t.Fatal(err)
	}
	return root
}

// openCheckpoint checks a signed checkpoint with the verifier alone and
// reads its size and root from the C2SP tlog-checkpoint body (origin,
// size, base64 root).
func (l *servedLedger) openCheckpoint(text []byte) (int64, tlog.Hash) {
	l.t.Helper()
	n, err := note.Open(text, note.VerifierList(l.verifier))
	if err != nil {
		l.t.Fatalf("checkpoint does not verify with the public key: %v\n%s", err, text)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != "ledger.test.example" {
		l.t.Fatalf("checkpoint body is not origin, size, root:\n%s", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		l.t.Fatalf("checkpoint size %q: %v", lines[1], err)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != 32 {
		l.t.Fatalf("checkpoint root %q: %v", lines[2], err)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return size, h
}

// kept returns the sizes of the checkpoints in the directory, each
// verified and its root recomputed, oldest first.
func (l *servedLedger) kept() []int64 {
	l.t.Helper()
	names, _ := filepath.Glob(filepath.Join(l.cps, "checkpoint-*.txt"))
	var sizes []int64
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			l.t.Fatal(err)
		}
		size, root := l.openCheckpoint(b)
		if want := l.rootOf(size); root != want {
			l.t.Fatalf("%s: root %s, the first %d events hash to %s", name, root, size, want)
		}
		sizes = append(sizes, size)
	}
	return sizes
}

// waitKept waits up to d for the directory to hold n checkpoints.
func (l *servedLedger) waitKept(n int, d time.Duration) []int64 {
	l.t.Helper()
	var got []int64
	within(d, func() bool {
		names, _ := filepath.Glob(filepath.Join(l.cps, "checkpoint-*.txt"))
		return len(names) >= n
	})
	got = l.kept()
	if len(got) != n {
		l.t.Fatalf("%d checkpoints kept after %s, want %d: sizes %v", len(got), d, n, got)
	}
	return got
}

// checkLatest checks that GET /v1/checkpoint gives a checkpoint of the
// whole ledger that verifies with the public key.
func (l *servedLedger) checkLatest() {
	l.t.Helper()
	req, _ := http.NewRequest("GET", l.base+"/v1/checkpoint", nil)
	req.Header.Set("Authorization", "Bearer "+l.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		l.t.Fatalf("GET /v1/checkpoint: %d %s", resp.StatusCode, body)
	}
	var got struct {
		Size int64  `json:"size"`
		Note string `json:"note"`
	}
	if err := json.Unmarshal(body, &got); err != nil || got.Note == "" {
		l.t.Fatalf("GET /v1/checkpoint: no signed note in %s (%v)", body, err)
	}
	size, root := l.openCheckpoint([]byte(got.Note))
	if n := l.treeSize(); size != n || got.Size != n {
		l.t.Fatalf("GET /v1/checkpoint: size %d (note %d), the ledger holds %d events", got.Size, size, n)
	}
	if want := l.rootOf(size); root != want {
		l.t.Fatalf("GET /v1/checkpoint: root %s, the events hash to %s", root, want)
	}
}

// The loop looks every min(T, 5 s): a checkpoint that is due appears
// within loopLook (waits end as soon as it does; generous for a loaded CI
// machine), and quiet, longer than one look, shows that none was made.
const (
	loopLook = 15 * time.Second
	quiet    = 6 * time.Second
)

func TestServeCheckpointsAfterNEvents(t *testing.T) {
	l := startCheckpointServe(t, "4", "1h")
	// No checkpoint existed: the first look makes one of the whole log.
	first := l.waitKept(1, loopLook)
	if first[0] != l.treeSize() {
		t.Fatalf("first checkpoint of %d events, the ledger holds %d", first[0], l.treeSize())
	}
	// Three events are fewer than 4 since the newest: none.
	l.spend(3)
	time.Sleep(quiet)
	l.waitKept(1, 0)
	// The fourth makes one of exactly first+4 events.
	l.spend(1)
	got := l.waitKept(2, loopLook)
	if got[1] != first[0]+4 {
		t.Fatalf("checkpoint after 4 events has size %d, want %d", got[1], first[0]+4)
	}
	l.checkLatest()
	l.checkReport()
}

// checkReport checks that a JSON report of the server carries its state
// signed with the server's key.
func (l *servedLedger) checkReport() {
	l.t.Helper()
	req, _ := http.NewRequest("GET", l.base+"/v1/reports/yearly?year=1&agreement=DEMO-1", nil)
	req.Header.Set("Authorization", "Bearer "+l.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rep struct {
		Checkpoint struct {
			Size   int64  `json:"size"`
			Signed string `json:"signed_checkpoint"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal(body, &rep); err != nil || resp.StatusCode != 200 {
		l.t.Fatalf("yearly report: %d %s", resp.StatusCode, body)
	}
	size, root := l.openCheckpoint([]byte(rep.Checkpoint.Signed))
	if size != rep.Checkpoint.Size || root != l.rootOf(size) {
		l.t.Fatalf("the report's signed checkpoint is of %d events root %s; the report says %d, the events hash to %s", size, root, rep.Checkpoint.Size, l.rootOf(size))
	}
}

func TestServeCheckpointsAfterTSeconds(t *testing.T) {
	l := startCheckpointServe(t, "1000", "1s")
	first := l.waitKept(1, loopLook)
	// A second without new events: nothing to sign again.
	time.Sleep(2500 * time.Millisecond)
	l.waitKept(1, 0)
	// One event, far fewer than 1000, but more than T since the newest.
	l.spend(1)
	got := l.waitKept(2, loopLook)
	if got[1] != first[0]+1 {
		t.Fatalf("checkpoint after T has size %d, want %d", got[1], first[0]+1)
	}
	l.checkLatest()
}

func TestServeCheckpointsAtCloseYear(t *testing.T) {
	l := startCheckpointServe(t, "1000", "1h")
	first := l.waitKept(1, loopLook)
	lines := strings.SplitAfter(walkJSONL, "\n")
	l.apply(lines[5]) // carry_over: no checkpoint due
	time.Sleep(quiet)
	l.waitKept(1, 0)
	l.apply(lines[6]) // close_year: a checkpoint at once
	got := l.waitKept(2, loopLook)
	if got[1] != l.treeSize() || got[1] <= first[0] {
		t.Fatalf("checkpoint after close_year has size %d, the ledger holds %d (first %d)", got[1], l.treeSize(), first[0])
	}
	l.checkLatest()
}

// A close_year recorded while the server was down (after the newest
// checkpoint) is still signed at once when the server starts, not an hour
// or 1000 events later.
func TestServeCheckpointsACloseYearRecordedWhileDown(t *testing.T) {
	var first int64
	l := startCheckpointServeAfter(t, "1000", "1h", func(l *servedLedger) {
		if _, errs, code := runCLI(t, "", "checkpoint", "--db", l.db, "--dir", l.cps); code != 0 {
			t.Fatalf("checkpoint: %s", errs)
		}
		first = l.treeSize()
		lines := strings.SplitAfter(walkJSONL, "\n")
		l.apply(lines[5] + lines[6]) // carry_over, close_year
	})
	got := l.waitKept(2, loopLook)
	if got[0] != first || got[1] != l.treeSize() {
		t.Fatalf("checkpoints of %v events, want %d then %d (after the close_year)", got, first, l.treeSize())
	}
}
