package httpapi

import (
	"testing"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// The token roles are the strings package access decides on, and the
// command routes' role table is access's: otherwise a principal handed to
// access would be judged under another role than its token's.
func TestRolesAreAccessRoles(t *testing.T) {
	for api, acc := range map[string]string{RoleFunder: access.RoleFunder, RoleGrantee: access.RoleGrantee, RoleAuditor: access.RoleAuditor, RoleAdmin: access.RoleAdmin} {
		if api != acc {
			t.Errorf("token role %q, access role %q", api, acc)
		}
	}
	for _, typ := range domain.CommandTypes() {
		want, ok := access.CommandRole(typ)
		if !ok || CommandRole(typ) != want {
			t.Errorf("%s: route table says %q, access says %q (known %v)", typ, CommandRole(typ), want, ok)
		}
	}
}
