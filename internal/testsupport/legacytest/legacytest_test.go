package legacytest

import (
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/command"
)

// The derivation repeated here must stay the ledger service's.
func TestEventIDIsTheLedgers(t *testing.T) {
	for i := 0; i < 3; i++ {
		id := uuid.New()
		if EventID(id, i) != command.EventID(id, i) {
			t.Fatalf("EventID(%s, %d) differs from the ledger's", id, i)
		}
	}
}
