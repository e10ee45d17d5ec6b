package iati

import (
	"context"

	"github.com/grantledger/grantledger/adapters/ledger"
	"github.com/grantledger/grantledger/domain"
)

// history and entry are the agreements' decoded histories, as
// ledger.LoadHistories reads them for every exporter.
type (
	history = ledger.History
	entry   = ledger.Entry
)

func load(ctx context.Context, store domain.EventStore, numbers []string) ([]*history, error) {
	return ledger.LoadHistories(ctx, store, numbers)
}
