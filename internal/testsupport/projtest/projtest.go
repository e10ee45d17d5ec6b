// Package projtest builds realistic ledger histories for the tests and
// benchmarks of the projections, the runner and the report renderers: the
// seed 004 agreement recorded command by command, and random histories.
package projtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// Clock is a settable clock for ledger.Options: every reading advances it
// by one second, so recorded_at is strictly increasing.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the current time and advances the clock by a second.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(time.Second)
	return t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Seed004 is the number the seed 004 agreement is registered under.
const Seed004 = "KNVOC-2022-2025"

// Cmd applies one command and fails on error.
func Cmd(ctx context.Context, svc *command.Service, actor, reason string, c domain.Command) (command.Result, error) {
	res, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(uuid.New(), actor, reason, c))
	if err != nil {
		return res, fmt.Errorf("%s: %w", c.CommandType(), err)
	}
	return res, nil
}

// RecordSeed004 records the figures of seed 004: two lines (civil 30 000,00
// and minority 19 000,00 a year), three implementation years from
// 15.07.2022; year 1 actual 28 959,87 + 18 826,66 with 1 040,13 + 173,34
// carried over; year 2 actual 30 000,00 + 19 000,00 and nothing said of the
// 1 213,47 carried in (the year stays open); year 3 actual 48 871,72 with
// 128,28 returned (the split by line is illustrative); year-1 indicators.
// The clock, if given, is moved to the date of each step.
func RecordSeed004(ctx context.Context, svc *command.Service, clock *Clock) error {
	r := domain.Ref{Agreement: Seed004}
	at := func(d string) {
		if clock != nil {
			clock.Set(domain.MustDate(d).Time().Add(9 * time.Hour))
		}
	}
	m, d := domain.MustMoney, domain.MustDate
	type step struct {
		when   string
		reason string
		cmd    domain.Command
	}
	steps := []step{
		{"2022-07-15", "", domain.RegisterAgreement{Ref: r, Kind: domain.KindDelegation,
			Title:   "Par atsevišķu valsts pārvaldes uzdevumu veikšanu pilsoniskās sabiedrības un starpkultūru sadarbības attīstības un mazākumtautību nevalstisko organizāciju līdzdalības veicināšanas jomā Kurzemes reģionā",
			Grantee: "Biedrība „Kurzemes NVO centrs”", Funder: "Ministrija",
			Period: domain.Period{From: d("2022-07-15"), To: d("2025-07-14")},
			Years: []domain.YearSpec{{Year: 1, From: d("2022-07-15"), To: d("2023-07-14")},
				{Year: 2, From: d("2023-07-15"), To: d("2024-07-14")}, {Year: 3, From: d("2024-07-15"), To: d("2025-07-14")}},
			Lines: []domain.LineSpec{{Line: "civil", Name: "Civil society development in Kurzeme"}, {Line: "minority", Name: "Development of minority NGOs"}}}},
	}
	for y := 1; y <= 3; y++ {
		steps = append(steps, step{"2022-07-15", "", domain.PlanBudget{Ref: r, Line: "civil", Year: y, Amount: m("30000.00")}},
			step{"2022-07-15", "", domain.PlanBudget{Ref: r, Line: "minority", Year: y, Amount: m("19000.00")}})
	}
	steps = append(steps,
		step{"2022-12-20", "", domain.RecordSpending{Ref: r, Line: "civil", Year: 1, Amount: m("15000.00"), Date: d("2022-12-20"), Document: "KNVOC-2022-041", Description: "Leaders' academy, autumn"}},
		step{"2023-06-30", "", domain.RecordSpending{Ref: r, Line: "civil", Year: 1, Amount: m("13959.87"), Date: d("2023-06-30"), Document: "KNVOC-2023-077", Description: "Consultations and study"}},
		step{"2023-05-10", "", domain.RecordSpending{Ref: r, Line: "minority", Year: 1, Amount: m("18826.66"), Date: d("2023-05-10"), Document: "KNVOC-2023-052", Description: "Minority NGO activities"}},
		step{"2023-07-14", "", domain.CarryOver{Ref: r, Line: "civil", FromYear: 1, Amount: m("1040.13"), Date: d("2023-07-14")}},
		step{"2023-07-14", "", domain.CarryOver{Ref: r, Line: "minority", FromYear: 1, Amount: m("173.34"), Date: d("2023-07-14")}},
		step{"2023-07-20", "", domain.CloseYear{Ref: r, Year: 1, Date: d("2023-07-20")}},
		step{"2024-03-15", "", domain.RecordSpending{Ref: r, Line: "civil", Year: 2, Amount: m("30000.00"), Date: d("2024-03-15"), Document: "KNVOC-2024-019"}},
		step{"2024-06-28", "", domain.RecordSpending{Ref: r, Line: "minority", Year: 2, Amount: m("19000.00"), Date: d("2024-06-28"), Document: "KNVOC-2024-066"}},
		step{"2025-04-30", "", domain.RecordSpending{Ref: r, Line: "civil", Year: 3, Amount: m("29871.72"), Date: d("2025-04-30"), Document: "KNVOC-2025-031", Description: "illustrative split of the year-3 total"}},
		step{"2025-06-30", "", domain.RecordSpending{Ref: r, Line: "minority", Year: 3, Amount: m("19000.00"), Date: d("2025-06-30"), Document: "KNVOC-2025-058", Description: "illustrative split of the year-3 total"}},
		step{"2025-07-14", "", domain.ReturnUnspent{Ref: r, Line: "civil", Year: 3, Amount: m("128.28"), To: "ministry budget", Date: d("2025-07-14")}},
		step{"2025-07-20", "", domain.CloseYear{Ref: r, Year: 3, Date: d("2025-07-20")}},
	)
	inds := []struct {
		id, name, unit, agg string
		target              int64
		qty                 []int64
	}{
		{"study", "Study of NGO cooperation with municipalities", "studies", domain.AggSum, 1, []int64{1}},
		{"sessions", "In-person sessions of the Leaders' academy", "sessions", domain.AggSum, 24, []int64{12, 12}},
		{"webinars", "Webinars", "webinars", domain.AggSum, 5, []int64{5}},
		{"consultations", "Free consultations to NGOs", "consultations", domain.AggSum, 80, []int64{40, 40}},
		{"ngos", "Unique NGOs consulted", "NGOs", domain.AggDistinct, 50, nil},
	}
	for _, in := range inds {
		steps = append(steps, step{"2022-07-16", "", domain.DefineIndicator{Ref: r, Indicator: in.id, Name: in.name, Unit: in.unit, Aggregation: in.agg,
			Targets: []domain.IndicatorTarget{{Year: 1, Target: in.target}}}})
	}
	for _, in := range inds {
		for k, q := range in.qty {
			steps = append(steps, step{"2023-06-01", "", domain.RecordDelivery{Ref: r, Indicator: in.id, Year: 1, Quantity: q, Date: d("2023-06-01"), Evidence: fmt.Sprintf("report-%s-%d.pdf", in.id, k+1)}})
		}
	}
	var ngos []string
	for i := 1; i <= 50; i++ {
		ngos = append(ngos, fmt.Sprintf("NGO-%02d", i))
	}
	steps = append(steps, step{"2023-06-01", "", domain.RecordDelivery{Ref: r, Indicator: "ngos", Year: 1, Identifiers: ngos[:30], Date: d("2023-03-01"), Evidence: "consultation-log-1.xlsx"}},
		step{"2023-06-02", "", domain.RecordDelivery{Ref: r, Indicator: "ngos", Year: 1, Identifiers: append(ngos[25:], "NGO-01"), Date: d("2023-06-02"), Evidence: "consultation-log-2.xlsx"}})
	// Order by the time the step happened, keeping the order of equal days.
	sortSteps(steps, func(s step) string { return s.when })
	for _, s := range steps {
		at(s.when)
		if _, err := Cmd(ctx, svc, "accountant@knvoc", s.reason, s.cmd); err != nil {
			return fmt.Errorf("seed 004 at %s: %w", s.when, err)
		}
	}
	return nil
}

