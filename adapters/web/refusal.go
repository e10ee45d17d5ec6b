package web

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
)

// refusal is why the ledger refused a form, in the page's language. Text
// says it in the page's words, with the figures formatted as the page
// formats money; Detail, when set, is the ledger's own message (always
// English), shown under Text so that nothing the ledger said is lost (the
// line, the year, the dates). Field is the form field it belongs to, ""
// for the whole form.
type refusal struct {
	Text, Detail, Field string
}

// figures reads a rule's figures for a sentence in language l and notes
// any the sentence needs that the rule did not carry.
type figures struct {
	l       document.Lang
	m       map[string]domain.Money
	missing []string
}

// money is figure name, noting it when absent.
func (f *figures) money(name string) domain.Money {
	v, ok := f.m[name]
	if !ok {
		f.missing = append(f.missing, name)
	}
	return v
}

// euro is figure name formatted as the page formats money.
func (f *figures) euro(name string) string { return f.fmt(f.money(name)) }

func (f *figures) fmt(m domain.Money) string { return document.FormatEuro(m, f.l) }

func (f *figures) has(name string) bool { _, ok := f.m[name]; return ok }

// say picks the sentence of the page's language.
func (f *figures) say(en, lv string, args ...any) string {
	if f.l == document.LV {
		return fmt.Sprintf(lv, args...)
	}
	return fmt.Sprintf(en, args...)
}

// exceedsRemainder is the sentence of "<what>-exceeds-remainder".
func exceedsRemainder(whatEN, whatLV string) func(*figures, func(string) string) string {
	return func(f *figures, _ func(string) string) string {
		return f.say("The "+whatEN+" of %s is more than the remainder of %s (planned %s + carried in %s − actual %s − carried over %s − returned %s).",
			whatLV+" %s pārsniedz atlikumu %s (plānotais %s + pārcelts no iepriekšējā perioda %s − faktiskie izdevumi %s − pārcelts uz nākamo periodu %s − atgriezts %s).",
			f.euro("amount"), f.euro("remainder"), f.euro("planned"), f.euro("carried_in"), f.euro("actual"), f.euro("carried_over"), f.euro("returned"))
	}
}

// nothingTo is the sentence of "nothing-to-<what>".
func nothingTo(whatEN, whatLV string) func(*figures, func(string) string) string {
	return func(f *figures, _ func(string) string) string {
		return f.say("There is no remainder to "+whatEN+" (the remainder is %s).", "Nav atlikuma, ko "+whatLV+" (atlikums ir %s).", f.euro("remainder"))
	}
}

