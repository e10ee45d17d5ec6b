package report

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"fmt"
	"github.com/grantledger/grantledger/app/document"
	"io"
	"strconv"
	"strings"
	"time"
)

// Number formats of the workbook. Amounts are stored as numbers (euro with
// two decimals) and shown with a euro format; percentages as fractions
// shown as "95.83%"; dates as spreadsheet dates.
const (
	xlsxMoneyFormat = `#,##0.00 "€";-#,##0.00 "€"`
	xlsxPctFormat   = `0.00%`
)

// The workbook is written here, as the few SpreadsheetML parts it needs
// (ECMA-376: content types, relationships, document properties, workbook,
// styles, shared strings, one part per sheet), not with a spreadsheet
// library: the library linked before (excelize) cost every start of the
// program, whatever the command, 1.5 to 2.3 ms of package initialisation
// and about 3 ms of the whole process (issue 17, start-up). What a reader
// sees is what it saw before: strings in the shared-string table, numbers
// as plain numbers with a currency, percent or date format, a bold header
// row, column widths, a frozen first row and each sheet's used range.
// Tests read the files back with excelize and with openpyxl.

// Cell styles (indexes into cellXfs in xlsxStyles).
const (
	styleNone = iota
	styleMoney
	stylePct
	styleDate
	styleBold
)

type xcell struct {
	set   bool
	str   bool // a shared string; else a number
	v     string
	style int
}

type xsheet struct {
	name   string
	rows   [][]xcell // rows[r-1][c-1]
	cols   [][3]float64
	freeze bool
	dimC   int
	dimR   int
}

func (s *xsheet) put(col, row int, c xcell) {
	for len(s.rows) < row {
		s.rows = append(s.rows, nil)
	}
	r := s.rows[row-1]
	for len(r) < col {
		r = append(r, xcell{})
	}
	r[col-1] = c
	s.rows[row-1] = r
}

// lastRow is the number of the last row holding a cell.
func (s *xsheet) lastRow() int {
	for i := len(s.rows); i > 0; i-- {
		for _, c := range s.rows[i-1] {
			if c.set {
				return i
			}
		}
	}
	return 0
}

type xbook struct {
	sheets  []*xsheet
	strings []string
	index   map[string]int
}

func (b *xbook) cell(c document.Cell) (xcell, bool) {
	switch c.Kind {
	case document.KMoney:
		return xcell{set: true, v: strconv.FormatFloat(float64(c.M)/100, 'f', -1, 64), style: styleMoney}, true
	case document.KPercent:
		return xcell{set: true, v: strconv.FormatFloat(c.P.Float(), 'f', -1, 64), style: stylePct}, true
	case document.KInt:
		return xcell{set: true, v: strconv.FormatInt(int64(c.I), 10)}, true
	case document.KDate:
		return xcell{set: true, v: excelDate(c.D.Time()), style: styleDate}, true
	case document.KEmpty:
		return xcell{}, false
	}
	return b.text(c.Text, styleNone), true
}

// text is a shared-string cell (at most 32 767 characters, as a cell
// holds).
func (b *xbook) text(s string, style int) xcell {
	if r := []rune(s); len(r) > 32767 {
		s = string(r[:32767])
	}
	i, ok := b.index[s]
	if !ok {
		i = len(b.strings)
		b.index[s] = i
		b.strings = append(b.strings, s)
	}
	return xcell{set: true, str: true, v: strconv.Itoa(i), style: style}
}

// excelDate is t as a spreadsheet serial date (days since 1899-12-30, the
// 1900 date system), in UTC.
func excelDate(t time.Time) string {
	t = t.UTC()
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	return strconv.FormatFloat(float64(t.Sub(base))/float64(24*time.Hour), 'f', -1, 64)
}

