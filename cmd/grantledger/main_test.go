package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/grantledger/grantledger/projections"
)

// runCLI runs the command line in-process and returns stdout, stderr and
// the exit code main would use.
func runCLI(t testing.TB, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	code := report(err, &errb)
	return out.String(), errb.String(), code
}

func TestDemoShowsSeed004AndTheYear2Gap(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	out, errs, code := runCLI(t, "", "demo", "--db", db)
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"47,786.53", "1,213.47", "48,871.72", "128.28",
		"year 2 of KNVOC-2022-2025 cannot be closed",
		"1,040.13 neither spent, carried over nor returned", // one amount format per output (issue 16)
		"illustrative",
		"2021.LV/NVOF/MIC/031/10", "6,460.64", "AIF/2022/KAPAC2/104", "19,998.58",
		"Year 2 has ended but 1,213.47 EUR is neither spent, carried over nor returned",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// Running it again on the same ledger appends nothing.
	out2, _, code := runCLI(t, "", "demo", "--db", db)
	if code != 0 || !strings.Contains(out2, "Recorded 0 seed commands as 0 events") {
		t.Errorf("second demo run: exit %d, want nothing recorded; got %q", code, firstLine(out2, "Recorded"))
	}
}

func firstLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

const walkJSONL = `{"type":"register_agreement","command_id":"9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a10","actor":"officer@ministry.example","data":{"agreement":"DEMO-1","kind":"grant","title":"Community training","grantee":"Example NGO","funder":"Example Ministry","period":{"from":"2024-01-01","to":"2025-12-31"},"years":[{"year":1,"from":"2024-01-01","to":"2024-12-31"},{"year":2,"from":"2025-01-01","to":"2025-12-31"}],"lines":[{"line":"training","name":"Training sessions"}]}}
{"type":"plan_budget","command_id":"9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a11","actor":"officer@ministry.example","data":{"agreement":"DEMO-1","line":"training","year":1,"amount":"10 000,00"}}

{"type":"plan_budget","command_id":"9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a12","actor":"officer@ministry.example","data":{"agreement":"DEMO-1","line":"training","year":2,"amount":"10000.00"}}
{"type":"record_spending","command_id":"9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a13","actor":"accountant@ngo.example","data":{"agreement":"DEMO-1","line":"training","year":1,"amount":"9 250,40","date":"2024-06-30","document":"INV-2024-17","description":"Venue and trainers"}}
{"type":"carry_over","command_id":"9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a14","actor":"officer@ministry.example","data":{"agreement":"DEMO-1","line":"training","from_year":1,"date":"2025-01-15"}}
{"type":"close_year","command_id":"9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a15","actor":"officer@ministry.example","data":{"agreement":"DEMO-1","year":1,"date":"2025-01-31"}}
`

func TestApplyReportsFailingLinesAndKeepsTheRest(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	bad := strings.Replace(walkJSONL, `"amount":"10000.00"`, `"amount":"1.234"`, 1) // line 4 refused
	bad += "not json\n"
	_, errs, code := runCLI(t, bad, "apply", "--db", db, "-")
	if code != exitFailure {
		t.Fatalf("exit: got %d, want %d; stderr %s", code, exitFailure, errs)
	}
	for _, want := range []string{`line 4: data.amount: amount "1.234": 3 digits after the separator is ambiguous`, `line 8: malformed JSON`, "applied 5 commands", "2 failed"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if strings.Index(errs, "line 4:") > strings.Index(errs, "line 8:") {
		t.Errorf("failures not reported in line order:\n%s", errs)
	}
	// The good file applies; its already-applied lines are skipped.
	_, errs, code = runCLI(t, walkJSONL, "apply", "--db", db, "-")
	if code != 0 || !strings.Contains(errs, "applied 1 commands (1 events), 5 already applied, 0 failed") {
		t.Fatalf("second apply: exit %d, stderr %s", code, errs)
	}
}

func TestVerifyNamesTheTamperedEvent(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	out, _, code := runCLI(t, "", "verify", "--db", db)
	if code != 0 || !strings.HasPrefix(out, "OK: 6 events in 1 stream,") {
		t.Fatalf("verify before tampering: exit %d, %q", code, out)
	}
	// Edit one byte of the stored spending (9250.40 -> 9250.41), bypassing
	// the store: drop its guard trigger as an attacker with file access would.
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`DROP TRIGGER IF EXISTS events_no_update`); err != nil {
		t.Fatal(err)
	}
	res, err := conn.Exec(`UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '9250.40', '9250.41') AS BLOB) WHERE type = 'SpendingRecorded'`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("tamper: %d rows changed, want 1", n)
	}
	conn.Close()
	out, errs, code := runCLI(t, "", "verify", "--db", db, "--json")
	if code != exitTampered {
		t.Fatalf("verify after tampering: exit %d, want %d; %s", code, exitTampered, errs)
	}
	var v projections.Verification
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.OK || len(v.Breaks) != 1 || v.Breaks[0].Revision != 3 || !strings.Contains(v.Breaks[0].Problem, "edited") {
		t.Fatalf("verify result: %+v, want revision 3 named as edited", v)
	}
	// Commands on the tampered agreement are refused too.
	cmd := `{"type":"record_spending","command_id":"0d5a8c0e-6d55-4c4e-a1a8-7f0f6f3a9a01","actor":"a","data":{"agreement":"DEMO-1","line":"training","year":2,"amount":"1.00","date":"2025-02-01","document":"X"}}`
	_, errs, code = runCLI(t, cmd, "apply", "--db", db, "-")
	if code == 0 || !strings.Contains(errs, "tampered") {
		t.Fatalf("apply on tampered stream: exit %d, stderr %s", code, errs)
	}
}

