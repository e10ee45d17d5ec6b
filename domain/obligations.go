package domain

import (
	"fmt"
	"sort"

	"github.com/google/uuid"
)

// Reporting obligations and documents (issue 15). An obligation is a
// report the grantee owes for an implementation year (interim, final, or
// any other deliverable) by a due date. submit_report seals what was
// submitted: the event itself is the seal (its place in the hash chain and
// in the Merkle log fix everything recorded before it), and it carries the
// SHA-256 and size of the rendered report file, the checkpoint the
// submitter holds (optional), and the year's figures as the ledger showed
// them, so that a later restatement can be shown against them. The funder
// accepts the report, or returns it with a reason (then it may be
// submitted again). Documents are registered by their SHA-256; the files
// stay outside the ledger.

// Stable event type names of obligations and documents, as stored.
const (
	TypeReportRequired     = "ReportRequired"
	TypeReportSubmitted    = "ReportSubmitted"
	TypeReportAccepted     = "ReportAccepted"
	TypeReportReturned     = "ReportReturned"
	TypeDocumentRegistered = "DocumentRegistered"
	TypeDocumentLinked     = "DocumentLinked"
)

// Command type names of obligations and documents.
const (
	CmdRequireReport    = "require_report"
	CmdSubmitReport     = "submit_report"
	CmdAcceptReport     = "accept_report"
	CmdReturnReport     = "return_report"
	CmdRegisterDocument = "register_document"
	CmdLinkDocument     = "link_document"
)

// Kinds of a reporting obligation.
const (
	ReportInterim = "interim"
	ReportFinal   = "final"
	ReportOther   = "other"
)

// States of an obligation.
const (
	ObligationDue       = "due"       // not submitted (or returned)
	ObligationSubmitted = "submitted" // waiting for the funder
	ObligationAccepted  = "accepted"
	ObligationReturned  = "returned" // returned with a reason; due again
)

// SealCheckpoint is a signed checkpoint of the Merkle log (docs/PROOFS.md)
// the submitter held when submitting: its tree size and root hash.
type SealCheckpoint struct {
	TreeSize uint64 `json:"tree_size"`
	RootHash string `json:"root_hash"`
}

// SealedLine is a line's figures in the year as the report sealed them.
type SealedLine struct {
	Line        string `json:"line"`
	Planned     Money  `json:"planned"`
	CarriedIn   Money  `json:"carried_in"`
	Actual      Money  `json:"actual"`
	CarriedOver Money  `json:"carried_over"`
	Returned    Money  `json:"returned"`
	Ineligible  Money  `json:"ineligible"`
	Recovered   Money  `json:"recovered"`
}

// SealedIndicator is an indicator's delivered value in the year as the
// report sealed it.
type SealedIndicator struct {
	Indicator string `json:"indicator"`
	Delivered int64  `json:"delivered"`
}

// ReportRequired is a report the grantee owes.
type ReportRequired struct {
	Report string `json:"report"`
	Kind   string `json:"kind"`
	Year   int    `json:"year"`
	Due    Date   `json:"due"`
	Name   string `json:"name,omitempty"`
}

// ReportSubmitted seals a submitted report (see the package comment
// above). Submission counts the submissions of the obligation, from 1.
type ReportSubmitted struct {
	Report     string            `json:"report"`
	Year       int               `json:"year"`
	Submission int               `json:"submission"`
	Date       Date              `json:"date"`
	SHA256     string            `json:"sha256"`
	Size       int64             `json:"size"`
	Document   string            `json:"document,omitempty"`
	Checkpoint *SealCheckpoint   `json:"checkpoint,omitempty"`
	Lines      []SealedLine      `json:"lines"`
	Indicators []SealedIndicator `json:"indicators"`
}

// ReportAccepted is the funder's acceptance of a submitted report.
type ReportAccepted struct {
	Report     string `json:"report"`
	Submission int    `json:"submission"`
	Date       Date   `json:"date"`
}

// ReportReturned is the funder returning a submitted report, with a reason.
type ReportReturned struct {
	Report     string `json:"report"`
	Submission int    `json:"submission"`
	Date       Date   `json:"date"`
	Reason     string `json:"reason"`
}

