package access

import "fmt"

// Roles lists every role, in the order the docs give them.
var Roles = []string{RoleFunder, RoleGrantee, RoleAuditor, RoleAdmin}

// Actor is the name written into the metadata of every event the principal
// causes: "name (role)".
func (p Principal) Actor() string { return p.Name + " (" + p.Role + ")" }

// Viewer is p as a report's row filter keeps it (projections.Scope.Viewer):
// the role and organisation that decide, not the token's id or name.
func (p Principal) Viewer() *Principal {
	return &Principal{Role: p.Role, Funder: p.Funder, Grantee: p.Grantee}
}

// MaySeeParties is MaySee(*p, the parties): p as a report's row filter
// (projections.Viewer).
func (p *Principal) MaySeeParties(funder, grantee string) bool {
	return MaySee(*p, Parties{Funder: funder, Grantee: grantee})
}

// Org names the organisation p acts for, as an error message says it:
// "funder X", "grantee Y", or p's role for a role without one.
func (p Principal) Org() string {
	if p.Role == RoleFunder {
		return "funder " + p.Funder
	}
	if p.Role == RoleGrantee {
		return "grantee " + p.Grantee
	}
	return p.Role
}

// MayAccess reports whether p may read, and act on, an agreement whose
// funder and grantee are given (MaySee): an auditor reads every agreement,
// a funder or grantee only its own organisation's, an admin none. It is
// the rule every agreement route of the API and every page applies.
func (p Principal) MayAccess(funder, grantee string) bool {
	return MaySee(p, Parties{Funder: funder, Grantee: grantee})
}

// MayAct reports whether p may send a command of type typ on an agreement
// whose funder and grantee are given (MayAct: the role table, and
// MayAccess).
func (p Principal) MayAct(typ, funder, grantee string) bool {
	return MayAct(p, typ, Parties{Funder: funder, Grantee: grantee})
}

// MaySend reports whether p's role may send commands of type typ (the
// table the command routes and the forms apply).
func (p Principal) MaySend(typ string) bool { return RoleMaySend(p.Role, typ) }

// MayReadReports reports whether p may read reports (yearly,
// reconciliation, indicators, ...): the roles of the report routes.
func (p Principal) MayReadReports() bool {
	return p.Role == RoleFunder || p.Role == RoleGrantee || p.Role == RoleAuditor
}

// MayAudit reports whether p may read the audit trail and verify the hash
// chains: the roles of /v1/reports/audit and /v1/verify.
func (p Principal) MayAudit() bool { return p.Role == RoleAuditor }

// ScopeError is a report query naming an organisation the principal does
// not act for: Field is the query's field (funder or grantee).
type ScopeError struct {
	Field string
	Msg   string
}

func (e *ScopeError) Error() string { return e.Field + ": " + e.Msg }

// Restrict restricts a report query's funder and grantee to p's
// organisation, as the report routes and the pages do: a funder or
// grantee may name only their own organisation (or nothing, which means
// their own); naming another is a *ScopeError. An auditor's query is
// kept as it is.
func (p Principal) Restrict(funder, grantee *string) error {
	v := p.Viewer()
	switch p.Role {
	case RoleFunder:
		if *funder != "" && !MaySee(*v, Parties{Funder: *funder}) {
			return &ScopeError{Field: "funder", Msg: fmt.Sprintf("your token acts for funder %q only", p.Funder)}
		}
		*funder = p.Funder
	case RoleGrantee:
		if *grantee != "" && !MaySee(*v, Parties{Grantee: *grantee}) {
			return &ScopeError{Field: "grantee", Msg: fmt.Sprintf("your token acts for grantee %q only", p.Grantee)}
		}
		*grantee = p.Grantee
	}
	return nil
}
