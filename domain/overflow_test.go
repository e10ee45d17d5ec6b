package domain_test

import (
	"errors"
	"math"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

func wantOverflow(t *testing.T, err error, what string) {
	t.Helper()
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "amount-overflow" {
		t.Fatalf("%s: got %v, want rule amount-overflow", what, err)
	}
}

// Issue 12 item 7: 922 338 spendings of 100 000 000 000,00 (the largest
// amount a command may carry) wrapped actual past int64 to a negative
// number. The state after 922 337 of them is built here with one event
// (events are trusted; Apply adds them up alike), then the next spending
// must be refused, not applied.
func TestSpendingsCannotWrapActual(t *testing.T) {
	f := registered(t)
	f.a.Apply(uuid.New(), domain.SpendingRecorded{Line: civil, Year: 1, Amount: 922_337 * domain.MaxMoney, Date: d("2022-08-01"), Document: "sum of 922 337"})
	before := f.a.Cell(civil, 1)
	_, err := domain.Decide(f.a, spend(civil, 1, "100 000 000 000,00", "2022-08-02"), "")
	wantOverflow(t, err, "spending 922 338")
	if f.a.Cell(civil, 1) != before {
		t.Fatal("a refused command changed the state")
	}
}

// The same through Decide alone: spending the largest amount again and
// again is refused before any figure leaves ±MaxFigure, and never wraps.
func TestRepeatedLargestSpendingIsRefusedAtTheBound(t *testing.T) {
	f := registered(t)
	for i := 1; i <= 1000; i++ {
		evs, err := domain.Decide(f.a, spend(civil, 1, "100 000 000 000,00", "2022-08-02"), "")
		if err != nil {
			wantOverflow(t, err, "repeated spending")
			if got := f.a.Cell(civil, 1).Actual; got <= 0 || got > domain.MaxFigure || got+domain.MaxMoney <= domain.MaxFigure {
				t.Fatalf("refused at actual %s, want the last spending that fits under %s", got, domain.MaxFigure)
			}
			return
		}
		for _, ev := range evs {
			f.a.Apply(uuid.New(), ev)
		}
		if f.a.Cell(civil, 1).Actual <= 0 {
			t.Fatalf("actual wrapped to %s after %d spendings", f.a.Cell(civil, 1).Actual, i)
		}
	}
	t.Fatal("1000 spendings of the largest amount were all accepted")
}

// Figures that are sums of other figures: a carry-over into a year whose
// available funds are at the bound, totals over lines, total funding, and
// an indicator's delivered quantity.
func TestOverflowOfDerivedFiguresIsRefused(t *testing.T) {
	t.Run("remainder of a cell", func(t *testing.T) {
		f := registered(t)
		// Year 2 of civil holds carried-in funds at the bound already.
		f.a.Apply(uuid.New(), domain.BudgetPlanned{Line: civil, Year: 1, Amount: domain.MaxFigure})
		f.a.Apply(uuid.New(), domain.RemainderCarriedOver{Line: civil, FromYear: 1, ToYear: 2, Amount: domain.MaxFigure - m("1000")})
		_, err := domain.Decide(f.a, carry(civil, 1, "1000"), "")
		if err != nil {
			// carry(civil,1) moves what is left of year 1: fine as long as
			// year 2's available stays within the bound; it does not.
			wantOverflow(t, err, "carry-over")
			return
		}
		t.Fatal("carry-over past the bound accepted")
	})
	t.Run("total over the lines of a year", func(t *testing.T) {
		f := registered(t)
		f.a.Apply(uuid.New(), domain.SpendingRecorded{Line: civil, Year: 1, Amount: domain.MaxFigure - m("1"), Date: d("2022-08-01"), Document: "x"})
		_, err := domain.Decide(f.a, spend(minority, 1, "2", "2022-08-02"), "")
		wantOverflow(t, err, "second line")
	})
	t.Run("total funding", func(t *testing.T) {
		f := newFixture(t)
		c := registerCmd()
		c.TotalFunding = domain.Money(math.MaxInt64)
		_, err := domain.Decide(f.a, c, "")
		wantOverflow(t, err, "total funding")
	})
	t.Run("delivered quantity", func(t *testing.T) {
		f := registered(t)
		f.do(indicator("people", domain.AggSum))
		f.a.Apply(uuid.New(), domain.IndicatorDelivered{Indicator: "people", Year: 1, Quantity: math.MaxInt64 - 10, Date: d("2022-08-01")})
		_, err := domain.Decide(f.a, deliver("people", 1, 1_000_000_000_000, "2022-08-02"), "")
		wantOverflow(t, err, "delivered")
	})
}
