package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A return is paid back from the command line: history names the return's
// id as the due to refund, record_refund pays it, and the yearly report's
// cash position shows it refunded.
func TestRefundFromTheCommandLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	setup := strings.Join([]string{
		`{"type":"register_agreement","command_id":"7c0e0000-0000-4000-8000-000000000001","actor":"officer","data":{"agreement":"CASH-1","kind":"grant","title":"t","grantee":"NGO","funder":"Ministry","total_funding":"1000","period":{"from":"2024-01-01","to":"2024-12-31"},"years":[{"year":1,"from":"2024-01-01","to":"2024-12-31"}],"lines":[{"line":"a"}]}}`,
		`{"type":"plan_budget","command_id":"7c0e0000-0000-4000-8000-000000000002","actor":"officer","data":{"agreement":"CASH-1","line":"a","year":1,"amount":"1000"}}`,
		`{"type":"record_disbursement","command_id":"7c0e0000-0000-4000-8000-000000000003","actor":"officer","data":{"agreement":"CASH-1","kind":"advance","year":1,"amount":"1000","date":"2024-01-10","reference":"MO-1"}}`,
		`{"type":"record_spending","command_id":"7c0e0000-0000-4000-8000-000000000004","actor":"accountant","data":{"agreement":"CASH-1","line":"a","year":1,"amount":"871.72","date":"2024-05-01","document":"INV-1"}}`,
		`{"type":"return_unspent","command_id":"7c0e0000-0000-4000-8000-000000000005","actor":"officer","data":{"agreement":"CASH-1","line":"a","year":1,"date":"2024-12-31"}}`,
	}, "\n")
	if _, errs, code := runCLI(t, setup, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	out, _, _ := runCLI(t, "", "history", "--db", db, "--agreement", "CASH-1")
	due := regexp.MustCompile(`returned\s+128\.28\s+to\s+Ministry\s+\(due\s+([0-9a-f-]{36}):\s+refund\s+with\s+record_refund\)`).FindStringSubmatch(out)
	if due == nil {
		t.Fatalf("history does not name the return as a due:\n%s", out)
	}
	refund := fmt.Sprintf(`{"type":"record_refund","command_id":"7c0e0000-0000-4000-8000-000000000006","actor":"officer","data":{"agreement":"CASH-1","for":%q,"amount":"128,28","date":"2025-01-20","reference":"VK-1"}}`, due[1])
	if _, errs, code := runCLI(t, refund, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("refund: %s", errs)
	}
	out, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", "CASH-1", "--year", "1", "--format", "json", "--today", "2025-02-01")
	if code != 0 {
		t.Fatalf("report: exit %d %s", code, errs)
	}
	var rep struct {
		Ceiling string `json:"ceiling"`
		Cash    struct {
			Disbursed, EligibleSpent, Refunded, Held, Outstanding string
		} `json:"cash"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c := rep.Cash
	// 1 000,00 received − 871,72 spent − 128,28 refunded = 0,00 held.
	if rep.Ceiling != "1000.00" || c.Disbursed != "1000.00" || c.Refunded != "128.28" || c.Held != "0.00" || c.Outstanding != "0.00" {
		t.Errorf("report: ceiling %s, cash %+v; want 1000.00, 1000.00 received, 128.28 refunded, 0.00 held and outstanding", rep.Ceiling, c)
	}
}
