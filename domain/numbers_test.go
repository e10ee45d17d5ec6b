package domain_test

import (
	"strings"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// Issue 12 item 2: agreement numbers accepted anything up to 100 bytes:
// Cyrillic look-alikes, RTL override, NUL, zero-width and trailing spaces,
// "..". A new number must be in its canonical form; the real numbers of
// the seeds (../shared/seeds) pass.
func TestNewAgreementNumbersAreCanonical(t *testing.T) {
	for _, ok := range []string{
		"KNVOC-2022-2025", "2021.LV/NVOF/MIC/031/10", "AIF/2022/KAPAC2/104", "AIF/2022/KAPAC2/126",
		"LV/NVOF/MIC/031/10", "TEST/2022/1", "Līgums 12/2024", "DEMO_1", "Договор-12", "Σύμβαση-5",
	} {
		if err := domain.CheckNumber(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
		f := newFixture(t)
		c := registerCmd()
		c.Agreement = ok
		if _, err := domain.Decide(f.a, c, ""); err != nil {
			t.Errorf("registering %q: %v", ok, err)
		}
	}
	for _, bad := range []struct{ number, says string }{
		{"KNV\u041eC-2022-2025", "mixes Latin and Cyrillic"}, // Cyrillic О
		{"KNVOC-2022-2025\u202e", "U+202E"},                  // RTL override
		{"\u202eKNVOC", "U+202E"},
		{"KNVOC\x00-2022", "U+0000"},
		{"KNVOC\u200b-2022", "U+200B"}, // zero-width space
		{"KNVOC\ufeff", "U+FEFF"},
		{"KNVOC-2022-2025 ", "ends with a space"},
		{" KNVOC-2022-2025", "begins or ends with a space"},
		{"KNVOC  2022", "two spaces"},
		{"KNVOC\t2022", "U+0009"},
		{"KNVOC\u00a02022", "compatibility"},
		{"..", "no letter or digit"},
		{"A/../B", `".."`},
		{"A/./B", `"." segment`},
		{"../etc", `".."`},
		{"Li\u0304gums", "NFC"},    // decomposed ī
		{"ＫＮＶＯＣ", "compatibility"}, // full-width
		{"KNVOC:2022", "U+003A"},
		{"KNVOC\\2022", "U+005C"},
		{"", "empty"},
		{strings.Repeat("A", 101), "more than the 100"},
		{"\u05d0/12/3", "right-to-left"}, // Hebrew alef
		{"\u0639\u0642\u062f-12", "right-to-left"},
		{"AIF/\u09e8\u09e6\u09e8\u09e8", "mixes"}, // Bengali digits after Latin

	} {
		err := domain.CheckNumber(bad.number)
		var de *domain.Error
		if !asError(err, &de) || de.Field != "agreement" || !strings.Contains(de.Message, bad.says) {
			t.Errorf("%q: got %v, want an error on agreement saying %q", bad.number, err, bad.says)
		}
		f := newFixture(t)
		c := registerCmd()
		c.Agreement = bad.number
		if _, err := domain.Decide(f.a, c, ""); err == nil {
			t.Errorf("registering %q was accepted", bad.number)
		}
	}
}

// Numbers people cannot tell apart share a key: case, Cyrillic and Greek
// look-alikes, 0 and O, 1 and l and I. Different real numbers do not.
func TestNumberKeyTellsLookAlikes(t *testing.T) {
	same := [][2]string{
		{"KNVOC-2022-2025", "knvoc-2022-2025"},
		{"KNVOC-2022-2025", "KNV\u041eC-2022-2025"}, // Cyrillic О
		{"KNVOC-2022-2025", "\u039aNVOC-2022-2025"}, // Greek Κ
		{"KNVOC-2022-2025", "KNV0C-2022-2025"},      // zero
		{"AIF/2022/KAPAC2/104", "AlF/2022/KAPAC2/104"},
		{"AIF/2022/KAPAC2/104", "A1F/2022/KAPAC2/104"},
		{"Līgums", "LĪGUMS"},
		{"AIF/2022", "aif/2022"},
		{"AIF/2022", "alf/2022"},
		{"DEMO-rn", "DEMO-m"},
	}
	shareKey := func(a, b string) bool {
		ka, kb := domain.NumberKeys(a), domain.NumberKeys(b)
		return ka[0] == kb[0] || ka[1] == kb[1]
	}
	for _, p := range same {
		if !shareKey(p[0], p[1]) {
			t.Errorf("%q and %q have different keys %q, %q", p[0], p[1], domain.NumberKeys(p[0]), domain.NumberKeys(p[1]))
		}
	}
	differ := [][2]string{
		{"AIF/2022/KAPAC2/104", "AIF/2022/KAPAC2/126"},
		{"2021.LV/NVOF/MIC/031/10", "2021.LV_NVOF_MIC_031_10"},
		{"KNVOC-2022-2025", "KNVOC-2022-2026"},
		{"Līgums", "Ligums"},
	}
	for _, p := range differ {
		if shareKey(p[0], p[1]) {
			t.Errorf("%q and %q share a key: %q, %q", p[0], p[1], domain.NumberKeys(p[0]), domain.NumberKeys(p[1]))
		}
	}
}

// asError reports whether err is a *domain.Error itself (not wrapped),
// and sets *de to it.
func asError(err error, de **domain.Error) bool {
	e, ok := err.(*domain.Error)
	if ok {
		*de = e
	}
	return ok
}
