package hledger

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
)

// seed004Ledger records seed 004 and returns the store, the seed's
// commands with their results, and a function that sends one more command
// as the ministry and returns its first event's id.
func seed004Ledger(t *testing.T) (*memstore.Store, []domain.Envelope, []command.Outcome, func(reason string, c domain.Command) uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)).Now})
	envs := seeds.Scenario004()
	res := commandtest.HandleBatch(ctx, svc, envs)
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	do := func(reason string, c domain.Command) uuid.UUID {
		t.Helper()
		r, err := projtest.Cmd(ctx, svc, seeds.Ministry, reason, c)
		if err != nil {
			t.Fatal(err)
		}
		return r.Events[0].ID
	}
	return store, envs, res, do
}

// payHalfAndHalf pays each of seed 004's three years as an advance of
// 24 500,00 and a final payment of 24 500,00 (issue 14: "an advance of 50 %
// and a final payment").
func payHalfAndHalf(do func(string, domain.Command) uuid.UUID) {
	m, d := domain.MustMoney, domain.MustDate
	ref := domain.Ref{Agreement: seeds.Seed004}
	for y, dates := range [][2]string{{"2022-07-20", "2023-08-15"}, {"2023-07-20", "2024-08-15"}, {"2024-07-20", "2025-08-15"}} {
		do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: y + 1, Amount: m("24 500,00"), Date: d(dates[0]), Reference: "advance " + dates[0]})
		do("", domain.RecordDisbursement{Ref: ref, Kind: domain.PayFinal, Year: y + 1, Amount: m("24 500,00"), Date: d(dates[1]), Reference: "final " + dates[1]})
	}
}

// seed004Journal exports seed 004's agreement as a journal file for
// hledger and returns hledger's path and the file's.
func seed004Journal(t *testing.T, store domain.EventStore, name string) (hl, file string) {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(context.Background(), store, &buf, Options{Agreements: []string{seeds.Seed004}}); err != nil {
		t.Fatal(err)
	}
	hl = needHledger(t)
	file = filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return hl, file
}

// cashBalances asks hledger for the balance of every account the query
// matches, zero balances included, by account name.
func cashBalances(t *testing.T, hl, file, query string) map[string]domain.Money {
	t.Helper()
	out := runHledger(t, hl, file, "bal", "--flat", "-N", "--empty", query, "-O", "csv")
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
	return got
}
