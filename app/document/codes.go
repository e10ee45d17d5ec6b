package document

import "sort"

// codeLabels names the ledger's event types and the findings' codes in
// English and Latvian, for pages and files people read (the codes
// themselves stay in JSON and CSV for programs).
var codeLabels = map[string][2]string{
	// Event types (domain.Type*).
	"AgreementRegistered":            {"Agreement registered", "Līgums reģistrēts"},
	"BudgetLineAdded":                {"Budget line added", "Budžeta pozīcija pievienota"},
	"BudgetPlanned":                  {"Budget planned", "Budžets plānots"},
	"BudgetAmended":                  {"Budget amended", "Budžets grozīts"},
	"SpendingRecorded":               {"Spending recorded", "Izdevumi reģistrēti"},
	"SpendingReversed":               {"Spending reversed", "Izdevumi stornēti"},
	"RemainderCarriedOver":           {"Remainder carried over", "Atlikums pārcelts"},
	"UnspentReturned":                {"Unspent funds returned", "Neizlietotais atgriezts"},
	"IneligibleExpenditureDeclared":  {"Ineligible expenditure declared", "Neatbilstoši izdevumi konstatēti"},
	"IneligibleExpenditureRecovered": {"Ineligible expenditure recovered", "Neatbilstoši izdevumi atgūti"},
	"IndicatorDefined":               {"Indicator defined", "Rādītājs noteikts"},
	"IndicatorDelivered":             {"Indicator delivery recorded", "Rādītāja izpilde reģistrēta"},
	"YearClosed":                     {"Year closed", "Gads slēgts"},
	"PlanSplit":                      {"Plan split", "Plāns sadalīts"},
	"DisbursementPlanned":            {"Disbursement planned", "Izmaksa plānota"},
	"DisbursementRecorded":           {"Disbursement recorded", "Izmaksa reģistrēta"},
	"DisbursementReversed":           {"Disbursement reversed", "Izmaksa stornēta"},
	"RefundRecorded":                 {"Refund recorded", "Atmaksa reģistrēta"},
	"TargetAmended":                  {"Indicator target amended", "Rādītāja mērķis grozīts"},
	"DeliveryReversed":               {"Indicator delivery reversed", "Rādītāja izpilde stornēta"},
	"PartyAdded":                     {"Party added", "Dalībnieks pievienots"},
	"ReportRequired":                 {"Report required", "Pārskats pieprasīts"},
	"ReportSubmitted":                {"Report submitted and sealed", "Pārskats iesniegts un aizzīmogots"},
	"ReportAccepted":                 {"Report accepted", "Pārskats apstiprināts"},
	"ReportReturned":                 {"Report returned", "Pārskats atgriezts"},
	"DocumentRegistered":             {"Document registered", "Dokuments reģistrēts"},
	"DocumentLinked":                 {"Document linked", "Dokuments piesaistīts"},
	"NarrativeRecorded":              {"Narrative recorded", "Apraksts reģistrēts"},
	"TokenCreated":                   {"Token created", "Žetons izveidots"},
	"TokenRevoked":                   {"Token revoked", "Žetons atsaukts"},
	// Finding codes (projections.Finding*).
	"overspend":              {"Overspend", "Pārtēriņš"},
	"unexplained_remainder":  {"Unexplained remainder", "Nepamatots atlikums"},
	"open_past_end":          {"Year still open after its end", "Gads nav slēgts pēc beigām"},
	"indicator_behind":       {"Indicator behind target", "Rādītājs atpaliek no mērķa"},
	"unrecovered_ineligible": {"Ineligible expenditure not recovered", "Neatgūti neatbilstoši izdevumi"},
	"restated_after_closing": {"Restated after closing", "Labots pēc slēgšanas"},
	"paid_above_schedule":    {"Paid above the schedule", "Izmaksāts virs grafika"},
	"paid_above_ceiling":     {"Paid above the ceiling", "Izmaksāts virs maksimālā apmēra"},
	"planned_above_ceiling":  {"Planned above the ceiling", "Plānots virs maksimālā apmēra"},
	"refund_overdue":         {"Refund overdue", "Atmaksa nokavēta"},
	"indicator_late":         {"Indicator target met late", "Rādītāja mērķis sasniegts novēloti"},
	"report_overdue":         {"Report overdue", "Pārskats nokavēts"},
	"prefinanced":            {"Prefinanced", "Priekšfinansēts"},
	"intensity_exceeded":     {"Aid intensity exceeded", "Atbalsta intensitāte pārsniegta"},
}

// CodeLabel says an event type or a finding code in language l; a code it
// does not know comes back as it is.
func CodeLabel(l Lang, code string) string {
	v, ok := codeLabels[code]
	if !ok {
		return code
	}
	if l == LV {
		return v[1]
	}
	return v[0]
}

// EventTypes lists the event types CodeLabel names, sorted.
func EventTypes() []string {
	var out []string
	for k := range codeLabels {
		if k[0] >= 'A' && k[0] <= 'Z' {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
