package projections

import (
	"fmt"
	"time"

	"github.com/grantledger/grantledger/domain"
)

// Scope selects agreements. Empty fields match every agreement; set fields
// must all match: the agreement number exactly (byte for byte, as streams
// are keyed), organisations and programme as domain.SameOrganisation says
// (exactly after Unicode NFC and white-space folding; case counts).
type Scope struct {
	Funder    string `json:"funder,omitempty"`
	Programme string `json:"programme,omitempty"`
	Grantee   string `json:"grantee,omitempty"`
	Agreement string `json:"agreement,omitempty"`
	// Viewer, when set, is who the rows are selected for: an agreement is
	// in scope only when the viewer may see it. app/access.Principal is
	// the one viewer (its MaySeeParties is access.MaySee, the one access
	// decision the API and the web pages use too); it is declared here so
	// that the folds do not depend on the application floor above them.
	Viewer Viewer `json:"-"`
}

// Viewer decides whether a reader may see an agreement with these parties.
type Viewer interface {
	MaySeeParties(funder, grantee string) bool
}

// Matches reports whether the agreement is in scope.
func (s Scope) Matches(a *domain.Agreement) bool {
	if s.Viewer != nil && !s.Viewer.MaySeeParties(a.Registration().Funder, a.Registration().Grantee) {
		return false
	}
	eq := func(want, got string) bool {
		return domain.CanonicalName(want) == "" || domain.SameOrganisation(want, got)
	}
	return eq(s.Funder, a.Registration().Funder) && eq(s.Programme, a.Registration().Programme) && eq(s.Grantee, a.Registration().Grantee) &&
		(s.Agreement == "" || s.Agreement == a.AgreementNumber())
}

// Window is what part of time a reconciliation covers: one implementation
// year (Year > 0), or a date range From..To, both ends included (a calendar
// year is 1 January to 31 December).
//
// For a date range, an agreement's implementation years that overlap the
// range are taken in full for planned, carried in, carried over and
// returned (these belong to a year, not to a day), while actual is the sum
// of the spending whose date lies in the range (reversed spending is left
// out). Remainder is then planned + carried in - actual - carried over -
// returned, so the identity holds row by row; when the range cuts a year,
// it says what of those years' funds the spending inside the range left.
type Window struct {
	Year int         `json:"year,omitempty"`
	From domain.Date `json:"from,omitempty"`
	To   domain.Date `json:"to,omitempty"`
}

// CalendarYear returns the window of calendar year y.
func CalendarYear(y int) Window {
	return Window{From: domain.NewDate(y, time.January, 1), To: domain.NewDate(y, time.December, 31)}
}

// Basis names the window's kind: "implementation_year" or "date_range".
func (w Window) Basis() string {
	if w.Year > 0 {
		return "implementation_year"
	}
	return "date_range"
}

// Check says what is wrong with the window, if anything.
func (w Window) Check() error {
	if w.Year > 0 {
		return nil
	}
	if w.From == 0 || w.To == 0 || w.To < w.From {
		return domain.FieldError("window", "give an implementation year, a calendar year, or a date range whose end (%s) is not before its start (%s)", w.To, w.From)
	}
	return nil
}

// ReconRow is one budget line of one agreement in a reconciliation.
type ReconRow struct {
	Agreement string `json:"agreement"`
	Funder    string `json:"funder"`
	Programme string `json:"programme,omitempty"`
	Grantee   string `json:"grantee"`
	Years     []int  `json:"years"`
	Figures
	Variance    domain.Money `json:"variance"`
	Utilisation *Percent     `json:"utilisation_pct"`
	// PlannedApportioned, for a date range, is the share of the plans in
	// force of the years covered that falls in the range, pro rata by
	// days (see domain.ApportionedTo and apportion.go).
	PlannedApportioned *domain.Money `json:"planned_apportioned,omitempty"`
	// ApportionedUtilisation is actual / planned_apportioned.
	ApportionedUtilisation *Percent `json:"apportioned_utilisation_pct,omitempty"`
	// The agreement's ceiling (total funding; null when none) and support
	// intensity, as on every report that shows an agreement.
	Ceiling          *domain.Money `json:"ceiling"`
	SupportIntensity string        `json:"support_intensity,omitempty"`
}

