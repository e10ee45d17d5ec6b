package command

import (
	"context"
	"encoding/binary"

	"github.com/grantledger/grantledger/app/merkle"
)

// SaveIndexNow saves the ledger-wide index whatever it folded since its
// last snapshot (SaveIndex waits for 1 000 events), for tests of small
// ledgers.
func (s *Service) SaveIndexNow(ctx context.Context) error { return s.saveIndex(ctx, 1) }

// SetBlockIDs makes the saved index's blocks hold n ids (4 096 outside
// tests), so that small ledgers have many blocks; it returns the undo.
func SetBlockIDs(n int) func() {
	old := blockIDs
	blockIDs = n
	return func() { blockIDs = old }
}

// IndexBlockReads returns how many blocks of the saved index svc read,
// and how many bytes of ids were in them.
func IndexBlockReads(svc *Service) (blocks int, idBytes int64) {
	svc.index.mu.Lock()
	defer svc.index.mu.Unlock()
	return svc.index.blockReads, svc.index.blockBytes
}

// SaveIndexV1 writes svc's index as a version 1 snapshot (every command
// id in it), as the program at e78bc84 wrote it.
func SaveIndexV1(ctx context.Context, svc *Service) error {
	x := svc.index
	if err := svc.claimNothing(ctx); err != nil {
		return err
	}
	x.mu.Lock()
	pos := x.pos
	body := x.encodeV1()
	x.mu.Unlock()
	size, root, err := merkle.FoldedAt(ctx, svc.store, pos)
	if err != nil {
		return err
	}
	blob := append([]byte(indexMagic), indexVersionV1)
	blob = binary.BigEndian.AppendUint64(blob, uint64(size))
	blob = append(blob, root[:]...)
	blob = binary.BigEndian.AppendUint64(blob, pos.Commit)
	blob = binary.BigEndian.AppendUint64(blob, pos.Prepare)
	return svc.store.SaveSnapshot(ctx, IndexSnapshotName, pos, append(blob, body...))
}

// claimNothing brings svc's index up to the end of the ledger, all in
// memory (as the program at e78bc84 held it).
func (s *Service) claimNothing(ctx context.Context) error {
	x := s.index
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.rebuild(ctx, s.store)
}

// IndexInMemory returns how many command ids svc's index holds in memory
// (folded since its last save, and being saved) and how many
// fingerprints of saved ids.
func IndexInMemory(svc *Service) (ids, fingerprints int) {
	x := svc.index
	x.mu.Lock()
	defer x.mu.Unlock()
	ids = len(x.cmds.ids) + len(x.cmds.recent)
	if x.frozen != nil {
		ids += len(x.frozen.ids) + len(x.frozen.recent)
	}
	return ids, len(x.fp)
}
