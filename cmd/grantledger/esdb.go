package main

import (
	"context"

	"github.com/grantledger/grantledger/adapters/esdb"
	"github.com/grantledger/grantledger/app/port"
)

// openESDB connects to EventStoreDB (or KurrentDB) from an esdb:// or
// esdb+discover:// connection string. The store appends the requests of a
// batch (group commit, apply) concurrently: see esdb.Concurrent.
func openESDB(ctx context.Context, url string) (port.Store, error) {
	s, err := esdb.Open(ctx, url)
	if err != nil {
		return nil, errorf("open EventStoreDB: %w", err)
	}
	return esdb.Concurrent{Store: s}, nil
}
