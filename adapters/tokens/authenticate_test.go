package tokens

import (
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/access"
)

// TestAuthenticateComparesWholeHashes checks the token comparison that
// Authenticate makes: it hashes the presented token and compares it with
// every stored SHA-256 using crypto/subtle.ConstantTimeCompare (see
// tokens.go), so that neither the time taken nor a partial match tells an
// attacker how close a guess was. Timing is not asserted here (no timed
// assertions in unit tests); what is asserted is that only the exact
// token matches: one differing in its last character, a prefix, the
// token with a suffix, the stored hash itself, and the empty string do
// not; and that with many tokens each still finds its own holder.
func TestAuthenticateComparesWholeHashes(t *testing.T) {
	tokens, err := OpenTokens("")
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	toks := make([]string, n)
	for i := range toks {
		toks[i], _, err = tokens.Create(access.Principal{Name: "auditor-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), Role: access.RoleAuditor})
		if err != nil {
			t.Fatal(err)
		}
	}
	recs := tokens.List()
	for i, tok := range toks {
		p, ok := tokens.Authenticate(tok)
		if !ok || p.TokenID != recs[i].TokenID {
			t.Fatalf("token %d: got %+v %v, want its own principal %s", i, p, ok, recs[i].TokenID)
		}
	}
	tok := toks[n/2]
	last := tok[len(tok)-1]
	flip := byte('A')
	if last == 'A' {
		flip = 'B'
	}
	for name, guess := range map[string]string{
		"last character differs": tok[:len(tok)-1] + string(flip),
		"prefix":                 tok[:len(tok)-1],
		"suffix added":           tok + "x",
		"the stored hash":        recs[n/2].Hash,
		"the prefix alone":       TokenPrefix,
		"empty":                  "",
	} {
		t.Run(name, func(t *testing.T) {
			if p, ok := tokens.Authenticate(guess); ok {
				t.Errorf("Authenticate(%q): got %+v, want no match", guess, p)
			}
		})
	}
}
