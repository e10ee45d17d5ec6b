package command_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
)

// recorder is a Handler that answers each request with an error naming
// its envelope's actor, and keeps what it was handed.
type recorder struct{ got []command.Request }

func (r *recorder) Handle(_ context.Context, reqs []command.Request) []command.Outcome {
	r.got = append(r.got, reqs...)
	out := make([]command.Outcome, len(reqs))
	for i, req := range reqs {
		out[i].Err = errors.New("handled " + req.Envelope.Actor)
	}
	return out
}

func (r *recorder) View(context.Context, string, func(*domain.Agreement) error) error { return nil }

// HandleEnvelopes: an envelope that does not decode gets its decoding
// error and is not handed over; the others go in one batch, in order, and
// each outcome comes back to its own envelope.
func TestHandleEnvelopesKeepsEachOutcomeInPlace(t *testing.T) {
	envs := []domain.Envelope{
		domain.NewEnvelope(uuid.New(), "a", "", domain.CloseYear{Ref: domain.Ref{Agreement: "AG-1"}, Year: 1}),
		domain.NewEnvelope(uuid.New(), "b", "", domain.CloseYear{Ref: domain.Ref{Agreement: "AG-1"}, Year: 2}),
		domain.NewEnvelope(uuid.New(), "c", "", domain.CloseYear{Ref: domain.Ref{Agreement: "AG-1"}, Year: 3}),
	}
	bad := errors.New("does not decode")
	decode := func(env domain.Envelope) (domain.Command, error) {
		if env.Actor == "b" {
			return nil, bad
		}
		return domain.CloseYear{Ref: domain.Ref{Agreement: "AG-1"}}, nil
	}
	h := &recorder{}
	out := command.HandleEnvelopes(context.Background(), h, envs, decode)
	if len(out) != 3 || len(h.got) != 2 || h.got[0].Envelope.Actor != "a" || h.got[1].Envelope.Actor != "c" {
		t.Fatalf("handed over %d requests (%v), %d outcomes; want a and c, 3 outcomes", len(h.got), h.got, len(out))
	}
	if out[0].Err == nil || out[0].Err.Error() != "handled a" || !errors.Is(out[1].Err, bad) || out[2].Err == nil || out[2].Err.Error() != "handled c" {
		t.Fatalf("outcomes %v, want handled a, the decoding error, handled c", out)
	}
}
