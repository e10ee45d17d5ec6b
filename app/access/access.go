// Package access is the one decision of who may see or act on an
// agreement. The API's checks (adapters/httpapi), the web pages
// (adapters/web) and the report-row filter (projections.Scope, built for a
// principal) all call MaySee or MayAct; none of them compares
// organisations itself. It does no I/O: the caller passes the principal
// and the agreement's parties, read from the ledger.
package access

import "github.com/grantledger/grantledger/domain"

// The roles a token can hold. They are the strings of the API's token
// roles.
const (
	RoleFunder  = "funder"  // ministry officer: plans, amends, approves, closes, for one funder
	RoleGrantee = "grantee" // NGO accountant: spending and deliveries, for one grantee
	RoleAuditor = "auditor" // reads everything, the audit trail and verify; writes nothing
	RoleAdmin   = "admin"   // tokens and configuration; no ledger data
)

// Principal is who asks: the holder of a token (its id and name, written
// as the actor of every event it causes), a role and, for a funder or
// grantee, the one organisation it acts for. The decisions use the role
// and the organisation only.
type Principal struct {
	TokenID string `json:"id"`
	Name    string `json:"name"`
	Role    string `json:"role"`
	Funder  string `json:"funder,omitempty"`  // scope of a funder token
	Grantee string `json:"grantee,omitempty"` // scope of a grantee token
}

// Parties are an agreement's organisations, as registered.
type Parties struct {
	Funder  string
	Grantee string
}

// commandRoles says which role may send each command type.
var commandRoles = map[string]string{
	domain.CmdRegisterAgreement: RoleFunder,
	domain.CmdAddBudgetLine:     RoleFunder,
	domain.CmdPlanBudget:        RoleFunder,
	domain.CmdAmendBudget:       RoleFunder,
	domain.CmdCarryOver:         RoleFunder,
	domain.CmdReturnUnspent:     RoleFunder,
	domain.CmdDeclareIneligible: RoleFunder,
	domain.CmdRecordRecovery:    RoleFunder,
	domain.CmdDefineIndicator:   RoleFunder,
	domain.CmdCloseYear:         RoleFunder,
	domain.CmdRecordSpending:    RoleGrantee,
	domain.CmdReverseSpending:   RoleGrantee,
	domain.CmdRecordDelivery:    RoleGrantee,
	// Money that moves: the funder pays, and the funder records a refund
	// once it is on its own account; a grantee cannot clear its own debt.
	domain.CmdPlanDisbursement:    RoleFunder,
	domain.CmdRecordDisbursement:  RoleFunder,
	domain.CmdReverseDisbursement: RoleFunder,
	domain.CmdRecordRefund:        RoleFunder,
	domain.CmdSplitPlan:           RoleFunder,
	// Corrections after closing: a closed year's spending is the funder's
	// to restate (the grantee's reverse_spending stays refused there).
	domain.CmdReverseClosedSpending: RoleFunder,
	// Work plans, obligations and documents (issue 15): the funder sets
	// the targets, the parties and the reports owed, and accepts or
	// returns a report; the grantee corrects its own deliveries and
	// submits its reports. Documents: see bothParties.
	domain.CmdAmendTarget:      RoleFunder,
	domain.CmdAddParty:         RoleFunder,
	domain.CmdRequireReport:    RoleFunder,
	domain.CmdAcceptReport:     RoleFunder,
	domain.CmdReturnReport:     RoleFunder,
	domain.CmdReverseDelivery:  RoleGrantee,
	domain.CmdSubmitReport:     RoleGrantee,
	domain.CmdRecordNarrative:  RoleGrantee, // the performer writes its summary
	domain.CmdRegisterDocument: RoleFunder,
	domain.CmdLinkDocument:     RoleFunder,
}

// bothParties are the command types the grantee may send as well as the
// funder: documents, which each side holds of its own (the agreement and
// payment orders; invoices, results and reports).
var bothParties = map[string]bool{
	domain.CmdRegisterDocument: true,
	domain.CmdLinkDocument:     true,
}

// auditorFindings are the command types an auditor may also send: findings
// (ineligible expenditure, a recovery demand), also into a closed year as
// post-closure adjustments. An auditor sends nothing else.
var auditorFindings = map[string]bool{
	domain.CmdDeclareIneligible: true,
	domain.CmdRecordRecovery:    true,
}

// RoleMaySend reports whether role may send commands of type typ: the
// type's own role, an auditor sending a finding, or a grantee sending a
// command of both parties.
func RoleMaySend(role, typ string) bool {
	want, known := commandRoles[typ]
	return known && (role == want || (role == RoleAuditor && auditorFindings[typ]) || (role == RoleGrantee && bothParties[typ]))
}

// CommandRole returns the role that may send a command type, and whether
// the type is known.
func CommandRole(typ string) (string, bool) {
	r, ok := commandRoles[typ]
	return r, ok
}

// MaySee reports whether p may read an agreement with parties a: an
// auditor every agreement, a funder those whose funder is p's, a grantee
// those whose grantee is p's (domain.SameOrganisation: exactly after NFC
// and white-space folding; not by case, prefix or look-alike letters), an
// admin or unknown role none.
func MaySee(p Principal, a Parties) bool {
	switch p.Role {
	case RoleAuditor:
		return true
	case RoleFunder:
		return domain.SameOrganisation(a.Funder, p.Funder)
	case RoleGrantee:
		return domain.SameOrganisation(a.Grantee, p.Grantee)
	}
	return false
}

// MayAct reports whether p may send a command of type typ on an agreement
// with parties a (for register_agreement, the parties the command
// registers): p's role may send the type (RoleMaySend) and p may see the
// agreement.
func MayAct(p Principal, typ string, a Parties) bool {
	return RoleMaySend(p.Role, typ) && MaySee(p, a)
}
