// Package seeds turns the public documents in shared/seeds into grantledger
// commands: seed 004 (a three-year delegation agreement with carry-over,
// return and indicators), seed 001 and seed 003 (grant projects with their
// amounts and periods). The demo, the tests and the examples in docs all
// load the same commands from here.
package seeds

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Agreement numbers of the seed scenarios.
const (
	Seed004 = "KNVOC-2022-2025"
	Seed001 = "2021.LV/NVOF/MIC/031/10"
	Seed003 = "AIF/2022/KAPAC2/104"
)

// Lines of seed 004.
const (
	LineCivil    = "civil"
	LineMinority = "minority"
)

// Actors used by the scenarios.
const (
	Ministry   = "ministry.officer@example.lv"
	Accountant = "accountant@knvoc.example.lv"
)

var ns = uuid.MustParse("0b7d9a43-3f0e-4c55-8d9c-1c2a4f7e9b10")

// builder collects envelopes with deterministic command ids, so loading a
// scenario twice appends nothing the second time.
type builder struct {
	prefix string
	n      int
	out    []domain.Envelope
}

func (b *builder) add(actor, reason string, cmd domain.Command) {
	b.n++
	id := uuid.NewSHA1(ns, []byte(fmt.Sprintf("%s/%d", b.prefix, b.n)))
	b.out = append(b.out, domain.NewEnvelope(id, actor, reason, cmd))
}

// Step is a point of the seed-004 story that the demo narrates: the
// envelopes up to Index have been applied when it is told.
type Step struct {
	Index int
	Say   string
}

// CloseYear2 is the command that must be refused: year 2 of seed 004 has
// 1 213,47 carried in that is neither spent, carried over nor returned.
func CloseYear2() domain.Envelope {
	return domain.NewEnvelope(uuid.NewSHA1(ns, []byte("004/close-year-2")), Ministry, "",
		domain.CloseYear{Ref: ref(Seed004), Year: 2, Date: domain.MustDate("2024-09-30")})
}

func ref(n string) domain.Ref { return domain.Ref{Agreement: n} }

