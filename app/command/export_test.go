package command

import (
	"context"
	"encoding/binary"
	"fmt"
	"reflect"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
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

// SpillRoundTrip encodes the cached state of agreement number as
// evictIfFull keeps it (spill.go), decodes it into a new state, and
// reports whether the two are alike: the aggregate's plain state, the
// revision, the chain hash and the command spans. It does so twice: as
// encodeSpill keeps it (shared reports that the type descriptions were
// left out, kept once for all), and whole, as an encoding that did not
// begin with them is kept.
func SpillRoundTrip(ctx context.Context, svc *Service, number string) (same, shared bool, why string, err error) {
	name := domain.StreamFor(number)
	st := svc.stream(name)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := svc.catchUp(ctx, name, st); err != nil {
		return false, false, "", err
	}
	b, err := encodeSpill(st)
	if err != nil {
		return false, false, "", err
	}
	shared = b[0] == 1
	whole := b
	if shared {
		whole = append(append([]byte{0}, spillTypes()...), b[1:]...)
	}
	for _, enc := range [][]byte{b, whole} {
		back := &streamState{}
		if err := decodeSpill(enc, back); err != nil {
			return false, shared, "", err
		}
		switch {
		case !reflect.DeepEqual(back.agg.State(), st.agg.State()):
			return false, shared, fmt.Sprintf("aggregate\n%+v\nwant\n%+v", back.agg.State(), st.agg.State()), nil
		case back.rev != st.rev || back.lastHash != st.lastHash:
			return false, shared, fmt.Sprintf("revision %d hash %s, want %d %s", back.rev, back.lastHash, st.rev, st.lastHash), nil
		case !reflect.DeepEqual(back.commands, st.commands):
			return false, shared, fmt.Sprintf("%d command spans, want %d", len(back.commands), len(st.commands)), nil
		}
	}
	return true, shared, "", nil
}
