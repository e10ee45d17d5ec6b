// Package checkpoints makes, keeps and serves the signed checkpoints of
// the Merkle log, and the proofs against them (docs/PROOFS.md): what
// 'grantledger checkpoint', 'prove' and the server's /v1/checkpoint and
// /v1/proofs routes share.
package checkpoints

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// beforePublish, when set (by a test), runs after a checkpoint's bytes
// are written and synced under a temporary name, before they get the
// checkpoint's name.
var beforePublish func()

// Service makes checkpoints of one store's log.
type Service struct {
	Store  merkle.Store
	Signer note.Signer // nil: checkpoints are unsigned
	Dir    string      // where Keep adds checkpoints; "" keeps none
	Now    func() time.Time

	mu sync.Mutex // serialises Keep
}

// log returns the store's tree (built in memory for a store that keeps
// none).
func (s *Service) log(ctx context.Context) (merkle.Tree, error) { return merkle.LogOf(ctx, s.Store) }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// At returns the checkpoint of the first size events of l (size < 0: all).
func (s *Service) at(ctx context.Context, l merkle.Log, size int64) (merkle.Checkpoint, error) {
	n, err := l.TreeSize(ctx)
	if err != nil {
		return merkle.Checkpoint{}, err
	}
	if size < 0 {
		size = n
	}
	if size > n {
		return merkle.Checkpoint{}, domain.FieldError("size", "the log has %d events, fewer than %d", n, size)
	}
	root, err := merkle.Root(ctx, l, size)
	if err != nil {
		return merkle.Checkpoint{}, err
	}
	c := merkle.Checkpoint{Origin: "grantledger", Size: size, Root: root, Time: s.now().UTC().Truncate(time.Second)}
	if s.Signer != nil {
		c.Origin = s.Signer.Name()
	}
	if c.Sealed, err = s.Store.Sealed(ctx); err != nil {
		return c, err
	}
	return c, nil
}

func (s *Service) sign(c merkle.Checkpoint) (string, error) {
	if s.Signer == nil {
		return "", nil
	}
	b, err := merkle.Sign(c, s.Signer)
	if err != nil {
		return "", fmt.Errorf("sign checkpoint: %w", err)
	}
	return string(b), nil
}

// Checkpoint is the log's checkpoint now, signed when there is a signer.
func (s *Service) Checkpoint(ctx context.Context) (merkle.SignedCheckpoint, error) {
	l, err := s.log(ctx)
	if err != nil {
		return merkle.SignedCheckpoint{}, err
	}
	c, err := s.at(ctx, l, -1)
	if err != nil {
		return merkle.SignedCheckpoint{}, err
	}
	text, err := s.sign(c)
	return merkle.SignedCheckpoint{Checkpoint: c, Note: text}, err
}

