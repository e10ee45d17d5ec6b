package web

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/readmodel"
)

// Issue 11, item 4: the checkpoint "and the signed checkpoint when there
// is a key" appears in the footer of web pages. With a signing key the
// footer carries the signed checkpoint of the state the page shows, and it
// opens with note's verifier and the public key alone.
func TestPageFooterCarriesTheSignedCheckpoint(t *testing.T) {
	skey, vkey, err := merkle.GenerateKey("test.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	f := newFixtureWith(t, func(o *readmodel.ServiceOptions) { o.Signer = signer })
	c := f.client(true)
	c.signIn(f, "grantee")
	resp, body := c.get(agreementPath(seeds.Seed004))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %.500s", resp.StatusCode, body)
	}
	m := regexp.MustCompile(`(?s)<pre class="signed">(.*?)</pre>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the footer has no signed checkpoint:\n%s", body[max(0, len(body)-1500):])
	}
	text := html.UnescapeString(m[1])
	n, err := note.Open([]byte(text), note.VerifierList(verifier))
	if err != nil {
		t.Fatalf("the footer's checkpoint does not open with the public key: %v\n%s", err, text)
	}
	var log merkle.Log = f.store
	size, _ := log.TreeSize(context.Background())
	root, _ := merkle.Root(context.Background(), log, size)
	c2, err := merkle.ParseCheckpoint(n.Text)
	if err != nil || c2.Size != size || c2.Root != root {
		t.Fatalf("signed checkpoint %+v (%v), want size %d root %s", c2, err, size, root)
	}
	if !strings.Contains(html.UnescapeString(body), "test.example/ledger") {
		t.Fatal("the footer does not name the log")
	}
}
