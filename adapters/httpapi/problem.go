package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// statusByCode is the one table that maps a domain error code to an HTTP
// status. Codes the server adds itself (unauthenticated, forbidden, ...)
// are in the same table.
var statusByCode = map[string]int{
	domain.EInvalid:     http.StatusBadRequest,
	domain.ERule:        http.StatusUnprocessableEntity,
	domain.ENotFound:    http.StatusNotFound,
	domain.EConflict:    http.StatusConflict,
	domain.EDuplicate:   http.StatusConflict,
	domain.ETampered:    http.StatusInternalServerError,
	domain.EUnavailable: http.StatusServiceUnavailable,
	domain.EInternal:    http.StatusInternalServerError,
	codeUnauthenticated: http.StatusUnauthorized,
	codeForbidden:       http.StatusForbidden,
	codeTooLarge:        http.StatusRequestEntityTooLarge,
	codeMediaType:       http.StatusUnsupportedMediaType,
	codeNotAcceptable:   http.StatusNotAcceptable,
	codeTimeout:         http.StatusServiceUnavailable,
	codeMethod:          http.StatusMethodNotAllowed,
}

// Codes of errors the HTTP layer finds itself.
const (
	codeUnauthenticated = "unauthenticated"
	codeForbidden       = "forbidden"
	codeTooLarge        = "too_large"
	codeMediaType       = "unsupported_media_type"
	codeNotAcceptable   = "not_acceptable"
	codeTimeout         = "timeout"
	codeMethod          = "method_not_allowed"
)

// StatusOf returns the HTTP status for a domain error code.
func StatusOf(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem details object with grantledger's
// extensions: the error code, the fields at fault, the broken rule and its
// figures, and for conflicts the agreement's current revision.
type Problem struct {
	Type            string         `json:"type"`
	Title           string         `json:"title"`
	Status          int            `json:"status"`
	Detail          string         `json:"detail,omitempty"`
	Instance        string         `json:"instance,omitempty"`
	Code            string         `json:"code"`
	RequestID       string         `json:"request_id,omitempty"`
	Errors          []FieldProblem `json:"errors,omitempty"`
	Rule            string         `json:"rule,omitempty"`
	Figures         map[string]any `json:"figures,omitempty"`
	CurrentRevision *int64         `json:"current_revision,omitempty"`
}

// FieldProblem names one bad field of the request (a JSON path such as
// "data.amount") and what is wrong with it.
type FieldProblem struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// problemFor turns an error into a problem. Internal errors do not leak
// their text.
func problemFor(err error) Problem {
	code := domain.ErrorCode(err)
	var he *httpError
	if errors.As(err, &he) {
		code = he.code
	}
	status := StatusOf(code)
	p := Problem{Type: "https://grantledger.invalid/problems/" + code, Title: http.StatusText(status), Status: status, Code: code, Detail: err.Error()}
	if he != nil && he.field != "" {
		p.Errors = append(p.Errors, FieldProblem{Field: he.field, Detail: he.msg})
	}
	var de *domain.Error
	if errors.As(err, &de) {
		field := de.Field
		var uf *wire.UnknownFieldError
		if field == "" && errors.As(de, &uf) {
			field = uf.Field // a key the command has no field for (package wire)
		}
		if field != "" {
			p.Errors = append(p.Errors, FieldProblem{Field: field, Detail: de.Error()})
		}
	}
	var re *domain.RuleError
	if errors.As(err, &re) {
		p.Rule = re.Rule
		if len(re.Figures) > 0 {
			p.Figures = map[string]any{}
			for k, v := range re.Figures {
				p.Figures[k] = v
			}
		}
	}
	var ce *domain.ConcurrencyError
	if errors.As(err, &ce) {
		rev := ce.Actual
		p.CurrentRevision = &rev
	}
	if code == domain.EInternal {
		p.Detail = "internal error; the request id finds it in the server log"
	}
	return p
}

// httpError is an error the HTTP layer finds (authentication, permission,
// body size, media type...).
type httpError struct {
	code  string
	field string
	msg   string
}

func (e *httpError) Error() string {
	if e.field != "" {
		return e.field + ": " + e.msg
	}
	return e.msg
}

func errorf(code, msg string) error { return &httpError{code: code, msg: msg} }

// writeProblem writes err as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	p.Instance = r.URL.Path
	p.RequestID = requestID(r.Context())
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="grantledger"`)
	}
	if rs, ok := w.(*recorder); ok {
		rs.err = err
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
