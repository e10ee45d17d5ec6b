// Package hledger writes grantledger's agreements as a plain-text journal
// that hledger (and, for the dated transactions, ledger) reads: periodic
// transaction rules for the planned amounts, so that
//
//	hledger -f FILE bal --budget -b FROM -e TO+1 '^expenses:AGREEMENT:'
//
// prints for an implementation year FROM..TO, per budget line, the same
// actual and planned amounts as grantledger's yearly report; and dated
// transactions for every spending, reversal, carry-over, return, ineligible
// expenditure and recovery, each tagged with its event id. docs/INTEROP.md
// describes the accounts and the rules.
package hledger

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/grantledger/grantledger/domain"
)

// Commodity is the commodity symbol every amount carries.
const Commodity = "EUR"

// Options select what Export writes.
type Options struct {
	// Agreements are the numbers of the agreements to export; empty means
	// every agreement in the store.
	Agreements []string
}

// Export reads the agreements from store and writes their journal to w.
func Export(ctx context.Context, store domain.EventStore, w io.Writer, opts Options) error {
	hs, err := load(ctx, store, opts.Agreements)
	if err != nil {
		return err
	}
	return write(w, hs)
}

// Segment turns an agreement number or a budget line code into one
// segment of an hledger account name. Letters, digits and the characters
// "-", "_", "." and "/" are kept; every other character (spaces, ":", ";",
// "#", brackets, quotes, …) becomes "-", and then, so that two different
// inputs never share a segment, "~" and the first 8 hex digits of the
// SHA-256 of the original text are appended. An empty input gives "~" and
// its hash. The rule is deterministic: the same number always gives the
// same account.
func Segment(s string) string {
	var b strings.Builder
	changed := s == ""
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' || r == '/' {
			b.WriteRune(r)
			continue
		}
		b.WriteByte('-')
		changed = true
	}
	if changed {
		sum := sha256.Sum256([]byte(s))
		b.WriteString("~")
		b.WriteString(hex.EncodeToString(sum[:4]))
	}
	return b.String()
}

// ExpenseAccount returns the account that holds the spending of a budget
// line of an agreement: "expenses:AGREEMENT:LINE".
func ExpenseAccount(number, line string) string {
	return "expenses:" + Segment(number) + ":" + Segment(line)
}

// Query returns the hledger account query that selects exactly the budget
// lines of one agreement, as a regular expression: '^expenses:AGREEMENT:'
// with the "." of the segment escaped. A plain 'expenses:AGREEMENT' also
// works unless another agreement's segment starts with this one's.
func Query(number string) string {
	return "^expenses:" + strings.ReplaceAll(Segment(number), ".", `\.`) + ":"
}

// BudgetArgs returns the hledger arguments (after "-f FILE") of the budget
// report of one implementation year of an agreement.
func BudgetArgs(number string, y domain.YearSpec) []string {
	return []string{"bal", "--budget", "-b", y.From.String(), "-e", y.To.AddDays(1).String(), Query(number)}
}

// txn is one dated transaction or periodic rule before it is written.
type txn struct {
	date     domain.Date
	periodic bool
	desc     string
	tags     []string
	postings []posting
	seq      int // stream order, to keep the sort stable and readable
}

type posting struct {
	account string
	amount  domain.Money
	date    domain.Date // a posting date different from the transaction's, or 0
	comment string
}

// agreementAccounts are the account names of one agreement.
type agreementAccounts struct{ seg string }

func (a agreementAccounts) expense(line string) string {
	return "expenses:" + a.seg + ":" + Segment(line)
}
func (a agreementAccounts) funds(year int, line string) string {
	return fmt.Sprintf("assets:%s:funds:y%d:%s", a.seg, year, Segment(line))
}
func (a agreementAccounts) returned(line string) string {
	return "equity:" + a.seg + ":returned:" + Segment(line)
}
func (a agreementAccounts) due(line string) string {
	return "assets:" + a.seg + ":ineligible-due:" + Segment(line)
}
func (a agreementAccounts) ineligible(line string) string {
	return "income:" + a.seg + ":ineligible:" + Segment(line)
}
func (a agreementAccounts) recovered(line string) string {
	return "assets:" + a.seg + ":recovered:" + Segment(line)
}

