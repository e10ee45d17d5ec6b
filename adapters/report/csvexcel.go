package report

import (
	"encoding/csv"
	"fmt"
	"github.com/grantledger/grantledger/app/document"
	"io"
	"strconv"
	"strings"
)

// CSV dialects: machine (the default, for programs: comma, decimal point,
// no byte-order mark) and excel (for people opening the file in a
// spreadsheet: a UTF-8 byte-order mark so Latvian letters show right, ';'
// between cells, and in Latvian a decimal comma so amounts are read as
// numbers by a spreadsheet set to Latvian).
const (
	CSVMachine = "machine"
	CSVExcel   = "excel"
)

// ParseCSVDialect checks a --csv value.
func ParseCSVDialect(s string) (string, error) {
	switch s {
	case "", CSVMachine:
		return CSVMachine, nil
	case CSVExcel:
		return CSVExcel, nil
	}
	return "", fmt.Errorf("CSV dialect %q: expected machine or excel", s)
}

// WriteCSVDialect writes the document's main table in the dialect asked
// for (WriteCSV for machine).
func WriteCSVDialect(w io.Writer, d document.Document, dialect string) error {
	if dialect == CSVExcel {
		return WriteCSVExcel(w, d)
	}
	return WriteCSV(w, d)
}

// WriteCSVExcel writes the document's main table for a spreadsheet: a
// UTF-8 byte-order mark, ';' as separator, amounts and percentages as
// plain numbers without grouping ("1213,47" in Latvian, "1213.47" in
// English), dates as 2022-07-15 (which spreadsheets read as dates in
// every locale). A yearly report's rows start with its agreement and
// year, so a file names what it is of even when renamed or combined with
// others. Cells that would start a formula are neutralised as in WriteCSV.
func WriteCSVExcel(w io.Writer, d document.Document) error {
	ts := d.Tables()
	if len(ts) == 0 {
		return nil
	}
	t := ts[0]
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true // as spreadsheets write it
	var lead, leadHead []string
	if d.Agreement != "" {
		leadHead = append(leadHead, neutralise(document.L(d.Lang, "agreement")))
		lead = append(lead, neutralise(d.Agreement))
		if d.Year > 0 {
			leadHead = append(leadHead, neutralise(document.L(d.Lang, "year")))
			lead = append(lead, strconv.Itoa(d.Year))
		}
	}
	head := append([]string(nil), leadHead...)
	for _, c := range t.Columns {
		head = append(head, neutralise(c))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range append(append([][]document.Cell{}, t.Rows...), t.Footer...) {
		rec := append([]string(nil), lead...)
		for i := range t.Columns {
			s := ""
			if i < len(r) {
				s = r[i].Plain()
				if r[i].Numeric() && plainDecimal(s) {
					if d.Lang == document.LV {
						s = strings.Replace(s, ".", ",", 1)
					}
				} else {
					s = neutralise(s)
				}
			}
			rec = append(rec, s)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
