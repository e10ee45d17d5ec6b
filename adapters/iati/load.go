package iati

import (
	"context"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
)

// history and entry are the agreements' decoded histories, as
// ledger.LoadHistories reads them for every exporter.
type (
	history = command.History
	entry   = command.Entry
)

func load(ctx context.Context, store domain.EventStore, numbers []string) ([]*history, error) {
	return command.LoadHistories(ctx, store, numbers)
}
