// Package tokens keeps grantledger's API tokens: created, listed and
// revoked by the command line and the API's admin routes, checked by the
// API and the web pages' sign-in. OpenTokenStore keeps them in the
// ledger's own store (the token stream, hash-chained like every stream);
// only a token's SHA-256 is kept, never the token. A token's holder is an
// access.Principal: the role and organisation the access policy decides
// on, and the name written as the actor of every event it causes.
package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/grantledger/grantledger/app/access"
)

type tokenFile struct {
	Tokens []access.TokenRecord `json:"tokens"`
}

// Tokens is the set of API tokens. OpenTokenStore keeps them in the
// ledger's store (the token stream; see tokenstore.go), the one source of
// truth for the CLI and every running server; OpenTokens keeps them in
// memory (path "") or reads a token file of older versions. It is safe for
// concurrent use.
type Tokens struct {
	path string // "" keeps the tokens in memory only
	now  func() time.Time

	mu   sync.RWMutex
	recs []access.TokenRecord

	ts *tokenStream // nil unless the tokens live in the ledger's store
}

// TokenPrefix starts every token, so that a leaked one is easy to grep for.
const TokenPrefix = "glt_"

// OpenTokens reads the token file at path; a missing file is an empty set
// (the file is created on the first token). path "" keeps tokens in memory.
func OpenTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path, now: time.Now}
	if path == "" {
		return t, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("token file %s: mode %04o lets others read it; run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	var f tokenFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	for i, r := range f.Tokens {
		if err := checkPrincipal(r.Principal); err != nil {
			return nil, fmt.Errorf("token file %s: token %d (%s): %w", path, i+1, r.TokenID, err)
		}
		if len(r.Hash) != 64 {
			return nil, fmt.Errorf("token file %s: token %d (%s): sha256 must be 64 hex digits", path, i+1, r.TokenID)
		}
	}
	t.recs = f.Tokens
	return t, nil
}

