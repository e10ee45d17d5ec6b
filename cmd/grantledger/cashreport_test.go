package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 14: the cash position as a report of its own on the command line
// (docs/cli.md, `grantledger cash`), with the report conventions: --json
// via --format json, --lang, --as-of, exit 2 for a wrong command line and
// 1 for an unknown agreement. CASH-2 receives 1 000,00 and spends 871,72:
// the grantee holds 128,28. And the IATI export's side (docs/INTEROP.md):
// --reporting grantee turns payments into incoming funds (type 1).
func TestCashReportFromTheCommandLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	setup := strings.Join([]string{
		`{"type":"register_agreement","command_id":"7c0e0000-0000-4000-8000-000000000101","actor":"officer","data":{"agreement":"CASH-2","kind":"grant","title":"t","grantee":"NGO","funder":"Ministry","total_funding":"1000","support_intensity":"85,5","period":{"from":"2024-01-01","to":"2024-12-31"},"years":[{"year":1,"from":"2024-01-01","to":"2024-12-31"}],"lines":[{"line":"a"}]}}`,
		`{"type":"plan_budget","command_id":"7c0e0000-0000-4000-8000-000000000102","actor":"officer","data":{"agreement":"CASH-2","line":"a","year":1,"amount":"1000"}}`,
		`{"type":"record_spending","command_id":"7c0e0000-0000-4000-8000-000000000104","actor":"accountant","data":{"agreement":"CASH-2","line":"a","year":1,"amount":"871.72","date":"2024-05-01","document":"INV-1"}}`,
	}, "\n")
	if _, errs, code := runCLI(t, setup, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	pay := `{"type":"record_disbursement","command_id":"7c0e0000-0000-4000-8000-000000000103","actor":"officer","data":{"agreement":"CASH-2","kind":"advance","year":1,"amount":"1000","date":"2024-01-10","reference":"MO-1"}}`
	if _, errs, code := runCLI(t, pay, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("pay: %s", errs)
	}
	out, errs, code := runCLI(t, "", "cash", "--db", db, "--agreement", "CASH-2", "--format", "json", "--today", "2025-02-01")
	if code != 0 {
		t.Fatalf("cash --format json: exit %d %s", code, errs)
	}
	var rep struct {
		Ceiling          string `json:"ceiling"`
		SupportIntensity string `json:"support_intensity"`
		RecordsPayments  bool   `json:"records_payments"`
		Total            struct {
			Disbursed     string `json:"disbursed"`
			EligibleSpent string `json:"eligible_spent"`
			Held          string `json:"held"`
		} `json:"total"`
		Checkpoint map[string]any `json:"checkpoint"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Ceiling != "1000.00" || rep.SupportIntensity != "85,5" || !rep.RecordsPayments || rep.Total.Disbursed != "1000.00" || rep.Total.EligibleSpent != "871.72" || rep.Total.Held != "128.28" || rep.Checkpoint == nil {
		t.Errorf("cash JSON = %s; want ceiling 1000.00, intensity 85,5 as registered, 1000.00 received, 871.72 spent, 128.28 held, a checkpoint", out)
	}
	out, errs, code = runCLI(t, "", "cash", "--db", db, "--agreement", "CASH-2", "--lang", "lv")
	if code != 0 || !strings.Contains(out, "128,28") || !strings.Contains(out, "Saņemts no finansētāja") || !strings.Contains(out, "85,5 %") {
		t.Errorf("cash --lang lv: exit %d %s\n%s", code, errs, out)
	}
	if _, _, code := runCLI(t, "", "cash", "--db", db); code != 2 {
		t.Errorf("cash without --agreement: exit %d, want 2", code)
	}
	if _, _, code := runCLI(t, "", "cash", "--db", db, "--agreement", "CASH-2", "--format", "pdf"); code != 2 {
		t.Errorf("cash --format pdf: exit %d, want 2", code)
	}
	if _, errs, code := runCLI(t, "", "cash", "--db", db, "--agreement", "NOPE"); code != 1 || !strings.Contains(errs, "NOPE") {
		t.Errorf("cash of an unknown agreement: exit %d %s, want 1 naming it", code, errs)
	}
	out, _, code = runCLI(t, "", "cash", "--db", db, "--agreement", "CASH-2", "--format", "json", "--as-of", "2000-01-01T00:00:00Z")
	if code != 1 {
		// Before anything was recorded the agreement does not exist.
		t.Errorf("cash --as-of before the registration: exit %d %s, want 1", code, out)
	}

	out, errs, code = runCLI(t, "", "export", "iati", "--db", db, "--reporting", "grantee", "--org-ref", "LV-RUR-40008000000")
	if code != 0 || !strings.Contains(out, `<transaction-type code="1"></transaction-type>`) && !strings.Contains(out, `<transaction-type code="1"/>`) || strings.Contains(out, `<transaction-type code="3"`) {
		t.Errorf("export iati --reporting grantee: exit %d %s\n%s", code, errs, out)
	}
	if _, _, code := runCLI(t, "", "export", "iati", "--db", db, "--reporting", "auditor"); code != 2 {
		t.Errorf("export iati --reporting auditor: exit %d, want 2", code)
	}
}
