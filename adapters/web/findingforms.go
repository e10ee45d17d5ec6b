package web

import (
	"sort"
	"strconv"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Findings on the page (issue 14): an auditor (and the funder) records
// ineligible expenditure and a recovery demand, also into a closed year as
// a post-closure adjustment, which the ledger takes only with a reason.
// Whether a principal is offered and may send these forms is decided by
// package access (formsFor and command ask Principal.MayAct): the auditor
// role sends findings and nothing else.

func findingFields(v *view, a *domain.Agreement, typ string, sel func(string, string, []option) *field, in func(string, string, string, bool) *field, years []option) []*field {
	switch typ {
	case domain.CmdDeclareIneligible:
		var lines []option
		for _, l := range a.Lines() {
			lines = append(lines, option{l.Line, l.Name})
		}
		return []*field{sel("line", "f_line", lines), sel("year", "f_year", years), in("amount", "f_amount", "text", true),
			in("date", "f_date", "date", true), in("description", "f_finding", "textarea", true), in("spending", "f_spending_id", "text", false)}
	case domain.CmdRecordRecovery:
		var opts []option
		for _, in := range sortedIneligible(a) {
			if out := in.Amount - in.Recovered; out > 0 {
				opts = append(opts, option{in.ID.String(), in.Line + " · " + v.T("f_year") + " " + strconv.Itoa(in.Year) + " · " + v.Money(out)})
			}
		}
		return []*field{sel("ineligible", "f_ineligible", opts), in("amount", "f_amount", "text", true), in("date", "f_date", "date", true)}
	case domain.CmdReverseClosedSpending:
		var opts []option // the spendings of closed years not yet reversed
		for _, sp := range a.SortedSpendings() {
			if y := a.Year(sp.Year); y != nil && y.Closed && !sp.Reversed {
				opts = append(opts, option{sp.ID.String(), sp.Line + " · " + v.T("f_year") + " " + strconv.Itoa(sp.Year) + " · " + v.Money(sp.Amount) + " · " + sp.ID.String()[:8]})
			}
		}
		return []*field{sel("spending", "f_closed_spending", opts), in("date", "f_date", "date", true)}
	}
	return nil
}

// parseFindingForm builds the command of a findings form; spendingBad is
// set when an optional spending id was typed and is not an id.
func parseFindingForm(typ string, ref domain.Ref, get func(string) string, money func(string, bool) domain.Money, date func(string) domain.Date, integer func(string) int64) (cmd domain.Command, spendingBad bool) {
	switch typ {
	case domain.CmdDeclareIneligible:
		c := domain.DeclareIneligible{Ref: ref, Line: get("line"), Year: int(integer("year")), Amount: money("amount", false), Date: date("date"), Description: get("description")}
		if s := get("spending"); s != "" {
			id, err := uuid.Parse(s)
			if err != nil {
				return c, true
			}
			c.Spending = &id
		}
		return c, false
	case domain.CmdRecordRecovery:
		id, _ := uuid.Parse(get("ineligible")) // a select's own values; a forged one is uuid.Nil and not found
		return domain.RecordRecovery{Ref: ref, Ineligible: id, Amount: money("amount", false), Date: date("date")}, false
	case domain.CmdReverseClosedSpending:
		id, _ := uuid.Parse(get("spending")) // as above
		return domain.ReverseClosedSpending{Ref: ref, Spending: id, Date: date("date")}, false
	}
	return nil, false
}

func sortedIneligible(a *domain.Agreement) []domain.Ineligible {
	out := make([]domain.Ineligible, 0, len(a.Ineligibles()))
	for _, in := range a.Ineligibles() {
		out = append(out, *in)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Year != out[j].Year {
			return out[i].Year < out[j].Year
		}
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].ID.String() < out[j].ID.String()
	})
	return out
}

// cloneSpendings copies the spendings the closed-year reversal form lists.
func cloneSpendings(m map[uuid.UUID]*domain.Spending) map[uuid.UUID]*domain.Spending {
	out := make(map[uuid.UUID]*domain.Spending, len(m))
	for k, sp := range m {
		cp := *sp
		out[k] = &cp
	}
	return out
}

// cloneIneligible copies the declarations the recovery form lists.
func cloneIneligible(m map[uuid.UUID]*domain.Ineligible) map[uuid.UUID]*domain.Ineligible {
	out := make(map[uuid.UUID]*domain.Ineligible, len(m))
	for k, in := range m {
		cp := *in
		out[k] = &cp
	}
	return out
}

var findingMessages = map[string][2]string{
	"cmd_declare_ineligible":      {"Declare ineligible expenditure (a finding)", "Konstatēt neattiecināmus izdevumus"},
	"cmd_record_recovery":         {"Demand a recovery of ineligible expenditure", "Pieprasīt neattiecināmo izdevumu atgūšanu"},
	"f_finding":                   {"Finding: why it is ineligible", "Konstatējums: kāpēc tie nav attiecināmi"},
	"f_spending_id":               {"Spending concerned (event id, optional)", "Attiecīgie izdevumi (notikuma identifikators, nav obligāts)"},
	"f_ineligible":                {"Ineligible expenditure", "Neattiecināmie izdevumi"},
	"cmd_reverse_closed_spending": {"Reverse spending of a closed year (a post-closure adjustment; give the reason)", "Stornēt slēgta gada izdevumus (korekcija pēc slēgšanas; norādiet iemeslu)"},
	"f_closed_spending":           {"Spending of a closed year", "Slēgta gada izdevumi"},
	"bad_event_id":                {"Not an event id (a UUID such as 1e625853-d9be-50e3-ae1b-2116d3c32b53).", "Nav notikuma identifikators (UUID, piemēram, 1e625853-d9be-50e3-ae1b-2116d3c32b53)."},
}

func init() {
	for k, v := range findingMessages {
		messages[k] = v
	}
}
