package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteText renders the document for a terminal: aligned fields, tables
// with right-aligned amounts, and findings as a list.
func WriteText(w io.Writer, d Document) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "%s\n%s\n", d.Title, strings.Repeat("=", utf8.RuneCountInString(d.Title)))
	for _, s := range d.Sections {
		b.WriteString("\n")
		if s.Heading != "" {
			fmt.Fprintf(b, "%s\n%s\n", s.Heading, strings.Repeat("-", utf8.RuneCountInString(s.Heading)))
		}
		width := 0
		for _, f := range s.Fields {
			width = max(width, utf8.RuneCountInString(f.Label))
		}
		for _, f := range s.Fields {
			fmt.Fprintf(b, "%s:%s %s\n", f.Label, pad("", width-utf8.RuneCountInString(f.Label)), f.Value.Format(d.Lang))
		}
		for i, t := range s.Tables {
			if i > 0 || len(s.Fields) > 0 {
				b.WriteString("\n")
			}
			if t.Title != s.Heading && t.Title != "" {
				fmt.Fprintf(b, "%s\n", t.Title)
			}
			writeTextTable(b, t, d.Lang)
		}
		for _, n := range s.Notes {
			if len(s.Notes) == 1 && len(s.Tables) == 0 && len(s.Fields) == 0 {
				fmt.Fprintf(b, "%s\n", n)
				continue
			}
			fmt.Fprintf(b, "- %s\n", n)
		}
	}
	return b.Flush()
}

func pad(s string, n int) string {
	if n <= 0 {
		return s
	}
	return s + strings.Repeat(" ", n)
}

func writeTextTable(b *bufio.Writer, t Table, l Lang) {
	widths := make([]int, len(t.Columns))
	numeric := make([]bool, len(t.Columns))
	for i, c := range t.Columns {
		widths[i] = utf8.RuneCountInString(c)
	}
	all := append(append([][]Cell{}, t.Rows...), t.Footer...)
	for _, row := range all {
		for i, c := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c.Format(l)))
				numeric[i] = numeric[i] || c.Numeric()
			}
		}
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
	row := func(r []Cell) {
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