// ReconTotal is the sum of reconciliation rows.
type ReconTotal struct {
	Figures
	Variance               domain.Money  `json:"variance"`
	Utilisation            *Percent      `json:"utilisation_pct"`
	PlannedApportioned     *domain.Money `json:"planned_apportioned,omitempty"`
	ApportionedUtilisation *Percent      `json:"apportioned_utilisation_pct,omitempty"`
}

// Reconciliation compares planned and actual per budget line across
// agreements. Its JSON form is documented in docs/REPORTS.md.
type Reconciliation struct {
	Scope      Scope      `json:"scope"`
	Basis      string     `json:"basis"`
	Window     Window     `json:"window"`
	Agreements int        `json:"agreements"`
	Rows       []ReconRow `json:"rows"`
	Total      ReconTotal `json:"total"`
	AsOf       *time.Time `json:"as_of,omitempty"`
}

func withVariance(f Figures) (domain.Money, *Percent) {
	var up *Percent
	if p, ok := f.Utilisation(); ok {
		up = &p
	}
	return f.Variance(), up
}

// Reconcile builds the reconciliation of every agreement in scope over the
// window.
func (l *Ledger) Reconcile(scope Scope, w Window) (Reconciliation, error) {
	if err := w.Check(); err != nil {
		return Reconciliation{}, err
	}
	r := Reconciliation{Scope: scope, Basis: w.Basis(), Window: w, Rows: []ReconRow{}}
	if !l.asOf.IsZero() {
		t := l.asOf.UTC()
		r.AsOf = &t
	}
	for _, v := range l.order {
		a := v.Agg
		if !scope.Matches(a) {
			continue
		}
		years := windowYears(a, w)
		if len(years) == 0 {
			continue
		}
		r.Agreements++
		var actual map[string]domain.Money
		if w.Year == 0 {
			actual = make(map[string]domain.Money, len(a.Lines()))
			for i := range v.Spendings {
				s := &v.Spendings[i]
				if !s.Reversed && s.Date >= w.From && s.Date <= w.To {
					actual[s.Line] += s.Amount
				}
			}
		}
		for _, ls := range a.Lines() {
			var f Figures
			for _, y := range years {
				f = f.Add(FiguresOf(a.Cell(ls.Line, y)))
			}
			if actual != nil {
				f.Actual = actual[ls.Line]
				f.Remainder = f.Planned + f.CarriedIn - f.Actual - f.CarriedOver - f.Returned
				f.Overspend = max(0, -f.Remainder)
			}
			f.Line, f.Name = ls.Line, a.LineName(ls.Line)
			row := ReconRow{Agreement: a.AgreementNumber(), Funder: a.Registration().Funder, Programme: a.Registration().Programme, Grantee: a.Registration().Grantee, Years: years, Figures: f}
			if c, ok := a.Ceiling(); ok {
				row.Ceiling = &c
			}
			row.SupportIntensity = a.Registration().SupportIntensity
			row.Variance, row.Utilisation = withVariance(f)
			if w.Year == 0 {
				row.PlannedApportioned, row.ApportionedUtilisation = apportioned(a, ls.Line, years, w, f.Actual)
				r.Total.PlannedApportioned = addPtr(r.Total.PlannedApportioned, *row.PlannedApportioned)
			}
			r.Rows = append(r.Rows, row)
			var ok bool
			if r.Total.Figures, ok = r.Total.Figures.addChecked(f); !ok {
				return Reconciliation{}, totalTooLarge(r.Agreements)
			}
		}
	}
	r.Total.Line, r.Total.Name = "", ""
	r.Total.Variance, r.Total.Utilisation = withVariance(r.Total.Figures)
	if r.Total.PlannedApportioned != nil {
		if p, ok := PercentOf(int64(r.Total.Actual), int64(*r.Total.PlannedApportioned)); ok {
			r.Total.ApportionedUtilisation = &p
		}
	}
	return r, nil
}

