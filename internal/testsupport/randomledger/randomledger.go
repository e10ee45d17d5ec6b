// Package randomledger records random but valid agreement histories into a
// ledger service: random implementation years, budget lines with awkward
// codes, plans and amendments, spending, reversals (some dated after the
// year), carry-overs, returns, ineligible expenditure, recoveries and
// indicators. The interoperability tests export these histories and let
// outside tools (hledger, xmllint) check them.
package randomledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/legacytest"
)

// Agreement describes one generated agreement.
type Agreement struct {
	Number string
	Years  []domain.YearSpec
	Lines  []string
	// Regular is true when every implementation year is exactly one
	// calendar year long and all start on the same month and day.
	Regular bool
}

// StartDays are the month and day on which regular agreements start.
var StartDays = [][2]int{{1, 1}, {2, 1}, {7, 15}, {9, 1}, {10, 10}, {12, 31}}

var linePool = []string{"civil", "minority", "staff", "travel", "rent;x", "a:b", "(misc)", "12", "hash#tag", "eq.uip", "Z_9"}

// Build records n random agreements into svc, using rng, and returns what
// it generated. Every command it sends is valid; an error means the ledger
// refused one, which is a defect of the ledger or of this generator.
func Build(ctx context.Context, svc *command.Service, rng *rand.Rand, n int) ([]Agreement, error) {
	g := &gen{ctx: ctx, svc: svc, rng: rng, ns: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "randomledger-%d", rng.Uint64()))}
	out := make([]Agreement, 0, n)
	for i := 0; i < n; i++ {
		a, err := g.agreement(i)
		if err != nil {
			return out, fmt.Errorf("random agreement %d: %w", i, err)
		}
		out = append(out, a)
	}
	return out, nil
}

type gen struct {
	ctx context.Context
	svc *command.Service
	rng *rand.Rand
	ns  uuid.UUID
	n   int
}

func (g *gen) do(actor, reason string, cmd domain.Command) (command.Result, error) {
	g.n++
	id := uuid.NewSHA1(g.ns, fmt.Appendf(nil, "%d", g.n))
	res, err := commandtest.Handle(g.ctx, g.svc, domain.NewEnvelope(id, actor, reason, cmd))
	if err != nil {
		return res, fmt.Errorf("%s %+v: %w", cmd.CommandType(), cmd, err)
	}
	return res, nil
}

func (g *gen) money(max int64) domain.Money {
	if max <= 0 {
		return 0
	}
	return domain.Money(g.rng.Int64N(max) + 1)
}

func (g *gen) dateIn(from, to domain.Date) domain.Date {
	if to <= from {
		return from
	}
	return from + domain.Date(g.rng.IntN(int(to-from)+1))
}

func numberFor(i int, rng *rand.Rand) string {
	switch i % 7 {
	case 0:
		return fmt.Sprintf("P-%d", i/7+1) // P-1, P-10, …: prefixes of each other
	case 3:
		return fmt.Sprintf("RND %d; x:y #(%d)", i, rng.IntN(100)) // needs sanitizing
	case 5:
		return fmt.Sprintf("%d.LV/NVOF/MIC/%03d/%d", 2019+i%6, i, rng.IntN(20))
	}
	return fmt.Sprintf("AIF/%d/KAPAC2/%03d", 2018+i%7, i)
}

