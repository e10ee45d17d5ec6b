package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/app/document"
)

// TestXLSXTextRoundTrips: text with the characters XML gives meaning to,
// leading and trailing spaces, a sheet name with '&', and a formula-like
// string, read back by a reader that is not ours (excelize), is the text
// written, as text (never a formula); a cell longer than a cell can hold
// (32 767 characters, ECMA-376) is cut to that.
func TestXLSXTextRoundTrips(t *testing.T) {
	tricky := []string{`a<b>&"c"'d'`, "  spaced  ", "=1+2", "line\nbreak", "Rīga – Ķekava"}
	var row []document.Cell
	for _, s := range tricky {
		row = append(row, document.Text(s))
	}
	long := strings.Repeat("x", 40000)
	d := document.Document{Lang: document.EN, Title: `Title <&>`, Sections: []document.Section{{
		Heading: "H & I",
		Fields:  []document.Field{{Label: "long", Value: document.Text(long)}},
		Tables:  []document.Table{{Title: "T", Sheet: "R&D <1>", Columns: []string{"a", "b", "c", "d", "e"}, Rows: [][]document.Cell{row}}},
	}}}
	var b bytes.Buffer
	if err := report.WriteXLSX(&b, d); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 2 || sheets[1] != "R&D <1>" {
		t.Fatalf("sheets %q, want the summary and %q", sheets, "R&D <1>")
	}
	if v, _ := f.GetCellValue(sheets[0], "A1"); v != d.Title {
		t.Errorf("title cell %q, want %q", v, d.Title)
	}
	for i, s := range tricky {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		if v, _ := f.GetCellValue(sheets[1], cell); v != s {
			t.Errorf("%s = %q, want %q", cell, v, s)
		}
		if formula, _ := f.GetCellFormula(sheets[1], cell); formula != "" {
			t.Errorf("%s holds the formula %q; want text", cell, formula)
		}
	}
	rows, _ := f.GetRows(sheets[0])
	found := false
	for _, r := range rows {
		if len(r) == 2 && r[0] == "long" {
			found = true
			if len(r[1]) != 32767 {
				t.Errorf("the long cell holds %d characters, want 32767", len(r[1]))
			}
		}
	}
	if !found {
		t.Error("the long field is not on the summary sheet")
	}
}
