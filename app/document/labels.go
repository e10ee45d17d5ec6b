package document

// labels holds every label in both languages. A label missing in Latvian
// falls back to English (a test checks that none is missing).
var labels = map[string][2]string{
	"yearly.title":              {"Yearly report", "Kopsavilkums"},
	"task":                      {"Task", "Valsts pārvaldes uzdevums"},
	"project":                   {"Project", "Projekts"},
	"agreement":                 {"Agreement", "Līgums"},
	"performer":                 {"Performer", "Uzdevuma veicējs"},
	"grantee":                   {"Grantee", "Finansējuma saņēmējs"},
	"funder":                    {"Funder", "Finansētājs"},
	"programme":                 {"Programme", "Programma"},
	"delegation_period":         {"Delegation period", "Deleģēšanas periods"},
	"project_period":            {"Project period", "Projekta periods"},
	"impl_year":                 {"Implementation year", "Īstenošanas gads"},
	"status":                    {"Status", "Statuss"},
	"open":                      {"open", "atvērts"},
	"closed":                    {"closed", "slēgts"},
	"as_of":                     {"As recorded at", "Stāvoklis uz"},
	"planned_vs_actual":         {"Planned and actual funding", "Plānotais un faktiski izlietotais finansējums"},
	"line":                      {"Budget line", "Budžeta pozīcija"},
	"planned_original":          {"Planned (original)", "Plānots (sākotnēji)"},
	"planned":                   {"Planned", "Plānots"},
	"carried_in":                {"Carried in", "Pārcelts no iepriekšējā perioda"},
	"actual":                    {"Actual", "Faktiski izlietots"},
	"carried_over":              {"Carried over", "Pārcelts uz nākamo periodu"},
	"returned":                  {"Returned", "Atgriezts"},
	"remainder":                 {"Remainder", "Atlikums"},
	"overspend":                 {"Overspend", "Pārtēriņš"},
	"variance":                  {"Variance", "Novirze"},
	"utilisation":               {"Utilisation", "Izlietojums"},
	"total":                     {"Total", "Kopā"},
	"remainder_moves":           {"Remainder", "Atlikums"},
	"carried_over_to":           {"Carried over to the next period", "Pārcelts uz nākamo periodu"},
	"carried_in_from":           {"Carried in from the previous period", "Pārcelts no iepriekšējā perioda"},
	"returned_to":               {"Returned to", "Atgriezts"},
	"amendments":                {"Budget amendments", "Budžeta grozījumi"},
	"ineligible":                {"Ineligible expenditure", "Neatbilstoši veiktie izdevumi"},
	"unrecovered":               {"Unrecovered funds", "Neatgūto līdzekļu apmērs"},
	"none":                      {"none", "Nav"},
	"indicators":                {"Indicators", "Rezultatīvie rādītāji"},
	"indicator":                 {"Indicator", "Rādītājs"},
	"unit":                      {"Unit", "Mērvienība"},
	"target":                    {"Target", "Mērķis"},
	"delivered":                 {"Delivered", "Sasniegts"},
	"achievement":               {"Achievement", "Izpilde"},
	"due":                       {"Due", "Termiņš"},
	"overdue":                   {"Overdue", "Nokavēts"},
	"yes":                       {"yes", "jā"},
	"no":                        {"no", "nē"},
	"evidence":                  {"Evidence", "Pamatojums"},
	"date":                      {"Date", "Datums"},
	"quantity":                  {"Quantity", "Daudzums"},
	"year":                      {"Year", "Gads"},
	"findings":                  {"Findings", "Konstatējumi"},
	"no_findings":               {"No findings.", "Konstatējumu nav."},
	"to":                        {"To", "Kam"},
	"from_year":                 {"From year", "No gada"},
	"to_year":                   {"To year", "Uz gadu"},
	"previous":                  {"Previous", "Iepriekš"},
	"new_amount":                {"Revised", "Grozīts"},
	"reason":                    {"Reason", "Pamatojums"},
	"recon.title":               {"Reconciliation: planned and actual", "Salīdzinājums: plānotais un faktiskais"},
	"scope":                     {"Scope", "Atlase"},
	"all":                       {"all agreements", "visi līgumi"},
	"window":                    {"Period", "Periods"},
	"basis":                     {"Basis", "Pamats"},
	"basis.implementation_year": {"implementation year", "īstenošanas gads"},
	"basis.date_range":          {"date range: actual by spending date; planned of the implementation years that overlap it", "datumu intervāls: faktiskais pēc izdevumu datuma; plānotais no īstenošanas gadiem, kas to pārklāj"},
	"agreements":                {"Agreements", "Līgumi"},
	"years":                     {"Years", "Gadi"},
	"multi.title":               {"Planned and actual by implementation year", "Plānotais un faktiskais pa īstenošanas gadiem"},
	"ind.title":                 {"Indicators: targets and deliveries", "Rezultatīvie rādītāji: mērķi un sasniegtais"},
	"audit.title":               {"Audit trail", "Audita pieraksts"},
	"position":                  {"Position", "Pozīcija"},
	"recorded_at":               {"Recorded at", "Reģistrēts"},
	"actor":                     {"Actor", "Darbinieks"},
	"command_id":                {"Command id", "Komandas id"},
	"type":                      {"Event", "Notikums"},
	"hash":                      {"Hash", "Kontrolsumma"},
	"amount":                    {"Amount", "Summa"},
	"chain":                     {"Hash chains", "Kontrolsummu ķēdes"},
	"chain_ok":                  {"intact: %d events in %d streams verified", "neskartas: pārbaudīti notikumi: %d, plūsmas: %d"},
	"chain_broken":              {"BROKEN: %d stream(s) fail verification", "BOJĀTAS: pārbaudi neiztur plūsmas: %d"},
	"chain_not_checked":         {"not checked", "nav pārbaudītas"},
	"summary.sheet":             {"Summary", "Kopsavilkums"},
	"details":                   {"Details", "Pamatdati"},
	"files":                     {"Files", "Datnes"},
	"sheet.Lines":               {"Lines", "Pozīcijas"},
	"sheet.Indicators":          {"Indicators", "Rādītāji"},
	"sheet.Amendments":          {"Amendments", "Grozījumi"},
	"sheet.Reconciliation":      {"Reconciliation", "Salīdzinājums"},
	"sheet.Years":               {"Years", "Gadi"},
	"sheet.Deliveries":          {"Deliveries", "Izpilde"},
	"sheet.Audit":               {"Audit", "Audits"},
	"sheet.Restated":            {"Restated", "Labotais"},
	"state.heading":             {"Ledger state (Merkle log checkpoint)", "Virsgrāmatas stāvoklis (Merkle žurnāla kontrolpunkts)"},
	"state.events":              {"Events in the log", "Notikumi žurnālā"},
	"state.root":                {"Root hash", "Saknes kontrolsumma"},
	"state.unverified":          {"NOT VERIFIED: made with --no-verify; the log was not checked before this report", "NAV PĀRBAUDĪTS: izveidots ar --no-verify; žurnāls pirms šī pārskata netika pārbaudīts"},
	"state.signed":              {"Signed checkpoint:", "Parakstīts kontrolpunkts:"},
	"state.check":               {"Check it later with: grantledger verify --checkpoint (a signed checkpoint of this size), or compare the root hash with 'grantledger checkpoint'.", "Vēlāk pārbaudiet ar: grantledger verify --checkpoint (šī izmēra parakstīts kontrolpunkts) vai salīdziniet saknes kontrolsummu ar 'grantledger checkpoint'."},
}

// L returns the label key in language l.
func L(l Lang, key string) string {
	v, ok := labels[key]
	if !ok {
		return key
	}
	if l == LV && v[1] != "" {
		return v[1]
	}
	return v[0]
}

// LabelKeys returns every label key (for tests and translators).
func LabelKeys() []string {
	out := make([]string, 0, len(labels))
	for k := range labels {
		out = append(out, k)
	}
	return out
}
