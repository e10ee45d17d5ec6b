package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// Tokens is what the server needs of the token store (adapters/tokens'
// *Tokens): a bearer token's principal, and the admin routes' list,
// create and revoke, in the access policy's types.
type Tokens interface {
	Authenticate(token string) (access.Principal, bool)
	List() []access.TokenRecord
	CreateWith(ctx context.Context, p access.Principal, o access.CreateOptions) (string, access.TokenRecord, error)
	RevokeWith(ctx context.Context, id, actor string) error
}

// TokenInfo is a token as the API shows it: who holds it, never its hash.
type TokenInfo struct {
	access.Principal
	Created string `json:"created"`
	Expires string `json:"expires,omitempty"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	out := []TokenInfo{}
	for _, t := range s.cfg.Tokens.List() {
		info := TokenInfo{Principal: t.Principal, Created: t.Created.Format("2006-01-02T15:04:05Z07:00")}
		if !t.Expires.IsZero() {
			info.Expires = t.Expires.Format("2006-01-02T15:04:05Z07:00")
		}
		out = append(out, info)
	}
	writeJSON(w, http.StatusOK, TokenList{Tokens: out})
	return nil
}

// TokenRequest is the body of POST /v1/tokens.
type TokenRequest struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Funder  string `json:"funder,omitempty"`
	Grantee string `json:"grantee,omitempty"`
	// Expires, optional, is when the token stops working (RFC 3339).
	Expires string `json:"expires,omitempty"`
	// AllowUnknown creates a funder or grantee token for an organisation
	// no agreement names yet.
	AllowUnknown bool `json:"allow_unknown,omitempty"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	b, err := readBody(w, r, 64<<10)
	if err != nil {
		return err
	}
	var req TokenRequest
	if err := strictJSON(b, &req); err != nil {
		return err
	}
	if len(req.Name) > 200 {
		return domain.FieldError("name", "longer than 200 characters")
	}
	opts := access.CreateOptions{Actor: p.Actor(), AllowUnknown: req.AllowUnknown}
	if req.Expires != "" {
		t, err := time.Parse(time.RFC3339, req.Expires)
		if err != nil {
			return domain.FieldError("expires", "%q is not an RFC 3339 time such as 2027-03-01T00:00:00Z", req.Expires)
		}
		opts.Expires = t
	}
	token, rec, err := s.cfg.Tokens.CreateWith(r.Context(), access.Principal{Name: req.Name, Role: req.Role, Funder: req.Funder, Grantee: req.Grantee}, opts)
	if errors.Is(err, access.ErrUnknownOrg) {
		field := "funder"
		if req.Role == access.RoleGrantee {
			field = "grantee"
		}
		return domain.FieldError(field, "%v (\"allow_unknown\": true)", err)
	}
	if err != nil && strings.HasPrefix(err.Error(), "tokens:") {
		return err
	}
	if err != nil {
		field := "role"
		switch {
		case strings.Contains(err.Error(), "name"):
			field = "name"
		case strings.Contains(err.Error(), "--funder"):
			field = "funder"
		case strings.Contains(err.Error(), "--grantee"):
			field = "grantee"
		case strings.Contains(err.Error(), "expires"):
			field = "expires"
		}
		if strings.Contains(err.Error(), "token file") {
			return err
		}
		return domain.FieldError(field, "%v", err)
	}
	s.log.Info("token created", "request_id", requestID(r.Context()), "token_id", rec.TokenID, "name", rec.Name, "role", rec.Role, "by", p.Name)
	writeJSON(w, http.StatusCreated, TokenCreated{Token: token, ID: rec.TokenID, Principal: rec.Principal,
		Note: "the token is shown only now; the server keeps only its SHA-256"})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id := r.PathValue("id")
	if err := s.cfg.Tokens.RevokeWith(r.Context(), id, p.Actor()); err != nil {
		if errors.Is(err, access.ErrNoToken) {
			return &domain.Error{Code: domain.ENotFound, Field: "id", Message: fmt.Sprintf("no token with id %q", id), Err: domain.ErrNotFound}
		}
		return err
	}
	s.log.Info("token revoked", "request_id", requestID(r.Context()), "token_id", id, "by", p.Name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	writeJSON(w, http.StatusOK, WhoAmI{Principal: p, Actor: p.Actor()})
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
	return nil
}

// readyz answers 200 when the store answers a read and the read model has
// caught up, both within ReadyTimeout; 503 otherwise or while shutting down.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	if s.stopping.Load() {
		return errorf(domain.EUnavailable, "shutting down")
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if s.cfg.Store != nil {
		if _, err := s.cfg.Store.ReadAll(ctx, domain.Position{}, 1); err != nil {
			return errorf(domain.EUnavailable, "store not reachable: "+err.Error())
		}
	}
	if err := s.cfg.Reports.Ready(ctx); err != nil {
		return errorf(domain.EUnavailable, "read model not caught up within "+s.cfg.ReadyTimeout.String()+": "+err.Error())
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	if s.cfg.Metrics == nil {
		return &domain.Error{Code: domain.ENotFound, Message: "metrics are not enabled"}
	}
	if s.cfg.MetricsToken == "" {
		return &domain.Error{Code: domain.ENotFound, Message: "metrics are served on the metrics address (serve --metrics-addr), or here to a bearer of the metrics token (--metrics-token-file)"}
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || !sameMetricsToken(strings.TrimSpace(token), s.cfg.MetricsToken) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		return errorf(codeUnauthenticated, "/metrics needs Authorization: Bearer <the metrics token>")
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}

// sameMetricsToken compares the hashes of the two, in constant time.
func sameMetricsToken(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return got != "" && subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// MetricsHandler serves GET /metrics without authentication and nothing
// else, for a listener of its own (serve --metrics-addr, loopback by
// default) that only the operator's scraper can reach.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	if s.cfg.Metrics != nil {
		mux.Handle("GET /metrics", s.cfg.Metrics)
	}
	return mux
}

// TokenList is the answer of GET /v1/tokens.
type TokenList struct {
	Tokens []TokenInfo `json:"tokens"`
}

// TokenCreated is the answer of POST /v1/tokens: the token is shown once.
type TokenCreated struct {
	Token     string           `json:"token"`
	ID        string           `json:"id"`
	Principal access.Principal `json:"principal"`
	Note      string           `json:"note"`
}

// WhoAmI is the answer of GET /v1/whoami.
type WhoAmI struct {
	Principal access.Principal `json:"principal"`
	Actor     string           `json:"actor"`
}
