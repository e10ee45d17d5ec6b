package main

import (
	"testing"

	"github.com/grantledger/grantledger/internal/testsupport/legacytest"
)

// legacyRegister writes an agreement registration to the ledger file db
// directly, as an older grantledger that accepted any number would have.
func legacyRegister(t *testing.T, db, number, funder string) {
	t.Helper()
	store, err := openSQLite(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	legacytest.Register(t, store, number, funder, "NGO")
}
