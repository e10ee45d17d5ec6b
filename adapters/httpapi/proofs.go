package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// Proofs serves the Merkle log's checkpoints and proofs (docs/PROOFS.md).
type Proofs interface {
	// Checkpoint is the log's checkpoint now; Note is its signed text
	// ("" when the server has no signing key).
	Checkpoint(ctx context.Context) (CheckpointResponse, error)
	// Checkpoints lists the signed checkpoints kept in the checkpoint
	// directory whose size is at least since, oldest first.
	Checkpoints(ctx context.Context, since int64) ([]string, error)
	// Inclusion proves event id in the log of its first size events (0:
	// the whole log), with a checkpoint of that size.
	Inclusion(ctx context.Context, id uuid.UUID, size int64) (merkle.InclusionProof, error)
	// Consistency proves the log of to events extends the log of from
	// events (to 0: the whole log).
	Consistency(ctx context.Context, from, to int64) (ConsistencyResponse, error)
}

// CheckpointResponse is GET /v1/checkpoint.
type CheckpointResponse = merkle.SignedCheckpoint

// ConsistencyResponse is GET /v1/proofs/consistency.
type ConsistencyResponse = merkle.ConsistencyResponse

func (s *Server) proofs() (Proofs, error) {
	if s.cfg.Proofs == nil {
		return nil, domain.Errorf(domain.EUnavailable, "this server keeps no Merkle log proofs")
	}
	return s.cfg.Proofs, nil
}

func sizeParam(q map[string]string, name string, def int64) (int64, error) {
	v, ok := q[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, domain.FieldError(name, "%q is not a whole number of events", v)
	}
	return n, nil
}

func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	pr, err := s.proofs()
	if err != nil {
		return err
	}
	c, err := pr.Checkpoint(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) getCheckpoints(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, err := queryParams(r, "since")
	if err != nil {
		return err
	}
	since, err := sizeParam(q, "since", 0)
	if err != nil {
		return err
	}
	pr, err := s.proofs()
	if err != nil {
		return err
	}
	list, err := pr.Checkpoints(r.Context(), since)
	if err != nil {
		return err
	}
	if list == nil {
		list = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"checkpoints": list})
	return nil
}

func (s *Server) getInclusion(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, err := queryParams(r, "event", "size")
	if err != nil {
		return err
	}
	id, err := uuid.Parse(q["event"])
	if err != nil {
		return domain.FieldError("event", "%q is not an event id", q["event"])
	}
	size, err := sizeParam(q, "size", 0)
	if err != nil {
		return err
	}
	pr, err := s.proofs()
	if err != nil {
		return err
	}
	proof, err := pr.Inclusion(r.Context(), id, size)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, proof)
	return nil
}

func (s *Server) getConsistency(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, err := queryParams(r, "from", "to")
	if err != nil {
		return err
	}
	from, err := sizeParam(q, "from", 0)
	if err != nil {
		return err
	}
	if from == 0 {
		return domain.FieldError("from", "required: the size of the older checkpoint (at least 1)")
	}
	to, err := sizeParam(q, "to", 0)
	if err != nil {
		return err
	}
	pr, err := s.proofs()
	if err != nil {
		return err
	}
	proof, err := pr.Consistency(r.Context(), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, proof)
	return nil
}
