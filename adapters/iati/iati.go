// Package iati writes grantledger's agreements as IATI 2.03 activity XML,
// the transparency standard funders publish to: one iati-activity per
// agreement with its organisations, Latvian and English narratives, dates,
// a budget per implementation year (original, and revised after an
// amendment), expenditure transactions (reversals as negative values) and
// results with a target and an actual value for every indicator year.
// docs/INTEROP.md lists what maps to what and how identifiers are formed.
package iati

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/grantledger/grantledger/domain"
)

// Version is the IATI standard version written.
const Version = "2.03"

// IATI codes used (codelists of the standard).
const (
	roleFunding        = "1" // OrganisationRole: Funding
	roleImplementing   = "4" // OrganisationRole: Implementing
	orgTypeGovernment  = "10"
	orgTypeNationalNGO = "22"
	otherIDReporting   = "A1" // OtherIdentifierType: reporting organisation's own activity identifier
	statusPipeline     = "1"
	statusImplementing = "2"
	statusFinalisation = "3"
	statusClosed       = "4"
	datePlannedStart   = "1"
	dateActualStart    = "2"
	datePlannedEnd     = "3"
	dateActualEnd      = "4"
	budgetOriginal     = "1" // BudgetType
	budgetRevised      = "2"
	budgetCommitted    = "2" // BudgetStatus
	txDisbursement     = "3" // TransactionType
	txExpenditure      = "4"
	resultOutput       = "1" // ResultType
	measureUnit        = "1" // IndicatorMeasure
)

// Options configure the export.
type Options struct {
	// Agreements are the numbers of the agreements to export; empty means
	// every agreement in the store.
	Agreements []string
	// OrgRef is the IATI organisation identifier of the reporting
	// organisation (the funder), such as "LV-RUR-90000012345". Empty: a
	// placeholder "LV-GL-" + 8 hex digits of the SHA-256 of the funder's
	// name, to be replaced by the real identifier before publishing.
	OrgRef string
	// Reporting is whose export it is: ReportingFunder (empty: the
	// default) or ReportingGrantee, whose payments received are incoming
	// funds (granteeside.go). OrgRef is then the grantee's identifier.
	Reporting string
	// Now is the time written as generated-datetime and used to tell a
	// finished activity from one still running. Zero: the time of the
	// latest event exported.
	Now time.Time
}

