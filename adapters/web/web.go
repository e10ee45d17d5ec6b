// Package web serves grantledger's pages for accountants, ministry officers
// and auditors: server-rendered HTML (html/template, no JavaScript needed)
// over the same ledger service, read model, token store and access policy
// (app/access) as the HTTP API (adapters/httpapi), which mounts it as
// Config.Web; it imports none of the API's code. A person signs in with
// an API token, which is exchanged for a session cookie; every form carries
// a CSRF token and a command id, so a double click or a reload never applies
// a command twice. Figures come from the read models of package projections,
// kept up to date by app/readmodel; every page can show the ledger "as
// recorded at" a past moment.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Ledger is what the pages need of the command service: one command at a
// time, the signed-in principal its actor (*command.Service, or a
// decorator around it such as metrics.Service).
type Ledger interface {
	Handle(ctx context.Context, env domain.Envelope) (command.Result, error)
}

// ReadModel is what the pages need of the read model (*readmodel.Service,
// the one serve also hands to the API): a read model caught up with the
// store (or as recorded at a past moment), the Merkle log state at a
// position, the hash chains' verification, and the one clock that decides
// what is due or overdue.
type ReadModel interface {
	Read(ctx context.Context, asOf time.Time, fn func(*projections.Ledger) error) (domain.Position, error)
	State(ctx context.Context, pos domain.Position) (readmodel.LogState, bool, error)
	VerifyChains(ctx context.Context) (projections.Verification, error)
	Today() domain.Date
}

var _ ReadModel = (*readmodel.Service)(nil)

// Tokens is what sign-in and the sessions need of the token store
// (*tokens.Tokens): a token's principal, and a session's token still
// valid (not revoked, not expired) on every request.
type Tokens interface {
	Authenticate(token string) (access.Principal, bool)
	Lookup(id string) (access.Principal, bool)
}

// Files writes a report document as a download: XLSX, or CSV in a
// dialect ("" or machine, or excel). adapters/report.Files is the one the
// server uses; the pages declare what they need and import no other
// adapter.
type Files interface {
	WriteXLSX(w io.Writer, doc document.Document) error
	WriteCSV(w io.Writer, doc document.Document, dialect string) error
}

// Config configures the web pages. Ledger, Reads, Tokens and Files are
// required.
type Config struct {
	Ledger command.Handler // applies commands (actor: the signed-in principal)
	// Reads is the read model the pages show: every page that shows
	// figures names, in its footer, the Merkle log state they were
	// computed from (signed as a checkpoint when the read model has a
	// signing key) when the read model has a log.
	Reads  ReadModel
	Tokens Tokens           // sign-in verifies API tokens here
	Files  Files            // the XLSX and CSV downloads
	Now    func() time.Time // sessions and sign-in limits; default time.Now
	// Lang is the pages' language when neither ?lang= nor the reader's
	// language cookie chooses one (serve --lang, GRANTLEDGER_LANG);
	// empty: English.
	Lang   document.Lang
	Logger *slog.Logger // nil discards
	// SessionTTL is how long a session lasts after sign-in (default 8h).
	SessionTTL time.Duration
	// Secure says people reach the pages over HTTPS even when this
	// process hears plain HTTP (a TLS proxy in front; serve --public-url
	// https://…): cookies are then Secure and __Host- prefixed, as they are
	// for a request that came over TLS.
	Secure bool
	// MaxSessions bounds the sessions kept in memory (default 10 000); the
	// oldest is dropped when a new one would exceed it.
	MaxSessions int
	// MaxSessionsPerToken bounds the sessions of one token (default
	// DefaultSessionsPerToken); the token's own oldest is dropped first.
	MaxSessionsPerToken int
	// SigninPerClient and SigninPerToken bound sign-in attempts per
	// client address and per token: a burst of that many, then one more
	// every SigninEvery (defaults 20, 10 and 6s). A client address is the
	// connection's peer; behind a reverse proxy that is the proxy, so raise
	// SigninPerClient there.
	SigninPerClient, SigninPerToken int
	SigninEvery                     time.Duration
}

// Handler serves the web pages. It is safe for concurrent use.
type Handler struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	pages    map[string]pageTemplate
	sessions *sessions
	byClient *limiter // sign-in attempts per client address
	byToken  *limiter // sign-ins per token
}

var _ http.Handler = (*Handler)(nil)

// New returns the web pages' handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Ledger == nil || cfg.Reads == nil || cfg.Tokens == nil || cfg.Files == nil {
		return nil, errors.New("web: Ledger, Reads, Tokens and Files are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 10000
	}
	if cfg.MaxSessionsPerToken <= 0 {
		cfg.MaxSessionsPerToken = DefaultSessionsPerToken
	}
	if cfg.SigninPerClient <= 0 {
		cfg.SigninPerClient = 20
	}
	if cfg.SigninPerToken <= 0 {
		cfg.SigninPerToken = 10
	}
	if cfg.SigninEvery <= 0 {
		cfg.SigninEvery = 6 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, log: log, mux: http.NewServeMux(), pages: pages,
		sessions: newSessions(cfg.SessionTTL, cfg.MaxSessions, cfg.MaxSessionsPerToken, cfg.Now),
		byClient: newLimiter(cfg.SigninPerClient, cfg.SigninEvery, cfg.Now),
		byToken:  newLimiter(cfg.SigninPerToken, cfg.SigninEvery, cfg.Now)}
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /{$}", h.home)
	h.mux.HandleFunc("GET /signin", h.signinForm)
	h.mux.HandleFunc("POST /signin", h.signin)
	h.mux.HandleFunc("POST /signout", h.signed(h.signout))
	h.mux.HandleFunc("GET /agreements", h.signed(h.agreements))
	h.mux.HandleFunc("GET /agreement", h.signed(h.agreement))
	h.mux.HandleFunc("POST /agreement", h.signed(h.command))
	h.mux.HandleFunc("GET /report", h.signed(h.report))
	h.mux.HandleFunc("GET /report.xlsx", h.signed(h.reportXLSX))
	h.mux.HandleFunc("GET /reconciliation", h.signed(h.reconciliation))
	h.mux.HandleFunc("GET /reconciliation.csv", h.signed(h.reconciliationFile))
	h.mux.HandleFunc("GET /reconciliation.xlsx", h.signed(h.reconciliationFile))
	h.mux.HandleFunc("GET /audit", h.signed(h.audit))
	return h, nil
}

// ServeHTTP answers one request, with the security headers every page
// carries.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	if _, pat := h.mux.Handler(r); pat == "" {
		h.notFound(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// withLedger runs fn on the read model: the live one caught up with the
// store, or, for a past moment (v.AsOf), one folded from scratch up to
// then. It sets v.State to the Merkle log state the read model holds.
func (h *Handler) withLedger(ctx context.Context, v *view, fn func(*projections.Ledger) error) error {
	pos, err := h.cfg.Reads.Read(ctx, v.AsOf, fn)
	if err != nil {
		return err
	}
	// Leaf count and root at the position; no footer when the log cannot
	// say, no signature when it cannot be signed.
	if st, ok, _ := h.cfg.Reads.State(ctx, pos); ok {
		v.State = fmt.Sprintf("%d · %s", st.Size, st.Root)
		v.SignedState = st.Signed
	}
	return nil
}

// today is the date that decides what is overdue: the read model's clock,
// the one the API's reports use too.
func (h *Handler) today() domain.Date { return h.cfg.Reads.Today() }
