package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Forms of work plans, reporting obligations and documents (issue 15).

// workForms are the issue-15 commands the pages offer, after the others.
var workForms = []string{
	domain.CmdReverseDelivery, domain.CmdSubmitReport, domain.CmdRequireReport, domain.CmdAcceptReport, domain.CmdReturnReport,
	domain.CmdAmendTarget, domain.CmdAddParty, domain.CmdRegisterDocument, domain.CmdLinkDocument, domain.CmdRecordNarrative,
}

func init() {
	commandForms = append(commandForms, workForms...)
	for k, v := range workMessages {
		messages[k] = v
	}
}

// workFields are the fields of the issue-15 forms.
func workFields(v *view, a *domain.Agreement, typ string, sel func(string, string, []option) *field, in func(string, string, string, bool) *field, years []option) []*field {
	var indicators, reports, submitted, docs []option
	for _, id := range a.SortedIndicatorIDs() {
		if ind := a.Indicators()[id]; ind != nil {
			indicators = append(indicators, option{id, ind.Name})
		}
	}
	for _, o := range a.SortedObligations() {
		label := o.Report + " · " + strconv.Itoa(o.Year) + " · " + v.Date(o.Due)
		reports = append(reports, option{o.Report, label})
		if o.Status == domain.ObligationSubmitted {
			submitted = append(submitted, option{o.Report, label})
		}
	}
	for _, code := range a.Work().DocOrder {
		if d := a.Work().Documents[code]; d != nil {
			docs = append(docs, option{code, code + " · " + d.Name})
		}
	}
	switch typ {
	case domain.CmdReverseDelivery:
		var ds []option
		for _, d := range a.SortedDeliveries() {
			if !d.Reversed {
				ds = append(ds, option{d.ID.String(), d.Indicator + " · " + strconv.Itoa(d.Year) + " · " + v.Date(d.Date) + " · " + strconv.FormatInt(d.Quantity, 10)})
			}
		}
		return []*field{sel("delivery", "f_delivery", ds), in("date", "f_date", "date", true)}
	case domain.CmdSubmitReport:
		opt := sel("document", "f_document_opt", append([]option{{"", "—"}}, docs...))
		opt.Required = false
		return []*field{sel("report", "f_report_code", reports), in("date", "f_date", "date", true), in("sha256", "f_sha256", "text", true),
			in("size", "f_size", "number", false), opt}
	case domain.CmdRequireReport:
		kinds := []option{{domain.ReportInterim, v.T("rep_interim")}, {domain.ReportFinal, v.T("rep_final")}, {domain.ReportOther, v.T("rep_other")}}
		return []*field{in("report", "f_report_new", "text", true), sel("kind", "f_report_kind", kinds), sel("year", "f_year", years),
			in("due", "f_due", "date", true), in("name", "f_name", "text", false)}
	case domain.CmdAcceptReport, domain.CmdReturnReport:
		return []*field{sel("report", "f_report_code", submitted), in("date", "f_date", "date", true)}
	case domain.CmdAmendTarget:
		return []*field{sel("indicator", "f_indicator", indicators), sel("year", "f_year", years), in("targets", "f_targets", "textarea", true),
			in("date", "f_date", "date", true)}
	case domain.CmdAddParty:
		roles := []option{{domain.PartyPartner, "partner"}, {domain.PartyImplementing, "implementing"}, {domain.PartyAccountable, "accountable"},
			{domain.PartyFunding, "funding"}, {domain.PartyExtending, "extending"}}
		return []*field{in("organisation", "f_organisation", "text", true), sel("roles", "f_role", roles), in("contact_name", "f_contact_name", "text", false),
			in("contact_email", "f_contact_email", "text", false), in("contact_phone", "f_contact_phone", "text", false)}
	case domain.CmdRegisterDocument:
		kinds := []option{{"agreement", v.T("doc_agreement")}, {"annex", v.T("doc_annex")}, {"invoice", v.T("doc_invoice")},
			{"payment_order", v.T("doc_payment_order")}, {"result", v.T("doc_result")}, {"report", v.T("doc_report")}}
		return []*field{in("document", "f_document_code", "text", true), sel("kind", "f_doc_kind", kinds), in("name", "f_name", "text", true),
			in("sha256", "f_sha256", "text", true), in("size", "f_size", "number", false), in("uri", "f_uri", "text", false)}
	case domain.CmdRecordNarrative:
		ys := append([]option{{"0", v.T("whole_period")}}, years...)
		fields := []option{{domain.NarrativeDescription, v.T("narr_description")}, {domain.NarrativeOther, v.T("narr_other")}}
		return []*field{sel("year", "f_year", ys), sel("field", "f_narrative", fields), in("text", "f_text", "textarea", true)}
	case domain.CmdLinkDocument:
		return []*field{sel("document", "f_document_code", docs), in("event", "f_event", "text", false), in("report", "f_report_code", "text", false)}
	}
	return nil
}

