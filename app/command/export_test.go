package command

import "context"

// SaveIndexNow saves the ledger-wide index whatever it folded since its
// last snapshot (SaveIndex waits for 1 000 events), for tests of small
// ledgers.
func (s *Service) SaveIndexNow(ctx context.Context) error { return s.saveIndex(ctx, 1) }
