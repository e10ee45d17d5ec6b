package esdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/app/access"
)

// Issue 12, item 3, on EventStoreDB: the tokens are a stream of the store,
// so two processes (two connections here: the CLI and a server) share
// them, and a revocation by one is seen by the other within a second.
func TestTokensSharedThroughEventStoreDB(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	ctx := context.Background()
	cliStore, serverStore := mustOpen(t, srv.URL()), mustOpen(t, srv.URL())
	defer cliStore.Close()
	defer serverStore.Close()
	cli, err := toks.OpenTokenStore(ctx, cliStore, toks.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	server, err := toks.OpenTokenStore(ctx, serverStore, toks.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, rec, err := cli.CreateWith(ctx, access.Principal{Name: "auditor", Role: access.RoleAuditor}, access.CreateOptions{Actor: "cli:test"})
	if err != nil {
		t.Fatal(err)
	}
	seen := func(want bool) bool {
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, ok := server.Authenticate(tok); ok == want {
				return true
			}
		}
		return false
	}
	if !seen(true) {
		t.Fatal("a token created through one connection is refused through the other after 1s")
	}
	if err := cli.RevokeWith(ctx, rec.TokenID, "cli:test"); err != nil {
		t.Fatal(err)
	}
	if !seen(false) {
		t.Fatal("a revoked token is still accepted through the other connection after 1s")
	}
}