// parseWorkForm builds the command of an issue-15 form; ok is false when a
// typed value cannot be read (the field's error is set).
func parseWorkForm(v *view, f *form, ref domain.Ref, get func(string) string, date func(string) domain.Date, integer func(string) int64) domain.Command {
	switch f.Type {
	case domain.CmdReverseDelivery:
		id, _ := uuid.Parse(get("delivery")) // a select's own values; a forged one is uuid.Nil and refused by validation
		return domain.ReverseDelivery{Ref: ref, Delivery: id, Date: date("date")}
	case domain.CmdSubmitReport:
		return domain.SubmitReport{Ref: ref, Report: get("report"), Date: date("date"), SHA256: strings.ToLower(get("sha256")), Size: integer("size"), Document: get("document")}
	case domain.CmdRequireReport:
		return domain.RequireReport{Ref: ref, Report: get("report"), Kind: get("kind"), Year: int(integer("year")), Due: date("due"), Name: get("name")}
	case domain.CmdAcceptReport:
		return domain.AcceptReport{Ref: ref, Report: get("report"), Date: date("date")}
	case domain.CmdReturnReport:
		return domain.ReturnReport{Ref: ref, Report: get("report"), Date: date("date")}
	case domain.CmdAmendTarget:
		ts, ok := parseTargets(get("targets"))
		if !ok {
			f.field("targets").Error = v.T("bad_targets")
		}
		return domain.AmendTarget{Ref: ref, Indicator: get("indicator"), Year: int(integer("year")), Targets: ts, Date: date("date")}
	case domain.CmdAddParty:
		c := domain.AddParty{Ref: ref, Organisation: get("organisation"), Roles: []string{get("roles")}}
		if n := get("contact_name"); n != "" || get("contact_email") != "" || get("contact_phone") != "" {
			c.Contacts = []domain.Contact{{Name: n, Email: get("contact_email"), Phone: get("contact_phone")}}
		}
		return c
	case domain.CmdRegisterDocument:
		return domain.RegisterDocument{Ref: ref, Document: get("document"), Kind: get("kind"), Name: get("name"), SHA256: strings.ToLower(get("sha256")),
			Size: integer("size"), URI: get("uri")}
	case domain.CmdRecordNarrative:
		return domain.RecordNarrative{Ref: ref, Year: int(integer("year")), Field: get("field"), Text: get("text")}
	case domain.CmdLinkDocument:
		c := domain.LinkDocument{Ref: ref, Document: get("document"), Report: get("report")}
		if s := get("event"); s != "" {
			id, err := uuid.Parse(s)
			if err != nil {
				f.field("event").Error = v.T("bad_event")
			}
			c.Event = &id
		}
		return c
	}
	return nil
}

