package report

import (
	"encoding/csv"
	"github.com/grantledger/grantledger/app/document"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteCSV writes the document's main table (its first) as CSV for other
// programs: a header row of column labels, then one row per line, then
// the totals. Amounts are plain decimals with a point ("47786.53"),
// percentages "95.83", dates "2022-07-15", whatever the language of the
// labels. Further tables, if asked for, follow with WriteCSVTable.
//
// No cell can start a spreadsheet formula (OWASP, CSV Injection): a cell
// that begins with = + - @ TAB or CR, or their full-width forms, is written
// with a leading apostrophe ("'=HYPERLINK(…)"), which spreadsheets show as
// text and programs can strip. The one exception is a number cell (amount,
// percentage, count) that is a plain decimal: "-12.00" stays as it is, so
// programs read negative amounts as numbers; a minus sign followed only by
// digits and a point is a number to every spreadsheet, never a formula.
func WriteCSV(w io.Writer, d document.Document) error {
	ts := d.Tables()
	if len(ts) == 0 {
		return nil
	}
	return WriteCSVTable(w, ts[0])
}

// WriteCSVTable writes one table as CSV.
func WriteCSVTable(w io.Writer, t document.Table) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = neutralise(c)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range append(append([][]document.Cell{}, t.Rows...), t.Footer...) {
		rec := make([]string, len(t.Columns))
		for i := range rec {
			if i < len(r) {
				rec[i] = r[i].Plain()
				if !r[i].Numeric() || !plainDecimal(rec[i]) {
					rec[i] = neutralise(rec[i])
				}
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// neutralise prefixes an apostrophe to a cell a spreadsheet would read as
// a formula: one that begins with = + - @ TAB or CR (the OWASP list) or
// the full-width = + - @ that some spreadsheets also accept.
func neutralise(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	if s != "" && strings.ContainsRune("=+-@\t\r\uff1d\uff0b\uff0d\uff20", r) {
		return "'" + s
	}
	return s
}

// plainDecimal reports whether s is an optional minus sign, digits, and
// optionally a point and more digits: a number, never a formula.
func plainDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasPoint := strings.Cut(s, ".")
	digits := func(d string) bool {
		for i := 0; i < len(d); i++ {
			if d[i] < '0' || d[i] > '9' {
				return false
			}
		}
		return d != ""
	}
	return digits(intPart) && (!hasPoint || digits(frac))
}
