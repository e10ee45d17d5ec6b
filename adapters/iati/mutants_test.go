package iati

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// docs/INTEROP.md, "Identifiers": every character other than ASCII
// letters, digits, '-', '_', '.' becomes '-', and then '-' and 8 hex
// digits of the SHA-256 of the number follow. The characters next to
// each kept range in ASCII are replaced; the ends of the ranges are kept.
func TestIdentifierCharacterRanges(t *testing.T) {
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:4]) }
	if got := Identifier("X", "azAZ09-_."); got != "X-azAZ09-_." {
		t.Errorf("Identifier of the kept ends = %q, want X-azAZ09-_.", got)
	}
	for _, n := range []string{"a`b", "a{b", "a@b", "a[b", "a/b", "a:b", "a\u0080b", "aāb"} {
		want := "X-a-b-" + sum(n)
		if got := Identifier("X", n); got != want {
			t.Errorf("Identifier(%q) = %q, want %q", n, got, want)
		}
	}
}

// docs/INTEROP.md, the IATI table: the English title says "Delegation
// agreement" or "Grant project" by the agreement's kind; activity-date
// type 2 is the *first* spending date, whatever order the spending was
// recorded in; a refund of a recovery is a negative disbursement.
func TestActivityKindFirstSpendingAndRecoveryRefund(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: func() time.Time { return time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC) }})
	m, d := domain.MustMoney, domain.MustDate
	do := func(c domain.Command) uuid.UUID {
		t.Helper()
		res, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(uuid.New(), "tester", "finding", c))
		if err != nil {
			t.Fatal(err)
		}
		return res.Events[0].ID
	}
	year := domain.YearSpec{Year: 1, From: d("2023-01-01"), To: d("2023-12-31")}
	for n, kind := range map[string]string{"G-1": domain.KindGrant, "D-1": domain.KindDelegation} {
		ref := domain.Ref{Agreement: n}
		do(domain.RegisterAgreement{Ref: ref, Kind: kind, Title: "t", Grantee: "NGO", Funder: "Ministry",
			Period: year.Period(), Years: []domain.YearSpec{year}, Lines: []domain.LineSpec{{Line: "L1", Name: "one"}}})
		do(domain.PlanBudget{Ref: ref, Line: "L1", Year: 1, Amount: m("1000")})
		do(domain.RecordSpending{Ref: ref, Line: "L1", Year: 1, Amount: m("100"), Date: d("2023-06-01"), Document: "later"})
		do(domain.RecordSpending{Ref: ref, Line: "L1", Year: 1, Amount: m("100"), Date: d("2023-03-01"), Document: "earlier"})
		do(domain.RecordSpending{Ref: ref, Line: "L1", Year: 1, Amount: m("100"), Date: d("2023-04-01"), Document: "between"})
	}
	g := domain.Ref{Agreement: "G-1"}
	in := do(domain.DeclareIneligible{Ref: g, Line: "L1", Year: 1, Amount: m("50"), Date: d("2023-07-01"), Description: "no invoice"})
	rec := do(domain.RecordRecovery{Ref: g, Ineligible: in, Amount: m("50"), Date: d("2023-07-02")})
	do(domain.RecordRefund{Ref: g, For: rec, Amount: m("30"), Date: d("2023-07-03"), Reference: "VK-9"})

	var buf bytes.Buffer
	if err := Export(ctx, store, &buf, Options{OrgRef: "LV-X"}); err != nil {
		t.Fatal(err)
	}
	validate(t, buf.Bytes())
	var got activities
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Activities) != 2 {
		t.Fatalf("%d activities, want 2", len(got.Activities))
	}
	for _, a := range got.Activities {
		var en, first string
		for _, n := range a.Title.Narratives {
			if n.Lang == "en" {
				en = n.Text
			}
		}
		for _, dt := range a.Dates {
			if dt.Type == "2" {
				first = dt.Date
			}
		}
		number := strings.TrimPrefix(a.Identifier, "LV-X-")
		wantTitle := map[string]string{"G-1": "Grant project G-1", "D-1": "Delegation agreement D-1"}[number]
		if wantTitle == "" || !strings.HasPrefix(en, wantTitle) {
			t.Errorf("%s: English title %q, want it to start %q", a.Identifier, en, wantTitle)
		}
		if first != "2023-03-01" {
			t.Errorf("%s: activity-date type 2 = %q, want the first spending, 2023-03-01", a.Identifier, first)
		}
		var refunds []string
		for _, tx := range a.Transactions {
			if tx.Ref != "" && tx.Type != nil && tx.Type.Code == "3" {
				refunds = append(refunds, tx.Value.Amount)
			}
		}
		want := map[string]string{"G-1": "-30.00", "D-1": ""}[number]
		if strings.Join(refunds, ",") != want {
			t.Errorf("%s: disbursements %v, want %q (the refund of a recovery, negative)", a.Identifier, refunds, want)
		}
	}
}

