package iati

import (
	"bytes"
	"context"
	"encoding/xml"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// Issue 15: parties as participating-org with their IATI roles, contact
// persons as contact-info (seed 002's contact of "Pierīgas partnerība"),
// a registered document with an address as document-link, an indicator
// baseline; still valid against the IATI 2.03 schema (xmllint).
func TestExportPartiesDocumentsBaseline(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	clock := time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC)
	svc := command.New(store, command.Options{Clock: func() time.Time { return clock }})
	for i, r := range commandtest.HandleBatch(ctx, svc, seeds.Scenario004()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	ref := domain.Ref{Agreement: seeds.Seed004}
	n := 0
	do := func(c domain.Command) {
		t.Helper()
		n++
		if _, err := commandtest.Handle(ctx, svc, domain.NewEnvelope(domain.AgreementID("iati-work-test-"+string(rune('a'+n))), seeds.Ministry, "", c)); err != nil {
			t.Fatal(err)
		}
	}
	do(domain.AddParty{Ref: ref, Organisation: "Biedrība \"Pierīgas partnerība\"", Roles: []string{domain.PartyPartner, domain.PartyAccountable},
		Contacts: []domain.Contact{{Name: "Alīna Lukjanceva", Email: "alina.lukjanceva@pierigaspartneriba.lv", Phone: "+371 28644888"}}})
	do(domain.RegisterDocument{Ref: ref, Document: "KS-2023", Kind: "report", Name: "Kopsavilkums 2022/2023",
		SHA256: "bd01be0405fba412132fa07f567318627444a1820a88b2630d5ee575f093a73c", Size: 35, URI: "https://example.lv/kopsavilkums-2023.pdf"})
	do(domain.RegisterDocument{Ref: ref, Document: "INV-1", Kind: "invoice", Name: "no address",
		SHA256: "588dcf5259ce0e05e0425263dbbddd474e357f06efc5e24f721af847f92bcd5d"})
	do(domain.DefineIndicator{Ref: ref, Indicator: "members", Name: "Member organisations", Unit: "NGOs", Aggregation: domain.AggLatest,
		Baseline: &domain.Baseline{Value: 22, Date: domain.MustDate("2022-07-01"), Comment: "22 member organisations (seed 002)"},
		Targets:  []domain.IndicatorTarget{{Year: 1, Target: 25}}})

	var buf bytes.Buffer
	if err := Export(ctx, store, &buf, Options{OrgRef: "LV-RUR-90000000000"}); err != nil {
		t.Fatal(err)
	}
	validate(t, buf.Bytes())
	var got struct {
		Activities []struct {
			Participating []participatingOrg `xml:"participating-org"`
			Contacts      []struct {
				Person    text   `xml:"person-name"`
				Email     string `xml:"email"`
				Telephone string `xml:"telephone"`
			} `xml:"contact-info"`
			DocLinks []documentLink `xml:"document-link"`
			Results  []struct {
				Indicators []struct {
					Title     text       `xml:"title"`
					Baselines []baseline `xml:"baseline"`
				} `xml:"indicator"`
			} `xml:"result"`
		} `xml:"iati-activity"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	a := got.Activities[0]
	// Funder 1, grantee 4 (as before), then the partner as 4 and accountable as 2.
	if len(a.Participating) != 4 || a.Participating[2].Role != "4" || a.Participating[3].Role != "2" || a.Participating[3].Narratives[0].Text != "Biedrība \"Pierīgas partnerība\"" {
		t.Errorf("participating-org %+v: want the partner as roles 4 and 2 after the funder and grantee", a.Participating)
	}
	if len(a.Contacts) != 1 || a.Contacts[0].Person.Narratives[0].Text != "Alīna Lukjanceva" || a.Contacts[0].Email != "alina.lukjanceva@pierigaspartneriba.lv" || a.Contacts[0].Telephone != "+371 28644888" {
		t.Errorf("contact-info %+v", a.Contacts)
	}
	if len(a.DocLinks) != 1 || a.DocLinks[0].URL != "https://example.lv/kopsavilkums-2023.pdf" || a.DocLinks[0].Format != "application/pdf" || a.DocLinks[0].Category[0].Code != "A07" {
		t.Errorf("document-link %+v: want the report with an address only, PDF, category A07", a.DocLinks)
	}
	var bl []baseline
	for _, in := range a.Results[0].Indicators {
		bl = append(bl, in.Baselines...)
	}
	if len(bl) != 1 || bl[0].Year != 2022 || bl[0].Value != "22" || bl[0].Date != "2022-07-01" {
		t.Errorf("baselines %+v: want one, 2022, value 22\n%s", bl, buf.String())
	}
}
