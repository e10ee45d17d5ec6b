package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// readBody reads a JSON body of at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, errorf(codeMediaType, fmt.Sprintf("Content-Type %q: send application/json", ct))
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errorf(codeTooLarge, fmt.Sprintf("body is larger than the %d bytes allowed; nothing was applied", limit))
	}
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return b, nil
}

// decodeEnvelope reads one command envelope strictly (unknown fields and
// trailing data are errors) and sets its actor to the principal: a name in
// the body is never used.
func decodeEnvelope(b []byte, p access.Principal) (domain.Envelope, error) {
	return wire.DecodeEnvelopeAs(b, p.Actor())
}

// jsonProblem turns a JSON decoding error into a domain error naming the
// field when there is one.
func jsonProblem(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			return domain.FieldError(te.Field, "expected %s, got JSON %s", te.Type, te.Value)
		}
		return domain.Errorf(domain.EInvalid, "expected %s, got JSON %s", te.Type, te.Value)
	case errors.As(err, &se):
		return domain.Errorf(domain.EInvalid, "malformed JSON at byte %d: %v", se.Offset, se)
	case err == io.EOF:
		return domain.Errorf(domain.EInvalid, "empty body; expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Errorf(domain.EInvalid, "the JSON ends early")
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	return domain.Errorf(domain.EInvalid, "%s", strings.TrimPrefix(err.Error(), "json: "))
}

// authorizeCommand checks that p may send the command: its role may send
// this type, and the agreement belongs to p's funder or grantee. The
// agreement's funder and grantee are read from the ledger, never from the
// request, except for register_agreement, whose funder must be p's.
// It returns the decoded, validated command.
func (s *Server) authorizeCommand(ctx context.Context, p access.Principal, env domain.Envelope) (domain.Command, error) {
	if want, known := access.CommandRole(env.Type); known && !p.MaySend(env.Type) {
		return nil, errorf(codeForbidden, fmt.Sprintf("the %s role may not send %s; it is for the %s role", p.Role, env.Type, want))
	}
	cmd, err := wire.DecodeCommand(env)
	if err != nil {
		return nil, withSchemaHint(err, env.Type) // names the field (package wire)
	}
	if reg, ok := cmd.(domain.RegisterAgreement); ok {
		if !access.MayAct(p, env.Type, access.Parties{Funder: reg.Funder, Grantee: reg.Grantee}) {
			return nil, &httpError{code: codeForbidden, field: "data.funder", msg: fmt.Sprintf("your token acts for funder %q, not %q", p.Funder, reg.Funder)}
		}
		return cmd, nil
	}
	if err := s.authorizeAgreement(ctx, p, cmd.AgreementNumber(), env.Type); err != nil {
		return nil, err
	}
	return cmd, nil
}

// authorizeAgreement checks that p may read the agreement (typ "") or
// send a command of type typ on it, as package access decides.
func (s *Server) authorizeAgreement(ctx context.Context, p access.Principal, number, typ string) error {
	if typ == "" && p.Role == access.RoleAuditor {
		return nil // an auditor reads every agreement: no need to look it up
	}
	funder, grantee, err := s.parties(ctx, number)
	if err != nil {
		return err
	}
	parties := access.Parties{Funder: funder, Grantee: grantee}
	if typ == "" && access.MaySee(p, parties) || typ != "" && access.MayAct(p, typ, parties) {
		return nil
	}
	return errorf(codeForbidden, fmt.Sprintf("agreement %s is not one of your organisation's (%s)", number, p.Org()))
}

// postCommand applies one command. 201 with the events appended, or 200
// when the command id was applied before (nothing appended again).
func (s *Server) postCommand(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	b, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	env, err := decodeEnvelope(b, p)
	if err != nil {
		return err
	}
	cmd, err := s.authorizeCommand(r.Context(), p, env)
	if err != nil {
		s.refused(env.Type, err)
		return err
	}
	out := s.cfg.Ledger.Handle(r.Context(), []command.Request{{Envelope: env, Command: cmd}})[0]
	if out.Err != nil {
		return out.Err
	}
	res := out.Result
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
	return nil
}

