package csvimport

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Mapping says which CSV column holds which field of a spending. A column
// is named by its header text (compared without case and surrounding
// spaces) or by its 1-based position ("3"). Empty fields use the default
// header names, English or Latvian.
type Mapping struct {
	Date        string // default "date" or "datums"
	Amount      string // default "amount" or "summa"
	Line        string // default "line" or "rinda"; not needed when FixedLine is set
	Document    string // default "document" or "dokuments"
	Description string // default "description" or "apraksts"; optional
	Year        string // default "year" or "gads"; optional: else derived from the date
	// FixedLine, when set, is the budget line of every row.
	FixedLine string
	// Comma is the field separator; 0 detects ';', ',' or a tab from the
	// header line.
	Comma rune
}

// Fields of a spending, as named in a mapping file and in errors.
const (
	FieldDate        = "date"
	FieldAmount      = "amount"
	FieldLine        = "line"
	FieldDocument    = "document"
	FieldDescription = "description"
	FieldYear        = "year"
)

// defaults are the header names tried when a mapping leaves a field empty.
var defaults = map[string][]string{
	FieldDate:        {"date", "datums"},
	FieldAmount:      {"amount", "summa"},
	FieldLine:        {"line", "rinda", "budget line", "budžeta rinda"},
	FieldDocument:    {"document", "dokuments", "document reference", "dokumenta nr."},
	FieldDescription: {"description", "apraksts"},
	FieldYear:        {"year", "gads"},
}

func (m *Mapping) column(field string) string {
	switch field {
	case FieldDate:
		return m.Date
	case FieldAmount:
		return m.Amount
	case FieldLine:
		return m.Line
	case FieldDocument:
		return m.Document
	case FieldDescription:
		return m.Description
	case FieldYear:
		return m.Year
	}
	return ""
}

// ReadMapping reads a mapping file: one "field = column" per line, where
// field is date, amount, line, document, description, year, fixed_line or
// delimiter; blank lines and lines starting with # are ignored. Example:
//
//	# export of the bookkeeping program
//	date = Datums
//	amount = Summa EUR
//	document = Dok. Nr.
//	delimiter = ;
func ReadMapping(r io.Reader) (Mapping, error) {
	var m Mapping
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return m, fmt.Errorf("mapping line %d: expected field = column, got %q", n, line)
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch k {
		case FieldDate:
			m.Date = v
		case FieldAmount:
			m.Amount = v
		case FieldLine:
			m.Line = v
		case FieldDocument:
			m.Document = v
		case FieldDescription:
			m.Description = v
		case FieldYear:
			m.Year = v
		case "fixed_line":
			m.FixedLine = v
		case "delimiter":
			c, err := ParseDelimiter(v)
			if err != nil {
				return m, fmt.Errorf("mapping line %d: %v", n, err)
			}
			m.Comma = c
		default:
			return m, fmt.Errorf("mapping line %d: unknown field %q; expected date, amount, line, document, description, year, fixed_line or delimiter", n, k)
		}
	}
	return m, sc.Err()
}

// ParseDelimiter reads a separator given as ";", ",", "tab" or "\t".
func ParseDelimiter(s string) (rune, error) {
	switch s {
	case "tab", `\t`, "\t":
		return '\t', nil
	}
	if utf8.RuneCountInString(s) != 1 || s == `"` || s == "\n" || s == "\r" {
		return 0, fmt.Errorf("delimiter %q: expected one character such as ; or , or the word tab", s)
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r, nil
}
