package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cents parses the generator's "12345.67" amounts by hand, independently of
// domain.ParseMoney.
func cents(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 {
		t.Fatalf("amount %q is not in the form 123.45", s)
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("amount %q: %v %v", s, err1, err2)
	}
	return w*100 + f
}

// TestGenerateWritesTheDocumentedDataSet checks the file against what
// 'generate --help' and docs/PERFORMANCE.md promise (67 commands per
// agreement: a registration, 6 plans, 60 spendings; plans from 5 000,00 to
// 60 000,00; each cell's spendings 70 %–105 % of its plan; the same seed the
// same bytes), then applies it and compares the ledger's reconciliation
// with the sums of the file's own amounts.
func TestGenerateWritesTheDocumentedDataSet(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gen.jsonl")
	if _, errs, code := runCLI(t, "", "generate", "--agreements", "3", "--seed", "7", "--out", file); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errs)
	}
	again, _, _ := runCLI(t, "", "generate", "--agreements", "3", "--seed", "7")
	other, _, _ := runCLI(t, "", "generate", "--agreements", "3", "--seed", "8")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != again {
		t.Error("the same seed gave a different file")
	}
	if string(b) == other {
		t.Error("another seed gave the same file")
	}

	type cell struct {
		agreement, line string
		year            int
	}
	planned, spent := map[cell]int64{}, map[cell]int64{}
	spendings := map[cell]int{}
	types := map[string]int{}
	ids := map[string]bool{}
	plannedByYear, spentByYear := map[int]int64{}, map[int]int64{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var env struct {
			Type      string `json:"type"`
			CommandID string `json:"command_id"`
			Data      struct {
				Agreement string `json:"agreement"`
				Line      string `json:"line"`
				Year      int    `json:"year"`
				Amount    string `json:"amount"`
				Date      string `json:"date"`
			} `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatal(err)
		}
		types[env.Type]++
		if ids[env.CommandID] {
			t.Errorf("command id %s twice", env.CommandID)
		}
		ids[env.CommandID] = true
		c := cell{env.Data.Agreement, env.Data.Line, env.Data.Year}
		switch env.Type {
		case "plan_budget":
			planned[c] = cents(t, env.Data.Amount)
			plannedByYear[c.year] += planned[c]
		case "record_spending":
			spent[c] += cents(t, env.Data.Amount)
			spentByYear[c.year] += cents(t, env.Data.Amount)
			spendings[c]++
		}
	}
	if want := map[string]int{"register_agreement": 3, "plan_budget": 18, "record_spending": 180}; len(types) != len(want) ||
		types["register_agreement"] != 3 || types["plan_budget"] != 18 || types["record_spending"] != 180 {
		t.Fatalf("command types %v, want %v", types, want)
	}
	for c, p := range planned {
		if p < 500_000 || p > 6_000_000 {
			t.Errorf("%v planned %d cents, outside 5 000,00–60 000,00", c, p)
		}
		if spendings[c] != 10 {
			t.Errorf("%v has %d spendings, want 10", c, spendings[c])
		}
		if s := spent[c]; s*100 < p*70 || s*100 > p*105 {
			t.Errorf("%v spent %d of %d planned, outside 70 %%–105 %%", c, s, p)
		}
	}

	db := filepath.Join(dir, "gen.db")
	if out, errs, code := runCLI(t, "", "apply", "--db", db, file); code != 0 {
		t.Fatalf("apply: exit %d: %s %s", code, out, errs)
	}
	for year := 1; year <= 3; year++ {
		out, errs, code := runCLI(t, "", "reconcile", "--db", db, "--year", strconv.Itoa(year), "--format", "json")
		if code != 0 {
			t.Fatalf("reconcile year %d: exit %d: %s", year, code, errs)
		}
		var rec struct {
			Total struct {
				Planned string `json:"planned"`
				Actual  string `json:"actual"`
			} `json:"total"`
		}
		if err := json.Unmarshal([]byte(out), &rec); err != nil {
			t.Fatal(err)
		}
		if got := cents(t, rec.Total.Planned); got != plannedByYear[year] {
			t.Errorf("year %d: reconcile planned %s, the file plans %d cents", year, rec.Total.Planned, plannedByYear[year])
		}
		if got := cents(t, rec.Total.Actual); got != spentByYear[year] {
			t.Errorf("year %d: reconcile actual %s, the file spends %d cents", year, rec.Total.Actual, spentByYear[year])
		}
	}
}

func TestGenerateRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"generate", "--agreements", "0"},
		{"generate", "--agreements", "1000001"},
		{"generate", "extra"},
	} {
		if _, errs, code := runCLI(t, "", args...); code != exitUsage || !strings.Contains(errs, "generate") && !strings.Contains(errs, "agreements") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d naming the problem", args, code, errs, exitUsage)
		}
	}
}
