package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/summaries"
)

// Issue 12 item 5: safeName mapped both 2021.LV/NVOF/MIC/031/10 and
// 2021.LV_NVOF_MIC_031_10 (another funder's) to one file, so one summary
// overwrote the other and the index linked both to it. File names must be
// one-to-one, and stay one-to-one on a file system that ignores case.
func TestSummaryFileNamesAreOneToOne(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	numbers := []string{"2021.LV/NVOF/MIC/031/10", "2021.LV_NVOF_MIC_031_10", "2021.LV:NVOF:MIC:031:10", "2021.LV NVOF MIC 031 10", "2021.lv_nvof_mic_031_10", "..", "."}
	// Some of these are refused as new numbers today; an older ledger may
	// hold them.
	for _, n := range numbers {
		legacyRegister(t, db, n, "Funder "+n)
	}
	dir := t.TempDir()
	_, errs, code := runCLI(t, "", "summaries", "--db", db, "--year", "1", "--out", dir, "--formats", "md,json", "--today", "2024-06-01")
	if code != 0 && code != exitFindings {
		t.Fatalf("summaries: exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index-year1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index []summaries.Entry
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	if len(index) != len(numbers) {
		t.Fatalf("index has %d entries, want %d", len(index), len(numbers))
	}
	folded := map[string]string{}
	for _, e := range index {
		for _, f := range e.Files {
			if strings.ContainsAny(f, "/\\:") || strings.HasPrefix(f, ".") || filepath.Base(f) != f {
				t.Errorf("%s: file name %q is not a plain file name", e.Agreement, f)
			}
			if other, ok := folded[strings.ToLower(f)]; ok {
				t.Errorf("%s and %s share the file %q (ignoring case)", other, e.Agreement, f)
			}
			folded[strings.ToLower(f)] = e.Agreement
			if strings.HasSuffix(f, ".json") {
				jb, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				var r struct{ Agreement string }
				json.Unmarshal(jb, &r)
				if r.Agreement != e.Agreement {
					t.Errorf("index links %s to %s, which holds %q", e.Agreement, f, r.Agreement)
				}
			}
		}
	}
}