// parseTargets reads a schedule typed one target a line, "1 by 2025-06-30"
// or "2: 31.12.2025." (a target and its due date), or a bare target.
func parseTargets(s string) ([]domain.ScheduledTarget, bool) {
	var out []domain.ScheduledTarget
	for _, ln := range strings.Split(s, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" {
			continue
		}
		num, due, hasDue := strings.Cut(ln, " by ")
		if !hasDue {
			num, due, hasDue = strings.Cut(ln, ":")
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil {
			return out, false
		}
		t := domain.ScheduledTarget{Target: n}
		if hasDue {
			d, err := domain.ParseDate(strings.TrimSpace(due))
			if err != nil {
				return out, false
			}
			t.Due = &d
		}
		out = append(out, t)
	}
	return out, len(out) > 0
}

// cloneWork copies what the issue-15 forms list.
func cloneWork(w domain.WorkState) domain.WorkState {
	var c domain.WorkState
	c.Init()
	for k, d := range w.Deliveries {
		cp := *d
		c.Deliveries[k] = &cp
	}
	for k, o := range w.Obligations {
		cp := *o
		c.Obligations[k] = &cp
	}
	for k, d := range w.Documents {
		cp := *d
		c.Documents[k] = &cp
	}
	c.ObligOrder = append([]string(nil), w.ObligOrder...)
	c.DocOrder = append([]string(nil), w.DocOrder...)
	c.Parties = append([]domain.Party(nil), w.Parties...)
	return c
}

// obligationLines says each obligation of a year report in the page's words.
func obligationLines(v *view, rows []projections.ObligationRow) []string {
	var out []string
	for _, o := range rows {
		s := fmt.Sprintf("%s (%s, %s %d) · %s %s · %s", o.Report, v.T("rep_"+o.Kind), v.T("impl_year"), o.Year, v.T("f_due"), v.Date(o.Due), v.T("obl_"+o.Status))
		if o.SubmittedOn != nil {
			s += " · " + v.T("obl_submitted") + " " + v.Date(*o.SubmittedOn)
		}
		if o.Returned != "" && o.Status == domain.ObligationReturned {
			s += " · " + o.Returned
		}
		out = append(out, s)
	}
	return out
}

