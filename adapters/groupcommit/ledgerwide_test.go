package groupcommit

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

const funderA, granteeA = "Ministry A", "NGO A"

func registerFor(number, funder string) domain.RegisterAgreement {
	y1, _ := domain.ParseDate("2024-01-01")
	y1e, _ := domain.ParseDate("2024-12-31")
	return domain.RegisterAgreement{Ref: domain.Ref{Agreement: number}, Kind: domain.KindGrant, Title: "T", Grantee: granteeA, Funder: funder,
		Period: domain.Period{From: y1, To: y1e}, Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}}}
}

// Issue 12 item 8 through the server's group commit: two servers' ledgers
// on one file, each behind its own group committer, race one command id onto
// two agreements while other commands share their commits. Exactly one of
// each pair is applied; every other command is applied, although its
// commit held a refused append.
func TestGroupCommitKeepsCommandIDsLedgerWide(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	open := func() *command.Service {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		gc := New(s, 64)
		t.Cleanup(func() { gc.Close() })
		return command.New(gc, command.Options{})
	}
	a, b := open(), open()
	for _, n := range []string{"AG-1", "AG-2"} {
		if _, err := commandtest.Handle(ctx, a, domain.NewEnvelope(uuid.New(), "setup", "", registerFor(n, funderA))); err != nil {
			t.Fatal(err)
		}
	}
	// Both services read the ledger now: b's index is stale from here on.
	for _, svc := range []*command.Service{a, b} {
		if _, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(uuid.New(), "setup", "", domain.AddBudgetLine{Ref: domain.Ref{Agreement: "AG-2"}, LineSpec: domain.LineSpec{Line: "L" + uuid.NewString()[:6]}})); err != nil {
			t.Fatal(err)
		}
	}
	spend := func(id uuid.UUID, n string) domain.Envelope {
		d, _ := domain.ParseDate("2024-03-01")
		return domain.NewEnvelope(id, "x", "", domain.RecordSpending{Ref: domain.Ref{Agreement: n}, Line: "L1", Year: 1, Amount: domain.MustMoney("1.00"), Date: d, Document: "d"})
	}
	for _, n := range []string{"AG-1", "AG-2"} {
		if _, err := commandtest.Handle(ctx, a, domain.NewEnvelope(uuid.New(), "setup", "", domain.AddBudgetLine{Ref: domain.Ref{Agreement: n}, LineSpec: domain.LineSpec{Line: "L1"}})); err != nil {
			t.Fatal(err)
		}
		if _, err := commandtest.Handle(ctx, a, domain.NewEnvelope(uuid.New(), "setup", "", domain.PlanBudget{Ref: domain.Ref{Agreement: n}, Line: "L1", Year: 1, Amount: domain.MustMoney("1000.00")})); err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 15; round++ {
		id := uuid.New()
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for k := 0; k < 8; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc, n, cid := a, "AG-1", uuid.New()
				if k%2 == 1 {
					svc, n = b, "AG-2"
				}
				if k < 2 {
					cid = id
				}
				_, errs[k] = commandtest.Handle(ctx, svc, spend(cid, n))
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: one id on two agreements: %v / %v, want exactly one applied", round, errs[0], errs[1])
		}
		for k := 2; k < 8; k++ {
			if errs[k] != nil {
				t.Fatalf("round %d: an unrelated command was refused: %v", round, errs[k])
			}
		}
	}
}
