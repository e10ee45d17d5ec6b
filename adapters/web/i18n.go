package web

import rpt "github.com/grantledger/grantledger/adapters/report"

// messages are the web pages' own words in English and Latvian; words the
// reports share (planned, actual, remainder, ...) come from the report
// package's labels, so a page and its printed report say the same.
var messages = map[string][2]string{
	"app":                  {"grantledger", "grantledger"},
	"skip":                 {"Skip to content", "Pāriet uz saturu"},
	"signin":               {"Sign in", "Pieteikties"},
	"signin_intro":         {"Sign in with your API token. The token is exchanged for a session; it is not kept in the browser.", "Piesakieties ar savu API žetonu. Žetons tiek apmainīts pret sesiju; pārlūkā tas netiek glabāts."},
	"token":                {"API token", "API žetons"},
	"token_hint":           {"Starts with glt_. Ask your administrator for one.", "Sākas ar glt_. Lūdziet to administratoram."},
	"token_unknown":        {"This token is unknown or was revoked.", "Šis žetons nav zināms vai ir atsaukts."},
	"token_missing":        {"Enter your token.", "Ievadiet žetonu."},
	"signin_limited":       {"Too many sign-ins; try again in %d seconds.", "Pārāk daudz pieteikšanās mēģinājumu; mēģiniet vēlreiz pēc %d sekundēm."},
	"signout":              {"Sign out", "Iziet"},
	"signed_in_as":         {"Signed in as", "Pieteicies kā"},
	"agreements":           {"Agreements", "Līgumi"},
	"reconciliation":       {"Reconciliation", "Salīdzinājums"},
	"audit":                {"Audit trail", "Audita taka"},
	"filter":               {"Filter", "Atlasīt"},
	"clear":                {"Clear", "Notīrīt"},
	"any":                  {"any", "jebkurš"},
	"has_findings":         {"Has findings", "Ir konstatējumi"},
	"findings_count":       {"Findings", "Konstatējumi"},
	"no_agreements":        {"No agreement matches.", "Neviens līgums neatbilst."},
	"as_of_now":            {"now", "tagad"},
	"as_of_show":           {"Show", "Rādīt"},
	"as_of_hint":           {"Pick a date to see what the ledger showed at the end of that day.", "Izvēlieties datumu, lai redzētu, ko virsgrāmata rādīja tās dienas beigās."},
	"past_view":            {"You are looking at the ledger as recorded at the end of %s. Forms are hidden in the past view.", "Jūs skatāt virsgrāmatu tādu, kāda tā bija %s beigās. Veidlapas pagātnes skatā nav rādītas."},
	"back_to_now":          {"Back to now", "Atpakaļ uz tagadni"},
	"ledger_state":         {"Computed from the ledger state (Merkle log: events · root hash):", "Aprēķināts no virsgrāmatas stāvokļa (Merkle žurnāls: notikumi · saknes jaucējkods):"},
	"signed_checkpoint":    {"Signed checkpoint of this state (check it with the ledger's public key: grantledger verify-proof, docs/PROOFS.md)", "Parakstīts šī stāvokļa kontrolpunkts (pārbaudiet to ar virsgrāmatas publisko atslēgu: grantledger verify-proof, docs/PROOFS.md)"},
	"language":             {"Language", "Valoda"},
	"years_side":           {"Implementation years side by side", "Īstenošanas gadi blakus"},
	"chart":                {"Planned and actual by year", "Plānotais un faktiskais pa gadiem"},
	"chart_desc":           {"Bar chart: for each implementation year, planned funding (light bars) beside actual spending (dark bars).", "Stabiņu diagramma: katram īstenošanas gadam plānotais finansējums (gaišie stabiņi) blakus faktiskajam izlietojumam (tumšie stabiņi)."},
	"report_of_year":       {"Report", "Kopsavilkums"},
	"download_xlsx":        {"Download XLSX", "Lejupielādēt XLSX"},
	"download_csv":         {"Download CSV", "Lejupielādēt CSV"},
	"print":                {"Print this page with your browser (A4).", "Drukājiet šo lapu ar pārlūku (A4)."},
	"forms":                {"Record", "Reģistrēt"},
	"submit":               {"Save", "Saglabāt"},
	"cmd_record_spending":  {"Record spending", "Reģistrēt izdevumus"},
	"cmd_record_delivery":  {"Record an indicator delivery", "Reģistrēt rādītāja izpildi"},
	"cmd_plan_budget":      {"Plan a budget", "Plānot budžetu"},
	"cmd_carry_over":       {"Approve a carry-over", "Apstiprināt pārcelšanu"},
	"cmd_return_unspent":   {"Approve a return", "Apstiprināt atgriešanu"},
	"cmd_close_year":       {"Close a year", "Slēgt gadu"},
	"f_line":               {"Budget line", "Budžeta pozīcija"},
	"f_year":               {"Implementation year", "Īstenošanas gads"},
	"f_from_year":          {"From year", "No gada"},
	"f_amount":             {"Amount (EUR)", "Summa (euro)"},
	"f_amount_opt":         {"Amount (EUR; empty: the whole remainder)", "Summa (euro; tukšs: viss atlikums)"},
	"f_date":               {"Date", "Datums"},
	"f_document":           {"Document", "Dokuments"},
	"f_description":        {"Description", "Apraksts"},
	"f_indicator":          {"Indicator", "Rādītājs"},
	"f_quantity":           {"Quantity", "Daudzums"},
	"f_identifiers":        {"Identifiers (one per line, for counted-once indicators)", "Identifikatori (pa vienam rindā)"},
	"f_evidence":           {"Evidence", "Pamatojums"},
	"f_to":                 {"Returned to (empty: the funder)", "Kam atgriezts (tukšs: finansētājam)"},
	"f_reason":             {"Reason", "Iemesls"},
	"bad_amount":           {"Not an amount. Write it like 1 234,56 or 1234.56.", "Nav summa. Rakstiet, piemēram, 1 234,56 vai 1234.56."},
	"bad_date":             {"Not a date. Write it like 2024-07-15 or 15.07.2024.", "Nav datums. Rakstiet, piemēram, 15.07.2024. vai 2024-07-15."},
	"bad_number":           {"Not a whole number.", "Nav vesels skaitlis."},
	"required":             {"Required.", "Obligāts."},
	"bad_text":             {"Not valid text (not UTF-8); nothing was saved. Type it again.", "Nederīgs teksts (nav UTF-8); nekas netika saglabāts. Ierakstiet to vēlreiz."},
	"saved":                {"Saved: %s.", "Saglabāts: %s."},
	"duplicate":            {"This form was already sent; it was applied once (%s).", "Šī veidlapa jau tika nosūtīta; tā piemērota vienreiz (%s)."},
	"form_refused":         {"Not saved. Nothing was changed; what you typed is kept below.", "Nav saglabāts. Nekas netika mainīts; ievadītais ir saglabāts zemāk."},
	"refused_untold":       {"Not saved:", "Nav saglabāts:"},
	"refused_conflict":     {"Someone else changed this agreement at the same moment; nothing was saved. Send the form again.", "Kāds cits tajā pašā brīdī mainīja šo līgumu; nekas netika saglabāts. Nosūtiet veidlapu vēlreiz."},
	"csrf_refused":         {"This form has expired or did not come from this site. Open the page again and resend.", "Veidlapa ir novecojusi vai nav no šīs vietnes. Atveriet lapu vēlreiz un nosūtiet atkārtoti."},
	"admin_no_pages":       {"Admin tokens manage tokens through the API; the pages show ledger data, which admins do not read.", "Administratora žetoni pārvalda žetonus caur API; lapas rāda virsgrāmatas datus, ko administratori nelasa."},
	"forbidden_agreement":  {"This agreement is not one of your organisation's.", "Šis līgums nav jūsu organizācijas."},
	"not_found":            {"Not found.", "Nav atrasts."},
	"auditor_only":         {"Only auditors read the audit trail.", "Audita taku lasa tikai revidenti."},
	"verify_ok":            {"Hash chains verified: %d events in %d streams, none altered.", "Jaucējķēdes pārbaudītas: %d notikumi %d plūsmās, neviens nav mainīts."},
	"verify_broken":        {"Hash chain BROKEN in %s at revision %d: %s", "Jaucējķēde BOJĀTA %s pie versijas %d: %s"},
	"actor":                {"Actor", "Izpildītājs"},
	"type":                 {"Event type", "Notikuma veids"},
	"from":                 {"From", "No"},
	"to_date":              {"To", "Līdz"},
	"window":               {"Window", "Periods"},
	"all_years":            {"all years", "visi gadi"},
	"no_indicators":        {"No indicators are defined.", "Rādītāji nav definēti."},
	"of_target":            {"%s of %s %s", "%s no %s %s"},
	"no_target":            {"%s %s (no target)", "%s %s (bez mērķa)"},
	"agreement_no":         {"Agreement", "Līgums"},
	"error":                {"Error", "Kļūda"},
	"reconciliation_intro": {"Planned against actual per budget line across agreements. Without a year or dates, every year side by side.", "Plānotais pret faktisko pa budžeta pozīcijām visos līgumos. Bez gada vai datumiem visi gadi blakus."},
}

// T returns the message key in the view's language (report labels when
// the pages have no word of their own).
func translate(l rpt.Lang, key string) string {
	if m, ok := messages[key]; ok {
		if l == rpt.LV && m[1] != "" {
			return m[1]
		}
		return m[0]
	}
	return rpt.L(l, key)
}
