package main

import (
	"context"

	"github.com/grantledger/grantledger/domain"
)

func openESDB(ctx context.Context, url string) (domain.EventStore, error) {
	return nil, usagef("store %q: the EventStoreDB adapter is not built into this version", url)
}
