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

// Issue 14, done when: "a seed-004-like agreement with an advance of 50 %
// and a final payment reconciles cash to the cent against hledger". Seed
// 004 is recorded, each year paid as an advance of 24 500,00 and a final
// payment of 24 500,00 (an advance entered twice and reversed), and
// the 128,28 returned in year 3 refunded. hledger's balance of each year's
// grantee cash account must equal grantledger's cash position "held" of
// that year, and their total the position to date: year 1 holds the
// 1 213,47 carried over, which year 2 never accounted for.
func TestCashReconcilesWithHledger(t *testing.T) {
	ctx := context.Background()
	store, envs, res, do := seed004Ledger(t)
	var returns []uuid.UUID
	for i, r := range res {
		if envs[i].Type == domain.CmdReturnUnspent {
			returns = append(returns, r.Result.Events[0].ID)
		}
	}
	m, d := domain.MustMoney, domain.MustDate
	ref := domain.Ref{Agreement: seeds.Seed004}
	dup := do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: 1, Amount: m("24 500,00"), Date: d("2022-07-20"), Reference: "entered twice"})
	do("duplicate", domain.ReverseDisbursement{Ref: ref, Disbursement: dup, Date: d("2022-07-21")})
	payHalfAndHalf(do)
	do("", domain.RecordRefund{Ref: ref, For: returns[0], Amount: m("80,00"), Date: d("2025-09-10"), Reference: "VK-1"})
	do("", domain.RecordRefund{Ref: ref, For: returns[1], Amount: m("48,28"), Date: d("2025-09-10"), Reference: "VK-1"})

	l, err := projtest.Fold(ctx, store, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.CashReport(seeds.Seed004, d("2025-10-01"))
	if err != nil {
		t.Fatal(err)
	}
	// The position itself, from the seed's figures: 49 000,00 received
	// each year; spent 47 786,53, 49 000,00 and 48 871,72; 128,28 refunded.
	wantHeld := map[int]domain.Money{1: m("1213.47"), 2: 0, 3: 0}
	for _, y := range rep.Years {
		if y.Held != wantHeld[y.Year] {
			t.Errorf("year %d held %s, want %s", y.Year, y.Held, wantHeld[y.Year])
		}
	}

	hl, file := seed004Journal(t, store, "cash.journal")
	got := cashBalances(t, hl, file, CashQuery(seeds.Seed004))
	acc := agreementAccounts{seg: Segment(seeds.Seed004)}
	var total domain.Money
	for _, y := range rep.Years {
		if got[acc.cash(y.Year)] != y.Held {
			t.Errorf("hledger balance of %s is %s, grantledger's held of year %d is %s", acc.cash(y.Year), got[acc.cash(y.Year)], y.Year, y.Held)
		}
		total += got[acc.cash(y.Year)]
	}
	if total != rep.Total.Held || total != m("1213.47") {
		t.Errorf("hledger's grantee cash to date %s, grantledger's %s, want 1213.47", total, rep.Total.Held)
	}
	// The budget report is unchanged by the cash transactions.
	y1 := domain.YearSpec{Year: 1, From: d("2022-07-15"), To: d("2023-07-14")}
	rows := parseBudgetCSV(t, runHledger(t, hl, file, append(BudgetArgs(seeds.Seed004, y1), "-O", "csv")...))
	if g := rows[ExpenseAccount(seeds.Seed004, "civil")]; len(g) != 1 || g[0] != [2]domain.Money{m("28959.87"), m("30000")} {
		t.Errorf("year 1 civil budget with cash in the journal: %v", g)
	}
}

// checkCashBalances asks hledger, in one run, for the balance of every
// grantee cash account of the journal and compares each with the ledger's
// cash position of that agreement and year (issue 14): agreements that
// record payments have one account per year, and the others none.
func checkCashBalances(t *testing.T, hl, file string, state map[string]*domain.Agreement) {
	t.Helper()
	got := cashBalances(t, hl, file, ":grantee-cash:")
	checked, tracking := 0, 0
	for _, a := range state {
		if !tracksCash(a) {
			continue
		}
		tracking++
		acc := agreementAccounts{seg: Segment(a.AgreementNumber())}
		for _, y := range a.Years() {
			name := acc.cash(y.Year)
			bal, ok := got[name]
			if !ok && a.Held(y.Year) != 0 {
				t.Errorf("%s year %d: no account %s in hledger's balance, ledger holds %s", a.AgreementNumber(), y.Year, name, a.Held(y.Year))
				continue
			}
			if bal != a.Held(y.Year) {
				t.Errorf("%s year %d: hledger balance %s, the ledger's held %s (disbursed %s, eligible spent %s, refunded %s)",
					a.AgreementNumber(), y.Year, bal, a.Held(y.Year), a.Cash().Disbursed[y.Year], a.EligibleSpent(y.Year), a.Cash().Refunded[y.Year])
			}
			delete(got, name)
			checked++
		}
	}
	if tracking == 0 {
		t.Fatal("no random agreement records payments: the cash is not checked")
	}
	for name := range got {
		t.Errorf("hledger has %s, which no agreement that records payments explains", name)
	}
	t.Logf("%d cash accounts of %d agreements equal the ledger's cash position", checked, tracking)
}
