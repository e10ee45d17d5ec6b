package web

import (
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// cashFields are the fields of the forms of money that moves (issue 14):
// the funder's payments, their schedule and reversal, and refunds.
func cashFields(v *view, a *domain.Agreement, typ string, sel func(string, string, []option) *field, in func(string, string, string, bool) *field, years []option) []*field {
	kinds := []option{{domain.PayAdvance, v.T("pay_advance")}, {domain.PayTranche, v.T("pay_tranche")}, {domain.PayFinal, v.T("pay_final")}}
	switch typ {
	case domain.CmdPlanDisbursement:
		return []*field{sel("kind", "f_pay_kind", kinds), sel("year", "f_year", years), in("amount", "f_amount", "text", true),
			in("date", "f_date", "date", true), in("report", "f_report", "text", false)}
	case domain.CmdRecordDisbursement:
		kind := sel("kind", "f_pay_kind_opt", append([]option{{"", "—"}}, kinds...))
		kind.Required = false
		return []*field{kind, sel("year", "f_year", years), in("amount", "f_amount", "text", true),
			in("date", "f_date", "date", true), in("reference", "f_reference", "text", true)}
	case domain.CmdReverseDisbursement:
		var pays []option
		for _, d := range a.SortedDisbursements() {
			if !d.Reversed {
				pays = append(pays, option{d.ID.String(), v.Date(d.Date) + " · " + v.Money(d.Amount) + " · " + d.Reference})
			}
		}
		return []*field{sel("disbursement", "f_disbursement", pays), in("date", "f_date", "date", true)}
	case domain.CmdSplitPlan:
		var lines []option
		for _, l := range a.Lines() {
			lines = append(lines, option{l.Line, l.Name})
		}
		return []*field{sel("line", "f_line", lines), sel("year", "f_year", years), in("parts", "f_parts", "textarea", true)}
	case domain.CmdRecordRefund:
		var dues []option
		for _, d := range a.SortedDues() {
			if d.Outstanding() > 0 {
				dues = append(dues, option{d.ID.String(), v.T("due_"+d.Kind) + " · " + d.Line + " · " + strconv.Itoa(d.Year) + " · " + v.Money(d.Outstanding())})
			}
		}
		return []*field{sel("for", "f_due", dues), in("amount", "f_amount", "text", true), in("date", "f_date", "date", true),
			in("reference", "f_reference", "text", true)}
	}
	return nil
}

// parseCashForm builds the command of a money-that-moves form.
func parseCashForm(typ string, ref domain.Ref, get func(string) string, money func(string, bool) domain.Money, date func(string) domain.Date, integer func(string) int64) domain.Command {
	id := func(name string) uuid.UUID {
		u, _ := uuid.Parse(get(name)) // a select's own values; a forged one is uuid.Nil and refused by validation
		return u
	}
	switch typ {
	case domain.CmdPlanDisbursement:
		return domain.PlanDisbursement{Ref: ref, Kind: get("kind"), Year: int(integer("year")), Amount: money("amount", false), Date: date("date"), Report: get("report")}
	case domain.CmdRecordDisbursement:
		return domain.RecordDisbursement{Ref: ref, Kind: get("kind"), Year: int(integer("year")), Amount: money("amount", false), Date: date("date"), Reference: get("reference")}
	case domain.CmdReverseDisbursement:
		return domain.ReverseDisbursement{Ref: ref, Disbursement: id("disbursement"), Date: date("date")}
	case domain.CmdSplitPlan:
		return domain.SplitPlan{Ref: ref, Line: get("line"), Year: int(integer("year"))} // parts: parseParts
	case domain.CmdRecordRefund:
		return domain.RecordRefund{Ref: ref, For: id("for"), Amount: money("amount", false), Date: date("date"), Reference: get("reference")}
	}
	return nil
}

// cashMessages are the words of the money-that-moves forms, in English and
// Latvian; init adds them to messages.
var cashMessages = map[string][2]string{
	"cmd_plan_disbursement":    {"Schedule a payment", "Plānot maksājumu"},
	"cmd_record_disbursement":  {"Record a payment to the grantee", "Reģistrēt maksājumu finansējuma saņēmējam"},
	"cmd_reverse_disbursement": {"Reverse a payment", "Stornēt maksājumu"},
	"cmd_record_refund":        {"Record a refund", "Reģistrēt atmaksu"},
	"f_pay_kind":               {"Payment", "Maksājums"},
	"f_pay_kind_opt":           {"Payment (optional)", "Maksājums (nav obligāts)"},
	"f_reference":              {"Payment reference", "Maksājuma atsauce"},
	"f_report":                 {"Waits for the report (optional)", "Gaida atskaiti (nav obligāti)"},
	"f_disbursement":           {"Payment", "Maksājums"},
	"f_due":                    {"Return or recovery", "Atgriešana vai atgūšana"},
	"pay_advance":              {"advance", "avanss"},
	"pay_tranche":              {"tranche", "starpmaksājums"},
	"pay_final":                {"final payment", "noslēguma maksājums"},
	"due_return":               {"return", "atgriešana"},
	"due_recovery":             {"recovery", "atgūšana"},
	"cmd_split_plan":           {"Split a plan over calendar years", "Sadalīt plānu pa kalendārajiem gadiem"},
	"f_parts":                  {"Parts, one calendar year a line: 2022: 6 000,00", "Daļas, pa vienam kalendārajam gadam rindā: 2022: 6 000,00"},
	"bad_parts":                {"Write one calendar year a line, as 2022: 6 000,00.", "Rakstiet pa vienam kalendārajam gadam rindā, piemēram, 2022: 6 000,00."},
}

func init() {
	for k, v := range cashMessages {
		messages[k] = v
	}
}

// cloneCash copies the payments and dues the forms list.
func cloneCash(s domain.CashState) domain.CashState {
	var c domain.CashState
	c.Init()
	for k, d := range s.Disbursements {
		cp := *d
		c.Disbursements[k] = &cp
	}
	for k, d := range s.Dues {
		cp := *d
		c.Dues[k] = &cp
	}
	return c
}

// parseParts reads a split typed one calendar year a line, "2022: 6 000,00"
// (or "2022 = 6000.00"); false when a line cannot be read.
func parseParts(s string) ([]domain.CalendarPart, bool) {
	var out []domain.CalendarPart
	for _, ln := range strings.Split(s, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" {
			continue
		}
		y, amt, ok := strings.Cut(ln, ":")
		if !ok {
			y, amt, ok = strings.Cut(ln, "=")
		}
		if !ok {
			return out, false
		}
		year, err := strconv.Atoi(strings.TrimSpace(y))
		if err != nil {
			return out, false
		}
		m, err := domain.ParseMoney(strings.TrimSpace(amt))
		if err != nil {
			return out, false
		}
		out = append(out, domain.CalendarPart{CalendarYear: year, Amount: m})
	}
	return out, len(out) > 0
}
