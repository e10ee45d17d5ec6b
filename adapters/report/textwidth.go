package report

import (
	"bufio"
	"strings"
	"unicode"

	"github.com/grantledger/grantledger/app/document"
	"golang.org/x/text/width"
)

// TextWidth is the widest line WriteText writes, in terminal columns: a
// table wider than that is split into blocks of columns, each repeating
// the table's key columns (the agreement, the budget line, …), with its
// long text cells wrapped; fields and
// notes wrap at spaces under their value. Every figure stays, whole, on
// one line (docs/REPORTS.md "Text").
const TextWidth = 100

// textCap is the widest a text column of a wrapped table gets.
const textCap = 36

// DisplayWidth is how many terminal columns s takes: combining marks and
// format characters none, East Asian wide and full-width characters two,
// every other character one.
func DisplayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		case r == '\t':
			n += 8
		default:
			switch width.LookupRune(r).Kind() {
			case width.EastAsianWide, width.EastAsianFullwidth:
				n += 2
			default:
				n++
			}
		}
	}
	return n
}

// Wrap breaks s at spaces into lines of at most w columns; a word wider
// than w is cut, an amount ("1 213,47") never.
func Wrap(s string, w int) []string {
	if w < 1 {
		w = 1
	}
	var lines []string
	cur, curW := "", 0
	for _, word := range words(s) {
		ww := DisplayWidth(word)
		// Cut a word that cannot fit on any line, but never an amount (a
		// word words() joined at its group spaces): it overflows instead.
		for ww > w && !strings.Contains(word, " ") {
			if cur != "" {
				lines = append(lines, cur)
				cur, curW = "", 0
			}
			head, rest := cutWidth(word, w)
			lines = append(lines, head)
			word, ww = rest, DisplayWidth(rest)
		}
		switch {
		case cur == "":
			cur, curW = word, ww
		case curW+1+ww <= w:
			cur, curW = cur+" "+word, curW+1+ww
		default:
			lines = append(lines, cur)
			cur, curW = word, ww
		}
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

// words splits s at spaces, keeping the digit groups of an amount
// ("1 213,47", "47 786.53") together: a figure is never cut in two.
func words(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		if k := len(out) - 1; k >= 0 && endsWithDigit(out[k]) && startsWithGroup(w) {
			out[k] += " " + w
			continue
		}
		out = append(out, w)
	}
	return out
}

func endsWithDigit(s string) bool { return s != "" && s[len(s)-1] >= '0' && s[len(s)-1] <= '9' }

// startsWithGroup: three digits, then the end or a character not a digit.
func startsWithGroup(s string) bool {
	if len(s) < 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) == 3 || s[3] < '0' || s[3] > '9'
}

// cutWidth splits s after at most w columns.
func cutWidth(s string, w int) (string, string) {
	n := 0
	for i, r := range s {
		rw := DisplayWidth(string(r))
		if n+rw > w && i > 0 {
			return s[:i], s[i:]
		}
		n += rw
	}
	return s, ""
}

// WrapIndent writes s wrapped to TextWidth: the first line starts with
// first, the next ones with as many spaces as first is wide.
func WrapIndent(s, first string) string { return wrapIndent(s, first, TextWidth) }

func wrapIndent(s, first string, width int) string {
	ind := DisplayWidth(first)
	if ind+DisplayWidth(s) <= width && !strings.Contains(s, "\n") {
		return first + s + "\n" // fits: as it is
	}
	var b strings.Builder
	for i, line := range Wrap(s, width-ind) {
		if i == 0 {
			b.WriteString(first)
		} else {
			b.WriteString(strings.Repeat(" ", ind))
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
	return b.String()
}

// padTo pads s with spaces to w columns, on the left when right.
func padTo(s string, w int, right bool) string {
	gap := w - DisplayWidth(s)
	if gap <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", gap) + s
	}
	return s + strings.Repeat(" ", gap)
}

// writeWideTable writes a table wider than TextWidth (see TextWidth).
// cells are the formatted rows then the footer rows.
func writeWideTable(b *bufio.Writer, t document.Table, cells [][]string, numeric []bool, lineWidth int) {
	n := len(t.Columns)
	widths := make([]int, n)
	for i, c := range t.Columns {
		// A heading stays on one line (so it can be found as it is
		// written) unless it is wider than half a line.
		widths[i] = min(DisplayWidth(c), lineWidth/2)
		for _, w := range strings.Fields(c) {
			widths[i] = max(widths[i], DisplayWidth(w))
		}
	}
	for _, row := range cells {
		for i, c := range row {
			cw := DisplayWidth(c)
			if !numeric[i] && cw > textCap {
				cw = textCap
				for _, w := range strings.Fields(c) {
					cw = max(cw, min(DisplayWidth(w), lineWidth/2))
				}
			}
			widths[i] = max(widths[i], cw)
		}
	}
	// The key columns: the leading text columns (at least the first one)
	// while they take at most 60 % of the line (a reconciliation's
	// agreement, budget line and years).
	key, keyW := 1, widths[0]
	for key < n-1 && !numeric[key] && keyW+2+widths[key] <= lineWidth*6/10 {
		keyW += 2 + widths[key]
		key++
	}
	// A column wider than what is left beside the key wraps its heading.
	for i := key; i < n; i++ {
		if room := lineWidth - keyW - 2; widths[i] > room {
			least := 0
			for _, row := range cells {
				least = max(least, DisplayWidth(row[i]))
			}
			for _, w := range strings.Fields(t.Columns[i]) {
				least = max(least, DisplayWidth(w))
			}
			widths[i] = max(room, least)
		}
	}
	var blocks [][]int
	cur, curW := []int{}, keyW
	for i := key; i < n; i++ {
		if len(cur) > 0 && curW+2+widths[i] > lineWidth {
			blocks = append(blocks, cur)
			cur, curW = []int{}, keyW
		}
		cur = append(cur, i)
		curW += 2 + widths[i]
	}
	if len(cur) > 0 || len(blocks) == 0 {
		blocks = append(blocks, cur)
	}
	keys := make([]int, key)
	for i := range keys {
		keys[i] = i
	}
	// line writes one row whose cells may take several lines.
	line := func(cols []int, texts []string, wrapAll bool) {
		parts := make([][]string, len(cols))
		height := 1
		for j, c := range cols {
			if numeric[c] && !wrapAll {
				parts[j] = []string{texts[c]}
			} else {
				parts[j] = Wrap(texts[c], widths[c])
			}
			height = max(height, len(parts[j]))
		}
		for k := 0; k < height; k++ {
			var sb strings.Builder
			for j, c := range cols {
				s := ""
				if k < len(parts[j]) {
					s = parts[j][k]
				}
				if j > 0 {
					sb.WriteString("  ")
				}
				sb.WriteString(padTo(s, widths[c], numeric[c]))
			}
			b.WriteString(strings.TrimRight(sb.String(), " "))
			b.WriteString("\n")
		}
	}
	rule := make([]string, n)
	for i, w := range widths {
		rule[i] = strings.Repeat("-", w)
	}
	for bi, block := range blocks {
		if bi > 0 {
			b.WriteString("\n")
		}
		cols := append(append([]int{}, keys...), block...)
		line(cols, t.Columns, true)
		line(cols, rule, false)
		for _, r := range cells[:len(t.Rows)] {
			line(cols, r, false)
		}
		if len(t.Footer) > 0 {
			line(cols, rule, false)
			for _, r := range cells[len(t.Rows):] {
				line(cols, r, false)
			}
		}
	}
}
