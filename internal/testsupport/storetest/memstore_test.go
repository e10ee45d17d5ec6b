package storetest_test

import (
	"testing"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/internal/testsupport/storetest"
)

func TestMemstore(t *testing.T) {
	storetest.Run(t, storetest.Factory{
		New:       func(t *testing.T) port.Store { return memstore.New() },
		KeepsTree: true,
	})
}
