package command_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/projections"
)

// The cash property test (issue 14) drives the random command sequences of
// the property test above, mixed with payments, their reversals, payment
// schedules and refunds, and checks after every command:
//
//   - the cell identity planned + carried_in = actual + carried_over +
//     returned + remainder (checkCells, against the same independent model);
//   - the cash identity disbursed = actual_eligible + refunded + held per
//     agreement and per year, where disbursed and refunded come from an
//     independent model of the accepted payments and refunds and eligible
//     spending from the model of the cells, and held from the ledger;
//   - no payment took the net disbursements above the ceiling, no refund
//     exceeded what was due, and commands that must be refused were;
//   - at the end the read model folded from the store (projections) shows
//     the same cash figures, year by year.

const propCeiling = domain.Money(600000) // 6 000,00: plans and payments stay near it

type cashModel struct {
	disbursed map[int]domain.Money // by year
	refunded  map[int]domain.Money
	pays      map[uuid.UUID]payRef
	payIDs    []uuid.UUID
	dues      map[uuid.UUID]*dueRef
	dueIDs    []uuid.UUID
	scheduled domain.Money
}

type payRef struct {
	year     int
	amount   domain.Money
	reversed bool
}

type dueRef struct {
	year             int
	amount, refunded domain.Money
}

func newCashModel() *cashModel {
	return &cashModel{disbursed: map[int]domain.Money{}, refunded: map[int]domain.Money{}, pays: map[uuid.UUID]payRef{}, dues: map[uuid.UUID]*dueRef{}}
}

func (m *cashModel) total() domain.Money {
	var t domain.Money
	for _, v := range m.disbursed {
		t += v
	}
	return t
}

func TestPropertyCashIdentity(t *testing.T) {
	for _, seed := range propertySeeds(t) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			t.Parallel()
			runCashProperty(t, seed)
		})
	}
}