// DocumentRegistered names a file by its SHA-256; the file stays outside.
type DocumentRegistered struct {
	Document string `json:"document"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	URI      string `json:"uri,omitempty"`
}

// DocumentLinked ties a registered document to a spending, delivery or
// disbursement (by event id) or to a submitted report (by its code).
type DocumentLinked struct {
	Document string     `json:"document"`
	Event    *uuid.UUID `json:"event,omitempty"`
	Target   string     `json:"target"` // spending, delivery, disbursement or report
	Report   string     `json:"report,omitempty"`
}

func (ReportRequired) EventType() string     { return TypeReportRequired }
func (ReportSubmitted) EventType() string    { return TypeReportSubmitted }
func (ReportAccepted) EventType() string     { return TypeReportAccepted }
func (ReportReturned) EventType() string     { return TypeReportReturned }
func (DocumentRegistered) EventType() string { return TypeDocumentRegistered }
func (DocumentLinked) EventType() string     { return TypeDocumentLinked }

// RequireReport adds a reporting obligation.
type RequireReport struct {
	Ref
	Report string `json:"report"`
	Kind   string `json:"kind"`
	Year   int    `json:"year"`
	Due    Date   `json:"due"`
	Name   string `json:"name,omitempty"`
}

// SubmitReport submits (and seals) a report.
type SubmitReport struct {
	Ref
	Report     string          `json:"report"`
	Date       Date            `json:"date"`
	SHA256     string          `json:"sha256"`
	Size       int64           `json:"size"`
	Document   string          `json:"document,omitempty"`
	Checkpoint *SealCheckpoint `json:"checkpoint,omitempty"`
}

// AcceptReport accepts a submitted report.
type AcceptReport struct {
	Ref
	Report string `json:"report"`
	Date   Date   `json:"date"`
}

// ReturnReport returns a submitted report; the envelope's reason is
// required.
type ReturnReport struct {
	Ref
	Report string `json:"report"`
	Date   Date   `json:"date"`
}

// RegisterDocument registers a document by its SHA-256.
type RegisterDocument struct {
	Ref
	Document string `json:"document"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	URI      string `json:"uri,omitempty"`
}

// LinkDocument ties a registered document to a spending, delivery or
// disbursement (event) or a submitted report (report): exactly one.
type LinkDocument struct {
	Ref
	Document string     `json:"document"`
	Event    *uuid.UUID `json:"event,omitempty"`
	Report   string     `json:"report,omitempty"`
}

func (RequireReport) CommandType() string    { return CmdRequireReport }
func (SubmitReport) CommandType() string     { return CmdSubmitReport }
func (AcceptReport) CommandType() string     { return CmdAcceptReport }
func (ReturnReport) CommandType() string     { return CmdReturnReport }
func (RegisterDocument) CommandType() string { return CmdRegisterDocument }
func (LinkDocument) CommandType() string     { return CmdLinkDocument }

func registerObligationEvents(r *EventRegistry) {
	r.Register(TypeReportRequired, 1, func() Event { return &ReportRequired{} })
	r.Register(TypeReportSubmitted, 1, func() Event { return &ReportSubmitted{} })
	r.Register(TypeReportAccepted, 1, func() Event { return &ReportAccepted{} })
	r.Register(TypeReportReturned, 1, func() Event { return &ReportReturned{} })
	r.Register(TypeDocumentRegistered, 1, func() Event { return &DocumentRegistered{} })
	r.Register(TypeDocumentLinked, 1, func() Event { return &DocumentLinked{} })
}

func derefObligation(x any) any {
	switch v := x.(type) {
	case *ReportRequired:
		return *v
	case *ReportSubmitted:
		return *v
	case *ReportAccepted:
		return *v
	case *ReportReturned:
		return *v
	case *DocumentRegistered:
		return *v
	case *DocumentLinked:
		return *v
	}
	return nil
}

// Obligation is a reporting obligation and where it stands.
type Obligation struct {
	ReportRequired
	Status      string
	Submissions int
	Submitted   *ReportSubmitted // the latest submission
	SubmittedID uuid.UUID        // its event id
	AcceptedOn  *Date
	ReturnedOn  *Date
	Returned    string // the reason of the latest return
}

// Document is a registered document and what it is linked to.
type Document struct {
	DocumentRegistered
	ID    uuid.UUID
	Links []DocumentLinked
}

func (a *Agreement) applyObligation(id uuid.UUID, e Event) {
	w := &a.work
	switch ev := e.(type) {
	case ReportRequired:
		if _, ok := w.Obligations[ev.Report]; !ok {
			w.ObligOrder = append(w.ObligOrder, ev.Report)
		}
		w.Obligations[ev.Report] = &Obligation{ReportRequired: ev, Status: ObligationDue}
	case ReportSubmitted:
		if o := w.Obligations[ev.Report]; o != nil {
			cp := ev
			if len(cp.Lines) == 0 {
				cp.Lines = nil // as a snapshot restores it
			}
			if len(cp.Indicators) == 0 {
				cp.Indicators = nil
			}
			o.Status, o.Submissions, o.Submitted, o.SubmittedID = ObligationSubmitted, ev.Submission, &cp, id
		}
	case ReportAccepted:
		if o := w.Obligations[ev.Report]; o != nil {
			d := ev.Date
			o.Status, o.AcceptedOn = ObligationAccepted, &d
		}
	case ReportReturned:
		if o := w.Obligations[ev.Report]; o != nil {
			d := ev.Date
			o.Status, o.ReturnedOn, o.Returned = ObligationReturned, &d, ev.Reason
		}
	case DocumentRegistered:
		if _, ok := w.Documents[ev.Document]; !ok {
			w.DocOrder = append(w.DocOrder, ev.Document)
		}
		w.Documents[ev.Document] = &Document{DocumentRegistered: ev, ID: id}
	case DocumentLinked:
		if d := w.Documents[ev.Document]; d != nil {
			d.Links = append(d.Links, ev)
		}
	}
}

