package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// Issue 14: the cash position as a report of its own in the API
// (docs/SERVER.md, GET /v1/reports/cash), scoped like the yearly report:
// the agreement's own funder and grantee and any auditor read it, another
// organisation gets 403. AG-1 spent 10,00 in year 1 (the fixture); the
// funder pays 60,00: held 50,00 in year 1 and to date. as_of before the
// payment shows none (and says the agreement records no payments); CSV
// carries the per-year table.
func TestCashReportRoute(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	before := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	pay := domain.RecordDisbursement{Ref: domain.Ref{Agreement: agOwn}, Kind: domain.PayAdvance, Year: 1, Amount: domain.MustMoney("60,00"), Date: domain.MustDate("2024-01-20"), Reference: "MO-1"}
	if _, err := commandtest.Handle(context.Background(), f.svc, domain.NewEnvelope(uuid.New(), "setup", "", pay)); err != nil {
		t.Fatal(err)
	}
	type cash struct {
		Agreement       string `json:"agreement"`
		RecordsPayments bool   `json:"records_payments"`
		AsOf            string `json:"as_of"`
		Years           []struct {
			Year          int    `json:"year"`
			Disbursed     string `json:"disbursed"`
			EligibleSpent string `json:"eligible_spent"`
			Held          string `json:"held"`
		} `json:"years"`
		Total struct {
			Held string `json:"held"`
		} `json:"total"`
	}
	path := "/v1/reports/cash?agreement=" + url.QueryEscape(agOwn)
	for _, who := range []string{"funder", "grantee", "auditor"} {
		status, body, _ := f.do("GET", path, f.tok[who], nil)
		if status != 200 {
			t.Fatalf("%s reads the cash position: %d %s", who, status, body)
		}
		var c cash
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		if !c.RecordsPayments || len(c.Years) != 2 || c.Years[0].Disbursed != "60.00" || c.Years[0].EligibleSpent != "10.00" || c.Years[0].Held != "50.00" || c.Total.Held != "50.00" {
			t.Errorf("%s: cash position %s, want year 1 received 60.00, spent 10.00, held 50.00", who, body)
		}
	}
	for _, who := range []string{"funderB", "granteeB"} {
		if status, body, _ := f.do("GET", path, f.tok[who], nil); status != 403 {
			t.Errorf("%s reads AG-1's cash position: %d %s, want 403", who, status, body)
		}
	}
	if status, body, _ := f.do("GET", path, f.tok["admin"], nil); status != 403 {
		t.Errorf("admin reads a cash position: %d %s, want 403", status, body)
	}
	if status, body, _ := f.do("GET", "/v1/reports/cash?agreement=NOPE-1", f.tok["auditor"], nil); status != 404 {
		t.Errorf("an unknown agreement: %d %s, want 404", status, body)
	}
	if status, body, _ := f.do("GET", path+"&year=1", f.tok["grantee"], nil); status != 400 {
		t.Errorf("an unknown parameter: %d %s, want 400", status, body)
	}
	status, body, _ := f.do("GET", path+"&as_of="+url.QueryEscape(before.Format(time.RFC3339Nano)), f.tok["grantee"], nil)
	var c cash
	if status != 200 || json.Unmarshal(body, &c) != nil || c.RecordsPayments || c.Years[0].Disbursed != "0.00" || c.AsOf == "" {
		t.Errorf("as_of before the payment: %d %s, want nothing received and records_payments false", status, body)
	}
	status, body, hdr := f.do("GET", path+"&format=csv", f.tok["grantee"], nil)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("format=csv: %d %s", status, hdr.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(recs) < 2 || recs[0][0] != "Year" || recs[1][1] != "60.00" || recs[1][4] != "50.00" {
		t.Errorf("cash CSV = %q (%v)", recs, err)
	}
}
