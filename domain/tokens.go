package domain

import "time"

// TokenStream is the stream that holds the API tokens' lifecycle: every
// token created and revoked, as events hash-chained like any agreement's.
// It lies outside StreamPrefix, so no agreement view folds it; the audit
// trail shows its events (never the token's hash). The CLI and every
// running server read the tokens from here, so they share one source of
// truth wherever the ledger is (embedded file or EventStoreDB).
const TokenStream = "grantledger-tokens"

// Token event type names as stored.
const (
	TypeTokenCreated = "TokenCreated"
	TypeTokenRevoked = "TokenRevoked"
)

// TokenCreated records a new API token: who holds it, its role and scope,
// and the SHA-256 of the token (never the token itself). Expires, when not
// zero, is the moment after which the token is refused.
type TokenCreated struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Funder  string    `json:"funder,omitempty"`
	Grantee string    `json:"grantee,omitempty"`
	SHA256  string    `json:"sha256"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitzero"`
	// MovedFrom names the token file the token was moved in from, when it
	// was created before tokens were kept in the ledger.
	MovedFrom string `json:"moved_from,omitempty"`
}

// TokenRevoked records that a token is refused from now on. A revocation
// is final: nothing brings the token back.
type TokenRevoked struct {
	ID string `json:"id"`
}

func (TokenCreated) EventType() string { return TypeTokenCreated }
func (TokenRevoked) EventType() string { return TypeTokenRevoked }
