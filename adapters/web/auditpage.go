package web

import (
	"strconv"
	"strings"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/projections"
)

// auditPageSize is how many events one audit page shows.
const auditPageSize = 50

// auditPage is the audit trail, one page of it at a time (issue 16): the
// events in the page's language and time zone, hashes shortened with the
// whole value one click away, and links to the other pages that keep the
// filters.
type auditPage struct {
	docPage
	Rows        []auditRow
	Total       int
	First, Last int // 1-based numbers of the rows shown
	Page, Pages int
	Prev, Next  string
	FirstURL    string
	LastURL     string
	Breaks      []string
	Types       []typeChoice
	PageNumbers []pageLink
}

type auditRow struct {
	Position, Agreement, Type, TypeCode, Line, Actor, Reason string
	RecordedAt, RecordedISO                                  string
	Year                                                     int
	Amount                                                   string
	CommandID, CommandShort                                  string
	Hash, HashShort                                          string
}

type typeChoice struct{ Value, Label string }

type pageLink struct {
	N       int
	URL     string
	Current bool
}

// auditParams are the audit page's filters, kept on every page link.
var auditParams = []string{"agreement", "actor", "type", "from", "to"}

func (p *auditPage) url(n int) string {
	var kv []any
	for _, k := range auditParams {
		kv = append(kv, k, p.Q(k))
	}
	if n > 1 {
		kv = append(kv, "page", n)
	}
	return p.U("/audit", kv...)
}

// paginate picks the rows of page s (1 when s is not a page number; the
// last when it is beyond the end) and formats them.
func (p *auditPage) paginate(rows []projections.AuditRow, s string) {
	p.Total = len(rows)
	p.Pages = max(1, (len(rows)+auditPageSize-1)/auditPageSize)
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		n = 1
	}
	n = min(n, p.Pages)
	p.Page = n
	lo := (n - 1) * auditPageSize
	hi := min(lo+auditPageSize, len(rows))
	if lo < hi {
		p.First, p.Last = lo+1, hi
	}
	for _, r := range rows[lo:hi] {
		row := auditRow{Position: r.Position.String(), Agreement: r.Agreement, Type: document.CodeLabel(p.Lang, r.Type), TypeCode: r.Type,
			Line: r.Line, Actor: r.Actor, Reason: r.Reason, Year: r.Year,
			RecordedAt: p.DateTime(r.RecordedAt), RecordedISO: r.RecordedAt.UTC().Format("2006-01-02T15:04:05Z"),
			CommandID: r.CommandID.String(), Hash: r.Hash}
		row.CommandShort = short(row.CommandID, 8)
		row.HashShort = short(r.Hash, 12)
		if r.Amount != nil {
			row.Amount = p.Money(*r.Amount)
		}
		p.Rows = append(p.Rows, row)
	}
	if n > 1 {
		p.Prev, p.FirstURL = p.url(n-1), p.url(1)
	}
	if n < p.Pages {
		p.Next, p.LastURL = p.url(n+1), p.url(p.Pages)
	}
	// Page numbers around the current one.
	for i := max(1, n-3); i <= min(p.Pages, n+3); i++ {
		p.PageNumbers = append(p.PageNumbers, pageLink{N: i, URL: p.url(i), Current: i == n})
	}
}

// short is the first n characters of s and an ellipsis when s is longer.
func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// auditTypeChoices lists the event types to filter by, in the page's
// language; a type asked for that the list lacks is kept as asked.
func auditTypeChoices(v *view, asked string) []typeChoice {
	var out []typeChoice
	known := false
	for _, t := range document.EventTypes() {
		out = append(out, typeChoice{Value: t, Label: document.CodeLabel(v.Lang, t)})
		known = known || strings.EqualFold(t, asked)
	}
	if asked != "" && !known {
		out = append(out, typeChoice{Value: asked, Label: asked})
	}
	return out
}