// BatchItem is the outcome of one command of a batch: its status as if it
// had been sent alone, and its result or problem.
type BatchItem struct {
	Index   int             `json:"index"`
	Status  int             `json:"status"`
	Result  *command.Result `json:"result,omitempty"`
	Problem *Problem        `json:"problem,omitempty"`
}

// BatchResponse answers a batch.
type BatchResponse struct {
	Applied int         `json:"applied"`
	Failed  int         `json:"failed"`
	Results []BatchItem `json:"results"`
}

// postBatch applies a JSON array of command envelopes (each the same JSON
// as one line of 'apply'). Each command is atomic on its own and is
// authorized on its own; the accepted ones share one durable commit.
func (s *Server) postBatch(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	b, err := readBody(w, r, s.cfg.MaxBatchBytes)
	if err != nil {
		return err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return jsonProblem(fmt.Errorf("%w", err))
	}
	if len(raws) == 0 {
		return domain.Errorf(domain.EInvalid, "empty batch; send a JSON array of commands")
	}
	if len(raws) > s.cfg.MaxBatch {
		return errorf(codeTooLarge, fmt.Sprintf("batch of %d commands; at most %d are allowed", len(raws), s.cfg.MaxBatch))
	}
	out := BatchResponse{Results: make([]BatchItem, len(raws))}
	var reqs []command.Request
	var idx []int
	fail := func(i int, err error) {
		pr := problemFor(err)
		pr.Instance = fmt.Sprintf("%s#%d", r.URL.Path, i)
		out.Results[i] = BatchItem{Index: i, Status: pr.Status, Problem: &pr}
		out.Failed++
	}
	for i, raw := range raws {
		env, err := decodeEnvelope(raw, p)
		var cmd domain.Command
		if err == nil {
			cmd, err = s.authorizeCommand(r.Context(), p, env)
			if err != nil {
				s.refused(env.Type, err)
			}
		}
		if err != nil {
			fail(i, err)
			continue
		}
		reqs = append(reqs, command.Request{Envelope: env, Command: cmd})
		idx = append(idx, i)
	}
	if len(reqs) > 0 {
		for k, br := range s.cfg.Ledger.Handle(r.Context(), reqs) {
			i := idx[k]
			if br.Err != nil {
				fail(i, br.Err)
				continue
			}
			res := br.Result
			status := http.StatusCreated
			if res.Duplicate {
				status = http.StatusOK
			}
			out.Results[i] = BatchItem{Index: i, Status: status, Result: &res}
			out.Applied++
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// refused counts a command refused before it reached the Ledger.
func (s *Server) refused(typ string, err error) {
	if s.cfg.Commands == nil {
		return
	}
	code := domain.ErrorCode(err)
	var he *httpError
	if errors.As(err, &he) {
		code = he.code
	}
	if _, known := access.CommandRole(typ); !known {
		typ = "unknown"
	}
	s.cfg.Commands.CountCommand(typ, code)
}

// parties returns an agreement's funder and grantee. They are fixed when
// the agreement is registered and no event changes them, so they are
// cached after the first look-up; the look-up itself reads the ledger
// (and checks the agreement's hash chain).
func (s *Server) parties(ctx context.Context, number string) (funder, grantee string, err error) {
	if v, ok := s.orgs.Load(number); ok {
		p := v.([2]string)
		return p[0], p[1], nil
	}
	err = s.cfg.Ledger.View(ctx, number, func(a *domain.Agreement) error {
		funder, grantee = a.Registration().Funder, a.Registration().Grantee
		return nil
	})
	if err != nil {
		return "", "", err
	}
	s.orgs.Store(number, [2]string{funder, grantee})
	return funder, grantee, nil
}

// withSchemaHint adds to the refusal of an unknown field in a command's data
// which schema of /openapi.json lists the fields the command takes.
func withSchemaHint(err error, typ string) error {
	var de *domain.Error
	var uf *wire.UnknownFieldError
	if !errors.As(err, &de) || !errors.As(err, &uf) || !strings.HasPrefix(uf.Field, "data.") {
		return err
	}
	if _, known := domain.NewCommand(typ); !known {
		return err
	}
	hinted := *de
	hinted.Message += fmt.Sprintf("; /openapi.json lists the fields of %s in #/components/schemas/%s", typ, CommandSchemaName(typ))
	return &hinted
}