// WriteXLSX writes the document as a workbook: a first sheet with the
// title, fields and notes, then one sheet per table. Amounts are numbers
// with a currency format, not text, so accountants can sum them.
func WriteXLSX(w io.Writer, d document.Document) error {
	b := &xbook{index: map[string]int{}}
	created := d.Generated
	if created.IsZero() {
		created = time.Now()
	}
	summary := &xsheet{name: sheetName(document.L(d.Lang, "summary.sheet"), nil)}
	b.sheets = append(b.sheets, summary)
	used := map[string]bool{summary.name: true}
	set := func(s *xsheet, col, row int, c document.Cell, bold bool) {
		xc, ok := b.cell(c)
		if !ok {
			return
		}
		if bold {
			xc.style = styleBold
		}
		s.put(col, row, xc)
	}
	row := 1
	set(summary, 1, row, document.Text(d.Title), true)
	row += 2
	for _, s := range d.Sections {
		heading := s.Heading
		if heading == "" && len(s.Fields) > 0 {
			heading = document.L(d.Lang, "details") // fields are never under an empty heading
		}
		if heading != "" {
			set(summary, 1, row, document.Text(heading), true)
			row++
		}
		for _, fl := range s.Fields {
			set(summary, 1, row, document.Text(fl.Label), false)
			set(summary, 2, row, fl.Value, false)
			row++
		}
		for _, n := range s.Notes {
			set(summary, 1, row, document.Text(n), false)
			row++
		}
		row++
	}
	summary.cols = [][3]float64{{1, 1, 36}, {2, 2, 60}}
	// The sheet's dimension (the used range readers trust, e.g. openpyxl
	// read-only) is written explicitly.
	summary.dimC, summary.dimR = 2, max(1, summary.lastRow())

	for _, t := range d.Tables() {
		label := document.L(d.Lang, "sheet."+t.Sheet)
		if label == "sheet."+t.Sheet {
			label = t.Sheet
		}
		sh := &xsheet{name: sheetName(label, used), freeze: true}
		used[sh.name] = true
		b.sheets = append(b.sheets, sh)
		for i, c := range t.Columns {
			set(sh, i+1, 1, document.Text(c), true)
		}
		r := 2
		for _, cells := range append(append([][]document.Cell{}, t.Rows...), t.Footer...) {
			for i, c := range cells {
				set(sh, i+1, r, c, false)
			}
			r++
		}
		sh.dimC, sh.dimR = max(1, len(t.Columns)), max(1, r-1)
		sh.cols = [][3]float64{{1, float64(max(1, len(t.Columns))), 16}}
	}
	return b.write(w, d, created)
}