func TestHelpAndUsageErrors(t *testing.T) {
	out, _, code := runCLI(t, "", "help")
	if code != 0 || !strings.Contains(out, "apply") || !strings.Contains(out, "verify") {
		t.Fatalf("help: exit %d\n%s", code, out)
	}
	for _, c := range commands() {
		_, errs, code := runCLI(t, "", c.name, "--help")
		if code != 0 || !strings.Contains(errs, "Usage: grantledger "+c.name) {
			t.Errorf("%s --help: exit %d, stderr %q", c.name, code, errs)
		}
	}
	_, errs, code := runCLI(t, "", "nosuch")
	if code != exitUsage || !strings.Contains(errs, `unknown command "nosuch"`) {
		t.Errorf("unknown command: exit %d, %q", code, errs)
	}
	_, errs, code = runCLI(t, "", "history", "--db", filepath.Join(t.TempDir(), "x.db"))
	if code != exitUsage || !strings.Contains(errs, "--agreement") {
		t.Errorf("history without agreement: exit %d, %q", code, errs)
	}
}

func TestHistoryListsCorrections(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	out, _, _ := runCLI(t, "", "history", "--db", db, "--agreement", "DEMO-1", "--json")
	var spendingID string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatal(err)
		}
		if row["type"] == "SpendingRecorded" {
			spendingID = row["event_id"].(string)
		}
	}
	if spendingID == "" {
		t.Fatal("no SpendingRecorded in history")
	}
	rev := fmt.Sprintf(`{"type":"reverse_spending","command_id":"0d5a8c0e-6d55-4c4e-a1a8-7f0f6f3a9a02","actor":"auditor","reason":"wrong invoice","data":{"agreement":"DEMO-1","spending":"%s","date":"2025-02-01"}}`, spendingID)
	// Year 1 is closed: the reversal is refused and says so.
	_, errs, code := runCLI(t, rev, "apply", "--db", db, "-")
	if code == 0 || !strings.Contains(errs, "is closed") {
		t.Fatalf("reversal into closed year: exit %d, %s", code, errs)
	}
	out, _, _ = runCLI(t, "", "history", "--db", db, "--agreement", "DEMO-1")
	if !strings.Contains(out, "SpendingRecorded") || !strings.Contains(out, "carried 749.60 from year 1 to year 2") {
		t.Errorf("history lacks the spending or the carry-over:\n%s", out)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateCopiesAndVerifies(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", src, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	out, errs, code := runCLI(t, "", "migrate", "--from", "sqlite:"+src, "--to", "sqlite:"+dst)
	if code != 0 || !strings.Contains(out, "copied 6 events (0 were already there) in 1 stream") || !strings.Contains(out, "verified: 6 events") {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errs)
	}
	// Re-running resumes: nothing is copied twice.
	out, _, code = runCLI(t, "", "migrate", "--from", "sqlite:"+src, "--to", "sqlite:"+dst)
	if code != 0 || !strings.Contains(out, "copied 0 events (6 were already there)") {
		t.Fatalf("second migrate: exit %d\n%s", code, out)
	}
	// The copy is a working ledger: its chains verify and it reports the same.
	out, _, code = runCLI(t, "", "verify", "--db", dst)
	if code != 0 || !strings.HasPrefix(out, "OK: 6 events") {
		t.Fatalf("verify copy: exit %d %q", code, out)
	}
}