// Scenario004 returns the commands that record seed 004: the delegation
// agreement of the association "Kurzemes NVO centrs", 15.07.2022–14.07.2025,
// three implementation years, two budget lines. Year 3's split between the
// lines is illustrative: the summary gives only its total (48 871,72 spent,
// 128,28 returned).
func Scenario004() []domain.Envelope {
	b := &builder{prefix: "004"}
	r := ref(Seed004)
	m, d := domain.MustMoney, domain.MustDate
	b.add(Ministry, "", domain.RegisterAgreement{
		Ref: r, Kind: domain.KindDelegation,
		Title:   "Par atsevišķu valsts pārvaldes uzdevumu veikšanu pilsoniskās sabiedrības un starpkultūru sadarbības attīstības un mazākumtautību nevalstisko organizāciju līdzdalības veicināšanas jomā Kurzemes reģionā",
		Grantee: "Biedrība „Kurzemes NVO centrs”", Funder: "Kultūras ministrija",
		Programme: "Valsts pārvaldes uzdevuma deleģēšana", SupportIntensity: "100",
		TotalFunding: m("147000.00"),
		Period:       domain.Period{From: d("2022-07-15"), To: d("2025-07-14")},
		Years: []domain.YearSpec{
			{Year: 1, From: d("2022-07-15"), To: d("2023-07-14")},
			{Year: 2, From: d("2023-07-15"), To: d("2024-07-14")},
			{Year: 3, From: d("2024-07-15"), To: d("2025-07-14")},
		},
		Lines: []domain.LineSpec{
			{Line: LineCivil, Name: "Pilsoniskās sabiedrības attīstība Kurzemes reģionā"},
			{Line: LineMinority, Name: "Mazākumtautību NVO attīstība un ilgtspēja"},
		},
	})
	for y := 1; y <= 3; y++ {
		b.add(Ministry, "", domain.PlanBudget{Ref: r, Line: LineCivil, Year: y, Amount: m("30000.00")})
		b.add(Ministry, "", domain.PlanBudget{Ref: r, Line: LineMinority, Year: y, Amount: m("19000.00")})
	}
	spend := func(line string, year int, amount, date, doc, desc string) {
		b.add(Accountant, "", domain.RecordSpending{Ref: r, Line: line, Year: year, Amount: m(amount), Date: d(date), Document: doc, Description: desc})
	}
	// Year 1: 47 786,53 = 28 959,87 + 18 826,66, recorded per half-year.
	spend(LineCivil, 1, "14 480,00", "2022-12-31", "KNVOC-2022-H2-CIV", "Līderu akadēmija, konsultācijas, izpēte (2022. g. 2. pusgads)")
	spend(LineCivil, 1, "14 479,87", "2023-07-14", "KNVOC-2023-H1-CIV", "Līderu akadēmija, konsultācijas, diskusijas (2023. g. 1. pusgads)")
	spend(LineMinority, 1, "9 400,00", "2022-12-31", "KNVOC-2022-H2-MIN", "Mazākumtautību pasākumi (2022. g. 2. pusgads)")
	spend(LineMinority, 1, "9 426,66", "2023-07-14", "KNVOC-2023-H1-MIN", "Mazākumtautību pasākumi un materiāli (2023. g. 1. pusgads)")
	b.add(Ministry, "", domain.CarryOver{Ref: r, Line: LineCivil, FromYear: 1, Amount: m("1 040,13"), Date: d("2023-07-31")})
	b.add(Ministry, "", domain.CarryOver{Ref: r, Line: LineMinority, FromYear: 1, Amount: m("173,34"), Date: d("2023-07-31")})
	// Year 2: exactly the planned 49 000,00; the 1 213,47 carried in is not accounted for.
	spend(LineCivil, 2, "15 000,00", "2023-12-31", "KNVOC-2023-H2-CIV", "Forums, Līderu akadēmija (2023. g. 2. pusgads)")
	spend(LineCivil, 2, "15 000,00", "2024-07-14", "KNVOC-2024-H1-CIV", "Konsultācijas, jaunumu lapas (2024. g. 1. pusgads)")
	spend(LineMinority, 2, "9 500,00", "2023-12-31", "KNVOC-2023-H2-MIN", "Mazākumtautību kultūras pasākumi (2023. g. 2. pusgads)")
	spend(LineMinority, 2, "9 500,00", "2024-07-14", "KNVOC-2024-H1-MIN", "Materiāltehniskais atbalsts (2024. g. 1. pusgads)")
	// Year 3: 48 871,72 spent, 128,28 returned; the split by line is illustrative.
	spend(LineCivil, 3, "29 920,00", "2025-07-14", "KNVOC-2025-CIV", "3. īstenošanas gads (sadalījums pa rindām ilustratīvs)")
	spend(LineMinority, 3, "18 951,72", "2025-07-14", "KNVOC-2025-MIN", "3. īstenošanas gads (sadalījums pa rindām ilustratīvs)")
	b.add(Ministry, "", domain.ReturnUnspent{Ref: r, Line: LineCivil, Year: 3, Amount: m("80,00"), Date: d("2025-08-29")})
	b.add(Ministry, "", domain.ReturnUnspent{Ref: r, Line: LineMinority, Year: 3, Amount: m("48,28"), Date: d("2025-08-29")})

	// Indicators. The summary states what was delivered, not the targets;
	// the targets here are set equal to the delivered figures.
	type ind struct {
		code, name, unit, agg string
		year                  int
		value                 int64
		date                  string
	}
	inds := []ind{
		{"study", "Izpēte par NVO sadarbību ar pašvaldībām", "izpēte", domain.AggSum, 1, 1, "2023-03-31"},
		{"focus-groups", "Fokusgrupu intervijas", "intervija", domain.AggSum, 1, 4, "2023-02-28"},
		{"academy-sessions", "Līderu akadēmijas klātienes nodarbības", "nodarbība", domain.AggSum, 1, 24, "2023-06-30"},
		{"webinars", "Tiešsaistes vebināri", "vebinārs", domain.AggSum, 1, 5, "2023-06-30"},
		{"consultations", "Bezmaksas konsultācijas NVO", "konsultācija", domain.AggSum, 1, 80, "2023-07-14"},
		{"viaa-meetings", "Tikšanās ar VIAA par pieaugušo izglītību", "tikšanās", domain.AggSum, 1, 3, "2023-05-31"},
		{"discussion-events", "Diskusiju pasākumi", "pasākums", domain.AggSum, 1, 1, "2023-04-30"},
		{"discussion-meetings", "Diskusiju vides tikšanās 6 vietās", "tikšanās", domain.AggSum, 1, 12, "2023-07-14"},
		{"belonging-events", "Piederības apziņu veicinoši pasākumi", "pasākums", domain.AggSum, 1, 11, "2023-07-14"},
		{"minority-activities", "Mazākumtautību kapacitātes aktivitātes", "aktivitāte", domain.AggSum, 1, 3, "2023-06-30"},
		{"minority-equipment", "Mazākumtautību NVO materiāltehniskā bāze uzlabota", "NVO", domain.AggSum, 1, 6, "2023-06-30"},
		{"minority-culture", "Mazākumtautību kultūras pasākumi", "pasākums", domain.AggSum, 1, 4, "2023-07-14"},
		{"minority-materials", "Materiāli par mazākumtautību vēsturi", "materiāls", domain.AggSum, 1, 2, "2023-07-14"},
	}
	for _, in := range inds {
		b.add(Accountant, "", domain.DefineIndicator{Ref: r, Indicator: in.code, Name: in.name, Unit: in.unit, Aggregation: in.agg,
			Targets: []domain.IndicatorTarget{{Year: in.year, Target: in.value}}})
		if in.code == "consultations" {
			continue // recorded one by one below, with the NGOs consulted
		}
		b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: in.code, Year: in.year, Quantity: in.value, Date: d(in.date), Evidence: "Kopsavilkums 2022–2025, I. īstenošanas gads"})
	}
	// 80 consultations to 50 unique NGOs: a distinct-count indicator where
	// two consultations of the same NGO count once. The NGO identifiers are
	// illustrative (the summary gives only the counts).
	b.add(Accountant, "", domain.DefineIndicator{Ref: r, Indicator: "ngos-consulted", Name: "Konsultētas unikālās Kurzemes NVO", Unit: "NVO", Aggregation: domain.AggDistinct,
		Targets: []domain.IndicatorTarget{{Year: 1, Target: 50, Due: ptr(d("2023-07-14"))}}})
	for i := 0; i < 80; i++ {
		ngo := fmt.Sprintf("NVO-%02d", i%50+1)
		date := d("2022-08-01").AddDays(i * 4)
		b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: "consultations", Year: 1, Quantity: 1, Date: date, Evidence: fmt.Sprintf("Konsultāciju žurnāls Nr. %d", i+1)})
		b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: "ngos-consulted", Year: 1, Identifiers: []string{ngo}, Date: date, Evidence: fmt.Sprintf("Konsultāciju žurnāls Nr. %d", i+1)})
	}
	// Years 2 and 3: a few of the figures the summary lists.
	b.add(Accountant, "", domain.DefineIndicator{Ref: r, Indicator: "consultations-2", Name: "Konsultācijas NVO (2. un 3. gads)", Unit: "konsultācija", Aggregation: domain.AggSum,
		Targets: []domain.IndicatorTarget{{Year: 2, Target: 101}, {Year: 3, Target: 86}}})
	b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: "consultations-2", Year: 2, Quantity: 101, Date: d("2024-07-14"), Evidence: "Kopsavilkums, II. gads, 3)"})
	b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: "consultations-2", Year: 3, Quantity: 86, Date: d("2025-07-14"), Evidence: "Kopsavilkums, III. gads, 3)"})
	b.add(Accountant, "", domain.DefineIndicator{Ref: r, Indicator: "newsletters", Name: "Jaunumu lapas", Unit: "izdevums", Aggregation: domain.AggSum,
		Targets: []domain.IndicatorTarget{{Year: 2, Target: 45}, {Year: 3, Target: 50}}})
	b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: "newsletters", Year: 2, Quantity: 45, Date: d("2024-07-14"), Evidence: "Kopsavilkums, II. gads, 5)"})
	b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: "newsletters", Year: 3, Quantity: 50, Date: d("2025-07-14"), Evidence: "Kopsavilkums, III. gads, 5)"})
	b.add(Accountant, "", domain.DefineIndicator{Ref: r, Indicator: "facebook-followers", Name: "KNVOC Facebook lapas sekotāji", Unit: "sekotājs", Aggregation: domain.AggLatest,
		Targets: []domain.IndicatorTarget{{Year: 3, Target: 1600}}})
	b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: "facebook-followers", Year: 3, Quantity: 1590, Date: d("2025-01-15"), Evidence: "Facebook statistika (ilustratīvs starpposms)"})
	b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: "facebook-followers", Year: 3, Quantity: 1657, Date: d("2025-07-14"), Evidence: "Kopsavilkums, III. gads, 5)"})
	// Years 1 and 3 are fully accounted for and close; year 2 cannot (see CloseYear2).
	b.add(Ministry, "", domain.CloseYear{Ref: r, Year: 1, Date: d("2023-08-15")})
	b.add(Ministry, "", domain.CloseYear{Ref: r, Year: 3, Date: d("2025-09-15")})
	return b.out
}