// ruleTexts says each ledger rule (domain.RuleError.Rule, see
// domain/decide.go) in English and Latvian with the figures it carries.
// lineName turns a budget line's code into its name. A rule missing here is
// shown with the ledger's English message; TestEveryLedgerRuleIsTranslated
// fails when decide.go has a rule this table lacks.
var ruleTexts = map[string]func(f *figures, lineName func(string) string) string{
	"already-planned": func(f *figures, _ func(string) string) string {
		return f.say("This budget line is already planned for this implementation year at %s. To change it, amend the budget.",
			"Šai budžeta pozīcijai šajā īstenošanas gadā jau ir plānotā summa %s. Lai to mainītu, jāveic budžeta grozījums.", f.euro("planned"))
	},
	"not-planned": func(f *figures, _ func(string) string) string {
		return f.say("This budget line has no plan for this implementation year, so there is nothing to amend. Plan the budget first.",
			"Šai budžeta pozīcijai šajā īstenošanas gadā nav plānotās summas, ko grozīt. Vispirms plānojiet budžetu.")
	},
	"amendment-changes-nothing": func(f *figures, _ func(string) string) string {
		return f.say("The budget is already planned at %s; the amendment would change nothing.",
			"Plānotā summa jau ir %s; grozījums neko nemainītu.", f.euro("planned"))
	},
	"amendment-below-moved-funds": func(f *figures, _ func(string) string) string {
		return f.say("The amended plan of %s plus %s carried in would not cover what has already been carried over (%s) and returned (%s).",
			"Grozītā plānotā summa %s kopā ar no iepriekšējā perioda pārcelto summu %s nesedz jau veikto pārcelšanu uz nākamo periodu (%s) un atgriešanu (%s).",
			f.euro("amount"), f.euro("carried_in"), f.euro("carried_over"), f.euro("returned"))
	},
	"year-open": func(f *figures, _ func(string) string) string {
		return f.say("This spending's implementation year is still open: the grantee reverses it with a spending reversal; this form is for closed years.",
			"Šo izdevumu īstenošanas gads vēl nav slēgts: finansējuma saņēmējs tos stornē ar izdevumu stornēšanu; šī veidlapa ir slēgtiem gadiem.")
	},
	"already-reversed": func(f *figures, _ func(string) string) string {
		return f.say("This spending of %s has already been reversed.", "Šie izdevumi (%s) jau ir stornēti.", f.euro("amount"))
	},
	"reversal-below-ineligible": func(f *figures, _ func(string) string) string {
		left := f.fmt(f.money("actual") - f.money("amount"))
		return f.say("Reversing this spending of %s would bring actual spending down from %s to %s, below the %s declared ineligible.",
			"Stornējot šos izdevumus (%s), faktiskie izdevumi samazinātos no %s līdz %s — mazāk nekā neatbilstoši veiktie izdevumi %s.",
			f.euro("amount"), f.euro("actual"), left, f.euro("ineligible"))
	},
	"no-next-year": func(f *figures, _ func(string) string) string {
		return f.say("This is the last implementation year: there is no next year to carry the remainder over to. Return it instead.",
			"Šis ir pēdējais īstenošanas gads: nav nākamā gada, uz kuru pārcelt atlikumu. Atlikumu var atgriezt.")
	},
	"year-closed": func(f *figures, _ func(string) string) string {
		return f.say("The implementation year is closed: nothing more can be recorded in it or carried into it.",
			"Īstenošanas gads ir slēgts: tajā vairs neko nevar reģistrēt vai pārcelt.")
	},
	"date-outside-year": func(f *figures, _ func(string) string) string {
		return f.say("The date is outside the implementation year.", "Datums neietilpst īstenošanas gada periodā.")
	},
	"carry-over-exceeds-remainder": exceedsRemainder("carry-over", "Pārcelšanas summa"),
	"return-exceeds-remainder":     exceedsRemainder("return", "Atgriešanas summa"),
	"nothing-to-carry-over":        nothingTo("carry over", "pārcelt"),
	"nothing-to-return":            nothingTo("return", "atgriezt"),
	"ineligible-exceeds-spending": func(f *figures, _ func(string) string) string {
		if f.has("spending") { // declared against one spending
			return f.say("%s declared ineligible is more than this spending of %s.",
				"Par neatbilstoši veiktiem atzītā summa %s pārsniedz šo izdevumu summu %s.", f.euro("amount"), f.euro("spending"))
		}
		eligible := f.fmt(f.money("actual") - f.money("ineligible"))
		return f.say("%s declared ineligible is more than the %s of spending not yet declared ineligible (actual %s − already ineligible %s).",
			"Par neatbilstoši veiktiem atzītā summa %s pārsniedz izdevumus, kas vēl nav atzīti par neatbilstoši veiktiem: %s (faktiskie izdevumi %s − jau par neatbilstoši veiktiem atzītie %s).",
			f.euro("amount"), eligible, f.euro("actual"), f.euro("ineligible"))
	},
	"ineligible-reversed-spending": func(f *figures, _ func(string) string) string {
		return f.say("This spending of %s was reversed: it is no longer actual spending and cannot be declared ineligible.",
			"Šie izdevumi (%s) ir stornēti: tie vairs nav faktiskie izdevumi, un tos nevar atzīt par neatbilstoši veiktiem.", f.euro("amount"))
	},
	"recovery-exceeds-outstanding": func(f *figures, _ func(string) string) string {
		return f.say("The recovery of %s is more than the %s still outstanding (%s declared ineligible − %s already recovered).",
			"Atgūstamā summa %s pārsniedz vēl neatgūto summu %s (neatbilstoši veiktie izdevumi %s − jau atgūts %s).",
			f.euro("amount"), f.euro("outstanding"), f.euro("declared"), f.euro("recovered"))
	},
	"amount-overflow": func(f *figures, _ func(string) string) string {
		// The figures are named by the ledger (actual, carried_in, …).
		names := make([]string, 0, len(f.m))
		for k := range f.m {
			names = append(names, k)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, k := range names {
			parts[i] = k + " " + f.fmt(f.m[k])
		}
		return f.say("This would take a figure of the agreement past the largest the ledger keeps (%s either way; %s). Nothing was recorded.",
			"Tādējādi kāds līguma skaitlis pārsniegtu lielāko summu, ko virsgrāmata glabā (%s; %s). Nekas netika ierakstīts.",
			f.fmt(domain.MaxFigure), strings.Join(parts, "; "))
	},
	"plan-exceeds-ceiling": func(f *figures, _ func(string) string) string {
		return f.say("A plan of %s on top of the %s already planned would exceed the agreement's total funding of %s.",
			"Plānotā summa %s kopā ar jau plānotajiem %s pārsniegtu līguma kopējo finansējumu %s.", f.euro("amount"), f.euro("planned"), f.euro("ceiling"))
	},
	"schedule-exceeds-ceiling": func(f *figures, _ func(string) string) string {
		return f.say("Scheduling %s more on top of the %s already scheduled would exceed the agreement's total funding of %s.",
			"Vēl %s maksājumu grafikā kopā ar jau ieplānotajiem %s pārsniegtu līguma kopējo finansējumu %s.", f.euro("amount"), f.euro("scheduled"), f.euro("ceiling"))
	},
	"disbursement-exceeds-ceiling": func(f *figures, _ func(string) string) string {
		return f.say("Paying %s on top of the %s already paid would exceed the agreement's total funding of %s.",
			"Izmaksājot %s papildus jau izmaksātajiem %s, tiktu pārsniegts līguma kopējais finansējums %s.", f.euro("amount"), f.euro("disbursed"), f.euro("ceiling"))
	},
	"disbursement-already-reversed": func(f *figures, _ func(string) string) string {
		return f.say("This payment of %s has already been reversed.", "Šis maksājums (%s) jau ir stornēts.", f.euro("amount"))
	},
	"split-does-not-add-up": func(f *figures, _ func(string) string) string {
		return f.say("The calendar-year parts add up to %s, but the plan in force is %s.",
			"Kalendāro gadu daļu summa ir %s, bet spēkā esošā plānotā summa ir %s.", f.euro("split"), f.euro("planned"))
	},
	"refund-exceeds-due": func(f *figures, _ func(string) string) string {
		return f.say("The refund of %s is more than the %s still due (%s due − %s already refunded).",
			"Atmaksātā summa %s pārsniedz vēl atmaksājamo summu %s (atmaksājami %s − jau atmaksāti %s).",
			f.euro("amount"), f.euro("outstanding"), f.euro("due"), f.euro("refunded"))
	},
	"remainder-not-zero": func(f *figures, lineName func(string) string) string {
		// Every figure but "remainder" is a line's own remainder.
		var codes []string
		for k := range f.m {
			if k != "remainder" {
				codes = append(codes, k)
			}
		}
		sort.Strings(codes)
		parts := make([]string, len(codes))
		for i, c := range codes {
			if r := f.m[c]; r < 0 {
				parts[i] = lineName(c) + ": " + f.say("overspent by %s", "pārtēriņš %s", f.fmt(-r))
			} else {
				parts[i] = lineName(c) + ": " + f.fmt(r)
			}
		}
		return f.say("The year cannot be closed: its remainder is %s (%s). Carry it over, return it or correct the figures first.",
			"Īstenošanas gadu nevar slēgt: atlikums ir %s (%s). Vispirms atlikumu pārceliet, atgrieziet vai izlabojiet datus.",
			f.euro("remainder"), strings.Join(parts, "; "))
	},
}

// ruleField places a rule next to the form field it is about; the rest
// are shown at the top of the form.
func ruleField(rule string) string {
	switch {
	case rule == "date-outside-year":
		return "date"
	case strings.Contains(rule, "exceed"), rule == "amount-overflow":
		return "amount"
	}
	return ""
}

// notFound is the Latvian lead-in of a not-found error, by the field it
// names.
var notFound = map[string]string{
	"line":      "Budžeta pozīcija nav atrasta.",
	"year":      "Īstenošanas gads nav atrasts.",
	"from_year": "Īstenošanas gads nav atrasts.",
	"indicator": "Rādītājs nav atrasts.",
	"agreement": "Līgums nav atrasts.",
}

// explain turns a ledger error into a refusal in language l. a, when not
// nil, names budget lines. The English page keeps the ledger's message for
// field errors and adds a sentence with the page's money format for rules;
// the Latvian page gets a Latvian sentence or lead-in with the English
// message under it. Nothing is ever empty: an error it cannot tell is the
// English message (under "Nav saglabāts:" in Latvian).
func explain(l document.Lang, err error, a *domain.Agreement) refusal {
	lineName := func(code string) string { return code }
	if a != nil {
		lineName = a.LineName
	}
	var re *domain.RuleError
	if errors.As(err, &re) {
		if say, ok := ruleTexts[re.Rule]; ok {
			f := &figures{l: l, m: re.Figures}
			if text := say(f, lineName); len(f.missing) == 0 && text != "" {
				return refusal{Text: text, Detail: re.Message, Field: ruleField(re.Rule)}
			}
		}
		return untold(l, re.Message, ruleField(re.Rule))
	}
	var de *domain.Error
	if errors.As(err, &de) {
		msg := de.Message
		if msg == "" {
			msg = de.Error()
		}
		field := formField(de.Field)
		if l != document.LV {
			return refusal{Text: msg, Field: field}
		}
		if lead := notFound[de.Field]; lead != "" && de.Code == domain.ENotFound {
			return refusal{Text: lead, Detail: msg, Field: field}
		}
		if de.Code == domain.ENotFound {
			return refusal{Text: translate(l, "not_found"), Detail: msg, Field: field}
		}
		return untold(l, msg, field)
	}
	if domain.ErrorCode(err) == domain.EConflict {
		return refusal{Text: translate(l, "refused_conflict"), Detail: err.Error()}
	}
	return untold(l, err.Error(), "")
}

// Explain says why the ledger refused a command in language l, in the
// words the pages use: text in l's words (figures in l's money format),
// detail the ledger's own English message when text does not already hold
// it. a, when not nil, names budget lines. The command line uses it too,
// so a refusal reads the same on a page and in a terminal.
func Explain(l document.Lang, err error, a *domain.Agreement) (text, detail string) {
	r := explain(l, err, a)
	return r.Text, r.Detail
}

// untold is an error the pages have no words of their own for: the
// ledger's message, under a Latvian lead-in on a Latvian page.
func untold(l document.Lang, msg, field string) refusal {
	if l == document.LV {
		return refusal{Text: translate(l, "refused_untold"), Detail: msg, Field: field}
	}
	return refusal{Text: msg, Field: field}
}

// formField turns a command field ("data.line", "years[0].year") into the
// name of the form input it came from.
func formField(name string) string {
	name = strings.TrimPrefix(name, "data.")
	if i := strings.IndexAny(name, "[."); i > 0 {
		name = name[:i]
	}
	return name
}
