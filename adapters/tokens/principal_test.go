package tokens

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/access"
)

// TestTokenPrincipalsFromDocs: docs/SERVER.md, "Tokens and roles": a funder
// token acts for one funder and a grantee token for one grantee; an auditor
// or admin token acts for no organisation; the roles are funder, grantee,
// auditor and admin; every token has a holder's name. A token that breaks
// this is refused when created and when read from the token file (naming
// the token), so no principal without an organisation, or with one it
// should not have, ever reaches the access checks.
func TestTokenPrincipalsFromDocs(t *testing.T) {
	refused := map[string]access.Principal{
		"no name":                 {Name: "  ", Role: access.RoleAuditor},
		"funder without funder":   {Name: "n", Role: access.RoleFunder},
		"funder with blank":       {Name: "n", Role: access.RoleFunder, Funder: " \t"},
		"grantee without grantee": {Name: "n", Role: access.RoleGrantee},
		"grantee with blank":      {Name: "n", Role: access.RoleGrantee, Grantee: "  "},
		"unknown role":            {Name: "n", Role: "owner"},
		"empty role":              {Name: "n"},
		"role in capitals":        {Name: "n", Role: "Auditor"},
		"auditor with a funder":   {Name: "n", Role: access.RoleAuditor, Funder: "Ministry A"},
		"auditor with a grantee":  {Name: "n", Role: access.RoleAuditor, Grantee: "NGO A"},
		"admin with a funder":     {Name: "n", Role: access.RoleAdmin, Funder: "Ministry A"},
		"funder with a grantee":   {Name: "n", Role: access.RoleFunder, Funder: "Ministry A", Grantee: "NGO A"},
		"grantee with a funder":   {Name: "n", Role: access.RoleGrantee, Grantee: "NGO A", Funder: "Ministry A"},
	}
	accepted := map[string]access.Principal{
		"funder":  {Name: "n", Role: access.RoleFunder, Funder: "Ministry A"},
		"grantee": {Name: "n", Role: access.RoleGrantee, Grantee: "NGO A"},
		"auditor": {Name: "n", Role: access.RoleAuditor},
		"admin":   {Name: "n", Role: access.RoleAdmin},
	}
	tokens, err := OpenTokens("")
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range refused {
		t.Run("create/"+name, func(t *testing.T) {
			if _, _, err := tokens.Create(p); err == nil {
				t.Errorf("Create(%+v): accepted, want refused", p)
			}
		})
		t.Run("file/"+name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.json")
			rec := access.TokenRecord{Principal: p, Hash: strings.Repeat("a", 64)}
			rec.TokenID = "abc123"
			b, _ := json.Marshal(tokenFile{Tokens: []access.TokenRecord{rec}})
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := OpenTokens(path)
			if err == nil || !strings.Contains(err.Error(), "token 1 (abc123)") {
				t.Errorf("token file holding %+v: %v, want refused naming token 1 (abc123)", p, err)
			}
		})
	}
	for name, p := range accepted {
		t.Run("create/"+name, func(t *testing.T) {
			tok, rec, err := tokens.Create(p)
			if err != nil {
				t.Fatalf("Create(%+v): %v", p, err)
			}
			got, ok := tokens.Authenticate(tok)
			if !ok || got.Role != p.Role || got.Funder != p.Funder || got.Grantee != p.Grantee || got.TokenID != rec.TokenID {
				t.Errorf("Authenticate: %+v %v, want %+v", got, ok, p)
			}
		})
	}
	t.Run("file with a short hash", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tokens.json")
		rec := access.TokenRecord{Principal: accepted["auditor"], Hash: strings.Repeat("a", 63)}
		rec.TokenID = "abc124"
		b, _ := json.Marshal(tokenFile{Tokens: []access.TokenRecord{rec}})
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenTokens(path); err == nil || !strings.Contains(err.Error(), "token 1 (abc124)") || !strings.Contains(err.Error(), "64 hex") {
			t.Errorf("token file with a 63-digit hash: %v, want refused", err)
		}
	})
}
