package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestReportCommands runs the report commands on the walk-through ledger
// of main_test.go: year 1 closed with its remainder carried over, year 2
// open.
func TestReportCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	t.Run("report json contract", func(t *testing.T) {
		out, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", "DEMO-1", "--year", "1", "--format", "json", "--today", "2025-02-01")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var r struct {
			Agreement string
			Year      int
			Closed    bool
			Period    struct{ From, To string }
			Lines     []map[string]any
			Total     map[string]any
			Findings  []map[string]any
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if r.Agreement != "DEMO-1" || r.Year != 1 || !r.Closed || r.Period.From != "2024-01-01" || r.Period.To != "2024-12-31" {
			t.Errorf("header = %+v", r)
		}
		if len(r.Lines) != 1 || r.Lines[0]["line"] != "training" || r.Total["actual"] != "9250.40" || r.Total["carried_over"] != "749.60" || r.Total["remainder"] != "0.00" {
			t.Errorf("figures: lines %v total %v", r.Lines, r.Total)
		}
		if len(r.Findings) != 0 {
			t.Errorf("findings = %v, want none", r.Findings)
		}
	})
	t.Run("report lv text", func(t *testing.T) {
		out, _, code := runCLI(t, "", "report", "--db", db, "--agreement", "DEMO-1", "--year", "1", "--lang", "lv")
		if code != 0 || !strings.Contains(out, "9 250,40") || !strings.Contains(out, "01.01.2024. – 31.12.2024.") || !strings.Contains(out, "749,60 euro uz 2. gadu") {
			t.Errorf("exit %d, Latvian report:\n%s", code, out)
		}
	})
	t.Run("unknown agreement", func(t *testing.T) {
		_, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", "NOPE", "--year", "1")
		if code != exitFailure || !strings.Contains(errs, `agreement "NOPE" is not registered`) {
			t.Errorf("exit %d, stderr %s", code, errs)
		}
	})
	t.Run("as-of before registration", func(t *testing.T) {
		_, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", "DEMO-1", "--year", "1", "--as-of", "2000-01-01T00:00:00Z")
		if code != exitFailure || !strings.Contains(errs, "not registered as of 2000-01-01T00:00:00Z") {
			t.Errorf("exit %d, stderr %s", code, errs)
		}
	})
	t.Run("reconcile xlsx", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "r.xlsx")
		if _, errs, code := runCLI(t, "", "reconcile", "--db", db, "--year", "1", "--format", "xlsx", "--out", out); code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		f, err := excelize.OpenFile(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		raw, _ := f.GetCellValue("Reconciliation", "G2", excelize.Options{RawCellValue: true})
		if raw != "9250.4" {
			t.Errorf("Reconciliation!G2 (actual) = %q, want 9250.4", raw)
		}
	})
	t.Run("reconcile needs one window", func(t *testing.T) {
		if _, _, code := runCLI(t, "", "reconcile", "--db", db); code != exitUsage {
			t.Errorf("exit %d, want %d", code, exitUsage)
		}
	})
	t.Run("audit", func(t *testing.T) {
		out, errs, code := runCLI(t, "", "audit", "--db", db, "--type", "SpendingRecorded", "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var r struct {
			Rows         []map[string]any
			Verification struct{ OK bool }
		}
		json.Unmarshal([]byte(out), &r)
		if len(r.Rows) != 1 || r.Rows[0]["actor"] != "accountant@ngo.example" || !r.Verification.OK {
			t.Errorf("audit = %s", out)
		}
	})
	t.Run("summaries are idempotent and exit 4 on findings", func(t *testing.T) {
		dir := t.TempDir()
		out, _, code := runCLI(t, "", "summaries", "--db", db, "--year", "2", "--out", dir, "--today", "2026-03-01")
		if code != exitFindings || !strings.Contains(out, "1 with findings") {
			t.Fatalf("exit %d (want %d): %s", code, exitFindings, out)
		}
		first, _ := os.ReadFile(filepath.Join(dir, "DEMO-1-year2.md"))
		st1, _ := os.Stat(filepath.Join(dir, "index-year2.json"))
		time.Sleep(10 * time.Millisecond)
		out, _, _ = runCLI(t, "", "summaries", "--db", db, "--year", "2", "--out", dir, "--today", "2026-03-01")
		second, _ := os.ReadFile(filepath.Join(dir, "DEMO-1-year2.md"))
		st2, _ := os.Stat(filepath.Join(dir, "index-year2.json"))
		if !strings.Contains(out, "(0 files changed)") || !bytes.Equal(first, second) || !st1.ModTime().Equal(st2.ModTime()) {
			t.Errorf("second run changed files: %s", out)
		}
		if !bytes.Contains(first, []byte("is still open")) {
			t.Errorf("year-2 summary lacks the open-year finding:\n%s", first)
		}
		_, _, code = runCLI(t, "", "summaries", "--db", db, "--year", "1", "--out", dir)
		if code != 0 {
			t.Errorf("year 1 (no findings): exit %d, want 0", code)
		}
	})
}
