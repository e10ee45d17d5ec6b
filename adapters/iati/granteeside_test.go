package iati

import (
	"bytes"
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// Issue 14: "incoming funds on the grantee side where it applies". IATI
// 2.03's TransactionType codelist: 1 Incoming Funds, 2 Outgoing
// Commitment, 3 Disbursement, 4 Expenditure, 11 Incoming Commitment; a
// transaction is reported from the reporting organisation's side. Seed 004
// with year 1 paid (24 500,00 twice, a duplicate reversed): the grantee's
// export reports the total funding of 147 000,00 as an incoming commitment
// and the payments, less the 128,28 returned, as 48 871,72 of incoming
// funds, with no outgoing commitment or disbursement; its reporting org
// is the grantee (type 22) and the identifier starts with the grantee's
// identifier. The funder's export of the same ledger keeps types 2 and 3
// (TestExportPayments). Both valid against the IATI 2.03 schema.
func TestExportGranteeSideIncomingFunds(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: func() time.Time { return time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC) }})
	for i, r := range commandtest.HandleBatch(ctx, svc, seeds.Scenario004()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	m, d := domain.MustMoney, domain.MustDate
	ref := domain.Ref{Agreement: seeds.Seed004}
	n := 0
	do := func(reason string, c domain.Command) command.Result {
		t.Helper()
		n++
		res, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(domain.AgreementID("iati-grantee-test-"+string(rune('a'+n))), seeds.Ministry, reason, c))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: 1, Amount: m("24 500,00"), Date: d("2022-07-20"), Reference: "MK-1"})
	dup := do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: 1, Amount: m("24 500,00"), Date: d("2022-07-20"), Reference: "MK-1"})
	do("entered twice", domain.ReverseDisbursement{Ref: ref, Disbursement: dup.Events[0].ID, Date: d("2022-07-22")})
	do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayFinal, Year: 1, Amount: m("24 500,00"), Date: d("2023-08-15"), Reference: "MK-2"})

	const granteeRef = "LV-RUR-40008000000"
	var buf bytes.Buffer
	if err := Export(ctx, store, &buf, Options{OrgRef: granteeRef, Reporting: ReportingGrantee}); err != nil {
		t.Fatal(err)
	}
	validate(t, buf.Bytes())
	var got activities
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	a := got.Activities[0]
	sums := map[string]domain.Money{}
	counts := map[string]int{}
	for _, tx := range a.Transactions {
		sums[tx.Type.Code] += mustAmount(t, tx.Value.Amount)
		counts[tx.Type.Code]++
	}
	if counts["2"] != 0 || counts["3"] != 0 {
		t.Errorf("the grantee's export has %d outgoing commitments and %d disbursements, want none", counts["2"], counts["3"])
	}
	if counts["11"] != 1 || sums["11"] != m("147000") {
		t.Errorf("incoming commitments: %d of %s, want one of 147000.00", counts["11"], sums["11"])
	}
	if want := m("48871.72"); sums["1"] != want {
		t.Errorf("incoming funds add up to %s, want %s", sums["1"], want)
	}
	// Seed 004's spending: 47 786,53 + 49 000,00 + 48 871,72.
	if want := m("145658.25"); sums["4"] != want {
		t.Errorf("expenditure adds up to %s, want %s", sums["4"], want)
	}
	if a.ReportingOrg.Ref != granteeRef || a.ReportingOrg.Type != "22" || !strings.HasPrefix(a.Identifier, granteeRef+"-") {
		t.Errorf("reporting org %+v, identifier %s; want the grantee %s, type 22", a.ReportingOrg, a.Identifier, granteeRef)
	}
	if err := Export(ctx, store, &buf, Options{Reporting: "auditor"}); err == nil {
		t.Error("an unknown reporting side was accepted")
	}
}
