package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// lvInput registers an agreement, plans its line and then plans it again
// (refused: already-planned), as the example in docs/cli.md ("apply",
// GRANTLEDGER_LANG=lv) does, plus a spending outside the year and one on an
// agreement that does not exist.
const lvInput = `{"type":"register_agreement","command_id":"11111111-1111-4111-8111-111111111111","actor":"a","data":{"agreement":"LV/1","kind":"grant","title":"t","grantee":"g","funder":"f","period":{"from":"2024-01-01","to":"2024-12-31"},"years":[{"year":1,"from":"2024-01-01","to":"2024-12-31"}],"lines":[{"line":"civil","name":"Pilsoniskā sabiedrība"}]}}
{"type":"plan_budget","command_id":"11111111-1111-4111-8111-111111111112","actor":"a","data":{"agreement":"LV/1","line":"civil","year":1,"amount":"1000"}}
{"type":"plan_budget","command_id":"11111111-1111-4111-8111-111111111113","actor":"a","data":{"agreement":"LV/1","line":"civil","year":1,"amount":"1000"}}
{"type":"record_spending","command_id":"11111111-1111-4111-8111-111111111114","actor":"a","data":{"agreement":"LV/1","line":"civil","year":1,"amount":"10","date":"2025-01-01","document":"x"}}
{"type":"record_spending","command_id":"11111111-1111-4111-8111-111111111115","actor":"a","data":{"agreement":"LV/9","line":"civil","year":1,"amount":"10","date":"2024-01-01","document":"x"}}
`

// TestLatvianRefusals: with GRANTLEDGER_LANG=lv, apply says its failures,
// its summary and its last word in Latvian, keeping the ledger's own
// message (and the rule's code) in brackets; the lines are docs/cli.md's
// example. Without it, the English lines are unchanged.
func TestLatvianRefusals(t *testing.T) {
	db := filepath.Join(t.TempDir(), "lv.db")
	t.Setenv("GRANTLEDGER_LANG", "lv")
	_, errs, code := runCLI(t, lvInput, "apply", "--db", db, "-")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d: %s", code, exitFailure, errs)
	}
	for _, want := range []string{
		// docs/cli.md, apply:
		"3. rinda: Šai budžeta pozīcijai šajā īstenošanas gadā jau ir plānotā summa 1 000,00 euro. Lai to mainītu, jāveic budžeta grozījums. [rule already-planned: line civil year 1 is already planned at 1 000,00; use amend_budget to revise it]",
		"piemērotas 2 komandas (2 notikumi), 0 jau bija piemērotas, 3 atteiktas",
		"4. rinda: Datums neietilpst īstenošanas gada periodā. [rule date-outside-year:",
		"5. rinda: Līgums nav atrasts. [agreement: agreement \"LV/9\" is not registered]",
		"grantledger: atteiktas rindas: 3; visas pārējās rindas ir piemērotas",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	_, errs, code = runCLI(t, "", "report", "--db", db, "--agreement", "LV/404", "--year", "1")
	if code != exitFailure || !strings.Contains(errs, "grantledger: Līgums nav atrasts. [agreement:") {
		t.Errorf("report of an unknown agreement in Latvian: exit %d, stderr %q", code, errs)
	}

	t.Setenv("GRANTLEDGER_LANG", "")
	db2 := filepath.Join(t.TempDir(), "en.db")
	_, errs, _ = runCLI(t, lvInput, "apply", "--db", db2, "-")
	for _, want := range []string{
		"line 3: rule already-planned: line civil year 1 is already planned at 1000.00; use amend_budget to revise it",
		"applied 2 commands (2 events), 0 already applied, 3 failed",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("English stderr lacks %q:\n%s", want, errs)
		}
	}
}

// TestLatvianDemo: the demo in Latvian (docs/cli.md, demo) says its own
// sentences and the ledger's refusal to close seed 004's year 2 in
// Latvian, with the 1 213,47 remainder of DOMAIN.md and the lines named.
func TestLatvianDemo(t *testing.T) {
	out, errs, code := runCLI(t, "", "demo", "--lang", "lv")
	if code != 0 {
		t.Fatalf("demo --lang lv: exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"Mēģinām slēgt līguma KNVOC-2022-2025 2. gadu (15.07.2023. – 14.07.2024.):",
		"ATTEIKTS: Īstenošanas gadu nevar slēgt: atlikums ir 1 213,47 euro (Pilsoniskās sabiedrības attīstība Kurzemes reģionā: 1 040,13 euro; Mazākumtautību NVO attīstība un ilgtspēja: 173,34 euro).",
		"[rule remainder-not-zero:",
		"Šī virsgrāmata bija pagaidu, un tagad to dzēš.",
	} {
		// Lines are wrapped to 100 columns: compare with spaces for breaks.
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("Latvian demo lacks %q", want)
		}
	}
	for _, english := range []string{"REFUSED", "Trying to close", "Recorded "} {
		if strings.Contains(out, english) {
			t.Errorf("Latvian demo still says %q", english)
		}
	}
}
