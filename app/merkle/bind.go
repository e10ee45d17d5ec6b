package merkle

import (
	"context"
	"fmt"

	"github.com/grantledger/grantledger/domain"
)

// FoldedAt is what a snapshot folded from the log l up to position pos
// records to bind itself to the log: the tree size there (the leaves at
// or before pos) and the root of that tree. The read model's snapshots
// (app/readmodel) and the ledger-wide index's (app/command) both
// record it.
func FoldedAt(ctx context.Context, l Tree, pos domain.Position) (size int64, root Hash, err error) {
	size, err = SizeAt(ctx, l, pos)
	if err != nil {
		return 0, Hash{}, fmt.Errorf("the Merkle tree at %s: %w", pos, err)
	}
	root, err = Root(ctx, l, size)
	if err != nil {
		return 0, Hash{}, fmt.Errorf("the Merkle tree at %d events: %w", size, err)
	}
	return size, root, nil
}

// CheckFoldedAt says why a snapshot saved at pos that records size and
// root (FoldedAt) was not folded from the log l: problem is empty when the
// log has that many leaves up to pos, at least that many in all, and that
// root there. err is a failure to read the log.
func CheckFoldedAt(ctx context.Context, l Tree, pos domain.Position, size int64, root Hash) (problem string, err error) {
	at, err := SizeAt(ctx, l, pos)
	if err != nil {
		return "", err
	}
	if size != at {
		return fmt.Sprintf("it says it was folded at tree size %d, but it is saved at position %s", size, pos), nil
	}
	n, err := l.TreeSize(ctx)
	if err != nil {
		return "", err
	}
	if size > n {
		return fmt.Sprintf("it was folded from %d events, but the log has %d", size, n), nil
	}
	want, err := Root(ctx, l, size)
	if err != nil {
		return "", err
	}
	if want != root {
		return fmt.Sprintf("it was folded from a log whose root at %d events is %s, but this log's root there is %s: it was not made from these events", size, root, want), nil
	}
	return "", nil
}
