package httpapi

import (
	"testing"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// Every command type has a role in package access's table, the one the
// command routes apply: a type without one would be refused to everyone
// by the routes (forbidden) but counted as unknown.
func TestEveryCommandHasAnAccessRole(t *testing.T) {
	for _, typ := range domain.CommandTypes() {
		if want, ok := access.CommandRole(typ); !ok || want == "" {
			t.Errorf("%s: no role in access's table", typ)
		}
	}
}
