package tokens

import (
	"context"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/access"
)

// TestLookupEndsWithTheToken: docs/SERVER.md, "Tokens and roles": a web
// session looks its token up on every request, so a revoked or expired
// token ends it; each id gives its own principal and an unknown id none.
// Both for tokens in memory and for tokens in the ledger's store.
func TestLookupEndsWithTheToken(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	mem, err := OpenTokens("")
	if err != nil {
		t.Fatal(err)
	}
	mem.now = clock
	stored, err := OpenTokenStore(context.Background(), memstore.New(), TokenOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for name, tokens := range map[string]*Tokens{"memory": mem, "store": stored} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			_, a, err := tokens.CreateWith(ctx, access.Principal{Name: "auditor one", Role: access.RoleAuditor}, access.CreateOptions{Actor: "root (admin)"})
			if err != nil {
				t.Fatal(err)
			}
			_, b, err := tokens.CreateWith(ctx, access.Principal{Name: "root two", Role: access.RoleAdmin}, access.CreateOptions{Actor: "root (admin)", Expires: now.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range []access.TokenRecord{a, b} {
				p, ok := tokens.Lookup(rec.TokenID)
				if !ok || p.TokenID != rec.TokenID || p.Name != rec.Name || p.Role != rec.Role {
					t.Errorf("Lookup(%s) = %+v, %v; want %s, %s", rec.TokenID, p, ok, rec.Name, rec.Role)
				}
			}
			if p, ok := tokens.Lookup("000000000000"); ok {
				t.Errorf("Lookup of an unknown id = %+v, want none", p)
			}
			if err := tokens.RevokeWith(ctx, a.TokenID, "root (admin)"); err != nil {
				t.Fatal(err)
			}
			if p, ok := tokens.Lookup(a.TokenID); ok {
				t.Errorf("Lookup of a revoked token = %+v, want none", p)
			}
			if _, ok := tokens.Lookup(b.TokenID); !ok {
				t.Errorf("Lookup of the other token after a revocation: none")
			}
			saved := now
			now = now.Add(time.Hour) // the expiry itself: no longer valid
			if p, ok := tokens.Lookup(b.TokenID); ok {
				t.Errorf("Lookup at the token's expiry = %+v, want none", p)
			}
			now = saved
		})
	}
}
