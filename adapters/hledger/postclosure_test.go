package hledger

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
)

// Issue 14: the hledger export's grantee cash equals the ledger's cash
// position to the cent also after post-closure adjustments. Seed 004, each
// year paid 24 500,00 + 24 500,00; then closed year 1's KNVOC-2022-H2-CIV
// (14 480,00) is reversed by the funder, the freed 14 480,00 returned into
// the closed year, and 10 000,00 of it refunded. Year 1 then holds
// 49 000,00 − (47 786,53 − 14 480,00) − 10 000,00 = 5 693,47; year 2
// holds 0,00; year 3 holds the 128,28 returned and not refunded; hledger's
// balances must say the same.
func TestPostClosureCashReconcilesWithHledger(t *testing.T) {
	ctx := context.Background()
	store, _, res, do := seed004Ledger(t)
	var wrong uuid.UUID
	for _, r := range res {
		if s, ok := r.Result.Events[0].Event.(domain.SpendingRecorded); ok && s.Document == "KNVOC-2022-H2-CIV" {
			wrong = r.Result.Events[0].ID
		}
	}
	m, d := domain.MustMoney, domain.MustDate
	ref := domain.Ref{Agreement: seeds.Seed004}
	payHalfAndHalf(do)
	const why = "KNVOC-2022-H2-CIV belongs to another agreement"
	do(why, domain.ReverseClosedSpending{Ref: ref, Spending: wrong, Date: d("2025-10-01")})
	ret := do(why, domain.ReturnUnspent{Ref: ref, Line: seeds.LineCivil, Year: 1, Date: d("2025-10-02")})
	do("", domain.RecordRefund{Ref: ref, For: ret, Amount: m("10 000,00"), Date: d("2025-10-20"), Reference: "VK-77"})

	l, err := projtest.Fold(ctx, store, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.CashReport(seeds.Seed004, d("2025-11-01"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]domain.Money{1: m("5693.47"), 2: 0, 3: m("128.28")}
	for _, y := range rep.Years {
		if y.Held != want[y.Year] {
			t.Errorf("grantledger: year %d held %s, want %s", y.Year, y.Held, want[y.Year])
		}
	}
	hl, file := seed004Journal(t, store, "postclosure.journal")
	got := cashBalances(t, hl, file, CashQuery(seeds.Seed004))
	acc := agreementAccounts{seg: Segment(seeds.Seed004)}
	for y, w := range want {
		if got[acc.cash(y)] != w {
			t.Errorf("hledger balance of %s is %s, want %s (grantledger's held of year %d)", acc.cash(y), got[acc.cash(y)], w, y)
		}
	}
}
