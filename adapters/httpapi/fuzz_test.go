package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// FuzzPostCommand POSTs arbitrary bodies to /v1/commands through the
// server's handler, with a valid grantee token or a valid funder token
// (both of the organisations owning AG-1). Whatever the body, the server
// must never answer 5xx (a recovered panic answers 500, so panics fail
// too), every 4xx must be application/problem+json whose status and code
// agree with the answer, and a 4xx must append nothing.
//
// Short run: go test -run='^$' -fuzz='^FuzzPostCommand$' -fuzztime=10s ./adapters/httpapi
func FuzzPostCommand(f *testing.F) {
	d, _ := domain.ParseDate("2024-03-01")
	seed := func(c domain.Command) []byte {
		b, _ := json.Marshal(domain.NewEnvelope(uuid.MustParse("6f1c1d2e-5b7a-4c1e-9a0b-1d2c3e4f5a6b"), "x", "", c))
		return b
	}
	f.Add(seed(domain.RecordSpending{Ref: domain.Ref{Agreement: agOwn}, Line: "L1", Year: 1, Amount: domain.MustMoney("12.34"), Date: d, Document: "inv-1"}), false)
	f.Add(seed(domain.RecordSpending{Ref: domain.Ref{Agreement: agOther}, Line: "L1", Year: 1, Amount: domain.MustMoney("1.00"), Date: d, Document: "inv-2"}), false)
	f.Add(seed(domain.PlanBudget{Ref: domain.Ref{Agreement: agOwn}, Line: "L1", Year: 2, Amount: domain.MustMoney("5.00")}), true)
	f.Add(seed(domain.AddBudgetLine{Ref: domain.Ref{Agreement: agOwn}, LineSpec: domain.LineSpec{Line: "L9", Name: "nine"}}), true)
	f.Add([]byte(`{"type":"record_spending","command_id":"00000000-0000-0000-0000-000000000001","data":{"agreement":"AG-1","line":"L1","year":1,"amount":"-1.00","date":"2024-03-01","document":"d"}}`), false)
	f.Add([]byte(`{"type":"record_spending","data":{"amount":1e400}}`), false)
	f.Add([]byte(`[{"type":"record_spending"}]`), false)
	f.Add([]byte(`{"type":"\xff\xfe","command_id":"x"}`), true)
	f.Add([]byte(strings.Repeat("[", 10000)), false)
	f.Add([]byte(`{}{}`), false)
	f.Add([]byte(``), true)

	store := memstore.New()
	svc := command.New(store, command.Options{})
	tokens, err := toks.OpenTokens("")
	if err != nil {
		f.Fatal(err)
	}
	grantee, _, err := tokens.Create(access.Principal{Name: "accountant-a", Role: access.RoleGrantee, Grantee: granteeA})
	if err != nil {
		f.Fatal(err)
	}
	funder, _, err := tokens.Create(access.Principal{Name: "officer-a", Role: access.RoleFunder, Funder: funderA})
	if err != nil {
		f.Fatal(err)
	}
	y1, y1e, y2, y2e := domain.MustDate("2024-01-01"), domain.MustDate("2024-12-31"), domain.MustDate("2025-01-01"), domain.MustDate("2025-12-31")
	for _, n := range []struct{ number, funder, grantee string }{{agOwn, funderA, granteeA}, {agOther, funderB, granteeB}} {
		for _, c := range []domain.Command{
			domain.RegisterAgreement{Ref: domain.Ref{Agreement: n.number}, Kind: domain.KindGrant, Title: "Fuzz " + n.number, Grantee: n.grantee, Funder: n.funder,
				Period: domain.Period{From: y1, To: y2e}, Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}, {Year: 2, From: y2, To: y2e}},
				Lines: []domain.LineSpec{{Line: "L1", Name: "Line one"}}},
			domain.PlanBudget{Ref: domain.Ref{Agreement: n.number}, Line: "L1", Year: 1, Amount: domain.MustMoney("100000.00")},
		} {
			if _, err := commandtest.Handle(context.Background(), svc, domain.NewEnvelope(uuid.New(), "setup", "", c)); err != nil {
				f.Fatalf("setup %s %s: %v", n.number, c.CommandType(), err)
			}
		}
	}
	srv, err := New(Config{Ledger: svc, Reports: readmodel.NewLive(store, readmodel.ServiceOptions{}), Tokens: tokens, Store: store})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	ctx := context.Background()
	// last is the position of the newest event seen; events after it
	// are what a request appended.
	last := func() domain.Position {
		var pos domain.Position
		for {
			evs, err := store.ReadAll(ctx, pos, 1024)
			if err != nil {
				f.Fatalf("read the store: %v", err)
			}
			if len(evs) == 0 {
				return pos
			}
			pos = evs[len(evs)-1].Position
		}
	}
	seen := last()

	f.Fuzz(func(t *testing.T, body []byte, asFunder bool) {
		token := grantee
		if asFunder {
			token = funder
		}
		req := httptest.NewRequest("POST", "/v1/commands", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		status := rec.Code
		if status >= 500 {
			t.Fatalf("body %q: status %d, want below 500; answer %s", body, status, rec.Body.Bytes())
		}
		after, err := store.ReadAll(ctx, seen, 16)
		if err != nil {
			t.Fatalf("read the store: %v", err)
		}
		if status >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("body %q: status %d with Content-Type %q, want application/problem+json", body, status, ct)
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("body %q: status %d, problem does not decode: %v (%q)", body, status, err, rec.Body.Bytes())
			}
			if p.Status != status || p.Code == "" || p.Detail == "" {
				t.Errorf("body %q: problem %+v, want status %d, a code and a detail", body, p, status)
			}
			if len(after) != 0 {
				t.Fatalf("body %q: status %d but %d event(s) appended, first %s", body, status, len(after), after[0].Type)
			}
			return
		}
		if status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("body %q: status %d, want 200, 201 or a 4xx problem", body, status)
		}
		if status == http.StatusOK && len(after) != 0 {
			t.Fatalf("body %q: 200 (duplicate) but %d event(s) appended", body, len(after))
		}
		if status == http.StatusCreated && len(after) == 0 {
			t.Fatalf("body %q: 201 but nothing appended", body)
		}
		seen = last()
	})
}
