package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// cell is one request of the matrix for a role, against the caller's own
// organisation or another one.
type cellReq struct {
	method, path string
	body         any
}

// principalCol is a column of the matrix: a token and whether the request
// targets its own organisation.
type principalCol struct {
	name  string // e.g. "funder/own"
	token string
	role  string
	own   bool
}

func TestAccessMatrix(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	cols := []principalCol{
		{"funder/own", f.tok["funder"], access.RoleFunder, true}, {"funder/other", f.tok["funder"], access.RoleFunder, false},
		{"grantee/own", f.tok["grantee"], access.RoleGrantee, true}, {"grantee/other", f.tok["grantee"], access.RoleGrantee, false},
		{"auditor/own", f.tok["auditor"], access.RoleAuditor, true}, {"auditor/other", f.tok["auditor"], access.RoleAuditor, false},
		{"admin/own", f.tok["admin"], access.RoleAdmin, true}, {"admin/other", f.tok["admin"], access.RoleAdmin, false},
		{"anonymous/own", "", "", true}, {"anonymous/other", "", "", false},
	}
	ag := func(c principalCol) string {
		if c.own {
			return agOwn
		}
		return agOther
	}
	// orgParam names the caller's organisation (own) or the other one.
	orgParam := func(c principalCol) string {
		switch {
		case c.role == access.RoleGrantee && c.own:
			return "grantee=" + url.QueryEscape(granteeA)
		case c.role == access.RoleGrantee:
			return "grantee=" + url.QueryEscape(granteeB)
		case c.own:
			return "funder=" + url.QueryEscape(funderA)
		}
		return "funder=" + url.QueryEscape(funderB)
	}
	command := func(c principalCol) domain.Envelope {
		if c.role == access.RoleGrantee || c.role == access.RoleAuditor {
			return spending(ag(c), "1.00")
		}
		return newLine(ag(c))
	}
	// Expected statuses for each route, by column name. A cell not listed
	// takes the row's default.
	type row struct {
		req  func(c principalCol) cellReq
		want map[string]int
		def  int // default for columns not in want
	}
	readOwn := map[string]int{"funder/own": 200, "funder/other": 403, "grantee/own": 200, "grantee/other": 403,
		"auditor/own": 200, "auditor/other": 200, "anonymous/own": 401, "anonymous/other": 401}
	writeOwn := map[string]int{"funder/own": 201, "funder/other": 403, "grantee/own": 201, "grantee/other": 403,
		"anonymous/own": 401, "anonymous/other": 401}
	batchOwn := map[string]int{"funder/own": 201, "funder/other": 403, "grantee/own": 201, "grantee/other": 403,
		"anonymous/own": 401, "anonymous/other": 401}
	onlyRole := func(role string, ok int) map[string]int {
		return map[string]int{role + "/own": ok, role + "/other": ok, "anonymous/own": 401, "anonymous/other": 401}
	}
	public := map[string]int{}
	readAll := map[string]int{"funder/own": 200, "funder/other": 200, "grantee/own": 200, "grantee/other": 200,
		"auditor/own": 200, "auditor/other": 200, "anonymous/own": 401, "anonymous/other": 401}
	rows := map[string]row{
		"POST /v1/commands": {req: func(c principalCol) cellReq {
			return cellReq{"POST", "/v1/commands", command(c)}
		}, want: writeOwn, def: 403},
		"POST /v1/commands/batch": {req: func(c principalCol) cellReq {
			return cellReq{"POST", "/v1/commands/batch", []domain.Envelope{command(c)}}
		}, want: batchOwn, def: 403},
		"GET /v1/agreements/{agreement}": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/agreements/" + url.PathEscape(ag(c)), nil}
		}, want: readOwn, def: 403},
		"GET /v1/reports/yearly": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/reports/yearly?year=1&agreement=" + url.QueryEscape(ag(c)), nil}
		}, want: readOwn, def: 403},
		"GET /v1/reports/cash": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/reports/cash?agreement=" + url.QueryEscape(ag(c)), nil}
		}, want: readOwn, def: 403},
		"GET /v1/reports/reconciliation": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/reports/reconciliation?year=1&" + orgParam(c), nil}
		}, want: readOwn, def: 403},
		// Issue 15's reports: obligations as indicators; the period summary
		// of an agreement as its yearly report; a restatement of a report
		// that was never submitted is 404 once the agreement may be read.
		"GET /v1/reports/obligations": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/reports/obligations?" + orgParam(c), nil}
		}, want: readOwn, def: 403},
		"GET /v1/reports/period": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/reports/period?agreement=" + url.QueryEscape(ag(c)), nil}
		}, want: readOwn, def: 403},
		"GET /v1/reports/restatement": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/reports/restatement?report=none&agreement=" + url.QueryEscape(ag(c)), nil}
		}, want: map[string]int{"funder/own": 404, "grantee/own": 404, "auditor/own": 404, "auditor/other": 404, "anonymous/own": 401, "anonymous/other": 401}, def: 403},
		"GET /v1/reports/indicators": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/reports/indicators?" + orgParam(c), nil}
		}, want: readOwn, def: 403},
		"GET /v1/reports/audit": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/reports/audit?agreement=" + url.QueryEscape(ag(c)), nil}
		}, want: onlyRole(access.RoleAuditor, 200), def: 403},
		"GET /v1/verify": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/verify", nil}
		}, want: onlyRole(access.RoleAuditor, 200), def: 403},
		"GET /v1/checkpoint": {req: func(principalCol) cellReq {
			return cellReq{"GET", "/v1/checkpoint", nil}
		}, want: readAll, def: 403},
		"GET /v1/checkpoints": {req: func(principalCol) cellReq {
			return cellReq{"GET", "/v1/checkpoints?since=1", nil}
		}, want: readAll, def: 403},
		"GET /v1/proofs/consistency": {req: func(principalCol) cellReq {
			return cellReq{"GET", "/v1/proofs/consistency?from=1", nil}
		}, want: readAll, def: 403},
		"GET /v1/proofs/inclusion": {req: func(c principalCol) cellReq {
			evs, err := f.store.ReadAll(context.Background(), domain.Position{}, 1)
			if err != nil || len(evs) == 0 {
				t.Fatalf("no event to prove: %v", err)
			}
			return cellReq{"GET", "/v1/proofs/inclusion?event=" + evs[0].ID.String(), nil}
		}, want: onlyRole(access.RoleAuditor, 200), def: 403},
		"GET /v1/tokens": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/tokens", nil}
		}, want: onlyRole(access.RoleAdmin, 200), def: 403},
		"POST /v1/tokens": {req: func(c principalCol) cellReq {
			return cellReq{"POST", "/v1/tokens", TokenRequest{Name: "new-auditor", Role: access.RoleAuditor}}
		}, want: onlyRole(access.RoleAdmin, 201), def: 403},
		"DELETE /v1/tokens/{id}": {req: func(c principalCol) cellReq {
			_, rec, err := f.tokens.Create(access.Principal{Name: "to-revoke", Role: access.RoleAuditor})
			if err != nil {
				t.Fatal(err)
			}
			return cellReq{"DELETE", "/v1/tokens/" + rec.TokenID, nil}
		}, want: onlyRole(access.RoleAdmin, 204), def: 403},
		"GET /v1/whoami": {req: func(c principalCol) cellReq {
			return cellReq{"GET", "/v1/whoami", nil}
		}, want: map[string]int{"anonymous/own": 401, "anonymous/other": 401}, def: 200},
		"GET /healthz": {req: func(principalCol) cellReq { return cellReq{"GET", "/healthz", nil} }, want: public, def: 200},
		"GET /readyz":  {req: func(principalCol) cellReq { return cellReq{"GET", "/readyz", nil} }, want: public, def: 200},
		// No API token opens /metrics: it needs the metrics token (none here).
		"GET /metrics":      {req: func(principalCol) cellReq { return cellReq{"GET", "/metrics", nil} }, want: public, def: 404},
		"GET /openapi.json": {req: func(principalCol) cellReq { return cellReq{"GET", "/openapi.json", nil} }, want: public, def: 200},
	}
	// Every route of the server is a row, and every row is a route.
	routes := f.srv.Routes()
	sort.Strings(routes)
	var names []string
	for k := range rows {
		names = append(names, k)
	}
	sort.Strings(names)
	if strings.Join(routes, "\n") != strings.Join(names, "\n") {
		t.Fatalf("matrix rows and server routes differ:\nroutes:\n%s\nrows:\n%s", strings.Join(routes, "\n"), strings.Join(names, "\n"))
	}
	cells := 0
	for _, name := range names {
		r := rows[name]
		for _, c := range cols {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				want, ok := r.want[c.name]
				if !ok {
					want = r.def
				}
				cr := r.req(c)
				status, body, _ := f.do(cr.method, cr.path, c.token, cr.body)
				got := status
				if strings.HasSuffix(name, "/batch") && status == 200 {
					var br struct{ Results []struct{ Status int } }
					if err := json.Unmarshal(body, &br); err != nil || len(br.Results) != 1 {
						t.Fatalf("batch answer %s: %v", body, err)
					}
					got = br.Results[0].Status
				}
				if got != want {
					t.Errorf("%s %s as %s: got %d, want %d; body %s", cr.method, cr.path, c.name, got, want, body)
				}
				if status >= 400 {
					if p := decodeProblem(t, body); p.Status != status || p.Code == "" {
						t.Errorf("problem: got status %d code %q, want status %d and a code", p.Status, p.Code, status)
					}
				}
			})
			cells++
		}
	}
	if want := len(rows) * len(cols); cells != want {
		t.Errorf("cells walked: got %d, want %d", cells, want)
	}
	t.Logf("walked %d cells (%d routes x %d columns)", cells, len(rows), len(cols))
}