func runCashProperty(t *testing.T, seed uint64) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: propClock})
	g := &propGen{r: rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)), model: map[string]map[domain.CellKey]*flows{},
		spendings: map[uuid.UUID]spendingRef{}, inelig: map[uuid.UUID]spendingRef{}, indicators: map[string]map[string]string{}}
	cash := map[string]*cashModel{}
	for _, n := range propAgreements {
		g.model[n] = map[domain.CellKey]*flows{}
		cash[n] = newCashModel()
	}
	accepted := map[string]int{}
	for i := range propCommands {
		number := g.pick(propAgreements)
		cm := cash[number]
		pre := view(t, svc, number)
		cmd, reason := g.next(pre, number)
		if reg, ok := cmd.(domain.RegisterAgreement); ok {
			reg.TotalFunding = propCeiling
			cmd = reg
		}
		if pre.Registered && g.r.IntN(3) == 0 {
			cmd, reason = g.cashCommand(cm, number)
		}
		mustReject, mustAccept, why := g.judge(pre, cmd, reason)
		if r, a, w, ok := judgeCash(pre, cm, cmd, reason); ok {
			mustReject, mustAccept, why = r, a, w
		}
		env := domain.NewEnvelope(g.id(), "prop", reason, cmd)
		res, err := commandtest.Handle(ctx, svc, env)
		what := fmt.Sprintf("command %d (%s %+v, reason %q)", i, env.Type, cmd, reason)
		if err != nil {
			if mustAccept {
				t.Fatalf("%s: refused with %v, but it is valid", what, err)
			}
			if code := domain.ErrorCode(err); code == domain.EInternal || code == domain.EConflict || code == domain.ETampered {
				t.Fatalf("%s: refused with code %s: %v", what, code, err)
			}
		} else {
			if mustReject {
				t.Fatalf("%s: accepted, but it breaks a rule: %s", what, why)
			}
			accepted[env.Type]++
			g.record(number, pre, cmd, res)
			recordCash(cm, pre, cmd, res)
		}
		post := view(t, svc, number)
		checkCells(t, what, post, g.model[number])
		err = svc.View(ctx, number, func(a *domain.Agreement) error {
			checkCash(t, what, a, g.model[number], cm)
			return nil
		})
		if err != nil && domain.ErrorCode(err) != domain.ENotFound {
			t.Fatal(err)
		}
	}
	for _, typ := range []string{domain.CmdRecordDisbursement, domain.CmdRecordRefund, domain.CmdReverseDisbursement, domain.CmdReturnUnspent} {
		if testing.Verbose() {
			t.Logf("seed %d: %d %s accepted", seed, accepted[typ], typ)
		}
		if accepted[typ] == 0 && !testing.Short() {
			t.Logf("seed %d: no %s accepted", seed, typ)
		}
	}
	// The read model folded from the store shows the same cash.
	l := projections.NewLedger(time.Time{})
	evs, err := store.ReadAll(ctx, domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	reg := domain.NewEventRegistry()
	for _, e := range evs {
		md, err := domain.DecodeMetadata(e.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := reg.Decode(e.Type, md.SchemaVersion, e.Data)
		if err != nil {
			t.Fatal(err)
		}
		l.Apply(projections.Event{Position: e.Position, Stream: e.Stream, Revision: e.Revision, ID: e.ID, Type: e.Type, Meta: projections.Meta{RecordedAt: md.RecordedAt}, Data: ev})
	}
	for _, n := range propAgreements {
		rep, err := l.CashReport(n, domain.MustDate("2030-01-01"))
		if domain.ErrorCode(err) == domain.ENotFound {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		cm := cash[n]
		var total domain.Money
		for _, y := range rep.Years {
			elig := eligibleOf(g.model[n], y.Year)
			if y.Disbursed != cm.disbursed[y.Year] || y.Refunded != cm.refunded[y.Year] || y.EligibleSpent != elig || y.Disbursed != y.EligibleSpent+y.Refunded+y.Held {
				t.Errorf("%s year %d in the read model: %+v; model disbursed %s, eligible %s, refunded %s", n, y.Year, y, cm.disbursed[y.Year], elig, cm.refunded[y.Year])
			}
			total += y.Held
		}
		if rep.Total.Held != total || rep.Total.Disbursed != cm.total() || rep.Total.Disbursed != rep.Total.EligibleSpent+rep.Total.Refunded+rep.Total.Held {
			t.Errorf("%s to date: %+v; model disbursed %s", n, rep.Total, cm.total())
		}
	}
}

// cashCommand returns a random payment, reversal, schedule entry or refund
// (valid or not).
func (g *propGen) cashCommand(cm *cashModel, number string) (domain.Command, string) {
	ref := domain.Ref{Agreement: number}
	y := g.year()
	switch k := g.r.IntN(10); {
	case k < 4:
		amt := g.amount()
		if g.r.IntN(3) == 0 {
			amt = propCeiling - cm.total() + domain.Money(g.r.IntN(3)) - 1 // at the ceiling, one cent either side
		}
		if amt <= 0 {
			amt = 1
		}
		return domain.RecordDisbursement{Ref: ref, Kind: domain.PayTranche, Year: y, Amount: amt, Date: g.date(y), Reference: "P-" + strconv.Itoa(g.r.IntN(1000))}, ""
	case k < 5:
		id := g.id()
		if len(cm.payIDs) > 0 && g.r.IntN(5) != 0 {
			id = cm.payIDs[g.r.IntN(len(cm.payIDs))]
		}
		return domain.ReverseDisbursement{Ref: ref, Disbursement: id, Date: g.date(1)}, g.reason()
	case k < 6:
		return domain.PlanDisbursement{Ref: ref, Kind: domain.PayAdvance, Year: y, Amount: g.amount() * 3, Date: g.date(y)}, ""
	default:
		id := g.id()
		amt := g.amount()
		if len(cm.dueIDs) > 0 && g.r.IntN(6) != 0 {
			id = cm.dueIDs[g.r.IntN(len(cm.dueIDs))]
			if d := cm.dues[id]; d.amount-d.refunded > 1 && g.r.IntN(2) == 0 {
				amt = domain.Money(g.r.Int64N(int64(d.amount-d.refunded))) + 1
			} else if g.r.IntN(2) == 0 {
				amt = d.amount - d.refunded
			}
		}
		if amt <= 0 {
			amt = 1
		}
		return domain.RecordRefund{Ref: ref, For: id, Amount: amt, Date: g.date(3), Reference: "R-1"}, ""
	}
}

// judgeCash judges the commands the ceiling and money that moves concern;
// ok is false for the others (judge decides them).
func judgeCash(pre snap, cm *cashModel, cmd domain.Command, reason string) (mustReject, mustAccept bool, why string, ok bool) {
	if !pre.Registered {
		return false, false, "", false
	}
	planned := func(skip domain.CellKey) domain.Money {
		var t domain.Money
		for k, c := range pre.Cells {
			if k != skip {
				t += c.Planned
			}
		}
		return t
	}
	switch c := cmd.(type) {
	case domain.PlanBudget:
		if planned(domain.CellKey{Line: c.Line, Year: c.Year})+c.Amount > propCeiling {
			return true, false, "plan above the ceiling", true
		}
	case domain.AmendBudget:
		if planned(domain.CellKey{Line: c.Line, Year: c.Year})+c.Amount > propCeiling {
			return true, false, "amendment above the ceiling", true
		}
	case domain.RecordDisbursement:
		if c.Year < 1 || c.Year > propYears || cm.total()+c.Amount > propCeiling {
			return true, false, fmt.Sprintf("payment of %s with %s paid, ceiling %s", c.Amount, cm.total(), propCeiling), true
		}
		return false, true, "", true
	case domain.ReverseDisbursement:
		p, known := cm.pays[c.Disbursement]
		if reason == "" || !known || p.reversed {
			return true, false, "reversal of an unknown or reversed payment, or no reason", true
		}
		return false, true, "", true
	case domain.PlanDisbursement:
		if c.Year < 1 || c.Year > propYears || cm.scheduled+c.Amount > propCeiling {
			return true, false, "schedule above the ceiling", true
		}
		return false, true, "", true
	case domain.RecordRefund:
		d, known := cm.dues[c.For]
		if !known || c.Amount > d.amount-d.refunded {
			return true, false, "refund of an unknown due or above it", true
		}
		return false, true, "", true
	}
	return false, false, "", false
}

// recordCash updates the cash model after an accepted command.
func recordCash(cm *cashModel, pre snap, cmd domain.Command, res command.Result) {
	switch c := cmd.(type) {
	case domain.RecordDisbursement:
		cm.disbursed[c.Year] += c.Amount
		id := res.Events[0].ID
		cm.pays[id] = payRef{year: c.Year, amount: c.Amount}
		cm.payIDs = append(cm.payIDs, id)
	case domain.ReverseDisbursement:
		p := cm.pays[c.Disbursement]
		cm.disbursed[p.year] -= p.amount
		p.reversed = true
		cm.pays[c.Disbursement] = p
	case domain.PlanDisbursement:
		cm.scheduled += c.Amount
	case domain.ReturnUnspent:
		amt := c.Amount
		if amt == 0 {
			amt = pre.Cells[domain.CellKey{Line: c.Line, Year: c.Year}].Remainder()
		}
		id := res.Events[0].ID
		cm.dues[id] = &dueRef{year: c.Year, amount: amt}
		cm.dueIDs = append(cm.dueIDs, id)
	case domain.RecordRecovery:
		id := res.Events[0].ID
		// The recovery's year is its ineligible expenditure's: find it in the
		// event the ledger wrote.
		ev := res.Events[0].Event.(domain.IneligibleExpenditureRecovered)
		cm.dues[id] = &dueRef{year: ev.Year, amount: c.Amount}
		cm.dueIDs = append(cm.dueIDs, id)
	case domain.RecordRefund:
		d := cm.dues[c.For]
		d.refunded += c.Amount
		cm.refunded[d.year] += c.Amount
	}
}

func eligibleOf(model map[domain.CellKey]*flows, year int) domain.Money {
	var t domain.Money
	for k, f := range model {
		if k.Year == year {
			t += f.actual - f.ineligible
		}
	}
	return t
}

// checkCash checks the cash identity of the agreement against the model.
func checkCash(t *testing.T, what string, a *domain.Agreement, model map[domain.CellKey]*flows, cm *cashModel) {
	t.Helper()
	var held, eligible, refunded domain.Money
	for _, y := range a.Years() {
		n := y.Year
		if a.Cash().Disbursed[n] != cm.disbursed[n] || a.Cash().Refunded[n] != cm.refunded[n] {
			t.Fatalf("%s: year %d disbursed %s refunded %s, the model says %s and %s", what, n, a.Cash().Disbursed[n], a.Cash().Refunded[n], cm.disbursed[n], cm.refunded[n])
		}
		e := eligibleOf(model, n)
		if cm.disbursed[n] != e+cm.refunded[n]+a.Held(n) {
			t.Fatalf("%s: year %d: disbursed %s != eligible %s + refunded %s + held %s", what, n, cm.disbursed[n], e, cm.refunded[n], a.Held(n))
		}
		held += a.Held(n)
		eligible += e
		refunded += cm.refunded[n]
	}
	if cm.total() != eligible+refunded+held || a.TotalDisbursed() != cm.total() {
		t.Fatalf("%s: disbursed %s (ledger %s) != eligible %s + refunded %s + held %s", what, cm.total(), a.TotalDisbursed(), eligible, refunded, held)
	}
	if c, ok := a.Ceiling(); ok && (a.TotalDisbursed() > c || a.TotalScheduled() > c || a.TotalPlanned() > c) {
		t.Fatalf("%s: disbursed %s, scheduled %s, planned %s above the ceiling %s", what, a.TotalDisbursed(), a.TotalScheduled(), a.TotalPlanned(), c)
	}
	if len(a.Cash().Dues) != len(cm.dues) {
		t.Fatalf("%s: %d dues, the model has %d", what, len(a.Cash().Dues), len(cm.dues))
	}
	for id, d := range cm.dues {
		got := a.Cash().Dues[id]
		if got == nil || got.Amount != d.amount || got.Refunded != d.refunded || got.Refunded > got.Amount {
			t.Fatalf("%s: due %s is %+v, the model says %+v", what, id, got, *d)
		}
	}
	if err := a.CashConsistent(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
