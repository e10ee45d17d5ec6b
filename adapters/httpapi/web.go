package httpapi

// This file lets the web pages (adapters/web) share the server: they are
// mounted as Config.Web and use the same token store, roles and scoping
// rules as the API, so there is one permission system.

// MayAccess reports whether p may read, and act on, an agreement whose
// funder and grantee are given: an auditor reads every agreement, a funder
// or grantee token only its own organisation's, an admin none. It is the
// rule every agreement route of the API applies.
func (p Principal) MayAccess(funder, grantee string) bool {
	switch p.Role {
	case RoleAuditor:
		return true
	case RoleFunder:
		return sameOrg(funder, p.Funder)
	case RoleGrantee:
		return sameOrg(grantee, p.Grantee)
	}
	return false
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
