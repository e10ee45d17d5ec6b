package web

import (
	"strconv"
	"strings"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// cashView is the agreement page's money that moves (issue 14): the
// ceiling and support intensity, and the grantee's cash position per
// implementation year and to date, received − eligible spent − refunded =
// held (negative: pre-financed), with what is still to be refunded. The
// figures are projections.CashReport's, the words the reports' own.
type cashView struct {
	Ceiling, Intensity, FunderShare string
	RecordsPayments                 bool
	Rows                            []cashRow
	Total                           cashRow
}

type cashRow struct {
	Label                                                 string
	Year                                                  int
	Disbursed, EligibleSpent, Refunded, Held, Outstanding domain.Money
}

// ceilingText is an agreement's ceiling ("" when none) and support
// intensity ("" when none) in the page's language.
func ceilingText(v *view, a *domain.Agreement) (ceiling, intensity string) {
	if c, ok := a.Ceiling(); ok {
		ceiling = document.FormatEuro(c, v.Lang)
	}
	if a.Registration().SupportIntensity != "" {
		mark := "."
		if v.Lang == document.LV {
			mark = ","
		}
		intensity = strings.Replace(a.Registration().SupportIntensity, ".", mark, 1) + " %"
	}
	return ceiling, intensity
}

func newCashView(v *view, av *projections.AgreementView, today domain.Date) *cashView {
	a := av.Agg
	rep := av.CashReport(today)
	c := &cashView{RecordsPayments: projections.TracksCash(a)}
	c.Ceiling, c.Intensity = ceilingText(v, a)
	if c.Ceiling == "" {
		c.Ceiling = v.T("no_ceiling")
	}
	if len(a.Years()) > 0 {
		if yr, err := av.YearReport(a.Years()[0].Year, today); err == nil && (yr.FunderSharePlanned != nil || yr.FunderShareSpent != nil) {
			c.FunderShare = document.PercentText(yr.FunderSharePlanned, v.Lang) + " / " + document.PercentText(yr.FunderShareSpent, v.Lang)
		}
	}
	row := func(label string, f projections.CashFigures) cashRow {
		return cashRow{Label: label, Year: f.Year, Disbursed: f.Disbursed, EligibleSpent: f.EligibleSpent, Refunded: f.Refunded, Held: f.Held, Outstanding: f.Outstanding}
	}
	for i, f := range rep.Years {
		label := v.T("year") + " " + strconv.Itoa(f.Year)
		if i < len(a.Years()) {
			label += " (" + v.Period(domain.Period{From: a.Years()[i].From, To: a.Years()[i].To}) + ")"
		}
		c.Rows = append(c.Rows, row(label, f))
	}
	c.Total = row(v.T("cash_to_date"), rep.Total)
	return c
}

func init() {
	messages["cash_to_date"] = [2]string{"To date", "Kopā līdz šim"}
	messages["cash_findings_below"] = [2]string{"Payments above the schedule or the ceiling, refunds overdue and pre-financing are listed under Findings.", "Maksājumi virs grafika vai maksimālā apmēra, nokavētas atmaksas un priekšfinansējums ir norādīti sadaļā Konstatējumi."}
}
