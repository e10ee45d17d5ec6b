package tokens

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/access"
)

func TestTokensFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	tokens, err := OpenTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, rec, err := tokens.Create(access.Principal{Name: "officer", Role: access.RoleFunder, Funder: "Ministry"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("token file mode: got %04o, want 0600", perm)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), tok) || strings.Contains(string(raw), tok[len(TokenPrefix):]) {
		t.Error("the token itself is in the file; only its hash may be")
	}
	again, err := OpenTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := again.Authenticate(tok)
	if !ok || p.TokenID != rec.TokenID || p.Funder != "Ministry" {
		t.Errorf("authenticate after reopening: got %+v %v, want %s", p, ok, rec.TokenID)
	}
	if _, ok := again.Authenticate(tok + "x"); ok {
		t.Error("a wrong token authenticated")
	}
	t.Run("scope required", func(t *testing.T) {
		if _, _, err := again.Create(access.Principal{Name: "x", Role: access.RoleGrantee}); err == nil {
			t.Error("a grantee token without a grantee was created")
		}
	})
	t.Run("world-readable file refused", func(t *testing.T) {
		os.Chmod(path, 0o644)
		if _, err := OpenTokens(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("got %v, want a refusal naming chmod 600", err)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		os.Chmod(path, 0o600)
		if err := again.Revoke(rec.TokenID); err != nil {
			t.Fatal(err)
		}
		if _, ok := again.Authenticate(tok); ok {
			t.Error("a revoked token still authenticates")
		}
		if err := again.Revoke(rec.TokenID); !errors.Is(err, access.ErrNoToken) {
			t.Errorf("second revoke: got %v, want access.ErrNoToken", err)
		}
	})
}