func sortSteps[T any](s []T, key func(T) string) {
	// insertion sort: stable and the lists are short
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && key(s[j]) < key(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Random records a random history of n commands over agreements agreements
// (some refused by the domain, as in real life: those append nothing).
// It returns how many commands were accepted.
func Random(ctx context.Context, svc *command.Service, rng *rand.Rand, agreements, n int) int {
	d := domain.MustDate
	var numbers []string
	funders := []string{"Ministry A", "Ministry B", "Fund C"}
	progs := []string{"NVO fonds", "Active Citizens Fund", ""}
	ok := 0
	for i := 0; i < agreements; i++ {
		num := fmt.Sprintf("RND/%d/%03d", 2020+i%3, i)
		numbers = append(numbers, num)
		start := d("2021-01-01").AddDays(rng.IntN(700))
		years := []domain.YearSpec{}
		for y := 1; y <= 1+rng.IntN(3); y++ {
			from := start.AddDays(365 * (y - 1))
			years = append(years, domain.YearSpec{Year: y, From: from, To: from.AddDays(364)})
		}
		_, err := Cmd(ctx, svc, "registrar", "", domain.RegisterAgreement{Ref: domain.Ref{Agreement: num}, Kind: domain.KindGrant,
			Title: "Random project " + num, Grantee: fmt.Sprintf("NGO %d", i%7), Funder: funders[i%len(funders)], Programme: progs[i%len(progs)],
			Period: domain.Period{From: years[0].From, To: years[len(years)-1].To}, Years: years,
			Lines: []domain.LineSpec{{Line: "a", Name: "Line A"}, {Line: "b", Name: "Line B"}}})
		if err == nil {
			ok++
		}
	}
	var spent []uuid.UUID
	actors := []string{"anna", "bruno", "cilda"}
	for i := 0; i < n; i++ {
		num := numbers[rng.IntN(len(numbers))]
		r := domain.Ref{Agreement: num}
		var yr domain.YearSpec
		var closed bool
		_ = svc.View(ctx, num, func(a *domain.Agreement) error {
			y := a.Years()[rng.IntN(len(a.Years()))]
			yr, closed = y.YearSpec, y.Closed
			return nil
		})
		_ = closed
		line := []string{"a", "b"}[rng.IntN(2)]
		day := yr.From.AddDays(rng.IntN(365))
		amt := domain.Money(1 + rng.IntN(500000))
		var c domain.Command
		reason := ""
		switch k := rng.IntN(20); {
		case k < 4:
			c = domain.PlanBudget{Ref: r, Line: line, Year: yr.Year, Amount: domain.Money(rng.IntN(5000000))}
		case k < 5:
			c = domain.AmendBudget{Ref: r, Line: line, Year: yr.Year, Amount: domain.Money(rng.IntN(5000000)), EffectiveDate: day}
			reason = "revised plan"
		case k < 12:
			c = domain.RecordSpending{Ref: r, Line: line, Year: yr.Year, Amount: amt, Date: day, Document: fmt.Sprintf("DOC-%d", i)}
		case k < 13 && len(spent) > 0:
			c = domain.ReverseSpending{Ref: r, Spending: spent[rng.IntN(len(spent))], Date: day}
			reason = "wrong document"
		case k < 15:
			c = domain.CarryOver{Ref: r, Line: line, FromYear: yr.Year, Date: day}
		case k < 16:
			c = domain.ReturnUnspent{Ref: r, Line: line, Year: yr.Year, Date: day}
		case k < 17:
			c = domain.DeclareIneligible{Ref: r, Line: line, Year: yr.Year, Amount: amt / 10, Date: day, Description: "no invoice"}
		case k < 18:
			c = domain.DefineIndicator{Ref: r, Indicator: fmt.Sprintf("ind%d", rng.IntN(3)), Name: "Sessions", Unit: "sessions", Aggregation: domain.AggSum,
				Targets: []domain.IndicatorTarget{{Year: 1, Target: int64(rng.IntN(40))}}}
		case k < 19:
			c = domain.RecordDelivery{Ref: r, Indicator: fmt.Sprintf("ind%d", rng.IntN(3)), Year: yr.Year, Quantity: int64(1 + rng.IntN(5)), Date: day, Evidence: "list.pdf"}
		default:
			c = domain.CloseYear{Ref: r, Year: yr.Year, Date: day}
		}
		res, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(uuid.New(), actors[rng.IntN(len(actors))], reason, c))
		if err != nil {
			continue
		}
		ok++
		for _, e := range res.Events {
			if e.Type == domain.TypeSpendingRecorded {
				spent = append(spent, e.ID)
			}
		}
	}
	return ok
}

// Fold reads every event of store and folds it into a new Ledger limited to
// asOf (zero: everything).
func Fold(ctx context.Context, store domain.EventStore, asOf time.Time) (*projections.Ledger, error) {
	l := projections.NewLedger(asOf)
	dec := codec.NewDecoder(nil)
	var from domain.Position
	for {
		evs, err := store.ReadAll(ctx, from, 1024)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			return l, nil
		}
		for _, e := range evs {
			pe, err := dec.Decode(e)
			if err != nil {
				return nil, err
			}
			l.Apply(pe)
			from = e.Position
		}
	}
}

// Canonical renders everything a read model answers (every yearly report,
// the reconciliation of every year, the multi-year view, indicators, the
// audit trail) as JSON, so two read models can be compared for equality.
func Canonical(l *projections.Ledger) string {
	today := domain.MustDate("2030-01-01")
	var parts []any
	for _, v := range l.Agreements() {
		for _, y := range v.Agg.Years() {
			r, err := v.YearReport(y.Year, today)
			parts = append(parts, r, err)
		}
		parts = append(parts, v.Spendings, v.Events)
	}
	for y := 1; y <= 3; y++ {
		r, _ := l.Reconcile(projections.Scope{}, projections.Window{Year: y})
		parts = append(parts, r)
	}
	parts = append(parts, l.MultiYear(projections.Scope{}), l.Indicators(projections.Scope{}, 0, today), l.AuditRows(), l.Applied(), l.Position())
	b, err := json.Marshal(parts)
	if err != nil {
		panic(err)
	}
	return string(b)
}
