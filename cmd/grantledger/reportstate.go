package main

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/app/readmodel"
)

// reportState is the state of the ledger a report was computed from: the
// Merkle log's size and root at the read model's position, signed as a
// checkpoint when a signing key is configured. With it a report can be
// checked later against the log (docs/PROOFS.md).
type reportState struct {
	Size     int64       `json:"size"`
	Root     merkle.Hash `json:"root_hash"`
	Verified bool        `json:"verified"` // false under --no-verify
	Signed   string      `json:"signed_checkpoint,omitempty"`
}

// computeState sets a.report to the state the runner's read model was
// folded at (every store keeps the Merkle log).
func (a *app) computeState(ctx context.Context, store port.Store, r *readmodel.Runner) error {
	l := store
	size, err := merkle.SizeAt(ctx, l, r.Checkpoint()) // leaf count at the read model's position
	if err != nil {
		return errorf("the state of the report: %w", err)
	}
	root, err := merkle.Root(ctx, l, size)
	if err != nil {
		return errorf("the state of the report: %w", err)
	}
	st := &reportState{Size: size, Root: root, Verified: !a.noVerify}
	signer, err := a.signingKey("")
	if err != nil {
		return err
	}
	if signer != nil {
		c := merkle.Checkpoint{Size: size, Root: root, Time: a.now().UTC()}
		c.Sealed, _ = store.Sealed(ctx)
		b, err := merkle.Sign(c, signer)
		if err != nil {
			return err
		}
		st.Signed = string(b)
	}
	a.report = st
	return nil
}

// withState adds "checkpoint" to a JSON object v, after its own fields.
func withState(v any, st *reportState) (any, error) {
	if st == nil {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' {
		return v, nil
	}
	cb, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), b[:len(b)-1]...)
	if len(b) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"checkpoint":`...)
	out = append(out, cb...)
	out = append(out, '}')
	return json.RawMessage(out), nil
}

// docWithState adds a last section naming the state to a document, so
// that text, Markdown, HTML and the XLSX summary sheet carry it. CSV is
// one table of figures and carries no state: keep the JSON or another
// format beside it.
func docWithState(doc document.Document, st *reportState, format string) document.Document {
	if st == nil {
		return doc
	}
	return document.WithState(doc, st.Size, st.Root.String(), st.Verified, st.Signed)
}