// checkPrincipal refuses a principal docs/SERVER.md does not allow. (A
// chain of ifs rather than a switch: Go's coverage, and so the mutation
// tool, does not count a case expression as a statement.)
func checkPrincipal(p access.Principal) error {
	if strings.TrimSpace(p.Name) == "" {
		return errors.New("name is empty")
	}
	if p.Role == access.RoleFunder && strings.TrimSpace(p.Funder) == "" {
		return errors.New("a funder token needs the funder it acts for (--funder)")
	}
	if p.Role == access.RoleGrantee && strings.TrimSpace(p.Grantee) == "" {
		return errors.New("a grantee token needs the grantee it acts for (--grantee)")
	}
	if p.Role != access.RoleFunder && p.Role != access.RoleGrantee && p.Role != access.RoleAuditor && p.Role != access.RoleAdmin {
		return fmt.Errorf("unknown role %q; one of %s", p.Role, strings.Join(access.Roles, ", "))
	}
	if p.Role != access.RoleFunder && p.Funder != "" || p.Role != access.RoleGrantee && p.Grantee != "" {
		return fmt.Errorf("a %s token is not scoped to a funder or grantee", p.Role)
	}
	return nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Create makes a new token for p, saves its hash and returns the token.
// The token is shown only this once.
func (t *Tokens) Create(p access.Principal) (string, access.TokenRecord, error) {
	return t.CreateWith(context.Background(), p, access.CreateOptions{})
}

// CreateWith makes a new token for p as Create does, with an expiry, the
// actor recorded in the audit trail, and the check that its organisation
// exists (see access.CreateOptions).
func (t *Tokens) CreateWith(ctx context.Context, p access.Principal, o access.CreateOptions) (string, access.TokenRecord, error) {
	if err := checkPrincipal(p); err != nil {
		return "", access.TokenRecord{}, err
	}
	if !o.Expires.IsZero() && !o.Expires.After(t.now()) {
		return "", access.TokenRecord{}, fmt.Errorf("expires %s is not in the future", o.Expires.UTC().Format(time.RFC3339))
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", access.TokenRecord{}, err
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	var id [6]byte
	rand.Read(id[:])
	p.TokenID = hex.EncodeToString(id[:])
	rec := access.TokenRecord{Principal: p, Hash: hashToken(token), Created: t.now().UTC().Truncate(time.Second)}
	if !o.Expires.IsZero() {
		rec.Expires = o.Expires.UTC().Truncate(time.Second)
	}
	if t.ts != nil {
		if err := t.ts.create(ctx, t, rec, o); err != nil {
			return "", access.TokenRecord{}, err
		}
		return token, rec, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	next := append(append([]access.TokenRecord(nil), t.recs...), rec)
	if err := t.save(next); err != nil {
		return "", access.TokenRecord{}, err
	}
	t.recs = next
	return token, rec, nil
}

// Revoke removes the token with the given id.
func (t *Tokens) Revoke(id string) error {
	return t.RevokeWith(context.Background(), id, "")
}

// RevokeWith revokes the token with the given id; actor is recorded in the
// audit trail when the tokens live in the ledger's store.
func (t *Tokens) RevokeWith(ctx context.Context, id, actor string) error {
	if t.ts != nil {
		return t.ts.revoke(ctx, t, id, actor)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	next := make([]access.TokenRecord, 0, len(t.recs))
	for _, r := range t.recs {
		if r.TokenID != id {
			next = append(next, r)
		}
	}
	if len(next) == len(t.recs) {
		return fmt.Errorf("token %q: %w", id, access.ErrNoToken)
	}
	if err := t.save(next); err != nil {
		return err
	}
	t.recs = next
	return nil
}

// List returns the tokens (hashes included; they are not secret enough to
// log, but the HTTP API leaves them out).
func (t *Tokens) List() []access.TokenRecord {
	if t.ts != nil {
		t.ts.fresh()
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]access.TokenRecord, 0, len(t.recs))
	for _, r := range t.recs {
		if !r.Revoked {
			out = append(out, r)
		}
	}
	return out
}

// Lookup returns the principal of the token with the given id while the
// token is valid: not revoked, not expired, and (for tokens in the
// ledger's store) read from the store within the refresh interval. Web
// sessions call it on every request, so a revocation ends them too.
func (t *Tokens) Lookup(id string) (access.Principal, bool) {
	if t.ts != nil && !t.ts.fresh() {
		return access.Principal{}, false
	}
	now := t.now()
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, r := range t.recs {
		if r.TokenID == id {
			if r.Revoked || (!r.Expires.IsZero() && !now.Before(r.Expires)) {
				return access.Principal{}, false
			}
			return r.Principal, true
		}
	}
	return access.Principal{}, false
}

// Authenticate returns the principal holding token. Every stored hash is
// compared in constant time, and all of them are compared, so timing says
// nothing about which hash (or how much of it) matched.
func (t *Tokens) Authenticate(token string) (access.Principal, bool) {
	sum := sha256.Sum256([]byte(token))
	want := make([]byte, 64)
	hex.Encode(want, sum[:])
	if t.ts != nil && !t.ts.fresh() {
		return access.Principal{}, false // fail closed: a revocation might be unseen
	}
	now := t.now()
	t.mu.RLock()
	defer t.mu.RUnlock()
	var found access.Principal
	ok, refused := 0, 0
	for _, r := range t.recs {
		if subtle.ConstantTimeCompare([]byte(r.Hash), want) == 1 {
			if r.Revoked || (!r.Expires.IsZero() && !now.Before(r.Expires)) {
				refused = 1 // a revoked hash stays refused, whatever else matches
				continue
			}
			found = r.Principal
			ok = 1
		}
	}
	return found, ok == 1 && refused == 0
}

// save writes the records atomically: a temporary file with mode 0600 in
// the same directory, synced, then renamed over the old one.
func (t *Tokens) save(recs []access.TokenRecord) error {
	if t.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(tokenFile{Tokens: recs}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(t.path)
	f, err := os.CreateTemp(dir, ".tokens-*.tmp")
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if err := os.Rename(tmp, t.path); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	return nil
}
