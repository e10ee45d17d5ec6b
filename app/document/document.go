// Package report renders grantledger's reports (package projections) for
// people and for other programs: terminal text in English or Latvian,
// Markdown, a printable HTML page, CSV, and XLSX workbooks whose amounts are
// numbers with a currency format. JSON is the report structs themselves
// (documented in docs/REPORTS.md). Every format is rendered from one
// Document, so they always say the same thing.
package document

import (
	"fmt"
	"strconv"
	"time"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Lang is the language of labels and the format of amounts and dates.
type Lang string

// Languages.
const (
	EN Lang = "en"
	LV Lang = "lv"
)

// ParseLang checks a --lang value.
func ParseLang(s string) (Lang, error) {
	switch Lang(s) {
	case EN, "":
		return EN, nil
	case LV:
		return LV, nil
	}
	return "", fmt.Errorf("language %q: expected en or lv", s)
}

// Kind is the type of a cell's value.
type Kind uint8

// Cell kinds.
const (
	KText Kind = iota
	KMoney
	KPercent
	KInt
	KDate
	KEmpty
	KCode // a code said in words for people (Text), the code itself for machines
	KTime // a moment: Text as people read it, Code in RFC 3339 for machines
)

// Cell is one typed value of a report.
type Cell struct {
	Kind Kind
	Text string
	M    domain.Money
	P    projections.Percent
	I    int64
	D    domain.Date
	Code string // KCode, KTime: what Plain gives
}

// Text, Money, Pct, Int, Date and Empty make cells.
func Text(s string) Cell        { return Cell{Kind: KText, Text: s} }
func Money(m domain.Money) Cell { return Cell{Kind: KMoney, M: m} }
func Int(i int64) Cell          { return Cell{Kind: KInt, I: i} }
func Date(d domain.Date) Cell   { return Cell{Kind: KDate, D: d} }
func Empty() Cell               { return Cell{Kind: KEmpty} }

// CodeCell is a code (an event type, a finding) in words for people, the
// code itself in CSV.
func CodeCell(code string, l Lang) Cell {
	return Cell{Kind: KCode, Text: CodeLabel(l, code), Code: code}
}

// TimeCell is a moment in UTC (the column's heading says so), written
// with DateTimeLayout: "01.12.2026. 00:07:40" in Latvian, "2026-12-01
// 00:07:40" in English; RFC 3339 in CSV.
func TimeCell(t time.Time, l Lang) Cell {
	t = t.UTC()
	return Cell{Kind: KTime, Text: t.Format(DateTimeLayout(l)), Code: t.Format(time.RFC3339)}
}

// DateTimeLayout is how people of language l write a date and time, as a
// time.Format layout without the zone: "02.01.2006. 15:04:05" in
// Latvian, "2006-01-02 15:04:05" in English.
func DateTimeLayout(l Lang) string {
	if l == LV {
		return "02.01.2006. 15:04:05"
	}
	return "2006-01-02 15:04:05"
}
func Pct(p *projections.Percent) Cell {
	if p == nil {
		return Empty()
	}
	return Cell{Kind: KPercent, P: *p}
}

// Numeric reports whether the cell is right-aligned in tables.
func (c Cell) Numeric() bool { return c.Kind == KMoney || c.Kind == KPercent || c.Kind == KInt }

// Format renders the cell for people: amounts grouped ("47 786,53" in
// Latvian, "47,786.53" in English), dates "15.07.2022." or "2022-07-15".
func (c Cell) Format(l Lang) string {
	switch c.Kind {
	case KMoney:
		return FormatAmount(c.M, l)
	case KPercent:
		if l == LV {
			return domain.Money(c.P).Grouped(' ', ',') + " %"
		}
		return c.P.String() + " %"
	case KInt:
		return strconv.FormatInt(c.I, 10)
	case KDate:
		return FormatDate(c.D, l)
	case KEmpty:
		return ""
	}
	return c.Text
}

// Plain renders the cell for machines (CSV): "47786.53", "95.83",
// "2022-07-15".
func (c Cell) Plain() string {
	switch c.Kind {
	case KMoney:
		return c.M.String()
	case KPercent:
		return c.P.String()
	case KInt:
		return strconv.FormatInt(c.I, 10)
	case KDate:
		return c.D.String()
	case KEmpty:
		return ""
	case KCode, KTime:
		return c.Code
	}
	return c.Text
}

// FormatAmount formats an amount without currency for tables.
func FormatAmount(m domain.Money, l Lang) string {
	if l == LV {
		return m.Latvian()
	}
	return m.Grouped(',', '.')
}

// FormatEuro formats an amount with its currency: "47 786,53 euro" in
// Latvian, "47,786.53 EUR" in English.
func FormatEuro(m domain.Money, l Lang) string {
	if l == LV {
		return m.Latvian() + " euro"
	}
	return m.Grouped(',', '.') + " EUR"
}

// FormatDate formats a date: "15.07.2022." in Latvian, "2022-07-15" in
// English.
func FormatDate(d domain.Date, l Lang) string {
	if l == LV {
		return d.Latvian()
	}
	return d.String()
}

// FormatPeriod formats an inclusive period.
func FormatPeriod(p domain.Period, l Lang) string {
	return FormatDate(p.From, l) + " – " + FormatDate(p.To, l)
}

// Field is a labelled value above or between tables.
type Field struct {
	Label string
	Value Cell
}

// Table is a titled grid of typed cells. Sheet names its XLSX worksheet.
type Table struct {
	Title   string
	Sheet   string
	Columns []string
	Rows    [][]Cell
	// Footer rows (totals) are set apart in every format.
	Footer [][]Cell
}

// Section is a heading with fields, tables and lines of prose.
type Section struct {
	Heading string
	Fields  []Field
	Tables  []Table
	Notes   []string
}

// Document is a whole report ready to render.
type Document struct {
	Lang     Lang
	Title    string
	Sections []Section
	// Agreement and Year name what a yearly report is of; the Excel CSV
	// dialect writes them in every row (empty and 0 for reports across
	// agreements, whose rows name their agreement themselves).
	Agreement string
	Year      int
	// Generated is when the document was made (the XLSX "created"
	// property); zero: the moment it is written.
	Generated time.Time
	// Width is the widest line of the text form, in columns: 0 is
	// TextWidth (100), a negative width no limit (every table on one
	// block, every field on one line).
	Width int
}

// Tables returns every table of the document in order.
func (d *Document) Tables() []Table {
	var out []Table
	for _, s := range d.Sections {
		out = append(out, s.Tables...)
	}
	return out
}
