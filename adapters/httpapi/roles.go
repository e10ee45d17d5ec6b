package httpapi

import "github.com/grantledger/grantledger/app/access"

// RoleMaySend reports whether role may send commands of type typ: the
// type's own role, or an auditor sending a finding (access.RoleMaySend,
// the one table). The API and the web pages (Principal.MaySend) apply it.
func RoleMaySend(role, typ string) bool { return access.RoleMaySend(role, typ) }
