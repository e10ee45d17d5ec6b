package report

import (
	"bufio"
	"github.com/grantledger/grantledger/app/document"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteText renders the document for a terminal: aligned fields, tables
// with right-aligned amounts, and findings as a list.
func WriteText(w io.Writer, d document.Document) error {
	b := bufio.NewWriter(w)
	width := d.Width
	if width == 0 {
		width = TextWidth
	}
	if width < 0 {
		width = 1 << 30
	}
	writeUnderlined(b, d.Title, "=", width)
	for _, s := range d.Sections {
		b.WriteString("\n")
		if s.Heading != "" {
			writeUnderlined(b, s.Heading, "-", width)
		}
		lw := 0
		for _, f := range s.Fields {
			lw = max(lw, utf8.RuneCountInString(f.Label))
		}
		for _, f := range s.Fields {
			label := f.Label + ":" + pad("", lw-utf8.RuneCountInString(f.Label)) + " "
			if DisplayWidth(label) > width/2 {
				// A label too long to keep its value beside it.
				b.WriteString(wrapIndent(f.Label+":", "", width))
				label = "  "
			}
			b.WriteString(wrapIndent(f.Value.Format(d.Lang), label, width))
		}
		for i, t := range s.Tables {
			if i > 0 || len(s.Fields) > 0 {
				b.WriteString("\n")
			}
			if t.Title != s.Heading && t.Title != d.Title && t.Title != "" {
				b.WriteString(wrapIndent(t.Title, "", width))
			}
			writeTextTable(b, t, d.Lang, width)
		}
		for _, n := range s.Notes {
			if len(s.Notes) == 1 && len(s.Tables) == 0 && len(s.Fields) == 0 {
				b.WriteString(wrapIndent(n, "", width))
				continue
			}
			b.WriteString(wrapIndent(n, "- ", width))
		}
	}
	return b.Flush()
}

// writeUnderlined writes s wrapped to TextWidth and underlined with u.
func writeUnderlined(b *bufio.Writer, s, u string, width int) {
	w := 0
	for _, line := range Wrap(s, width) {
		w = max(w, DisplayWidth(line))
	}
	b.WriteString(wrapIndent(s, "", width))
	b.WriteString(strings.Repeat(u, w) + "\n")
}

func pad(s string, n int) string {
	if n <= 0 {
		return s
	}
	return s + strings.Repeat(" ", n)
}

func writeTextTable(b *bufio.Writer, t document.Table, l document.Lang, width int) {
	widths := make([]int, len(t.Columns))
	numeric := make([]bool, len(t.Columns))
	for i, c := range t.Columns {
		widths[i] = utf8.RuneCountInString(c)
	}
	all := append(append([][]document.Cell{}, t.Rows...), t.Footer...)
	for _, row := range all {
		for i, c := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c.Format(l)))
				numeric[i] = numeric[i] || c.Numeric()
			}
		}
	}
	total := 2 * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	if total > width {
		cells := make([][]string, len(all))
		for r, row := range all {
			cells[r] = make([]string, len(t.Columns))
			for i := range cells[r] {
				if i < len(row) {
					cells[r][i] = row[i].Format(l)
				}
			}
		}
		writeWideTable(b, t, cells, numeric, width)
		return
	}
	line := func(cells []string) {
		for i, s := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			gap := widths[i] - utf8.RuneCountInString(s)
			if numeric[i] {
				b.WriteString(strings.Repeat(" ", max(gap, 0)) + s)
			} else if i < len(cells)-1 {
				b.WriteString(pad(s, gap))
			} else {
				b.WriteString(s)
			}
		}
		b.WriteString("\n")
	}
	line(t.Columns)
	rule := make([]string, len(widths))
	for i, w := range widths {
		rule[i] = strings.Repeat("-", w)
	}
	line(rule)
	row := func(r []document.Cell) {
		s := make([]string, len(t.Columns))
		for i := range s {
			if i < len(r) {
				s[i] = r[i].Format(l)
			}
		}
		line(s)
	}
	for _, r := range t.Rows {
		row(r)
	}
	if len(t.Footer) > 0 {
		line(rule)
		for _, r := range t.Footer {
			row(r)
		}
	}
}

// WriteTextWidth is WriteText with lines of at most width columns (a
// negative width: no limit).
func WriteTextWidth(w io.Writer, d document.Document, width int) error {
	d.Width = width
	return WriteText(w, d)
}