// Export reads the agreements from store and writes an iati-activities
// document to w.
func Export(ctx context.Context, store domain.EventStore, w io.Writer, opts Options) error {
	if opts.Reporting != "" && opts.Reporting != ReportingFunder && opts.Reporting != ReportingGrantee {
		return domain.Errorf(domain.EInvalid, "reporting %q: expected %s or %s", opts.Reporting, ReportingFunder, ReportingGrantee)
	}
	hs, err := load(ctx, store, opts.Agreements)
	if err != nil {
		return err
	}
	doc := activities{Version: Version}
	var latest time.Time
	for _, h := range hs {
		for _, e := range h.Events {
			if e.Meta.RecordedAt.After(latest) {
				latest = e.Meta.RecordedAt
			}
		}
	}
	now := opts.Now
	if now.IsZero() {
		now = latest
	}
	if !now.IsZero() {
		doc.Generated = now.UTC().Format(time.RFC3339)
	}
	seen := map[string]string{}
	for _, h := range hs {
		if !h.Agg.Registered() {
			continue
		}
		var act iatiActivity
		if opts.Reporting == ReportingGrantee {
			act = activity(h, "", domain.DateOf(now))
			granteeSide(&act, h, opts.OrgRef)
		} else {
			act = activity(h, opts.OrgRef, domain.DateOf(now))
		}
		if other, ok := seen[act.Identifier]; ok {
			return fmt.Errorf("agreements %q and %q get the same IATI identifier %q", other, h.Agg.AgreementNumber(), act.Identifier)
		}
		seen[act.Identifier] = h.Agg.AgreementNumber()
		doc.Activities = append(doc.Activities, act)
	}
	if len(doc.Activities) == 0 {
		return domain.Errorf(domain.ENotFound, "no agreements to export: the ledger is empty")
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write IATI XML: %w", err)
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// OrgRef returns the reporting organisation identifier used when none is
// configured: "LV-GL-" and the first 8 hex digits of the SHA-256 of the
// funder's name.
func OrgRef(funder string) string { return "LV-GL-" + hash8(funder) }

// Identifier returns the iati-identifier of an agreement: the reporting
// organisation's identifier, "-", and the agreement number with every
// character other than ASCII letters, digits, "-", "_" and "." replaced by
// "-"; when something was replaced, "-" and 8 hex digits of the SHA-256 of
// the number follow, so different numbers never share an identifier.
func Identifier(orgRef, number string) string {
	var b strings.Builder
	changed := number == ""
	for _, r := range number {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			b.WriteRune(r)
			continue
		}
		b.WriteByte('-')
		changed = true
	}
	id := orgRef + "-" + b.String()
	if changed {
		id += "-" + hash8(number)
	}
	return id
}

func hash8(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

func activity(h *history, orgRef string, today domain.Date) iatiActivity {
	a := h.Agg
	if orgRef == "" {
		orgRef = OrgRef(a.Registration().Funder)
	}
	kindEN, kindLV := "Grant project", "Projekts"
	if a.Registration().Kind == domain.KindDelegation {
		kindEN, kindLV = "Delegation agreement", "Deleģēšanas līgums"
	}
	if a.Registration().Kind == domain.KindMemorandum {
		kindEN, kindLV = "Cooperation memorandum", "Sadarbības memorands"
	}
	var last time.Time
	var firstSpend, lastClose domain.Date
	for _, e := range h.Events {
		if e.Meta.RecordedAt.After(last) {
			last = e.Meta.RecordedAt
		}
		switch ev := e.Event.(type) {
		case domain.SpendingRecorded:
			if firstSpend == 0 || ev.Date < firstSpend {
				firstSpend = ev.Date
			}
		case domain.YearClosed:
			if ev.Date > lastClose {
				lastClose = ev.Date
			}
		}
	}
	act := iatiActivity{
		Lang:       "lv",
		Currency:   "EUR",
		Identifier: Identifier(orgRef, a.AgreementNumber()),
		ReportingOrg: org{Ref: orgRef, Type: orgTypeGovernment,
			Narratives: []narrative{{Text: a.Registration().Funder}}},
		Title: text{Narratives: []narrative{
			{Lang: "lv", Text: a.Registration().Title},
			{Lang: "en", Text: fmt.Sprintf("%s %s: %s", kindEN, a.AgreementNumber(), a.Registration().Title)},
		}},
		Descriptions: []description{{Type: "1", Narratives: []narrative{
			{Lang: "lv", Text: fmt.Sprintf("%s %s. Finansētājs: %s. Īstenotājs: %s. Programma: %s. Periods: %s, %d īstenošanas gadi.", kindLV, a.AgreementNumber(), a.Registration().Funder, a.Registration().Grantee, dash(a.Registration().Programme), a.Registration().Period.Latvian(), len(a.Years()))},
			{Lang: "en", Text: fmt.Sprintf("%s %s. Funder: %s. Implemented by: %s. Programme: %s. Period: %s, %d implementation years.", kindEN, a.AgreementNumber(), a.Registration().Funder, a.Registration().Grantee, dash(a.Registration().Programme), a.Registration().Period, len(a.Years()))},
		}}},
		Participating: []participatingOrg{
			{Role: roleFunding, Type: orgTypeGovernment, Ref: orgRef, Narratives: []narrative{{Text: a.Registration().Funder}}},
			{Role: roleImplementing, Type: orgTypeNationalNGO, Narratives: []narrative{{Text: a.Registration().Grantee}}},
		},
		OtherIDs: []otherID{{Ref: a.AgreementNumber(), Type: otherIDReporting}},
		Dates: []activityDate{
			{Type: datePlannedStart, Date: a.Registration().Period.From.String()},
			{Type: datePlannedEnd, Date: a.Registration().Period.To.String()},
		},
	}
	if !last.IsZero() {
		act.Updated = last.UTC().Format(time.RFC3339)
	}
	allClosed := len(a.Years()) > 0
	for _, y := range a.Years() {
		allClosed = allClosed && y.Closed
	}
	switch {
	case allClosed:
		act.Status = codeOf(statusClosed)
	case today > a.Registration().Period.To:
		act.Status = codeOf(statusFinalisation)
	case today < a.Registration().Period.From && firstSpend == 0:
		act.Status = codeOf(statusPipeline)
	default:
		act.Status = codeOf(statusImplementing)
	}
	if firstSpend != 0 {
		act.Dates = append(act.Dates, activityDate{Type: dateActualStart, Date: firstSpend.String()})
	}
	if allClosed && lastClose != 0 {
		act.Dates = append(act.Dates, activityDate{Type: dateActualEnd, Date: lastClose.String()})
	}
	sort.SliceStable(act.Dates, func(i, j int) bool { return act.Dates[i].Type < act.Dates[j].Type })

	// Budgets: per year the original plan and, after an amendment, the
	// revised one dated by the latest amendment's effective date.
	lastAmend := map[int]domain.Date{}
	for _, e := range h.Events {
		if ev, ok := e.Event.(domain.BudgetAmended); ok && ev.EffectiveDate > lastAmend[ev.Year] {
			lastAmend[ev.Year] = ev.EffectiveDate
		}
	}
	for _, y := range a.Years() {
		t := a.YearTotal(y.Year)
		if !t.IsPlanned {
			continue
		}
		p := periodOf(y.YearSpec)
		act.Budgets = append(act.Budgets, budget{Type: budgetOriginal, Status: budgetCommitted, Start: p.start, End: p.end,
			Value: value{ValueDate: y.From.String(), Amount: t.Original.String()}})
		if t.Amendments > 0 {
			act.Budgets = append(act.Budgets, budget{Type: budgetRevised, Status: budgetCommitted, Start: p.start, End: p.end,
				Value: value{ValueDate: lastAmend[y.Year].String(), Amount: t.Planned.String()}})
		}
	}

	// Transactions: expenditure for spending, its reversal as a negative
	// expenditure, unspent funds returned as a negative disbursement.
	grantee := &txOrg{Narratives: []narrative{{Text: a.Registration().Grantee}}}
	for _, e := range h.Events {
		switch ev := e.Event.(type) {
		case domain.SpendingRecorded:
			act.Transactions = append(act.Transactions, transaction{Ref: e.ID.String(), Type: codeOf(txExpenditure),
				Date: dateOf(ev.Date), Value: value{ValueDate: ev.Date.String(), Amount: ev.Amount.String()},
				Description: &text{Narratives: []narrative{{Lang: "lv", Text: strings.TrimSpace(fmt.Sprintf("%s: %s. Gads %d, rinda %s: %s", ev.Document, ev.Description, ev.Year, ev.Line, a.LineName(ev.Line)))}}},
				Provider:    grantee})
		case domain.SpendingReversed:
			act.Transactions = append(act.Transactions, transaction{Ref: e.ID.String(), Type: codeOf(txExpenditure),
				Date: dateOf(ev.Date), Value: value{ValueDate: ev.Date.String(), Amount: (-ev.Amount).String()},
				Description: &text{Narratives: []narrative{
					{Lang: "lv", Text: fmt.Sprintf("Izdevumu %s atcelšana (gads %d, rinda %s): %s", ev.Spending, ev.Year, ev.Line, ev.Reason)},
					{Lang: "en", Text: fmt.Sprintf("Reversal of spending %s (year %d, line %s): %s", ev.Spending, ev.Year, ev.Line, ev.Reason)},
				}},
				Provider: grantee})
		case domain.UnspentReturned:
			act.Transactions = append(act.Transactions, transaction{Ref: e.ID.String(), Type: codeOf(txDisbursement),
				Date: dateOf(ev.Date), Value: value{ValueDate: ev.Date.String(), Amount: (-ev.Amount).String()},
				Description: &text{Narratives: []narrative{
					{Lang: "lv", Text: fmt.Sprintf("Neizlietotais atlikums atgriezts (gads %d, rinda %s): %s", ev.Year, ev.Line, ev.To)},
					{Lang: "en", Text: fmt.Sprintf("Unspent funds returned (year %d, line %s) to %s", ev.Year, ev.Line, ev.To)},
				}},
				Provider: &txOrg{Ref: orgRef, Narratives: []narrative{{Text: a.Registration().Funder}}},
				Receiver: grantee})
		}
	}

	addCash(&act, h, orgRef)

	// Results: one output result holding every indicator, a period per
	// year that has a target or a delivery.
	if len(a.SortedIndicatorIDs()) > 0 {
		res := result{Type: resultOutput, AggregationStatus: "0",
			Title: text{Narratives: []narrative{{Lang: "lv", Text: "Rezultatīvie rādītāji"}, {Lang: "en", Text: "Performance indicators"}}}}
		for _, code := range a.SortedIndicatorIDs() {
			ind := a.Indicators()[code]
			in := indicator{Measure: measureUnit, Ascending: "1",
				Title: text{Narratives: []narrative{{Lang: "lv", Text: fmt.Sprintf("%s (%s)", ind.Name, ind.Unit)}}},
				Description: &text{Narratives: []narrative{
					{Lang: "lv", Text: fmt.Sprintf("Rādītājs %s; vienība: %s; %s", code, ind.Unit, aggLV(ind.Aggregation))},
					{Lang: "en", Text: fmt.Sprintf("Indicator %s; unit: %s; %s", code, ind.Unit, aggEN(ind.Aggregation))},
				}}}
			years := map[int]bool{}
			for _, t := range ind.Targets {
				years[t.Year] = true
			}
			for y := range ind.Delivered {
				years[y] = true
			}
			ys := make([]int, 0, len(years))
			for y := range years {
				ys = append(ys, y)
			}
			sort.Ints(ys)
			for _, yn := range ys {
				y := a.Year(yn)
				if y == nil {
					continue
				}
				p := periodOf(y.YearSpec)
				per := indicatorPeriod{Start: p.start, End: p.end}
				if t, ok := ind.Target(yn); ok {
					tv := &resultValue{Value: fmt.Sprint(t.Target)}
					if t.Due != nil {
						tv.Comment = &text{Narratives: []narrative{{Lang: "lv", Text: "Termiņš " + t.Due.Latvian()}, {Lang: "en", Text: "Due " + t.Due.String()}}}
					}
					per.Target = tv
				}
				per.Actual = &resultValue{Value: fmt.Sprint(ind.Value(yn))}
				in.Periods = append(in.Periods, per)
			}
			res.Indicators = append(res.Indicators, in)
		}
		act.Results = append(act.Results, res)
	}
	addWork(&act, h)
	return act
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func aggLV(agg string) string {
	switch agg {
	case domain.AggDistinct:
		return "skaita atšķirīgos (unikālos) identifikatorus"
	case domain.AggLatest:
		return "vērtība ir pēdējā ziņotā"
	}
	return "piegādes tiek summētas"
}

func aggEN(agg string) string {
	switch agg {
	case domain.AggDistinct:
		return "counts distinct identifiers"
	case domain.AggLatest:
		return "the value is the latest reported"
	}
	return "deliveries are added up"
}

type periodDates struct{ start, end isoDate }

func periodOf(y domain.YearSpec) periodDates {
	return periodDates{start: isoDate{Date: y.From.String()}, end: isoDate{Date: y.To.String()}}
}

func codeOf(c string) *code        { return &code{Code: c} }
func dateOf(d domain.Date) isoDate { return isoDate{Date: d.String()} }
