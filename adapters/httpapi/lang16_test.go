package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// Issue 16, item 3: every report route takes ?lang= (en or lv) for its
// CSV, XLSX, Markdown and HTML, whatever the server's own language; a
// language it does not have is refused naming the parameter. The figures
// are seed 004's (shared/seeds): year 2 ends with 1 213,47 not spent.
func TestReportRoutesTakeLang(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for i, env := range seeds.All() {
		if _, err := commandtest.Handle(context.Background(), f.svc, env); err != nil {
			t.Fatalf("seed command %d: %v", i, err)
		}
	}
	tok := f.tok["auditor"]
	year2 := "/v1/reports/yearly?agreement=" + seeds.Seed004 + "&year=2&format=md"
	for _, c := range []struct {
		path, want, not string
	}{
		{year2, "1,213.47", "1 213,47"}, // the server's language: English
		{year2 + "&lang=en", "1,213.47", "1 213,47"},
		{year2 + "&lang=lv", "1 213,47", "1,213.47"},
		{"/v1/reports/reconciliation?year=2&format=csv&lang=lv&agreement=" + seeds.Seed004, "Līgums", "Agreement"},
		{"/v1/reports/reconciliation?year=2&format=csv&agreement=" + seeds.Seed004, "Agreement", "Līgums"},
		{"/v1/reports/audit?format=html&lang=lv&agreement=" + seeds.Seed004, "Audita pieraksts", "Audit trail"},
		{"/v1/reports/indicators?format=md&lang=lv&agreement=" + seeds.Seed004, "Rādītājs", "Indicator |"},
	} {
		status, body, _ := f.do("GET", c.path, tok, nil)
		got := strings.ReplaceAll(string(body), "\u00a0", " ")
		if status != http.StatusOK || !strings.Contains(got, c.want) || strings.Contains(got, c.not) {
			t.Errorf("GET %s: %d, want 200 with %q and without %q; body %.300s", c.path, status, c.want, c.not, got)
		}
	}
	// The Excel dialect: BOM, ';' and a decimal comma in Latvian, the
	// agreement and year in every row.
	status, body, _ := f.do("GET", "/v1/reports/yearly?agreement="+seeds.Seed004+"&year=2&format=csv&csv=excel&lang=lv", tok, nil)
	if got := string(body); status != http.StatusOK || !strings.HasPrefix(got, "\ufeffLīgums;Gads;") || !strings.Contains(got, seeds.Seed004+";2;") || !strings.Contains(got, ";1213,47;") {
		t.Errorf("csv=excel&lang=lv: %d %.300q", status, got)
	}
	status, body, _ = f.do("GET", year2+"&csv=tabs", tok, nil)
	if status != http.StatusBadRequest || !strings.Contains(string(body), "csv") {
		t.Errorf("csv=tabs: %d %s, want 400 naming csv", status, body)
	}
	status, body, _ = f.do("GET", year2+"&lang=de", tok, nil)
	if status != http.StatusBadRequest || !strings.Contains(string(body), "lang") {
		t.Errorf("lang=de: %d %s, want 400 naming lang", status, body)
	}
}
