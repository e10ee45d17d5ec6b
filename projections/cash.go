package projections

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Finding codes of money that moves (issue 14).
const (
	FindingPaidAboveSchedule = "paid_above_schedule"
	FindingPaidAboveCeiling  = "paid_above_ceiling"
	FindingPlanAboveCeiling  = "planned_above_ceiling"
	FindingRefundOverdue     = "refund_overdue"
	FindingPrefinanced       = "prefinanced"
)

// RefundDays is how long after a return of unspent funds or a recovery
// the refund is due: the findings call it overdue from the next day on.
const RefundDays = 30

// CashFigures is the grantee's cash position of one implementation year
// (or of the agreement to date): held = disbursed − eligible spent −
// refunded. Outstanding is what is still due back of returns and
// recoveries.
type CashFigures struct {
	Year          int          `json:"year,omitempty"`
	Disbursed     domain.Money `json:"disbursed"`
	EligibleSpent domain.Money `json:"eligible_spent"`
	Refunded      domain.Money `json:"refunded"`
	Held          domain.Money `json:"held"`
	Outstanding   domain.Money `json:"outstanding"`
}

// DueRow is a return or recovery and what was refunded against it.
type DueRow struct {
	ID          uuid.UUID    `json:"id"`
	Kind        string       `json:"kind"`
	Line        string       `json:"line"`
	Year        int          `json:"year"`
	Amount      domain.Money `json:"amount"`
	Date        domain.Date  `json:"date"`
	DueDate     domain.Date  `json:"due_date"`
	Refunded    domain.Money `json:"refunded"`
	Outstanding domain.Money `json:"outstanding"`
}

// DisbursementRow is a payment to the grantee.
type DisbursementRow struct {
	ID        uuid.UUID    `json:"id"`
	Kind      string       `json:"kind,omitempty"`
	Year      int          `json:"year"`
	Amount    domain.Money `json:"amount"`
	Date      domain.Date  `json:"date"`
	Reference string       `json:"reference"`
	Reversed  bool         `json:"reversed"`
}

// CashReport is the grantee's cash position of one agreement: its ceiling
// and intensity, the payment schedule, the payments, what is due back,
// per year and to date.
type CashReport struct {
	Agreement        string                       `json:"agreement"`
	Performer        string                       `json:"performer"`
	Funder           string                       `json:"funder"`
	Ceiling          *domain.Money                `json:"ceiling"`
	SupportIntensity string                       `json:"support_intensity,omitempty"`
	Planned          domain.Money                 `json:"planned"`
	Scheduled        domain.Money                 `json:"scheduled"`
	Schedule         []domain.DisbursementPlanned `json:"schedule"`
	Disbursements    []DisbursementRow            `json:"disbursements"`
	Dues             []DueRow                     `json:"dues"`
	Years            []CashFigures                `json:"years"`
	Total            CashFigures                  `json:"total"`
	Findings         []Finding                    `json:"findings"`
	Today            domain.Date                  `json:"today"`
	// RecordsPayments: the agreement has a payment or a scheduled payment
	// (TracksCash); without one the position would read as pre-financed.
	RecordsPayments bool       `json:"records_payments"`
	AsOf            *time.Time `json:"as_of,omitempty"`
}

// TracksCash says whether the agreement records money that moves: a
// payment or a scheduled payment. Without one the ledger knows nothing of
// cash, and no cash finding is made (every spending would read as
// pre-financed).
func TracksCash(a *domain.Agreement) bool {
	return len(a.Cash().Disbursements) > 0 || len(a.Cash().Schedule) > 0
}

// CashYear returns the cash figures of year n.
func CashYear(a *domain.Agreement, n int) CashFigures {
	f := CashFigures{Year: n, Disbursed: a.Cash().Disbursed[n], EligibleSpent: a.EligibleSpent(n), Refunded: a.Cash().Refunded[n]}
	f.Held = f.Disbursed - f.EligibleSpent - f.Refunded
	for _, d := range a.Cash().Dues {
		if d.Year == n {
			f.Outstanding += d.Outstanding()
		}
	}
	return f
}

// CashReport builds the cash position of the agreement.
func (l *Ledger) CashReport(number string, today domain.Date) (CashReport, error) {
	v, err := l.Agreement(number)
	if err != nil {
		return CashReport{}, err
	}
	r := v.CashReport(today)
	if !l.asOf.IsZero() {
		t := l.asOf.UTC()
		r.AsOf = &t
	}
	return r, nil
}

