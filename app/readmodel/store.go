package readmodel

import "github.com/grantledger/grantledger/app/port"

// Store is what the read model asks of an event store: the stores' one
// port (app/port.Store). The read model reads the events in global order,
// into pages it lends when the store offers them (Offers.LendsPages); the
// Merkle log a snapshot is bound to; and the snapshot table, left alone
// when the store is open read-only, read without a copy when the store
// offers it (Offers.LendsSnapshots). What a store lacks it says in Offers,
// and the read model takes the documented fallback (no snapshot, pages
// allocated): nothing is found by a run-time interface assertion.
type Store = port.Store