func write(w io.Writer, hs []*history) error {
	bw := bufio.NewWriter(w)
	seen := map[string]string{}
	accounts := map[string]bool{}
	var sections []string
	var bodies [][]txn
	for _, h := range hs {
		a := h.Agg
		if !a.Registered() {
			continue
		}
		seg := Segment(a.AgreementNumber())
		key := strings.ToLower(seg)
		if other, ok := seen[key]; ok {
			return fmt.Errorf("agreements %q and %q map to the same hledger account segment %q (hledger queries ignore case): export them separately", other, a.AgreementNumber(), seg)
		}
		seen[key] = a.AgreementNumber()
		lineSegs := map[string]string{}
		for _, l := range a.Lines() {
			ls := strings.ToLower(Segment(l.Line))
			if other, ok := lineSegs[ls]; ok {
				return fmt.Errorf("agreement %s: budget lines %q and %q map to the same account segment %q", a.AgreementNumber(), other, l.Line, Segment(l.Line))
			}
			lineSegs[ls] = l.Line
		}
		txns := agreementTxns(h)
		for _, t := range txns {
			for _, p := range t.postings {
				accounts[p.account] = true
			}
		}
		sections = append(sections, header(a))
		bodies = append(bodies, txns)
	}

	fmt.Fprintf(bw, "; grantledger journal: %d agreement(s), amounts in euro.\n", len(sections))
	fmt.Fprint(bw, "; Planned amounts are periodic rules (~), read by hledger's --budget reports;\n")
	fmt.Fprint(bw, "; everything else is a dated transaction tagged with its grantledger event id.\n")
	fmt.Fprint(bw, "; See docs/INTEROP.md for the accounts and how to query one implementation year.\n\n")
	fmt.Fprintf(bw, "commodity 1000.00 %s\n\n", Commodity)
	for _, top := range []string{"assets", "equity", "expenses", "income"} {
		fmt.Fprintf(bw, "account %s\n", top)
	}
	names := make([]string, 0, len(accounts))
	for n := range accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(bw, "account %s\n", n)
	}
	// Each agreement's header and periodic rules first; then the dated
	// transactions of every agreement merged in date order (hledger check
	// ordereddates, and ledger-cli, expect the file in date order), of one
	// day in agreement order, each agreement's in its own order.
	var dated []txn
	for i, sec := range sections {
		bw.WriteString("\n")
		bw.WriteString(sec)
		for _, t := range bodies[i] {
			if !t.periodic {
				dated = append(dated, t)
				continue
			}
			bw.WriteString("\n")
			writeTxn(bw, t)
		}
	}
	if len(sections) > 1 {
		sort.SliceStable(dated, func(i, j int) bool { return dated[i].date < dated[j].date })
		if len(dated) > 0 {
			fmt.Fprintf(bw, "\n; ==== dated transactions of the %d agreements, in date order\n", len(sections))
		}
	}
	for _, t := range dated {
		bw.WriteString("\n")
		writeTxn(bw, t)
	}
	return bw.Flush()
}

// header is the comment block that opens an agreement's section.
func header(a *domain.Agreement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "; ==== agreement %s\n", clean(a.AgreementNumber()))
	fmt.Fprintf(&b, "; %s\n", clean(a.Registration().Title))
	fmt.Fprintf(&b, "; funder: %s; grantee: %s\n", clean(a.Registration().Funder), clean(a.Registration().Grantee))
	for _, y := range a.Years() {
		fmt.Fprintf(&b, "; year %d %s: hledger -f FILE %s\n", y.Year, y.Period(), strings.Join(quoteArgs(BudgetArgs(a.AgreementNumber(), y.YearSpec)), " "))
	}
	for _, l := range a.Lines() {
		fmt.Fprintf(&b, "; line %s = %s: %s\n", clean(l.Line), ExpenseAccount(a.AgreementNumber(), l.Line), clean(l.Name))
	}
	return b.String()
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, s := range args {
		if strings.ContainsAny(s, `^\$*~ `) {
			s = "'" + s + "'"
		}
		out[i] = s
	}
	return out
}

