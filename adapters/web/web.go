// Package web serves grantledger's pages for accountants, ministry officers
// and auditors: server-rendered HTML (html/template, no JavaScript needed)
// over the same ledger service, token store and role rules as the HTTP API
// (adapters/httpapi), which mounts it as Config.Web. A person signs in with
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
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/grantledger/grantledger/adapters/httpapi"
	rpt "github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the web pages. Ledger, Store and Tokens are required.
type Config struct {
	Ledger command.Handler // applies commands (actor: the signed-in principal)
	Store  port.Store      // the read models fold its events
	// Log is the Merkle log of the store's events (the store itself when
	// it keeps one); every page that shows figures names the log state
	// they were computed from in its footer. Nil: no footer.
	Log merkle.Tree
	// Signer, when set with Log, signs the state in the footer as a
	// checkpoint (C2SP tlog-checkpoint note) that whoever saved the page
	// can check later with the public key alone.
	Signer note.Signer
	Tokens *httpapi.Tokens  // sign-in verifies API tokens here
	Now    func() time.Time // default time.Now
	// Lang is the pages' language when neither ?lang= nor the reader's
	// language cookie chooses one (serve --lang, GRANTLEDGER_LANG);
	// empty: English.
	Lang   rpt.Lang
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

	live *readmodel.Runner // the read model of now; safe for concurrent use
}

var _ http.Handler = (*Handler)(nil)

// New returns the web pages' handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Ledger == nil || cfg.Store == nil || cfg.Tokens == nil {
		return nil, errors.New("web: Ledger, Store and Tokens are required")
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
		byToken:  newLimiter(cfg.SigninPerToken, cfg.SigninEvery, cfg.Now),
		live:     readmodel.New(cfg.Store, readmodel.Options{NoSnapshots: true})}
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
	run := h.live
	if !v.AsOf.IsZero() {
		run = readmodel.New(h.cfg.Store, readmodel.Options{NoSnapshots: true, AsOf: v.AsOf})
	}
	if _, err := run.CatchUp(ctx); err != nil {
		return fmt.Errorf("read model: %w", err)
	}
	var pos domain.Position
	err := run.View(func(l *projections.Ledger) error {
		pos = l.Position()
		return fn(l)
	})
	if err == nil && h.cfg.Log != nil {
		// Leaf count at the position (merkle.SizeAt).
		size, serr := merkle.SizeAt(ctx, h.cfg.Log, pos)
		if root, rerr := merkle.Root(ctx, h.cfg.Log, size); serr == nil && rerr == nil {
			v.State = fmt.Sprintf("%d · %s", size, root)
			if h.cfg.Signer != nil {
				c := merkle.Checkpoint{Size: size, Root: root, Time: h.cfg.Now().UTC().Truncate(time.Second)}
				c.Sealed, _ = h.cfg.Log.Sealed(ctx)
				if b, err := merkle.Sign(c, h.cfg.Signer); err == nil {
					v.SignedState = string(b)
				}
			}
		}
	}
	return err
}

// today is the date that decides what is overdue.
func (h *Handler) today() domain.Date { return domain.DateOf(h.cfg.Now().UTC()) }