func ptr[T any](v T) *T { return &v }

// Scenario001 records seed 001: grant project 2021.LV/NVOF/MIC/031/10 of the
// programme "NVO fonds", 6 460,64 EUR at 100 % support intensity,
// 01.02.2021–20.11.2021, with its planned activities as indicators. The page
// gives no spending, so none is recorded.
func Scenario001() []domain.Envelope {
	b := &builder{prefix: "001"}
	r := ref(Seed001)
	m, d := domain.MustMoney, domain.MustDate
	b.add(Ministry, "", domain.RegisterAgreement{
		Ref: r, Kind: domain.KindGrant,
		Title:   "Iedzīvotāju stiprināšana par pilsonisko līdzdalību Aizkraukles rajona partnerības darbības teritorijā",
		Grantee: "Biedrība „Aizkraukles rajona partnerība”", Funder: "Sabiedrības integrācijas fonds",
		Programme: "NVO fonds", SupportIntensity: "100", TotalFunding: m("6460,64 EUR"),
		Period: domain.Period{From: d("2021-02-01"), To: d("2021-11-20")},
		Years:  []domain.YearSpec{{Year: 1, From: d("2021-02-01"), To: d("2021-11-20")}},
		Lines:  []domain.LineSpec{{Line: "project", Name: "Projekta finansējums"}},
	})
	b.add(Ministry, "", domain.PlanBudget{Ref: r, Line: "project", Year: 1, Amount: m("6460,64")})
	acts := []struct {
		code, name string
		target     int64
		done       []string
	}{
		{"study", "Pētījums par nevalstisko sektoru", 1, []string{"2021-06-14"}},
		{"think-tanks", "NVO domnīcas novados", 6, nil},
		{"exchange-trips", "Pieredzes apmaiņas braucieni", 2, []string{"2021-09-29", "2021-10-19"}},
		{"seminars", "Semināri par iedzīvotāju līdzdalību", 2, []string{"2021-09-24", "2021-10-08"}},
		{"closing-event", "Noslēguma pasākums", 1, []string{"2021-11-04"}},
	}
	for _, a := range acts {
		b.add(Accountant, "", domain.DefineIndicator{Ref: r, Indicator: a.code, Name: a.name, Unit: "reize", Aggregation: domain.AggSum,
			Targets: []domain.IndicatorTarget{{Year: 1, Target: a.target, Due: ptr(d("2021-11-20"))}}})
		for _, when := range a.done {
			b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: a.code, Year: 1, Quantity: 1, Date: d(when), Evidence: "Publicitātes raksts " + d(when).Latvian()})
		}
	}
	return b.out
}

