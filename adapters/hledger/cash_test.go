package hledger

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/ledger"
	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections/projtest"
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
	store := memstore.New()
	svc := ledger.New(store, ledger.Options{Clock: projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)).Now})
	envs := seeds.Scenario004()
	var returns []uuid.UUID
	for i, r := range svc.HandleBatch(ctx, envs) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
		if envs[i].Type == domain.CmdReturnUnspent {
			returns = append(returns, r.Result.Events[0].ID)
		}
	}
	m, d := domain.MustMoney, domain.MustDate
	ref := domain.Ref{Agreement: seeds.Seed004}
	do := func(reason string, c domain.Command) uuid.UUID {
		t.Helper()
		res, err := projtest.Cmd(ctx, svc, seeds.Ministry, reason, c)
		if err != nil {
			t.Fatal(err)
		}
		return res.Events[0].ID
	}
	dup := do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: 1, Amount: m("24 500,00"), Date: d("2022-07-20"), Reference: "entered twice"})
	do("duplicate", domain.ReverseDisbursement{Ref: ref, Disbursement: dup, Date: d("2022-07-21")})
	for y, dates := range [][2]string{{"2022-07-20", "2023-08-15"}, {"2023-07-20", "2024-08-15"}, {"2024-07-20", "2025-08-15"}} {
		do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: y + 1, Amount: m("24 500,00"), Date: d(dates[0]), Reference: "advance " + dates[0]})
		do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayFinal, Year: y + 1, Amount: m("24 500,00"), Date: d(dates[1]), Reference: "final " + dates[1]})
	}
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

	var buf bytes.Buffer
	if err := Export(ctx, store, &buf, Options{Agreements: []string{seeds.Seed004}}); err != nil {
		t.Fatal(err)
	}
	hl, err := exec.LookPath("hledger")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("hledger is not on PATH under CI=true (.ci/run installs it)")
		}
		t.Skip("hledger is not on PATH (apt-get install -y hledger)")
	}
	file := filepath.Join(t.TempDir(), "cash.journal")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runHledger(t, hl, file, "bal", "--flat", "-N", CashQuery(seeds.Seed004), "-O", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("hledger CSV: %v\n%s", err, out)
	}
	got := map[string]domain.Money{}
	for _, r := range recs[1:] {
		if got[r[0]], err = parseAmount(r[1]); err != nil {
			t.Fatal(err)
		}
	}
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
	out := runHledger(t, hl, file, "bal", "--flat", "-N", "--empty", ":grantee-cash:", "-O", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("hledger CSV: %v\n%s", err, out)
	}
	got := map[string]domain.Money{}
	for _, r := range recs[1:] {
		if got[r[0]], err = parseAmount(r[1]); err != nil {
			t.Fatal(err)
		}
	}
	checked, tracking := 0, 0
	for _, a := range state {
		if !tracksCash(a) {
			continue
		}
		tracking++
		acc := agreementAccounts{seg: Segment(a.Number)}
		for _, y := range a.Years {
			name := acc.cash(y.Year)
			bal, ok := got[name]
			if !ok && a.Held(y.Year) != 0 {
				t.Errorf("%s year %d: no account %s in hledger's balance, ledger holds %s", a.Number, y.Year, name, a.Held(y.Year))
				continue
			}
			if bal != a.Held(y.Year) {
				t.Errorf("%s year %d: hledger balance %s, the ledger's held %s (disbursed %s, eligible spent %s, refunded %s)",
					a.Number, y.Year, bal, a.Held(y.Year), a.Cash.Disbursed[y.Year], a.EligibleSpent(y.Year), a.Cash.Refunded[y.Year])
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
