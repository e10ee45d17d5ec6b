package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grantledger/grantledger/app/access"
)

// signinPage is the sign-in form.
type signinPage struct {
	*view
	Next       string
	TokenError string
	PreCSRF    string
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := h.principalFor(r); ok {
		http.Redirect(w, r, "/agreements", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// signinForm shows the form with a fresh sign-in CSRF token, kept in a
// cookie and in a hidden field (no session exists yet to hold it).
func (h *Handler) signinForm(w http.ResponseWriter, r *http.Request) {
	v := h.newView(r, nil, nil)
	h.showSignin(w, r, v, http.StatusOK, localPath(r.URL.Query().Get("next")), "")
}

func (h *Handler) showSignin(w http.ResponseWriter, r *http.Request, v *view, status int, next, tokenErr string) {
	pre := randomToken()
	h.setCookie(w, r, preCSRFCookie, pre, 900)
	v.Title = v.T("signin")
	h.render(w, status, "signin", signinPage{view: v, Next: next, TokenError: tokenErr, PreCSRF: pre})
}

// signin exchanges an API token for a session cookie. The token itself is
// never stored in the browser.
func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the form could not be read: "+err.Error(), http.StatusBadRequest)
		return
	}
	v := h.newView(r, nil, nil)
	if l := r.PostForm.Get("lang"); l == "lv" || l == "en" {
		v.Lang = langOf(l)
	}
	next := localPath(r.PostForm.Get("next"))
	c, err := r.Cookie(h.cookieName(r, preCSRFCookie))
	if err != nil || !sameSecret(c.Value, r.PostForm.Get("csrf")) {
		h.fail(w, r, v, http.StatusForbidden, v.T("csrf_refused"))
		return
	}
	if ok, wait := h.byClient.allow(clientOf(r.RemoteAddr)); !ok {
		h.log.Warn("web: sign-in rate limited", "remote", r.RemoteAddr, "per", "client")
		h.tooMany(w, r, v, next, wait)
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" {
		h.showSignin(w, r, v, http.StatusUnprocessableEntity, next, v.T("token_missing"))
		return
	}
	p, ok := h.cfg.Tokens.Authenticate(token)
	if !ok {
		h.log.Info("web: sign-in refused", "remote", r.RemoteAddr)
		h.showSignin(w, r, v, http.StatusUnauthorized, next, v.T("token_unknown"))
		return
	}
	if p.Role == access.RoleAdmin {
		h.showSignin(w, r, v, http.StatusForbidden, next, v.T("admin_no_pages"))
		return
	}
	if ok, wait := h.byToken.allow(p.TokenID); !ok {
		h.log.Warn("web: sign-in rate limited", "remote", r.RemoteAddr, "per", "token", "token_id", p.TokenID)
		h.tooMany(w, r, v, next, wait)
		return
	}
	ss := h.sessions.create(p.TokenID)
	h.setCookie(w, r, sessionCookie, ss.id, int(h.cfg.SessionTTL.Seconds()))
	h.setCookie(w, r, preCSRFCookie, "", -1)
	h.setCookie(w, r, langCookie, string(v.Lang), 365*24*3600)
	h.log.Info("web: signed in", "token_id", p.TokenID, "principal", p.Name, "role", p.Role)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) signout(w http.ResponseWriter, r *http.Request, v *view) {
	if c, err := r.Cookie(h.cookieName(r, sessionCookie)); err == nil {
		h.sessions.drop(c.Value)
	}
	h.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// tooMany answers a sign-in over its rate limit: 429 with Retry-After.
func (h *Handler) tooMany(w http.ResponseWriter, r *http.Request, v *view, next string, wait time.Duration) {
	secs := int(wait.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	h.showSignin(w, r, v, http.StatusTooManyRequests, next, fmt.Sprintf(v.T("signin_limited"), secs))
}
