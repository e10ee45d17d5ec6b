package hledger

import (
	"fmt"

	"github.com/grantledger/grantledger/domain"
)

// Money that moves (issue 14). For an agreement that records payments (a
// disbursement or a scheduled payment), the journal also carries the
// grantee's cash, per implementation year N:
//
//	assets:AG:grantee-cash:yN        + payments − eligible spending − refunds
//	income:AG:disbursed:yN           − payments (reversals add back)
//	equity:AG:grantee-cash-spent:yN  + eligible spending (spending less
//	                                   what was declared ineligible)
//	equity:AG:refunded:yN            + refunds of the year's returns and
//	                                   recoveries
//
// so that the balance of assets:AG:grantee-cash (or of one year's account)
// equals grantledger's cash position "held" to the cent:
//
//	hledger -f FILE bal '^assets:AG:grantee-cash:'
//
// Each is a dated transaction of its own, tagged with the event id and
// "cash:", next to the budget transactions, which it leaves unchanged.

func (a agreementAccounts) cash(year int) string {
	return fmt.Sprintf("assets:%s:grantee-cash:y%d", a.seg, year)
}
func (a agreementAccounts) disbursed(year int) string {
	return fmt.Sprintf("income:%s:disbursed:y%d", a.seg, year)
}
func (a agreementAccounts) cashSpent(year int) string {
	return fmt.Sprintf("equity:%s:grantee-cash-spent:y%d", a.seg, year)
}
func (a agreementAccounts) refunded(year int) string {
	return fmt.Sprintf("equity:%s:refunded:y%d", a.seg, year)
}

// CashQuery returns the hledger account query of an agreement's grantee
// cash accounts, all years.
func CashQuery(number string) string {
	return "^assets:" + escapeDots(Segment(number)) + ":grantee-cash:"
}

func escapeDots(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// tracksCash says whether the agreement records money that moves.
func tracksCash(a *domain.Agreement) bool {
	return len(a.Cash().Disbursements) > 0 || len(a.Cash().Schedule) > 0
}

// cashTxn returns the cash transaction of one event, if it moves the
// grantee's cash.
// Spending on the grantee's own contribution lines (own) is paid from
// its own money, not the grant's: it moves no grant cash.
func cashTxn(acc agreementAccounts, own func(line string) bool, e domain.Event, tag string, seq int) (txn, bool) {
	mk := func(d domain.Date, year int, desc string, cash domain.Money, other string) txn {
		return txn{date: d, seq: seq, desc: desc, tags: []string{tag, fmt.Sprintf("year:%d", year), "cash:"},
			postings: []posting{{account: acc.cash(year), amount: cash}, {account: other, amount: -cash}}}
	}
	switch ev := e.(type) {
	case domain.DisbursementRecorded:
		return mk(ev.Date, ev.Year, fmt.Sprintf("payment to the grantee %s | %s", ev.Kind, ev.Reference), ev.Amount, acc.disbursed(ev.Year)), true
	case domain.DisbursementReversed:
		return mk(ev.Date, ev.Year, fmt.Sprintf("reversal of payment | %s", ev.Reason), -ev.Amount, acc.disbursed(ev.Year)), true
	case domain.RefundRecorded:
		return mk(ev.Date, ev.Year, fmt.Sprintf("refund of %s %s | %s", ev.Kind, ev.Line, ev.Reference), -ev.Amount, acc.refunded(ev.Year)), true
	case domain.SpendingRecorded:
		if own(ev.Line) {
			return txn{}, false
		}
		return mk(ev.Date, ev.Year, fmt.Sprintf("cash spent %s | %s", ev.Line, ev.Document), -ev.Amount, acc.cashSpent(ev.Year)), true
	case domain.SpendingReversed:
		if own(ev.Line) {
			return txn{}, false
		}
		return mk(ev.Date, ev.Year, fmt.Sprintf("cash spent %s reversed", ev.Line), ev.Amount, acc.cashSpent(ev.Year)), true
	case domain.IneligibleExpenditureDeclared:
		if own(ev.Line) {
			return txn{}, false
		}
		// Ineligible spending is not eligible: the grantee holds (owes) it.
		return mk(ev.Date, ev.Year, fmt.Sprintf("ineligible %s, not eligible spending", ev.Line), ev.Amount, acc.cashSpent(ev.Year)), true
	}
	return txn{}, false
}