// Keep signs the log's checkpoint now and adds it to Dir, after checking
// with a consistency proof that the log extends the newest checkpoint
// there (a *domain.Error with code ETampered if not: a rewritten log is
// never signed). It needs a signer and a directory.
func (s *Service) Keep(ctx context.Context) (merkle.SignedCheckpoint, error) {
	if s.Signer == nil || s.Dir == "" {
		return merkle.SignedCheckpoint{}, errors.New("keep a checkpoint: a signing key and a checkpoint directory are needed")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.log(ctx)
	if err != nil {
		return merkle.SignedCheckpoint{}, err
	}
	c, err := s.at(ctx, l, -1)
	if err != nil {
		return merkle.SignedCheckpoint{}, err
	}
	if last, ok, err := Newest(s.Dir); err != nil {
		return merkle.SignedCheckpoint{}, err
	} else if ok && last.Origin == c.Origin {
		if err := Extends(ctx, l, last, c); err != nil {
			return merkle.SignedCheckpoint{}, &domain.Error{Code: domain.ETampered, Message: "refusing to sign a checkpoint: " + err.Error()}
		}
		if last.Size == c.Size {
			return merkle.SignedCheckpoint{Checkpoint: c}, nil // nothing new to sign
		}
	}
	text, err := s.sign(c)
	if err != nil {
		return merkle.SignedCheckpoint{}, err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return merkle.SignedCheckpoint{}, fmt.Errorf("checkpoint directory: %w", err)
	}
	name := filepath.Join(s.Dir, fmt.Sprintf("checkpoint-%012d-%s.txt", c.Size, c.Time.UTC().Format("20060102T150405Z")))
	if _, err := os.Stat(name); err == nil {
		return merkle.SignedCheckpoint{Checkpoint: c, Note: text}, nil
	}
	if err := publish(s.Dir, name, text); err != nil {
		return merkle.SignedCheckpoint{}, err
	}
	return merkle.SignedCheckpoint{Checkpoint: c, Note: text}, nil
}

// publish writes text to a temporary file of dir (a name no reader of
// checkpoint-*.txt lists), syncs it, and only then links it under name, so
// that the checkpoint appears whole or not at all, to a reader listing the
// directory and after a crash (a file system without hard links gets a
// rename); the directory is synced after. A file
// already under name (another process kept the same checkpoint in the
// same second) is left as it is.
func publish(dir, name, text string) error {
	f, err := os.CreateTemp(dir, ".checkpoint-*.tmp")
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, werr := f.WriteString(text)
	if serr := f.Sync(); werr == nil {
		werr = serr
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr != nil {
		return fmt.Errorf("write checkpoint %s: %w", name, werr)
	}
	if beforePublish != nil {
		beforePublish()
	}
	if err := os.Link(tmp, name); err != nil && !errors.Is(err, os.ErrExist) {
		// A file system without hard links: a rename is atomic too.
		if rerr := os.Rename(tmp, name); rerr != nil {
			return fmt.Errorf("write checkpoint %s: %w", name, rerr)
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync checkpoint directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync checkpoint directory %s: %w", dir, err)
	}
	return nil
}

// Checkpoints lists the checkpoints of Dir of at least since events,
// oldest first.
func (s *Service) Checkpoints(ctx context.Context, since int64) ([]string, error) {
	if s.Dir == "" {
		return nil, nil
	}
	names, err := filepath.Glob(filepath.Join(s.Dir, "checkpoint-*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		c, err := merkle.ParseCheckpoint(NoteText(b))
		if err != nil || c.Size < since {
			continue
		}
		out = append(out, string(b))
	}
	return out, nil
}

// Inclusion proves the event with the given id in the log of its first
// size events (0: all), with a checkpoint of that size.
func (s *Service) Inclusion(ctx context.Context, id uuid.UUID, size int64) (merkle.InclusionProof, error) {
	l, err := s.log(ctx)
	if err != nil {
		return merkle.InclusionProof{}, err
	}
	if size == 0 {
		size = -1
	}
	c, err := s.at(ctx, l, size)
	if err != nil {
		return merkle.InclusionProof{}, err
	}
	i, e, err := FindEvent(ctx, s.Store, l, id)
	if err != nil {
		return merkle.InclusionProof{}, err
	}
	if i >= c.Size {
		return merkle.InclusionProof{}, domain.FieldError("size", "event %s is leaf %d, not within the first %d events", id, i, c.Size)
	}
	path, err := merkle.ProveInclusion(i, c.Size, merkle.Reader(ctx, l))
	if err != nil {
		return merkle.InclusionProof{}, err
	}
	leaf := merkle.LeafHash(e)
	if err := tlog.CheckRecord(path, c.Size, c.Root, i, leaf); err != nil {
		return merkle.InclusionProof{}, &domain.Error{Code: domain.ETampered, Message: fmt.Sprintf("event %s as stored now is not leaf %d of the tree: %v", id, i, err)}
	}
	text, err := s.sign(c)
	if err != nil {
		return merkle.InclusionProof{}, err
	}
	if text == "" {
		text = c.Text()
	}
	return merkle.InclusionProof{LeafIndex: i, TreeSize: c.Size, LeafHash: leaf, Leaf: merkle.HexLeaf(e), AuditPath: path, Checkpoint: text}, nil
}

// Consistency proves the log of to events (0: all) extends the log of
// from events.
func (s *Service) Consistency(ctx context.Context, from, to int64) (merkle.ConsistencyResponse, error) {
	l, err := s.log(ctx)
	if err != nil {
		return merkle.ConsistencyResponse{}, err
	}
	if to == 0 {
		to = -1
	}
	newer, err := s.at(ctx, l, to)
	if err != nil {
		return merkle.ConsistencyResponse{}, err
	}
	if from < 1 || from > newer.Size {
		return merkle.ConsistencyResponse{}, domain.FieldError("from", "%d is not between 1 and %d", from, newer.Size)
	}
	older, err := s.at(ctx, l, from)
	if err != nil {
		return merkle.ConsistencyResponse{}, err
	}
	p, err := merkle.ProveConsistency(from, newer.Size, merkle.Reader(ctx, l))
	if err != nil {
		return merkle.ConsistencyResponse{}, err
	}
	text, err := s.sign(newer)
	if err != nil {
		return merkle.ConsistencyResponse{}, err
	}
	return merkle.ConsistencyResponse{ConsistencyProof: merkle.ConsistencyProof{From: from, To: newer.Size, Proof: p}, FromRoot: older.Root, ToRoot: newer.Root, Note: text}, nil
}

// Extends checks with a consistency proof from the stored tree that the
// log of cur extends the checkpoint last.
func Extends(ctx context.Context, l merkle.Log, last, cur merkle.Checkpoint) error {
	if last.Size > cur.Size {
		return fmt.Errorf("the log has %d events, fewer than the %d of the last checkpoint: events were removed", cur.Size, last.Size)
	}
	if last.Size == 0 {
		return nil
	}
	p, err := merkle.ProveConsistency(last.Size, cur.Size, merkle.Reader(ctx, l))
	if err != nil {
		return err
	}
	return merkle.CheckConsistency(last, cur, p)
}

// Newest reads the largest checkpoint in dir (by file name: size, then
// time), without checking its signature (the directory is the operator's
// own record).
func Newest(dir string) (merkle.Checkpoint, bool, error) {
	names, err := filepath.Glob(filepath.Join(dir, "checkpoint-*.txt"))
	if err != nil || len(names) == 0 {
		return merkle.Checkpoint{}, false, err
	}
	sort.Strings(names)
	b, err := os.ReadFile(names[len(names)-1])
	if err != nil {
		return merkle.Checkpoint{}, false, err
	}
	c, err := merkle.ParseCheckpoint(NoteText(b))
	if err != nil {
		return c, false, fmt.Errorf("checkpoint %s: %w", names[len(names)-1], err)
	}
	return c, true, nil
}

// NoteText returns the text of a (signed) note: everything up to the
// blank line before the signatures, or all of it.
func NoteText(b []byte) string {
	s := string(b)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return s[:i+1]
	}
	return s
}

// FindEvent returns the leaf index and the event with the given id.
func FindEvent(ctx context.Context, store domain.EventStore, l merkle.Tree, id uuid.UUID) (int64, domain.RecordedEvent, error) {
	{
		i, err := l.LeafIndex(ctx, id)
		if err != nil {
			return 0, domain.RecordedEvent{}, err
		}
		// The embedded store and memstore number positions from 1 in leaf
		// order, so leaf i is the event after position i.
		evs, err := store.ReadAll(ctx, domain.Position{Commit: uint64(i), Prepare: uint64(i)}, 1)
		if err == nil && len(evs) == 1 && evs[0].ID == id {
			return i, evs[0], nil
		}
	}
	var from domain.Position
	var i int64
	for {
		evs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return 0, domain.RecordedEvent{}, err
		}
		if len(evs) == 0 {
			return 0, domain.RecordedEvent{}, &domain.Error{Code: domain.ENotFound, Field: "event", Message: fmt.Sprintf("no event with id %s in the ledger", id), Err: domain.ErrNotFound}
		}
		for _, e := range evs {
			if e.ID == id {
				return i, e, nil
			}
			i++
			from = e.Position
		}
	}
}
