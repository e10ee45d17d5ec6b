package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
)

// Issue 14: "Every report that shows an agreement shows its ceiling and
// intensity". Seed 004 registers 147 000,00 of total funding and 100 %
// support intensity; year 3 received an advance of 24 500,00 and spent
// 48 871,72, so the grantee pre-financed 24 371,72.
func TestYearReportShowsCeilingIntensityAndCash(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)).Now})
	for i, r := range commandtest.HandleBatch(ctx, svc, seeds.Scenario004()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	if _, err := projtest.Cmd(ctx, svc, seeds.Ministry, "", domain.RecordDisbursement{Ref: domain.Ref{Agreement: seeds.Seed004}, Kind: domain.PayAdvance,
		Year: 3, Amount: domain.MustMoney("24 500,00"), Date: domain.MustDate("2024-07-20"), Reference: "MK-1"}); err != nil {
		t.Fatal(err)
	}
	l, err := projtest.Fold(ctx, store, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.YearReport(seeds.Seed004, 3, domain.MustDate("2025-11-23"))
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[document.Lang][]string{
		document.LV: {"Maksimālais apmērs (kopējais finansējums): 147 000,00", "Atbalsta intensitāte: 100 %", "Saņemts no finansētāja: 24 500,00",
			"Attiecināmie izdevumi: 48 871,72", "priekšfinansēts): -24 371,72", "priekšfinansēts) (kopā līdz šim): -121 158,25", "attiecināmie izdevumi par 24 371,72 euro pārsniedz saņemto finansējumu", "termiņš bija 28.09.2025. "},
		document.EN: {"Ceiling (total funding): 147,000.00", "Support intensity: 100 %", "Received from the funder: 24,500.00",
			"pre-financed): -24,371.72", "pre-financed) (to date): -121,158.25", "Year 3: eligible spending exceeds the funds received by 24,371.72"},
	} {
		var b bytes.Buffer
		if err := report.WriteTextWidth(&b, document.YearDocument(r, lang), -1); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(strings.ReplaceAll(b.String(), "\u00a0", " ")), " ") // the columns' padding aside
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%v: the report lacks %q:\n%s", lang, w, text)
			}
		}
	}
}

// A closed year restated by a post-closure finding shows its figures as
// closed next to the restated ones, and says so among the findings.
func TestYearReportShowsClosedAndRestated(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)).Now})
	for i, r := range commandtest.HandleBatch(ctx, svc, seeds.Scenario004()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	if _, err := projtest.Cmd(ctx, svc, "auditor", "Ex-post audit", domain.DeclareIneligible{Ref: domain.Ref{Agreement: seeds.Seed004}, Line: seeds.LineCivil, Year: 1,
		Amount: domain.MustMoney("350"), Date: domain.MustDate("2025-10-30"), Description: "no list"}); err != nil {
		t.Fatal(err)
	}
	l, err := projtest.Fold(ctx, store, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.YearReport(seeds.Seed004, 1, domain.MustDate("2025-11-23"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteTextWidth(&b, document.YearDocument(r, document.EN), -1); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(b.String()), " ")
	// Civil line: 28 959,87 spent; none ineligible as closed, 350,00 restated.
	for _, w := range []string{"As closed and as restated after closing", "28,959.87 0.00 0.00 28,959.87 350.00 0.00",
		"Year 1 was restated after closing: ineligible expenditure changed by 350.00",
		"No payments to the grantee are recorded for this agreement."} { // seed 004 alone records no payment
		if !strings.Contains(text, w) {
			t.Errorf("the report lacks %q:\n%s", w, b.String())
		}
	}
}