func (g *gen) agreement(i int) (Agreement, error) {
	rng := g.rng
	a := Agreement{Number: numberFor(i, rng), Regular: rng.IntN(10) < 8}
	nYears := 1 + rng.IntN(4)
	if a.Regular {
		sd := StartDays[rng.IntN(len(StartDays))]
		y0 := 2018 + rng.IntN(7)
		for k := 0; k < nYears; k++ {
			from := time.Date(y0+k, time.Month(sd[0]), sd[1], 0, 0, 0, 0, time.UTC)
			to := time.Date(y0+k+1, time.Month(sd[0]), sd[1], 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
			a.Years = append(a.Years, domain.YearSpec{Year: k + 1, From: domain.DateOf(from), To: domain.DateOf(to)})
		}
	} else {
		from := domain.NewDate(2018, 1, 1).AddDays(rng.IntN(2500))
		for k := 0; k < nYears; k++ {
			to := from.AddDays(60 + rng.IntN(440))
			a.Years = append(a.Years, domain.YearSpec{Year: k + 1, From: from, To: to})
			from = to.AddDays(1 + rng.IntN(3)*rng.IntN(2))
		}
	}
	perm := rng.Perm(len(linePool))
	var lines []domain.LineSpec
	for _, p := range perm[:1+rng.IntN(4)] {
		a.Lines = append(a.Lines, linePool[p])
		lines = append(lines, domain.LineSpec{Line: linePool[p], Name: "Budžeta rinda " + linePool[p]})
	}
	if len(lines) > 1 && rng.IntN(4) == 0 {
		lines[len(lines)-1].OwnContribution = true // co-financing: the grantee's own money
	}
	ref := domain.Ref{Agreement: a.Number}
	kind := domain.KindGrant
	if rng.IntN(2) == 0 {
		kind = domain.KindDelegation
	}
	reg := domain.RegisterAgreement{
		Ref: ref, Kind: kind,
		Title:   fmt.Sprintf("Projekts Nr. %d: NVO sadarbība & <līdzdalība> \"%s\"", i, a.Number),
		Grantee: fmt.Sprintf("Biedrība „NVO %d”", i), Funder: "Sabiedrības integrācijas fonds",
		Programme: "NVO fonds", SupportIntensity: "100",
		Period: domain.Period{From: a.Years[0].From, To: a.Years[len(a.Years)-1].To},
		Years:  a.Years, Lines: lines,
	}
	if domain.CheckNumber(a.Number) != nil {
		// A number today's rules refuse ("RND 3; x:y #(88)") can only be
		// in a ledger an older grantledger wrote: write its registration
		// as that one did, so the exports are still tested on it.
		g.n++
		id := uuid.NewSHA1(g.ns, fmt.Appendf(nil, "%d", g.n))
		ev := domain.AgreementRegistered{Number: reg.Agreement, Kind: reg.Kind, Title: reg.Title, Grantee: reg.Grantee, Funder: reg.Funder,
			Programme: reg.Programme, SupportIntensity: reg.SupportIntensity, Period: reg.Period, Years: reg.Years, Lines: reg.Lines}
		if err := legacytest.WriteRegistration(g.ctx, g.svc.Store(), id, "ministry@example.lv", ev); err != nil {
			return a, err
		}
	} else if _, err := g.do("ministry@example.lv", "", reg); err != nil {
		return a, err
	}

	type cellState struct{ planned, carriedIn, actual, out, ineligible domain.Money }
	cells := map[domain.CellKey]*cellState{}
	var dues []due
	for _, y := range a.Years {
		for _, l := range a.Lines {
			cells[domain.CellKey{Line: l, Year: y.Year}] = &cellState{}
		}
	}
	// Plans and amendments first.
	for _, y := range a.Years {
		for _, l := range a.Lines {
			c := cells[domain.CellKey{Line: l, Year: y.Year}]
			if rng.IntN(100) < 12 {
				continue // never planned
			}
			c.planned = domain.Money(rng.Int64N(10_000_000))
			if _, err := g.do("ministry@example.lv", "", domain.PlanBudget{Ref: ref, Line: l, Year: y.Year, Amount: c.planned}); err != nil {
				return a, err
			}
			for k := rng.IntN(3); k > 0; k-- {
				amt := domain.Money(rng.Int64N(10_000_000))
				if amt == c.planned {
					continue
				}
				eff := g.dateIn(y.From.AddDays(-60), y.To.AddDays(60))
				if _, err := g.do("ministry@example.lv", "grozījumi Nr. "+fmt.Sprint(k), domain.AmendBudget{Ref: ref, Line: l, Year: y.Year, Amount: amt, EffectiveDate: eff}); err != nil {
					return a, err
				}
				c.planned = amt
			}
		}
	}
	for yi, y := range a.Years {
		for _, l := range a.Lines {
			c := cells[domain.CellKey{Line: l, Year: y.Year}]
			type sp struct {
				id     uuid.UUID
				amount domain.Money
				date   domain.Date
			}
			var spent []sp
			for k := rng.IntN(6); k > 0; k-- {
				amt := g.money(int64(c.planned)/3 + 500_000)
				d := g.dateIn(y.From, y.To)
				res, err := g.do("accountant@example.lv", "", domain.RecordSpending{Ref: ref, Line: l, Year: y.Year, Amount: amt, Date: d,
					Document: fmt.Sprintf("R-%d/%d", i, g.n), Description: "Izdevumi; rēķins & <pavadzīme>"})
				if err != nil {
					return a, err
				}
				c.actual += amt
				spent = append(spent, sp{res.Events[0].ID, amt, d})
			}
			for _, s := range spent {
				if rng.IntN(100) >= 15 {
					continue
				}
				d := g.dateIn(s.date, y.To.AddDays(90)) // may fall after the year
				if _, err := g.do("accountant@example.lv", "kļūdains rēķins", domain.ReverseSpending{Ref: ref, Spending: s.id, Date: d}); err != nil {
					return a, err
				}
				c.actual -= s.amount
			}
			if elig := c.actual - c.ineligible; elig > 0 && rng.IntN(100) < 15 {
				amt := g.money(int64(elig))
				res, err := g.do("auditor@example.lv", "", domain.DeclareIneligible{Ref: ref, Line: l, Year: y.Year, Amount: amt, Date: g.dateIn(y.From, y.To.AddDays(120)), Description: "Neattiecināmi izdevumi"})
				if err != nil {
					return a, err
				}
				c.ineligible += amt
				if rng.IntN(2) == 0 {
					if _, err := g.do("auditor@example.lv", "", domain.RecordRecovery{Ref: ref, Ineligible: res.Events[0].ID, Amount: g.money(int64(amt)), Date: y.To.AddDays(130)}); err != nil {
						return a, err
					}
				}
			}
			rem := c.planned + c.carriedIn - c.actual - c.out
			if rem > 0 && yi+1 < len(a.Years) && rng.IntN(100) < 40 {
				amt := g.money(int64(rem))
				if rng.IntN(3) == 0 {
					amt = 0 // the whole remainder
				}
				if _, err := g.do("ministry@example.lv", "", domain.CarryOver{Ref: ref, Line: l, FromYear: y.Year, Amount: amt, Date: y.To.AddDays(rng.IntN(30))}); err != nil {
					return a, err
				}
				if amt == 0 {
					amt = rem
				}
				c.out += amt
				cells[domain.CellKey{Line: l, Year: y.Year + 1}].carriedIn += amt
				rem -= amt
			}
			if rem > 0 && rng.IntN(100) < 30 {
				res, err := g.do("ministry@example.lv", "", domain.ReturnUnspent{Ref: ref, Line: l, Year: y.Year, Date: y.To.AddDays(20)})
				if err != nil {
					return a, err
				}
				c.out += rem
				dues = append(dues, due{res.Events[0].ID, rem, y.To.AddDays(20)})
			}
		}
	}
	if err := g.payments(a, ref, dues); err != nil {
		return a, err
	}
	// A few indicators with targets and deliveries.
	for k := rng.IntN(3); k > 0; k-- {
		code := fmt.Sprintf("ind-%d", k)
		agg := []string{domain.AggSum, domain.AggDistinct, domain.AggLatest}[rng.IntN(3)]
		var targets []domain.IndicatorTarget
		for _, y := range a.Years {
			if rng.IntN(4) > 0 {
				targets = append(targets, domain.IndicatorTarget{Year: y.Year, Target: rng.Int64N(200)})
			}
		}
		if _, err := g.do("accountant@example.lv", "", domain.DefineIndicator{Ref: ref, Indicator: code, Name: "Rādītājs " + code + " <&>", Unit: "reize", Aggregation: agg, Targets: targets}); err != nil {
			return a, err
		}
		for _, y := range a.Years {
			for d := rng.IntN(3); d > 0; d-- {
				cmd := domain.RecordDelivery{Ref: ref, Indicator: code, Year: y.Year, Quantity: 1 + rng.Int64N(20), Date: g.dateIn(y.From, y.To), Evidence: "Žurnāls"}
				if agg == domain.AggDistinct {
					cmd.Quantity = 0
					cmd.Identifiers = []string{fmt.Sprintf("NVO-%d", rng.IntN(30)), fmt.Sprintf("NVO-%d", rng.IntN(30))}
				}
				if _, err := g.do("accountant@example.lv", "", cmd); err != nil {
					return a, err
				}
			}
		}
	}
	return a, nil
}
