package access

import (
	"errors"
	"time"
)

// TokenRecord is a token as the token store (adapters/tokens) keeps it:
// the principal it stands for and its SHA-256, never the token itself.
type TokenRecord struct {
	Principal
	Hash    string    `json:"sha256"`
	Created time.Time `json:"created"`
	// Expires, when not zero, is when the token stops working.
	Expires time.Time `json:"expires,omitzero"`
	// Revoked marks a token revoked in the ledger's token stream; it is
	// kept so that nothing can bring it back.
	Revoked bool `json:"-"`
}

// CreateOptions are the choices of a token store's CreateWith.
type CreateOptions struct {
	// Actor is who creates the token, as the audit trail records it
	// (default "unknown").
	Actor string
	// Expires, when not zero, is when the token stops working.
	Expires time.Time
	// AllowUnknown creates a funder or grantee token for an organisation
	// that no agreement in the ledger names. Without it such a token is
	// refused (ErrUnknownOrg), so a typo cannot make a token that sees
	// nothing, or that waits for someone to register that name.
	AllowUnknown bool
}

// ErrUnknownOrg is returned (wrapped) by a token store's CreateWith for a
// funder or grantee token whose organisation no agreement names.
var ErrUnknownOrg = errors.New("unknown organisation")

// ErrNoToken is returned (wrapped) for a token id that is not there.
var ErrNoToken = errors.New("no such token")
