package iati

import (
	"fmt"

	"github.com/grantledger/grantledger/domain"
)

// Money that moves (issue 14) in IATI terms:
//
//   - the agreement's total funding, when registered, is the funder's
//     outgoing commitment (transaction type 2) dated the first day of the
//     agreement;
//   - each payment to the grantee is a disbursement (type 3), its reversal
//     a negative disbursement dated when it was reversed;
//   - a refund of a recovery is a negative disbursement (money back to the
//     funder). A refund of a return is not exported again: the return
//     itself already is a negative disbursement;
//   - each scheduled payment is a planned-disbursement (type 1, original),
//     dated on its planned day.

const (
	txCommitment    = "2" // TransactionType: outgoing commitment
	plannedOriginal = "1" // BudgetType, used by planned-disbursement
)

type plannedDisb struct {
	Type     string  `xml:"type,attr,omitempty"`
	Start    isoDate `xml:"period-start"`
	End      isoDate `xml:"period-end"`
	Value    value   `xml:"value"`
	Provider *txOrg  `xml:"provider-org"`
	Receiver *txOrg  `xml:"receiver-org"`
}

func addCash(act *iatiActivity, h *history, orgRef string) {
	a := h.Agg
	funder := &txOrg{Ref: orgRef, Narratives: []narrative{{Text: a.Registration().Funder}}}
	grantee := &txOrg{Narratives: []narrative{{Text: a.Registration().Grantee}}}
	var txs []transaction
	if c, ok := a.Ceiling(); ok {
		txs = append(txs, transaction{Type: codeOf(txCommitment), Date: dateOf(a.Registration().Period.From),
			Value: value{ValueDate: a.Registration().Period.From.String(), Amount: c.String()},
			Description: &text{Narratives: []narrative{
				{Lang: "lv", Text: "Līguma kopējais finansējums"},
				{Lang: "en", Text: "Total funding of the agreement"},
			}},
			Provider: funder, Receiver: grantee})
	}
	for _, p := range a.Cash().Schedule {
		act.Planned = append(act.Planned, plannedDisb{Type: plannedOriginal, Start: dateOf(p.Date), End: dateOf(p.Date),
			Value: value{ValueDate: p.Date.String(), Amount: p.Amount.String()}, Provider: funder, Receiver: grantee})
	}
	for _, e := range h.Events {
		switch ev := e.Event.(type) {
		case domain.DisbursementRecorded:
			txs = append(txs, transaction{Ref: e.ID.String(), Type: codeOf(txDisbursement), Date: dateOf(ev.Date),
				Value: value{ValueDate: ev.Date.String(), Amount: ev.Amount.String()},
				Description: &text{Narratives: []narrative{
					{Lang: "lv", Text: fmt.Sprintf("Maksājums (gads %d): %s", ev.Year, ev.Reference)},
					{Lang: "en", Text: fmt.Sprintf("Payment %s (year %d): %s", ev.Kind, ev.Year, ev.Reference)},
				}},
				Provider: funder, Receiver: grantee})
		case domain.DisbursementReversed:
			txs = append(txs, transaction{Ref: e.ID.String(), Type: codeOf(txDisbursement), Date: dateOf(ev.Date),
				Value: value{ValueDate: ev.Date.String(), Amount: (-ev.Amount).String()},
				Description: &text{Narratives: []narrative{
					{Lang: "lv", Text: fmt.Sprintf("Maksājuma %s atcelšana: %s", ev.Disbursement, ev.Reason)},
					{Lang: "en", Text: fmt.Sprintf("Reversal of payment %s: %s", ev.Disbursement, ev.Reason)},
				}},
				Provider: funder, Receiver: grantee})
		case domain.RefundRecorded:
			if ev.Kind != domain.DueRecovery {
				continue
			}
			txs = append(txs, transaction{Ref: e.ID.String(), Type: codeOf(txDisbursement), Date: dateOf(ev.Date),
				Value: value{ValueDate: ev.Date.String(), Amount: (-ev.Amount).String()},
				Description: &text{Narratives: []narrative{
					{Lang: "lv", Text: fmt.Sprintf("Atgūto līdzekļu atmaksa (gads %d, rinda %s): %s", ev.Year, ev.Line, ev.Reference)},
					{Lang: "en", Text: fmt.Sprintf("Refund of a recovery (year %d, line %s): %s", ev.Year, ev.Line, ev.Reference)},
				}},
				Provider: funder, Receiver: grantee})
		}
	}
	act.Transactions = append(txs, act.Transactions...)
}
