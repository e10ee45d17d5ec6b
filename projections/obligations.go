package projections

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Reporting obligations, their seals and restatements (issue 15).

// TargetAmendmentRow is a revision of an indicator's targets in a year.
type TargetAmendmentRow struct {
	Indicator string                   `json:"indicator"`
	Year      int                      `json:"year"`
	Previous  []domain.IndicatorTarget `json:"previous"`
	Targets   []domain.IndicatorTarget `json:"targets"`
	Date      domain.Date              `json:"date"`
	Reason    string                   `json:"reason"`
}

// SealRow is where a submitted report was sealed: the ReportSubmitted
// event's place in the ledger.
type SealRow struct {
	Report     string          `json:"report"`
	Submission int             `json:"submission"`
	EventID    uuid.UUID       `json:"event_id"`
	Position   domain.Position `json:"position"`
	RecordedAt time.Time       `json:"recorded_at"`
	Actor      string          `json:"actor"`
}

// applyWork folds the events of issue 15 into the view's lists (Apply
// calls it for the events it has no case of its own for).
func (v *AgreementView) applyWork(e Event, row *AuditRow) {
	switch ev := e.Data.(type) {
	case domain.DeliveryReversed:
		for i := len(v.Deliveries) - 1; i >= 0; i-- {
			if v.Deliveries[i].ID == ev.Delivery {
				v.Deliveries[i].Reversed = true
				break
			}
		}
		row.Year = ev.Year
	case domain.TargetAmended:
		v.TargetAmendments = append(v.TargetAmendments, TargetAmendmentRow(ev))
		row.Year = ev.Year
	case domain.ReportSubmitted:
		v.Seals = append(v.Seals, SealRow{Report: ev.Report, Submission: ev.Submission, EventID: e.ID, Position: e.Position, RecordedAt: e.Meta.RecordedAt, Actor: e.Meta.Actor})
		row.Year = ev.Year
	case domain.ReportRequired:
		row.Year = ev.Year
	}
}

// ObligationRow is a reporting obligation and where it stands on a day.
type ObligationRow struct {
	Agreement   string       `json:"agreement"`
	Report      string       `json:"report"`
	Name        string       `json:"name,omitempty"`
	Kind        string       `json:"kind"`
	Year        int          `json:"year"`
	Due         domain.Date  `json:"due"`
	Status      string       `json:"status"` // due, overdue, submitted, accepted, returned
	Overdue     bool         `json:"overdue"`
	Submissions int          `json:"submissions"`
	SubmittedOn *domain.Date `json:"submitted_on,omitempty"`
	Late        bool         `json:"late"` // submitted after the due date
	SHA256      string       `json:"sha256,omitempty"`
	AcceptedOn  *domain.Date `json:"accepted_on,omitempty"`
	ReturnedOn  *domain.Date `json:"returned_on,omitempty"`
	Returned    string       `json:"returned_reason,omitempty"`
	Responsible []string     `json:"responsible"` // the grantee: who owes the report
}

// ObligationsReport lists reporting obligations.
type ObligationsReport struct {
	Scope Scope           `json:"scope"`
	Today domain.Date     `json:"today"`
	Rows  []ObligationRow `json:"rows"`
	AsOf  *time.Time      `json:"as_of,omitempty"`
}

// obligationRow judges an obligation on today. Status is overdue when the
// due date has passed and the report is neither submitted nor accepted
// (a returned report is due again).
func obligationRow(a *domain.Agreement, o *domain.Obligation, today domain.Date) ObligationRow {
	r := ObligationRow{Agreement: a.AgreementNumber(), Report: o.Report, Name: o.Name, Kind: o.Kind, Year: o.Year, Due: o.Due, Status: o.Status,
		Submissions: o.Submissions, AcceptedOn: o.AcceptedOn, ReturnedOn: o.ReturnedOn, Returned: o.Returned, Responsible: []string{a.Registration().Grantee}}
	if s := o.Submitted; s != nil {
		d := s.Date
		r.SubmittedOn, r.SHA256 = &d, s.SHA256
		r.Late = s.Date > o.Due
	}
	if (o.Status == domain.ObligationDue || o.Status == domain.ObligationReturned) && today > o.Due {
		r.Overdue = true
		if o.Status == domain.ObligationDue {
			r.Status = "overdue"
		}
	}
	return r
}

