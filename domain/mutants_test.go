package domain_test

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// Tests written for mutants that lived in `bash .ci/mutation domain`
// (docs/RELIABILITY.md, "Mutation score"), each expectation from the docs.

// docs/REPORTS.md: the rounding to the cent is the largest-remainder
// method, "equal fractions: the earlier part", and the parts add up to the
// amount exactly. A negative amount (a plan cut) is apportioned the same
// way: -1,00 over three equal parts is -0,34, -0,33, -0,33.
func TestApportionNegativeAmount(t *testing.T) {
	got := domain.ApportionByDays(-100, []int64{10, 10, 10})
	if len(got) != 3 || got[0] != -34 || got[1] != -33 || got[2] != -33 {
		t.Errorf("ApportionByDays(-1,00, 10/10/10 days) = %v, want [-0,34 -0,33 -0,33]", got)
	}
	got = domain.ApportionByDays(-100000, []int64{1, 2})
	if got[0] != -33333 || got[1] != -66667 {
		t.Errorf("ApportionByDays(-1 000,00, 1/2 days) = %v, want [-333,33 -666,67]", got)
	}
}

// docs/REPORTS.md: with the funder's split, "a range that cuts a calendar
// year splits that year's part by days, in the same way". 2024 has 366
// days; its part of 366,00 gives 1,00 a day: 184,00 for July to
// December, 1,00 for 1 January, 1,00 for 31 December.
func TestSplitPartCutByDays(t *testing.T) {
	p := domain.Period{From: d("2024-01-01"), To: d("2024-12-31")}
	parts := []domain.CalendarPart{{CalendarYear: 2024, Amount: m("366")}}
	for _, c := range []struct {
		from, to string
		want     string
	}{
		{"2024-07-01", "2024-12-31", "184"},
		{"2024-01-01", "2024-01-01", "1"},
		{"2024-12-31", "2024-12-31", "1"},
		{"2024-03-01", "2024-03-31", "31"},
		{"2023-01-01", "2025-12-31", "366"},
	} {
		w := domain.Period{From: d(c.from), To: d(c.to)}
		if got := domain.ApportionedToSplit(parts, p, w); got != m(c.want) {
			t.Errorf("%s..%s: %s, want %s", c.from, c.to, got, m(c.want))
		}
	}
}

// docs/REPORTS.md, support intensity and co-financing: the shares count
// eligible spending, actual less what was declared ineligible.
func TestSharesLeaveOutIneligible(t *testing.T) {
	f := newFixture(t)
	reg := registerCmd()
	reg.Lines = append(reg.Lines, domain.LineSpec{Line: "own", Name: "Own", OwnContribution: true})
	f.do(reg)
	f.do(plan(civil, 1, "1000"))
	f.do(plan("own", 1, "300"))
	f.do(spend(civil, 1, "700", "2022-10-01"))
	f.do(spend("own", 1, "200", "2022-10-01"))
	f.do(ineligible(civil, 1, "100"))
	fp, p, fs, s := f.a.Shares()
	if fp != m("1000") || p != m("1300") || fs != m("600") || s != m("800") {
		t.Errorf("shares: funded planned %s of %s, funded eligible spent %s of %s; want 1000/1300, 600/800", fp, p, fs, s)
	}
}

// docs/REPORTS.md, indicators: "deliveries (count)".
func TestDeliveriesCounted(t *testing.T) {
	f := registered(t)
	f.do(indicator("people", "sum"))
	f.do(deliver("people", 1, 5, "2022-08-01"))
	f.do(deliver("people", 1, 7, "2022-09-01"))
	f.do(deliver("people", 1, 1, "2022-10-01"))
	got := f.a.Indicators()["people"].Delivered[1]
	if got == nil || got.Deliveries != 3 || got.Sum != 13 {
		t.Fatalf("year 1 of people: %+v, want 3 deliveries summing to 13", got)
	}
}

// SortedSpendings promises the spendings in the order of their ids.
func TestSortedSpendingsByID(t *testing.T) {
	f := registered(t)
	for i := 0; i < 5; i++ {
		f.do(spend(civil, 1, "1", "2022-10-01"))
	}
	got := f.a.SortedSpendings()
	if len(got) != 5 {
		t.Fatalf("%d spendings, want 5", len(got))
	}
	ids := make([]string, len(got))
	for i, s := range got {
		ids[i] = s.ID.String()
	}
	if !sort.StringsAreSorted(ids) {
		t.Errorf("spendings not in id order: %v", ids)
	}
}

