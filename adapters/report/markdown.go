package report

import (
	"bufio"
	"fmt"
	"github.com/grantledger/grantledger/app/document"
	"io"
	"strings"
)

// WriteMarkdown renders the document as Markdown (GitHub tables).
func WriteMarkdown(w io.Writer, d document.Document) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# %s\n", mdEscape(d.Title))
	for _, s := range d.Sections {
		b.WriteString("\n")
		if s.Heading != "" {
			fmt.Fprintf(b, "## %s\n\n", mdEscape(s.Heading))
		}
		for _, f := range s.Fields {
			fmt.Fprintf(b, "- **%s:** %s\n", mdEscape(f.Label), mdEscape(f.Value.Format(d.Lang)))
		}
		for _, t := range s.Tables {
			if len(s.Fields) > 0 {
				b.WriteString("\n")
			}
			if t.Title != s.Heading && t.Title != "" {
				fmt.Fprintf(b, "**%s**\n\n", mdEscape(t.Title))
			}
			numeric := numericColumns(t)
			b.WriteString("|")
			for _, c := range t.Columns {
				fmt.Fprintf(b, " %s |", mdEscape(c))
			}
			b.WriteString("\n|")
			for i := range t.Columns {
				if numeric[i] {
					b.WriteString(" ---: |")
				} else {
					b.WriteString(" --- |")
				}
			}
			b.WriteString("\n")
			for _, r := range t.Rows {
				mdRow(b, r, len(t.Columns), d.Lang, false)
			}
			for _, r := range t.Footer {
				mdRow(b, r, len(t.Columns), d.Lang, true)
			}
			b.WriteString("\n")
		}
		for _, n := range s.Notes {
			fmt.Fprintf(b, "- %s\n", mdEscape(n))
		}
	}
	return b.Flush()
}

func mdRow(b *bufio.Writer, r []document.Cell, n int, l document.Lang, bold bool) {
	b.WriteString("|")
	for i := 0; i < n; i++ {
		s := ""
		if i < len(r) {
			s = mdEscape(r[i].Format(l))
		}
		if bold && s != "" {
			s = "**" + s + "**"
		}
		fmt.Fprintf(b, " %s |", s)
	}
	b.WriteString("\n")
}

func numericColumns(t document.Table) []bool {
	out := make([]bool, len(t.Columns))
	for _, r := range append(append([][]document.Cell{}, t.Rows...), t.Footer...) {
		for i, c := range r {
			if i < len(out) && c.Numeric() {
				out[i] = true
			}
		}
	}
	return out
}

var mdReplacer = strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;", "\n", " ")

func mdEscape(s string) string { return mdReplacer.Replace(s) }