var workMessages = map[string][2]string{
	"obligations":           {"Reports owed", "Iesniedzamās atskaites"},
	"obl_due":               {"due", "jāiesniedz"},
	"obl_overdue":           {"overdue", "nokavēta"},
	"obl_submitted":         {"submitted", "iesniegta"},
	"obl_accepted":          {"accepted", "pieņemta"},
	"obl_returned":          {"returned", "atdota"},
	"cmd_reverse_delivery":  {"Reverse an indicator delivery", "Stornēt rādītāja izpildi"},
	"cmd_submit_report":     {"Submit a report", "Iesniegt atskaiti"},
	"cmd_require_report":    {"Require a report", "Noteikt atskaites iesniegšanas pienākumu"},
	"cmd_accept_report":     {"Accept a report", "Pieņemt atskaiti"},
	"cmd_return_report":     {"Return a report", "Atdot atskaiti"},
	"cmd_amend_target":      {"Amend an indicator's targets", "Grozīt rādītāja mērķus"},
	"cmd_add_party":         {"Add a party", "Pievienot pusi"},
	"cmd_register_document": {"Register a document", "Reģistrēt dokumentu"},
	"cmd_link_document":     {"Link a document", "Piesaistīt dokumentu"},
	"f_delivery":            {"Delivery", "Izpilde"},
	"f_report_code":         {"Report", "Atskaite"},
	"f_report_new":          {"Report code", "Atskaites kods"},
	"f_report_kind":         {"Kind", "Veids"},
	"f_due":                 {"Due", "Termiņš"},
	"f_name":                {"Name", "Nosaukums"},
	"f_sha256":              {"SHA-256 of the file", "Datnes SHA-256"},
	"f_size":                {"Size in bytes (optional)", "Izmērs baitos (nav obligāts)"},
	"f_document_opt":        {"Registered document (optional)", "Reģistrēts dokuments (nav obligāts)"},
	"f_document_code":       {"Document", "Dokuments"},
	"f_doc_kind":            {"Kind", "Veids"},
	"f_uri":                 {"Address (optional)", "Adrese (nav obligāta)"},
	"f_event":               {"Event id of a spending, delivery or payment", "Izdevuma, izpildes vai maksājuma notikuma id"},
	"f_targets":             {"Targets, one a line: 1 by 2025-06-30", "Mērķi, pa vienam rindā: 1 by 2025-06-30"},
	"f_organisation":        {"Organisation", "Organizācija"},
	"f_role":                {"Role", "Loma"},
	"f_contact_name":        {"Contact person (optional)", "Kontaktpersona (nav obligāta)"},
	"f_contact_email":       {"E-mail (optional)", "E-pasts (nav obligāts)"},
	"f_contact_phone":       {"Phone (optional)", "Tālrunis (nav obligāts)"},
	"rep_interim":           {"interim", "starpposma"},
	"rep_final":             {"final", "noslēguma"},
	"rep_other":             {"other", "cits"},
	"doc_agreement":         {"agreement", "līgums"},
	"doc_annex":             {"annex", "pielikums"},
	"doc_invoice":           {"invoice", "rēķins"},
	"doc_payment_order":     {"payment order", "maksājuma uzdevums"},
	"doc_result":            {"result", "rezultāts"},
	"doc_report":            {"report", "atskaite"},
	"bad_targets":           {"Write one target a line, as 1 by 2025-06-30.", "Rakstiet pa vienam mērķim rindā, piemēram, 1 by 2025-06-30."},
	"cmd_record_narrative":  {"Write the summary's text", "Rakstīt kopsavilkuma tekstu"},
	"whole_period":          {"the whole period", "viss periods"},
	"narr_description":      {"Description and assessment", "Apraksts un vērtējums"},
	"narr_other":            {"Other information", "Cita informācija"},
	"f_narrative":           {"Part", "Sadaļa"},
	"f_text":                {"Text", "Teksts"},
	"bad_event":             {"Not an event id.", "Nav notikuma id."},
}

// The sentences of the issue-15 rules (see ruleTexts); none carries figures.
func init() {
	for k, v := range map[string][2]string{
		"memorandum-without-money":  {"A memorandum records tasks and deadlines, not money: this command does not apply to it.", "Memorands reģistrē uzdevumus un termiņus, nevis naudu: šī darbība tam nav piemērojama."},
		"delivery-already-reversed": {"This delivery has already been reversed.", "Šī izpilde jau ir stornēta."},
		"targets-change-nothing":    {"The indicator already has these targets in that year; the amendment would change nothing.", "Rādītājam tajā gadā jau ir šie mērķi; grozījums neko nemainītu."},
		"report-already-submitted":  {"This report was submitted and waits for the funder; it can be submitted again only after it is returned.", "Šī atskaite ir iesniegta un gaida finansētāja lēmumu; atkārtoti to var iesniegt tikai pēc tam, kad tā atdota."},
		"report-already-accepted":   {"This report has already been accepted.", "Šī atskaite jau ir pieņemta."},
		"report-not-submitted":      {"This report is not submitted and waiting: only a submitted report can be accepted, returned or linked.", "Šī atskaite nav iesniegta: pieņemt, atdot vai piesaistīt var tikai iesniegtu atskaiti."},
		"narrative-changes-nothing": {"The text already reads so; nothing would change.", "Teksts jau ir tieši tāds; nekas nemainītos."},
		"document-already-linked":   {"This document is already linked there.", "Šis dokuments tur jau ir piesaistīts."},
	} {
		en, lv := v[0], v[1]
		ruleTexts[k] = func(f *figures, _ func(string) string) string { return f.say("%s", "%s", pick(f, en, lv)) }
	}
}

func pick(f *figures, en, lv string) string {
	if f.l == document.LV {
		return lv
	}
	return en
}