// docs/commands.md, "Dates": years 1900 to 2200, both included.
func TestDateYearRange(t *testing.T) {
	for s, ok := range map[string]bool{
		"1900-01-01": true, "01.01.1900.": true, "2200-12-31": true, "31.12.2200": true,
		"1899-12-31": false, "31.12.1899.": false, "2201-01-01": false, "01.01.2201": false,
	} {
		_, err := domain.ParseDate(s)
		if (err == nil) != ok {
			t.Errorf("ParseDate(%q): %v, want accepted %v", s, err, ok)
		}
	}
}

// docs/commands.md, amend_budget: the new plan plus what was carried in
// must still cover what was already carried over *and* returned.
func TestAmendBelowCarriedAndReturned(t *testing.T) {
	f := registered(t) // civil year 1 planned at 1000
	f.do(carry(civil, 1, "300"))
	f.do(giveBack(civil, 1, "200"))
	err := refuse(t, f, amend(civil, 1, "499.99"), "annex")
	if r, figs := ruleOf(t, err); r != "amendment-below-moved-funds" || figs["carried_over"] != m("300") || figs["returned"] != m("200") {
		t.Errorf("amending to 499,99 below 300 carried over + 200 returned: %s %v", r, figs)
	}
	if _, err := domain.Decide(f.a, amend(civil, 1, "500"), "annex"); err != nil {
		t.Errorf("amending to exactly the 500 moved: %v, want accepted", err)
	}
}

// The same rule counts what was carried *in*: year 2 has 300 carried in
// from year 1, so a plan of 900 plus those 300 covers the 1 200 carried
// over to year 3, and 899,99 does not.
func TestAmendCountsCarriedIn(t *testing.T) {
	f := registered(t) // civil planned at 1000 in years 1, 2 and 3
	f.do(carry(civil, 1, "300"))
	f.do(domain.CarryOver{Ref: ref, Line: civil, FromYear: 2, Amount: m("1200"), Date: d("2024-07-20")})
	err := refuse(t, f, amend(civil, 2, "899.99"), "annex")
	if r, figs := ruleOf(t, err); r != "amendment-below-moved-funds" || figs["carried_in"] != m("300") {
		t.Errorf("amending year 2 to 899,99: %s %v, want amendment-below-moved-funds with 300 carried in", r, figs)
	}
	if _, err := domain.Decide(f.a, amend(civil, 2, "900"), "annex"); err != nil {
		t.Errorf("amending year 2 to 900 (+300 carried in = the 1 200 moved): %v, want accepted", err)
	}
}

// Overlaps: "the two periods share at least one day", so periods that
// share only their end day overlap, whichever is given first.
func TestPeriodsSharingOneDayOverlap(t *testing.T) {
	jan := domain.Period{From: d("2024-01-01"), To: d("2024-01-31")}
	fromEnd := domain.Period{From: d("2024-01-31"), To: d("2024-02-29")}
	feb := domain.Period{From: d("2024-02-01"), To: d("2024-02-29")}
	if !jan.Overlaps(fromEnd) || !fromEnd.Overlaps(jan) {
		t.Error("periods sharing 31 January do not overlap")
	}
	if jan.Overlaps(feb) || feb.Overlaps(jan) {
		t.Error("January and February overlap")
	}
}

// docs/STORAGE.md and docs/EVENTSTOREDB.md: an agreement's events live in
// a stream named grantledger-agreement-<UUID>, one per agreement number.
func TestStreamForAnAgreement(t *testing.T) {
	a, b := domain.StreamFor("DEMO/2024/7"), domain.StreamFor("DEMO/2024/8")
	for _, s := range []string{a, b} {
		id, ok := strings.CutPrefix(s, "grantledger-agreement-")
		if !ok || len(id) != 36 || strings.Count(id, "-") != 4 {
			t.Errorf("StreamFor = %q, want grantledger-agreement-<UUID>", s)
		}
	}
	if a == b || a != domain.StreamFor("DEMO/2024/7") {
		t.Errorf("StreamFor: %q and %q for two numbers; want one stream per number, always the same", a, b)
	}
}