func (a *Agreement) obligation(code string) (*Obligation, error) {
	o := a.work.Obligations[code]
	if o == nil {
		return nil, &Error{Code: ENotFound, Field: "report", Message: fmt.Sprintf("%s has no reporting obligation %q (it has: %v)", a.reg.Number, code, a.work.ObligOrder), Err: ErrNotFound}
	}
	return o, nil
}

func (a *Agreement) document(code, field string) (*Document, error) {
	d := a.work.Documents[code]
	if d == nil {
		return nil, &Error{Code: ENotFound, Field: field, Message: fmt.Sprintf("%s has no registered document %q", a.reg.Number, code), Err: ErrNotFound}
	}
	return d, nil
}

// Seal returns the figures of year n as a report submitted now seals them.
func (a *Agreement) Seal(n int) ([]SealedLine, []SealedIndicator) {
	lines := make([]SealedLine, 0, len(a.lines))
	for _, l := range a.lines {
		c := a.Cell(l.Line, n)
		lines = append(lines, SealedLine{Line: l.Line, Planned: c.Planned, CarriedIn: c.CarriedIn, Actual: c.Actual, CarriedOver: c.CarriedOver,
			Returned: c.Returned, Ineligible: c.Ineligible, Recovered: c.Recovered})
	}
	inds := []SealedIndicator{}
	for _, id := range a.indicatorOrder {
		ind := a.indicators[id]
		_, hasTarget := ind.Target(n)
		if hasTarget || ind.Delivered[n] != nil {
			inds = append(inds, SealedIndicator{Indicator: id, Delivered: ind.Value(n)})
		}
	}
	return lines, inds
}

func (a *Agreement) decideObligation(cmd Command, reason string) ([]Event, bool, error) {
	switch c := cmd.(type) {
	case RequireReport:
		evs, err := a.decideRequireReport(c)
		return evs, true, err
	case SubmitReport:
		evs, err := a.decideSubmitReport(c)
		return evs, true, err
	case AcceptReport, ReturnReport:
		evs, err := a.decideSettleReport(cmd, reason)
		return evs, true, err
	case RegisterDocument:
		evs, err := a.decideRegisterDocument(c)
		return evs, true, err
	case LinkDocument:
		evs, err := a.decideLinkDocument(c)
		return evs, true, err
	}
	return nil, false, nil
}

// decideRequireReport defines a reporting obligation of a year.
func (a *Agreement) decideRequireReport(c RequireReport) ([]Event, error) {
	if _, ok := a.work.Obligations[c.Report]; ok {
		return nil, &Error{Code: EDuplicate, Field: "report", Message: fmt.Sprintf("reporting obligation %q is already defined in %s", c.Report, a.reg.Number), Err: ErrDuplicate}
	}
	if a.Year(c.Year) == nil {
		return nil, a.noYear(c.Year)
	}
	return []Event{ReportRequired{Report: c.Report, Kind: c.Kind, Year: c.Year, Due: c.Due, Name: c.Name}}, nil
}

// decideSubmitReport submits a report, sealing its year's figures.
func (a *Agreement) decideSubmitReport(c SubmitReport) ([]Event, error) {
	o, err := a.obligation(c.Report)
	if err != nil {
		return nil, err
	}
	switch o.Status {
	case ObligationSubmitted:
		return nil, rule("report-already-submitted", fmt.Sprintf("report %s of %s was submitted on %s (submission %d) and waits for the funder; it can be submitted again only after it is returned", c.Report, a.reg.Number, o.Submitted.Date, o.Submissions), nil)
	case ObligationAccepted:
		return nil, rule("report-already-accepted", fmt.Sprintf("report %s of %s was accepted on %s", c.Report, a.reg.Number, *o.AcceptedOn), nil)
	}
	if c.Document != "" {
		if _, err := a.document(c.Document, "document"); err != nil {
			return nil, err
		}
	}
	lines, inds := a.Seal(o.Year)
	return []Event{ReportSubmitted{Report: c.Report, Year: o.Year, Submission: o.Submissions + 1, Date: c.Date, SHA256: c.SHA256, Size: c.Size,
		Document: c.Document, Checkpoint: c.Checkpoint, Lines: lines, Indicators: inds}}, nil
}