// Obligations lists the reporting obligations of the agreements in scope,
// judged on today, by due date.
func (l *Ledger) Obligations(scope Scope, today domain.Date) ObligationsReport {
	r := ObligationsReport{Scope: scope, Today: today, Rows: []ObligationRow{}}
	if !l.asOf.IsZero() {
		t := l.asOf.UTC()
		r.AsOf = &t
	}
	for _, v := range l.order {
		if !scope.Matches(v.Agg) {
			continue
		}
		for _, o := range v.Agg.SortedObligations() {
			r.Rows = append(r.Rows, obligationRow(v.Agg, o, today))
		}
	}
	sort.SliceStable(r.Rows, func(i, j int) bool { return r.Rows[i].Due < r.Rows[j].Due })
	return r
}

// reportFindings adds the year's overdue obligations to a year report's
// findings, and says whether the year's report is not yet due: then the
// year's unspent money is not yet reported rather than unexplained.
func reportFindings(a *domain.Agreement, n int, today domain.Date) (out []Finding, notYetDue bool) {
	for _, o := range a.SortedObligations() {
		if o.Year != n {
			continue
		}
		row := obligationRow(a, o, today)
		if row.Overdue {
			due := o.Due
			out = append(out, Finding{Code: FindingReportOverdue, Year: n, Report: o.Report, Date: &due, Responsible: row.Responsible,
				Message: fmt.Sprintf("report %s (%s, year %d) was due on %s and is %s", o.Report, o.Kind, n, o.Due, o.Status)})
		}
		if o.Kind != domain.ReportOther && o.Status != domain.ObligationAccepted && o.Status != domain.ObligationSubmitted && today <= o.Due {
			notYetDue = true
		}
	}
	return out, notYetDue
}

// RestatementLine is one line's figures as sealed and as the ledger shows
// them now.
type RestatementLine struct {
	Line    string            `json:"line"`
	Sealed  domain.SealedLine `json:"sealed"`
	Now     domain.SealedLine `json:"now"`
	Changed []string          `json:"changed"` // the figures that differ
}

// RestatementIndicator is an indicator's delivered value as sealed and now.
type RestatementIndicator struct {
	Indicator string `json:"indicator"`
	Sealed    int64  `json:"sealed"`
	Now       int64  `json:"now"`
}

// Restatement compares a sealed report with the ledger now: its figures
// then and now, and every later event of the agreement that changes the
// sealed year's figures.
type Restatement struct {
	Agreement  string                 `json:"agreement"`
	Report     string                 `json:"report"`
	Year       int                    `json:"year"`
	Submission int                    `json:"submission"`
	SealedOn   domain.Date            `json:"sealed_on"`
	Seal       SealRow                `json:"seal"`
	SHA256     string                 `json:"sha256"`
	Checkpoint *domain.SealCheckpoint `json:"checkpoint,omitempty"`
	Restated   bool                   `json:"restated"`
	Lines      []RestatementLine      `json:"lines"`
	Indicators []RestatementIndicator `json:"indicators"`
	Later      []AuditRow             `json:"later_events"`
	AsOf       *time.Time             `json:"as_of,omitempty"`
}

// figureEvents are the event types that change a year's figures.
var figureEvents = map[string]bool{
	domain.TypeBudgetPlanned: true, domain.TypeBudgetAmended: true, domain.TypeSpendingRecorded: true, domain.TypeSpendingReversed: true,
	domain.TypeRemainderCarriedOver: true, domain.TypeUnspentReturned: true, domain.TypeIneligibleDeclared: true, domain.TypeIneligibleRecovered: true,
	domain.TypeIndicatorDelivered: true, domain.TypeDeliveryReversed: true, domain.TypeBudgetLineAdded: true,
}