// docs/commands.md, "Findings after a year is closed", and docs/REPORTS.md:
// each declare_ineligible and record_recovery recorded into a closed year
// is a post-closure adjustment of that year, and the year's figures as
// closed stay as they were.
func TestPostClosureAdjustmentsCounted(t *testing.T) {
	f := registered(t)
	closedYear1(f)
	asClosed, ok := f.a.ClosedFigures(civil, 1)
	if !ok || f.a.Adjusted(1) != 0 {
		t.Fatalf("after closing year 1: figures %v %v, %d adjustments; want closed figures and none", asClosed, ok, f.a.Adjusted(1))
	}
	f.named("late finding", ineligible(civil, 1, "50"))
	if f.a.Adjusted(1) != 1 || f.a.Adjusted(2) != 0 {
		t.Errorf("after a finding in closed year 1: %d and %d adjustments in years 1 and 2, want 1 and 0", f.a.Adjusted(1), f.a.Adjusted(2))
	}
	f.do(recovery(f.ids["late finding"], "20"))
	if f.a.Adjusted(1) != 2 {
		t.Errorf("after a recovery too: %d adjustments in year 1, want 2", f.a.Adjusted(1))
	}
	if c, _ := f.a.ClosedFigures(civil, 1); c != asClosed {
		t.Errorf("year 1 as closed changed: %+v, was %+v", c, asClosed)
	}
	f.do(spend(civil, 2, "100", "2023-08-01"))
	f.do(ineligible(civil, 2, "10")) // an open year: not an adjustment after closure
	if f.a.Adjusted(2) != 0 {
		t.Errorf("a finding in open year 2 counted as a post-closure adjustment")
	}
}

// docs/commands.md, close_year: the message names each line with a
// remainder, and the figures carry each such line's remainder and their
// total; a line whose remainder is zero is not among them.
func TestCloseYearNamesOnlyLinesWithARemainder(t *testing.T) {
	f := registered(t) // year 1: civil 1000, minority 500
	f.do(spend(civil, 1, "1000", "2023-01-05"))
	f.do(spend(minority, 1, "400", "2023-01-05"))
	err := refuse(t, f, closeYear(1), "")
	r, figs := ruleOf(t, err)
	if r != "remainder-not-zero" || len(figs) != 2 || figs[minority] != m("100") || figs["remainder"] != m("100") {
		t.Errorf("closing with minority 100,00 left: %s %v, want remainder-not-zero with minority 100.00 and remainder 100.00 only", r, figs)
	}
	if !strings.Contains(err.Error(), "minority: 100.00 neither spent") || strings.Contains(err.Error(), "civil") {
		t.Errorf("message %q: want minority named, civil not", err)
	}
}

// docs/commands.md, declare_ineligible: the amount may not *exceed* the
// spending not yet declared ineligible, nor a named spending: all of it
// may be declared ineligible.
func TestWholeSpendingMayBeIneligible(t *testing.T) {
	f := registered(t)
	f.named("invoice", spend(civil, 1, "250", "2023-01-05"))
	whole := ineligible(civil, 1, "250")
	id := f.ids["invoice"]
	whole.Spending = &id
	if _, err := domain.Decide(f.a, whole, ""); err != nil {
		t.Errorf("declaring the whole 250,00 spending ineligible: %v, want accepted", err)
	}
	whole.Spending = nil
	if _, err := domain.Decide(f.a, whole, ""); err != nil {
		t.Errorf("declaring all 250,00 spent ineligible: %v, want accepted", err)
	}
}

// docs/commands.md, "Ceiling": the total planned and the payment schedule
// may not *exceed* total_funding (reaching it is allowed); the refusal's
// "planned" figure is what is planned on the other lines and years, so
// an amendment does not count the plan it replaces.
func TestCeilingReachedNotExceeded(t *testing.T) {
	f := newFixture(t)
	reg := registerCmd()
	reg.TotalFunding = m("1000")
	f.do(reg)
	f.do(plan(civil, 1, "600"))
	err := refuse(t, f, amend(civil, 1, "1000.01"), "annex")
	if r, figs := ruleOf(t, err); r != "plan-exceeds-ceiling" || figs["planned"] != 0 || figs["ceiling"] != m("1000") {
		t.Errorf("amending the only plan to 1 000,01: %s %v, want plan-exceeds-ceiling with 0 planned elsewhere", r, figs)
	}
	f.do(amend(civil, 1, "1000"))
	f.do(domain.PlanDisbursement{Ref: ref, Kind: "advance", Year: 1, Amount: m("1000"), Date: d("2022-08-01")})
	err = refuse(t, f, domain.PlanDisbursement{Ref: ref, Kind: "final", Year: 1, Amount: m("0.01"), Date: d("2023-08-01")}, "")
	if r, _ := ruleOf(t, err); r != "schedule-exceeds-ceiling" {
		t.Errorf("scheduling past the ceiling: %s, want schedule-exceeds-ceiling", r)
	}
}

