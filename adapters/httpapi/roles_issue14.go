package httpapi

import "github.com/grantledger/grantledger/domain"

// Roles of the commands of issue 14, kept apart from the main table so
// that the two merge cleanly.
func init() {
	// Money that moves: the funder pays, and the funder records a refund
	// once it is on its own account; a grantee cannot clear its own debt.
	for _, typ := range []string{domain.CmdPlanDisbursement, domain.CmdRecordDisbursement, domain.CmdReverseDisbursement, domain.CmdRecordRefund, domain.CmdSplitPlan} {
		commandRoles[typ] = RoleFunder
	}
}

// auditorFindings are the command types an auditor may also send: findings
// (ineligible expenditure, a recovery demand), also into a closed year as
// post-closure adjustments. An auditor sends nothing else.
var auditorFindings = map[string]bool{
	domain.CmdDeclareIneligible: true,
	domain.CmdRecordRecovery:    true,
}

// RoleMaySend reports whether role may send commands of type typ: the
// type's own role (commandRoles), or an auditor sending a finding. The API
// and the web pages (Principal.MaySend) apply this one rule.
func RoleMaySend(role, typ string) bool {
	want, known := commandRoles[typ]
	return known && (role == want || (role == RoleAuditor && auditorFindings[typ]))
}
