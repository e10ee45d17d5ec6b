package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/readmodel"
)

// Issue 11, item 4: "Every report names the state it was computed from:
// the checkpoint (tree size and root hash, and the signed checkpoint when
// there is a key) appears in JSON, in the footer of text/Markdown/HTML/web
// pages, in the XLSX properties or first sheet". The server's reports in
// every format it renders but CSV (one table of figures for machine
// readers, docs/REPORTS.md) must name the log state, and with a signing
// key carry the signed checkpoint, which opens with note's verifier.
func TestServerReportsOfEveryFormatNameTheirState(t *testing.T) {
	skey, vkey, err := merkle.GenerateKey("test.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	store := memstore.New()
	f := newFixture(t, fixtureOpts{store: store, cfg: func(c *Config) {
		c.Reports = readmodel.NewLive(store, readmodel.ServiceOptions{Log: store, Signer: signer})
	}})
	n, _ := store.TreeSize(context.Background())
	root, _ := merkle.Root(context.Background(), store, n)
	for _, path := range []string{"/v1/reports/yearly?year=1&agreement=" + agOwn, "/v1/reports/reconciliation?year=1"} {
		status, b, _ := f.do("GET", path, f.tok["auditor"], nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, b)
		}
		var rep struct {
			Checkpoint struct {
				Size   int64       `json:"size"`
				Root   merkle.Hash `json:"root_hash"`
				Signed string      `json:"signed_checkpoint"`
			} `json:"checkpoint"`
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		c, err := merkle.OpenSigned([]byte(rep.Checkpoint.Signed), verifier)
		if err != nil || c.Size != n || c.Root != root || rep.Checkpoint.Size != n || rep.Checkpoint.Root != root {
			t.Fatalf("%s JSON: checkpoint %+v (signed: %+v, %v), want size %d root %s signed", path, rep.Checkpoint, c, err, n, root)
		}
		if _, err := note.Open([]byte(rep.Checkpoint.Signed), note.VerifierList(verifier)); err != nil {
			t.Fatalf("%s JSON: the signed checkpoint does not open with note's verifier: %v", path, err)
		}
		for _, format := range []string{"md", "html"} {
			status, b, _ := f.do("GET", path+"&format="+format, f.tok["auditor"], nil)
			text := html.UnescapeString(string(b))
			if status != 200 || !strings.Contains(text, root.String()) || !strings.Contains(text, "— test.example/ledger ") {
				t.Errorf("%s as %s: %d, lacks root %s or the signed checkpoint:\n%s", path, format, status, root, text)
			}
		}
		status, b, _ = f.do("GET", path+"&format=xlsx", f.tok["auditor"], nil)
		if status != 200 || !xlsxHas(t, b, root.String()) {
			t.Errorf("%s as xlsx: %d, no cell names root %s", path, status, root)
		}
	}
}

func xlsxHas(t *testing.T, b []byte, s string) bool {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, sh := range x.GetSheetList() {
		rows, _ := x.GetRows(sh)
		for _, r := range rows {
			for _, c := range r {
				if strings.Contains(c, s) {
					return true
				}
			}
		}
	}
	return false
}