// CashReport builds the cash position of the agreement as of today.
func (v *AgreementView) CashReport(today domain.Date) CashReport {
	a := v.Agg
	r := CashReport{
		Agreement: a.AgreementNumber(), Performer: a.Registration().Grantee, Funder: a.Registration().Funder, SupportIntensity: a.Registration().SupportIntensity,
		Planned: a.TotalPlanned(), Scheduled: a.TotalScheduled(), Today: today,
		Schedule: append([]domain.DisbursementPlanned{}, a.Cash().Schedule...), Disbursements: []DisbursementRow{},
		Dues: []DueRow{}, Years: []CashFigures{}, Findings: []Finding{},
	}
	if c, ok := a.Ceiling(); ok {
		r.Ceiling = &c
	}
	for _, d := range a.SortedDisbursements() {
		r.Disbursements = append(r.Disbursements, DisbursementRow{ID: d.ID, Kind: d.Kind, Year: d.Year, Amount: d.Amount, Date: d.Date, Reference: d.Reference, Reversed: d.Reversed})
	}
	for _, d := range a.SortedDues() {
		r.Dues = append(r.Dues, DueRow{ID: d.ID, Kind: d.Kind, Line: d.Line, Year: d.Year, Amount: d.Amount, Date: d.Date,
			DueDate: d.Date.AddDays(RefundDays), Refunded: d.Refunded, Outstanding: d.Outstanding()})
	}
	for _, y := range a.Years() {
		f := CashYear(a, y.Year)
		r.Years = append(r.Years, f)
		r.Total.Disbursed += f.Disbursed
		r.Total.EligibleSpent += f.EligibleSpent
		r.Total.Refunded += f.Refunded
		r.Total.Held += f.Held
		r.Total.Outstanding += f.Outstanding
	}
	r.Findings = cashFindings(a, 0, today)
	r.RecordsPayments = TracksCash(a)
	return r
}

// cashFindings judges the agreement's money that moves, for year n or, when
// n is 0, for the whole agreement.
func cashFindings(a *domain.Agreement, n int, today domain.Date) []Finding {
	out := []Finding{}
	if c, ok := a.Ceiling(); ok {
		if p := a.TotalPlanned(); p > c {
			out = append(out, Finding{Code: FindingPlanAboveCeiling, Year: n, Amount: money(p - c),
				Message: fmt.Sprintf("%s is planned in total, %s above the total funding of %s", p, p-c, c)})
		}
		if p := a.TotalDisbursed(); p > c {
			out = append(out, Finding{Code: FindingPaidAboveCeiling, Year: n, Amount: money(p - c),
				Message: fmt.Sprintf("%s was paid in total, %s above the total funding of %s", p, p-c, c)})
		}
	}
	if !TracksCash(a) {
		return out
	}
	if len(a.Cash().Schedule) > 0 {
		if p, s := a.TotalDisbursed(), a.TotalScheduled(); p > s {
			out = append(out, Finding{Code: FindingPaidAboveSchedule, Year: n, Amount: money(p - s),
				Message: fmt.Sprintf("%s was paid, %s more than the %s scheduled", p, p-s, s)})
		}
	}
	for _, d := range a.SortedDues() {
		if (n != 0 && d.Year != n) || d.Outstanding() <= 0 {
			continue
		}
		due := d.Date.AddDays(RefundDays)
		if today > due {
			out = append(out, Finding{Code: FindingRefundOverdue, Year: d.Year, Line: d.Line, Amount: money(d.Outstanding()), Date: &due,
				Message: fmt.Sprintf("%s of the %s of %s (%s, year %d) is not refunded; it was due on %s", d.Outstanding(), d.Kind, d.Amount, d.Line, d.Year, due)})
		}
	}
	for _, y := range a.Years() {
		if n != 0 && y.Year != n {
			continue
		}
		if f := CashYear(a, y.Year); f.Held < 0 {
			out = append(out, Finding{Code: FindingPrefinanced, Year: y.Year, Amount: money(-f.Held),
				Message: fmt.Sprintf("year %d: %s eligible spending is %s more than the %s received (less %s refunded): the grantee pre-financed it", y.Year, f.EligibleSpent, -f.Held, f.Disbursed, f.Refunded)})
		}
	}
	return out
}

// addCash puts the ceiling, the intensity, the year's cash position and
// its cash findings into a year report.
func addCash(r *YearReport, a *domain.Agreement, n int, today domain.Date) {
	if c, ok := a.Ceiling(); ok {
		r.Ceiling = &c
	}
	r.SupportIntensity = a.Registration().SupportIntensity
	r.Cash = CashYear(a, n)
	r.RecordsPayments = TracksCash(a)
	for _, y := range a.Years() {
		c := CashYear(a, y.Year)
		r.CashToDate.Disbursed += c.Disbursed
		r.CashToDate.EligibleSpent += c.EligibleSpent
		r.CashToDate.Refunded += c.Refunded
		r.CashToDate.Held += c.Held
		r.CashToDate.Outstanding += c.Outstanding
	}
	r.Findings = append(r.Findings, cashFindings(a, n, today)...)
	addAsClosed(r, a, n)
	addShares(r, a, n)
}

// apportioned returns the share of a line's plans in force, in the given
// implementation years, that falls in the window's dates (pro rata by days,
// largest remainder to the cent: domain.ApportionedTo), and actual as a
// percentage of it.
func apportioned(a *domain.Agreement, line string, years []int, w Window, actual domain.Money) (*domain.Money, *Percent) {
	var sum domain.Money
	win := domain.Period{From: w.From, To: w.To}
	for _, n := range years {
		if y := a.Year(n); y != nil {
			if parts, ok := a.Split(line, n); ok {
				sum += domain.ApportionedToSplit(parts, y.Period(), win) // the funder's split
			} else {
				sum += domain.ApportionedTo(a.Cell(line, n).Planned, y.Period(), win)
			}
		}
	}
	var up *Percent
	if p, ok := PercentOf(int64(actual), int64(sum)); ok {
		up = &p
	}
	return &sum, up
}

func addPtr(p *domain.Money, m domain.Money) *domain.Money {
	if p == nil {
		return &m
	}
	s := *p + m
	return &s
}
