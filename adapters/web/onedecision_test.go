package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// Issue 12: one decision (package access) says whether a principal may see
// or act on an agreement, on every path. A funder token for an
// organisation whose name only looks like seed 004's funder (Cyrillic "К"
// for Latin "K") is refused identically on the API's command route, in
// the API's report rows, on the web page and in the web's report rows; the
// token of the real funder, on the same four paths, is let through, so the
// refusal is the organisation's and not the path's.
func TestLookAlikeOrganisationRefusedOnEveryPath(t *testing.T) {
	f := newFixture(t)
	lookAlike := "К" + strings.TrimPrefix(seedFunder, "K")
	if lookAlike == seedFunder || !strings.HasPrefix(seedFunder, "K") {
		t.Fatalf("look-alike %q of %q is not a look-alike", lookAlike, seedFunder)
	}
	tok, _, err := f.tokens.Create(access.Principal{Name: "Look-alike officer", Role: access.RoleFunder, Funder: lookAlike})
	if err != nil {
		t.Fatal(err)
	}
	f.tok["lookAlike"] = tok

	api := func(key, method, path string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, f.url+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.tok[key])
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		key  string
		sees bool
	}{{"funder", true}, {"lookAlike", false}} {
		t.Run(tc.key, func(t *testing.T) {
			env := domain.NewEnvelope(uuid.New(), "officer", "", domain.PlanBudget{Ref: domain.Ref{Agreement: seeds.Seed004}, Line: "nonesuch", Year: 1, Amount: domain.MustMoney("1,00")})
			body, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			if code, b := api(tc.key, "POST", "/v1/commands", body); (code == http.StatusForbidden) == tc.sees {
				t.Errorf("API command on %s: status %d (%.200s); sees=%v", seeds.Seed004, code, b, tc.sees)
			}
			code, b := api(tc.key, "GET", "/v1/reports/reconciliation?year=1", nil)
			if code != http.StatusOK || strings.Contains(b, seeds.Seed004) != tc.sees {
				t.Errorf("API report rows: status %d, %s listed=%v, want %v", code, seeds.Seed004, strings.Contains(b, seeds.Seed004), tc.sees)
			}

			c := f.client(true)
			c.signIn(f, tc.key)
			if resp, _ := c.get(agreementPath(seeds.Seed004)); (resp.StatusCode == http.StatusOK) != tc.sees || !tc.sees && resp.StatusCode != http.StatusForbidden {
				t.Errorf("web page of %s: status %d; sees=%v", seeds.Seed004, resp.StatusCode, tc.sees)
			}
			resp, page := c.get("/reconciliation?year=1")
			if resp.StatusCode != http.StatusOK || strings.Contains(page, seeds.Seed004) != tc.sees {
				t.Errorf("web report rows: status %d, %s listed=%v, want %v", resp.StatusCode, seeds.Seed004, strings.Contains(page, seeds.Seed004), tc.sees)
			}
		})
	}
}