func (b *xbook) write(w io.Writer, d document.Document, created time.Time) error {
	z := zip.NewWriter(w)
	part := func(name string, fill func(w *bufio.Writer)) error {
		f, err := z.Create(name)
		if err != nil {
			return err
		}
		bw := bufio.NewWriter(f)
		bw.WriteString(xml.Header)
		fill(bw)
		return bw.Flush()
	}
	esc := func(s string) string {
		var sb strings.Builder
		xml.EscapeText(&sb, []byte(s))
		return sb.String()
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	steps := []struct {
		name string
		fill func(w *bufio.Writer)
	}{
		{"[Content_Types].xml", func(w *bufio.Writer) {
			w.WriteString(`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
				`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
				`<Default Extension="xml" ContentType="application/xml"/>` +
				`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
				`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
				`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
				`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
				`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>`)
			for i := range b.sheets {
				fmt.Fprintf(w, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i+1)
			}
			w.WriteString(`</Types>`)
		}},
		{"_rels/.rels", func(w *bufio.Writer) {
			w.WriteString(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
				`<Relationship Id="rId1" Type="` + rel + `/officeDocument" Target="xl/workbook.xml"/>` +
				`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
				`<Relationship Id="rId3" Type="` + rel + `/extended-properties" Target="docProps/app.xml"/>` +
				`</Relationships>`)
		}},
		{"docProps/core.xml", func(w *bufio.Writer) {
			// Real document properties: who made it and when.
			at := created.UTC().Format(time.RFC3339)
			lang := map[document.Lang]string{document.LV: "lv-LV", document.EN: "en"}[d.Lang]
			w.WriteString(`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
				`<dc:title>` + esc(d.Title) + `</dc:title><dc:creator>grantledger</dc:creator><cp:lastModifiedBy>grantledger</cp:lastModifiedBy>`)
			if lang != "" {
				w.WriteString(`<dc:language>` + lang + `</dc:language>`)
			}
			w.WriteString(`<dcterms:created xsi:type="dcterms:W3CDTF">` + at + `</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">` + at + `</dcterms:modified></cp:coreProperties>`)
		}},
		{"docProps/app.xml", func(w *bufio.Writer) {
			w.WriteString(`<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>grantledger</Application></Properties>`)
		}},
		{"xl/workbook.xml", func(w *bufio.Writer) {
			w.WriteString(`<workbook ` + ns + ` xmlns:r="` + rel + `"><bookViews><workbookView activeTab="0"/></bookViews><sheets>`)
			for i, s := range b.sheets {
				fmt.Fprintf(w, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, esc(s.name), i+1, i+1)
			}
			w.WriteString(`</sheets></workbook>`)
		}},
		{"xl/_rels/workbook.xml.rels", func(w *bufio.Writer) {
			w.WriteString(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
			for i := range b.sheets {
				fmt.Fprintf(w, `<Relationship Id="rId%d" Type="%s/worksheet" Target="worksheets/sheet%d.xml"/>`, i+1, rel, i+1)
			}
			n := len(b.sheets)
			fmt.Fprintf(w, `<Relationship Id="rId%d" Type="%s/styles" Target="styles.xml"/>`, n+1, rel)
			fmt.Fprintf(w, `<Relationship Id="rId%d" Type="%s/sharedStrings" Target="sharedStrings.xml"/>`, n+2, rel)
			w.WriteString(`</Relationships>`)
		}},
		{"xl/styles.xml", func(w *bufio.Writer) {
			df := "yyyy-mm-dd"
			if d.Lang == document.LV {
				df = "dd.mm.yyyy."
			}
			w.WriteString(`<styleSheet ` + ns + `><numFmts count="3">` +
				`<numFmt numFmtId="164" formatCode="` + esc(xlsxMoneyFormat) + `"/>` +
				`<numFmt numFmtId="165" formatCode="` + esc(xlsxPctFormat) + `"/>` +
				`<numFmt numFmtId="166" formatCode="` + esc(df) + `"/></numFmts>` +
				`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
				`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
				`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
				`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
				`<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
				`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
				`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
				`<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
				`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
				`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`)
		}},
		{"xl/sharedStrings.xml", func(w *bufio.Writer) {
			fmt.Fprintf(w, `<sst %s count="%d" uniqueCount="%d">`, ns, len(b.strings), len(b.strings))
			for _, s := range b.strings {
				w.WriteString(`<si><t xml:space="preserve">` + esc(s) + `</t></si>`)
			}
			w.WriteString(`</sst>`)
		}},
	}
	for i, s := range b.sheets {
		steps = append(steps, struct {
			name string
			fill func(w *bufio.Writer)
		}{fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1), func(w *bufio.Writer) { s.write(w, i == 0) }})
	}
	for _, s := range steps {
		if err := part(s.name, s.fill); err != nil {
			return fmt.Errorf("xlsx %s: %w", s.name, err)
		}
	}
	return z.Close()
}

func (s *xsheet) write(w *bufio.Writer, first bool) {
	w.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`)
	fmt.Fprintf(w, `<dimension ref="A1:%s"/>`, cellName(s.dimC, s.dimR))
	w.WriteString(`<sheetViews><sheetView workbookViewId="0"`)
	if first {
		w.WriteString(` tabSelected="1"`)
	}
	w.WriteString(`>`)
	if s.freeze {
		w.WriteString(`<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/>`)
	}
	w.WriteString(`</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>`)
	if len(s.cols) > 0 {
		w.WriteString(`<cols>`)
		for _, c := range s.cols {
			fmt.Fprintf(w, `<col min="%d" max="%d" width="%g" customWidth="1"/>`, int(c[0]), int(c[1]), c[2])
		}
		w.WriteString(`</cols>`)
	}
	w.WriteString(`<sheetData>`)
	for i, r := range s.rows {
		any := false
		for _, c := range r {
			any = any || c.set
		}
		if !any {
			continue
		}
		fmt.Fprintf(w, `<row r="%d">`, i+1)
		for j, c := range r {
			if !c.set {
				continue
			}
			fmt.Fprintf(w, `<c r="%s"`, cellName(j+1, i+1))
			if c.style != styleNone {
				fmt.Fprintf(w, ` s="%d"`, c.style)
			}
			if c.str {
				w.WriteString(` t="s"`)
			}
			w.WriteString(`><v>` + c.v + `</v></c>`)
		}
		w.WriteString(`</row>`)
	}
	w.WriteString(`</sheetData></worksheet>`)
}

// cellName is the A1-style name of a cell (column and row from 1).
func cellName(col, row int) string {
	var b []byte
	for col > 0 {
		col--
		b = append([]byte{byte('A' + col%26)}, b...)
		col /= 26
	}
	return string(b) + strconv.Itoa(row)
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
