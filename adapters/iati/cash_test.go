package iati

import (
	"bytes"
	"context"
	"encoding/xml"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// Issue 14: the export carries the funder's commitment (type 2, the total
// funding), its payments as disbursements (type 3) and the payment
// schedule as planned-disbursement elements, and stays valid against the
// IATI 2.03 schema.
func TestExportPayments(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	clock := time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC)
	svc := command.New(store, command.Options{Clock: func() time.Time { return clock }})
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
		res, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(domain.AgreementID("iati-cash-test-"+string(rune('a'+n))), seeds.Ministry, reason, c))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	do("", domain.PlanDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: 1, Amount: m("24 500,00"), Date: d("2022-07-20")})
	do("", domain.PlanDisbursement{Ref: ref, Kind: domain.PayFinal, Year: 1, Amount: m("24 500,00"), Date: d("2023-08-15"), Report: "year 1 summary"})
	do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: 1, Amount: m("24 500,00"), Date: d("2022-07-20"), Reference: "MK-1"})
	dup := do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: 1, Amount: m("24 500,00"), Date: d("2022-07-20"), Reference: "MK-1"})
	do("entered twice", domain.ReverseDisbursement{Ref: ref, Disbursement: dup.Events[0].ID, Date: d("2022-07-22")})
	do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayFinal, Year: 1, Amount: m("24 500,00"), Date: d("2023-08-15"), Reference: "MK-2"})

	var buf bytes.Buffer
	if err := Export(ctx, store, &buf, Options{OrgRef: "LV-RUR-90000000000"}); err != nil {
		t.Fatal(err)
	}
	validate(t, buf.Bytes())
	var got activities
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	a := got.Activities[0]
	var commitment, disbursed domain.Money
	var commitments int
	for _, tx := range a.Transactions {
		switch tx.Type.Code {
		case "2":
			commitments++
			commitment += mustAmount(t, tx.Value.Amount)
		case "3":
			disbursed += mustAmount(t, tx.Value.Amount)
		}
	}
	if commitments != 1 || commitment != m("147000") {
		t.Errorf("commitments: %d of %s, want one of 147000.00 (seed 004's total funding)", commitments, commitment)
	}
	// 24 500,00 + 24 500,00 paid (the duplicate reversed), less the 128,28
	// returned (a negative disbursement, as before).
	if want := m("48871.72"); disbursed != want {
		t.Errorf("disbursements add up to %s, want %s", disbursed, want)
	}
	if len(a.Planned) != 2 || a.Planned[0].Value.Amount != "24500.00" || a.Planned[1].Start.Date != "2023-08-15" {
		t.Errorf("planned-disbursement = %+v, want the two scheduled payments", a.Planned)
	}
}