// Scenario003 records seed 003: project AIF/2022/KAPAC2/104 of the Active
// Citizens Fund, 19 998,58 EUR, 01.09.2022–31.08.2023 (one period that
// straddles two calendar years). No spending is given, so none is recorded.
func Scenario003() []domain.Envelope {
	b := &builder{prefix: "003"}
	r := ref(Seed003)
	m, d := domain.MustMoney, domain.MustDate
	b.add(Ministry, "", domain.RegisterAgreement{
		Ref: r, Kind: domain.KindGrant,
		Title:   "NVO sadarbības platformas attīstība novadā",
		Grantee: "Biedrība „Partnerība Daugavkrasts”", Funder: "Aktīvo iedzīvotāju fonds (EEZ un Norvēģijas finanšu instrumenti 2014–2021)",
		Programme: "Aktīvo iedzīvotāju fonds", TotalFunding: m("19 998.58 EUR"),
		Period: domain.Period{From: d("2022-09-01"), To: d("2023-08-31")},
		Years:  []domain.YearSpec{{Year: 1, From: d("2022-09-01"), To: d("2023-08-31")}},
		Lines:  []domain.LineSpec{{Line: "project", Name: "Projekta kopējais finansējums"}},
	})
	b.add(Ministry, "", domain.PlanBudget{Ref: r, Line: "project", Year: 1, Amount: m("19 998.58")})
	b.add(Accountant, "", domain.DefineIndicator{Ref: r, Indicator: "ngos-at-meetup", Name: "NVO Novadnieku saietā", Unit: "NVO", Aggregation: domain.AggDistinct,
		Targets: []domain.IndicatorTarget{{Year: 1, Target: 11}}})
	ids := make([]string, 11)
	for i := range ids {
		ids[i] = fmt.Sprintf("NVO-%02d", i+1)
	}
	b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: "ngos-at-meetup", Year: 1, Identifiers: ids, Date: d("2022-12-15"), Evidence: "Novadnieku NVO saiets 15.12.2022. (identifikatori ilustratīvi)"})
	b.add(Accountant, "", domain.DefineIndicator{Ref: r, Indicator: "seminars", Name: "Semināri NVO", Unit: "seminārs", Aggregation: domain.AggSum,
		Targets: []domain.IndicatorTarget{{Year: 1, Target: 2, Due: ptr(d("2023-03-31"))}}})
	b.add(Accountant, "", domain.RecordDelivery{Ref: r, Indicator: "seminars", Year: 1, Quantity: 2, Date: d("2023-03-31"), Evidence: "Apmācību cikla noslēgums 2023. g. martā"})
	return b.out
}

// All returns every scenario's commands in the order the demo applies them.
func All() []domain.Envelope {
	var out []domain.Envelope
	out = append(out, Scenario004()...)
	out = append(out, Scenario001()...)
	out = append(out, Scenario003()...)
	return out
}