// windowYears returns the implementation years of a that the window covers.
func windowYears(a *domain.Agreement, w Window) []int {
	if w.Year > 0 {
		if a.Year(w.Year) == nil {
			return nil
		}
		return []int{w.Year}
	}
	var out []int
	rng := domain.Period{From: w.From, To: w.To}
	for _, y := range a.Years() {
		if y.Period().Overlaps(rng) {
			out = append(out, y.Year)
		}
	}
	return out
}

// MultiYearRow is one budget line of one agreement with its years side by
// side: Cells[i] is year i+1.
type MultiYearRow struct {
	Agreement string    `json:"agreement"`
	Line      string    `json:"line"`
	Name      string    `json:"name"`
	Cells     []Figures `json:"years"`
	Total     Figures   `json:"total"`
	// Ceiling and SupportIntensity as in ReconRow.
	Ceiling          *domain.Money `json:"ceiling"`
	SupportIntensity string        `json:"support_intensity,omitempty"`
}

// MultiYear is the multi-year view: every line of every agreement in scope
// with its implementation years as columns.
type MultiYear struct {
	Scope  Scope          `json:"scope"`
	Years  int            `json:"years"`
	Rows   []MultiYearRow `json:"rows"`
	Totals []Figures      `json:"totals"`
	AsOf   *time.Time     `json:"as_of,omitempty"`
}

// MultiYear builds the multi-year view of the agreements in scope. Use
// MultiYearChecked where the scope may hold many agreements: MultiYear's
// yearly totals would wrap past int64 cents (over 9 000 agreements at
// domain.MaxFigure).
func (l *Ledger) MultiYear(scope Scope) MultiYear {
	m, _ := l.multiYear(scope)
	return m
}

// MultiYearChecked is MultiYear that refuses, rather than wrap, totals too
// large for int64 cents.
func (l *Ledger) MultiYearChecked(scope Scope) (MultiYear, error) {
	return l.multiYear(scope)
}

func (l *Ledger) multiYear(scope Scope) (MultiYear, error) {
	var tooLarge error
	m := MultiYear{Scope: scope, Rows: []MultiYearRow{}}
	if !l.asOf.IsZero() {
		t := l.asOf.UTC()
		m.AsOf = &t
	}
	inScope := 0
	for _, v := range l.order {
		if scope.Matches(v.Agg) {
			m.Years = max(m.Years, len(v.Agg.Years()))
			inScope++
		}
	}
	m.Totals = make([]Figures, m.Years)
	for _, v := range l.order {
		a := v.Agg
		if !scope.Matches(a) {
			continue
		}
		for _, ls := range a.Lines() {
			row := MultiYearRow{Agreement: a.AgreementNumber(), Line: ls.Line, Name: a.LineName(ls.Line), Cells: make([]Figures, m.Years)}
			if c, ok := a.Ceiling(); ok {
				row.Ceiling = &c
			}
			row.SupportIntensity = a.Registration().SupportIntensity
			for y := 1; y <= len(a.Years()); y++ {
				f := FiguresOf(a.Cell(ls.Line, y))
				row.Cells[y-1] = f
				row.Total = row.Total.Add(f) // one agreement's line: within domain.MaxFigure
				var ok bool
				if m.Totals[y-1], ok = m.Totals[y-1].addChecked(f); !ok && tooLarge == nil {
					tooLarge = totalTooLarge(inScope)
				}
			}
			m.Rows = append(m.Rows, row)
		}
	}
	return m, tooLarge
}

// String describes the window for headings.
func (w Window) String() string {
	if w.Year > 0 {
		return fmt.Sprintf("implementation year %d", w.Year)
	}
	return w.From.String() + ".." + w.To.String()
}
