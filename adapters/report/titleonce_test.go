package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
)

// Issue 16: a table whose title is its section's heading says it once in
// the printable HTML (the heading labels the table), in both languages.
func TestHTMLSaysEachTableTitleOnce(t *testing.T) {
	l := seedLedger(t)
	r, err := l.YearReport(projtest.Seed004, 2, today)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []document.Lang{document.LV, document.EN} {
		var b bytes.Buffer
		doc := document.YearDocument(r, lang)
		if err := report.WriteHTML(&b, doc); err != nil {
			t.Fatal(err)
		}
		title := document.L(lang, "planned_vs_actual")
		if n := strings.Count(b.String(), ">"+title+"<"); n != 1 {
			t.Errorf("%s: %q appears %d times, want once", lang, title, n)
		}
		if !strings.Contains(b.String(), `aria-labelledby="h`) {
			t.Errorf("%s: the table is not labelled by its heading", lang)
		}
	}
}