// decideSettleReport accepts, or returns with a reason, a submitted report.
func (a *Agreement) decideSettleReport(c Command, reason string) ([]Event, error) {
	code, date := "", Date(0)
	if ac, ok := c.(AcceptReport); ok {
		code, date = ac.Report, ac.Date
	} else {
		if err := requireReason(reason, "returning a report"); err != nil {
			return nil, err
		}
		rr := c.(ReturnReport)
		code, date = rr.Report, rr.Date
	}
	o, err := a.obligation(code)
	if err != nil {
		return nil, err
	}
	if o.Status != ObligationSubmitted {
		return nil, rule("report-not-submitted", fmt.Sprintf("report %s of %s is %s: only a submitted report can be accepted or returned", code, a.reg.Number, o.Status), nil)
	}
	if _, ok := c.(AcceptReport); ok {
		return []Event{ReportAccepted{Report: code, Submission: o.Submissions, Date: date}}, nil
	}
	return []Event{ReportReturned{Report: code, Submission: o.Submissions, Date: date, Reason: reason}}, nil
}

// decideRegisterDocument registers a document by its SHA-256.
func (a *Agreement) decideRegisterDocument(c RegisterDocument) ([]Event, error) {
	if d := a.work.Documents[c.Document]; d != nil {
		return nil, &Error{Code: EDuplicate, Field: "document", Message: fmt.Sprintf("document %q is already registered in %s (%s)", c.Document, a.reg.Number, d.Name), Err: ErrDuplicate}
	}
	for _, code := range a.work.DocOrder {
		if d := a.work.Documents[code]; d.SHA256 == c.SHA256 {
			return nil, &Error{Code: EDuplicate, Field: "sha256", Message: fmt.Sprintf("the file with SHA-256 %s is already registered in %s as document %s (%s)", c.SHA256, a.reg.Number, d.Document, d.Name), Err: ErrDuplicate}
		}
	}
	return []Event{DocumentRegistered{Document: c.Document, Kind: c.Kind, Name: c.Name, SHA256: c.SHA256, Size: c.Size, URI: c.URI}}, nil
}

// decideLinkDocument links a document to a spending, delivery, disbursement or submitted report.
func (a *Agreement) decideLinkDocument(c LinkDocument) ([]Event, error) {
	d, err := a.document(c.Document, "document")
	if err != nil {
		return nil, err
	}
	if (c.Event == nil) == (c.Report == "") {
		return nil, FieldError("event", "name exactly one of event (a spending, delivery or disbursement by its event id) or report (a submitted report by its code)")
	}
	ev := DocumentLinked{Document: c.Document, Event: c.Event, Report: c.Report}
	if c.Report != "" {
		o, err := a.obligation(c.Report)
		if err != nil {
			return nil, err
		}
		if o.Submissions == 0 {
			return nil, rule("report-not-submitted", fmt.Sprintf("report %s of %s has not been submitted: a document is linked to a submitted report", c.Report, a.reg.Number), nil)
		}
		ev.Target = "report"
	} else {
		switch id := *c.Event; {
		case a.spendings[id] != nil:
			ev.Target = "spending"
		case a.work.Deliveries[id] != nil:
			ev.Target = "delivery"
		case a.cash.Disbursements[id] != nil:
			ev.Target = "disbursement"
		default:
			return nil, &Error{Code: ENotFound, Field: "event", Message: fmt.Sprintf("no spending, delivery or disbursement with event id %s in %s", id, a.reg.Number), Err: ErrNotFound}
		}
	}
	for _, l := range d.Links {
		if l.Target == ev.Target && l.Report == ev.Report && (l.Event == nil) == (ev.Event == nil) && (l.Event == nil || *l.Event == *ev.Event) {
			return nil, rule("document-already-linked", fmt.Sprintf("document %s is already linked to that %s", c.Document, ev.Target), nil)
		}
	}
	return []Event{ev}, nil
}

// SortedObligations returns the reporting obligations by due date, then code.
func (a *Agreement) SortedObligations() []*Obligation {
	out := make([]*Obligation, 0, len(a.work.ObligOrder))
	for _, code := range a.work.ObligOrder {
		out = append(out, a.work.Obligations[code])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Due != out[j].Due {
			return out[i].Due < out[j].Due
		}
		return out[i].Report < out[j].Report
	})
	return out
}
