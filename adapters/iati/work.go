package iati

import (
	"mime"
	"path"
	"strconv"
	"strings"

	"github.com/grantledger/grantledger/domain"
)

// Issue 15 in IATI: the agreement's parties as participating-org with
// their roles, their contact persons as contact-info, registered documents
// that have an address as document-link, and indicator baselines.

type contactInfo struct {
	Type         string `xml:"type,attr,omitempty"`
	Organisation *text  `xml:"organisation"`
	PersonName   *text  `xml:"person-name"`
	Telephone    string `xml:"telephone,omitempty"`
	Email        string `xml:"email,omitempty"`
}

type documentLink struct {
	Format   string   `xml:"format,attr"`
	URL      string   `xml:"url,attr"`
	Title    text     `xml:"title"`
	Category []code   `xml:"category"`
	Date     *isoDate `xml:"document-date"`
}

type baseline struct {
	Year    int    `xml:"year,attr"`
	Date    string `xml:"iso-date,attr,omitempty"`
	Value   string `xml:"value,attr"`
	Comment *text  `xml:"comment"`
}

// partyRoles are IATI's OrganisationRole codes of the party roles; a
// partner without one of them is an implementing organisation.
var partyRoles = map[string]string{
	domain.PartyFunding: "1", domain.PartyAccountable: "2", domain.PartyExtending: "3", domain.PartyImplementing: "4", domain.PartyPartner: "4",
}

// documentCategories are IATI DocumentCategory codes of the document kinds.
var documentCategories = map[string]string{
	"agreement": "A11", "annex": "A11", "invoice": "A05", "payment_order": "A05", "result": "A08", "report": "A07",
}

func addWork(act *iatiActivity, h *history) {
	a := h.Agg
	for _, p := range a.Work().Parties {
		seen := map[string]bool{}
		for _, r := range p.Roles {
			c := partyRoles[r]
			if c == "" || seen[c] {
				continue
			}
			seen[c] = true
			act.Participating = append(act.Participating, participatingOrg{Role: c, Narratives: []narrative{{Text: p.Organisation}}})
		}
		for _, ct := range p.Contacts {
			act.Contacts = append(act.Contacts, contactInfo{Type: "1", Organisation: &text{Narratives: []narrative{{Text: p.Organisation}}},
				PersonName: &text{Narratives: []narrative{{Text: ct.Name}}}, Telephone: ct.Phone, Email: ct.Email})
		}
	}
	for _, dc := range a.Work().DocOrder {
		d := a.Work().Documents[dc]
		if d == nil || d.URI == "" {
			continue // IATI needs an address; the others stay in the ledger only
		}
		format := mime.TypeByExtension(strings.ToLower(path.Ext(d.URI)))
		if i := strings.IndexByte(format, ';'); i >= 0 {
			format = format[:i]
		}
		if format == "" {
			format = "application/octet-stream"
		}
		act.DocLinks = append(act.DocLinks, documentLink{Format: format, URL: d.URI,
			Title:    text{Narratives: []narrative{{Text: d.Name}}},
			Category: []code{{Code: documentCategories[d.Kind]}}})
	}
	if len(act.Results) == 0 {
		return
	}
	res := &act.Results[0]
	for i, id := range a.SortedIndicatorIDs() {
		ind := a.Indicators()[id]
		if ind == nil || ind.Baseline == nil || i >= len(res.Indicators) {
			continue
		}
		b := ind.Baseline
		bl := baseline{Year: b.Date.Time().Year(), Date: b.Date.String(), Value: strconv.FormatInt(b.Value, 10)}
		if b.Comment != "" {
			bl.Comment = &text{Narratives: []narrative{{Text: b.Comment}}}
		}
		res.Indicators[i].Baselines = append(res.Indicators[i].Baselines, bl)
	}
}
