package domain

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// CanonicalName is the form in which organisation names (funder, grantee,
// programme) are compared: Unicode NFC, spaces at either end removed and
// every run of white space inside made one space. Case is kept: "Ministry
// A" and "ministry a" are different names.
func CanonicalName(s string) string {
	return strings.Join(strings.FieldsFunc(norm.NFC.String(s), unicode.IsSpace), " ")
}

// SameOrganisation reports whether two organisation names are the same
// after CanonicalName: exactly, not by prefix, substring or case. An empty
// name is no organisation and matches nothing. It is the one comparison of
// organisations: the server's access rule (which agreement a funder or
// grantee may read and act on, and for which funder a funder may register
// one) and the reports' scopes use it.
func SameOrganisation(a, b string) bool {
	ca, cb := CanonicalName(a), CanonicalName(b)
	return ca != "" && ca == cb
}