// TestCommandTypeRoles sends every command type from every role against
// its own agreement: a role that may not send the type gets 403 before the
// command is even validated; a role that may gets something other than
// 403 (the data here is deliberately incomplete, so usually 400).
func TestCommandTypeRoles(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for _, typ := range domain.CommandTypes() {
		for _, key := range []string{"funder", "grantee", "auditor", "admin"} {
			t.Run(typ+"/"+key, func(t *testing.T) {
				body := fmt.Sprintf(`{"type":%q,"command_id":"6f1c1b56-8a3b-4d8e-9a37-3f1e0d7c2b10","data":{"agreement":%q}}`, typ, agOwn)
				status, b, _ := f.do("POST", "/v1/commands", f.tok[key], body)
				// The type's own role, and an auditor for findings
				// (issue 14: declare_ineligible, record_recovery).
				allowed := commandRole(typ) == key || (key == "auditor" && (typ == domain.CmdDeclareIneligible || typ == domain.CmdRecordRecovery)) ||
					(key == "grantee" && (typ == domain.CmdRegisterDocument || typ == domain.CmdLinkDocument)) // issue 15: documents of both parties
				if allowed && status == 403 {
					t.Errorf("%s may send %s: got 403 %s", key, typ, b)
				}
				if !allowed && status != 403 {
					t.Errorf("%s may not send %s: got %d %s, want 403", key, typ, status, b)
				}
			})
		}
	}
}

// commandRole is the role package access gives a command type ("" for
// none).
func commandRole(typ string) string {
	r, _ := access.CommandRole(typ)
	return r
}