// agreementTxns returns the periodic rules (first, by year and line) and
// the dated transactions (by date, then stream order) of one agreement.
func agreementTxns(h *history) []txn {
	a := h.Agg
	acc := agreementAccounts{seg: Segment(a.AgreementNumber())}
	var rules, dated []txn
	year := func(n int) domain.YearSpec {
		if y := a.Year(n); y != nil {
			return y.YearSpec
		}
		return domain.YearSpec{Year: n}
	}
	// One rule per line and year, even when nothing is planned, so every
	// line is a budgeted account in every year and hledger lists it on
	// its own row.
	planID := map[domain.CellKey]string{}
	var amendments []txn
	cash := tracksCash(a)
	for i, e := range h.Events {
		tag := "event:" + e.ID.String()
		if cash {
			if t, ok := cashTxn(acc, a.IsOwn, e.Event, tag, i); ok {
				dated = append(dated, t)
			}
		}
		switch ev := e.Event.(type) {
		case domain.BudgetPlanned:
			planID[domain.CellKey{Line: ev.Line, Year: ev.Year}] = tag
		case domain.BudgetAmended:
			y := year(ev.Year)
			d, note := clamp(ev.EffectiveDate, y)
			t := txn{date: d, periodic: true, seq: i,
				desc: fmt.Sprintf("%s year %d %s amended %s -> %s: %s%s", a.AgreementNumber(), ev.Year, ev.Line, ev.Previous, ev.Amount, ev.Reason, note),
				tags: []string{tag, fmt.Sprintf("year:%d", ev.Year)},
				postings: []posting{
					{account: acc.expense(ev.Line), amount: ev.Amount - ev.Previous},
					{account: acc.funds(ev.Year, ev.Line), amount: ev.Previous - ev.Amount},
				}}
			amendments = append(amendments, t)
		case domain.SpendingRecorded:
			dated = append(dated, txn{date: ev.Date, seq: i,
				desc: fmt.Sprintf("spending %s | %s", ev.Document, ev.Description),
				tags: []string{tag, fmt.Sprintf("year:%d", ev.Year)},
				postings: []posting{
					{account: acc.expense(ev.Line), amount: ev.Amount},
					{account: acc.funds(ev.Year, ev.Line), amount: -ev.Amount},
				}})
		case domain.SpendingReversed:
			y := year(ev.Year)
			p := posting{account: acc.expense(ev.Line), amount: -ev.Amount}
			if d, _ := clamp(ev.Date, y); d != ev.Date {
				// The reversal counts in the year of the spending it
				// cancels: its expense posting is dated inside that year.
				p.date = d
				p.comment = fmt.Sprintf("counts in year %d, reversed on %s", ev.Year, ev.Date)
			}
			dated = append(dated, txn{date: ev.Date, seq: i,
				desc: fmt.Sprintf("reversal of spending | %s", ev.Reason),
				tags: []string{tag, fmt.Sprintf("year:%d", ev.Year), "reverses:" + ev.Spending.String()},
				postings: []posting{p,
					{account: acc.funds(ev.Year, ev.Line), amount: ev.Amount},
				}})
		case domain.RemainderCarriedOver:
			dated = append(dated, txn{date: ev.Date, seq: i,
				desc: fmt.Sprintf("carry-over %s year %d -> year %d", ev.Line, ev.FromYear, ev.ToYear),
				tags: []string{tag, fmt.Sprintf("year:%d", ev.FromYear)},
				postings: []posting{
					{account: acc.funds(ev.ToYear, ev.Line), amount: ev.Amount},
					{account: acc.funds(ev.FromYear, ev.Line), amount: -ev.Amount},
				}})
		case domain.UnspentReturned:
			dated = append(dated, txn{date: ev.Date, seq: i,
				desc: fmt.Sprintf("return of unspent funds | to %s", ev.To),
				tags: []string{tag, fmt.Sprintf("year:%d", ev.Year)},
				postings: []posting{
					{account: acc.returned(ev.Line), amount: ev.Amount},
					{account: acc.funds(ev.Year, ev.Line), amount: -ev.Amount},
				}})
		case domain.IneligibleExpenditureDeclared:
			tags := []string{tag, fmt.Sprintf("year:%d", ev.Year)}
			if ev.Spending != nil {
				tags = append(tags, "spending:"+ev.Spending.String())
			}
			dated = append(dated, txn{date: ev.Date, seq: i,
				desc: fmt.Sprintf("ineligible expenditure | %s", ev.Description),
				tags: tags,
				postings: []posting{
					{account: acc.due(ev.Line), amount: ev.Amount},
					{account: acc.ineligible(ev.Line), amount: -ev.Amount},
				}})
		case domain.IneligibleExpenditureRecovered:
			dated = append(dated, txn{date: ev.Date, seq: i,
				desc: "recovery of ineligible expenditure",
				tags: []string{tag, fmt.Sprintf("year:%d", ev.Year), "ineligible:" + ev.Ineligible.String()},
				postings: []posting{
					{account: acc.recovered(ev.Line), amount: ev.Amount},
					{account: acc.due(ev.Line), amount: -ev.Amount},
				}})
		}
	}
	for _, y := range a.Years() {
		for _, l := range a.Lines() {
			c := a.Cell(l.Line, y.Year)
			t := txn{date: y.From, periodic: true,
				desc: fmt.Sprintf("%s year %d %s planned", a.AgreementNumber(), y.Year, l.Line),
				tags: []string{fmt.Sprintf("year:%d", y.Year)},
				postings: []posting{
					{account: acc.expense(l.Line), amount: c.Original},
					{account: acc.funds(y.Year, l.Line), amount: -c.Original},
				}}
			if id := planID[domain.CellKey{Line: l.Line, Year: y.Year}]; id != "" {
				t.tags = append([]string{id}, t.tags...)
			} else {
				t.desc = fmt.Sprintf("%s year %d %s not planned", a.AgreementNumber(), y.Year, l.Line)
			}
			rules = append(rules, t)
		}
	}
	rules = append(rules, amendments...)
	sort.SliceStable(dated, func(i, j int) bool { return dated[i].date < dated[j].date })
	return append(rules, dated...)
}

