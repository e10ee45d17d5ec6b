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
	"github.com/grantledger/grantledger/domain"
)

// commandRoles says which role may send each command type: the table of
// package access, which decides (access.MayAct).
var commandRoles = func() map[string]string {
	m := map[string]string{}
	for _, typ := range domain.CommandTypes() {
		if r, ok := access.CommandRole(typ); ok {
			m[typ] = r
		}
	}
	return m
}()

// CommandRole returns the role allowed to send a command type.
func CommandRole(typ string) string { return commandRoles[typ] }

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
func decodeEnvelope(b []byte, p Principal) (domain.Envelope, error) {
	return domain.DecodeEnvelopeAs(b, p.Actor())
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
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		return domain.FieldError(m[1], "unknown field; /openapi.json lists the fields this request takes")
	}
	return domain.Errorf(domain.EInvalid, "%s", msg)
}

// authorizeCommand checks that p may send the command: its role may send
// this type, and the agreement belongs to p's funder or grantee. The
// agreement's funder and grantee are read from the ledger, never from the
// request, except for register_agreement, whose funder must be p's.
// It returns the decoded, validated command.
func (s *Server) authorizeCommand(ctx context.Context, p Principal, env domain.Envelope) (domain.Command, error) {
	if want, known := commandRoles[env.Type]; known && !RoleMaySend(p.Role, env.Type) {
		return nil, errorf(codeForbidden, fmt.Sprintf("the %s role may not send %s; it is for the %s role", p.Role, env.Type, want))
	}
	cmd, err := env.DecodeCommand()
	if err != nil {
		return nil, withSchemaHint(err, env.Type) // names the field (domain's failingKey)
	}
	if reg, ok := cmd.(domain.RegisterAgreement); ok {
		if !access.MayAct(p.access(), env.Type, access.Parties{Funder: reg.Funder, Grantee: reg.Grantee}) {
			return nil, &httpError{code: codeForbidden, field: "data.funder", msg: fmt.Sprintf("your token acts for funder %q, not %q", p.Funder, reg.Funder)}
		}
		return cmd, nil
	}
	if err := s.authorizeAgreement(ctx, p, cmd.AgreementNumber(), env.Type); err != nil {
		return nil, err
	}
	return cmd, nil
}

// commandHandler is a Ledger that can take a command already decoded and
// validated (*ledger.Service and metrics.Service are), so that a command
// is decoded once per request, not once to authorize and again to apply.
type commandHandler interface {
	HandleCommand(ctx context.Context, env domain.Envelope, cmd domain.Command) (command.Result, error)
}

// batchHandler is the batch twin of commandHandler (see
// ledger.Service.HandleDecodedBatch).
type batchHandler interface {
	HandleDecodedBatch(ctx context.Context, envs []domain.Envelope, cmds []domain.Command, errs []error) []command.BatchResult
}

// authorizeAgreement checks that p may read the agreement (typ "") or
// send a command of type typ on it, as package access decides.
func (s *Server) authorizeAgreement(ctx context.Context, p Principal, number, typ string) error {
	if typ == "" && p.Role == RoleAuditor {
		return nil // an auditor reads every agreement: no need to look it up
	}
	funder, grantee, err := s.parties(ctx, number)
	if err != nil {
		return err
	}
	parties := access.Parties{Funder: funder, Grantee: grantee}
	if typ == "" && access.MaySee(p.access(), parties) || typ != "" && access.MayAct(p.access(), typ, parties) {
		return nil
	}
	return errorf(codeForbidden, fmt.Sprintf("agreement %s is not one of your organisation's (%s)", number, p.org()))
}

func (p Principal) org() string {
	if p.Role == RoleFunder {
		return "funder " + p.Funder
	}
	if p.Role == RoleGrantee {
		return "grantee " + p.Grantee
	}
	return p.Role
}

// postCommand applies one command. 201 with the events appended, or 200
// when the command id was applied before (nothing appended again).
func (s *Server) postCommand(w http.ResponseWriter, r *http.Request, p Principal) error {
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
	var res command.Result
	if h, ok := s.cfg.Ledger.(commandHandler); ok {
		res, err = h.HandleCommand(r.Context(), env, cmd)
	} else {
		res, err = s.cfg.Ledger.Handle(r.Context(), env)
	}
	if err != nil {
		return err
	}
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
func (s *Server) postBatch(w http.ResponseWriter, r *http.Request, p Principal) error {
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
	var envs []domain.Envelope
	var cmds []domain.Command
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
		envs = append(envs, env)
		cmds = append(cmds, cmd)
		idx = append(idx, i)
	}
	if len(envs) > 0 {
		var results []command.BatchResult
		if h, ok := s.cfg.Ledger.(batchHandler); ok {
			results = h.HandleDecodedBatch(r.Context(), envs, cmds, make([]error, len(envs)))
		} else {
			results = s.cfg.Ledger.HandleBatch(r.Context(), envs)
		}
		for k, br := range results {
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
	if _, known := commandRoles[typ]; !known {
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
	if !errors.As(err, &de) || !strings.HasPrefix(de.Message, "data: unknown field ") {
		return err
	}
	if _, known := domain.NewCommand(typ); !known {
		return err
	}
	hinted := *de
	hinted.Message += fmt.Sprintf("; /openapi.json lists the fields of %s in #/components/schemas/%s", typ, CommandSchemaName(typ))
	return &hinted
}
