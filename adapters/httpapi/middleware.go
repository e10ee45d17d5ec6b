package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/access"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// recorder remembers the status a handler wrote and the error behind a
// problem, for the log line and the metrics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	err    error
	who    *access.Principal
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// cleanRequestID accepts a caller's X-Request-ID only when it is short and
// plain, so that it cannot forge log lines.
func cleanRequestID(s string) string {
	if s == "" || len(s) > 64 {
		return ""
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return ""
		}
	}
	return s
}

// serveHTTP wraps every request: request id, a deadline, panic recovery,
// one structured log line (never the Authorization header) and metrics.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	id := cleanRequestID(r.Header.Get("X-Request-ID"))
	if id == "" {
		id = uuid.NewString()
	}
	w.Header().Set("X-Request-ID", id)
	if r.TLS != nil || s.httpsOutside {
		// Browsers that saw this once refuse plain HTTP to the host for
		// two years (RFC 6797).
		w.Header().Set("Strict-Transport-Security", "max-age=63072000")
	}
	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), keyRequestID, id), s.cfg.RequestTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	rec := &recorder{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "request_id", id, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rec.status == 0 {
				writeProblem(rec, r, errorf("internal", "internal error"))
			}
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		if s.cfg.Observer != nil {
			s.cfg.Observer.ObserveHTTP(route, r.Method, rec.status, d)
		}
		level := slog.LevelInfo
		if rec.err != nil && rec.status >= 500 {
			level = slog.LevelError
		}
		if !s.log.Enabled(context.Background(), level) {
			return
		}
		attrs := make([]slog.Attr, 0, 14)
		attrs = append(attrs, slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route),
			slog.String("path", r.URL.Path), slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.String("remote", r.RemoteAddr))
		if rec.who != nil {
			attrs = append(attrs, slog.String("token_id", rec.who.TokenID), slog.String("principal", rec.who.Name), slog.String("role", rec.who.Role))
		}
		if rec.err != nil {
			attrs = append(attrs, slog.String("error", rec.err.Error()))
		}
		s.log.LogAttrs(context.Background(), level, "request", attrs...)
	}()
	if r.Pattern == "" {
		// Not yet routed: find the route so unknown paths and wrong
		// methods answer problem+json too.
		if _, pat := s.mux.Handler(r); pat == "" {
			if s.cfg.Web != nil && !strings.HasPrefix(r.URL.Path, "/v1/") {
				s.cfg.Web.ServeHTTP(rec, r)
				return
			}
			if allowed := s.allowedMethods(r.URL.Path); allowed != "" {
				rec.Header().Set("Allow", allowed)
				writeProblem(rec, r, errorf(codeMethod, fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allowed)))
				return
			}
			writeProblem(rec, r, errorf("not_found", fmt.Sprintf("no route %s %s; see /openapi.json", r.Method, r.URL.Path)))
			return
		}
	}
	s.mux.ServeHTTP(rec, r)
}

// allowedMethods lists the methods the route table has for path.
func (s *Server) allowedMethods(path string) string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		probe, _ := http.NewRequest(m, path, nil)
		if _, pat := s.mux.Handler(probe); pat != "" {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// endpoint adapts a route: authentication when the route needs it, then the
// handler; an error from the handler becomes a problem.
func (s *Server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p access.Principal
		if !rt.public {
			var err error
			p, err = s.authenticate(r)
			if err != nil {
				writeProblem(w, r, err)
				return
			}
			if rec, ok := w.(*recorder); ok {
				rec.who = &p
			}
			if !rt.allows(p.Role) {
				writeProblem(w, r, errorf(codeForbidden, fmt.Sprintf("the %s role may not %s %s", p.Role, r.Method, rt.path)))
				return
			}
		}
		if err := rt.h(w, r, p); err != nil {
			if r.Context().Err() == context.DeadlineExceeded {
				err = errorf(codeTimeout, fmt.Sprintf("the request took longer than %s and was stopped: %v", s.cfg.RequestTimeout, err))
			}
			writeProblem(w, r, err)
		}
	})
}

// authenticate reads the bearer token and finds its principal.
func (s *Server) authenticate(r *http.Request) (access.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" {
		return access.Principal{}, errorf(codeUnauthenticated, "missing Authorization: Bearer <token>")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return access.Principal{}, errorf(codeUnauthenticated, "Authorization must be 'Bearer <token>'")
	}
	p, found := s.cfg.Tokens.Authenticate(strings.TrimSpace(token))
	if !found {
		return access.Principal{}, errorf(codeUnauthenticated, "unknown or revoked token")
	}
	return p, nil
}
