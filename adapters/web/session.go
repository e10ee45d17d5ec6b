package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/grantledger/grantledger/app/access"
)

// Cookie names.
const (
	sessionCookie = "gl_session"
	preCSRFCookie = "gl_signin" // CSRF token of the sign-in form, before any session
	langCookie    = "gl_lang"
)

// session is one signed-in person: the token they signed in with (by id,
// so that revoking the token ends the session) and the CSRF token every
// form of theirs carries.
type session struct {
	id      string
	tokenID string
	csrf    string
	expires time.Time
	created time.Time
}

// DefaultSessionsPerToken is how many sessions one token may hold at once
// (Config.MaxSessionsPerToken); signing in once more ends its oldest.
const DefaultSessionsPerToken = 20

// sessions keeps sessions in memory; a restart signs everyone out.
type sessions struct {
	ttl      time.Duration
	max      int
	perToken int // most sessions of one token
	now      func() time.Time

	mu   sync.Mutex
	byID map[string]*session
}

func newSessions(ttl time.Duration, max, perToken int, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, max: max, perToken: perToken, now: now, byID: map[string]*session{}}
}

// randomToken returns 32 random bytes, URL-safe base64.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("web: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *sessions) create(tokenID string) *session {
	now := s.now()
	ss := &session{id: randomToken(), tokenID: tokenID, csrf: randomToken(), created: now, expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, o := range s.byID { // drop expired ones; bounded by max
		if now.After(o.expires) {
			delete(s.byID, id)
		}
	}
	// One token holds at most perToken sessions: its own oldest goes first,
	// so no token can push other people's sessions out of the table.
	var mine []*session
	for _, o := range s.byID {
		if o.tokenID == tokenID {
			mine = append(mine, o)
		}
	}
	for len(mine) >= s.perToken {
		oldest := 0
		for i, o := range mine {
			if o.created.Before(mine[oldest].created) {
				oldest = i
			}
		}
		delete(s.byID, mine[oldest].id)
		mine = append(mine[:oldest], mine[oldest+1:]...)
	}
	if len(s.byID) >= s.max {
		var oldest *session
		for _, o := range s.byID {
			if oldest == nil || o.created.Before(oldest.created) {
				oldest = o
			}
		}
		delete(s.byID, oldest.id)
	}
	s.byID[ss.id] = ss
	return ss
}

func (s *sessions) get(id string) (*session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	if s.now().After(ss.expires) {
		delete(s.byID, id)
		return nil, false
	}
	return ss, true
}

func (s *sessions) drop(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// secure reports whether people reach the pages over HTTPS: this request
// came over TLS, or Config.Secure says a TLS proxy is in front.
func (h *Handler) secure(r *http.Request) bool { return r.TLS != nil || h.cfg.Secure }

// cookieName is the name of a cookie on this request: over HTTPS the
// session and sign-in cookies carry the __Host- prefix, which browsers
// accept only with Secure, Path=/ and no Domain, so no sibling host or
// plain-HTTP page can set or shadow them. The language cookie is a mere
// preference and keeps its name.
func (h *Handler) cookieName(r *http.Request, base string) string {
	if h.secure(r) && base != langCookie {
		return "__Host-" + base
	}
	return base
}

// setCookie writes a cookie with the flags every cookie here carries:
// HttpOnly, SameSite=Strict, Path=/, and Secure (with the __Host- prefix)
// when the pages are reached over HTTPS.
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(r, name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
}

// sameSecret compares two secrets in constant time; empty never matches.
func sameSecret(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// principalFor finds the principal of the request's session, checking that
// its token still exists.
func (h *Handler) principalFor(r *http.Request) (*session, access.Principal, bool) {
	c, err := r.Cookie(h.cookieName(r, sessionCookie))
	if err != nil {
		return nil, access.Principal{}, false
	}
	ss, ok := h.sessions.get(c.Value)
	if !ok {
		return nil, access.Principal{}, false
	}
	if p, ok := h.cfg.Tokens.Lookup(ss.tokenID); ok {
		return ss, p, true
	}
	h.sessions.drop(ss.id) // the token was revoked or has expired
	return nil, access.Principal{}, false
}

// signed wraps a page that needs a session: without one, GET goes to the
// sign-in page and anything else is refused; every POST must carry the
// session's CSRF token.
func (h *Handler) signed(fn func(w http.ResponseWriter, r *http.Request, v *view)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, p, ok := h.principalFor(r)
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in first: your session has ended", http.StatusUnauthorized)
			return
		}
		v := h.newView(r, &p, ss)
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := r.ParseForm(); err != nil {
				http.Error(w, "the form could not be read: "+err.Error(), http.StatusBadRequest)
				return
			}
			if !sameSecret(r.PostForm.Get("csrf"), ss.csrf) {
				h.fail(w, r, v, http.StatusForbidden, v.T("csrf_refused"))
				return
			}
		}
		if p.Role == access.RoleAdmin && r.URL.Path != "/signout" {
			h.fail(w, r, v, http.StatusForbidden, v.T("admin_no_pages"))
			return
		}
		fn(w, r, v)
	}
}

// count returns how many sessions are held.
func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
