package httpapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"io"
	"net/http"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// OpenAPI is the OpenAPI 3 document of the API, kept in openapi.json next
// to this file and served at /openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

func (s *Server) openapi(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(OpenAPI)
	return nil
}

// strictJSON decodes one JSON object into v, refusing unknown fields and
// trailing data.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if key, ok := wire.UnknownField(err, b, v); ok {
			return domain.FieldError(key, "unknown field; /openapi.json lists the fields this request takes")
		}
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return domain.Errorf(domain.EInvalid, "unexpected data after the JSON object")
	}
	return nil
}
