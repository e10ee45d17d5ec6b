package wire_test

import (
	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Commands for the tests, as domain/decide_test.go builds them.

// The test agreement: three implementation years that are not calendar
// years, as in seed 004, and two budget lines.
const (
	testNumber = "TEST/2022/1"
	civil      = "civil"
	minority   = "minority"
	funder     = "Kultūras ministrija"
)

var (
	m = domain.MustMoney
	d = domain.MustDate

	year1 = domain.YearSpec{Year: 1, From: d("2022-07-15"), To: d("2023-07-14")}
	year2 = domain.YearSpec{Year: 2, From: d("2023-07-15"), To: d("2024-07-14")}
	year3 = domain.YearSpec{Year: 3, From: d("2024-07-15"), To: d("2025-07-14")}
)

var ref = domain.Ref{Agreement: testNumber}

func registerCmd() domain.RegisterAgreement {
	return domain.RegisterAgreement{
		Ref: ref, Kind: domain.KindDelegation, Title: "Civil society in Kurzeme",
		Grantee: "Biedrība", Funder: funder, SupportIntensity: "100",
		Period: domain.Period{From: year1.From, To: year3.To},
		Years:  []domain.YearSpec{year1, year2, year3},
		Lines:  []domain.LineSpec{{Line: civil, Name: "Civil society"}, {Line: minority, Name: "Minority NGOs"}},
	}
}

func plan(line string, year int, amount string) domain.PlanBudget {
	return domain.PlanBudget{Ref: ref, Line: line, Year: year, Amount: m(amount)}
}

func amend(line string, year int, amount string) domain.AmendBudget {
	return domain.AmendBudget{Ref: ref, Line: line, Year: year, Amount: m(amount), EffectiveDate: d("2022-10-01")}
}

func spend(line string, year int, amount, date string) domain.RecordSpending {
	return domain.RecordSpending{Ref: ref, Line: line, Year: year, Amount: m(amount), Date: d(date), Document: "invoice 1"}
}

func reverse(id uuid.UUID) domain.ReverseSpending {
	return domain.ReverseSpending{Ref: ref, Spending: id, Date: d("2023-01-10")}
}

func carry(line string, from int, amount string) domain.CarryOver {
	c := domain.CarryOver{Ref: ref, Line: line, FromYear: from, Date: d("2023-07-20")}
	if amount != "" {
		c.Amount = m(amount)
	}
	return c
}

func giveBack(line string, year int, amount string) domain.ReturnUnspent {
	c := domain.ReturnUnspent{Ref: ref, Line: line, Year: year, Date: d("2023-07-20")}
	if amount != "" {
		c.Amount = m(amount)
	}
	return c
}

func ineligible(line string, year int, amount string) domain.DeclareIneligible {
	return domain.DeclareIneligible{Ref: ref, Line: line, Year: year, Amount: m(amount), Date: d("2023-02-01"), Description: "no invoice"}
}

func recovery(id uuid.UUID, amount string) domain.RecordRecovery {
	return domain.RecordRecovery{Ref: ref, Ineligible: id, Amount: m(amount), Date: d("2023-03-01")}
}

func indicator(code, agg string, targets ...domain.IndicatorTarget) domain.DefineIndicator {
	return domain.DefineIndicator{Ref: ref, Indicator: code, Name: code, Unit: "count", Aggregation: agg, Targets: targets}
}

func deliver(code string, year int, qty int64, date string, ids ...string) domain.RecordDelivery {
	return domain.RecordDelivery{Ref: ref, Indicator: code, Year: year, Quantity: qty, Identifiers: ids, Date: d(date)}
}

func closeYear(year int) domain.CloseYear {
	return domain.CloseYear{Ref: ref, Year: year, Date: d("2023-09-30")}
}
