package httpapi

import (
	"context"
	"encoding/json"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/adapters/checkpoints"
	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
)

// TestProofRoutes: the checkpoint and the proofs the server gives check
// with the verifier key alone, through the library's functions.
func TestProofRoutes(t *testing.T) {
	skey, vkey, err := merkle.GenerateKey("test.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	store := memstore.New()
	f := newFixture(t, fixtureOpts{store: store, cfg: func(c *Config) {
		c.Proofs = &checkpoints.Service{Store: store, Signer: signer, Dir: t.TempDir()}
	}})
	status, b, _ := f.do("GET", "/v1/checkpoint", f.tok["funder"], nil)
	if status != 200 {
		t.Fatalf("GET /v1/checkpoint: %d %s", status, b)
	}
	var cp merkle.SignedCheckpoint
	json.Unmarshal(b, &cp)
	signed, err := merkle.OpenSigned([]byte(cp.Note), verifier)
	if err != nil || signed.Size != cp.Size || signed.Root != cp.Root || cp.Size == 0 {
		t.Fatalf("checkpoint %+v does not open: %v", cp, err)
	}
	evs, _ := store.ReadAll(context.Background(), domain.Position{}, 0)
	for _, e := range []domain.RecordedEvent{evs[0], evs[len(evs)/2], evs[len(evs)-1]} {
		status, b, _ = f.do("GET", "/v1/proofs/inclusion?event="+e.ID.String(), f.tok["auditor"], nil)
		if status != 200 {
			t.Fatalf("inclusion: %d %s", status, b)
		}
		var p merkle.InclusionProof
		json.Unmarshal(b, &p)
		if _, l, err := merkle.CheckInclusionProof(p, verifier); err != nil || l.ID != e.ID.String() {
			t.Fatalf("inclusion proof of %s: %v", e.ID, err)
		}
		if err := tlog.CheckRecord(p.AuditPath, p.TreeSize, cp.Root, p.LeafIndex, merkle.LeafHash(e)); err != nil {
			t.Fatalf("tlog.CheckRecord refuses the proof of %s: %v", e.ID, err)
		}
	}
	status, b, _ = f.do("GET", "/v1/proofs/consistency?from=3", f.tok["grantee"], nil)
	if status != 200 {
		t.Fatalf("consistency: %d %s", status, b)
	}
	var cr merkle.ConsistencyResponse
	json.Unmarshal(b, &cr)
	newer, err := merkle.OpenSigned([]byte(cr.Note), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(cr.Proof, newer.Size, newer.Root, 3, cr.FromRoot); err != nil {
		t.Fatalf("tlog.CheckTree refuses the consistency proof: %v", err)
	}
	if status, _, _ := f.do("GET", "/v1/proofs/consistency?from=x", f.tok["grantee"], nil); status != 400 {
		t.Fatalf("consistency with a bad from: %d, want 400", status)
	}
	if status, _, _ := f.do("GET", "/v1/proofs/inclusion?event="+evs[0].ID.String(), f.tok["grantee"], nil); status != 403 {
		t.Fatalf("inclusion as a grantee: %d, want 403 (a proof carries the event's bytes)", status)
	}
}

// TestJSONReportsCarryTheirCheckpoint: with the log set, a JSON report of
// the server ends with the log state it was computed from.
func TestJSONReportsCarryTheirCheckpoint(t *testing.T) {
	store := memstore.New()
	f := newFixture(t, fixtureOpts{store: store, cfg: func(c *Config) {
		c.Reports = readmodel.NewLive(store, readmodel.ServiceOptions{Log: store})
	}})
	status, b, _ := f.do("GET", "/v1/reports/yearly?year=1&agreement="+agOwn, f.tok["auditor"], nil)
	if status != 200 {
		t.Fatalf("yearly: %d %s", status, b)
	}
	var rep struct {
		Agreement  string `json:"agreement"`
		Checkpoint struct {
			Size int64       `json:"size"`
			Root merkle.Hash `json:"root_hash"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	n, _ := store.TreeSize(context.Background())
	root, _ := merkle.Root(context.Background(), store, n)
	if rep.Agreement != agOwn || rep.Checkpoint.Size != n || rep.Checkpoint.Root != root {
		t.Fatalf("report %s checkpoint %+v, want size %d root %s", rep.Agreement, rep.Checkpoint, n, root)
	}
	// CSV still renders the report itself.
	if status, b, _ := f.do("GET", "/v1/reports/yearly?year=1&format=csv&agreement="+agOwn, f.tok["auditor"], nil); status != 200 || len(b) == 0 {
		t.Fatalf("yearly CSV: %d %s", status, b)
	}
}
