package report_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// The text form fits 100 columns (docs/REPORTS.md "Text"): seed 004's year
// 1 (shared/seeds, DOMAIN.md) has eight figure columns; split into blocks
// that each repeat the budget line, its total row still reads, block after
// block, 49 000,00 49 000,00 0,00 47 786,53 1 213,47 0,00 0,00 0,00.
func TestWideTableSplitsIntoBlocks(t *testing.T) {
	l := seedLedger(t)
	r, err := l.YearReport(projtest.Seed004, 1, today)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang       document.Lang
		key, total string
		want       []string
	}{
		{document.LV, "Budžeta pozīcija", "Kopā", []string{"49 000,00", "49 000,00", "0,00", "47 786,53", "1 213,47", "0,00", "0,00", "0,00"}},
		{document.EN, "Budget line", "Total", []string{"49,000.00", "49,000.00", "0.00", "47,786.53", "1,213.47", "0.00", "0.00", "0.00"}},
	} {
		var b bytes.Buffer
		if err := report.WriteText(&b, document.YearDocument(r, c.lang)); err != nil {
			t.Fatal(err)
		}
		text := b.String()
		blocks, got := 0, []string{}
		for i, line := range strings.Split(text, "\n") {
			if n := utf8.RuneCountInString(line); n > report.TextWidth {
				t.Errorf("%s: line %d is %d columns: %q", c.lang, i+1, n, line)
			}
			if strings.HasPrefix(line, c.key+" ") {
				blocks++
			}
			if rest, ok := strings.CutPrefix(line, c.total+" "); ok && len(got) < 8 {
				// Figures are separated by two spaces or more; a group
				// space inside an amount is single.
				for _, f := range strings.Split(strings.TrimSpace(rest), "  ") {
					if f = strings.TrimSpace(f); f != "" {
						got = append(got, f)
					}
				}
			}
		}
		if blocks < 2 {
			t.Errorf("%s: the lines table is not split into blocks that repeat %q:\n%s", c.lang, c.key, text)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: the total row across blocks reads %q, want %q", c.lang, got, c.want)
		}
		// Without a limit the table is one block, as before.
		b.Reset()
		report.WriteTextWidth(&b, document.YearDocument(r, c.lang), -1)
		if n := strings.Count(b.String(), "\n"+c.key+" "); n != 1 {
			t.Errorf("%s: with no width limit the key heading appears %d times", c.lang, n)
		}
	}
}

func TestWrapKeepsAmountsWhole(t *testing.T) {
	s := "atlikums ir 1 213,47 euro un 47 786,53 euro, kopā 12 345 678,90 euro"
	for w := 8; w <= 30; w++ {
		lines := report.Wrap(s, w)
		joined := strings.Join(lines, "\n")
		for _, amt := range []string{"1 213,47", "47 786,53", "12 345 678,90"} {
			if !strings.Contains(joined, amt) {
				t.Errorf("width %d cut %q: %q", w, amt, lines)
			}
		}
		for _, line := range lines {
			// Only an amount wider than the line itself may overflow it.
			if report.DisplayWidth(line) > w && line != "12 345 678,90" && line != "47 786,53" {
				t.Errorf("width %d: line %q is wider", w, line)
			}
		}
	}
	if got := report.DisplayWidth("日本ā\u0301"); got != 5 {
		t.Errorf("DisplayWidth counts %d columns, want 5 (two wide, one letter, one combining mark)", got)
	}
}

// A reconciliation's blocks repeat its key, the agreement and the budget
// line: every row of every block names its line (seed 004 year 1, two
// lines of one agreement, which the agreement alone would not tell apart).
func TestReconciliationBlocksRepeatTheLine(t *testing.T) {
	l := seedLedger(t)
	rec, err := l.Reconcile(projections.Scope{}, projections.Window{Year: 1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteText(&b, document.ReconDocument(rec, document.EN)); err != nil {
		t.Fatal(err)
	}
	rows, blocks := 0, 0
	for _, line := range strings.Split(b.String(), "\n") {
		if utf8.RuneCountInString(line) > report.TextWidth {
			t.Errorf("line wider than %d: %q", report.TextWidth, line)
		}
		if strings.HasPrefix(line, "Agreement ") {
			blocks++
			if !strings.Contains(line, "Budget line") {
				t.Errorf("a block's heading does not repeat the budget line: %q", line)
			}
		}
		if strings.HasPrefix(line, projtest.Seed004+" ") {
			rows++
			rest := strings.TrimSpace(strings.TrimPrefix(line, projtest.Seed004))
			if rest == "" || rest[0] >= '0' && rest[0] <= '9' {
				t.Errorf("a row names no budget line: %q", line)
			}
		}
	}
	if blocks < 2 || rows != 2*blocks {
		t.Errorf("%d blocks with %d rows; want at least two blocks of two rows each:\n%s", blocks, rows, b.String())
	}
}
