package projections_test

import (
	"testing"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// TestPercentRoundsExactHalvesUp checks the ties: docs/REPORTS.md promises
// percentages rounded half up to two decimals (hundredths of a percent).
// Each case is an exact half of a hundredth, worked out by hand: 1 cent of
// 200.00 is 0.005 %, which rounds up to 0.01; 3 cents of 200.00 is 0.015 %,
// 0.02 (half-even would also give 0.02, half-down 0.01); 1 of 20 000 000
// cents is 0.000005 %, not a tie, 0.00.
func TestPercentRoundsExactHalvesUp(t *testing.T) {
	for _, c := range []struct {
		part, whole int64
		want        string
	}{
		{1, 20000, "0.01"},          // 0.005 -> 0.01 (half down: 0.00; half even: 0.00)
		{3, 20000, "0.02"},          // 0.015 -> 0.02 (half down: 0.01)
		{5, 20000, "0.03"},          // 0.025 -> 0.03 (half even: 0.02)
		{2, 20000, "0.01"},          // 0.01 exactly
		{1, 40000, "0.00"},          // 0.0025 -> 0.00, below a half
		{3, 40000, "0.01"},          // 0.0075 -> 0.01, above a half
		{1, 8, "12.50"},             // 12.5 exactly: no rounding
		{1, 16, "6.25"},             // 6.25 exactly
		{19999, 20000, "100.00"},    // 99.995 -> 100.00, a tie
		{39999, 40000, "100.00"},    // 99.9975 -> 100.00
		{1, 1, "100.00"},            // whole
		{24001, 24000, "100.00"},    // 100.004166… -> 100.00
		{120001, 80000, "150.00"},   // 150.00125 -> 150.00
		{120004, 80000, "150.01"},   // 150.005 -> 150.01
		{4778653, 4900000, "97.52"}, // seed 004 year 1 (README)
	} {
		p, ok := projections.PercentOf(c.part, c.whole)
		if !ok || p.String() != c.want {
			t.Errorf("PercentOf(%d, %d) = %s (ok %v), want %s", c.part, c.whole, p, ok, c.want)
		}
	}
	for _, whole := range []int64{0, -1} {
		if p, ok := projections.PercentOf(1, whole); ok {
			t.Errorf("PercentOf(1, %d) = %s, ok; want not ok (nothing available)", whole, p)
		}
	}
}

// TestUtilisationTie checks the same tie through the reports' figures:
// utilisation_pct = actual / (planned + carried_in), half up.
func TestUtilisationTie(t *testing.T) {
	for _, c := range []struct {
		planned, carried, actual string
		want                     string
	}{
		{"200.00", "0", "0.01", "0.01"},
		{"150.00", "50.00", "0.03", "0.02"},
		{"0", "200.00", "0.05", "0.03"},
		{"80 000,00", "0", "120 004,00", "150.01"},
	} {
		f := projections.Figures{Planned: domain.MustMoney(c.planned), CarriedIn: domain.MustMoney(c.carried), Actual: domain.MustMoney(c.actual)}
		p, ok := f.Utilisation()
		if !ok || p.String() != c.want {
			t.Errorf("utilisation of %s spent of %s planned + %s carried in = %s (ok %v), want %s", c.actual, c.planned, c.carried, p, ok, c.want)
		}
	}
}
