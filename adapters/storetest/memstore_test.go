package storetest_test

import (
	"testing"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/storetest"
	"github.com/grantledger/grantledger/domain"
)

func TestMemstore(t *testing.T) {
	storetest.Run(t, storetest.Factory{
		New:       func(t *testing.T) domain.EventStore { return memstore.New() },
		KeepsTree: true,
	})
}