// docs/INTEROP.md, the IATI table: activity-status 4 (closed) and
// activity-date type 4 = the day the last year was closed, once every year
// is closed; a revised budget's value-date is the *latest* amendment's
// effective date; the description names the programme, "-" when none.
func TestClosedActivityLatestAmendmentProgramme(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: func() time.Time { return time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC) }})
	m, d := domain.MustMoney, domain.MustDate
	do := func(c domain.Command) {
		t.Helper()
		if _, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(uuid.New(), "tester", "annex", c)); err != nil {
			t.Fatal(err)
		}
	}
	y1 := domain.YearSpec{Year: 1, From: d("2023-01-01"), To: d("2023-12-31")}
	y2 := domain.YearSpec{Year: 2, From: d("2024-01-01"), To: d("2024-12-31")}
	ref := domain.Ref{Agreement: "C-1"}
	do(domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "NGO", Funder: "Ministry", Programme: "Active Citizens Fund",
		Period: domain.Period{From: y1.From, To: y2.To}, Years: []domain.YearSpec{y1, y2}, Lines: []domain.LineSpec{{Line: "L1", Name: "one"}}})
	do(domain.PlanBudget{Ref: ref, Line: "L1", Year: 1, Amount: m("1000")})
	do(domain.AmendBudget{Ref: ref, Line: "L1", Year: 1, Amount: m("900"), EffectiveDate: d("2023-09-01")})
	do(domain.AmendBudget{Ref: ref, Line: "L1", Year: 1, Amount: m("800"), EffectiveDate: d("2023-05-01")})
	do(domain.RecordSpending{Ref: ref, Line: "L1", Year: 1, Amount: m("800"), Date: d("2023-06-01"), Document: "inv"})
	do(domain.CloseYear{Ref: ref, Year: 2, Date: d("2025-02-15")})
	do(domain.CloseYear{Ref: ref, Year: 1, Date: d("2024-02-15")})
	other := domain.Ref{Agreement: "C-2"}
	do(domain.RegisterAgreement{Ref: other, Kind: domain.KindGrant, Title: "t", Grantee: "NGO", Funder: "Ministry",
		Period: y1.Period(), Years: []domain.YearSpec{y1}, Lines: []domain.LineSpec{{Line: "L1", Name: "one"}}})

	var buf bytes.Buffer
	if err := Export(ctx, store, &buf, Options{OrgRef: "LV-X"}); err != nil {
		t.Fatal(err)
	}
	validate(t, buf.Bytes())
	var got activities
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, a := range got.Activities {
		var desc string
		for _, n := range a.Descriptions[0].Narratives {
			if n.Lang == "en" {
				desc = n.Text
			}
		}
		switch a.Identifier {
		case "LV-X-C-1":
			if a.Status == nil || a.Status.Code != "4" {
				t.Errorf("C-1, every year closed: activity-status %+v, want 4", a.Status)
			}
			var end string
			for _, dt := range a.Dates {
				if dt.Type == "4" {
					end = dt.Date
				}
			}
			if end != "2025-02-15" {
				t.Errorf("C-1: activity-date type 4 = %q, want 2025-02-15 (the last year closed)", end)
			}
			var revised []string
			for _, b := range a.Budgets {
				if b.Type == "2" {
					revised = append(revised, b.Value.ValueDate+" "+b.Value.Amount)
				}
			}
			if strings.Join(revised, ",") != "2023-09-01 800.00" {
				t.Errorf("C-1: revised budgets %v, want one of 800.00 dated 2023-09-01 (the latest effective date)", revised)
			}
			if !strings.Contains(desc, "Programme: Active Citizens Fund.") {
				t.Errorf("C-1: description %q does not name the programme", desc)
			}
		case "LV-X-C-2":
			if a.Status != nil && a.Status.Code == "4" {
				t.Errorf("C-2, no year closed: activity-status 4")
			}
			if !strings.Contains(desc, "Programme: -.") {
				t.Errorf("C-2: description %q, want Programme: -", desc)
			}
		default:
			t.Errorf("unexpected activity %s", a.Identifier)
		}
	}
}
