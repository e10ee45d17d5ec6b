package httpapi

import (
	"net/http"
	"slices"

	"github.com/grantledger/grantledger/app/access"
)

// route is one entry of the route table: method, path pattern, which roles
// may call it (none for a public route) and the handler.
type route struct {
	method string
	path   string
	public bool
	roles  []string
	h      func(w http.ResponseWriter, r *http.Request, p access.Principal) error
}

func (rt route) allows(role string) bool { return slices.Contains(rt.roles, role) }

// routeTable is every route the server has. The OpenAPI document lists the
// same routes; a test keeps the two equal.
func (s *Server) routeTable() []route {
	writers := []string{access.RoleFunder, access.RoleGrantee, access.RoleAuditor} // an auditor only findings (access.RoleMaySend)
	readers := []string{access.RoleFunder, access.RoleGrantee, access.RoleAuditor}
	auditor := []string{access.RoleAuditor}
	admin := []string{access.RoleAdmin}
	return append([]route{
		{method: "POST", path: "/v1/commands", roles: writers, h: s.postCommand},
		{method: "POST", path: "/v1/commands/batch", roles: writers, h: s.postBatch},
		{method: "GET", path: "/v1/agreements/{agreement}", roles: readers, h: s.getAgreement},
		{method: "GET", path: "/v1/reports/yearly", roles: readers, h: s.getYearly},
		{method: "GET", path: "/v1/reports/cash", roles: readers, h: s.getCash},
		{method: "GET", path: "/v1/reports/reconciliation", roles: readers, h: s.getReconciliation},
		{method: "GET", path: "/v1/reports/indicators", roles: readers, h: s.getIndicators},
		{method: "GET", path: "/v1/reports/audit", roles: auditor, h: s.getAudit},
		{method: "GET", path: "/v1/verify", roles: auditor, h: s.getVerify},
		{method: "GET", path: "/v1/checkpoint", roles: readers, h: s.getCheckpoint},
		{method: "GET", path: "/v1/checkpoints", roles: readers, h: s.getCheckpoints},
		{method: "GET", path: "/v1/proofs/inclusion", roles: auditor, h: s.getInclusion},
		{method: "GET", path: "/v1/proofs/consistency", roles: readers, h: s.getConsistency},
		{method: "GET", path: "/v1/tokens", roles: admin, h: s.listTokens},
		{method: "POST", path: "/v1/tokens", roles: admin, h: s.createToken},
		{method: "DELETE", path: "/v1/tokens/{id}", roles: admin, h: s.revokeToken},
		{method: "GET", path: "/v1/whoami", roles: []string{access.RoleFunder, access.RoleGrantee, access.RoleAuditor, access.RoleAdmin}, h: s.whoami},
		{method: "GET", path: "/healthz", public: true, h: s.healthz},
		{method: "GET", path: "/readyz", public: true, h: s.readyz},
		{method: "GET", path: "/metrics", public: true, h: s.metrics},
		{method: "GET", path: "/openapi.json", public: true, h: s.openapi},
	}, s.workRoutes(readers)...)
}

// Routes returns "METHOD PATH" of every route, for the OpenAPI test and the
// docs.
func (s *Server) Routes() []string {
	out := make([]string, len(s.routes))
	for i, rt := range s.routes {
		out[i] = rt.method + " " + rt.path
	}
	return out
}
