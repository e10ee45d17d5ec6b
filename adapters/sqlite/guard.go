package sqlite

import (
	"context"
	"fmt"
	"math"

	"github.com/grantledger/grantledger/domain"
)

var _ domain.GuardedAppender = (*Store)(nil)

// AppendGuarded implements domain.GuardedAppender: inside the write
// transaction, which holds SQLite's write lock against every other
// connection and process, it reads the events after g.After and lets
// g.Check refuse the batch before anything is written; then it appends as
// AppendBatch does, in the same transaction.
func (s *Store) AppendGuarded(ctx context.Context, reqs []domain.AppendRequest, g domain.AppendGuard) ([]domain.AppendOutcome, error) {
	out := make([]domain.AppendOutcome, len(reqs))
	if err := s.write(ctx, reqs, out, true, &g); err != nil {
		return nil, fmt.Errorf("append batch of %d requests: %w", len(reqs), err)
	}
	return out, nil
}

// checkGuard runs g.Check on the events after g.After, read on the writer
// connection inside its open transaction, or given from the copies of the
// writer's last commits when they are all there (recentEvents).
func (s *Store) checkGuard(ctx context.Context, g *domain.AppendGuard) error {
	if g == nil || g.Check == nil {
		return nil
	}
	after := int64(math.MaxInt64)
	if g.After.Commit < math.MaxInt64 {
		after = int64(g.After.Commit)
	}
	if newer, ok := s.recent.after(after); ok {
		return g.Check(newer)
	}
	s.guardReads++
	rows, err := s.wst.newer.QueryContext(ctx, after)
	if err != nil {
		return fmt.Errorf("read events after %v: %w", g.After, err)
	}
	newer, err := scanEvents(rows, 0)
	if err != nil {
		return fmt.Errorf("read events after %v: %w", g.After, err)
	}
	return g.Check(newer)
}