// Restatement builds the restatement of the latest submission of report.
func (l *Ledger) Restatement(number, report string) (Restatement, error) {
	v, err := l.Agreement(number)
	if err != nil {
		return Restatement{}, err
	}
	a := v.Agg
	o := a.Work().Obligations[report]
	if o == nil || o.Submitted == nil {
		return Restatement{}, &domain.Error{Code: domain.ENotFound, Field: "report", Err: domain.ErrNotFound,
			Message: fmt.Sprintf("%s has no submitted report %q", number, report)}
	}
	s := o.Submitted
	r := Restatement{Agreement: number, Report: report, Year: s.Year, Submission: s.Submission, SealedOn: s.Date, SHA256: s.SHA256, Checkpoint: s.Checkpoint,
		Lines: []RestatementLine{}, Indicators: []RestatementIndicator{}, Later: []AuditRow{}}
	if !l.asOf.IsZero() {
		t := l.asOf.UTC()
		r.AsOf = &t
	}
	for _, seal := range v.Seals {
		if seal.Report == report && seal.Submission == s.Submission {
			r.Seal = seal
		}
	}
	nowLines, nowInds := a.Seal(s.Year)
	sealed := map[string]domain.SealedLine{}
	for _, sl := range s.Lines {
		sealed[sl.Line] = sl
	}
	for _, nl := range nowLines {
		sl, ok := sealed[nl.Line]
		if !ok {
			sl = domain.SealedLine{Line: nl.Line}
		}
		rl := RestatementLine{Line: nl.Line, Sealed: sl, Now: nl, Changed: changedFigures(sl, nl)}
		r.Restated = r.Restated || len(rl.Changed) > 0
		r.Lines = append(r.Lines, rl)
	}
	sealedInd := map[string]int64{}
	for _, si := range s.Indicators {
		sealedInd[si.Indicator] = si.Delivered
	}
	for _, ni := range nowInds {
		ri := RestatementIndicator{Indicator: ni.Indicator, Sealed: sealedInd[ni.Indicator], Now: ni.Delivered}
		r.Restated = r.Restated || ri.Sealed != ri.Now
		r.Indicators = append(r.Indicators, ri)
	}
	// The agreement's later events from the audit trail, decoding only
	// the chunks that name its stream.
	q := auditScan{names: func(names []string) bool { return slices.Contains(names, v.Stream) }}
	q.pick = func(row *AuditEntry) bool {
		if row.Stream != v.Stream || !r.Seal.Position.Less(row.Position) || !figureEvents[row.Type] {
			return false
		}
		// A carry-over is listed under its from-year and also changes the
		// next year's carried in.
		return row.Year == s.Year || (row.Type == domain.TypeRemainderCarriedOver && row.Year == s.Year-1) || row.Type == domain.TypeBudgetLineAdded
	}
	l.audit.scan(q, func(e *AuditEntry) bool {
		r.Later = append(r.Later, entryRow(e))
		return true
	})
	return r, nil
}

func changedFigures(a, b domain.SealedLine) []string {
	out := []string{}
	pairs := []struct {
		name string
		x, y domain.Money
	}{{"planned", a.Planned, b.Planned}, {"carried_in", a.CarriedIn, b.CarriedIn}, {"actual", a.Actual, b.Actual}, {"carried_over", a.CarriedOver, b.CarriedOver},
		{"returned", a.Returned, b.Returned}, {"ineligible", a.Ineligible, b.Ineligible}, {"recovered", a.Recovered, b.Recovered}}
	for _, p := range pairs {
		if p.x != p.y {
			out = append(out, p.name)
		}
	}
	return out
}

// addObligations adds the year's obligations to its report: their rows,
// the overdue ones as findings, and, while the year's report is not yet
// due, its remainder as not yet reported instead of unexplained.
func addObligations(r *YearReport, a *domain.Agreement, n int, today domain.Date) {
	for _, o := range a.SortedObligations() {
		if o.Year == n {
			r.Obligations = append(r.Obligations, obligationRow(a, o, today))
		}
	}
	found, notYetDue := reportFindings(a, n, today)
	if notYetDue {
		kept := r.Findings[:0]
		for _, f := range r.Findings {
			if f.Code == FindingUnexplainedRemainder {
				r.NotYetReported = f.Amount
				continue
			}
			kept = append(kept, f)
		}
		r.Findings = kept
	}
	r.Findings = append(r.Findings, found...)
}
