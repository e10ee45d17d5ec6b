package tokens

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// Issue 12, item 3: tokens in the ledger's store. Two Tokens over one
// store stand for the CLI and a running server.
func TestTokenStoreSharedRevocationExpiryAndNoResurrection(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	server, err := OpenTokenStore(ctx, store, TokenOptions{Now: clock, Refresh: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := OpenTokenStore(ctx, store, TokenOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	tok, rec, err := cli.CreateWith(ctx, access.Principal{Name: "auditor", Role: access.RoleAuditor}, access.CreateOptions{Actor: "cli:root"})
	if err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { _, ok := server.Authenticate(tok); return ok }) {
		t.Fatal("the server does not see a token another process created")
	}
	if err := cli.RevokeWith(ctx, rec.TokenID, "cli:root"); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { _, ok := server.Authenticate(tok); return !ok }) {
		t.Fatal("a revoked token still works in the other process after 1s")
	}
	if _, ok := server.Lookup(rec.TokenID); ok {
		t.Error("Lookup (web sessions) still finds the revoked token")
	}
	// The server, whose copy was stale, creates another token: the revoked
	// one stays revoked.
	if _, _, err := server.Create(access.Principal{Name: "other", Role: access.RoleAuditor}); err != nil {
		t.Fatal(err)
	}
	if _, ok := server.Authenticate(tok); ok {
		t.Error("creating a token brought a revoked one back")
	}
	// Revoking twice is refused, and a second TokenCreated event with the
	// revoked hash (written by hand) does not bring it back.
	if err := server.Revoke(rec.TokenID); !errors.Is(err, access.ErrNoToken) {
		t.Errorf("revoking a revoked token: %v, want no such token", err)
	}
	if err := cli.ts.appendEvents(ctx, cli, "forger", "create_token", nil, domain.TokenCreated{ID: "again", Name: "x", Role: access.RoleAuditor, SHA256: rec.Hash}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if _, ok := server.Authenticate(tok); ok {
		t.Error("a new record with a revoked token's hash made it work again")
	}

	// Expiry.
	short, srec, err := cli.CreateWith(ctx, access.Principal{Name: "temp", Role: access.RoleAuditor}, access.CreateOptions{Expires: now.Add(90 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if _, ok := server.Authenticate(short); !ok {
		t.Fatal("a token before its expiry is refused")
	}
	now = now.Add(90*24*time.Hour + time.Second)
	if _, ok := server.Authenticate(short); ok {
		t.Error("a token after its expiry still works")
	}
	if _, ok := server.Lookup(srec.TokenID); ok {
		t.Error("Lookup finds an expired token")
	}
	if _, _, err := cli.CreateWith(ctx, access.Principal{Name: "past", Role: access.RoleAuditor}, access.CreateOptions{Expires: now.Add(-time.Hour)}); err == nil {
		t.Error("a token that expires in the past was created")
	}
	// The token stream is hash-chained like every other stream.
	evs, err := store.ReadStream(ctx, domain.TokenStream, 0, domain.Forwards, 100)
	if err != nil {
		t.Fatal(err)
	}
	v := domain.ChainVerifier{Stream: domain.TokenStream}
	for _, e := range evs {
		if err := v.Check(e); err != nil {
			t.Fatal(err)
		}
	}
}

// A funder or grantee token needs an organisation some agreement names.
func TestTokenStoreRefusesUnknownOrganisation(t *testing.T) {
	ctx := context.Background()
	orgs := func(context.Context) ([]string, []string, error) {
		return []string{"Ministry of Culture"}, []string{"Example NGO"}, nil
	}
	tokens, err := OpenTokenStore(ctx, memstore.New(), TokenOptions{Orgs: orgs})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tokens.Create(access.Principal{Name: "f", Role: access.RoleFunder, Funder: "Ministry of Culture"}); err != nil {
		t.Errorf("known funder refused: %v", err)
	}
	_, _, err = tokens.Create(access.Principal{Name: "f", Role: access.RoleFunder, Funder: "ministry of culture "})
	if !errors.Is(err, access.ErrUnknownOrg) || !strings.Contains(err.Error(), `did you mean "Ministry of Culture"`) {
		t.Errorf("funder differing by case: %v", err)
	}
	if _, _, err := tokens.Create(access.Principal{Name: "g", Role: access.RoleGrantee, Grantee: "Nobody"}); !errors.Is(err, access.ErrUnknownOrg) {
		t.Errorf("unknown grantee: %v", err)
	}
	if _, _, err := tokens.CreateWith(ctx, access.Principal{Name: "g", Role: access.RoleGrantee, Grantee: "Nobody"}, access.CreateOptions{AllowUnknown: true}); err != nil {
		t.Errorf("unknown grantee with AllowUnknown: %v", err)
	}
}

// When the token stream cannot be read, every token is refused: a
// revocation must never go unseen.
func TestTokenStoreFailsClosed(t *testing.T) {
	ctx := context.Background()
	store := &brokenReads{EventStore: memstore.New()}
	tokens, err := OpenTokenStore(ctx, store, TokenOptions{Refresh: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := tokens.Create(access.Principal{Name: "a", Role: access.RoleAuditor})
	if err != nil {
		t.Fatal(err)
	}
	store.broken.Store(true)
	time.Sleep(5 * time.Millisecond)
	if _, ok := tokens.Authenticate(tok); ok {
		t.Error("a token is accepted while the token stream cannot be read")
	}
	if tokens.Err() == nil {
		t.Error("Err does not say why")
	}
}

func eventually(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// brokenReads is a store whose stream reads fail once broken is set.
type brokenReads struct {
	domain.EventStore
	broken atomic.Bool
}

func (b *brokenReads) ReadStream(ctx context.Context, stream string, from uint64, dir domain.Direction, max int) ([]domain.RecordedEvent, error) {
	if b.broken.Load() {
		return nil, errors.New("store unreachable")
	}
	return b.EventStore.ReadStream(ctx, stream, from, dir, max)
}
