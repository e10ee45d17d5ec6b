package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

var today = domain.MustDate("2025-11-23")

func seedLedger(t *testing.T) *projections.Ledger {
	t.Helper()
	ctx := context.Background()
	store := memstore.New()
	clock := projtest.NewClock(time.Date(2022, 7, 15, 9, 0, 0, 0, time.UTC))
	if err := projtest.RecordSeed004(ctx, command.New(store, command.Options{Clock: clock.Now}), clock); err != nil {
		t.Fatal(err)
	}
	l, err := projtest.Fold(ctx, store, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func yearText(t *testing.T, l *projections.Ledger, year int, lang document.Lang) string {
	t.Helper()
	r, err := l.YearReport(projtest.Seed004, year, today)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteTextWidth(&b, document.YearDocument(r, lang), -1); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// fieldLine returns the text line that starts with label.
func fieldLine(t *testing.T, text, label string) string {
	t.Helper()
	for _, ln := range strings.Split(text, "\n") {
		if strings.HasPrefix(ln, label) {
			return ln
		}
	}
	t.Fatalf("no line starting with %q in:\n%s", label, text)
	return ""
}

func fields(s string) []string { return strings.Fields(s) }

func TestYearReportTextEnglish(t *testing.T) {
	l := seedLedger(t)
	y1 := yearText(t, l, 1, document.EN)
	for label, want := range map[string]string{
		"Agreement:":                       "KNVOC-2022-2025",
		"Performer:":                       "Biedrība „Kurzemes NVO centrs”",
		"Delegation period:":               "2022-07-15 – 2025-07-14",
		"Implementation year 1:":           "2022-07-15 – 2023-07-14",
		"Status:":                          "closed",
		"Carried over to the next period:": "1,213.47 EUR to year 2 (Civil society development in Kurzeme 1,040.13 EUR; Development of minority NGOs 173.34 EUR)",
		"Returned to:":                     "none",
		"Ineligible expenditure:":          "none",
		"Unrecovered funds:":               "none",
	} {
		ln := fieldLine(t, y1, label)
		if got := strings.TrimSpace(strings.TrimPrefix(ln, label)); got != want {
			t.Errorf("year 1 %s %q, want %q", label, got, want)
		}
	}
	// Table rows: name, then planned (original), planned, carried in,
	// actual, carried over, returned, remainder, overspend.
	for _, c := range []struct{ prefix, want string }{
		{"Civil society development in Kurzeme", "30,000.00 30,000.00 0.00 28,959.87 1,040.13 0.00 0.00 0.00"},
		{"Development of minority NGOs", "19,000.00 19,000.00 0.00 18,826.66 173.34 0.00 0.00 0.00"},
		{"Total", "49,000.00 49,000.00 0.00 47,786.53 1,213.47 0.00 0.00 0.00"},
	} {
		got := fields(strings.TrimPrefix(fieldLine(t, y1, c.prefix), c.prefix))
		if strings.Join(got, " ") != c.want {
			t.Errorf("year 1 row %s: %q, want %q", c.prefix, strings.Join(got, " "), c.want)
		}
	}
	if !strings.Contains(y1, "No findings.") {
		t.Errorf("year 1 text lacks \"No findings.\":\n%s", y1)
	}
	if ln := fieldLine(t, y1, "Unique NGOs consulted"); strings.Join(fields(strings.TrimPrefix(ln, "Unique NGOs consulted")), " ") != "NGOs 50 50 100.00 % no" {
		t.Errorf("indicator row = %q", ln)
	}

	y2 := yearText(t, l, 2, document.EN)
	if got := fields(strings.TrimPrefix(fieldLine(t, y2, "Total"), "Total")); strings.Join(got, " ") != "49,000.00 49,000.00 1,213.47 49,000.00 0.00 0.00 1,213.47 0.00" {
		t.Errorf("year 2 total row = %q", got)
	}
	// Lines are named in sentences by their names, not codes (issue 16).
	want := "- Year 2 has ended but 1,213.47 EUR is neither spent, carried over nor returned (Civil society development in Kurzeme 1,040.13 EUR; Development of minority NGOs 173.34 EUR); 1,213.47 EUR was carried in from year 1."
	if !strings.Contains(y2, want) {
		t.Errorf("year 2 text lacks the finding %q:\n%s", want, y2)
	}
	if !strings.Contains(y2, "- Year 2 ended on 2024-07-14 and is still open.") {
		t.Errorf("year 2 text lacks the open-year finding:\n%s", y2)
	}
	y3 := yearText(t, l, 3, document.EN)
	if ln := fieldLine(t, y3, "Returned to:"); !strings.Contains(ln, "Civil society development in Kurzeme: 128.28 EUR → ministry budget (2025-07-14)") {
		t.Errorf("year 3 returned to = %q", ln)
	}
}

func TestYearReportTextLatvian(t *testing.T) {
	l := seedLedger(t)
	y1 := yearText(t, l, 1, document.LV)
	for label, want := range map[string]string{
		"Līgums:":                        "KNVOC-2022-2025",
		"Uzdevuma veicējs:":              "Biedrība „Kurzemes NVO centrs”",
		"Deleģēšanas periods:":           "15.07.2022. – 14.07.2025.",
		"1. īstenošanas gads:":           "15.07.2022. – 14.07.2023.",
		"Statuss:":                       "slēgts",
		"Pārcelts uz nākamo periodu:":    "1 213,47 euro uz 2. gadu (Civil society development in Kurzeme 1 040,13 euro; Development of minority NGOs 173,34 euro)",
		"Neatbilstoši veiktie izdevumi:": "Nav",
		"Neatgūto līdzekļu apmērs:":      "Nav",
	} {
		ln := fieldLine(t, y1, label)
		if got := strings.TrimSpace(strings.TrimPrefix(ln, label)); got != want {
			t.Errorf("year 1 %s %q, want %q", label, got, want)
		}
	}
	if !strings.Contains(y1, "Kopsavilkums — KNVOC-2022-2025, 1. īstenošanas gads") {
		t.Errorf("Latvian title missing:\n%s", y1)
	}
	tot := strings.TrimPrefix(fieldLine(t, y1, "Kopā"), "Kopā")
	// Latvian amounts group with a space: compare with the spaces inside
	// amounts kept by splitting on two or more spaces.
	cols := splitCols(tot)
	want := []string{"49 000,00", "49 000,00", "0,00", "47 786,53", "1 213,47", "0,00", "0,00", "0,00"}
	if strings.Join(cols, "|") != strings.Join(want, "|") {
		t.Errorf("year 1 Kopā = %q, want %q", cols, want)
	}
	y2 := yearText(t, l, 2, document.LV)
	if !strings.Contains(y2, "2. īstenošanas gads beidzās, bet 1 213,47 euro nav ne izlietoti, ne pārcelti uz nākamo periodu, ne atgriezti (Civil society development in Kurzeme 1 040,13 euro; Development of minority NGOs 173,34 euro); no 1. gada bija pārcelti 1 213,47 euro.") {
		t.Errorf("year 2 Latvian finding missing:\n%s", y2)
	}
	if !strings.Contains(y2, "2. īstenošanas gads beidzās 14.07.2024., bet nav slēgts.") {
		t.Errorf("year 2 Latvian open-year finding missing:\n%s", y2)
	}
}

func splitCols(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.TrimSpace(s), "  ") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func TestXLSXCellsAreTyped(t *testing.T) {
	l := seedLedger(t)
	r, _ := l.YearReport(projtest.Seed004, 1, today)
	var b bytes.Buffer
	if err := report.WriteXLSX(&b, document.YearDocument(r, document.LV)); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) < 3 || got[0] != "Kopsavilkums" || got[1] != "Pozīcijas" || got[2] != "Rādītāji" {
		t.Fatalf("sheets = %v, want the Latvian Kopsavilkums, Pozīcijas, Rādītāji (issue 16)", got)
	}
	for _, c := range []struct {
		cell string
		typ  excelize.CellType
		raw  string
	}{
		{"A1", excelize.CellTypeSharedString, "Budžeta pozīcija"},
		{"A2", excelize.CellTypeSharedString, "Civil society development in Kurzeme"},
		{"B2", excelize.CellTypeUnset, "30000"},    // numbers have no t= attribute
		{"E2", excelize.CellTypeUnset, "28959.87"}, // actual civil
		{"E4", excelize.CellTypeUnset, "47786.53"}, // total actual
		{"F4", excelize.CellTypeUnset, "1213.47"},  // total carried over
	} {
		typ, err := f.GetCellType("Pozīcijas", c.cell)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := f.GetCellValue("Pozīcijas", c.cell, excelize.Options{RawCellValue: true})
		if typ != c.typ || raw != c.raw {
			t.Errorf("Lines!%s = %q type %v, want %q type %v", c.cell, raw, typ, c.raw, c.typ)
		}
	}
	style, _ := f.GetCellStyle("Pozīcijas", "E4")
	st, err := f.GetStyle(style)
	if err != nil || st.CustomNumFmt == nil || !strings.Contains(*st.CustomNumFmt, "€") {
		t.Errorf("Lines!E4 style %+v (err %v), want a euro number format", st, err)
	}
	shown, _ := f.GetCellValue("Pozīcijas", "E4")
	if !strings.Contains(shown, "47,786.53") {
		t.Errorf("Lines!E4 shown as %q, want 47,786.53 with the euro sign", shown)
	}
	// Percent as a fraction with a percent format; targets as integers.
	raw, _ := f.GetCellValue("Rādītāji", "E2", excelize.Options{RawCellValue: true})
	if raw != "1" {
		t.Errorf("Indicators!E2 (achievement) raw = %q, want 1 (100 %%)", raw)
	}
	raw, _ = f.GetCellValue("Rādītāji", "C3", excelize.Options{RawCellValue: true})
	if raw != "24" {
		t.Errorf("Indicators!C3 (sessions target) = %q, want 24", raw)
	}
}

func TestCSVMarkdownHTML(t *testing.T) {
	l := seedLedger(t)
	r, _ := l.YearReport(projtest.Seed004, 2, today)
	doc := document.YearDocument(r, document.LV)
	var b bytes.Buffer
	if err := report.WriteCSV(&b, doc); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[3][0] != "Kopā" || recs[3][3] != "1213.47" || recs[3][7] != "1213.47" {
		t.Errorf("CSV = %q, want 4 records with the total row carried in 1213.47 and remainder 1213.47", recs)
	}
	b.Reset()
	if err := report.WriteMarkdown(&b, doc); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{"# Kopsavilkums — KNVOC-2022-2025, 2. īstenošanas gads", "| **Kopā** |", "| ---: |", "- **Neatbilstoši veiktie izdevumi:** Nav"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	b.Reset()
	if err := report.WriteHTML(&b, doc); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	for _, want := range []string{`<html lang="lv">`, "@media print", `<td class="n">1 213,47</td>`, "Konstatējumi"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestOtherDocuments(t *testing.T) {
	l := seedLedger(t)
	rec, _ := l.Reconcile(projections.Scope{}, projections.Window{Year: 1})
	var b bytes.Buffer
	report.WriteTextWidth(&b, document.ReconDocument(rec, document.EN), -1)
	if ln := fieldLine(t, b.String(), "Total"); !strings.Contains(ln, "47,786.53") || !strings.Contains(ln, "1,213.47") || !strings.Contains(ln, "97.52 %") {
		t.Errorf("reconciliation total = %q, want actual 47,786.53, variance 1,213.47, 97.52 %%", ln)
	}
	b.Reset()
	report.WriteCSV(&b, document.MultiYearDocument(l.MultiYear(projections.Scope{}), document.EN))
	recs, _ := csv.NewReader(&b).ReadAll()
	if len(recs) != 4 || len(recs[0]) != 2+9+2+2 || recs[3][9] != "48871.72" {
		t.Errorf("multi-year CSV = %q", recs)
	}
	b.Reset()
	report.WriteTextWidth(&b, document.AuditDocument(projections.AuditReport{Rows: l.AuditRows()[:3], Verification: &projections.Verification{OK: true, Events: 3, Streams: 1}}, document.EN), -1)
	if !strings.Contains(b.String(), "intact: 3 events in 1 streams verified") {
		t.Errorf("audit text lacks the verification result:\n%s", b.String())
	}
	b.Reset()
	report.WriteXLSX(&b, document.IndicatorsDocument(l.Indicators(projections.Scope{}, 0, today), document.EN))
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue("Deliveries", "F2"); v != "report-study-1.pdf" {
		t.Errorf("Deliveries!F2 = %q, want report-study-1.pdf", v)
	}
}

func TestEveryLabelHasLatvian(t *testing.T) {
	for _, key := range document.LabelKeys() {
		if document.L(document.LV, key) == document.L(document.EN, key) && key != "agreement.sheet" {
			t.Errorf("label %q has no Latvian text", key)
		}
	}
}

func TestFindingTextEveryCode(t *testing.T) {
	m, d := domain.MustMoney("200.00"), domain.MustDate("2024-06-30")
	tg, dl := int64(10), int64(7)
	for _, f := range []projections.Finding{
		{Code: projections.FindingOverspend, Year: 1, Line: "a", Amount: &m},
		{Code: projections.FindingUnexplainedRemainder, Year: 2, Amount: &m, Lines: []projections.LineAmount{{Line: "a", Amount: m}}},
		{Code: projections.FindingOpenPastEnd, Year: 1, Date: &d},
		{Code: projections.FindingIndicatorBehind, Year: 1, Indicator: "sessions", Target: &tg, Delivered: &dl, Unit: "sessions", Date: &d},
		{Code: projections.FindingUnrecovered, Year: 1, Amount: &m},
	} {
		for _, c := range []struct {
			lang document.Lang
			want string
		}{{document.EN, "200.00 EUR"}, {document.LV, "200,00 euro"}} {
			got := document.FindingText(f, c.lang)
			if strings.Contains(got, "%!") || got == "" {
				t.Errorf("%s in %s: %q", f.Code, c.lang, got)
			}
			if f.Amount != nil && !strings.Contains(got, c.want) {
				t.Errorf("%s in %s: %q lacks %q", f.Code, c.lang, got, c.want)
			}
			if f.Date != nil && c.lang == document.LV && !strings.Contains(got, "30.06.2024.") {
				t.Errorf("%s in lv: %q lacks the date 30.06.2024.", f.Code, got)
			}
		}
	}
}