// SortedDisbursements and SortedDues promise date order, then id.
func TestDisbursementsAndDuesByDate(t *testing.T) {
	f := registered(t)
	for _, day := range []string{"2023-03-01", "2022-08-01", "2023-03-01", "2022-12-01"} {
		f.do(disburse(1, "100", day))
	}
	f.do(giveBack(civil, 1, "200"))
	f.do(giveBack(minority, 1, "100"))
	var prev *domain.Disbursement
	for _, x := range f.a.SortedDisbursements() {
		if prev != nil && (x.Date < prev.Date || x.Date == prev.Date && x.ID.String() < prev.ID.String()) {
			t.Errorf("disbursement %s of %s after %s of %s", x.ID, x.Date, prev.ID, prev.Date)
		}
		prev = x
	}
	if n := len(f.a.SortedDisbursements()); n != 4 {
		t.Errorf("%d disbursements, want 4", n)
	}
	dues := f.a.SortedDues()
	if len(dues) != 2 {
		t.Fatalf("%d dues, want 2", len(dues))
	}
	if dues[0].Date == dues[1].Date && dues[0].ID.String() > dues[1].ID.String() {
		t.Errorf("dues of one date not in id order: %s, %s", dues[0].ID, dues[1].ID)
	}
}

// docs/commands.md, register_agreement: support_intensity is "a
// percentage from 0 to 100 with at most two decimals, e.g. "100",
// "85,5"; anything else is refused". Read in hundredths of a percent.
func TestSupportIntensityForms(t *testing.T) {
	for s, want := range map[string]int64{"100": 10000, "85,5": 8550, "85.5": 8550, "62,50": 6250, "0": 0, "0,01": 1, "99.99": 9999} {
		got, err := domain.ParseIntensity(s)
		if err != nil || got != want {
			t.Errorf("ParseIntensity(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"100,01", "101", "85,555", "-1", "", ",5", "8 5", "1e2"} {
		if got, err := domain.ParseIntensity(s); err == nil {
			t.Errorf("ParseIntensity(%q) = %d, want refused", s, got)
		}
	}
}

// docs/commands.md, "Amounts": one decimal separator ("12,3,4" is
// refused), also when the first comes before any digit.
func TestMoneyTwoSeparatorsRefused(t *testing.T) {
	for _, s := range []string{",5,0", ".5.0", ",5.0", "12,3,4"} {
		if v, err := domain.ParseMoney(s); err == nil {
			t.Errorf("ParseMoney(%q) = %s, want refused", s, v)
		}
	}
}

// docs/SERVER.md, "Errors": a bad field is named with what is wrong
// ("data.year: expected a whole number…", docs/commands.md); an error
// that only wraps a cause says the cause; a concurrency error is
// ErrConcurrency for errors.Is.
func TestErrorTexts(t *testing.T) {
	if got := (&domain.Error{Code: domain.EInvalid, Field: "data.year", Message: "expected a whole number"}).Error(); got != "data.year: expected a whole number" {
		t.Errorf("field error: %q", got)
	}
	if got := (&domain.Error{Code: domain.EInvalid, Message: "empty batch"}).Error(); got != "empty batch" {
		t.Errorf("error without a field: %q", got)
	}
	if got := (&domain.Error{Code: domain.ENotFound, Err: domain.ErrNotFound}).Error(); got != "not found" {
		t.Errorf("error wrapping only a cause: %q, want the cause's text", got)
	}
	if got := (&domain.Error{Code: domain.ENotFound, Message: "no agreement X", Err: domain.ErrNotFound}).Error(); got != "no agreement X" {
		t.Errorf("error with a message and a cause: %q, want the message", got)
	}
	var err error = &domain.ConcurrencyError{Stream: "s", Actual: 3}
	if !errors.Is(err, domain.ErrConcurrency) || errors.Is(err, domain.ErrNotFound) {
		t.Errorf("errors.Is on a ConcurrencyError: want ErrConcurrency only")
	}
}

// TestOneDayPeriodAndYearAccepted: both dates of a period or year are
// included (docs/commands.md, register_agreement: "a period or year may be
// one day long"), so from equal to to is accepted; a day before is not.
func TestOneDayPeriodAndYearAccepted(t *testing.T) {
	day := domain.MustDate("2025-03-01")
	reg := domain.RegisterAgreement{Ref: domain.Ref{Agreement: "ONE/DAY/1"}, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f",
		Period: domain.Period{From: day, To: day}, Years: []domain.YearSpec{{Year: 1, From: day, To: day}}}
	if _, err := domain.Decide(domain.NewAgreement(), reg, ""); err != nil {
		t.Errorf("a one-day period and year: %v, want accepted", err)
	}
	reg.Years[0].To = day - 1
	if _, err := domain.Decide(domain.NewAgreement(), reg, ""); domain.ErrorCode(err) != domain.EInvalid {
		t.Errorf("a year ending the day before it starts: %v, want refused", err)
	}
}
