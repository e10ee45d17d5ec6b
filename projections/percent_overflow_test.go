package projections_test

import (
	"math/big"
	"testing"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Issue 12 item 7: utilisation is actual*10000/available; with figures up
// to domain.MaxFigure the product overflowed int64. The expected value is
// computed with math/big (round half up, away from zero).
func TestPercentOfLargeFiguresDoesNotOverflow(t *testing.T) {
	for _, c := range [][2]int64{
		{int64(domain.MaxFigure), int64(domain.MaxFigure)},
		{int64(domain.MaxFigure) - 1, int64(domain.MaxFigure)},
		{int64(domain.MaxFigure) / 3, int64(domain.MaxFigure)},
		{-int64(domain.MaxFigure), int64(domain.MaxFigure) / 7},
		{4786_53, 4900_000},
	} {
		part, whole := c[0], c[1]
		num := new(big.Int).Mul(big.NewInt(part), big.NewInt(20000))
		neg := num.Sign() < 0
		num.Abs(num)
		q := new(big.Int).Quo(num, big.NewInt(whole))
		q.Add(q, big.NewInt(1)).Quo(q, big.NewInt(2))
		if neg {
			q.Neg(q)
		}
		got, ok := projections.PercentOf(part, whole)
		if !ok || int64(got) != q.Int64() {
			t.Errorf("PercentOf(%d, %d) = %d, want %s", part, whole, got, q)
		}
	}
}
