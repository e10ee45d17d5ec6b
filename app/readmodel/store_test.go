package readmodel_test

import (
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/readmodel"
)

// The embedded store is a whole readmodel.Store: every part the read model
// asks for (lent pages, the log, snapshots read without a copy, read-only).
var _ readmodel.Store = (*sqlite.Store)(nil)
