package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/seeds"
)

// Issue 14, "Done when", walked through the program itself on the seeds
// (grantledger demo loads them): the expectations are the seeds' own
// figures (../shared/seeds, adapters/seeds) and the issue's sentences.
//
//   - "Seed 004's return of 128,28 can be recorded as refunded and shows as
//     such": the two returns of year 3 (80,00 and 48,28) are refunded with
//     record_refund; cash and the yearly report show them refunded, nothing
//     outstanding, no refund overdue.
//   - "a seed-004-like agreement with an advance of 50 % and a final
//     payment reconciles cash": each year paid 24 500,00 + 24 500,00; to
//     date 147 000,00 received − 145 658,25 spent − 128,28 refunded =
//     1 213,47 held (the carry-over year 2 never accounted for). The
//     cross-check against hledger itself is TestCashReconcilesWithHledger
//     (adapters/hledger).
//   - "calendar years of seed 003 show apportioned plans that add up to
//     19 998,58".
//   - "an auditor records an ineligible expense into closed year 1 and both
//     the closed and the restated figures are visible", and --as-of before
//     it shows the original.
func TestIssue14DoneWhenThroughTheCommandLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "seeds.db")
	if _, errs, code := runCLI(t, "", "demo", "--db", db); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	hist, errs, code := runCLI(t, "", "history", "--db", db, "--agreement", seeds.Seed004)
	if code != 0 {
		t.Fatalf("history: %s", errs)
	}
	dues := map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)returned\s+(80\.00|48\.28)\s+to\s+.*?\s+\(due\s+([0-9a-f-]{36})`).FindAllStringSubmatch(hist, -1) {
		dues[m[1]] = m[2]
	}
	if len(dues) != 2 {
		t.Fatalf("history does not name the two returns of year 3 as dues:\n%s", hist)
	}
	n := 0
	cmd := func(typ, reason, data string) string {
		n++
		return fmt.Sprintf(`{"type":%q,"command_id":"14d0e000-0000-4000-8000-%012d","actor":"officer@km.example.lv","reason":%q,"data":%s}`, typ, n, reason, data)
	}
	var lines []string
	for y, dates := range [][2]string{{"2022-07-20", "2023-08-15"}, {"2023-07-20", "2024-08-15"}, {"2024-07-20", "2025-08-15"}} {
		lines = append(lines,
			cmd("record_disbursement", "", fmt.Sprintf(`{"agreement":%q,"kind":"advance","year":%d,"amount":"24 500,00","date":%q,"reference":"advance %d"}`, seeds.Seed004, y+1, dates[0], y+1)),
			cmd("record_disbursement", "", fmt.Sprintf(`{"agreement":%q,"kind":"final","year":%d,"amount":"24 500,00","date":%q,"reference":"final %d"}`, seeds.Seed004, y+1, dates[1], y+1)))
	}
	lines = append(lines,
		cmd("record_refund", "", fmt.Sprintf(`{"agreement":%q,"for":%q,"amount":"80,00","date":"2025-09-10","reference":"VK-1"}`, seeds.Seed004, dues["80.00"])),
		cmd("record_refund", "", fmt.Sprintf(`{"agreement":%q,"for":%q,"amount":"48,28","date":"2025-09-10","reference":"VK-2"}`, seeds.Seed004, dues["48.28"])))
	if _, errs, code := runCLI(t, strings.Join(lines, "\n"), "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("payments and refunds: %s", errs)
	}

	var cash struct {
		Total struct {
			Disbursed     string `json:"disbursed"`
			EligibleSpent string `json:"eligible_spent"`
			Refunded      string `json:"refunded"`
			Held          string `json:"held"`
			Outstanding   string `json:"outstanding"`
		} `json:"total"`
		Dues []struct {
			Amount, Refunded, Outstanding string
		} `json:"dues"`
		Findings []struct{ Code string } `json:"findings"`
	}
	out, errs, code := runCLI(t, "", "cash", "--db", db, "--agreement", seeds.Seed004, "--format", "json", "--today", "2025-10-01")
	if code != 0 || json.Unmarshal([]byte(out), &cash) != nil {
		t.Fatalf("cash: exit %d %s\n%s", code, errs, out)
	}
	tot := cash.Total
	if tot.Disbursed != "147000.00" || tot.EligibleSpent != "145658.25" || tot.Refunded != "128.28" || tot.Held != "1213.47" || tot.Outstanding != "0.00" {
		t.Errorf("cash to date %+v; want 147000.00 received, 145658.25 spent, 128.28 refunded, 1213.47 held, nothing outstanding", tot)
	}
	if len(cash.Dues) != 2 {
		t.Errorf("dues %+v, want the two returns", cash.Dues)
	}
	for _, f := range cash.Findings {
		if f.Code == "refund_overdue" {
			t.Errorf("refunded, yet %s", f.Code)
		}
	}
	var y3 struct {
		Cash struct {
			Refunded    string `json:"refunded"`
			Held        string `json:"held"`
			Outstanding string `json:"outstanding"`
		} `json:"cash"`
	}
	out, _, code = runCLI(t, "", "report", "--db", db, "--agreement", seeds.Seed004, "--year", "3", "--format", "json", "--today", "2025-10-01")
	if code != 0 || json.Unmarshal([]byte(out), &y3) != nil || y3.Cash.Refunded != "128.28" || y3.Cash.Held != "0.00" || y3.Cash.Outstanding != "0.00" {
		t.Errorf("year 3 report: exit %d, cash %+v; want 128.28 refunded, nothing held or outstanding", code, y3.Cash)
	}
	if out, _, _ := runCLI(t, "", "cash", "--db", db, "--agreement", seeds.Seed004, "--lang", "lv", "--today", "2025-10-01"); !strings.Contains(out, "128,28") || !strings.Contains(out, "1 213,47") {
		t.Errorf("Latvian cash report lacks 128,28 refunded or 1 213,47 held:\n%s", out)
	}

	// Seed 003's calendar years.
	var sum []string
	for _, cy := range []string{"2022", "2023"} {
		var rec struct {
			Total struct {
				PlannedApportioned string `json:"planned_apportioned"`
			} `json:"total"`
		}
		out, errs, code := runCLI(t, "", "reconcile", "--db", db, "--calendar-year", cy, "--agreement", seeds.Seed003, "--format", "json")
		if code != 0 || json.Unmarshal([]byte(out), &rec) != nil {
			t.Fatalf("reconcile --calendar-year %s: exit %d %s", cy, code, errs)
		}
		sum = append(sum, rec.Total.PlannedApportioned)
	}
	if sum[0] != "6684.46" || sum[1] != "13314.12" { // 6 684,46 + 13 314,12 = 19 998,58
		t.Errorf("seed 003 apportioned to 2022 and 2023: %v, want 6684.46 and 13314.12 (adding up to 19998.58)", sum)
	}

	// An auditor's finding into closed year 1 of seed 004.
	before := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)
	inel := `{"type":"declare_ineligible","command_id":"14d0e000-0000-4000-8000-100000000001","actor":"auditor@vk.example.lv","reason":"Ex-post audit 2025/7","data":{"agreement":"` + seeds.Seed004 + `","line":"civil","year":1,"amount":"350,00","date":"2025-10-30","description":"Catering without a participant list"}}`
	if _, errs, code := runCLI(t, inel, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("finding into closed year 1: %s", errs)
	}
	if hist, _, _ := runCLI(t, "", "history", "--db", db, "--agreement", seeds.Seed004); !strings.Contains(hist, "ineligible 350.00") || !strings.Contains(hist, "post-closure adjustment") {
		t.Errorf("history does not mark the finding as a post-closure adjustment:\n%s", hist)
	}
	type figs struct {
		Actual     string `json:"actual"`
		Ineligible string `json:"ineligible"`
	}
	var y1 struct {
		Closed   bool `json:"closed"`
		Total    figs `json:"total"`
		AsClosed *struct {
			Total figs `json:"total"`
		} `json:"as_closed"`
	}
	out, _, code = runCLI(t, "", "report", "--db", db, "--agreement", seeds.Seed004, "--year", "1", "--format", "json")
	if code != 0 || json.Unmarshal([]byte(out), &y1) != nil || !y1.Closed || y1.AsClosed == nil ||
		y1.AsClosed.Total.Ineligible != "0.00" || y1.Total.Ineligible != "350.00" || y1.Total.Actual != "47786.53" {
		t.Errorf("year 1 after the finding: exit %d %s; want closed, as closed 0.00 ineligible, restated 350.00 of 47786.53", code, out)
	}
	if out, _, _ := runCLI(t, "", "report", "--db", db, "--agreement", seeds.Seed004, "--year", "1"); !strings.Contains(out, "Ineligible, as closed") || !strings.Contains(out, "Ineligible, restated") {
		t.Errorf("year 1 text report does not show the figures as closed and restated:\n%s", out)
	}
	y1.AsClosed = nil
	out, _, code = runCLI(t, "", "report", "--db", db, "--agreement", seeds.Seed004, "--year", "1", "--format", "json", "--as-of", before.Format(time.RFC3339Nano))
	if code != 0 || json.Unmarshal([]byte(out), &y1) != nil || y1.AsClosed != nil || y1.Total.Ineligible != "0.00" {
		t.Errorf("year 1 --as-of before the finding: exit %d, as closed %v, ineligible %s; want the original", code, y1.AsClosed, y1.Total.Ineligible)
	}
}