// clamp moves d into the year's dates, so that an amount that belongs to
// the year is counted in the year's report. It returns a note when it had
// to move it.
func clamp(d domain.Date, y domain.YearSpec) (domain.Date, string) {
	switch {
	case y.From == 0 && y.To == 0:
		return d, ""
	case d < y.From:
		return y.From, fmt.Sprintf(" (effective %s, before the year began)", d)
	case d > y.To:
		return y.To, fmt.Sprintf(" (effective %s, after the year ended)", d)
	}
	return d, ""
}

func writeTxn(w *bufio.Writer, t txn) {
	tags := strings.Join(t.tags, ", ")
	if t.periodic {
		// Two spaces end the period expression.
		fmt.Fprintf(w, "~ %s  %s  ; %s\n", t.date, clean(t.desc), tags)
	} else {
		fmt.Fprintf(w, "%s * %s  ; %s\n", t.date, clean(t.desc), tags)
	}
	for _, p := range t.postings {
		fmt.Fprintf(w, "    %s    %s %s", p.account, p.amount, Commodity)
		var c []string
		if p.date != 0 {
			c = append(c, "date:"+p.date.String())
		}
		if p.comment != "" {
			c = append(c, clean(p.comment))
		}
		if len(c) > 0 {
			fmt.Fprintf(w, "  ; %s", strings.Join(c, ", "))
		}
		w.WriteByte('\n')
	}
}

// clean makes free text safe for a description or a comment: no line
// breaks or control characters, no ";" (which would start a comment) and
// no runs of spaces (two spaces end an account name or a period).
func clean(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsControl(r) || unicode.IsSpace(r):
			r = ' '
		case r == ';':
			r = ','
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
