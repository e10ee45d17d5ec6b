package iati

// The grantee's side of the export (issue 14: "incoming funds on the
// grantee side where it applies"). IATI 2.03 reports every transaction from
// the reporting organisation's point of view. The default export is the
// funder's: the funder reports its outgoing commitment (type 2) and the
// payments to the grantee as disbursements (type 3). When the grantee
// publishes (Options.Reporting = ReportingGrantee), the same money is what
// it receives:
//
//   - the agreement's total funding is an incoming commitment (type 11);
//   - each payment received is incoming funds (type 1), a reversed payment
//     negative incoming funds, and money paid back to the funder (a return
//     of unspent funds, a refund of a recovery) negative incoming funds,
//     as the funder's side shows them as negative disbursements;
//   - expenditure (type 4), budgets, planned-disbursement elements (funder
//     to grantee, as scheduled) and results stay as they are: the grantee
//     spends and delivers.
//
// The reporting organisation is then the grantee (organisation type 22,
// national NGO), the iati-identifier starts with its identifier, and the
// funder's organisation identifier, which the grantee's ledger does not
// know, is left out of the funder's elements.

const (
	// ReportingFunder is the funder's export (the default).
	ReportingFunder = "funder"
	// ReportingGrantee is the grantee's export.
	ReportingGrantee = "grantee"

	txIncomingFunds      = "1"  // TransactionType: Incoming Funds
	txIncomingCommitment = "11" // TransactionType: Incoming Commitment
)

// granteeSide turns the funder's activity into the grantee's: orgRef is
// the grantee's identifier (a placeholder from its name when empty).
func granteeSide(act *iatiActivity, h *history, orgRef string) {
	a := h.Agg
	if orgRef == "" {
		orgRef = OrgRef(a.Registration().Grantee)
	}
	act.Identifier = Identifier(orgRef, a.AgreementNumber())
	act.ReportingOrg = org{Ref: orgRef, Type: orgTypeNationalNGO, Narratives: []narrative{{Text: a.Registration().Grantee}}}
	for i := range act.Participating {
		p := &act.Participating[i]
		switch p.Role {
		case roleFunding:
			p.Ref = ""
		case roleImplementing:
			p.Ref = orgRef
		}
	}
	for i := range act.Transactions {
		tx := &act.Transactions[i]
		if tx.Type == nil {
			continue
		}
		switch tx.Type.Code {
		case txCommitment:
			tx.Type = codeOf(txIncomingCommitment)
		case txDisbursement:
			tx.Type = codeOf(txIncomingFunds)
		}
		for _, o := range []*txOrg{tx.Provider, tx.Receiver} {
			if o == nil {
				continue
			}
			if len(o.Narratives) == 1 && o.Narratives[0].Text == a.Registration().Grantee {
				o.Ref = orgRef
			} else {
				o.Ref = ""
			}
		}
	}
	for i := range act.Planned {
		if p := act.Planned[i].Provider; p != nil {
			p.Ref = ""
		}
		if r := act.Planned[i].Receiver; r != nil {
			r.Ref = orgRef
		}
	}
}
