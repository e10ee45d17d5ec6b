package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/legacytest"
)

// Issue 12 items 2 and 8: a ledger written before numbers and command ids
// were checked ledger-wide still loads; verify lists what it holds that
// today's rules refuse, and exits 4 (findings), not 0.
func TestVerifyListsLegacyLookAlikesAndReusedCommandIDs(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	_, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-")
	if code != 0 {
		t.Fatalf("apply: %d %s", code, errs)
	}
	out, errs, code := runCLI(t, "", "verify", "--db", db)
	if code != 0 || strings.Contains(out, "FINDING") {
		t.Fatalf("clean ledger: exit %d, %s %s", code, out, errs)
	}
	legacyRegister(t, db, "KNVOC-2022-2025", "Ministry A")
	legacyRegister(t, db, "knvoc-2022-2025", "Ministry B")
	legacyRegister(t, db, "KNV\u041eC-2022-2025", "Ministry C")
	legacyRegister(t, db, "LEGACY ", "Ministry D")
	// The same command id on two agreements, as the old ledger allowed.
	reused := uuid.MustParse("9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a99")
	for _, n := range []string{"KNVOC-2022-2025", "knvoc-2022-2025"} {
		store, err := openSQLite(db)
		if err != nil {
			t.Fatal(err)
		}
		legacytest.Append(t, store, n, reused, domain.SpendingRecorded{Line: "a", Year: 1, Amount: domain.MustMoney("1.00"), Date: domain.MustDate("2024-03-01"), Document: "x"})
		store.Close()
	}
	out, errs, code = runCLI(t, "", "verify", "--db", db)
	if code != exitFindings {
		t.Fatalf("verify: exit %d, want %d; %s %s", code, exitFindings, out, errs)
	}
	for _, want := range []string{
		`FINDING look_alike_numbers: agreements "KNVOC-2022-2025", "KNVОC-2022-2025", "knvoc-2022-2025" have numbers people cannot tell apart`,
		`FINDING command_id_reused: command id 9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a99 was applied to 2 agreements (KNVOC-2022-2025, knvoc-2022-2025)`,
		`FINDING non_canonical_number: agreement "LEGACY " would not be accepted`,
		"OK: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runCLI(t, "", "verify", "--db", db, "--json")
	var res struct {
		OK       bool
		Findings []struct{ Code string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.OK || len(res.Findings) != 4 {
		t.Errorf("verify --json: %v %+v\n%s", err, res, out)
	}
	// The legacy agreements still take commands, each by its exact number.
	_, errs, code = runCLI(t, `{"type":"record_spending","command_id":"9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a97","actor":"a","data":{"agreement":"knvoc-2022-2025","line":"a","year":1,"amount":"5.00","date":"2024-03-02","document":"y"}}`+"\n",
		"apply", "--db", db, "-")
	if code != 0 {
		t.Fatalf("apply on a legacy look-alike: %d %s", code, errs)
	}
}
