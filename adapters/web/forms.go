package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// field is one input of a form, with what was typed and its error.
type field struct {
	Name, Label, Kind, Value, Error, Hint string
	Detail                                string // the ledger's own words under Error (see refusal)
	Required                              bool
	Options                               []option
}

// ID is the input's HTML id, unique on the page.
func (f field) ID(form string) string { return "f-" + form + "-" + f.Name }

type option struct{ Value, Label string }

// form is one command form: its type, its fields, the command id it will
// send and what went wrong the last time.
type form struct {
	Type      string
	Title     string
	CommandID string
	Fields    []*field
	Error     string
	Detail    string // the ledger's own words under Error (see refusal)
	Open      bool   // shown expanded (it has errors)
}

func (f *form) field(name string) *field {
	for _, x := range f.Fields {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// commandForms is every command the pages offer, in the order shown.
var commandForms = []string{
	domain.CmdRecordSpending, domain.CmdRecordDelivery,
	domain.CmdPlanBudget, domain.CmdCarryOver, domain.CmdReturnUnspent, domain.CmdCloseYear,
	domain.CmdRecordDisbursement, domain.CmdRecordRefund, domain.CmdPlanDisbursement, domain.CmdReverseDisbursement, domain.CmdSplitPlan,
	domain.CmdDeclareIneligible, domain.CmdRecordRecovery, domain.CmdReverseClosedSpending,
}

// formsFor builds the forms the principal may send on agreement a: none in
// the past view, and only the commands of their role (the same table the
// API applies: an auditor gets the findings forms and nothing else). typed, when set, refills one form.
func (h *Handler) formsFor(v *view, a *domain.Agreement, typed *form) []*form {
	if v.Past() || a == nil || !v.Who.MayAccess(a.Registration().Funder, a.Registration().Grantee) {
		return nil
	}
	var out []*form
	for _, typ := range commandForms {
		if !v.Who.MayAct(typ, a.Registration().Funder, a.Registration().Grantee) {
			continue
		}
		if typed != nil && typed.Type == typ {
			out = append(out, typed)
			continue
		}
		out = append(out, newForm(v, a, typ))
	}
	return out
}

func newForm(v *view, a *domain.Agreement, typ string) *form {
	f := &form{Type: typ, Title: v.T("cmd_" + typ), CommandID: uuid.NewString()}
	var lines, years, indicators []option
	for _, l := range a.Lines() {
		lines = append(lines, option{l.Line, l.Name})
	}
	for _, y := range a.Years() {
		years = append(years, option{strconv.Itoa(y.Year), strconv.Itoa(y.Year) + " (" + v.Period(domain.Period{From: y.From, To: y.To}) + ")"})
	}
	for _, id := range a.SortedIndicatorIDs() {
		if ind := a.Indicators()[id]; ind != nil {
			indicators = append(indicators, option{id, ind.Name})
		}
	}
	sel := func(name, label string, opts []option) *field {
		return &field{Name: name, Label: v.T(label), Kind: "select", Options: opts, Required: true}
	}
	in := func(name, label, kind string, req bool) *field {
		return &field{Name: name, Label: v.T(label), Kind: kind, Required: req}
	}
	switch typ {
	case domain.CmdRecordSpending:
		f.Fields = []*field{sel("line", "f_line", lines), sel("year", "f_year", years), in("amount", "f_amount", "text", true),
			in("date", "f_date", "date", true), in("document", "f_document", "text", true), in("description", "f_description", "textarea", false)}
	case domain.CmdRecordDelivery:
		f.Fields = []*field{sel("indicator", "f_indicator", indicators), sel("year", "f_year", years), in("quantity", "f_quantity", "number", false),
			in("identifiers", "f_identifiers", "textarea", false), in("date", "f_date", "date", true), in("evidence", "f_evidence", "text", false)}
	case domain.CmdPlanBudget:
		f.Fields = []*field{sel("line", "f_line", lines), sel("year", "f_year", years), in("amount", "f_amount", "text", true)}
	case domain.CmdCarryOver:
		f.Fields = []*field{sel("line", "f_line", lines), sel("from_year", "f_from_year", years), in("amount", "f_amount_opt", "text", false), in("date", "f_date", "date", true)}
	case domain.CmdReturnUnspent:
		f.Fields = []*field{sel("line", "f_line", lines), sel("year", "f_year", years), in("amount", "f_amount_opt", "text", false),
			in("to", "f_to", "text", false), in("date", "f_date", "date", true)}
	case domain.CmdCloseYear:
		f.Fields = []*field{sel("year", "f_year", years), in("date", "f_date", "date", true)}
	default:
		f.Fields = cashFields(v, a, typ, sel, in, years)
		if f.Fields == nil {
			f.Fields = findingFields(v, a, typ, sel, in, years)
		}
		if f.Fields == nil {
			f.Fields = workFields(v, a, typ, sel, in, years)
		}
	}
	f.Fields = append(f.Fields, in("reason", "f_reason", "text", false))
	return f
}

// parseForm reads the typed values into f and builds the command; field
// errors are set on f's fields, and a command is returned only when there
// are none.
func parseForm(v *view, f *form, number string, pf map[string][]string) domain.Command {
	get := func(name string) string {
		if vs := pf[name]; len(vs) > 0 {
			return strings.TrimSpace(vs[0])
		}
		return ""
	}
	for _, fd := range f.Fields {
		fd.Value = get(fd.Name)
		if !utf8.ValidString(fd.Value) {
			// Browsers send UTF-8; anything else would be recorded with
			// its bad bytes replaced. Refuse it and show what can be shown.
			fd.Value = strings.ToValidUTF8(fd.Value, "\uFFFD")
			fd.Error = v.T("bad_text")
			continue
		}
		if fd.Required && fd.Value == "" {
			fd.Error = v.T("required")
		}
	}
	money := func(name string, optional bool) domain.Money {
		fd := f.field(name)
		if fd.Value == "" {
			return 0
		}
		m, err := domain.ParseMoney(fd.Value)
		if err != nil {
			fd.Error = v.T("bad_amount")
		}
		return m
	}
	date := func(name string) domain.Date {
		fd := f.field(name)
		if fd.Value == "" {
			return 0
		}
		d, err := domain.ParseDate(fd.Value)
		if err != nil {
			fd.Error = v.T("bad_date")
		}
		return d
	}
	integer := func(name string) int64 {
		fd := f.field(name)
		if fd.Value == "" {
			return 0
		}
		n, err := strconv.ParseInt(fd.Value, 10, 64)
		if err != nil {
			fd.Error = v.T("bad_number")
		}
		return n
	}
	ref := domain.Ref{Agreement: number}
	var cmd domain.Command
	switch f.Type {
	case domain.CmdRecordSpending:
		cmd = domain.RecordSpending{Ref: ref, Line: get("line"), Year: int(integer("year")), Amount: money("amount", false),
			Date: date("date"), Document: get("document"), Description: get("description")}
	case domain.CmdRecordDelivery:
		var ids []string
		for _, s := range strings.Split(get("identifiers"), "\n") {
			if s = strings.TrimSpace(s); s != "" {
				ids = append(ids, s)
			}
		}
		cmd = domain.RecordDelivery{Ref: ref, Indicator: get("indicator"), Year: int(integer("year")), Quantity: integer("quantity"),
			Identifiers: ids, Date: date("date"), Evidence: get("evidence")}
	case domain.CmdPlanBudget:
		cmd = domain.PlanBudget{Ref: ref, Line: get("line"), Year: int(integer("year")), Amount: money("amount", false)}
	case domain.CmdCarryOver:
		cmd = domain.CarryOver{Ref: ref, Line: get("line"), FromYear: int(integer("from_year")), Amount: money("amount", true), Date: date("date")}
	case domain.CmdReturnUnspent:
		cmd = domain.ReturnUnspent{Ref: ref, Line: get("line"), Year: int(integer("year")), Amount: money("amount", true), To: get("to"), Date: date("date")}
	case domain.CmdCloseYear:
		cmd = domain.CloseYear{Ref: ref, Year: int(integer("year")), Date: date("date")}
	case domain.CmdDeclareIneligible, domain.CmdRecordRecovery, domain.CmdReverseClosedSpending:
		var bad bool
		cmd, bad = parseFindingForm(f.Type, ref, get, money, date, integer)
		if bad {
			f.field("spending").Error = v.T("bad_event_id")
		}
	default:
		cmd = parseCashForm(f.Type, ref, get, money, date, integer)
		if cmd == nil {
			cmd = parseWorkForm(v, f, ref, get, date, integer)
		}
		if c, ok := cmd.(domain.SplitPlan); ok {
			parts, ok := parseParts(get("parts"))
			if !ok {
				f.field("parts").Error = v.T("bad_parts")
			}
			c.Parts = parts
			cmd = c
		}
	}
	for _, fd := range f.Fields {
		if fd.Error != "" {
			return nil
		}
	}
	return cmd
}

// command applies one form. The actor is the signed-in principal; the
// command id comes from the form, so sending it twice applies it once.
// On a refusal the page is drawn again with the error next to its field
// and what was typed kept.
func (h *Handler) command(w http.ResponseWriter, r *http.Request, v *view) {
	number := r.URL.Query().Get("no")
	typ := r.PostForm.Get("type")
	if v.Past() {
		h.fail(w, r, v, http.StatusBadRequest, v.Tf("past_view", v.AsOfDate))
		return
	}
	page, status, err := h.loadAgreement(r, v, number)
	if err != nil {
		h.fail(w, r, v, status, err.Error())
		return
	}
	v.Title = number
	if !knownForm(typ) || !v.Who.MayAct(typ, page.A.Registration().Funder, page.A.Registration().Grantee) {
		h.fail(w, r, v, http.StatusForbidden, "the "+v.Who.Role+" role may not send "+typ)
		return
	}
	id, err := uuid.Parse(r.PostForm.Get("command_id"))
	if err != nil {
		h.fail(w, r, v, http.StatusBadRequest, "command_id: "+err.Error())
		return
	}
	f := newForm(v, page.A, typ)
	f.CommandID = id.String()
	cmd := parseForm(v, f, number, r.PostForm)
	if cmd != nil {
		env := domain.NewEnvelope(id, v.Who.Actor(), f.field("reason").Value, cmd)
		// The command as the service takes it: decoded back from the
		// envelope, so that the same strict decoding and validation apply
		// as to a command sent to the API.
		decoded, err := wire.DecodeCommand(env)
		var out command.Outcome
		if err == nil {
			out = h.cfg.Ledger.Handle(r.Context(), []command.Request{{Envelope: env, Command: decoded}})[0]
			err = out.Err
		}
		if err == nil {
			key := "saved"
			if out.Result.Duplicate {
				key = "dup"
			}
			http.Redirect(w, r, v.U("/agreement", "no", number, key, typ)+"#forms", http.StatusSeeOther)
			return
		}
		h.log.Info("web: command refused", "type", typ, "agreement", number, "actor", v.Who.Actor(), "error", err)
		placeError(v, f, page.A, err)
	}
	f.Open = true
	if f.Error == "" {
		f.Error = v.T("form_refused")
	}
	// A refused command appended nothing; the next try gets a new id.
	f.CommandID = uuid.NewString()
	v.Problem = v.T("form_refused")
	page.Forms = h.formsFor(v, page.A, f)
	h.render(w, http.StatusUnprocessableEntity, "agreement", page)
}

func knownForm(typ string) bool {
	for _, t := range commandForms {
		if t == typ {
			return true
		}
	}
	return false
}

// placeError puts a ledger refusal, in the page's language (see explain),
// next to the field it is about, or at the top of the form when it names
// none (a rule about several figures). When it goes next to a field, the
// top of the form shows the generic "not saved" line.
func placeError(v *view, f *form, a *domain.Agreement, err error) {
	r := explain(v.Lang, err, a)
	if r.Field != "" {
		if fd := f.field(r.Field); fd != nil {
			fd.Error, fd.Detail = r.Text, r.Detail
			f.Error, f.Detail = "", ""
			return
		}
	}
	f.Error, f.Detail = r.Text, r.Detail
}
