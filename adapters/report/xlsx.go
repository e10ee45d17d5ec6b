package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Number formats of the workbook. Amounts are stored as numbers (euro with
// two decimals) and shown with a euro format; percentages as fractions
// shown as "95.83%"; dates as spreadsheet dates.
const (
	xlsxMoneyFormat = `#,##0.00 "€";-#,##0.00 "€"`
	xlsxPctFormat   = `0.00%`
)

// WriteXLSX writes the document as a workbook: a first sheet with the
// title, fields and notes, then one sheet per table. Amounts are numbers
// with a currency format, not text, so accountants can sum them.
func WriteXLSX(w io.Writer, d Document) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newXLSXStyles(f, d.Lang)
	if err != nil {
		return err
	}
	created := d.Generated
	if created.IsZero() {
		created = time.Now()
	}
	// Real document properties, not the library's defaults (author
	// "xuri", created 2006).
	if err := f.SetDocProps(&excelize.DocProperties{
		Creator: "grantledger", LastModifiedBy: "grantledger", Title: d.Title,
		Created: created.UTC().Format(time.RFC3339), Modified: created.UTC().Format(time.RFC3339),
		Language: map[Lang]string{LV: "lv-LV", EN: "en"}[d.Lang],
	}); err != nil {
		return err
	}
	summary := sheetName(L(d.Lang, "summary.sheet"), nil)
	if err := f.SetSheetName("Sheet1", summary); err != nil {
		return err
	}
	used := map[string]bool{summary: true}
	row := 1
	set := func(sheet string, col, r int, c Cell) error {
		name, _ := excelize.CoordinatesToCellName(col, r)
		return st.set(f, sheet, name, c)
	}
	if err := set(summary, 1, row, Text(d.Title)); err != nil {
		return err
	}
	f.SetCellStyle(summary, "A1", "A1", st.bold)
	row += 2
	for _, s := range d.Sections {
		heading := s.Heading
		if heading == "" && len(s.Fields) > 0 {
			heading = L(d.Lang, "details") // fields are never under an empty heading
		}
		if heading != "" {
			set(summary, 1, row, Text(heading))
			name, _ := excelize.CoordinatesToCellName(1, row)
			f.SetCellStyle(summary, name, name, st.bold)
			row++
		}
		for _, fl := range s.Fields {
			set(summary, 1, row, Text(fl.Label))
			if err := set(summary, 2, row, fl.Value); err != nil {
				return err
			}
			row++
		}
		for _, n := range s.Notes {
			set(summary, 1, row, Text(n))
			row++
		}
		row++
	}
	f.SetColWidth(summary, "A", "A", 36)
	f.SetColWidth(summary, "B", "B", 60)
	// The sheet's dimension (the used range readers trust, e.g. openpyxl
	// read-only) is set explicitly: the library leaves it at A1.
	summaryRows, err := f.GetRows(summary)
	if err != nil {
		return err
	}
	if err := setDimension(f, summary, 2, len(summaryRows)); err != nil {
		return err
	}

	for _, t := range d.Tables() {
		label := L(d.Lang, "sheet."+t.Sheet)
		if label == "sheet."+t.Sheet {
			label = t.Sheet
		}
		sheet := sheetName(label, used)
		used[sheet] = true
		if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		for i, c := range t.Columns {
			set(sheet, i+1, 1, Text(c))
		}
		last, _ := excelize.CoordinatesToCellName(max(1, len(t.Columns)), 1)
		f.SetCellStyle(sheet, "A1", last, st.bold)
		r := 2
		for _, cells := range t.Rows {
			for i, c := range cells {
				if err := set(sheet, i+1, r, c); err != nil {
					return err
				}
			}
			r++
		}
		for _, cells := range t.Footer {
			for i, c := range cells {
				if err := set(sheet, i+1, r, c); err != nil {
					return err
				}
			}
			r++
		}
		if err := setDimension(f, sheet, len(t.Columns), r-1); err != nil {
			return err
		}
		endCol, _ := excelize.ColumnNumberToName(max(1, len(t.Columns)))
		f.SetColWidth(sheet, "A", endCol, 16)
		f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	_, err = f.WriteTo(w)
	return err
}

// setDimension records the used range A1:<cols><rows> of a sheet.
func setDimension(f *excelize.File, sheet string, cols, rows int) error {
	end, err := excelize.CoordinatesToCellName(max(1, cols), max(1, rows))
	if err != nil {
		return err
	}
	return f.SetSheetDimension(sheet, "A1:"+end)
}

type xlsxStyles struct {
	money, pct, date, bold int
}

func newXLSXStyles(f *excelize.File, l Lang) (*xlsxStyles, error) {
	var s xlsxStyles
	var err error
	mf, pf, df := xlsxMoneyFormat, xlsxPctFormat, "yyyy-mm-dd"
	if l == LV {
		df = "dd.mm.yyyy."
	}
	if s.money, err = f.NewStyle(&excelize.Style{CustomNumFmt: &mf}); err != nil {
		return nil, err
	}
	if s.pct, err = f.NewStyle(&excelize.Style{CustomNumFmt: &pf}); err != nil {
		return nil, err
	}
	if s.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &df}); err != nil {
		return nil, err
	}
	if s.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *xlsxStyles) set(f *excelize.File, sheet, cell string, c Cell) error {
	var err error
	switch c.Kind {
	case KMoney:
		if err = f.SetCellFloat(sheet, cell, float64(c.M)/100, -1, 64); err == nil {
			err = f.SetCellStyle(sheet, cell, cell, s.money)
		}
	case KPercent:
		if err = f.SetCellFloat(sheet, cell, c.P.Float(), -1, 64); err == nil {
			err = f.SetCellStyle(sheet, cell, cell, s.pct)
		}
	case KInt:
		err = f.SetCellInt(sheet, cell, c.I)
	case KDate:
		if err = f.SetCellValue(sheet, cell, c.D.Time()); err == nil {
			err = f.SetCellStyle(sheet, cell, cell, s.date)
		}
	case KEmpty:
	default:
		err = f.SetCellStr(sheet, cell, c.Text)
	}
	if err != nil {
		return fmt.Errorf("xlsx %s!%s: %w", sheet, cell, err)
	}
	return nil
}

// sheetName makes a valid, unique worksheet name (at most 31 characters,
// none of :\/?*[]).
func sheetName(s string, used map[string]bool) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '-'
		}
		return r
	}, s)
	if s == "" {
		s = "Sheet"
	}
	if r := []rune(s); len(r) > 28 {
		s = string(r[:28])
	}
	name := s
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s %d", s, i)
	}
	return name
}
