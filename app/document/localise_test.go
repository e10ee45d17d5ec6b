package document

import (
	"testing"
)

// Issue 16: a refusal's plain amounts are written as the output's other
// amounts are (seed 004's figures), and dates, versions and other numbers
// are left alone.
func TestLocaliseAmounts(t *testing.T) {
	for _, c := range []struct{ in, lv, en string }{
		{"1040.13 neither spent", "1 040,13 neither spent", "1,040.13 neither spent"},
		{"left 1213.47.", "left 1 213,47.", "left 1,213.47."},
		{"(49000.00 planned, 47786.53 spent)", "(49 000,00 planned, 47 786,53 spent)", "(49,000.00 planned, 47,786.53 spent)"},
		{"from 15.07.2023. to 2024-07-14", "from 15.07.2023. to 2024-07-14", "from 15.07.2023. to 2024-07-14"},
		{"v1.20 and 1.5 and 3.141 and AB12.34", "v1.20 and 1.5 and 3.141 and AB12.34", "v1.20 and 1.5 and 3.141 and AB12.34"},
		{"over by -12.00", "over by -12,00", "over by -12.00"},
	} {
		if got := LocaliseAmounts(c.in, LV); got != c.lv {
			t.Errorf("LV %q: got %q, want %q", c.in, got, c.lv)
		}
		if got := LocaliseAmounts(c.in, EN); got != c.en {
			t.Errorf("EN %q: got %q, want %q", c.in, got, c.en)
		}
	}
}
