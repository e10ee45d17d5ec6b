package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/ledger"
	"github.com/grantledger/grantledger/domain"
)

// legacyRegister writes an agreement registration to the ledger file db
// directly, as an older grantledger that accepted any agreement number
// would have: the event, its metadata and its hash chain are what the
// ledger service writes, but no rule on the number is checked. Tests use it
// to build ledgers that hold numbers today's rules refuse.
func legacyRegister(t *testing.T, db, number, funder string) {
	t.Helper()
	store, err := openSQLite(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	y1, _ := domain.ParseDate("2024-01-01")
	y1e, _ := domain.ParseDate("2024-12-31")
	ev := domain.AgreementRegistered{AgreementID: domain.AgreementID(number), Number: number, Kind: domain.KindGrant, Title: "T",
		Grantee: "NGO", Funder: funder, Period: domain.Period{From: y1, To: y1e},
		Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}}, Lines: []domain.LineSpec{{Line: "a", Name: "A"}}}
	data, _ := json.Marshal(ev)
	cmdID := uuid.New()
	stream := domain.StreamFor(number)
	m := domain.Metadata{EventID: ledger.EventID(cmdID, 0), CommandID: cmdID, CommandType: domain.CmdRegisterAgreement,
		CommandHash: "legacy", CorrelationID: cmdID, Actor: "legacy", RecordedAt: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		SchemaVersion: domain.NewEventRegistry().Version(ev.EventType())}
	m.Hash = domain.EventHash(stream, 0, ev.EventType(), data, m)
	meta, _ := json.Marshal(m)
	if _, err := store.Append(context.Background(), stream, domain.NoStream, []domain.EventData{{ID: m.EventID, Type: ev.EventType(), Data: data, Metadata: meta}}); err != nil {
		t.Fatalf("legacy register %q: %v", number, err)
	}
}
