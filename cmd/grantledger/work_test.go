package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/internal/testsupport/envtest"
)

// Issue 15 from the command line: a memorandum's task overdue on a day,
// grouped by responsible organisation; an interim report whose file is
// rendered by `report`, sealed by its SHA-256, accepted, then restated by
// a spending entered after the seal; `document check` names the file;
// `obligations` and `summaries` exit 4 on an overdue report.
func TestWorkPlanAndSealedReportFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	id := func(n int) string { return fmt.Sprintf("5e150000-0000-4000-8000-%012d", n) }
	setup := strings.Join([]string{
		`{"type":"register_agreement","command_id":"` + id(1) + `","actor":"officer","data":{"agreement":"MEMO-1","kind":"memorandum","title":"Sadarbības memorands","grantee":"NVO","funder":"Aizkraukles novada pašvaldība","period":{"from":"2023-01-01","to":"2024-12-31"},"years":[{"year":1,"from":"2023-01-01","to":"2023-12-31"},{"year":2,"from":"2024-01-01","to":"2024-12-31"}]}}`,
		`{"type":"define_indicator","command_id":"` + id(2) + `","actor":"officer","data":{"agreement":"MEMO-1","indicator":"t02","name":"NVO aptauja","unit":"surveys","aggregation":"sum","responsible":["Aizkraukles rajona partnerība"],"place":"E-vidē","targets":[{"year":2,"target":1,"due":"2024-03-31"}]}}`,
		`{"type":"record_delivery","command_id":"` + id(3) + `","actor":"coordinator","data":{"agreement":"MEMO-1","indicator":"t02","year":2,"quantity":1,"date":"2024-04-15"}}`,
		`{"type":"register_agreement","command_id":"` + id(4) + `","actor":"officer","data":{"agreement":"G-1","kind":"grant","title":"t","grantee":"NGO","funder":"Fund","period":{"from":"2021-02-01","to":"2021-11-20"},"years":[{"year":1,"from":"2021-02-01","to":"2021-11-20"}],"lines":[{"line":"all"}]}}`,
		`{"type":"plan_budget","command_id":"` + id(5) + `","actor":"officer","data":{"agreement":"G-1","line":"all","year":1,"amount":"6460.64"}}`,
		`{"type":"record_spending","command_id":"` + id(6) + `","actor":"accountant","data":{"agreement":"G-1","line":"all","year":1,"amount":"3000","date":"2021-05-10","document":"INV-1"}}`,
		`{"type":"require_report","command_id":"` + id(7) + `","actor":"officer","data":{"agreement":"G-1","report":"interim","kind":"interim","year":1,"due":"2021-07-15"}}`,
		`{"type":"require_report","command_id":"` + id(8) + `","actor":"officer","data":{"agreement":"G-1","report":"final","kind":"final","year":1,"due":"2021-12-20"}}`,
	}, "\n")
	if _, errs, code := runCLI(t, setup, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	// On 2024-04-01 the survey (due 2024-03-31, delivered 2024-04-15) is overdue.
	out, errs, code := runCLI(t, "", "indicators", "--db", db, "--overdue", "--by-responsible", "--today", "2024-04-01", "--format", "json")
	if code != 0 {
		t.Fatalf("indicators: exit %d %s", code, errs)
	}
	var ind struct {
		Groups []struct {
			Organisation string
			Rows         []struct {
				Indicator string
				Delivered int64
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &ind); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(ind.Groups) != 1 || ind.Groups[0].Organisation != "Aizkraukles rajona partnerība" || len(ind.Groups[0].Rows) != 1 || ind.Groups[0].Rows[0].Delivered != 0 {
		t.Errorf("overdue by responsible on 2024-04-01: %s", out)
	}

	// The interim report's file, rendered on 2021-07-10, sealed by its hash.
	file := filepath.Join(dir, "interim.md")
	if _, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", "G-1", "--year", "1", "--format", "md", "--today", "2021-07-10", "--out", file); code != 0 {
		t.Fatalf("report: %s", errs)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	hexsum := hex.EncodeToString(sum[:])
	// Sealed with the file and a signed checkpoint of the log (8 events).
	key := filepath.Join(dir, "signing.key")
	if _, errs, code := runCLI(t, "", "key", "generate", "--out", key); code != 0 {
		t.Fatalf("key: %s", errs)
	}
	cpFile := filepath.Join(dir, "day.checkpoint")
	if _, errs, code := runCLI(t, "", "checkpoint", "--db", db, "--signing-key", key, "--out", cpFile); code != 0 {
		t.Fatalf("checkpoint: %s", errs)
	}
	sealArgs := []string{"seal", "--db", db, "--agreement", "G-1", "--report", "interim", "--file", file, "--date", "2021-07-10", "--actor", "ngo", "--checkpoint", cpFile}
	out, errs, code = runCLI(t, "", sealArgs...)
	if code != 0 || !strings.Contains(out, hexsum) || !strings.Contains(out, "checkpoint of 8 events") {
		t.Fatalf("seal: exit %d %s\n%s", code, errs, out)
	}
	if out, _, code := runCLI(t, "", sealArgs...); code != 0 || !strings.Contains(out, "nothing appended") {
		t.Errorf("the same seal again: exit %d\n%s", code, out)
	}
	seal := strings.Join([]string{
		`{"type":"accept_report","command_id":"` + id(10) + `","actor":"officer","data":{"agreement":"G-1","report":"interim","date":"2021-07-20"}}`,
		`{"type":"record_spending","command_id":"` + id(11) + `","actor":"accountant","data":{"agreement":"G-1","line":"all","year":1,"amount":"1200","date":"2021-06-30","document":"INV-2"}}`,
	}, "\n")
	if _, errs, code := runCLI(t, seal, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("seal: %s", errs)
	}
	out, errs, code = runCLI(t, "", "restatement", "--db", db, "--agreement", "G-1", "--report", "interim", "--format", "json")
	if !strings.Contains(out, `"tree_size": 8`) {
		t.Errorf("restatement does not show the sealed checkpoint of 8 events:\n%s", out)
	}
	if code != 0 {
		t.Fatalf("restatement: exit %d %s", code, errs)
	}
	var rs struct {
		Restated bool
		Lines    []struct {
			Sealed, Now struct{ Actual string }
		}
		Later []struct {
			Type   string
			Amount string
		} `json:"later_events"`
	}
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !rs.Restated || len(rs.Lines) != 1 || rs.Lines[0].Sealed.Actual != "3000.00" || rs.Lines[0].Now.Actual != "4200.00" || len(rs.Later) != 1 || rs.Later[0].Type != "SpendingRecorded" || rs.Later[0].Amount != "1200.00" {
		t.Errorf("restatement: %s", out)
	}
	text, _, _ := runCLI(t, "", "restatement", "--db", db, "--agreement", "G-1", "--report", "interim")
	if !strings.Contains(text, "SpendingRecorded") || !strings.Contains(text, hexsum) {
		t.Errorf("restatement text names neither the later spending nor the seal's hash:\n%s", text)
	}

	out, _, code = runCLI(t, "", "document", "check", "--db", db, file)
	if code != 0 || !regexp.MustCompile(`is submitted_report interim of G-1`).MatchString(out) {
		t.Errorf("document check of the report file: exit %d\n%s", code, out)
	}
	other := filepath.Join(dir, "other.txt")
	os.WriteFile(other, []byte("not registered"), 0o644)
	if _, errs, code := runCLI(t, "", "document", "check", "--db", db, other); code != 1 || !strings.Contains(errs, "matches no registered document") {
		t.Errorf("document check of another file: exit %d %s; want 1, matches none", code, errs)
	}

	// The whole period in one document: one year, 4 200,00 spent of 6 460,64.
	out, errs, code = runCLI(t, "", "report", "--db", db, "--agreement", "G-1", "--whole", "--format", "json", "--today", "2021-12-01")
	var whole struct {
		Years []struct{ Year int }
		Total struct{ Planned, Actual, Remainder string }
	}
	if err := json.Unmarshal([]byte(out), &whole); code != 0 || err != nil || len(whole.Years) != 1 || whole.Total.Actual != "4200.00" || whole.Total.Remainder != "2260.64" {
		t.Errorf("report --whole: exit %d %s\n%s", code, errs, out)
	}
	for _, f := range []string{"md", "html", "csv", "xlsx", "text"} {
		if _, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", "G-1", "--whole", "--lang", "lv", "--format", f, "--out", filepath.Join(dir, "whole."+f)); code != 0 {
			t.Errorf("report --whole --format %s: exit %d %s", f, code, errs)
		}
	}

	// The final report, due 2021-12-20, is overdue on 2021-12-21.
	if out, _, code := runCLI(t, "", "obligations", "--db", db, "--today", "2021-12-21", "--overdue", "--format", "json"); code != 4 || !strings.Contains(out, `"report": "final"`) {
		t.Errorf("obligations --overdue on 2021-12-21: exit %d\n%s", code, out)
	}
	if _, _, code := runCLI(t, "", "obligations", "--db", db, "--today", "2021-12-01"); code != 0 {
		t.Errorf("obligations on 2021-12-01: exit %d, want 0 (nothing overdue)", code)
	}
	if _, errs, code := runCLI(t, "", "summaries", "--db", db, "--agreement", "G-1", "--year", "1", "--today", "2021-12-21", "--out", filepath.Join(dir, "s")); code != 4 {
		t.Errorf("summaries with the final report overdue: exit %d %s, want 4", code, errs)
	}
}

// A memorandum (tasks, no money) beside agreements with money: every money
// report and export copes with it (issue 15: "check every money report
// copes"), and the IATI export stays valid against the schema.
func TestMemorandumInEveryMoneyReport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	if _, errs, code := runCLI(t, "", "demo", "--db", db); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	memo := strings.Join([]string{
		`{"type":"register_agreement","command_id":"5e150000-0000-4000-8000-000000000101","actor":"officer","data":{"agreement":"MEMO-2","kind":"memorandum","title":"Sadarbības memorands","grantee":"NVO","funder":"Aizkraukles novada pašvaldība","period":{"from":"2023-01-01","to":"2024-12-31"},"years":[{"year":1,"from":"2023-01-01","to":"2023-12-31"},{"year":2,"from":"2024-01-01","to":"2024-12-31"}]}}`,
		`{"type":"define_indicator","command_id":"5e150000-0000-4000-8000-000000000102","actor":"officer","data":{"agreement":"MEMO-2","indicator":"t10","name":"Konference","unit":"events","aggregation":"sum","targets":[{"year":1,"target":1}]}}`,
		`{"type":"record_delivery","command_id":"5e150000-0000-4000-8000-000000000103","actor":"ngo","data":{"agreement":"MEMO-2","indicator":"t10","year":1,"quantity":1,"date":"2023-11-03"}}`,
	}, "\n")
	if _, errs, code := runCLI(t, memo, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	for _, args := range [][]string{
		{"report", "--agreement", "MEMO-2", "--year", "1", "--format", "json", "--today", "2024-01-10"},
		{"report", "--agreement", "MEMO-2", "--whole", "--format", "md"},
		{"reconcile", "--year", "1", "--format", "json"},
		{"reconcile", "--calendar-year", "2023", "--format", "csv"},
		{"reconcile", "--multi-year"},
		{"indicators", "--agreement", "MEMO-2"},
		{"export", "hledger", "--agreement", "MEMO-2"},
	} {
		if out, errs, code := runCLI(t, "", append(args, "--db", db)...); code != 0 || out == "" {
			t.Errorf("%v: exit %d %s", args, code, errs)
		}
	}
	xmlFile := filepath.Join(dir, "memo.xml")
	if _, errs, code := runCLI(t, "", "export", "iati", "--db", db, "--out", xmlFile); code != 0 {
		t.Fatalf("export iati: %s", errs)
	}
	// The schema copy the iati package's tests use (in the repository).
	schema := filepath.Join("..", "..", "adapters", "iati", "testdata", "iati-2.03", "iati-activities-schema.xsd")
	if _, err := os.Stat(schema); err != nil {
		t.Fatalf("the IATI schema: %v", err)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		envtest.Missing(t, "xmllint is not on PATH (apt-get install -y libxml2-utils); the export is not validated")
	}
	if out, err := exec.Command("xmllint", "--noout", "--schema", schema, xmlFile).CombinedOutput(); err != nil {
		t.Errorf("the export with a memorandum does not validate: %v\n%s", err, out)
	}
}
