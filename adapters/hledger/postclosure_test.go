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
	store := memstore.New()
	svc := ledger.New(store, ledger.Options{Clock: projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)).Now})
	envs := seeds.Scenario004()
	var wrong uuid.UUID
	for i, r := range svc.HandleBatch(ctx, envs) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
		if s, ok := r.Result.Events[0].Event.(domain.SpendingRecorded); ok && s.Document == "KNVOC-2022-H2-CIV" {
			wrong = r.Result.Events[0].ID
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
	for y, dates := range [][2]string{{"2022-07-20", "2023-08-15"}, {"2023-07-20", "2024-08-15"}, {"2024-07-20", "2025-08-15"}} {
		do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: y + 1, Amount: m("24 500,00"), Date: d(dates[0]), Reference: "advance " + dates[0]})
		do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayFinal, Year: y + 1, Amount: m("24 500,00"), Date: d(dates[1]), Reference: "final " + dates[1]})
	}
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
	file := filepath.Join(t.TempDir(), "postclosure.journal")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runHledger(t, hl, file, "bal", "--flat", "-N", "--empty", CashQuery(seeds.Seed004), "-O", "csv")
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
	for y, w := range want {
		if got[acc.cash(y)] != w {
			t.Errorf("hledger balance of %s is %s, want %s (grantledger's held of year %d)", acc.cash(y), got[acc.cash(y)], w, y)
		}
	}
}
