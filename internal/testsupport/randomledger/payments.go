package randomledger

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// due is a return of unspent funds the payments may refund.
type due struct {
	id     uuid.UUID
	amount domain.Money
	date   domain.Date
}

// payments records money that moves for most agreements (issue 14): per
// year one to three payments, now and then one reversed, and refunds of
// part or all of the returns, so that the exports' cash can be checked
// against the ledger's cash position.
func (g *gen) payments(a Agreement, ref domain.Ref, dues []due) error {
	rng := g.rng
	if rng.IntN(100) >= 60 {
		return nil
	}
	kinds := []string{domain.PayAdvance, domain.PayTranche, domain.PayFinal}
	for _, y := range a.Years {
		for k := rng.IntN(3) + 1; k > 0; k-- {
			res, err := g.do("ministry@example.lv", "", domain.RecordDisbursement{Ref: ref, Kind: kinds[rng.IntN(3)], Year: y.Year,
				Amount: g.money(5_000_000), Date: g.dateIn(y.From.AddDays(-30), y.To.AddDays(60)), Reference: fmt.Sprintf("MO %d/%d", y.Year, g.n)})
			if err != nil {
				return err
			}
			if rng.IntN(100) < 10 {
				if _, err := g.do("ministry@example.lv", "ievadīts divreiz", domain.ReverseDisbursement{Ref: ref, Disbursement: res.Events[0].ID, Date: y.To}); err != nil {
					return err
				}
			}
		}
	}
	for _, d := range dues {
		if rng.IntN(100) < 70 {
			amt := d.amount
			if rng.IntN(3) == 0 {
				amt = g.money(int64(d.amount))
			}
			if _, err := g.do("ministry@example.lv", "", domain.RecordRefund{Ref: ref, For: d.id, Amount: amt, Date: d.date.AddDays(rng.IntN(40)), Reference: "VK; atmaksa"}); err != nil {
				return err
			}
		}
	}
	return nil
}
