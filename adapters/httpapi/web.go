package httpapi

import "github.com/grantledger/grantledger/app/access"

// This file lets the web pages (adapters/web) share the server: they are
// mounted as Config.Web and use the same token store, roles and scoping
// rules as the API, so there is one permission system.

// MayAccess reports whether p may read, and act on, an agreement whose
// funder and grantee are given: an auditor reads every agreement, a funder
// or grantee token only its own organisation's, an admin none. It is the
// rule every agreement route of the API applies.
func (p Principal) MayAccess(funder, grantee string) bool {
	return access.MaySee(p.access(), access.Parties{Funder: funder, Grantee: grantee})
}

// access is p as package access sees it: the role and organisation that
// decide, not the token's id or name.
func (p Principal) access() access.Principal {
	return access.Principal{Role: p.Role, Funder: p.Funder, Grantee: p.Grantee}
}

// Access is p as package access sees it, for callers outside this package
// (the web pages' scopes).
func (p Principal) Access() *access.Principal {
	a := p.access()
	return &a
}

// MayAct reports whether p may send a command of type typ on an agreement
// whose funder and grantee are given (access.MayAct: the command routes'
// role table, and MayAccess).
func (p Principal) MayAct(typ, funder, grantee string) bool {
	return access.MayAct(p.access(), typ, access.Parties{Funder: funder, Grantee: grantee})
}

// MaySend reports whether p's role may send commands of type typ (the
// table the command routes apply).
func (p Principal) MaySend(typ string) bool {
	return RoleMaySend(p.Role, typ)
}

// MayReadReports reports whether p may read reports (yearly,
// reconciliation, indicators): the roles of the report routes.
func (p Principal) MayReadReports() bool {
	return p.Role == RoleFunder || p.Role == RoleGrantee || p.Role == RoleAuditor
}

// MayAudit reports whether p may read the audit trail and verify the hash
// chains: the roles of /v1/reports/audit and /v1/verify.
func (p Principal) MayAudit() bool { return p.Role == RoleAuditor }

// ScopeQuery restricts q to p's organisation exactly as the report routes
// do: a funder or grantee may name only their own organisation (or
// nothing, which means their own); naming another is an error.
func (p Principal) ScopeQuery(q *Query) error { return scopeFor(p, q) }
